"""The files people take away: the brief as Word, PDF and CSV, the list as XLSX and CSV. Each is read back with
a reader other than the library that wrote it (LibreOffice for Word and XLSX, pypdf for PDF, python-calamine and
the sheet's XML for XLSX, the csv module for CSV), asserting what a person opening it would see; python-docx
reads the Word document's parts (header, footer fields, properties) as Word stores them."""

import csv
import datetime
import io
import logging
import re
import zipfile
from urllib.parse import quote

import pytest
from django.urls import get_resolver, reverse
from docx import Document
from docx.oxml.ns import qn

from commitments.brief import RESTRICTED_MARKING, brief_lines, build_brief
from commitments.documents import COLUMN_WIDTHS_MM, Paper, print_layout
from commitments.exports import HEADINGS
from commitments.models import BriefSnapshot, Commitment
from tests.browser.checkers import nu_errors
from tests.commitments.conftest import DEMO_DAY
from tests.factories import CommitmentFactory, MeetingFactory
from tests.office import CSV_AS_SHOWN, convert
from tests.readers import csv_rows, pdf_pages, pdf_reader, xlsx_rows, xlsx_sheet

pytestmark = pytest.mark.usefixtures("on_the_demo_day")

RUNNING_HEAD = (
    "India–Uzbekistan Joint Working Group on Counter Terrorism · 10th meeting · Brief — position as of 28 November 2026"
)
TITLE = "Brief for the 10th meeting of the India–Uzbekistan Joint Working Group on Counter Terrorism"
A4_MM = (210, 297)
A4_POINTS = (595.28, 841.89)


def download(client, tenth, extension: str, query: str = ""):
    response = client.get(reverse("meetings:brief-download", args=[tenth.pk, extension]) + query)
    assert response.status_code == 200, response.status_code
    return response


def word(content: bytes):
    return Document(io.BytesIO(content))


def paragraphs(part) -> list[str]:
    return [paragraph.text for paragraph in part.paragraphs]


def fields(paragraph) -> list[str]:
    return [instruction.strip() for instruction in paragraph._p.xpath(".//w:fldSimple/@w:instr")]


def restricted_commitment(tenth, owner):
    ninth = tenth.group.meetings.get(number=9)
    return CommitmentFactory(meeting=ninth, owner=owner, restricted=True, title="Exchange of watch lists")


# --- Word ------------------------------------------------------------------------------------------------


def test_the_word_brief_is_a4_with_running_head_page_numbers_and_properties(demo, client):
    users, tenth = demo
    client.force_login(users["member"])
    document = word(download(client, tenth, "docx").content)

    [section] = document.sections
    assert (round(section.page_width.mm), round(section.page_height.mm)) == A4_MM
    assert 15 <= section.left_margin.mm <= 25 and 15 <= section.top_margin.mm <= 25
    assert paragraphs(section.header) == [RUNNING_HEAD]  # nothing restricted, no marking set: no marking
    [footer] = section.footer.paragraphs
    assert footer.text == "Page  of "  # the numbers are fields, filled in by the reader as it lays out pages
    assert fields(footer) == ["PAGE", "NUMPAGES"]

    properties = document.core_properties
    assert properties.title == TITLE
    assert properties.author == properties.last_modified_by == "Rohan Das"  # who downloaded it
    assert abs(properties.created - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(minutes=1)
    language = document.styles.element.find(qn("w:docDefaults")).find(f".//{qn('w:lang')}")
    assert language.get(qn("w:val")) == "en-GB"


def test_each_category_is_a_table_whose_name_and_header_repeat_and_whose_rows_do_not_split(demo, client):
    users, tenth = demo
    client.force_login(users["member"])
    document = word(download(client, tenth, "docx").content)
    brief = build_brief(tenth, DEMO_DAY)
    assert len(document.tables) == len(brief["sections"])
    for table, section in zip(document.tables, brief["sections"], strict=True):
        named, header = table.rows[:2]
        assert named.cells[0].text == section["category"]  # one cell across the table, a heading
        assert named.cells[0].paragraphs[0].style.name == "Heading 1"
        assert named._tr.trPr.find(qn("w:tblHeader")) is not None
        assert [cell.text for cell in header.cells] == [
            "Commitment",
            "Owner / Lead agency / Counterpart",
            "Status",
            "Latest update",
            "Since the previous meeting",
        ]
        assert header._tr.trPr.find(qn("w:tblHeader")) is not None
        assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in table.rows)
    cells = {row.cells[0].text.split("\n")[0]: row.cells for table in document.tables for row in table.rows[2:]}
    intelligence = cells["Share intelligence on terrorist groups and their movements"]
    assert intelligence[1].text.split("\n") == [
        "Owner: Arjun Mehta",
        "Lead agency: Ministry of External Affairs (CT Division)",
        "Counterpart: Ministry of Foreign Affairs of Uzbekistan",
    ]
    assert intelligence[2].text == "In progress\nFollow-up 18 November 2026"
    training = cells["Exchange best practices in countering radicalization and extremist propaganda"]
    assert training[1].text.split("\n") == [
        "Owner: No owner",
        "Lead agency: —",
        "Counterpart: Ministry of Foreign Affairs of Uzbekistan",
    ]


