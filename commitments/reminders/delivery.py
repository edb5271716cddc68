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
  died; the next sweep puts them back to pending. A claim is dated when it is made, not when its
  sweep began, so the timeout bounds one batch's sending, not a whole sweep's.
- Withdraw: a batch's due reminders that are no longer right (the group made inactive, the recipient's account
  closed or they left the group, the commitment was closed or changed owner, its date moved) are skipped in the
  transaction that claims the rest.
"""

import datetime
import logging
import smtplib
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Case, CharField, Count, F, Q, Value, When
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from commitments.models import Commitment, ProgressUpdate, Reminder
from commitments.reminders import planning
from commitments.reminders.digests import build_digest, digest_message_id, message_id_around
from commitments.reminders.outbox import WITHDRAWN
from meetings.models import Meeting

logger = logging.getLogger(__name__)
Reason = Reminder.Reason
State = Reminder.State
# What a digest shows of a commitment: loading no more keeps a batch of thousands light.
DIGEST_FIELDS = ("title", "status", "follow_up_date", "restricted", "meeting", "owner")
DIGEST_ROW_FIELDS = ("reason", "anchor_date", "attempts", "recipient", "commitment", "meeting")


def retryable() -> Q:
    """What the admin's "retry" may send again: the failed, and the withdrawn (the recipient had left the group, the
    commitment had closed, changed owner or moved its date: checked again when claimed). Not the other skipped:
    superseded, stale or cancelled, the rules no longer call for them, and a retry would send what is no longer so."""
    return Q(state=State.FAILED) | Q(state=State.SKIPPED, last_error__startswith=WITHDRAWN)


def retry_reminders(queryset) -> tuple[int, dict[str, int], dict[str, int]]:
    """Make the retryable among these reminders pending again, to be sent at the next opportunity (the admin's
    "retry"): how many; how many of each state the others, left as they were, are in; and how many of the retryable
    were not made pending because they are not right to send now, by reason (withdrawn with it)."""
    with transaction.atomic():
        left = dict(queryset.exclude(retryable()).values_list("state").annotate(Count("pk")).order_by())
        wrong = not_right_to_send(queryset.filter(retryable()))
        withdraw(wrong)
        not_now = Counter(why.removeprefix(WITHDRAWN) for *_, why in wrong)
        count = (
            queryset.filter(retryable())
            .exclude(pk__in=[pk for pk, *_ in wrong])
            .update(state=State.PENDING, attempts=0, next_attempt_at=None, claim_token=None, last_error="")
        )
    return count, left, dict(not_now)


# --- What is due ----------------------------------------------------------------------------------------


def day_has_come(now: datetime.datetime) -> Q:
    """Pending rows whose day has come (from the send hour; at once for the notices of owner changes) and not
    backing off."""
    local = timezone.localtime(now)
    last_day = local.date() if local.hour >= settings.REMINDER_SEND_HOUR else local.date() - datetime.timedelta(1)
    return (
        Q(state=State.PENDING)
        & (
            Q(reason__in=Reason.immediate(), planned_for__lte=local.date())
            | Q(reason__in=Reason.scheduled(), planned_for__lte=last_day)
        )
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    )


def in_quiet_period(now: datetime.datetime) -> Q:
    """Notices still pending that were given within the quiet period: their recipients wait, so that someone being
    handed commitments one after another gets one message once it stops, with each commitment once and all its
    reasons."""
    since = now - datetime.timedelta(seconds=settings.REMINDER_QUIET_PERIOD)
    return Q(reason__in=Reason.immediate(), state=State.PENDING, created_at__gt=since)


def due(now: datetime.datetime, recipient_ids: list[int] | None = None) -> Q:
    """Rows whose day has come, of recipients (of recipient_ids, if given) who had no new notice in the quiet period.
    Those recipients are a subquery of its own, read once (NOT IN): as a NOT EXISTS about each row, PostgreSQL planned
    it on out-of-date statistics as a loop over every pending row for each row (100,000 reminders: the due
    recipients, and a batch's claim, were stopped after minutes)."""
    waiting = Reminder.objects.filter(in_quiet_period(now))
    if recipient_ids is not None:
        waiting = waiting.filter(recipient_id__in=recipient_ids)
    return day_has_come(now) & ~Q(recipient_id__in=waiting.values("recipient_id"))


def claimable(now: datetime.datetime, recipient_ids: list[int]):
    """A batch's due rows: found through its recipients in the index of pending rows by recipient and day
    (reminder_state_recipient_day), not among every pending row of the day."""
    return Reminder.objects.filter(due(now, recipient_ids), recipient_id__in=recipient_ids)


def why_withdrawn() -> list[tuple[Q, str]]:
    """What a reminder must still be to be sent, each with what it is withdrawn for when it is not (the first it
    fails)."""
    return [
        (planning.in_an_active_group(), planning.GROUP_INACTIVE),
        (planning.account_open(), "the recipient's account was closed"),
        (planning.member_of_its_group(), "the recipient is no longer a member of the working group"),
        (planning.coordinator_of_its_group(), "the recipient no longer coordinates the working group"),
        (planning.still_true(), "the commitment was closed or changed owner since"),
        (planning.on_time(), "the date it counts down to moved since"),
        (planning.latest_notice(), "a later notice about the commitment replaced it"),
    ]


def not_right_to_send(reminders) -> list[tuple[int, int, str]]:
    """(pk, working group, why) of those of these reminders no longer right to send: one query."""
    why = Case(*(When(~still_right, then=Value(f"{WITHDRAWN}{text}")) for still_right, text in why_withdrawn()))
    outdated = reminders.annotate(why=why).filter(why__isnull=False)
    return list(outdated.values_list("pk", Coalesce("commitment__meeting__group", "meeting__group"), "why"))


def withdraw(rows: list[tuple[int, int, str]], **fields) -> int:
    """Skip these rows (not_right_to_send's), each with its reason; the plans of their groups are forgotten, so the
    next plan looks at them again and makes pending again what the rules call for once more."""
    withdrawn = 0
    for why, same in groupby(sorted(rows, key=itemgetter(2)), key=itemgetter(2)):
        pks = [pk for pk, *_ in same]
        withdrawn += Reminder.objects.filter(pk__in=pks).update(state=State.SKIPPED, last_error=why, **fields)
    if rows:
        planning.forget_plans({group_id for _, group_id, _ in rows})
    return withdrawn


def withdraw_outdated(token: uuid.UUID, recipient_ids: list[int]) -> int:
    """Skip, among the rows a batch just claimed (its token), those no longer right to send (why_withdrawn; one
    query finds them all, with their reason):
    - those of a working group made inactive since they were planned;
    - those of people whose account was closed since, or who left the group (or stopped coordinating it): a digest
      must not quote a group's commitments to someone who may no longer read them;
    - those about a commitment closed since, or whose owner changed since (an assignment to someone who no
      longer has it, a handover to someone who has it back);
    - those counting down to a date that changed since (a session moved, a follow-up date moved or cleared);
    - a notice that a later one replaced (a commitment handed away and back: a retry of the first).
    Checked batch by batch as they are sent, so that the cost follows what is sent (and is shared by the workers
    sending), not the whole outbox every few minutes; among the rows claimed, which the database finds by their
    state, not among every pending row of the outbox. A row withdrawn was not attempted."""
    claimed = Reminder.objects.filter(state=State.SENDING, claim_token=token, recipient_id__in=recipient_ids)
    return withdraw(not_right_to_send(claimed), claim_token=None, claimed_at=None, attempts=F("attempts") - 1)


def recover_stale_claims(now: datetime.datetime) -> int:
    """Put back to pending the rows claimed by a worker that died before recording the outcome."""
    cutoff = now - datetime.timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT)
    with transaction.atomic():
        return Reminder.objects.filter(state=State.SENDING, claimed_at__lt=cutoff).update(
            state=State.PENDING, claim_token=None, last_error="recovered: the worker sending it stopped"
        )


