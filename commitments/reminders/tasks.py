"""Celery tasks: thin wrappers over planning.plan and delivery, spread over every worker.

The hourly sweep only fans out: one planning task per working group; the last of them to finish starts the
sending, which fans out again: one task per batch of recipients (REMINDER_BATCH_SIZE), each claiming its rows.
Any number of workers on any number of hosts share a sweep; a task that fails or whose worker dies is covered by
the claims' timeout and by beat's send_reminders every REMINDER_RECOVERY_SECONDS.
"""

import datetime

from celery import group, shared_task
from django.utils import timezone

from commitments.reminders import delivery, planning


@shared_task
def sweep_reminders() -> dict:
    """Hourly: plan each active working group in a task of its own; the last one starts the sending."""
    today, sweep = timezone.localdate(), timezone.now()
    skipped = planning.skip_inactive_groups()
    group_ids = planning.active_group_ids()
    if not group_ids:
        send_reminders.delay()
    for group_id in group_ids:
        plan_reminders.delay(today.isoformat(), group_id, sweep.isoformat(), len(group_ids))
    return {"groups": len(group_ids), "skipped": skipped}


@shared_task
def plan_reminders(today: str, group_id: int, sweep: str, groups: int) -> dict:
    """Plan one working group's reminders for a sweep; the sweep's last group to be planned starts the sending."""
    sweep_started = datetime.datetime.fromisoformat(sweep)
    planned = planning.plan(datetime.date.fromisoformat(today), group_ids=[group_id], sweep=sweep_started)
    if planning.sweep_planned(sweep_started, groups):
        send_reminders.delay()
    return {"planned": planned.current, "stale": planned.stale, "added": planned.added}


@shared_task
def send_reminders(group_ids: list[int] | None = None) -> dict:
    """Send what is due now, one task per batch of recipients: after each sweep's planning, after an assignment and
    for retries, and by beat every REMINDER_RECOVERY_SECONDS, which takes back within minutes what a worker that
    died had claimed. After owner changes, the groups of the commitments (group_ids) are planned first: what the
    change made due (the session reminder of a commitment just handed over) goes with its notice."""
    now = timezone.now()
    if group_ids:
        planning.plan(timezone.localdate(now), group_ids=group_ids)
    report = delivery.prepare(now)
    batches = delivery.batches(now)
    if batches:
        group(send_batch.s(recipient_ids) for recipient_ids in batches).apply_async()
    return {"batches": len(batches), "recovered": report.recovered}


@shared_task
def send_batch(recipient_ids: list[int]) -> dict:
    """Claim and send one batch's digests over one SMTP connection."""
    sent = delivery.send_to(recipient_ids)
    if sent.retrying:
        _schedule_retry()
    return {
        "digests": sent.digests,
        "sent": sent.sent,
        "retrying": sent.retrying,
        "failed": sent.failed,
        "withdrawn": sent.withdrawn,
    }


def _schedule_retry() -> None:
    """A digest that failed for a passing reason is tried again when its backoff ends, not at the next sweep."""
    delay = delivery.next_retry_in(timezone.now())
    if delay is not None and delay < datetime.timedelta(hours=1).total_seconds():
        send_reminders.apply_async(countdown=delay + 1)
