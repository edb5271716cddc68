"""Celery tasks of the commitments app besides the reminders (commitments/reminders/tasks.py)."""

from celery import shared_task

from commitments import attachment_text, importing
from commitments.models import Attachment


@shared_task
def forget_stale_imports() -> int:
    """Hourly: delete the files uploaded for import and left unimported for a day (they may hold restricted
    commitments). The number deleted."""
    return importing.forget_stale()


@shared_task
def read_attachment_text(pk: int) -> None:
    """After an upload: read the words of a PDF, Word or text file, for search."""
    attachment = Attachment.objects.filter(pk=pk).first()
    if attachment is None:
        return  # deleted meanwhile
    Attachment.objects.filter(pk=pk).with_text(attachment_text.read_text(attachment))
