"""Queueing a Celery task from a request: once the transaction commits, and without failing what was saved."""

import functools
import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args, **options) -> None:
    """Queue a task once the transaction commits. If the broker cannot take it then, what was saved stands and is
    answered as saved: the failure is logged, and beat's periodic tasks do the task's work later (the reminders:
    send_reminders, every REMINDER_RECOVERY_SECONDS; an attachment's text: read_unread_attachments, hourly). One
    attempt, not Celery's retries: a request waits at most the broker's connect timeout (5 s, settings)."""
    transaction.on_commit(functools.partial(enqueue, task, args, options))


def enqueue(task, args: tuple, options: dict) -> None:
    try:
        task.apply_async(args, retry=False, **options)
    except Exception:  # the broker refused or was not found (kombu's OperationalError), or any other fault
        logger.exception("Could not queue %s: beat's periodic tasks will do its work", task.name)
