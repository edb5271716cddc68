"""Reading the values of spreadsheets in use today, as people typed them: the parsing rules of the import.

Every function takes a cell as a spreadsheet reader gives it (text, a number, a date) and returns the value, or
raises ValueError with a message for the preview ("Row 12, Follow-up date: …").
"""

import datetime
import re

from django.conf import settings
from django.core.exceptions import ValidationError

from meetings.dates import check_plausible

EXCEL_EPOCH = datetime.date(1899, 12, 30)  # day 0 of Excel's (and LibreOffice's) date serial numbers
SLASHED = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})")  # day and month in either order; the year
YEAR_FIRST = re.compile(r"(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})")  # 2027/09/01, 2027-9-1
ORDINAL = re.compile(r"(?<=\d)(st|nd|rd|th)\b", re.IGNORECASE)  # "1st September 2027"
SPELLED_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%d-%b-%y", "%d-%b-%Y", "%d %b %y")


def text(value) -> str:
    """A cell as text, spaces around it trimmed; an empty cell as ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 12.0 from a spreadsheet's number cell: "12"
    return str(value).strip()


def date(value) -> datetime.date | None:
    """date_as_typed(), of a plausible year (meetings.dates.check_plausible): ValueError otherwise."""
    day = date_as_typed(value)
    if day is not None:
        try:
            check_plausible(day)
        except ValidationError as error:
            raise ValueError(error.messages[0]) from None
    return day


def date_as_typed(value) -> datetime.date | None:
    """A date as spreadsheets hold it: a date cell, an Excel serial number (45931), year first (2025-10-01,
    2025/10/1), day first (01/10/2025, 1.10.25: the Indian convention; month first with IMPORT_DATES_MONTH_FIRST)
    or spelled (1 October 2025, 1st Oct 2025, October 1, 2025, 1-Oct-25). Empty: None."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not 1 <= value < 2958466:  # 1 January 1900 to 31 December 9999
            raise ValueError(f"{value} is not a date.")
        return EXCEL_EPOCH + datetime.timedelta(days=int(value))
    cell = " ".join(text(value).split())
    if not cell:
        return None
    try:
        return datetime.date.fromisoformat(cell)
    except ValueError:
        pass
    year_first = YEAR_FIRST.fullmatch(cell)
    if year_first:
        try:
            return datetime.date(*(int(part) for part in year_first.groups()))
        except ValueError:
            raise ValueError(f"{cell} is not a date (read as year/month/day).") from None
    slashed = SLASHED.fullmatch(cell)
    if slashed:
        first, second, year = (int(part) for part in slashed.groups())
        year += 2000 if year < 100 else 0  # "01/09/27", as Excel writes a short date
        day, month = (second, first) if settings.IMPORT_DATES_MONTH_FIRST else (first, second)
        try:
            return datetime.date(year, month, day)
        except ValueError:
            order = "month/day/year" if settings.IMPORT_DATES_MONTH_FIRST else "day/month/year"
            raise ValueError(f"{cell} is not a date (read as {order}).") from None
    spelled_cell = ORDINAL.sub("", cell).replace("Sept ", "Sep ").replace("sept ", "sep ")
    for spelled in SPELLED_FORMATS:
        try:
            return datetime.datetime.strptime(spelled_cell, spelled).date()
        except ValueError:
            continue
    raise ValueError(f"{cell} is not a date: write it as 2025-10-01, 01/10/2025 or 1 October 2025.")


def choice(value, choices, what: str) -> str:
    """A choice by its value or its label, in any case ("In progress", "in_progress", "IN PROGRESS"). Empty: ""."""
    cell = " ".join(text(value).split()).casefold()
    if not cell:
        return ""
    for stored, label in choices:
        if cell in (str(stored).casefold(), str(label).casefold(), str(stored).replace("_", " ").casefold()):
            return stored
    known = ", ".join(str(label) for _, label in choices)
    raise ValueError(f"{text(value)} is not a {what}: one of {known}.")


def flag(value) -> bool:
    """Yes or no, as people write it: yes/no, true/false, 1/0, y/n, x for yes; empty is no."""
    cell = text(value).casefold()
    if cell in ("", "no", "n", "false", "0"):
        return False
    if cell in ("yes", "y", "true", "1", "x"):
        return True
    raise ValueError(f"{text(value)} is neither yes nor no.")