def test_a_frozen_brief_says_so_on_its_first_page(demo, client):
    users, tenth = demo
    client.force_login(users["coordinator"])
    client.post(reverse("meetings:brief-freeze", args=[tenth.pk]))
    client.force_login(users["member"])
    frozen = "Frozen on 28 November 2026 by Meera Krishnan."
    document = word(download(client, tenth, "docx").content)
    before_the_first_table = paragraphs(document)[: paragraphs(document).index("Totals")]
    assert frozen in before_the_first_table
    assert frozen in pdf_pages(download(client, tenth, "pdf").content)[0]
    live = word(download(client, tenth, "docx", "?live=1").content)
    assert not any(text.startswith("Frozen on") for text in paragraphs(live))


def test_the_marking_set_for_the_installation_heads_and_foots_every_page(demo, client, settings):
    settings.BRIEF_MARKING = "RESTRICTED"
    users, tenth = demo
    client.force_login(users["member"])
    [section] = word(download(client, tenth, "docx").content).sections
    assert paragraphs(section.header) == ["RESTRICTED", RUNNING_HEAD]
    assert paragraphs(section.footer) == ["Page  of ", "RESTRICTED"]
    assert all(run.bold for run in section.header.paragraphs[0].runs)
    for page in pdf_pages(download(client, tenth, "pdf").content):
        assert page.count("RESTRICTED") == 2, page
    assert "RESTRICTED" in client.get(reverse("meetings:brief", args=[tenth.pk])).content.decode()


def test_a_brief_with_restricted_commitments_is_marked_even_with_no_marking_set(demo, client):
    users, tenth = demo
    restricted_commitment(tenth, users["owner"])
    client.force_login(users["coordinator"])  # reads the restricted commitment
    [section] = word(download(client, tenth, "docx").content).sections
    assert paragraphs(section.header) == [RESTRICTED_MARKING, RUNNING_HEAD]
    assert paragraphs(section.footer)[-1] == RESTRICTED_MARKING
    assert all(RESTRICTED_MARKING in page for page in pdf_pages(download(client, tenth, "pdf").content))
    client.force_login(users["member"])  # whose copy does not have it
    [section] = word(download(client, tenth, "docx").content).sections
    assert paragraphs(section.header) == [RUNNING_HEAD]
    assert not any(RESTRICTED_MARKING in page for page in pdf_pages(download(client, tenth, "pdf").content))


def test_the_word_brief_laid_out_by_libreoffice_is_a4_numbered_and_repeats_its_table_header(demo, client, settings):
    settings.BRIEF_MARKING = "RESTRICTED"
    users, tenth = demo
    more_lines(tenth, users["owner"])
    client.force_login(users["member"])
    content = convert(download(client, tenth, "docx").content, "docx", "pdf")
    reader = pdf_reader(content)
    assert len(reader.pages) >= 3
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    pages = pdf_pages(content)
    assert TITLE in pages[0]
    for number, page in enumerate(pages, start=1):
        assert page.startswith(f"RESTRICTED {RUNNING_HEAD}"), page[:200]
        assert page.endswith(f"Page {number} of {len(pages)} RESTRICTED"), page[-200:]
    continued = [page for page in pages[1:] if "Training course number" in page]
    assert continued and all("Owner / Lead agency / Counterpart" in page for page in continued)
    category = Commitment.objects.get(title="Training course number 0").category.name
    assert all(f"{RUNNING_HEAD} {category} Commitment Owner" in page for page in continued)  # named on each page
    text = " ".join(pages)
    assert all(f"Training course number {n} " in text for n in range(60))