# --- Sending ---------------------------------------------------------------------------------------------


@dataclass
class SendReport:
    digests: int = 0
    sent: int = 0  # reminders (lines) sent
    retrying: int = 0
    failed: int = 0
    recovered: int = 0
    withdrawn: int = 0  # reminders no longer right to send: the recipient left, the commitment closed, …
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
    before, after = message_id_around(token)
    message_id = Concat(Value(before), Cast("recipient_id", CharField()), Value(after), output_field=CharField())
    return _record(token, recipient_ids, state=State.SENT, sent_at=timezone.now(), message_id=message_id, last_error="")


def attach_related(rows: list[Reminder], commitment_ids) -> None:
    """Load the rows' recipients and commitments, with their owners, meetings and groups, each built once per batch.

    Four queries, not a join per row; `commitment_ids` is a subquery, not thousands of parameters.
    (Not prefetch_related: on SQLite, Django 5.2 turns a prefetch of more than 1,000 foreign keys
    into an OR expression deeper than SQLite allows.)
    """
    commitments = Commitment.objects.filter(pk__in=commitment_ids).only(*DIGEST_FIELDS)
    commitments = {commitment.pk: commitment for commitment in commitments}
    owners = {commitment.owner_id for commitment in commitments.values()} - {None}
    people = get_user_model().objects.in_bulk({row.recipient_id for row in rows} | owners)
    meetings = Meeting.objects.select_related("group").in_bulk({c.meeting_id for c in commitments.values()})
    for commitment in commitments.values():
        commitment.meeting = meetings[commitment.meeting_id]
        commitment.owner = people.get(commitment.owner_id)
    for row in rows:
        row.recipient = people[row.recipient_id]
        if row.commitment_id:
            row.commitment = commitments[row.commitment_id]


