"""Celery tasks of the commitments app besides the reminders (commitments/reminders/tasks.py)."""

from celery import shared_task

from commitments import importing


@shared_task
def forget_stale_imports() -> int:
    """Hourly: delete the files uploaded for import and left unimported for a day (they may hold restricted
    commitments). The number deleted."""
    return importing.forget_stale()
