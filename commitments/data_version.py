"""The data version: a token carried by the cache keys of what is built from the data (the brief), replaced by every
write that could change it. It is replaced at once, and again once the write commits: a page built in between may
hold the data from before, under the version then current, which is never asked for again.

Kept in the cache (CACHE_URL), which every process of the site shares.
"""

import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from commitments.models import Attachment, BriefSnapshot, Category, Commitment, ProgressUpdate
from meetings.models import AgendaTopic, Meeting, Membership, Participant, WorkingGroup

KEY = "data-version"
# What the brief shows is read from these; a write of only the fields named beside one changes nothing it shows.
WATCHED = {
    WorkingGroup: set(),
    Membership: set(),
    Meeting: set(),
    Participant: set(),
    AgendaTopic: set(),
    Category: set(),
    Commitment: set(),
    ProgressUpdate: set(),
    Attachment: {"text", "text_read_at"},  # the words read for search
    BriefSnapshot: set(),
    settings.AUTH_USER_MODEL: {"last_login"},  # every login saves it
}


def data_version() -> str:
    version = cache.get(KEY)
    if version is None:
        cache.add(KEY, uuid.uuid4().hex, None)
        version = cache.get(KEY)
    return version


def data_changed() -> None:
    """A cache that fails before the write stops it. One that fails once the write has committed is logged and does
    not turn the save into an error page; a brief built meanwhile may then be shown until the next write."""
    cache.set(KEY, uuid.uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(KEY, uuid.uuid4().hex, None), robust=True)


def _saved(sender, update_fields=None, **kwargs) -> None:
    ignored = WATCHED.get(sender, set()) or WATCHED.get(sender._meta.label, set())
    if update_fields is None or not set(update_fields) <= ignored:
        data_changed()


def _deleted(sender, **kwargs) -> None:
    data_changed()


def _linked(sender, action, **kwargs) -> None:
    if action.startswith("post_"):
        data_changed()


def connect() -> None:
    for model in WATCHED:
        post_save.connect(_saved, sender=model, dispatch_uid=f"data-version-save-{model}")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"data-version-delete-{model}")
    m2m_changed.connect(_linked, sender=Commitment.access_granted_to.through, dispatch_uid="data-version-grants")
