"""Every page passes axe-core's WCAG 2.1 A and AA rules: as a coordinator, as an owner and before logging in,
on a desktop screen and on a phone's. The pages are those of tests/browser/pages.py."""

from tests.browser import pages
from tests.browser.conftest import DEMO_PASSWORD

AXE = pages.NODE_MODULES / "axe-core" / "axe.min.js"
WIDTHS = {1366: 900, 390: 844}  # a common laptop screen; a phone's (iPhone 12 to 15)
WCAG_21_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
NODES_SHOWN = 5

RUN_AXE = """async (tags) => {
    const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
    return results.violations.map((violation) => ({
        rule: violation.id,
        impact: violation.impact,
        help: violation.help,
        nodes: violation.nodes.map((node) => node.target.join(" ") + ": " + node.failureSummary.replace(/\\s+/g, " ")),
    }));
}"""


def test_every_page_passes_wcag_21_a_and_aa(browser, browser_context_args, live_server, demo):
    axe = AXE.read_text()
    found = []
    for survey in pages.surveys():
        state = pages.log_in_state(browser, live_server.url, survey.persona, DEMO_PASSWORD)
        for width, height in WIDTHS.items():
            context = browser.new_context(
                **{**browser_context_args, "viewport": {"width": width, "height": height}}, storage_state=state
            )
            tab = context.new_page()
            for page in survey.pages:
                pages.open_page(tab, live_server.url, page)
                # The site's Content-Security-Policy refuses inline scripts, so axe cannot come in a <script> tag.
                # evaluate() runs it through the browser's DevTools protocol, which the policy does not govern;
                # bypass_csp would switch the policy off for the whole page, and a page that the policy breaks
                # (an inline script or style it refuses) would then pass here.
                tab.evaluate(axe)
                for violation in tab.evaluate(RUN_AXE, WCAG_21_A_AA):
                    where = f"{pages.persona_label(survey.persona)}, {width} px, {page.name} ({page.path})"
                    nodes = violation["nodes"]
                    more = f"\n      … and {len(nodes) - NODES_SHOWN} more" if len(nodes) > NODES_SHOWN else ""
                    found.append(
                        f"{where}: {violation['rule']} ({violation['impact']}) {violation['help']}\n"
                        + "".join(f"      {node}\n" for node in nodes[:NODES_SHOWN])
                        + more
                    )
            context.close()
    assert not found, f"{len(found)} WCAG 2.1 A/AA violations:\n" + "\n".join(found)
