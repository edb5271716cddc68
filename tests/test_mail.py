"""The e-mail every part of the app sends: written out exactly as the standard library's compat32 policy writes it,
only faster for the headers that fit on their line."""

import email
import email.policy
import io
from email.generator import BytesGenerator
from email.policy import compat32

from hypothesis import example, given
from hypothesis import strategies as st

from config.mail import HEADERS_ON_ONE_LINE, AutomaticMessage

NAMES = st.sampled_from(["Subject", "To", "From", "Content-Type", "X-A-Rather-Long-Header-Name-Of-Its-Own"])
ASCII = st.text(st.characters(min_codepoint=0, max_codepoint=127), max_size=120)


@given(name=NAMES, value=ASCII | st.text(max_size=120), linesep=st.sampled_from(["\n", "\r\n"]))
@example(name="List-Unsubscribe", value="<https://tracker.example.org/" + "u" * 150 + ">", linesep="\r\n")  # no space
@example(name="Subject", value="x" * 76, linesep="\r\n")  # one past the line: folded after the colon by compat32
def test_a_header_is_written_as_compat32_writes_it(name, value, linesep):
    quick, library = HEADERS_ON_ONE_LINE.clone(linesep=linesep), compat32.clone(linesep=linesep)
    try:
        expected = library.fold_binary(name, value)
    except Exception as error:  # what the library refuses (a header injected after a line break), so does this
        expected = type(error)
    try:
        written = quick.fold_binary(name, value)
    except Exception as error:
        written = type(error)
    assert written == expected


def flattened(message, policy) -> bytes:
    out = io.BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=policy).flatten(message)
    return out.getvalue()


def test_a_message_of_the_app_is_written_as_compat32_writes_it_and_reads_strictly():
    message = AutomaticMessage(
        "Réunion: 10th meeting in 7 days — summary and 5 of your commitments",
        "Plain text, line one.\n" + "A long line of text. " * 60 + "\n",
        "tracker@example.org",
        ["officer.with.a.rather.long.address.indeed@ministry.example.org"],
        headers={"List-Unsubscribe": "<https://tracker.example.org/" + "u" * 120 + ">"},
    )
    message.attach_alternative("<p>HTML</p>", "text/html")
    built = message.message()
    assert built.policy is HEADERS_ON_ONE_LINE
    crlf = compat32.clone(linesep="\r\n")
    written = built.as_bytes(linesep="\r\n")
    assert written == flattened(built, crlf)
    parsed = email.message_from_bytes(written, policy=email.policy.strict)
    assert not any(part.defects for part in parsed.walk())
    assert parsed["Subject"] == "Réunion: 10th meeting in 7 days — summary and 5 of your commitments"
