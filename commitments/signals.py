"""What the commitments app does when an account is deactivated: its private calendar address stops
working for good (a reactivated account gets a new one), as its API tokens do (config/signals.py). And when an
attachment is deleted, by a coordinator or with its meeting, commitment or progress update: its bytes go."""

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from commitments.models import Attachment, CalendarFeed


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def forget_the_calendar_address(sender, instance, **kwargs) -> None:
    if not instance.is_active:
        CalendarFeed.objects.filter(user=instance).delete()


@receiver(post_delete, sender=Attachment)
def forget_the_bytes(sender, instance, **kwargs) -> None:
    """Once the deletion is committed (a rolled-back one keeps its file); the history keeps name and hash. A store
    that fails then does not undo the deletion answered as done: the failure is logged, the file left behind."""
    storage, name = instance.file.storage, instance.file.name
    if name:
        transaction.on_commit(lambda: storage.delete(name), robust=True)
