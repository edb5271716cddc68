import datetime
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from commitments.models import Commitment, NotificationPreference, ProgressUpdate
from meetings.permissions import coordinated_groups, manageable_meetings, people_to_pick

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


@dataclass
class Conflict:
    """A field that both the user and a colleague changed, differently: the user chooses which value to keep."""

    name: str
    label: str
    mine: str
    theirs: str
    choice: str = ""  # what the user chose, when the form is shown again


KEEP_MINE, KEEP_THEIRS = "mine", "theirs"


class VersionedCommitmentForm(forms.ModelForm):
    """A commitment form that refuses to overwrite a save made after the form was opened.

    The version the user started from travels in a hidden field. Cleaning locks the
    row (on PostgreSQL) so that nobody can save between this check and our save,
    and `Commitment.save_versioned` checks it once more in the database.

    A refused save merges, field by field, against the version the user opened:
    a field the user did not touch takes the saved value; a field only the user
    changed keeps the user's input; a field both changed, differently, is shown side
    by side (`conflicts`) and the user chooses which value to keep (`keep_<field>`).
    The hidden version moves forward, so that saving the merged form is the next edit.
    """

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    stale_message = (
        "%(who)s saved this commitment %(when)s, after you opened it. Nothing of yours is saved yet: "
        "the fields you did not change now show what %(who)s saved%(choose)s. Check, then save again."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict_changes = []  # what the colleague changed, for the page to list
        self.conflicts: list[Conflict] = []
        self.saved_by = ""
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned_data = super().clean()
        meeting, grantees = cleaned_data.get("meeting"), cleaned_data.get("access_granted_to")
        if meeting and grantees:
            Commitment.check_grantees(meeting, grantees)
        if self.instance.pk:
            expected = cleaned_data.get("expected_version")
            current = Commitment.objects.select_for_update().get(pk=self.instance.pk)
            if expected is None or expected != current.version:
                self._refuse_stale(current, expected)  # first: a colleague's change explains the rest
            self._apply_choices(current)
        if "follow_up_date" in cleaned_data:
            saved = self.instance.follow_up_date if self.instance.pk else None
            Commitment.check_follow_up_date(cleaned_data["follow_up_date"], saved)
        return cleaned_data

    def _refuse_stale(self, current: Commitment, expected: int | None):
        from commitments.history import changes_since

        self.saved_by = saved_by(current)
        self.conflict_changes = changes_since(current, expected) if expected else []
        base = current.history.filter(version=expected).order_by("-history_date").first() if expected else None
        data, both_changed = self.data.copy(), []
        for name in self._model_fields():
            theirs, mine = _key(_current(current, name)), self._mine(name)
            then = _record_key(base, name) if base else NOT_KNOWN
            if mine == then:
                self._put(data, name, _current(current, name))  # untouched: the saved value
            elif then != theirs and mine != theirs:
                both_changed.append(name)
        data[self.add_prefix("conflicting")] = ",".join(both_changed)
        data[self.add_prefix("expected_version")] = current.version
        self.data = data
        self._describe_conflicts(current)
        when = timezone.localtime(current.updated_at)
        at = f"at {date_format(when, 'H:i')}"
        raise ValidationError(
            self.stale_message,
            code="stale",
            params={
                "who": self.saved_by,
                "when": at if when.date() == timezone.localdate() else f"on {date_format(when, 'j F Y')} {at}",
                "choose": "; where you both changed a field, choose which value to keep" if both_changed else "",
            },
        )

    def _apply_choices(self, current: Commitment):
        """After a refused save: take the colleague's value where the user chose it; ask where they did not."""
        conflicting = self._conflicting()
        if not conflicting:
            return
        self.saved_by = saved_by(current)
        self._describe_conflicts(current)  # for the page, shown again if the form is refused
        for name in conflicting:
            choice = self.data.get(self.add_prefix(f"keep_{name}"))
            if choice == KEEP_THEIRS:
                self.cleaned_data[name] = _current(current, name)
            elif choice != KEEP_MINE:
                self.add_error(name, "Choose which value to keep.")

    def _conflicting(self) -> list[str]:
        names = self.data.get(self.add_prefix("conflicting"), "").split(",")
        return [name for name in names if name in self._model_fields()]

    def _describe_conflicts(self, current: Commitment):
        self.conflicts = [
            Conflict(
                name,
                str(self.fields[name].label),
                self._display(name, self.cleaned_data.get(name, self.data.get(self.add_prefix(name)))),
                self._display(name, _current(current, name)),
                self.data.get(self.add_prefix(f"keep_{name}"), ""),
            )
            for name in self._conflicting()
        ]

    def _model_fields(self) -> list[str]:
        model_fields = {f.name for f in Commitment._meta.get_fields()}
        return [name for name in self.fields if name in model_fields]

    def _mine(self, name: str):
        """The user's input as a comparable key; an input that did not validate counts as changed."""
        return _key(self.cleaned_data[name]) if name in self.cleaned_data else NOT_KNOWN

    def _put(self, data, name: str, value):
        """Write a value into the posted data, as its widget would post it."""
        key = self.add_prefix(name)
        if isinstance(self.fields[name], forms.ModelMultipleChoiceField):
            data.setlist(key, [str(obj.pk) for obj in value])
        elif isinstance(value, bool):
            data[key] = "on" if value else ""
        elif isinstance(value, models.Model):
            data[key] = str(value.pk)
        elif isinstance(value, datetime.date):
            data[key] = value.isoformat()
        else:
            data[key] = "" if value is None else str(value)

    def _display(self, name: str, value) -> str:
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
            return str(dict(field.choices).get(value, value))
        return str(value)

    def save_versioned(self, *, user) -> Commitment:
        """Save the edit through the model's compare-and-set; a form saved unchanged saves nothing (a new
        version would refuse a colleague's edit for nothing)."""
        commitment = super().save(commit=False)
        if commitment.pk and not self.has_changed():
            return commitment
        if commitment.pk:
            commitment.save_versioned(self.cleaned_data["expected_version"], user=user)
        else:
            commitment.created_by = user
            commitment._history_user = user
            commitment.save()
        self.save_m2m()
        return commitment


NOT_KNOWN = object()  # a value that equals no other: an input that did not validate, a version not recorded


def saved_by(commitment: Commitment) -> str:
    """Who made the commitment's latest save, by name."""
    last_change = commitment.history.select_related("history_user").first()
    user = last_change.history_user if last_change else None
    return (user.get_full_name() or user.get_username()) if user else "Someone"


def _current(commitment: Commitment, name: str):
    """A field's saved value, as a form's cleaned data holds it."""
    field = Commitment._meta.get_field(name)
    return list(getattr(commitment, name).all()) if field.many_to_many else getattr(commitment, name)


def _key(value):
    """A comparable form of a value: ids for objects, a set of ids for several."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | models.QuerySet):
        return frozenset(obj.pk for obj in value)
    return value


def _record_key(record, name: str):
    """A field's value in a history record, in the form of `_key`."""
    field = Commitment._meta.get_field(name)
    if field.many_to_many:
        return frozenset(getattr(record, name).values_list("user_id", flat=True))
    return getattr(record, field.attname)


class CommitmentRowForm(VersionedCommitmentForm):
    """A commitment as one row of its meeting's admin page: a row left as it was is neither checked nor saved,
    so that a colleague's edit of one commitment does not block saving the meeting."""

    def clean(self):
        if self.instance.pk and not self.has_changed():
            return self.cleaned_data
        return super().clean()


class SuggestionsInput(forms.TextInput):
    """A text input that suggests values (an HTML datalist), so that one name is typed one way."""

    def __init__(self, suggestions=(), attrs=None):
        super().__init__(attrs)
        self.suggestions = list(suggestions)

    def render(self, name, value, attrs=None, renderer=None):
        list_id = f"{name}-suggestions"
        html = super().render(name, value, {**(attrs or {}), "list": list_id}, renderer)
        options = format_html_join("", '<option value="{}">', ((option,) for option in self.suggestions))
        return format_html('{}<datalist id="{}">{}</datalist>', html, list_id, options)


SUGGESTED = ("lead_agency", "partner_counterpart")  # free text, suggested from the values already used in the group
MAX_SUGGESTIONS = 200


class CommitmentForm(VersionedCommitmentForm):
    """Everything about a commitment, for the coordinators of its group."""

    class Meta:
        model = Commitment
        fields = [
            "meeting",
            "title",
            "description",
            "category",
            "record_paragraph",
            "owner",
            "responsible_side",
            "lead_agency",
            "partner_counterpart",
            "follow_up_date",
            "status",
            "priority",
            "restricted",
            "access_granted_to",
        ]
        widgets = {
            "follow_up_date": DATE_INPUT,
            "description": forms.Textarea(attrs={"rows": 4}),
            "access_granted_to": forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = (
            manageable_meetings(user).select_related("group").order_by("group__name", "-number")
        )
        members = people_to_pick(user).order_by("first_name", "last_name")
        if self.instance.pk:  # the people of the commitment's own group
            members = members.filter(memberships__group=self.instance.meeting.group_id)
        for name in ("owner", "access_granted_to"):
            self.fields[name].queryset = members
            self.fields[name].label_from_instance = lambda u: u.get_full_name() or u.get_username()
        groups = [self.instance.meeting.group_id] if self.instance.pk else coordinated_groups(user)
        used = Commitment.objects.filter(meeting__group__in=groups)
        for name in SUGGESTED:
            values = used.exclude(**{name: ""}).order_by(name).values_list(name, flat=True).distinct()
            self.fields[name].widget = SuggestionsInput(values[:MAX_SUGGESTIONS])


class OwnerCommitmentForm(VersionedCommitmentForm):
    """What an owner may change on their own commitment. Moving the follow-up date asks why: the reason goes
    into the journal, and the group's coordinators see the move in their next summary."""

    reason = forms.CharField(
        label="Why does the follow-up date move?",
        required=False,
        max_length=300,
        help_text="Only when you move the date, in a few words; it is recorded in the progress journal.",
    )

    class Meta:
        model = Commitment
        fields = ["status", "follow_up_date"]
        widgets = {"follow_up_date": DATE_INPUT}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.moved_from = None

    def clean(self):
        cleaned_data = super().clean()
        saved, new = self.instance.follow_up_date, cleaned_data.get("follow_up_date")
        if saved is not None and "follow_up_date" in cleaned_data and new != saved:
            if not cleaned_data.get("reason"):
                self.add_error("reason", "Say in a few words why the date moves.")
            self.moved_from = saved
        return cleaned_data

    def save_versioned(self, *, user) -> Commitment:
        commitment = super().save_versioned(user=user)
        if self.moved_from is not None:
            commitment.record_date_move(author=user, moved_from=self.moved_from, reason=self.cleaned_data["reason"])
        return commitment


class ProgressUpdateForm(forms.ModelForm):
    class Meta:
        model = ProgressUpdate
        fields = ["text", "new_status", "source"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}
        labels = {"text": "What happened?"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_status"].choices = [("", "Keep the current status"), *Commitment.Status.choices]


class NotificationPreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["due_soon", "overdue"]
        help_texts = {
            "due_soon": "7 days and 1 day before the follow-up date of each of your commitments.",
            "overdue": "The day after the follow-up date, then weekly until the commitment is done or dropped.",
        }


TOKEN_LIFETIMES = (7, 30, 90, 365)  # days a new API token may be valid for, up to API_TOKEN_MAX_DAYS


class ApiTokenForm(forms.Form):
    days = forms.TypedChoiceField(label="Valid for", coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        longest = settings.API_TOKEN_MAX_DAYS
        days = sorted({d for d in TOKEN_LIFETIMES if d <= longest} | {longest})
        self.fields["days"].choices = [(d, f"{d} days") for d in days]
        self.fields["days"].initial = 90 if 90 in days else days[-1]
