"""Sending the outbox: one digest per recipient, over one SMTP connection per batch.

Delivery guarantee: a reminder is never lost, and is sent twice only if a worker dies
between the SMTP server accepting the digest and the database recording its batch as sent
(at most the digests of that one batch, REMINDER_BATCH_SIZE recipients).
- Claim: one UPDATE moves a batch's due rows from pending to sending, under a fresh token,
  so two workers never claim the same row.
- Send: outside any transaction, one digest per recipient over the batch's connection.
- Record: one UPDATE at the end of the batch marks the rows of every accepted digest sent,
  each with its Message-ID; a failed digest's rows are recorded when it fails (pending with a
  backoff after a transient SMTP failure, failed after a permanent one).
- Recover: rows left in sending longer than REMINDER_CLAIM_TIMEOUT belong to a worker that
  died; the next sweep puts them back to pending.
"""

import datetime
import logging
import smtplib
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import CharField, Count, F, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from commitments.models import Category, Commitment, ProgressUpdate, Reminder
from meetings.calendar import meeting_ics
from meetings.dates import format_date_range, spell_date
from meetings.models import Meeting, Membership, is_member

logger = logging.getLogger(__name__)
Reason = Reminder.Reason
State = Reminder.State

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
DIGEST_FIELDS = ("title", "status", "follow_up_date", "restricted", "meeting")
DIGEST_ROW_FIELDS = ("reason", "anchor_date", "attempts", "recipient", "commitment", "meeting")


def render_plain(template_name: str, context: dict) -> str:
    """A template rendered as plain text: the subject and the text part are not HTML, so nothing is escaped."""
    return get_template(template_name).template.render(Context(context, autoescape=False))


def render_email(name: str, context: dict) -> tuple[str, str, str]:
    """Subject, plain text and HTML from the template triplet emails/<name>-subject.txt, -body.txt, -body.html."""
    subject = " ".join(render_plain(f"emails/{name}-subject.txt", context).split())
    text = render_plain(f"emails/{name}-body.txt", context)
    html = render_to_string(f"emails/{name}-body.html", context)
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


# --- Events -------------------------------------------------------------------------------------------


def record_owner_change(commitment: Commitment, previous_owner_id: int | None, actor_id: int | None) -> None:
    """Tell the new owner of an assignment and the previous one of the handover, once the change commits."""
    today = timezone.localdate()
    rows = [
        Reminder(
            recipient_id=recipient_id,
            reason=reason,
            commitment=commitment,
            anchor_date=today,
            lead_days=0,
            planned_for=today,
        )
        for recipient_id, reason in [(commitment.owner_id, Reason.ASSIGNED), (previous_owner_id, Reason.HANDED_OVER)]
        if recipient_id and recipient_id != actor_id
    ]
    if rows:
        Reminder.objects.bulk_create(rows, ignore_conflicts=True)
        from commitments.tasks import send_reminders

        transaction.on_commit(send_reminders.delay)


def retry_reminders(queryset) -> int:
    """Send failed or skipped reminders again at the next opportunity (the admin's "retry")."""
    with transaction.atomic():
        count = queryset.filter(state__in=[State.FAILED, State.SKIPPED]).update(
            state=State.PENDING, attempts=0, next_attempt_at=None, claim_token=None, last_error=""
        )
    if count:
        from commitments.tasks import send_reminders

        transaction.on_commit(send_reminders.delay)
    return count


# --- What is due ----------------------------------------------------------------------------------------


def due(now: datetime.datetime) -> Q:
    """Pending rows whose day has come (from the send hour) or that follow an event, and not backing off."""
    local = timezone.localtime(now)
    last_day = local.date() if local.hour >= settings.REMINDER_SEND_HOUR else local.date() - datetime.timedelta(1)
    return (
        Q(state=State.PENDING)
        & (Q(reason__in=Reason.immediate()) | Q(planned_for__lte=last_day))
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    )


def entitled() -> Q:
    """Whether a reminder's recipient may still have it: still in the commitment's working group, or, for a
    group's own reminders (coordinators' summary, date to be agreed), still one of its coordinators."""
    about_a_commitment = Q(commitment__isnull=False) & Q(
        is_member(OuterRef("recipient"), OuterRef("commitment__meeting__group"))
    )
    about_the_group = Q(commitment__isnull=True) & Q(
        is_member(OuterRef("recipient"), OuterRef("meeting__group"), Membership.Role.COORDINATOR)
    )
    return about_a_commitment | about_the_group


