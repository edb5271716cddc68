"""British English with the month spelled out, as in diplomatic records: "30 September 2025"."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i T"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
FIRST_DAY_OF_WEEK = 1  # Monday
DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # '2025-09-30', what date pickers send
    "%d/%m/%Y",  # '30/09/2025'
    "%d %B %Y",  # '30 September 2025'
    "%d %b %Y",  # '30 Sep 2025'
]
