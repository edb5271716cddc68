"""What the commitments app does when an account is deactivated: its private calendar address stops
working for good (a reactivated account gets a new one), as its API tokens do (config/signals.py)."""

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from commitments.models import CalendarFeed


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def forget_the_calendar_address(sender, instance, **kwargs) -> None:
    if not instance.is_active:
        CalendarFeed.objects.filter(user=instance).delete()
