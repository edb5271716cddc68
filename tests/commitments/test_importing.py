"""The values of spreadsheets in use today, read as people typed them (the parsing rules of the import)."""

import datetime
import re

import pytest

from commitments.importing import values as importing
from commitments.models import Commitment

OCTOBER_FIRST = datetime.date(2025, 10, 1)


@pytest.mark.parametrize(
    "cell",
    [
        datetime.date(2025, 10, 1),
        datetime.datetime(2025, 10, 1, 0, 0),
        45931,  # Excel's serial number of 1 October 2025
        45931.0,
        "2025-10-01",
        " 2025-10-01 ",
        "01/10/2025",
        "1/10/2025",
        "01.10.2025",
        "01-10-2025",
        "1 October 2025",
        "1 Oct 2025",
        "October 1, 2025",
        "1  October   2025",
    ],
)
def test_a_date_in_every_form_a_spreadsheet_holds(cell):
    assert importing.date(cell) == OCTOBER_FIRST


def test_slashed_dates_are_day_first_unless_set_month_first(settings):
    assert importing.date("02/10/2025") == datetime.date(2025, 10, 2)
    settings.IMPORT_DATES_MONTH_FIRST = True
    assert importing.date("10/02/2025") == datetime.date(2025, 10, 2)
    with pytest.raises(ValueError, match="read as month/day/year"):
        importing.date("31/10/2025")


@pytest.mark.parametrize("cell", [None, "", "   "])
def test_an_empty_date_is_none(cell):
    assert importing.date(cell) is None


@pytest.mark.parametrize("cell", ["31/02/2025", "soon", "2025-13-01", "1 Octember 2025", 0, -5, True])
def test_what_is_not_a_date_is_refused_with_a_message(cell):
    with pytest.raises(ValueError, match="not a date"):
        importing.date(cell)


@pytest.mark.parametrize("cell", ["In progress", "in_progress", "IN PROGRESS", " in progress "])
def test_a_choice_by_label_or_value_in_any_case(cell):
    assert importing.choice(cell, Commitment.Status.choices, "status") == "in_progress"


def test_an_unknown_choice_names_the_known_ones():
    with pytest.raises(
        ValueError, match=re.escape("Pending is not a status: one of Open, In progress, Done, Dropped.")
    ):
        importing.choice("Pending", Commitment.Status.choices, "status")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("yes", True), ("Y", True), ("x", True), (1, True), ("", False), (None, False), ("no", False), (0.0, False)],
)
def test_yes_or_no_as_people_write_it(cell, expected):
    assert importing.flag(cell) is expected


def test_text_is_trimmed_and_whole_numbers_lose_their_point():
    assert importing.text("  para 4 ") == "para 4"
    assert importing.text(12.0) == "12"
    assert importing.text(None) == ""
