"""What every e-mail of the app shares: headers that strict mail tools accept, marked as sent by a machine."""

import uuid
from email.header import Header
from email.policy import Compat32
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import EmailMultiAlternatives
from django.template import loader

# Headers of addresses that may run past 78 characters: kept on their line rather than folded right after the
# colon (a line may hold 998 characters, RFC 5322 2.1.1).
UNFOLDED = ("Message-ID", "List-Unsubscribe")


class OneLineHeaders(Compat32):
    """compat32, the policy Django's messages are written with, writing a header that fits on its line as it is, not
    through a Header that finds it fits (a sweep writes tens of thousands of headers). The rest goes as before."""

    def _fold(self, name, value, sanitize):
        if (
            isinstance(value, str)
            and value.isascii()
            and value.isprintable()  # no line break, no tab: nothing to fold or check
            and len(name) + 2 + len(value) <= (self.max_line_length or 78)
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


HEADERS_ON_ONE_LINE = OneLineHeaders()


class UnfoldedHeader(Header):
    def encode(self, splitchars=";, \t", maxlinelen=None, linesep="\n"):
        return super().encode(splitchars, 0, linesep)  # 0: no folding


class AutomaticMessage(EmailMultiAlternatives):
    """A message as strict mail tools read it: no header folded right after its colon (which a strict parser reads
    as a leading space; an address too long for one line stays whole, as RFC 5322 allows up to 998 characters),
    and marked as sent by a machine, so that out-of-office replies are not sent back (RFC 3834)."""

    def message(self, *args, **kwargs):
        if "Message-ID" not in self.extra_headers:  # the site's name, not the sending machine's
            self.extra_headers["Message-ID"] = make_msgid(domain=urlsplit(settings.SITE_URL).hostname)
        message = super().message(*args, **kwargs)
        message.replace_header("Subject", Header(self.subject, "utf-8", header_name="Subject"))
        for name in UNFOLDED:
            if name in message:
                message.replace_header(name, UnfoldedHeader(str(message[name]), header_name=name))
        message.policy = HEADERS_ON_ONE_LINE
        message["Auto-Submitted"] = "auto-generated"
        message["X-Auto-Response-Suppress"] = "All"
        for part in message.walk():
            if part.is_multipart() and part.get_boundary() is None:
                # A random boundary of its own, which no text of a message can hold unless it knows it: the
                # generator would otherwise make one and search the whole text for it (a sweep sends thousands).
                part.set_boundary(f"==={uuid.uuid4().hex}==")
        return message


class AutomaticPasswordResetForm(PasswordResetForm):
    """The password-reset request, whose e-mail is an AutomaticMessage."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        AutomaticMessage(subject, body, from_email, [to_email]).send()
