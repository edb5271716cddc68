"""Every page is valid HTML: the Nu HTML checker (vnu.jar, from npm) finds no error, and every reference by id
(a label's `for`, `aria-describedby` and its kin) names an element of the page, which the checker lets pass.
The pages are those of tests/browser/pages.py, as Django's test client got them, checked in one run."""

from tests.browser import checkers, pages


def test_every_page_is_valid_html(demo, tmp_path):
    files = {}
    for survey in pages.surveys():
        for page in survey.pages:
            path = tmp_path / f"{len(files):03}.html"
            path.write_text(page.html, encoding="utf-8")
            files[path] = f"{pages.persona_label(survey.persona)}, {page.name} ({page.path})"
    found = checkers.nu_errors(files)
    assert not found, f"{len(found)} HTML errors:\n" + "\n".join(found)