def withdraw_from_former_members() -> int:
    """Skip the pending reminders of people who left the group (or stopped coordinating it) since they were
    planned: a digest must not quote a group's commitments to someone who may no longer read them."""
    with transaction.atomic():
        return (
            Reminder.objects.filter(state=State.PENDING)
            .exclude(entitled())
            .update(
                state=State.SKIPPED, last_error="withdrawn: the recipient is no longer a member of the working group"
            )
        )


def recover_stale_claims(now: datetime.datetime) -> int:
    """Put back to pending the rows claimed by a worker that died before recording the outcome."""
    cutoff = now - datetime.timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT)
    with transaction.atomic():
        return Reminder.objects.filter(state=State.SENDING, claimed_at__lt=cutoff).update(
            state=State.PENDING, claim_token=None, last_error="recovered: the worker sending it stopped"
        )


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


def session_summary(meeting: Meeting, today: datetime.date) -> dict:
    """For coordinators before a session: where the group stands, and whom to chase."""
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
    no_news = open_ones.exclude(progress_updates__created_at__date__gte=since) if since else open_ones
    owner_left = open_ones.filter(owner__isnull=False).exclude(is_member(OuterRef("owner"), meeting.group_id))
    return {
        "by_status": [(label, by_status.get(value, 0)) for value, label in Commitment.Status.choices],
        "by_category": [(c.name, by_category[c.pk]) for c in Category.objects.all() if c.pk in by_category],
        "overdue": list(open_ones.overdue(today)),
        "without_owner": list(open_ones.without_owner()),
        "owner_not_in_group": list(owner_left),
        "no_update_since": since,
        "no_update": list(no_news.distinct()),
        "open_count": open_ones.count(),
    }


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
                section.summary = session_summary(row.meeting, today)
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


def _message_id_around(token: uuid.UUID) -> tuple[str, str]:
    """What comes before and after the recipient id in the Message-ID of a batch's digests."""
    return f"<reminder.{token.hex}.", f"@{urlsplit(settings.SITE_URL).hostname}>"


def digest_message_id(token: uuid.UUID, recipient_id: int) -> str:
    """<reminder.{batch token}.{recipient id}@{site host}>: unique, and rebuilt by the database when
    one UPDATE records a whole batch (_record_sent)."""
    before, after = _message_id_around(token)
    return f"{before}{recipient_id}{after}"


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
    message = EmailMultiAlternatives(subject, text, to=[recipient.email])
    message.attach_alternative(html, "text/html")
    message.extra_headers["Message-ID"] = message_id
    if unsubscribe_links:
        message.extra_headers["List-Unsubscribe"] = ", ".join(f"<{url}>" for url in unsubscribe_links.values())
        message.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for meeting in {row.meeting for row in rows if row.reason == Reason.PRE_SESSION and row.meeting}:
        message.attach(f"meeting-{meeting.number}.ics", meeting_ics(meeting), "text/calendar")
    return message


# --- Sending ---------------------------------------------------------------------------------------------


@dataclass
class SendReport:
    digests: int = 0
    sent: int = 0  # reminders (lines) sent
    retrying: int = 0
    failed: int = 0
    recovered: int = 0
    withdrawn: int = 0  # reminders of people no longer in the group
    errors: list[str] = field(default_factory=list)


