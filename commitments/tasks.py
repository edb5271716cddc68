"""Celery tasks of the commitments app besides the reminders (commitments/reminders/tasks.py)."""

import datetime

from celery import shared_task
from django.utils import timezone

from commitments import attachment_text, importing
from commitments.models import Attachment

# An upload's own task reads its text within moments; after this, the hourly task reads what it has not (its task
# could not be queued, or its worker died).
READ_AFTER = datetime.timedelta(minutes=10)


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


@shared_task
def read_unread_attachments() -> int:
    """Hourly: read the text of the files uploaded more than READ_AFTER ago whose text was never read. The number
    read."""
    unread = Attachment.objects.filter(text_read_at__isnull=True, uploaded_at__lte=timezone.now() - READ_AFTER)
    count = 0
    for pk in unread.order_by("pk").values_list("pk", flat=True):
        read_attachment_text(pk)
        count += 1
    return count
