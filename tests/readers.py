"""The app's files read back as their readers would, with libraries other than those that wrote them:
CSV with Python's csv module, XLSX with python-calamine and the sheet's own XML, PDF with pypdf."""

import csv
import io
import re
import zipfile
from xml.etree import ElementTree

import pypdf
from python_calamine import CalamineWorkbook

BOM = b"\xef\xbb\xbf"
SHEET = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def csv_rows(content: bytes) -> list[dict]:
    """The rows of a CSV file meant for Excel: UTF-8 after a byte-order mark."""
    assert content.startswith(BOM), content[:20]
    return list(csv.DictReader(io.StringIO(content[len(BOM) :].decode("utf-8"))))


def xlsx_rows(content: bytes) -> list[list]:
    """The first sheet's cells as calamine types them: str, float, datetime.date, …"""
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


def xlsx_sheet(content: bytes) -> dict:
    """What the first sheet's XML says of its layout: column widths, the frozen pane, the filter, formulas,
    the columns with wrapped cells (0 for A), the rows with bold cells and the hyperlinks (cell → address)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        # The app's own output, read in a test: not untrusted.
        sheet = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))  # noqa: S314
        relationships = ElementTree.fromstring(archive.read("xl/worksheets/_rels/sheet1.xml.rels"))  # noqa: S314
        styles = ElementTree.fromstring(archive.read("xl/styles.xml"))  # noqa: S314
    fonts = styles.findall("m:fonts/m:font", SHEET)
    formats = styles.findall("m:cellXfs/m:xf", SHEET)

    def bold(cell) -> bool:
        font = fonts[int(formats[int(cell.get("s", 0))].get("fontId", 0))]
        return font.find("m:b", SHEET) is not None

    def wrapped(cell) -> bool:
        alignment = formats[int(cell.get("s", 0))].find("m:alignment", SHEET)
        return alignment is not None and alignment.get("wrapText") in ("1", "true")

    def column(cell) -> int:
        letters = re.sub(r"[0-9]+", "", cell.get("r"))
        return sum((ord(c) - 64) * 26**n for n, c in enumerate(reversed(letters))) - 1

    targets = {rel.get("Id"): rel.get("Target") for rel in relationships}
    pane = sheet.find("m:sheetViews/m:sheetView/m:pane", SHEET)
    autofilter = sheet.find("m:autoFilter", SHEET)
    return {
        "widths": [float(col.get("width")) for col in sheet.iterfind("m:cols/m:col", SHEET)],
        "pane": dict(pane.attrib) if pane is not None else None,
        "autofilter": autofilter.get("ref") if autofilter is not None else None,
        "formulas": [f.text for f in sheet.iterfind(".//m:f", SHEET)],
        "wrapped_columns": sorted({column(c) for c in sheet.iterfind(".//m:c", SHEET) if wrapped(c)}),
        "bold_rows": sorted(
            {int(re.sub(r"[A-Z]+", "", c.get("r"))) for c in sheet.iterfind(".//m:c", SHEET) if bold(c)}
        ),
        "hyperlinks": {
            link.get("ref"): targets[link.get(RELATIONSHIP)]
            for link in sheet.iterfind("m:hyperlinks/m:hyperlink", SHEET)
        },
    }


def pdf_pages(content: bytes) -> list[str]:
    """The text of each page, with runs of white space as one space (cells wrap their text)."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    return [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]


def pdf_reader(content: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(content))
