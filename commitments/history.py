"""The change history of a commitment in words: who changed which field from what to what."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from itertools import zip_longest

from django.contrib.auth import get_user_model
from django.db import models
from django.utils.formats import date_format

from commitments.models import Attachment, Category, Commitment
from commitments.permissions import could_read_then
from config.display import PERSON_FIELDS, in_words, person
from meetings.models import Meeting

# Bookkeeping fields that change with every save and say nothing to a reader.
UNTRACKED = {"id", "created_at", "updated_at", "closed_at", "version", "created_by"}
TRACKED_FIELDS = [f for f in Commitment._meta.concrete_fields if f.name not in UNTRACKED]


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class Change:
    when: datetime.datetime
    who: str
    kind: str  # "created", "changed", "deleted"
    changes: list[FieldChange] = field(default_factory=list)
    withheld: bool = False  # made while it was restricted, out of the reader's sight then
    note: str = ""  # why, as recorded with the change: "Imported from JWG-CT tracker.xlsx"
    version: int | None = None  # the commitment's version the change saved (None for a file's)


WITHHELD = "(not shown: restricted at the time)"
GRANTEES_WITHHELD = "(not shown: need to know)"  # who was granted access, restricted at the time or not
GRANTS = "access granted to"
# A form, the API and the admin save a commitment's fields, then its grants: two records of one edit, of one version
# (a save raises the version; saving the grants does not).


class _Labels:
    """Readable values for the ids and codes stored in history rows, looked up in one query per model, when a change
    first needs them (a commitment never changed needs none)."""

    def __init__(self, records, user_ids=()):
        self.user_ids, self.category_ids, self.meeting_ids = set(user_ids), set(), set()
        for record in records:
            self.user_ids.add(record.owner_id)
            self.category_ids.add(record.category_id)
            self.meeting_ids.add(record.meeting_id)

    @cached_property
    def users(self) -> dict[int, str]:
        people = get_user_model().objects.filter(pk__in=self.user_ids - {None}).only(*PERSON_FIELDS)
        return {user.pk: person(user) for user in people}

    @cached_property
    def categories(self) -> dict[int, str]:
        return dict(Category.objects.filter(pk__in=self.category_ids - {None}).values_list("pk", "name"))

    @cached_property
    def meetings(self) -> dict[int, str]:
        numbers = Meeting.objects.filter(pk__in=self.meeting_ids - {None}).values_list("pk", "number")
        return {pk: Meeting.title_of(number) for pk, number in numbers}

    def display(self, model_field: models.Field, value) -> str:
        if value is None:
            return "—"
        if model_field.name == "owner":
            return self.users.get(value, f"user {value}")
        if model_field.name == "category":
            return self.categories.get(value, str(value))
        if model_field.name == "meeting":
            return self.meetings.get(value, str(value))
        if isinstance(value, datetime.date):
            return date_format(value)
        return str(in_words(model_field, value))


def _value(record, model_field):
    return getattr(record, model_field.attname)


def _field_changes(older, newer, labels: _Labels, readable=(True, True)) -> list[FieldChange]:
    """What differs between two states; the values of a state the reader could not read then are withheld — but
    whether it was restricted, which it always was when withheld: that tells nothing, and says why."""

    def shown(record, model_field, can_read: bool) -> str:
        if can_read or model_field.name == "restricted":
            return labels.display(model_field, _value(record, model_field))
        return WITHHELD

    return [
        FieldChange(str(f.verbose_name), shown(older, f, readable[0]), shown(newer, f, readable[1]))
        for f in TRACKED_FIELDS
        if _value(older, f) != _value(newer, f)
    ]


def _grants_by_record(records) -> dict[int, set[int]]:
    """{history id: ids of the users granted access at that time}, in one query."""
    granted = defaultdict(set)
    if records:
        grants = records[0].access_granted_to.model.objects.filter(history__in=records)
        for history_id, user_id in grants.values_list("history_id", "user_id"):
            granted[history_id].add(user_id)
    return granted


def _grants_left_by_the_edit(records, granted: dict[int, set[int]]) -> dict[int, set[int]]:
    """{history id: who was granted access once the edit that wrote the record was done}. An edit saves the fields,
    then the grants: two records of one version (every save raises it). What it wrote is for those it left with
    access — not for a member whose access it took away, and for one it granted access."""
    last_of_version: dict[int, set[int]] = {}
    for record in records:  # newest first: the first of a version is the edit's last
        last_of_version.setdefault(record.version, granted[record.pk])
    return {record.pk: last_of_version[record.version] for record in records}


def _grant_change(older: set[int], newer: set[int], labels: _Labels, readable) -> list[FieldChange]:
    """Who was granted access, when that changed (the field is many-to-many: not among TRACKED_FIELDS)."""
    if older == newer:
        return []

    def names(ids: set[int], can_read: bool) -> str:
        if not ids:
            return "—"  # no one: nothing to withhold
        return ", ".join(sorted(labels.users.get(i, f"user {i}") for i in ids)) if can_read else GRANTEES_WITHHELD

    return [FieldChange(GRANTS, names(older, readable[0]), names(newer, readable[1]))]


def change_log(commitment: Commitment, reader) -> list[Change]:
    """Every recorded change, newest first, as the reader may see it (restricted states withheld)."""
    records = list(commitment.history.select_related("history_user").order_by("-history_date", "-history_id"))
    granted = _grants_by_record(records)
    left = _grants_left_by_the_edit(records, granted)
    group_id = commitment.meeting.group_id
    readable = {
        record.pk: could_read_then(
            reader, restricted=record.restricted, owner_id=record.owner_id, granted=left[record.pk], group_id=group_id
        )
        for record in records
    }
    # Who was granted access is itself need to know: named to those who could read the record were it restricted
    # (its owner then, those granted then, the coordinators), even once the restriction is lifted.
    grants_readable = {
        record.pk: could_read_then(
            reader, restricted=True, owner_id=record.owner_id, granted=left[record.pk], group_id=group_id
        )
        for record in records
    }
    labels = _Labels(records, user_ids=set().union(*granted.values()))
    log = []
    for newer, older in zip_longest(records, records[1:]):  # each with the one before it; none for bulk-loaded rows
        who = person(newer.history_user, nobody="")
        kind = {"+": "created", "~": "changed", "-": "deleted"}[newer.history_type]
        seen = (readable[older.pk] if older is not None else True, readable[newer.pk])
        changes = []
        if older is not None:
            changes = _field_changes(older, newer, labels, seen)
            grants_seen = (grants_readable[older.pk], grants_readable[newer.pk])
            changes += _grant_change(granted[older.pk], granted[newer.pk], labels, grants_seen)
        if kind == "changed" and not changes:
            continue  # a save that changed only bookkeeping
        withheld = not any(seen)
        log.append(
            Change(
                newer.history_date,
                who or newer.history_change_reason or "system",
                kind,
                [] if withheld else changes,
                withheld,
                note=(newer.history_change_reason or "") if who else "",
                version=newer.version,
            )
        )
    log = _one_entry_per_edit(log)
    log += _file_changes(commitment, records, readable)
    return sorted(log, key=lambda change: change.when, reverse=True)


def _one_entry_per_edit(log: list[Change]) -> list[Change]:
    """The log (newest first) with each change of grants alone that follows a creation or a change of other fields
    of the same version (saved with them) told as part of it: one edit, one entry. A reader shown neither record's
    details is shown the edit once."""
    merged: list[Change] = []
    for change in reversed(log):
        edit = merged[-1] if merged else None
        grants_alone = change.changes and all(field_change.label == GRANTS for field_change in change.changes)
        if (
            edit is not None
            and change.kind == "changed"
            and (grants_alone or change.withheld)
            and edit.kind in ("created", "changed")
            and all(field_change.label != GRANTS for field_change in edit.changes)
            and change.who == edit.who
            and change.version == edit.version
        ):
            edit.changes = edit.changes + change.changes
            continue
        merged.append(change)
    return merged[::-1]


def _file_changes(commitment: Commitment, records, readable: dict[int, bool]) -> list[Change]:
    """Files attached to the commitment or its progress updates, and deleted: who, when, the name (and the
    hash of a deleted one). Withheld if the commitment was then restricted out of the reader's sight."""
    log = []
    events = Attachment.history.filter(commitment_id=commitment.pk, history_type__in=["+", "-"])
    for event in events.select_related("history_user").order_by("-history_date", "-history_id"):
        withheld = not all(readable[record.pk] for record in states_at(records, event.history_date))
        if event.history_type == "+":
            kind, note = f"attached “{event.name}” to", ""
        else:
            kind, note = f"deleted the file “{event.name}” from", f"SHA-256 {event.sha256}"
        who = person(event.history_user, nobody="system")
        if withheld:
            kind, note = "changed", ""
        log.append(Change(event.history_date, who, kind, [], withheld, note=note))
    return log


def states_at(records, moment) -> list:
    """The commitment's recorded states at a moment (records newest first): the last one before it, and any
    recorded at that very moment (which came first cannot be told: each is taken as a possibility)."""
    at = [record for record in records if record.history_date == moment]
    before = next((record for record in records if record.history_date < moment), None)
    return [*at, *([before] if before else [])]


def changes_since(commitment: Commitment, version: int) -> list[FieldChange]:
    """What differs between the given version and the commitment as it is now."""
    then = commitment.history.filter(version=version).order_by("-history_date").first()
    if then is None:
        return []
    granted_then = _grants_by_record([then])[then.pk]
    granted_now = set(commitment.access_granted_to.values_list("pk", flat=True))
    labels = _Labels([then, commitment], user_ids=granted_then | granted_now)
    return _field_changes(then, commitment, labels) + _grant_change(granted_then, granted_now, labels, (True, True))
