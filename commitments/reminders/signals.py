"""The one event that plans mail outside the sweep: a commitment changing owner, whatever saved it."""

import contextlib
import contextvars

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from commitments.models import UNKNOWN, Commitment
from commitments.reminders.planning import record_new_owners, record_owner_change
from commitments.reminders.tasks import send_reminders
from config.queueing import enqueue_on_commit
from meetings.models import Meeting

_announcing = contextvars.ContextVar("announcing_owner_changes", default=True)


@contextlib.contextmanager
def owner_changes_unannounced():
    """Owners set inside this block are not announced (data loaded by seed_demo is nobody's news)."""
    token = _announcing.set(False)
    try:
        yield
    finally:
        _announcing.reset(token)


@receiver(post_save, sender=Commitment)
def tell_the_owners(sender, instance: Commitment, **kwargs) -> None:
    """Inside the save's transaction: the notices are planned with the change. The send task is enqueued once it
    commits, to run when the quiet period ends: if no later change came meanwhile, it finds them due."""
    previous = instance.previous_owner_id
    if previous is UNKNOWN or previous == instance.owner_id or not _announcing.get():
        return
    actor = getattr(instance, "_history_user", None)
    if record_owner_change(instance, previous, actor.pk if actor else None):
        announce([instance.meeting.group_id])


def tell_the_new_owners(commitments: list[Commitment], actor) -> None:
    """What tell_the_owners does for each commitment saved one by one, for commitments created in bulk."""
    if _announcing.get() and record_new_owners(commitments, actor.pk if actor else None):
        meetings = Meeting.objects.filter(pk__in={commitment.meeting_id for commitment in commitments})
        announce(sorted(set(meetings.values_list("group_id", flat=True))))


def announce(group_ids: list[int]) -> None:
    """Once the save commits, queue the sending to run when the quiet period ends, planning these groups first."""
    enqueue_on_commit(send_reminders, kwargs={"group_ids": group_ids}, countdown=settings.REMINDER_QUIET_PERIOD + 1)
