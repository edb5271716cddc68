"""Log lines that a user cannot forge: every control character in a message is escaped.

Usernames, paths, search terms and headers reach the log inside messages; a newline in one of them
would start a line of the attacker's choosing. The formatter of every handler escapes the message
once, whoever logged it (the security log, django-axes, Django itself); tracebacks stay as they are.
"""

import logging
import re

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")
NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def escape_controls(text: str) -> str:
    """Control characters as escapes ("\\n", "\\x1b"), and the backslash doubled so that escapes stay unambiguous."""
    return CONTROL.sub(lambda match: NAMED.get(match.group(), f"\\x{ord(match.group()):02x}"), text)


class EscapingFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.message)
        return super().formatMessage(record)
