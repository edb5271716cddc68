"""A form that merges, field by field, when a colleague saved the object after the user opened it.

The subclass says what the user opened (a version, a history record) and how to find the
record of that state; on a refused save the form's data is rebuilt:

- a field the user did not touch takes the saved value;
- a field only the user changed keeps the user's input;
- a field both changed, differently, is shown side by side (`conflicts`) and the user
  chooses which value to keep (`keep_<field>`, with the list in the hidden `conflicting`).

The message names the colleague and the time ("Priya Nair saved this commitment at 10:42").
"""

import datetime
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format

from config.display import person

NOT_KNOWN = object()  # a value that equals no other: an input that did not validate, a state not recorded
KEEP_MINE, KEEP_THEIRS = "mine", "theirs"


@dataclass
class Conflict:
    """A field that both the user and a colleague changed, differently: the user chooses which value to keep."""

    name: str
    label: str
    mine: str
    theirs: str
    choice: str = ""  # what the user chose, when the form is shown again


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


def person_of(record) -> str:
    """Who made a history record, by name."""
    return person(record.history_user if record else None, nobody="Someone")


def at_time(moment: datetime.datetime) -> str:
    """ "at 10:42" today, "on 3 December 2026 at 10:42" another day."""
    moment = timezone.localtime(moment)
    at = f"at {date_format(moment, 'H:i')}"
    return at if moment.date() == timezone.localdate() else f"on {date_format(moment, 'j F Y')} {at}"


def current_value(obj, name: str):
    """A field's saved value, as a form's cleaned data holds it."""
    field = obj._meta.get_field(name)
    return list(getattr(obj, name).all()) if field.many_to_many else getattr(obj, name)


def key(value):
    """A comparable form of a value: ids for objects, a set of ids for several."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | models.QuerySet):
        return frozenset(obj.pk for obj in value)
    return value


def record_key(record, name: str):
    """A field's value in a history record, in the form of `key`."""
    field = record.instance_type._meta.get_field(name)
    if field.many_to_many:
        return frozenset(getattr(record, name).values_list(f"{field.m2m_reverse_field_name()}_id", flat=True))
    return getattr(record, field.attname)


class MergingFormMixin:
    """For a ModelForm whose subclass implements `opened_record(current)` (the history record of what the user
    opened, or None), `moves_forward(data, current)` (the hidden token set to the current state) and names
    the object in `object_name` ("commitment", "meeting")."""

    object_name = "record"
    stale_message = (
        "%(who)s saved this %(object)s %(when)s, after you opened it. Nothing of yours is saved yet: "
        "the fields you did not change now show what %(who)s saved%(choose)s. Check, then save again."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict_changes: list[FieldChange] = []  # what the colleague changed, for the page to list
        self.conflicts: list[Conflict] = []
        self.saved_by = ""
        self.stale = False  # refused because a colleague saved first

    def refuse_stale(self, current, last_record, saved_at: datetime.datetime):
        """Rebuild the data against what the user opened, and refuse this save."""
        base = self.opened_record(current)
        self.stale = True
        self.saved_by = person_of(last_record)
        self.conflict_changes = self.colleague_changes(current, base)
        data, both_changed = self.data.copy(), []
        for name in self.merged_fields():
            theirs, mine = key(current_value(current, name)), self.mine(name)
            then = record_key(base, name) if base else NOT_KNOWN
            if mine == then:
                self.put(data, name, current_value(current, name))  # untouched: the saved value
            elif then != theirs and mine != theirs:
                both_changed.append(name)
        data[self.add_prefix("conflicting")] = ",".join(both_changed)
        self.moves_forward(data, current)
        self.data = data
        self.describe_conflicts(current)
        raise ValidationError(
            self.stale_message,
            code="stale",
            params={
                "who": self.saved_by,
                "object": self.object_name,
                "when": at_time(saved_at),
                "choose": "; where you both changed a field, choose which value to keep" if both_changed else "",
            },
        )

    def apply_choices(self, current, last_record):
        """After a refused save: take the colleague's value where the user chose it; ask where they did not."""
        conflicting = self.conflicting()
        if not conflicting:
            return
        self.saved_by = person_of(last_record)
        self.describe_conflicts(current)  # for the page, shown again if the form is refused
        for name in conflicting:
            choice = self.data.get(self.add_prefix(f"keep_{name}"))
            if choice == KEEP_THEIRS:
                self.cleaned_data[name] = current_value(current, name)
            elif choice != KEEP_MINE:
                self.add_error(name, "Choose which value to keep.")

    def colleague_changes(self, current, base) -> list[FieldChange]:
        if base is None:
            return []
        return [
            FieldChange(str(self.fields[name].label), self.display(name, then), self.display(name, now))
            for name in self.merged_fields()
            if (then := record_key(base, name)) != key(now := current_value(current, name))
        ]

    def changes_anything(self) -> bool:
        """Whether saving would change a saved value (a merged form can differ from the page the user saw and
        yet change nothing: a colleague's value kept, spaces trimmed). Saving nothing records no version."""
        return any(
            key(self.cleaned_data[name]) != key(self.initial.get(name))
            for name in self.merged_fields()
            if name in self.cleaned_data
        )

    def conflicting(self) -> list[str]:
        names = self.data.get(self.add_prefix("conflicting"), "").split(",")
        return [name for name in names if name in self.merged_fields()]

    def describe_conflicts(self, current):
        self.conflicts = [
            Conflict(
                name,
                str(self.fields[name].label),
                self.display(name, self.cleaned_data.get(name, self.data.get(self.add_prefix(name)))),
                self.display(name, current_value(current, name)),
                self.data.get(self.add_prefix(f"keep_{name}"), ""),
            )
            for name in self.conflicting()
        ]

    def merged_fields(self) -> list[str]:
        model_fields = {f.name for f in self._meta.model._meta.get_fields()}
        return [name for name in self.fields if name in model_fields]

    def mine(self, name: str):
        """The user's input as a comparable key; an input that did not validate counts as changed."""
        return key(self.cleaned_data[name]) if name in self.cleaned_data else NOT_KNOWN

    def put(self, data, name: str, value):
        """Write a value into the posted data, as its widget would post it."""
        data_key = self.add_prefix(name)
        if isinstance(self.fields[name], forms.ModelMultipleChoiceField):
            data.setlist(data_key, [str(obj.pk) for obj in value])
        elif isinstance(value, bool):
            data[data_key] = "on" if value else ""
        elif isinstance(value, models.Model):
            data[data_key] = str(value.pk)
        elif isinstance(value, datetime.date):
            data[data_key] = value.isoformat()
        else:
            data[data_key] = "" if value is None else str(getattr(value, "code", value))

    def display(self, name: str, value) -> str:
        field = self.fields[name]
        if isinstance(field, forms.ModelMultipleChoiceField):
            return ", ".join(field.label_from_instance(obj) for obj in value) or "—"
        if value in (None, ""):
            return "—"
        if isinstance(field, forms.ModelChoiceField):
            return field.label_from_instance(value) if isinstance(value, models.Model) else str(value)
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if isinstance(value, datetime.date):
            return date_format(value, "j F Y")
        if isinstance(field, forms.ChoiceField):
            return str(dict(field.choices).get(getattr(value, "code", value), value))
        return str(value)
