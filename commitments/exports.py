"""A filtered commitment list as CSV or XLSX: the same rows the list page shows the user, the same columns in both.

Values are typed (dates as dates) until the last step: the CSV writes ISO dates after a UTF-8 byte-order mark
(so that Excel reads "India–Uzbekistan" right), the XLSX typed cells with formats.
"""

import csv
import datetime
import io
import unicodedata
from urllib.parse import quote

from django.db.models import Model
from django.utils import timezone

from commitments.models import ProgressUpdate
from config.display import file_text, person

# (heading, width in characters at most): a column is as wide as its longest value, within this, and its heading.
COLUMNS = [
    ("Reference", 14),
    ("Commitment", 60),
    ("Description", 60),
    ("Working group", 30),
    ("Agreed at", 20),
    ("Category", 30),
    ("Owner", 25),
    ("Responsible side", 18),
    ("Lead agency", 40),
    ("Partner counterpart", 40),
    ("Agreed record", 20),
    ("Follow-up date", 14),
    ("Status", 12),
    ("Priority", 10),
    ("Overdue", 9),
    ("Restricted", 11),
    ("Latest update", 60),
    ("Latest update date", 14),
    ("Link", 50),
]
HEADINGS = [heading for heading, _ in COLUMNS]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # how Excel knows a CSV file is UTF-8
DATE_FORMAT = "yyyy-mm-dd"
LONG_TEXT = 40  # columns this wide at most wrap their text, each line a line of the cell


def safe(value) -> str:
    """Text a spreadsheet opening a CSV file will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def rows(commitments, site_url: str):
    """Each commitment as a row of typed values: str, or datetime.date for the dates."""
    today = timezone.localdate()
    latest = ProgressUpdate.objects.latest_per_commitment(commitments.values("pk"))
    for c in commitments:
        update = latest.get(c.pk)
        yield [
            c.reference,
            c.title,
            c.description,
            c.meeting.group.short_name,
            c.meeting.title,
            c.category.name,
            person(c.owner, nobody=""),
            c.get_responsible_side_display(),
            c.lead_agency,
            c.partner_counterpart,
            c.record_paragraph,
            c.follow_up_date,
            c.get_status_display(),
            c.get_priority_display(),
            "yes" if c.is_overdue(today) else "",
            "yes" if c.restricted else "",
            update.text if update else "",
            timezone.localtime(update.created_at).date() if update else None,
            site_url + c.get_absolute_url(),
        ]


MEETING_COLUMNS = [
    ("Working group", 30),
    ("Meeting", 14),
    ("Host country", 20),
    ("City", 20),
    ("Venue", 30),
    ("Start date", 12),
    ("End date", 12),
    ("Status", 28),
    ("Agreed record", 30),
    ("Outcome summary", 60),
    ("Link", 50),
]


def meeting_rows(meetings, site_url: str):
    """Each meeting as a row of typed values, in the columns an import of meetings reads back."""
    for meeting in meetings:
        yield [
            meeting.group.short_name,
            meeting.title,
            meeting.host_country.name,
            meeting.city,
            meeting.venue,
            meeting.start_date,
            meeting.end_date,
            meeting.get_status_display(),
            meeting.record_reference,
            meeting.outcome_summary,
            site_url + meeting.get_absolute_url(),
        ]


def as_text(value) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return safe(file_text(value) if isinstance(value, str) else value)


def csv_file(headings: list[str], values) -> str:
    """A CSV file for Excel users: a byte-order mark (UTF-8), ISO dates, no value a spreadsheet would run."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headings)
    for row in values:
        writer.writerow([as_text(value) for value in row])
    return BOM + out.getvalue()


