"""The Jinja2 engine ("jinja2" in settings.TEMPLATES, templates in <app>/jinja2/): for what writes many lines, where
it is several times faster than Django's templates — the e-mail digests (a sweep writes thousands) and the rows of
the commitment list, the brief's lines, a commitment's journal and files, the dashboard's lists, and the charts of
the dashboard and the brief (fragments of Django templates: the `jinja` tag). Their links come from
`paths_of(view)`: a route looked up once per page, not once per line.

Text (*.txt: subjects and text parts of e-mail) is plain: nothing escaped. HTML (*.html) is escaped. A name the
template does not know is an error, not an empty string: a digest is never sent with a hole in it.
"""

import functools
import re
import textwrap

import jinja2
import markupsafe
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.defaultfilters import date, filesizeformat, pluralize
from django.urls import reverse
from django.utils.timezone import get_current_timezone, template_localtime
from django.utils.translation import get_language

from config.display import excerpt, person


def wrap(text: str, indent: int = 0) -> str:
    """Plain text with each line wrapped at 76 characters, lines it adds indented by `indent` spaces (for the text
    part of e-mails: mail readers show it as it is). Addresses and other long words are not broken."""
    return "\n".join(
        textwrap.fill(line, 76, subsequent_indent=" " * int(indent), break_long_words=False, break_on_hyphens=False)
        if len(line) > 76  # most lines fit: a digest of thousands of lines need not measure each word of them
        else line.rstrip()
        for line in str(text).split("\n")
    )


LINE_ENDS = re.compile("\r\n?")


def linebreaksbr(text) -> markupsafe.Markup:
    """Text escaped, each line end (\\n, \\r\\n or \\r) a <br>, as Django's filter of that name: without its checks for
    lazy strings, which cost more than the rest of a brief's line (a brief calls it for each of hundreds)."""
    escaped = str(markupsafe.escape(LINE_ENDS.sub("\n", str(text))))
    return markupsafe.Markup(escaped.replace("\n", "<br>"))  # noqa: S704  # nosec B704: escaped above, <br> the one markup added


def local_date(value, arg=None) -> str:
    """Django's date filter, in local time as Django's templates show dates and times. Each value is formatted once
    per process for each time zone, language and format: formatting takes 30 µs, and a journal, a list or a brief
    shows hundreds, most of them again at the next view."""
    return _local_date(value, arg, get_current_timezone(), get_language())


@functools.lru_cache(maxsize=10_000)
def _local_date(value, arg, zone, language) -> str:
    """`zone` and `language` are those active, named for the key; equal instants give the same text in one zone."""
    return date(template_localtime(value), arg)


@receiver(setting_changed)
def forget_dates(**kwargs) -> None:
    """A format, a time zone or a language setting may have changed (in tests)."""
    _local_date.cache_clear()


def environment(**options) -> jinja2.Environment:
    from commitments.attachments import kind_label
    from commitments.models import paths_of
    from commitments.reminders.digests import email_label  # the digests module renders with this engine
    from commitments.templatetags.tracker import restricted_badge, status_badge

    options.pop("autoescape", None)
    options |= {"undefined": jinja2.StrictUndefined, "keep_trailing_newline": True}  # the latter as Django's do
    env = jinja2.Environment(
        autoescape=jinja2.select_autoescape(["html"], default_for_string=False, default=False), **options
    )
    env.filters.update(
        date=local_date,
        filesizeformat=filesizeformat,
        attachment_kind=kind_label,
        pluralize=pluralize,
        person=person,
        wrap=wrap,
        email_label=email_label,
        linebreaksbr=linebreaksbr,
        excerpt=excerpt,
    )
    env.globals.update(
        paths_of=paths_of,
        url=lambda name, *args: reverse(name, args=args),
        status_badge=status_badge,
        restricted_badge=restricted_badge,
    )
    return env
