"""The outside checks the browser tests run over what the app produces: the Nu HTML checker (vnu.jar), axe-core's
WCAG rules, references by id, and whether a page scrolls sideways."""

import functools
import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
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


@functools.cache
def axe_script() -> str:
    return AXE.read_text()


def axe_violations(tab) -> list[str]:
    """axe-core's WCAG 2.1 A and AA violations on the page open in this tab, each with up to NODES_SHOWN nodes.

    The site's Content-Security-Policy refuses inline scripts, so axe cannot come in a <script> tag.
    evaluate() runs it through the browser's DevTools protocol, which the policy does not govern;
    bypass_csp would switch the policy off for the whole page, and a page that the policy breaks
    (an inline script or style it refuses) would then pass here."""
    tab.evaluate(axe_script())
    found = []
    for violation in tab.evaluate(RUN_AXE, WCAG_21_A_AA):
        nodes = violation["nodes"]
        more = f"\n      … and {len(nodes) - NODES_SHOWN} more" if len(nodes) > NODES_SHOWN else ""
        found.append(
            f"{violation['rule']} ({violation['impact']}) {violation['help']}\n"
            + "".join(f"      {node}\n" for node in nodes[:NODES_SHOWN])
            + more
        )
    return found


# The widest offender: of the elements past the right edge that no scrolling box holds (a table inside
# .table-responsive scrolls there, not the page), the one that reaches furthest, and of those the outermost.
SIDEWAYS = """() => {
    const root = document.documentElement;
    if (root.scrollWidth <= root.clientWidth) return null;
    const held = (element) => {
        for (let box = element.parentElement; box && box !== root; box = box.parentElement) {
            if (getComputedStyle(box).overflowX !== "visible") return true;
        }
        return false;
    };
    let widest = null;
    for (const element of document.body.querySelectorAll("*")) {
        const right = element.getBoundingClientRect().right;
        if (right > root.clientWidth + 0.5 && !held(element) && (!widest || right > widest.right + 0.5)) {
            widest = {element, right};
        }
    }
    const describe = (element) => element.tagName.toLowerCase()
        + (element.id ? "#" + element.id : "")
        + [...element.classList].map((name) => "." + name).join("")
        + ` "${element.textContent.trim().replace(/\\s+/g, " ").slice(0, 60)}"`
        + `, ${Math.round(element.getBoundingClientRect().width)} px wide`;
    return {
        scrollWidth: root.scrollWidth,
        clientWidth: root.clientWidth,
        widest: widest ? describe(widest.element) + `, reaching ${Math.round(widest.right)} px` : "none found",
    };
}"""


ID_REFERENCES = {
    "for",
    "form",
    "list",
    "headers",
    "aria-activedescendant",
    "aria-controls",
    "aria-describedby",
    "aria-details",
    "aria-errormessage",
    "aria-flowto",
    "aria-labelledby",
    "aria-owns",
}


class References(HTMLParser):
    """The ids of a page, and its references by id that name none of them."""

    def __init__(self, html: str):
        super().__init__()
        self.ids, self.references = set(), []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id":
                self.ids.add(value)
            elif name in ID_REFERENCES and value:
                self.references += [(tag, name, target) for target in value.split()]

    def broken(self) -> list[str]:
        return [f'<{tag} {name}="{target}">' for tag, name, target in self.references if target not in self.ids]


def nu_errors(files: dict[Path, str]) -> list[str]:
    """The Nu checker's errors in these HTML files (path: where it came from), and references by id that name no
    element. One run for every file: the checker's start costs more than its checks."""
    java = shutil.which("java")
    if java is None or not VNU.exists():
        pytest.fail(f"The Nu HTML checker needs Java 11 or later (apt-get install default-jre-headless) and {VNU}.")
    found = []
    for path, where in files.items():
        found += [f"{where}: no element has the id of {broken}" for broken in References(path.read_text()).broken()]
    names = {path.name: where for path, where in files.items()}
    # It exits 1 when it finds errors, and reports on stderr.
    checked = subprocess.run(
        [java, "-jar", str(VNU), "--format", "json", "--errors-only", *map(str, sorted(files))],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    for message in json.loads(checked.stderr)["messages"]:
        where = names.get(message.get("url", "").rsplit("/", 1)[-1], message.get("url"))
        line = message.get("lastLine", "?")
        found.append(f"{where}, line {line}: {message['message']}: {message.get('extract', '')}")
    if not found:
        assert checked.returncode == 0, checked.stderr
    return found
