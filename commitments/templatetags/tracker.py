"""Template helpers used across the pages (loaded as a builtin)."""

import functools

from django import forms, template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import engines
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from commitments.attachments import kind_label
from commitments.models import Commitment
from commitments.reminders.digests import email_label
from config.display import person
from meetings.models import Meeting

register = template.Library()


@register.simple_tag
@functools.cache  # a handful of statuses, shown on every line of every list
def status_badge(status: str) -> str:
    status = Commitment.Status(status)
    return format_html('<span class="badge {}">{}</span>', status.css, status.label)


@register.simple_tag
@functools.cache
def restricted_badge(restricted: bool) -> str:
    """Marks a need-to-know commitment wherever it is listed."""
    if not restricted:
        return ""
    return format_html(
        '<span class="badge text-bg-warning" title="{}">Restricted</span>',
        "Need to know: only its owner, the coordinators and the people granted access see it.",
    )


@register.simple_tag(takes_context=True)
def jinja(context, template_name: str, **values) -> str:
    """A fragment written by the Jinja2 engine (commitments/jinja_engine.py), for what writes many lines — the rows of
    the commitment list, the brief's lines, a commitment's journal, the charts — in a third of the time Django's
    templates take.
    It is given the values named, and the request (its `csrf_input` for forms). The Jinja2 template escapes what it
    shows."""
    fragment = engines["jinja2"].get_template(template_name).render(values, context.get("request"))
    # Safe: Jinja2 escapes what an *.html template shows (commitments/jinja_engine.py).
    return mark_safe(fragment)  # noqa: S308  # nosec B308 B703


# How an e-mail names a commitment: its title, or its reference where the e-mail may not quote it.
register.filter("email_label", email_label)


@register.simple_tag
def meeting_status_badge(status: str) -> str:
    status = Meeting.Status(status)
    return format_html('<span class="badge {}">{}</span>', status.css, status.short_label)


@register.filter
def countdown(meeting: Meeting, today) -> str:
    """ "in 23 days", "provisional: 12–13 January 2027" or "date to be agreed"."""
    return meeting.countdown(today)


register.filter("person", person)
register.filter("attachment_kind", kind_label)


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (None drops one), for pagination and sorting."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = value
    return "?" + query.urlencode() if query else "?"


@register.simple_tag(takes_context=True)
def sort_link(context, param: str, label: str) -> str:
    """A column heading that sorts by `param`, and the other way round when it already does."""
    current = context["request"].GET.get("ordering", "")
    descending = current == param
    arrow = " ▲" if current == param else " ▼" if current == f"-{param}" else ""
    return format_html(
        '<a href="{}" class="link-body-emphasis">{}{}</a>',
        query_with(context, ordering=f"-{param}" if descending else param, page=None),
        label,
        arrow,
    )


BLANK_FORMS: dict[tuple[type, str | None], str] = {}  # the fields of blank forms that are alike for everyone


@register.simple_tag
def form_fields(form) -> str:
    """A form's fields with their labels, help and errors (includes/form_fields.html).

    A blank form whose class says it is the same for everyone (`alike_when_blank`: its fields, choices and help do not
    depend on the reader or the data) is rendered once per process: the commitment's page, viewed more than any other,
    holds two, which took as long to render as its 50 journal entries."""
    if form.is_bound or not getattr(form, "alike_when_blank", False):
        return render_to_string("includes/form_fields.html", {"form": form})
    key = (type(form), form.prefix)
    if key not in BLANK_FORMS:
        BLANK_FORMS[key] = render_to_string("includes/form_fields.html", {"form": form})
    return BLANK_FORMS[key]


@receiver(setting_changed)
def forget_blank_forms(**kwargs) -> None:
    BLANK_FORMS.clear()


@register.filter
def bootstrap(field):
    """Render a bound field's widget with Bootstrap's classes and its error state."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
        return field.as_widget()
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    html = field.as_widget(attrs={"class": css})
    if field.field.show_hidden_initial:  # the value the page was opened with, for has_changed()
        html += forms.HiddenInput().render(field.html_initial_name, field.initial)
    return html
