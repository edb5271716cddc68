"""Celery tasks: thin wrappers over planning.plan and delivery.send_due."""

import datetime

from celery import shared_task
from django.utils import timezone

from commitments.reminders import delivery, planning


@shared_task
def sweep_reminders() -> dict:
    """Hourly: plan what is due today, then send what is due now."""
    planned = planning.plan(timezone.localdate())
    sent = delivery.send_due()
    _schedule_retry()
    return {"planned": planned.current, "stale": planned.stale, "sent": sent.sent, "failed": sent.failed}


@shared_task
def send_reminders() -> dict:
    """Send what is due now: enqueued after an assignment and for retries, and by beat every
    REMINDER_RECOVERY_SECONDS, which takes back within minutes what a worker that died had claimed."""
    sent = delivery.send_due()
    _schedule_retry()
    return {"sent": sent.sent, "retrying": sent.retrying, "failed": sent.failed}


def _schedule_retry() -> None:
    """A digest that failed for a passing reason is tried again when its backoff ends, not at the next sweep."""
    delay = delivery.next_retry_in(timezone.now())
    if delay is not None and delay < datetime.timedelta(hours=1).total_seconds():
        send_reminders.apply_async(countdown=delay + 1)