def more_lines(tenth, owner, count: int = 60) -> None:
    """Enough commitments agreed in Tashkent for a category's table to run over several pages."""
    ninth = tenth.group.meetings.get(number=9)
    for n in range(count):
        CommitmentFactory(meeting=ninth, owner=owner, title=f"Training course number {n}")


# --- PDF -------------------------------------------------------------------------------------------------


def test_the_pdf_brief_is_a4_with_head_foot_page_numbers_and_every_line(demo, client, caplog):
    users, tenth = demo
    client.force_login(users["member"])
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        response = download(client, tenth, "pdf")
    assert [
        r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")
    ] == []  # all understood, nothing fetched
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="brief-india-uzbekistan-jwg-ct-10.pdf"'
    reader = pdf_reader(response.content)
    assert reader.pages
    for page in reader.pages:
        assert (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2)) == A4_POINTS
    pages = pdf_pages(response.content)
    assert TITLE in pages[0]
    for number, page in enumerate(pages, start=1):
        assert RUNNING_HEAD in page
        assert f"Page {number} of {len(pages)}" in page
    text = " ".join(pages)
    for line in brief_lines(build_brief(tenth, DEMO_DAY)):
        assert line["title"] in text
    assert "Owner: Arjun Mehta Lead agency: Ministry of External Affairs (CT Division)" in text
    assert reader.metadata.title == TITLE
    assert reader.metadata.author == "Rohan Das"
    assert reader.metadata.creation_date.year == 2026


def test_a_long_brief_runs_over_pages_with_its_category_and_table_header_on_each(demo, client):
    users, tenth = demo
    more_lines(tenth, users["owner"])
    client.force_login(users["member"])
    pages = pdf_pages(download(client, tenth, "pdf").content)
    assert len(pages) >= 4
    continued = [page for page in pages[1:] if "Training course number" in page]
    assert continued
    assert all("Owner / Lead agency / Counterpart" in page for page in continued)
    # The text of a page starts with the table it goes on with: its category first, then the header.
    assert [page[:80] for page in continued if page.startswith("Commitment Owner / Lead agency")] == []
    text = " ".join(pages)
    assert all(f"Training course number {n} " in text for n in range(60))  # no row lost, none cut


def test_every_download_of_the_brief_is_refused_to_those_who_may_not_read_it(demo, client):
    """Every format the download URL takes (read from the URLconf), for every persona, answers as the page."""
    users, tenth = demo
    extensions = re.search(r"\(\?P<extension>([^)]*)\)", download_pattern()).group(1).split("|")
    assert {"docx", "pdf", "csv"} <= set(extensions)
    for extension in extensions:
        url = reverse("meetings:brief-download", args=[tenth.pk, extension])
        client.logout()
        assert client.get(url).status_code == 302
        client.force_login(users["outsider"])
        assert client.get(url).status_code == 404
        client.force_login(users["member"])
        assert client.get(url).status_code == 200


def download_pattern() -> str:
    resolver = get_resolver()
    for pattern in resolver.url_patterns:
        for name, regex in walk(pattern, ""):
            if name == "brief-download":
                return regex
    raise AssertionError("no brief-download URL")


def walk(pattern, prefix):
    if hasattr(pattern, "url_patterns"):
        for inner in pattern.url_patterns:
            yield from walk(inner, prefix + str(pattern.pattern))
    else:
        yield pattern.name, prefix + str(pattern.pattern)


def test_a_pdf_download_is_logged_and_a_frozen_one_shows_the_frozen_lines(demo, client, caplog):
    users, tenth = demo
    client.force_login(users["coordinator"])
    client.post(reverse("meetings:brief-freeze", args=[tenth.pk]))
    research = Commitment.objects.get(title__startswith="Launch joint research")
    research.post_progress(author=users["owner"], text="Terms of reference agreed.")
    with caplog.at_level(logging.INFO, logger="security"):
        response = download(client, tenth, "pdf")
    assert "brief-india-uzbekistan-jwg-ct-10-frozen.pdf" in response["Content-Disposition"]
    assert "Terms of reference agreed." not in " ".join(pdf_pages(response.content))
    assert "Terms of reference agreed." in " ".join(pdf_pages(download(client, tenth, "pdf", "?live=1").content))
    assert any("brief download" in record.getMessage() for record in caplog.records)
    assert BriefSnapshot.objects.count() == 1


