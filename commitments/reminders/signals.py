"""The one event that plans mail outside the sweep: a commitment changing owner, whatever saved it."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from commitments.models import UNKNOWN, Commitment
from commitments.reminders.planning import record_owner_change
from commitments.reminders.tasks import send_reminders


@receiver(post_save, sender=Commitment)
def tell_the_owners(sender, instance: Commitment, **kwargs) -> None:
    """Inside the save's transaction: the notices are planned with the change, and sent once it commits."""
    previous = instance.previous_owner_id
    if previous is UNKNOWN or previous == instance.owner_id:
        return
    actor = getattr(instance, "_history_user", None)
    if record_owner_change(instance, previous, actor.pk if actor else None):
        send_reminders.delay_on_commit()