def send_batch(recipient_ids: list[int], now: datetime.datetime, connection, report: SendReport) -> None:
    """Claim the due rows of these recipients, send each of them one digest, record what was accepted."""
    token = uuid.uuid4()
    with transaction.atomic():
        claimed = claimable(now, recipient_ids).update(
            state=State.SENDING, claim_token=token, claimed_at=timezone.now(), attempts=F("attempts") + 1
        )
        withdrawn = withdraw_outdated(token, recipient_ids) if claimed else 0
    report.withdrawn += withdrawn
    if claimed == withdrawn:
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
            if _send_digest(recipient, recipient_rows, latest, today, token, connection, report):
                sent.append(recipient.pk)
    finally:
        report.digests += len(sent)
        report.sent += _record_sent(token, sent)


def _send_digest(recipient, rows, latest, today, token, connection, report: SendReport) -> bool:
    """Send one digest: whether the server accepted it. A failure is recorded at once."""
    if not recipient.email:
        report.failed += _record(
            token, [recipient.pk], state=State.FAILED, last_error="the recipient has no e-mail address"
        )
        return False
    try:
        message = build_digest(recipient, rows, latest, today, digest_message_id(token, recipient.pk))
    except Exception as error:  # a fault of this one digest: failed for good (the admin may retry it), batch goes on
        logger.exception("Reminder digest to %s could not be written", recipient.email)
        report.errors.append(f"{recipient.email}: {describe(error)}")
        report.failed += _record(token, [recipient.pk], state=State.FAILED, last_error=describe(error))
        return False
    try:
        # Opened by the first digest of the batch and kept: a refused connection is then a failure
        # of that digest (retried with backoff), not of the sweep.
        connection.open()
        connection.send_messages([message])
    except Exception as error:
        connection.close()  # a half-done SMTP session is not reused; the next digest reconnects
        _record_failure(token, recipient, rows, error, report)
        return False
    return True


def describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:1000]


def _record_failure(token, recipient, rows, error: Exception, report: SendReport) -> None:
    text = describe(error)
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
        next_attempt_at=timezone.now() + datetime.timedelta(seconds=delay),
    )


def due_recipients(now: datetime.datetime) -> list[int]:
    """The recipients with something due, in order: each is one digest."""
    recipients = list(Reminder.objects.filter(due(now)).values_list("recipient_id", flat=True).distinct().order_by())
    return sorted(recipients)


def batches(now: datetime.datetime, batch_size: int | None = None) -> list[list[int]]:
    """The due recipients in batches of REMINDER_BATCH_SIZE (after prepare): each is sent by send_to, in this process
    or by a task of its own on any worker."""
    batch_size = batch_size or settings.REMINDER_BATCH_SIZE
    recipients = due_recipients(now)
    return [recipients[start : start + batch_size] for start in range(0, len(recipients), batch_size)]


def send_to(recipient_ids: list[int], now: datetime.datetime | None = None, report: SendReport | None = None):
    """Send one batch over one SMTP connection (what the sweep's sending tasks do, each with its batch)."""
    report = report or SendReport()
    connection = get_connection()
    try:
        send_batch(recipient_ids, now or timezone.now(), connection, report)
    finally:
        connection.close()
    return report


def prepare(now: datetime.datetime) -> SendReport:
    """Before a send: take back what stopped workers had claimed (each batch then withdraws, among its own rows,
    what is no longer right)."""
    return SendReport(recovered=recover_stale_claims(now))


def send_due(now: datetime.datetime | None = None, batch_size: int | None = None) -> SendReport:
    """Send everything that is due, batch by batch, in this process (the send_reminders command)."""
    now = now or timezone.now()
    report = prepare(now)
    # Each recipient once per sweep, even if a retry comes due meanwhile; what comes due later waits
    # for the next sweep. A batch another worker claimed first is skipped by the claim.
    for recipient_ids in batches(now, batch_size):
        send_to(recipient_ids, now, report)
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