def xlsx_file(columns: list[tuple[str, int]], values: list[list], title: str, author: str) -> bytes:
    """A sheet a person can work with at once: bold, frozen header row with a filter, columns wide enough (the
    long ones wrapping their text), dates as dates, a "Link" column's links hyperlinks. Text is always a text
    cell: text that starts with "=" is not a formula, and shows as typed. Written row by row (openpyxl's
    write-only mode): the widths are measured first, as a sheet's columns come before its rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    headings = [heading for heading, _ in columns]
    link = headings.index("Link") if "Link" in headings else None
    workbook = Workbook(write_only=True)
    workbook.properties.title, workbook.properties.creator = title, author
    sheet = workbook.create_sheet(title)
    wrapped = Alignment(wrap_text=True, vertical="top")
    long_text = {column for column, (_, most) in enumerate(columns) if most >= LONG_TEXT and column != link}
    for column, (heading, most) in enumerate(columns):
        longest = max([len(heading), *(_width(row[column]) for row in values)])
        sheet.column_dimensions[get_column_letter(column + 1)].width = min(longest, max(most, len(heading))) + 2
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(values) + 1}"
    sheet.append([_cell(sheet, heading, font=Font(bold=True)) for heading in headings])
    for row in values:
        cells = [
            _cell(sheet, value, **({"alignment": wrapped} if n in long_text else {})) for n, value in enumerate(row)
        ]
        if link is not None and row[link]:
            cells[link].hyperlink, cells[link].style = row[link], "Hyperlink"
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _width(value) -> int:
    return len(DATE_FORMAT) if isinstance(value, datetime.date) else len("" if value is None else str(value))


def _cell(sheet, value, **style):
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str):
        value = file_text(value) or None
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, datetime.date):
        cell.number_format = DATE_FORMAT
    elif value:
        cell.data_type = "s"  # never a formula
    for name, setting in style.items():
        if setting is not None:
            setattr(cell, name, setting)
    return cell


def filename(filterset, extension: str) -> str:
    """ "commitments_category-information-sharing_owner-mine_2026-11-28.csv": the filter, echoed in words (a
    category, meeting or group by its name, an owner by theirs), in any script."""
    parts = ["commitments"]
    query = filterset.data
    for key in sorted(query):
        if key == "page" or key not in filterset.filters:
            continue
        for value in query.getlist(key):
            if value:
                parts.append(slug(f"{key}-{_in_words(filterset, key, value)}"))
    parts.append(timezone.localdate().isoformat())
    return "_".join(parts) + "." + extension


def slug(text: str, most: int = 60) -> str:
    """Letters (with their vowel signs and accents: "गृह", "café") and digits, in lower case, joined by "-";
    cut after a whole word."""
    words = "".join(c if unicodedata.category(c)[0] in "LMN" else " " for c in text.casefold()).split()
    kept = []
    for word in words:
        if kept and len("-".join([*kept, word])) > most:
            break
        kept.append(word)
    return "-".join(kept)[:most]


def _ascii(part: str) -> str:
    """ "q-गृह-मंत्रालय" → "q": the ASCII words of a part of a name."""
    return "-".join(word for word in part.encode("ascii", "ignore").decode().split("-") if word)


def attachment(name: str) -> str:
    """A Content-Disposition for a file of this name: the name as it is (RFC 6266's filename*), and beside it for
    older clients the name with what is not ASCII left out."""
    if name.isascii():
        return f"attachment; filename={quoted(name)}"
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    ascii_stem = "_".join(filter(None, (_ascii(part) for part in stem.split("_")))).strip(" .") or "file"
    ascii_name = f"{ascii_stem}.{_ascii(extension)}".rstrip(".")
    return f"attachment; filename={quoted(ascii_name)}; filename*=utf-8''{quote(name, safe='')}"


def quoted(name: str) -> str:
    """An ASCII name as a quoted string (RFC 6266): a quote or backslash in it escaped."""
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _in_words(filterset, key: str, value: str) -> str:
    named = filterset.form.cleaned_data.get(key)
    if isinstance(named, Model):
        return str(named)
    if key == "owner" and value.isdigit():  # "mine" and "none" say themselves
        return dict(filterset.form.fields[key].choices).get(value, value)
    return value
