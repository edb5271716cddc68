"""The documentation holds together: every relative link in README.md and docs/ leads to a file that exists,
and every #anchor to a heading of that file."""

import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def documents() -> list[Path]:
    return [BASE_DIR / "README.md", *sorted((BASE_DIR / "docs").glob("*.md"))]


def anchors(path: Path) -> set[str]:
    """The anchors of a Markdown file's headings, as GitHub makes them."""
    found = set()
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", title)))
    return found


def test_every_relative_link_in_the_documentation_resolves():
    checked, broken = 0, []
    for document in documents():
        for target in LINK.findall(document.read_text()):
            if re.match(r"[a-z]+:", target):  # http:, mailto:
                continue
            file_part, _, anchor = target.partition("#")
            path = (document.parent / file_part).resolve() if file_part else document
            checked += 1
            if not path.exists() or (anchor and anchor not in anchors(path)):
                broken.append(f"{document.relative_to(BASE_DIR)}: {target}")
    print(f"documentation: {len(documents())} files, {checked} relative links, {len(broken)} broken")
    assert checked >= 8
    assert broken == []


def test_the_readme_stays_short():
    assert len((BASE_DIR / "README.md").read_bytes()) < 8 * 1024


def test_every_variable_the_settings_read_is_in_the_configuration_table():
    """Read from the settings module's source: every `env…("NAME"`, `env_flag("NAME"`, `env_int("NAME"` is a row."""
    source = (BASE_DIR / "config" / "settings.py").read_text()
    read = set(re.findall(r'\benv(?:\.\w+|_flag|_int)?\(\s*"([A-Z][A-Z0-9_]+)"', source))
    table = (BASE_DIR / "docs" / "operations.md").read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    assert len(read) > 40
    assert sorted(read - documented) == []


def test_the_documented_file_mail_address_is_an_absolute_folder():
    """django-environ reads `filemail:///path` as a folder relative to where the process runs: four slashes."""
    import environ

    table = (BASE_DIR / "docs" / "operations.md").read_text()
    example = re.search(r"`(filemail:[^`]+)`", table)[1]
    assert environ.Env.email_url_config(example)["EMAIL_FILE_PATH"].startswith("/")