def is_permanent(error: Exception) -> bool:
    """5xx answers are permanent; 4xx answers, refused or dropped connections are worth retrying."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


def _record(token: uuid.UUID, recipient_ids: list[int], **fields) -> int:
    with transaction.atomic():
        return Reminder.objects.filter(claim_token=token, recipient_id__in=recipient_ids, state=State.SENDING).update(
            **fields
        )


def _record_sent(token: uuid.UUID, recipient_ids: list[int]) -> int:
    """Mark the rows of the digests the server accepted as sent, each with its Message-ID: one UPDATE."""
    if not recipient_ids:
        return 0
    before, after = _message_id_around(token)
    message_id = Concat(Value(before), Cast("recipient_id", CharField()), Value(after), output_field=CharField())
    return _record(token, recipient_ids, state=State.SENT, sent_at=timezone.now(), message_id=message_id, last_error="")


def attach_related(rows: list[Reminder], commitment_ids) -> None:
    """Load the rows' recipients and commitments, with their meetings and groups, each built once per batch.

    Four queries, not a join per row; `commitment_ids` is a subquery, not thousands of parameters.
    (Not prefetch_related: on SQLite, Django 5.2 turns a prefetch of more than 1,000 foreign keys
    into an OR expression deeper than SQLite allows.)
    """
    recipients = get_user_model().objects.in_bulk({row.recipient_id for row in rows})
    commitments = Commitment.objects.filter(pk__in=commitment_ids).only(*DIGEST_FIELDS)
    commitments = {commitment.pk: commitment for commitment in commitments}
    meetings = Meeting.objects.select_related("group").in_bulk({c.meeting_id for c in commitments.values()})
    for commitment in commitments.values():
        commitment.meeting = meetings[commitment.meeting_id]
    for row in rows:
        row.recipient = recipients[row.recipient_id]
        if row.commitment_id:
            row.commitment = commitments[row.commitment_id]


def send_batch(recipient_ids: list[int], now: datetime.datetime, connection, report: SendReport) -> None:
    """Claim the due rows of these recipients, send each of them one digest, record what was accepted."""
    token = uuid.uuid4()
    with transaction.atomic():
        claimed = Reminder.objects.filter(due(now), recipient_id__in=recipient_ids).update(
            state=State.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1
        )
    if not claimed:
        return
    claimed_rows = Reminder.objects.filter(state=State.SENDING, recipient_id__in=recipient_ids, claim_token=token)
    rows = list(claimed_rows.select_related("meeting__group").only(*DIGEST_ROW_FIELDS))
    commitment_ids = claimed_rows.exclude(commitment=None).values("commitment_id")
    attach_related(rows, commitment_ids)
    latest = ProgressUpdate.objects.latest_per_commitment(commitment_ids)
    by_recipient = defaultdict(list)
    for row in rows:
        by_recipient[row.recipient].append(row)
    today = timezone.localdate(now)
    sent = []
    try:
        for recipient, recipient_rows in by_recipient.items():
            if _send_digest(recipient, recipient_rows, latest, today, token, now, connection, report):
                sent.append(recipient.pk)
    finally:
        report.digests += len(sent)
        report.sent += _record_sent(token, sent)


def _send_digest(recipient, rows, latest, today, token, now, connection, report: SendReport) -> bool:
    """Send one digest: whether the server accepted it. A failure is recorded at once."""
    if not recipient.email:
        report.failed += _record(
            token, [recipient.pk], state=State.FAILED, last_error="the recipient has no e-mail address"
        )
        return False
    message = build_digest(recipient, rows, latest, today, digest_message_id(token, recipient.pk))
    try:
        # Opened by the first digest of the batch and kept: a refused connection is then a failure
        # of that digest (retried with backoff), not of the sweep.
        connection.open()
        connection.send_messages([message])
    except Exception as error:
        connection.close()  # a half-done SMTP session is not reused; the next digest reconnects
        _record_failure(token, recipient, rows, error, now, report)
        return False
    return True


def _record_failure(token, recipient, rows, error: Exception, now, report: SendReport) -> None:
    text = f"{type(error).__name__}: {error}"[:1000]
    attempts = max(row.attempts for row in rows)
    report.errors.append(f"{recipient.email}: {text}")
    if is_permanent(error) or attempts >= settings.REMINDER_MAX_ATTEMPTS:
        logger.warning("Reminder digest to %s failed for good: %s", recipient.email, text)
        report.failed += _record(token, [recipient.pk], state=State.FAILED, last_error=text)
        return
    delay = settings.REMINDER_RETRY_BASE * 2 ** (attempts - 1)
    logger.info("Reminder digest to %s will be retried in %ss: %s", recipient.email, delay, text)
    report.retrying += _record(
        token,
        [recipient.pk],
        state=State.PENDING,
        claim_token=None,
        last_error=text,
        next_attempt_at=now + datetime.timedelta(seconds=delay),
    )


def send_due(now: datetime.datetime | None = None, batch_size: int | None = None) -> SendReport:
    """Send everything that is due, batch by batch, until nothing due is left."""
    now = now or timezone.now()
    batch_size = batch_size or settings.REMINDER_BATCH_SIZE
    report = SendReport(recovered=recover_stale_claims(now), withdrawn=withdraw_from_former_members())
    # Each recipient once per sweep, even if a retry comes due meanwhile; what comes due later waits
    # for the next sweep. A batch another worker claimed first is skipped by the claim.
    recipients = list(Reminder.objects.filter(due(now)).values_list("recipient_id", flat=True).distinct().order_by())
    recipients.sort()
    for start in range(0, len(recipients), batch_size):
        connection = get_connection()
        try:
            send_batch(recipients[start : start + batch_size], now, connection, report)
        finally:
            connection.close()
    return report


def next_retry_in(now: datetime.datetime) -> float | None:
    """Seconds until the earliest pending retry, if any."""
    soonest = (
        Reminder.objects.filter(state=State.PENDING, next_attempt_at__isnull=False)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    return max((soonest - now).total_seconds(), 0) if soonest else None
