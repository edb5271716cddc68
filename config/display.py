"""How values read on a page and in an e-mail: a person's name; a recorded value, one rule for the admin's history
pages and a commitment's change log."""

import re

from django.template.defaultfilters import pluralize
from django.utils.text import Truncator
from simple_history.models import DeletedObject

# What would make a name or title read as something else outside its own line: control characters (line breaks
# among them), line and paragraph separators, and the direction embeddings, overrides and isolates that reverse
# the text after them ("\u202egnp.exe" reads "exe.png"). Joiners, which Indian scripts need, are not among them.
MISLEADING = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def plain_line(text) -> str:
    """Text as one plain line, to quote a name or a title in an e-mail subject or body, a calendar or a heading:
    line breaks become spaces, direction controls and other control characters go, runs of spaces become one."""
    return " ".join(MISLEADING.sub(" ", str(text)).split())


# What no XML document may hold (XML 1.0): the control characters other than tab, line feed and carriage return.
NOT_IN_XML = "\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff"
DIRECTION_CONTROLS = "\u202a-\u202e\u2066-\u2069"  # embeddings, overrides, isolates: "\u202egnp.exe" reads "exe.png"
# A Windows line end, an old Mac's, Word's line and page breaks, Unicode's line and paragraph separators.
LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\u2028\u2029]")
LEFT_OUT_OF_FILES = re.compile(f"[{NOT_IN_XML}{DIRECTION_CONTROLS}]")


def file_text(text: str) -> str:
    """Text as a downloaded file carries it (Word, PDF, XLSX, CSV): every kind of line end as a line break;
    control characters, which XML cannot hold and a terminal would obey, and direction overrides, which turn
    text around, left out. Stored text may hold them: forms take what is pasted."""
    return LEFT_OUT_OF_FILES.sub("", LINE_BREAKS.sub("\n", text))


def excerpt(text: str, words: int) -> str:
    """The start of a text: its first `words` words, and no more than 8 characters a word of them, so that a text
    written without spaces (a script that needs none, a link pasted whole) is shortened too; "…" where it is cut."""
    return Truncator(Truncator(text).words(words)).chars(words * 8)


def counted(n: int, noun: str) -> str:
    """ "1 commitment", "5 commitments"."""
    return f"{n} {noun}{pluralize(n)}"


PERSON_FIELDS = ("first_name", "last_name", "username")  # what person() reads of a user


def person(user, nobody: str = "—") -> str:
    """A user's full name, or their username, on one plain line; `nobody` when there is no user."""
    if user is None:
        return nobody
    return plain_line(user.get_full_name() or user.get_username())


def in_words(field, value):
    """A recorded value as a reader says it: nothing as "—", yes or no, choices (one or several) by label;
    other values as they are (dates and related objects are for the caller to spell)."""
    if value in (None, "") or (isinstance(value, DeletedObject) and value.pk is None):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field.flatchoices:
        labels = dict(field.flatchoices)
        if isinstance(value, list | tuple):  # several countries
            return ", ".join(str(labels.get(item, item)) for item in value) or "—"
        return labels.get(value, value)
    return value
