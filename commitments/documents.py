"""The brief on paper: a Word document (python-docx) and a PDF (WeasyPrint, from the brief's print layout).

Both are A4, with the same running head, protective marking, "Page X of Y", title, author and creation time
(`Paper`), and one table per category whose header row repeats on every page and whose rows never split.
"""

import datetime
import io
from dataclasses import dataclass
from functools import cache

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone

from commitments.brief import NO_UPDATE, NOTHING_TO_REPORT, attached, brief_title, marking, where_and_when
from config.display import counted, file_text, person
from meetings.dates import spell_date

COLUMNS = ["Commitment", "Owner / Lead agency / Counterpart", "Status", "Latest update", "Since the previous meeting"]
COLUMN_WIDTHS_MM = [48, 42, 23, 37, 24]  # 174 mm: A4 less the margins
MARGINS_MM = (20, 18, 20, 18)  # top, right, bottom, left
FOOTER_POINTS = 8
APPLICATION_PROPERTIES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    b"<Application>Commitments tracker</Application></Properties>"
)


@dataclass(frozen=True)
class Paper:
    """A copy of a brief as both documents print it: its lines with their text as a file can hold it, and what
    it says besides them (title, running head, marking, opening sentences, totals), whether it is a frozen
    version, and who downloaded it when (the document's author and creation time)."""

    brief: dict
    title: str
    running_head: str
    marking: str
    opening: tuple[str, ...]
    frozen: str
    totals: str
    author: str
    created: datetime.datetime

    @classmethod
    def of(cls, brief: dict, reader, snapshot=None) -> "Paper":
        brief = printable(brief)
        meeting, previous = brief["meeting"], brief["previous"]
        opening = [f"{where_and_when(meeting)}. Position as of {brief['as_of']}."]
        if previous:
            opening.append(
                f"Covers the commitments agreed at the {previous['title']} ({previous['place']}, "
                f"{previous['dates']}) and those still open when it began."
            )
        frozen = ""
        if snapshot:
            frozen = f"Frozen on {spell_date(timezone.localdate(snapshot.frozen_at))} by {person(snapshot.frozen_by)}."
        by_status = ", ".join(f"{label} {count}" for label, count in brief["by_status"])
        by_category = ", ".join(f"{name} {count}" for name, count in brief["by_category"]) or "none"
        return cls(
            brief=brief,
            title=brief_title(brief),
            running_head=f"{meeting['group']} · {meeting['title']} · Brief — position as of {brief['as_of']}",
            marking=marking(brief),
            opening=tuple(opening),
            frozen=frozen,
            totals=f"{counted(brief['total'], 'commitment')}. By status: {by_status}. By category: {by_category}.",
            author=person(reader),
            created=timezone.now(),
        )


