"""What a reminder e-mail says: one digest per recipient, its sections, subject and links.

Built from the templates reminders/digest-subject.txt, -body.txt and -body.html; the subject and the
text part are plain text (nothing escaped), the HTML part is escaped. Restricted commitments, and every
commitment with REMINDER_EMAIL_DETAIL=references, are named by their reference alone.
"""

import datetime
import uuid
from dataclasses import dataclass, field
from email.header import Header
from email.mime.text import MIMEText
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db.models import Count, Exists, OuterRef
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from commitments.models import Category, Commitment, ProgressUpdate, Reminder
from meetings.calendar import meeting_ics
from meetings.dates import format_date_range, spell_date
from meetings.models import Meeting, is_member

Reason = Reminder.Reason

SECTION_ORDER = [
    Reason.ASSIGNED,
    Reason.PRE_SESSION,
    Reason.OVERDUE,
    Reason.DUE_SOON,
    Reason.SESSION_SUMMARY,
    Reason.DATE_TO_BE_AGREED,
    Reason.HANDED_OVER,
]
UNSUBSCRIBE_SALT = "commitments.unsubscribe"
# What a digest shows of a commitment: loading no more keeps a batch of thousands light.


def render_plain(template_name: str, context: dict) -> str:
    """A template rendered as plain text: the subject and the text part are not HTML, so nothing is escaped."""
    return get_template(template_name).template.render(Context(context, autoescape=False))


def render_email(name: str, context: dict) -> tuple[str, str, str]:
    """Subject, plain text and HTML from the template triplet reminders/<name>-subject.txt, -body.txt, -body.html."""
    subject = " ".join(render_plain(f"reminders/{name}-subject.txt", context).split())
    text = render_plain(f"reminders/{name}-body.txt", context)
    html = render_to_string(f"reminders/{name}-body.html", {**context, "subject": subject})
    return subject, text, html


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def shows_details(commitment: Commitment) -> bool:
    """Whether an e-mail may quote the commitment's title and journal.

    Never for a restricted commitment; for none when REMINDER_EMAIL_DETAIL is "references".
    """
    return settings.REMINDER_EMAIL_DETAIL == "titles" and not commitment.restricted


def email_label(commitment: Commitment) -> str:
    """The commitment's title, or "Commitment C-12" where the e-mail may not quote it."""
    return commitment.outside_label(titles=settings.REMINDER_EMAIL_DETAIL == "titles")


# --- Unsubscribing ------------------------------------------------------------------------------


