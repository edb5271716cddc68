"""The list of reminder lead days, stored as JSON and typed as "30, 14, 7, 1"."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

MAX_LEAD_DAYS = 365


def validate_lead_days(value) -> None:
    """A list of distinct whole days between 1 and a year."""
    if not isinstance(value, list) or not all(isinstance(day, int) and not isinstance(day, bool) for day in value):
        raise ValidationError("Reminder lead days must be a list of whole days.", code="invalid")
    if any(day < 1 or day > MAX_LEAD_DAYS for day in value):
        raise ValidationError(
            "Each reminder lead day must be between 1 and %(max)d.", code="out_of_range", params={"max": MAX_LEAD_DAYS}
        )
    if len(set(value)) != len(value):
        raise ValidationError("Reminder lead days must not repeat.", code="duplicate")


class LeadDaysFormField(forms.CharField):
    """Accepts "30, 14, 7, 1" and cleans it to [30, 14, 7, 1]."""

    default_error_messages = {"invalid": "Enter whole numbers of days separated by commas, e.g. 30, 14, 7, 1."}

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(day) for day in value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return []
        try:
            days = [int(part) for part in text.replace(";", ",").split(",") if part.strip()]
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        return sorted(days, reverse=True) if len(set(days)) == len(days) else days

    def validate(self, value):
        super().validate(value)
        validate_lead_days(value)


class LeadDaysField(models.JSONField):
    """Days before a session on which its owners are reminded, longest lead first."""

    default_validators = [validate_lead_days]

    def formfield(self, **kwargs):
        return models.Field.formfield(self, form_class=LeadDaysFormField, **kwargs)