def printable(value):
    """The brief with its text as a document can hold it (`file_text`): what was typed or pasted may not be."""
    if isinstance(value, str):
        return file_text(value)
    if isinstance(value, dict):
        return {key: printable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [printable(item) for item in value]
    return value


def owner_lines(line: dict) -> list[tuple[str, str]]:
    """The labelled "who" of a line, as both documents print it."""
    return [
        ("Owner", line["owner"] or "No owner"),
        ("Lead agency", line["lead_agency"] or "—"),
        ("Counterpart", line["partner_counterpart"] or "—"),
    ]


# --- Word ------------------------------------------------------------------------------------------------


def brief_docx(paper: Paper) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    document = Document()
    _describe_as_ours(document)
    _set_language(document, "en-GB")
    document.styles["Normal"].font.size = Pt(10)
    document.styles["Title"].font.size = Pt(18)
    properties = document.core_properties
    properties.title, properties.subject = paper.title, "Pre-session brief"
    properties.author = properties.last_modified_by = paper.author
    properties.created = properties.modified = paper.created
    properties.revision = 1
    properties.keywords, properties.comments, properties.category = "", paper.frozen, paper.marking

    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    top, right, bottom, left = (Mm(margin) for margin in MARGINS_MM)
    section.top_margin, section.right_margin, section.bottom_margin, section.left_margin = top, right, bottom, left
    section.header_distance = section.footer_distance = Mm(8)

    header = section.header.paragraphs[0]
    if paper.marking:
        _marking(header, paper.marking)
        header = section.header.add_paragraph()
    header.add_run(paper.running_head).font.size = Pt(8)
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text in ["Page ", "PAGE", " of ", "NUMPAGES"]:
        if text.isupper():
            _field(footer, text)
        else:
            footer.add_run(text).font.size = Pt(FOOTER_POINTS)
    if paper.marking:
        _marking(section.footer.add_paragraph(), paper.marking)

    document.add_heading(paper.title, level=0)
    document.add_paragraph(paper.opening[0])
    if paper.frozen:
        document.add_paragraph().add_run(paper.frozen).bold = True
    for sentence in paper.opening[1:]:
        document.add_paragraph(sentence)
    document.add_heading("Totals", level=1)
    document.add_paragraph(paper.totals)
    for section_ in paper.brief["sections"]:
        _table(document, section_["category"], section_["lines"])
    if not paper.brief["sections"]:
        document.add_paragraph(NOTHING_TO_REPORT)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _table(document, category: str, lines: list[dict]) -> None:
    """A category's table. Its first two rows, the category (a heading, in the navigation pane) and the column
    headings, repeat at the top of every page it runs over."""
    from docx.shared import Mm, Pt

    table = document.add_table(rows=2, cols=len(COLUMNS))
    table.style = "Table Grid"
    table.autofit = False
    for column, width in zip(table.columns, COLUMN_WIDTHS_MM, strict=True):
        column.width = Mm(width)  # the table's grid, which readers lay out by
    named, headings = table.rows
    for row in (named, headings):
        _row_properties(row, "w:tblHeader", "w:cantSplit")
    title = named.cells[0].merge(named.cells[-1])
    title.paragraphs[0].style = document.styles["Heading 1"]
    title.paragraphs[0].add_run(category)
    for cell, text in zip(headings.cells, COLUMNS, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
        _shade(cell, "D9E2F3")
    for line in lines:
        row = table.add_row()
        _row_properties(row, "w:cantSplit")
        title, who, status, update, changes = row.cells
        title.text = ("[Restricted] " if line.get("restricted") else "") + line["title"]
        if line["paragraph"]:
            title.add_paragraph().add_run(line["paragraph"]).font.size = Pt(8)
        who.text = ""
        for n, (label, value) in enumerate(owner_lines(line)):
            paragraph = who.paragraphs[0] if n == 0 else who.add_paragraph()
            paragraph.add_run(f"{label}: ").bold = True
            paragraph.add_run(value)
        status.text = line["status_label"]
        if line["follow_up"]:
            status.add_paragraph(f"Follow-up {line['follow_up']}")
        update.text = f"{line['latest_update_date']}: {line['latest_update']}" if line["latest_update"] else NO_UPDATE
        if line["latest_update"] and line["latest_update_source"]:
            update.add_paragraph().add_run(f"Source: {line['latest_update_source']}").font.size = Pt(8)
        if attached(line):
            update.add_paragraph().add_run(f"Attached: {attached(line)}").font.size = Pt(8)
        changes.text = line["changes_text"] or "—"
    for row in table.rows:
        for cell, width in zip(row.cells, COLUMN_WIDTHS_MM, strict=True):
            cell.width = Mm(width)


def _marking(paragraph, text: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run(text).bold = True


def _field(paragraph, instruction: str) -> None:
    """A field Word and LibreOffice fill in as they lay out the pages (PAGE, NUMPAGES)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run, properties, size, text = OxmlElement("w:r"), OxmlElement("w:rPr"), OxmlElement("w:sz"), OxmlElement("w:t")
    size.set(qn("w:val"), str(FOOTER_POINTS * 2))  # in half points, as the text around it
    properties.append(size)
    text.text = "1"
    run.extend([properties, text])
    field.append(run)
    paragraph._p.append(field)


def _describe_as_ours(document) -> None:
    """The file's application properties say what made it; the template's (an application, a template, page and
    word counts of an empty document, a blank thumbnail) would say what did not."""
    from docx.opc.constants import RELATIONSHIP_TYPE

    package = document.part.package
    for relationship in list(package.rels.values()):
        if relationship.reltype == RELATIONSHIP_TYPE.THUMBNAIL:
            package.rels.pop(relationship.rId)
        elif relationship.reltype == RELATIONSHIP_TYPE.EXTENDED_PROPERTIES:
            relationship.target_part._blob = APPLICATION_PROPERTIES


def _row_properties(row, *names: str) -> None:
    """w:tblHeader: the row repeats at the top of each page; w:cantSplit: the row is never split by a page."""
    from docx.oxml import OxmlElement

    properties = row._tr.get_or_add_trPr()
    for name in names:
        properties.append(OxmlElement(name))


def _shade(cell, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _set_language(document, language: str) -> None:
    """The language every run is spelled in by default (Word's spelling check: British English)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run_defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    tag = OxmlElement("w:lang")
    tag.set(qn("w:val"), language)
    for old in run_defaults.findall(qn("w:lang")):
        run_defaults.remove(old)
    run_defaults.append(tag)


# --- PDF -------------------------------------------------------------------------------------------------


def brief_pdf(paper: Paper) -> bytes:
    """The brief's print layout laid out by WeasyPrint. It fetches nothing: its stylesheet is inlined, and any
    other address is refused."""
    from weasyprint import HTML

    return HTML(string=print_layout(paper), url_fetcher=_nothing_fetched()).write_pdf()


def print_layout(paper: Paper) -> str:
    """The brief as one HTML document for A4 (templates/commitments/brief_print.html)."""
    sections = [
        {
            **section,
            "lines": [{**line, "who": owner_lines(line), "attached": attached(line)} for line in section["lines"]],
        }
        for section in paper.brief["sections"]
    ]
    context = {"paper": paper, "sections": sections, "no_update": NO_UPDATE, "nothing": NOTHING_TO_REPORT}
    return render_to_string("commitments/brief_print.html", {**context, "css": print_css()})


@cache
def print_css() -> str:
    with open(finders.find("css/brief-print.css"), encoding="utf-8") as stylesheet:
        return stylesheet.read()


def _nothing_fetched():
    from weasyprint.urls import URLFetcher

    class NothingFetched(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"the brief's print layout fetches nothing: {url}")

    return NothingFetched()