def unsubscribe_token(user_id: int, reason: str) -> str:
    return signing.dumps({"user": user_id, "reason": reason}, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if data.get("reason") not in (Reason.DUE_SOON, Reason.OVERDUE):
        return None
    return data["user"], data["reason"]


# --- Digests ------------------------------------------------------------------------------------------


class TemplateFields:
    """Django templates look `line.label` up as a key before an attribute: answering it spares them
    an exception per lookup, which a digest of many lines feels."""

    def __getitem__(self, name: str):
        return getattr(self, name)


@dataclass
class Line(TemplateFields):
    """A commitment as a digest shows it, formatted once for both the text and the HTML part."""

    commitment: Commitment
    label: str
    status: str
    follow_up: str
    overdue: bool
    url: str
    progress_url: str
    last_update_date: str  # empty when there is none yet
    last_update_text: str  # empty when the e-mail may not quote it

    @classmethod
    def of(cls, commitment: Commitment, last_update: ProgressUpdate | None, today: datetime.date) -> "Line":
        url = absolute(commitment.get_absolute_url())
        details = last_update is not None and shows_details(commitment)
        return cls(
            commitment=commitment,
            label=email_label(commitment),
            status=commitment.get_status_display(),
            follow_up=spell_date(commitment.follow_up_date) if commitment.follow_up_date else "",
            overdue=commitment.is_overdue(today),
            url=url,
            progress_url=url + "#journal",
            last_update_date=spell_date(timezone.localdate(last_update.created_at)) if last_update else "",
            last_update_text=Truncator(last_update.text).words(40) if details else "",
        )


@dataclass
class Section(TemplateFields):
    reason: str
    heading: str
    lines: list[Line] = field(default_factory=list)
    summary: dict | None = None
    meeting: Meeting | None = None


def session_heading(meeting: Meeting, today: datetime.date) -> str:
    """ "the 10th meeting — New Delhi, 12 March 2027, in 7 days"."""
    return f"the {meeting.title} — {meeting.place}, {meeting.dates_display}, {meeting.countdown(today)}"


def session_summary(meeting: Meeting, today: datetime.date, recipient_id: int) -> dict:
    """For coordinators before a session: where the group stands, whom to chase, and the follow-up dates
    owners moved since this coordinator's previous summary (or since the previous meeting)."""
    commitments = Commitment.objects.of_group(meeting.group).select_related("owner", "category")
    previous = (
        Meeting.objects.filter(group=meeting.group, status=Meeting.Status.HELD, start_date__lt=meeting.start_date)
        .order_by("-start_date")
        .first()
    )
    since = previous.start_date if previous else None
    by_status = dict(commitments.order_by().values_list("status").annotate(n=Count("pk")))
    by_category = dict(commitments.order_by().values_list("category").annotate(n=Count("pk")))
    open_ones = commitments.open()
    no_news = open_ones
    if since:
        news = ProgressUpdate.objects.progress().filter(commitment=OuterRef("pk"), created_at__date__gte=since)
        no_news = open_ones.exclude(Exists(news))
    owner_left = open_ones.filter(owner__isnull=False).exclude(is_member(OuterRef("owner"), meeting.group_id))
    previous_summary = (
        Reminder.objects.filter(
            recipient_id=recipient_id,
            reason=Reason.SESSION_SUMMARY,
            meeting__group=meeting.group,
            sent_at__isnull=False,
        )
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    moves = ProgressUpdate.objects.filter(commitment__in=commitments, moved_from__isnull=False)
    if previous_summary or since:
        moves = moves.filter(created_at__gte=previous_summary or _start_of(since))
    return {
        "by_status": [(label, by_status.get(value, 0)) for value, label in Commitment.Status.choices],
        "by_category": [(c.name, by_category[c.pk]) for c in Category.objects.all() if c.pk in by_category],
        "overdue": list(open_ones.overdue(today)),
        "without_owner": list(open_ones.without_owner()),
        "owner_not_in_group": list(owner_left),
        "no_update_since": since,
        "no_update": list(no_news.distinct()),
        "open_count": open_ones.count(),
        "moved": [
            (move, move.text if shows_details(move.commitment) else "")
            for move in moves.select_related("commitment", "author").order_by("created_at", "pk")
        ],
    }


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def build_sections(rows: list[Reminder], latest: dict[int, ProgressUpdate], today: datetime.date) -> list[Section]:
    sections: dict[tuple, Section] = {}
    for row in rows:
        if row.reason in (Reason.PRE_SESSION, Reason.SESSION_SUMMARY, Reason.DATE_TO_BE_AGREED):
            key = (row.reason, row.meeting_id)
        else:
            key = (row.reason, None)
        section = sections.get(key)
        if section is None:
            section = sections[key] = Section(row.reason, _heading(row, today), meeting=row.meeting)
            if row.reason == Reason.SESSION_SUMMARY:
                section.summary = session_summary(row.meeting, today, row.recipient_id)
            elif row.reason == Reason.DATE_TO_BE_AGREED:
                section.summary = {"open_count": Commitment.objects.of_group(row.meeting.group).open().count()}
        if row.commitment_id:
            section.lines.append(Line.of(row.commitment, latest.get(row.commitment_id), today))
    return sorted(sections.values(), key=lambda s: (SECTION_ORDER.index(s.reason), s.heading))


def _heading(row: Reminder, today: datetime.date) -> str:
    if row.reason == Reason.PRE_SESSION:
        return "Before " + session_heading(row.meeting, today)
    if row.reason == Reason.SESSION_SUMMARY:
        return f"Where {row.meeting.group} stands before " + session_heading(row.meeting, today)
    if row.reason == Reason.DATE_TO_BE_AGREED:
        return f"The {row.meeting.title} in {row.meeting.host_country.name}: date still to be agreed"
    return Reason(row.reason).label


def subject_headline(rows: list[Reminder], today: datetime.date) -> tuple[str, str]:
    """The working group and the nearest deadline: ("India–Uzbekistan JWG-CT", "10th meeting in 7 days")."""

    def deadline(row: Reminder) -> datetime.date:
        return row.anchor_date if row.reason not in Reason.immediate() else today

    nearest = min(rows, key=lambda row: (deadline(row), SECTION_ORDER.index(row.reason)))
    group = (nearest.meeting or nearest.commitment.meeting).group
    if nearest.reason in (Reason.PRE_SESSION, Reason.SESSION_SUMMARY):
        headline = f"{nearest.meeting.title} {nearest.meeting.countdown(today)}"
    elif nearest.reason == Reason.DATE_TO_BE_AGREED:
        headline = f"{nearest.meeting.title}: date still to be agreed"
    elif nearest.reason == Reason.OVERDUE:
        headline = f"overdue since {format_date_range(nearest.anchor_date)}"
    elif nearest.reason == Reason.DUE_SOON:
        headline = f"due {format_date_range(nearest.anchor_date)}"
    else:
        headline = nearest.get_reason_display().lower()
    return str(group), headline


def message_id_around(token: uuid.UUID) -> tuple[str, str]:
    """What comes before and after the recipient id in the Message-ID of a batch's digests."""
    return f"<reminder.{token.hex}.", f"@{urlsplit(settings.SITE_URL).hostname}>"


def digest_message_id(token: uuid.UUID, recipient_id: int) -> str:
    """<reminder.{batch token}.{recipient id}@{site host}>: unique, and rebuilt by the database when
    one UPDATE records a whole batch (_record_sent)."""
    before, after = message_id_around(token)
    return f"{before}{recipient_id}{after}"


class DigestMessage(EmailMultiAlternatives):
    """A digest as strict mail tools read it: the subject encoded to fold after its first words (not right
    after "Subject:", which a strict parser reads as a leading space), and marked as sent by a machine, so
    that out-of-office replies are not sent back (RFC 3834)."""

    def message(self, *args, **kwargs):
        message = super().message(*args, **kwargs)
        message.replace_header("Subject", Header(self.subject, "utf-8", header_name="Subject"))
        message["Auto-Submitted"] = "auto-generated"
        message["X-Auto-Response-Suppress"] = "All"
        return message


def calendar_part(filename: str, ics: bytes) -> MIMEText:
    """An .ics attachment as calendar clients expect it: text/calendar; method=PUBLISH (RFC 6047)."""
    part = MIMEText(ics.decode(), "calendar", "utf-8")
    part.set_param("method", "PUBLISH")
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def build_digest(
    recipient, rows: list[Reminder], latest: dict, today: datetime.date, message_id: str
) -> EmailMultiAlternatives:
    group, headline = subject_headline(rows, today)
    optional = sorted({row.reason for row in rows} & {Reason.DUE_SOON, Reason.OVERDUE})
    unsubscribe_links = {
        reason: absolute(reverse("notifications-unsubscribe", args=[unsubscribe_token(recipient.pk, reason)]))
        for reason in optional
    }
    context = {
        "recipient": recipient,
        "group": group,
        "headline": headline,
        "count": len({row.commitment_id for row in rows if row.commitment_id}),
        "sections": build_sections(rows, latest, today),
        "settings_url": absolute(reverse("notification-settings")),
        "unsubscribe_links": unsubscribe_links,
        "site_url": settings.SITE_URL,
    }
    subject, text, html = render_email("digest", context)
    message = DigestMessage(subject, text, to=[recipient.email])
    message.attach_alternative(html, "text/html")
    message.extra_headers["Message-ID"] = message_id
    if unsubscribe_links:
        message.extra_headers["List-Unsubscribe"] = ", ".join(f"<{url}>" for url in unsubscribe_links.values())
        message.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for meeting in {row.meeting for row in rows if row.reason == Reason.PRE_SESSION and row.meeting}:
        message.attach(calendar_part(f"meeting-{meeting.number}.ics", meeting_ics(meeting)))
    return message
