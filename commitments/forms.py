from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format

from commitments.models import Commitment


class VersionedCommitmentForm(forms.ModelForm):
    """A commitment form that refuses to overwrite a save made after the form was opened.

    The version the user started from travels in a hidden field. Cleaning locks the
    row (on PostgreSQL) so that nobody can save between this check and our save,
    and `Commitment.save_versioned` checks it once more in the database.
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
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned_data = super().clean()
        if not self.instance.pk:
            return cleaned_data
        expected = cleaned_data.get("expected_version")
        current = Commitment.objects.select_for_update().get(pk=self.instance.pk)
        if expected is None or expected != current.version:
            last_change = current.history.select_related("history_user").first()
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
        """Save the edit through the model's compare-and-set."""
        commitment = super().save(commit=False)
        if commitment.pk:
            commitment.save_versioned(self.cleaned_data["expected_version"], user=user)
        else:
            commitment.created_by = user
            commitment._history_user = user
            commitment.save()
        self.save_m2m()
        return commitment
