"""Every page passes axe-core's WCAG 2.1 A and AA rules: as a coordinator, as an owner and before logging in,
on a desktop screen and on a phone's. The pages are those of tests/browser/pages.py."""

import pytest

from tests.browser import checkers, pages
from tests.browser.conftest import DEMO_PASSWORD

WIDTHS = {1366: 900, 390: 844}  # a common laptop screen; a phone's (iPhone 12 to 15)


@pytest.mark.parametrize("persona", pages.PERSONAS, ids=lambda persona: persona or "anonymous")  # one test each
def test_every_page_passes_wcag_21_a_and_aa(browser, browser_context_args, live_server, demo, persona):
    found = []
    for survey in pages.surveys([persona]):
        state = pages.log_in_state(browser, live_server.url, survey.persona, DEMO_PASSWORD)
        for width, height in WIDTHS.items():
            context = browser.new_context(
                **{**browser_context_args, "viewport": {"width": width, "height": height}}, storage_state=state
            )
            tab = context.new_page()
            for page in survey.pages:
                pages.open_page(tab, live_server.url, page)
                where = f"{pages.persona_label(survey.persona)}, {width} px, {page.name} ({page.path})"
                found += [f"{where}: {violation}" for violation in checkers.axe_violations(tab)]
            context.close()
    assert not found, f"{len(found)} WCAG 2.1 A/AA violations:\n" + "\n".join(found)


# Swagger UI puts each operation's path link inside the control that opens the operation: its markup, which no
# stylesheet or setting changes (swagger-api/swagger-ui#9570, open upstream). Every other rule is checked.
SWAGGER_UI_MARKUP = ("nested-interactive",)


def test_the_api_docs_viewer_has_our_language_and_contrast(log_in, live_server):
    """Swagger UI at /api/docs/ is not our markup, but it is served to our users: in our language (the page's
    template is the app's own), with the contrast the rules ask for (static/css/swagger-ui-contrast.css)."""
    page = log_in("coordinator")
    page.goto(f"{live_server.url}/api/docs/")
    page.locator(".opblock").first.wait_for()
    assert page.locator("html").get_attribute("lang") == "en-GB"
    violations = checkers.axe_violations(page)
    assert [violation for violation in violations if not violation.startswith(SWAGGER_UI_MARKUP)] == []