# --- CSV -------------------------------------------------------------------------------------------------


def test_the_brief_csv_opens_in_excel_as_utf8_with_iso_dates(demo, client):
    users, tenth = demo
    client.force_login(users["member"])
    rows = {row["Commitment"]: row for row in csv_rows(download(client, tenth, "csv").content)}
    intelligence = rows["Share intelligence on terrorist groups and their movements"]
    assert intelligence["Follow-up date"] == "2026-11-18"
    assert intelligence["Update date"] == "2026-11-28"
    assert rows["Exchange assessments of the regional terrorist threat"]["Follow-up date"] == "2020-01-15"
    assert {row["Category"] for row in rows.values()} >= {"Information sharing"}


def test_a_brief_frozen_before_lines_kept_iso_dates_still_gives_iso_dates(demo, client):
    users, tenth = demo
    data = build_brief(tenth, DEMO_DAY)
    for section in data["sections"]:
        for line in section["lines"]:
            del line["follow_up_iso"], line["latest_update_iso"]
    BriefSnapshot.objects.create(meeting=tenth, data=data, frozen_by=users["coordinator"])
    client.force_login(users["member"])
    rows = {row["Commitment"]: row for row in csv_rows(download(client, tenth, "csv").content)}
    intelligence = rows["Share intelligence on terrorist groups and their movements"]
    assert (intelligence["Follow-up date"], intelligence["Update date"]) == ("2026-11-18", "2026-11-28")


def test_the_list_csv_has_the_xlsx_columns_a_bom_and_iso_dates(demo, client):
    users, _ = demo
    client.force_login(users["member"])
    response = client.get(reverse("commitments:export", args=["csv"]))
    rows = {row["Commitment"]: row for row in csv_rows(response.content)}
    assert list(next(iter(rows.values()))) == HEADINGS
    assert xlsx_rows(client.get(reverse("commitments:export", args=["xlsx"])).content)[0] == HEADINGS
    intelligence = rows["Share intelligence on terrorist groups and their movements"]
    assert (intelligence["Follow-up date"], intelligence["Latest update date"]) == ("2026-11-18", "2026-11-28")
    assert intelligence["Latest update"] == "Points of contact designated on both sides; first exchange held."
    assert intelligence["Working group"] == "India–Uzbekistan JWG-CT"


# --- XLSX ------------------------------------------------------------------------------------------------


def test_the_xlsx_export_has_typed_dates_a_frozen_filtered_header_widths_and_links(demo, client, settings):
    settings.SITE_URL = "https://commitments.intranet.example"
    users, _ = demo
    client.force_login(users["member"])
    content = client.get(reverse("commitments:export", args=["xlsx"])).content
    header, *rows = xlsx_rows(content)
    by_title = {row[HEADINGS.index("Commitment")]: dict(zip(header, row, strict=True)) for row in rows}
    intelligence = by_title["Share intelligence on terrorist groups and their movements"]
    assert intelligence["Follow-up date"] == datetime.date(2026, 11, 18)  # a date cell, not text
    assert intelligence["Latest update date"] == datetime.date(2026, 11, 28)
    assert intelligence["Description"] == Commitment.objects.get(title=intelligence["Commitment"]).description

    shown = csv.DictReader(io.StringIO(convert(content, "xlsx", CSV_AS_SHOWN).decode()))
    shown = {row["Commitment"]: row for row in shown}
    assert shown[intelligence["Commitment"]]["Follow-up date"] == "2026-11-18"  # as LibreOffice shows the date cell

    sheet = xlsx_sheet(content)
    assert sheet["bold_rows"] == [1]
    assert sheet["pane"] == {"ySplit": "1", "topLeftCell": "A2", "activePane": "bottomLeft", "state": "frozen"}
    last_column = chr(ord("A") + len(HEADINGS) - 1)
    assert sheet["autofilter"] == f"A1:{last_column}{len(rows) + 1}"
    widths = dict(zip(HEADINGS, sheet["widths"], strict=True))
    assert all(widths[heading] >= len(heading) for heading in HEADINGS)
    assert widths["Commitment"] > 40 and widths["Follow-up date"] >= 10
    link = HEADINGS.index("Link")
    assert len(sheet["hyperlinks"]) == len(rows)
    for number, row in enumerate(rows, start=2):
        assert sheet["hyperlinks"][f"{last_column}{number}"] == row[link]
        assert row[link].startswith("https://commitments.intranet.example/commitments/")


