from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format

from commitments.models import Commitment, NotificationPreference, ProgressUpdate
from meetings.permissions import manageable_meetings, people_to_pick

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class VersionedCommitmentForm(forms.ModelForm):
    """A commitment form that refuses to overwrite a save made after the form was opened.

    The version the user started from travels in a hidden field. Cleaning locks the
    row (on PostgreSQL) so that nobody can save between this check and our save,
    and `Commitment.save_versioned` checks it once more in the database.

    On a conflict the form keeps the user's input, lists what the other save changed
    (`conflict_changes`) and moves its hidden version forward, so that saving again
    after a look at the differences is a deliberate overwrite.
    """

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    stale_message = (
        "Someone else saved this commitment since you opened it "
        "(%(who)s, %(when)s; version %(yours)s is now %(current)s). "
        "Your changes have not been saved and are still in the form: compare them with the current "
        "values, then save again."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict_changes = []
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        from commitments.history import changes_since

        cleaned_data = super().clean()
        meeting, grantees = cleaned_data.get("meeting"), cleaned_data.get("access_granted_to")
        if meeting and grantees:
            Commitment.check_grantees(meeting, grantees)
        if not self.instance.pk:
            return cleaned_data
        expected = cleaned_data.get("expected_version")
        current = Commitment.objects.select_for_update().get(pk=self.instance.pk)
        if expected is None or expected != current.version:
            last_change = current.history.select_related("history_user").first()
            self.conflict_changes = changes_since(current, expected) if expected else []
            self.data = self.data.copy()
            self.data[self.add_prefix("expected_version")] = current.version
            raise ValidationError(
                self.stale_message,
                code="stale",
                params={
                    "who": (last_change.history_user if last_change and last_change.history_user else "unknown user"),
                    "when": date_format(timezone.localtime(current.updated_at), "DATETIME_FORMAT"),
                    "yours": expected if expected is not None else "unknown",
                    "current": current.version,
                },
            )
        return cleaned_data

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


class CommitmentRowForm(VersionedCommitmentForm):
    """A commitment as one row of its meeting's admin page: a row left as it was is neither checked nor saved,
    so that a colleague's edit of one commitment does not block saving the meeting."""

    def clean(self):
        if self.instance.pk and not self.has_changed():
            return self.cleaned_data
        return super().clean()


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
            "access_granted_to": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = (
            manageable_meetings(user).select_related("group").order_by("group__name", "-number")
        )
        members = people_to_pick(user).order_by("first_name", "last_name")
        for name in ("owner", "access_granted_to"):
            self.fields[name].queryset = members
            self.fields[name].label_from_instance = lambda u: u.get_full_name() or u.get_username()


class OwnerCommitmentForm(VersionedCommitmentForm):
    """What an owner may change on their own commitment."""

    class Meta:
        model = Commitment
        fields = ["status", "follow_up_date"]
        widgets = {"follow_up_date": DATE_INPUT}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


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
