"""How meeting dates read in pages, e-mails and exports: "30 September–1 October 2025"."""

import datetime
import functools

from django.utils.dateformat import format as date_format

TO_BE_AGREED = "date to be agreed"
# The years a date of this app's records may have: others are typos ("0025", "9999"), and dates near the calendar's
# ends would break the reminders' arithmetic (30 days before 1 January 0001).
FIRST_YEAR, LAST_YEAR = 1900, 2100


def check_plausible(day: datetime.date) -> None:
    """A validator of every date field: refuses a year outside FIRST_YEAR…LAST_YEAR."""
    from django.core.exceptions import ValidationError

    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationError(f"{day.isoformat()} is not a plausible date: its year is not between 1900 and 2100.")


@functools.lru_cache(maxsize=4096)
def spell_date(day: datetime.date) -> str:
    """ "30 September 2025". Dates repeat across the lines of a sweep or a brief: each is spelled once."""
    return date_format(day, "j F Y")


def format_date_range(start: datetime.date | None, end: datetime.date | None = None) -> str:
    """Spell a date or a range of dates the British way, sharing the month and year where they are shared."""
    if start is None:
        return TO_BE_AGREED
    if end is None or end == start:
        return spell_date(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{spell_date(end)}"
    if start.year == end.year:
        return f"{date_format(start, 'j F')}–{spell_date(end)}"
    return f"{spell_date(start)}–{spell_date(end)}"


def days_from(today: datetime.date, day: datetime.date) -> str:
    """How far a day is: "today", "tomorrow", "in 23 days" or "3 days ago"."""
    days = (day - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days > 1:
        return f"in {days} days"
    return f"{-days} days ago"