def test_text_that_looks_like_a_formula_is_a_plain_text_cell_in_the_xlsx(meeting, owner, client):
    titles = ['=HYPERLINK("http://evil","x")', "+1+2", "-3", "@SUM(A1)"]
    for title in titles:
        CommitmentFactory(meeting=meeting, owner=owner, title=title)
    client.force_login(owner)
    content = client.get(reverse("commitments:export", args=["xlsx"])).content
    rows = xlsx_rows(content)[1:]
    assert sorted(row[HEADINGS.index("Commitment")] for row in rows) == sorted(titles)  # as typed, no "'"
    assert xlsx_sheet(content)["formulas"] == []
    in_libreoffice = convert(content, "xlsx", CSV_AS_SHOWN).decode()
    assert sorted(row["Commitment"] for row in csv.DictReader(io.StringIO(in_libreoffice))) == sorted(titles)
    csv_titles = {
        row["Commitment"] for row in csv_rows(client.get(reverse("commitments:export", args=["csv"])).content)
    }
    assert csv_titles == {"'" + title for title in titles}  # a CSV has no types: the quote keeps it from running


# --- Text as typed or pasted -------------------------------------------------------------------------


def test_text_pasted_with_control_characters_downloads_in_every_format(demo, client):
    """A title pasted from Word carries its line break as a vertical tab (U+000B), which no XML document may
    hold: the files show it as a line break and drop other control characters, instead of failing. A direction
    override ("\u202egnp.exe" reading "exe.png") and a line separator are left out too."""
    users, tenth = demo
    ninth = tenth.group.meetings.get(number=9)
    CommitmentFactory(
        meeting=ninth, owner=users["owner"], title="Joint patrols\x0bin the border areas\x01", description="a\x0cb"
    )
    client.force_login(users["member"])
    cells = [row.cells[0].text for table in word(download(client, tenth, "docx").content).tables for row in table.rows]
    assert "Joint patrols\nin the border areas" in cells
    assert "Joint patrols in the border areas" in " ".join(pdf_pages(download(client, tenth, "pdf").content))
    assert "Joint patrols\nin the border areas" in {
        row["Commitment"] for row in csv_rows(download(client, tenth, "csv").content)
    }  # the same rule in a CSV file: a spreadsheet shows a line break, a terminal no escape sequence
    export = client.get(reverse("commitments:export", args=["xlsx"]))
    assert export.status_code == 200
    by_title = {row[HEADINGS.index("Commitment")]: row for row in xlsx_rows(export.content)}
    assert by_title["Joint patrols\nin the border areas"][HEADINGS.index("Description")] == "a\nb"
    assert b"\x1b" not in client.get(reverse("commitments:export", args=["csv"])).content


def test_a_direction_override_does_not_turn_text_around_in_any_file(demo, client):
    users, tenth = demo
    ninth = tenth.group.meetings.get(number=9)
    CommitmentFactory(meeting=ninth, owner=users["owner"], title="Report \u202egnp.exe", lead_agency="A\u2028B")
    client.force_login(users["member"])
    cells = [row.cells[0].text for table in word(download(client, tenth, "docx").content).tables for row in table.rows]
    assert "Report gnp.exe" in cells
    assert "Report gnp.exe" in " ".join(pdf_pages(download(client, tenth, "pdf").content))
    assert "Report gnp.exe" in {row["Commitment"] for row in csv_rows(download(client, tenth, "csv").content)}
    rows = xlsx_rows(client.get(reverse("commitments:export", args=["xlsx"])).content)
    assert ["Report gnp.exe", "A\nB"] in [
        [row[HEADINGS.index("Commitment")], row[HEADINGS.index("Lead agency")]] for row in rows
    ]


def test_the_print_layout_is_valid_html(demo, tmp_path, settings):
    """Its HTML by the Nu checker; its stylesheet is WeasyPrint's to judge (no warning: the PDF test above), as
    the checker's CSS validator knows nothing of running headers and footers (CSS Paged Media)."""
    settings.BRIEF_MARKING = "RESTRICTED"
    users, tenth = demo
    brief = build_brief(tenth, DEMO_DAY)
    layout = tmp_path / "brief-print.html"
    html = print_layout(Paper.of(brief, users["member"]))
    layout.write_text(re.sub(r"<style>.*?</style>", "<style></style>", html, flags=re.DOTALL))
    assert nu_errors({layout: "the brief's print layout"}) == []


