"""Every page is valid HTML: the Nu HTML checker (vnu.jar, from npm) finds no error, and every reference by id
(a label's `for`, `aria-describedby` and its kin) names an element of the page, which the checker lets pass.
The pages are those of tests/browser/pages.py, as Django's test client got them, checked in one run."""

import json
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from tests.browser import pages

VNU = pages.NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
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


def test_every_page_is_valid_html(demo, tmp_path):
    java = shutil.which("java")
    if java is None or not VNU.exists():
        pytest.fail(f"The Nu HTML checker needs Java 11 or later (apt-get install default-jre-headless) and {VNU}.")
    files, found = {}, []
    for survey in pages.surveys():
        for page in survey.pages:
            where = f"{pages.persona_label(survey.persona)}, {page.name} ({page.path})"
            path = tmp_path / f"{len(files):03}.html"
            path.write_text(page.html, encoding="utf-8")
            files[path.name] = where
            found += [f"{where}: no element has the id of {broken}" for broken in References(page.html).broken()]
    # One run for every page: the checker's start costs more than its checks. It exits 1 when it finds errors,
    # and reports on stderr.
    checked = subprocess.run(
        [java, "-jar", str(VNU), "--format", "json", "--errors-only", *map(str, sorted(tmp_path.glob("*.html")))],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    for message in json.loads(checked.stderr)["messages"]:
        where = files.get(message.get("url", "").rsplit("/", 1)[-1], message.get("url"))
        line = message.get("lastLine", "?")
        found.append(f"{where}, line {line}: {message['message']}: {message.get('extract', '')}")
    assert not found, f"{len(found)} HTML errors:\n" + "\n".join(found)
    assert checked.returncode == 0, checked.stderr
