"""Log lines that a user cannot forge: every control character in a message is escaped.

Usernames, paths, search terms and headers reach the log inside messages; a newline in one of them
would start a line of the attacker's choosing. The formatter of every handler escapes the message
once, whoever logged it (the security log, django-axes, Django itself); tracebacks stay as they are.
"""

import logging
import re

# Control characters, and the invisible ones some log viewers act on: line and paragraph separators,
# direction marks and overrides, zero-width characters, the byte-order mark.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\\\\]")
NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def _escape(character: str) -> str:
    code = ord(character)
    return NAMED.get(character) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def escape_controls(text: str) -> str:
    """Control characters as escapes ("\\n", "\\x1b", "\\u2028"), the backslash doubled so that escapes stay
    unambiguous; letters of every script are left as they are."""
    return CONTROL.sub(lambda match: _escape(match.group()), text)


class EscapingFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.message)
        return super().formatMessage(record)


class WithoutTracebackFor4xx(logging.Filter):
    """A refused request (403, 400, 404) is one line: Django attaches its exception's traceback, which lets
    anyone who can make requests fill the log. Server errors (5xx) keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = record.exc_text = None
        return True