# --- As an outside reader found them ---------------------------------------------------------------------


def test_a_commitment_restricted_after_the_freeze_marks_the_frozen_copies_of_those_who_may_read_it(demo, client):
    """The frozen brief recorded the commitment open; restricted since, it is need-to-know now: the copies of its
    owner (who may still read it) are marked and tag it, on the page and in every file."""
    users, tenth = demo
    client.force_login(users["coordinator"])
    client.post(reverse("meetings:brief-freeze", args=[tenth.pk]))
    training = Commitment.objects.get(title__startswith="Organise joint training")
    training.restricted = True
    training.save_versioned(training.version, user=users["coordinator"])
    client.force_login(users["owner2"])  # its owner
    [section] = word(download(client, tenth, "docx").content).sections
    assert paragraphs(section.header)[0] == RESTRICTED_MARKING
    assert all(RESTRICTED_MARKING in page for page in pdf_pages(download(client, tenth, "pdf").content))
    assert f"[Restricted] {training.title}" in " ".join(pdf_pages(download(client, tenth, "pdf").content))
    rows = {row["Commitment"]: row for row in csv_rows(download(client, tenth, "csv").content)}
    assert rows[training.title]["Restricted"] == "yes"
    assert RESTRICTED_MARKING in client.get(reverse("meetings:brief", args=[tenth.pk])).content.decode()
    differences = client.get(reverse("meetings:brief", args=[tenth.pk])).context["differences"]
    assert any(d["title"] == training.title for d in differences)  # and the page still lists the change


def test_hindi_prints_in_the_pdf_with_a_font_that_has_it(demo, client):
    users, tenth = demo
    ninth = tenth.group.meetings.get(number=9)
    CommitmentFactory(meeting=ninth, owner=users["owner"], title="Training", lead_agency="गृह मंत्रालय (आंतरिक सुरक्षा)")
    client.force_login(users["member"])
    reader = pdf_reader(download(client, tenth, "pdf").content)
    fonts = {str(font["/BaseFont"]) for page in reader.pages for font in page["/Resources"]["/Font"].values()}
    assert any("Devanagari" in font for font in fonts), fonts


