"""Reading an uploaded spreadsheet (CSV or XLSX) into its heading row and its rows of cells, or refusing it with a
message a person can act on: not a spreadsheet, empty, too long, an encoding this app cannot be sure of, a formula
without a saved value. Formulas are never evaluated: a workbook's saved values are read."""

import csv
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field

from django.conf import settings

from commitments.exports import BOM, FORMULA_START

ZIP = b"PK\x03\x04"  # every XLSX file starts so
OLD_EXCEL = b"\xd0\xcf\x11\xe0"  # .xls: Excel 97-2003's format
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Four or more letters in a row, all of them accented Latin capitals and small letters: what Cyrillic or Greek
# text saved in its own Windows code page looks like when read as Windows-1252 ("Ìèíèñòåðñòâî").
OTHER_CODE_PAGE = re.compile(r"[\u00c0-\u00ff]{4,}")
# What the parts of a workbook may unpack to: a zip of a few megabytes can hold gigabytes of XML. 50,000 rows of
# eleven columns and 150 characters of description unpack to 41 MB.
UNPACKED_MOST = 300_000_000
SAVE_AS = "save it from the spreadsheet as “CSV UTF-8” or as an Excel workbook (.xlsx)"


class FileRefused(ValueError):
    """The file as a whole cannot be read: the message says why and what to do."""


@dataclass
class Sheet:
    """A spreadsheet's first sheet: its headings, and its rows numbered as the spreadsheet numbers them."""

    headings: list[str]
    rows: list[tuple[int, list]] = field(default_factory=list)
    name: str = ""  # a workbook's sheet
    formulas_without_value: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, column): formula


def read(data: bytes, name: str) -> Sheet:
    """The sheet in these bytes, from a file of this name; FileRefused if it cannot be read as one."""
    if not data.strip():
        raise FileRefused("The file is empty.")
    if data.startswith(ZIP):
        sheet = _workbook(data)
    elif data.startswith(OLD_EXCEL):
        raise FileRefused(f"This is an Excel 97-2003 workbook (.xls), which this app does not read: {SAVE_AS}.")
    elif name.lower().endswith((".csv", ".txt")):
        sheet = _csv(_decoded(data))
    else:
        raise FileRefused(f"{name} is not a spreadsheet this app reads: upload a CSV or an Excel workbook (.xlsx).")
    if not any(sheet.headings):
        raise FileRefused("The file has no heading row: its first row names the columns.")
    if not sheet.rows and sheet.name:
        raise FileRefused(
            f"The first sheet (“{sheet.name}”) has a heading row but no rows under it: the import reads the first "
            "sheet of a workbook."
        )
    if not sheet.rows:
        raise FileRefused("The file has a heading row but no rows under it.")
    return sheet


def _decoded(data: bytes) -> str:
    """CSV text: UTF-8 with or without its byte-order mark, or Windows-1252 (what Excel writes as "CSV")."""
    if data.startswith(UTF16_BOMS) or b"\x00" in data[:4096]:
        raise FileRefused(f"The file is in UTF-16 or is not text, which this app does not read: {SAVE_AS}.")
    try:
        return data.decode("utf-8").removeprefix(BOM)
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise FileRefused(f"The file is neither UTF-8 nor Windows-1252 text: {SAVE_AS}.") from None
    if OTHER_CODE_PAGE.search(text):
        raise FileRefused(
            f"The file is not UTF-8, and read as Windows-1252 its words come out garbled (it looks like another "
            f"code page, such as Cyrillic): {SAVE_AS}."
        )
    return text


def _csv(text: str) -> Sheet:
    first_line = text.split("\n", 1)[0]
    # Commas; semicolons, as Excel writes CSV in many European locales; tabs, as a copy from a sheet pastes.
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headings = next(reader, [])
        sheet = Sheet(headings)
        for number, cells in enumerate(reader, start=2):
            _add(sheet, number, cells)
    except csv.Error as error:
        raise FileRefused(f"Line {reader.line_num} of the file is not CSV: {error}.") from None
    return sheet


def _add(sheet: Sheet, number: int, cells) -> None:
    if not is_blank(cells):
        if len(sheet.rows) == settings.IMPORT_MAX_ROWS:
            raise FileRefused(
                f"The file has more than {settings.IMPORT_MAX_ROWS:,} rows, the most one import takes: "
                "split it into several files."
            )
        sheet.rows.append((number, list(cells)))


def is_blank(cells) -> bool:
    """Whether a row, or the rest of one, holds nothing but empty cells and spaces."""
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _workbook(data: bytes) -> Sheet:
    """The first sheet of a workbook; a file that is not one, or is a crafted one (XML entities, which openpyxl
    refuses through defusedxml), is refused."""
    try:
        return _first_sheet(data)
    except FileRefused:
        raise
    except UNREADABLE:
        raise FileRefused(f"The file is not an Excel workbook that can be read: {SAVE_AS}.") from None


# What reading a damaged or crafted workbook raises: a zip that is not one, a part missing, XML that does not
# parse (ParseError is a SyntaxError) or that declares entities (defusedxml's errors are ValueErrors).
# A part that names another one missing (a shared string, a sheet) raises IndexError or AttributeError.
UNREADABLE = (
    zipfile.BadZipFile, zlib.error, KeyError, OSError, EOFError, ValueError, TypeError, SyntaxError, IndexError,
    AttributeError,
)  # fmt: skip


def _first_sheet(data: bytes) -> Sheet:
    from openpyxl import load_workbook

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(part.file_size for part in archive.infolist()) > UNPACKED_MOST:
            raise FileRefused(
                f"The workbook unpacks to more than {UNPACKED_MOST // 1_000_000} MB, more than any spreadsheet of "
                f"{settings.IMPORT_MAX_ROWS:,} rows: it is refused."
            )

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    worksheet = workbook.worksheets[0]
    rows = worksheet.iter_rows(values_only=True)
    headings = ["" if cell is None else str(cell) for cell in next(rows, ())]
    sheet = Sheet(headings, name=worksheet.title)
    for number, cells in enumerate(rows, start=2):
        _add(sheet, number, cells)
    workbook.close()
    if _has_formulas(data):
        _find_formulas_without_value(data, sheet)
    return sheet


def _has_formulas(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = (archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets/"))
        return any(b"<f>" in part or b"<f " in part for part in parts)


def _find_formulas_without_value(data: bytes, sheet: Sheet) -> None:
    """A formula's value is read as the spreadsheet saved it; one saved without a value (written by a program
    that does not calculate) is named, as its cell reads empty."""
    from openpyxl import load_workbook

    values = dict(sheet.rows)
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    for number, cells in enumerate(workbook.worksheets[0].iter_rows(min_row=2, values_only=True), start=2):
        saved = values.get(number, [])
        for column, cell in enumerate(cells):
            if isinstance(cell, str) and cell.startswith("=") and (column >= len(saved) or saved[column] is None):
                sheet.formulas_without_value[(number, column)] = cell
    workbook.close()


# What a spreadsheet shows in a cell whose formula failed: saved as the cell's value, never a value to import.
ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!", "#CALC!"}


def cell_text(value) -> str:
    """A CSV export's protected text back as typed: "'=x" (written so that a spreadsheet does not run it) is "=x";
    an error value ("#REF!") is a ValueError."""
    if isinstance(value, str) and value.strip() in ERRORS:
        raise ValueError(f"{value.strip()} is an error the spreadsheet shows in this cell: correct it first.")
    if isinstance(value, str) and value.startswith("'") and value[1:2] and value[1] in FORMULA_START:
        return value[1:]
    return value
