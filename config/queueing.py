"""Queueing a Celery task from a request: once the transaction commits, and without failing what was saved."""

import functools
import logging
import time

from django.db import transaction

logger = logging.getLogger(__name__)

# Once the broker has failed, a process leaves it alone for this long (seconds): a save that queues several tasks
# (a handover of many commitments, files uploaded together) waits for it once, and the saves just after not at all.
PAUSE_AFTER_FAILURE = 30
failed_at: float | None = None  # when it last failed in this process (time.monotonic), while in its pause


def enqueue_on_commit(task, *args, **options) -> None:
    """Queue a task once the transaction commits. If the broker cannot take it then, what was saved stands and is
    answered as saved: the failure is logged, and beat's periodic tasks do the task's work later (the reminders:
    send_reminders, every REMINDER_RECOVERY_SECONDS; an attachment's text: read_unread_attachments, hourly)."""
    transaction.on_commit(functools.partial(enqueue, task, args, options))


def enqueue(task, args: tuple, options: dict) -> None:
    """One attempt, not Celery's and the transport's retries: a request waits at most the broker's connect or
    socket timeout (5 s, settings), once in PAUSE_AFTER_FAILURE."""
    global failed_at
    if failed_at is not None and time.monotonic() - failed_at < PAUSE_AFTER_FAILURE:
        logger.warning(
            "Did not queue %s: the broker failed moments ago; beat's periodic tasks will do its work", task.name
        )
        return
    try:
        with task.app.connection_for_write(transport_options={"max_retries": 0}) as connection:
            task.apply_async(args, connection=connection, retry=False, **options)
    except Exception:  # the broker refused, was not found or did not answer (kombu's OperationalError), or any other
        failed_at = time.monotonic()
        logger.exception("Could not queue %s: beat's periodic tasks will do its work", task.name)
    else:
        failed_at = None