def test_the_word_tables_keep_their_column_widths_and_the_footer_one_size(demo, client):
    users, tenth = demo
    client.force_login(users["member"])
    document = word(download(client, tenth, "docx").content)
    for table in document.tables:
        grid = [int(col.get(qn("w:w"))) for col in table._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert [round(width / 56.7) for width in grid] == COLUMN_WIDTHS_MM  # twips to millimetres
    [footer] = document.sections[0].footer.paragraphs
    sizes = {size.get(qn("w:val")) for size in footer._p.iter(qn("w:sz"))}
    runs = len(footer._p.findall(f".//{qn('w:r')}"))
    assert sizes == {"16"} and len(list(footer._p.iter(qn("w:sz")))) == runs  # every run 8 pt, the numbers too


def test_the_word_and_xlsx_files_say_nothing_untrue_about_themselves(demo, client):
    users, tenth = demo
    client.force_login(users["member"])
    with zipfile.ZipFile(io.BytesIO(download(client, tenth, "docx").content)) as archive:
        names = archive.namelist()
        application = archive.read("docProps/app.xml").decode()
    assert not [name for name in names if "thumbnail" in name]
    assert "Microsoft" not in application and "Normal.dotm" not in application
    with zipfile.ZipFile(io.BytesIO(client.get(reverse("commitments:export", args=["xlsx"])).content)) as archive:
        core = archive.read("docProps/core.xml").decode()
    assert re.search(r"<dc:creator[^>]*>Rohan Das</dc:creator>", core), core
    assert re.search(r"<dc:title[^>]*>Commitments</dc:title>", core), core


def test_long_and_multi_line_text_wraps_in_the_xlsx(meeting, owner, client):
    CommitmentFactory(meeting=meeting, owner=owner, title="First line\nsecond line", description="x " * 200)
    client.force_login(owner)
    content = client.get(reverse("commitments:export", args=["xlsx"])).content
    wrapped = xlsx_sheet(content)["wrapped_columns"]
    assert {"Commitment", "Description", "Latest update"} <= {HEADINGS[column] for column in wrapped}


def test_a_line_without_an_update_says_so_in_words(demo, client):
    users, tenth = demo
    client.force_login(users["member"])
    text = " ".join(pdf_pages(download(client, tenth, "pdf").content))
    cells = [row.cells[3].text for table in word(download(client, tenth, "docx").content).tables for row in table.rows]
    assert "None" not in cells and " None " not in text
    assert "No update yet" in cells and "No update yet" in text


def test_the_export_file_name_says_the_filter_in_words(demo, client):
    users, _ = demo
    client.force_login(users["member"])
    category = Commitment.objects.get(title__startswith="Share intelligence").category
    response = client.get(
        reverse("commitments:export", args=["xlsx"]) + f"?q=Узбекистан&category={category.pk}&owner=mine"
    )
    name = "commitments_category-information-sharing_owner-mine_q-узбекистан_2026-11-28.xlsx"
    assert response["Content-Disposition"] == (
        'attachment; filename="commitments_category-information-sharing_owner-mine_q_2026-11-28.xlsx"; '
        f"filename*=utf-8''{quote(name)}"
    )
    owner = users["owner"]
    response = client.get(reverse("commitments:export", args=["csv"]) + f"?owner={owner.pk}")
    assert response["Content-Disposition"] == 'attachment; filename="commitments_owner-arjun-mehta_2026-11-28.csv"'


def test_line_breaks_typed_in_an_update_are_kept_in_the_pdf_and_on_the_page(demo, client):
    users, tenth = demo
    research = Commitment.objects.get(title__startswith="Launch joint research")
    research.post_progress(author=users["owner"], text="Alpha\r\nBeta")
    client.force_login(users["member"])
    raw = "\n".join(page.extract_text() for page in pdf_reader(download(client, tenth, "pdf").content).pages)
    assert "Alpha\nBeta" in raw and "Alpha Beta" not in raw
    page = client.get(reverse("meetings:brief", args=[tenth.pk])).content.decode()
    assert "Alpha<br>Beta" in page
    cells = [row.cells[3].text for table in word(download(client, tenth, "docx").content).tables for row in table.rows]
    assert any(cell.endswith("Alpha\nBeta") for cell in cells)  # a CRLF is one line break, not two


def test_the_export_file_name_keeps_every_script_whole_and_offers_an_ascii_name_beside(demo, client):
    users, tenth = demo
    client.force_login(users["member"])
    response = client.get(reverse("commitments:export", args=["csv"]) + f"?group={tenth.group_id}&q=गृह मंत्रालय")
    name = "commitments_group-india-uzbekistan-jwg-ct_q-गृह-मंत्रालय_2026-11-28.csv"
    assert response["Content-Disposition"] == (
        'attachment; filename="commitments_group-india-uzbekistan-jwg-ct_q_2026-11-28.csv"; '
        f"filename*=utf-8''{quote(name)}"
    )


def test_a_brief_with_nothing_to_report_says_so_in_every_file(group, coordinator, client):
    """A first meeting: nothing agreed before it."""
    first = MeetingFactory(group=group, number=1, status="planned", start_date=None, end_date=None)
    client.force_login(coordinator)
    pages = pdf_pages(download(client, first, "pdf").content)
    assert len(pages) == 1 and "No commitments to report." in pages[0] and "Page 1 of 1" in pages[0]
    document = word(download(client, first, "docx").content)
    assert document.tables == [] and paragraphs(document)[-1] == "No commitments to report."
    assert csv_rows(download(client, first, "csv").content) == []


def test_a_brief_of_one_commitment_counts_it_as_one_and_the_page_says_there_is_no_update(group, coordinator, client):
    first = MeetingFactory(group=group, number=1, start_date=datetime.date(2026, 1, 5), end_date=None, status="held")
    second = MeetingFactory(group=group, number=2, status="planned", start_date=None, end_date=None)
    CommitmentFactory(meeting=first, owner=coordinator, title="The only one")
    client.force_login(coordinator)
    assert "1 commitment. By status" in " ".join(paragraphs(word(download(client, second, "docx").content)))
    assert "1 commitment. By status" in pdf_pages(download(client, second, "pdf").content)[0]
    page = client.get(reverse("meetings:brief", args=[second.pk])).content.decode()
    assert ">No update yet<" in page and ">None<" not in page
