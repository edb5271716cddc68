from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Max
from django_countries import countries

from meetings.dates import format_date_range
from meetings.models import Meeting
from meetings.permissions import coordinated_groups

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# The answers of the question asked when dates are entered on a planned meeting (the form's two buttons).
DATES_AGREED, DATES_PROVISIONAL = "agreed", "provisional"


class MeetingForm(forms.ModelForm):
    """A meeting's own form. Dates entered while the status is still "Planned — date to be agreed" are
    provisional: the form asks once whether they are agreed, and schedules the meeting if they are."""

    class Meta:
        model = Meeting
        fields = [
            "group",
            "number",
            "status",
            "host_country",
            "city",
            "venue",
            "start_date",
            "end_date",
            "outcome_summary",
            "record_reference",
        ]
        widgets = {
            "start_date": DATE_INPUT,
            "end_date": DATE_INPUT,
            "outcome_summary": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        groups = list(coordinated_groups(user))
        self.fields["group"].queryset = coordinated_groups(user)
        self.provisional_dates = ""  # set when the question is asked: the dates it is about
        if not self.instance.pk and len(groups) == 1:
            self.initial.setdefault("group", groups[0].pk)
        if not self.instance.pk and self.initial.get("group"):
            self.initial.setdefault("number", next_number(self.initial["group"]))
        # The host is one of the group's countries: only those are offered.
        if self.instance.group_id:
            codes = {*self.instance.group.country_codes, self.instance.host_country.code}
        else:
            codes = {code for group in groups for code in group.country_codes}
        hosts = sorted(((code, countries.name(code)) for code in codes), key=lambda choice: choice[1])
        self.fields["host_country"].choices = [("", "---------"), *hosts]
        self.fields["host_country"].error_messages["invalid_choice"] = (
            "The host must be one of the working group's countries: %(value)s is not one of them."
        )

    def clean(self):
        cleaned_data = super().clean()
        start, end = cleaned_data.get("start_date"), cleaned_data.get("end_date")
        dates_touched = {"status", "start_date", "end_date"} & set(self.changed_data)
        if cleaned_data.get("status") != Meeting.Status.PLANNED or start is None or not dates_touched:
            return cleaned_data
        answer = self.data.get("dates")
        if answer == DATES_AGREED:
            cleaned_data["status"] = Meeting.Status.SCHEDULED
        elif answer != DATES_PROVISIONAL:
            self.provisional_dates = format_date_range(start, end)
            raise ValidationError(
                "Are these dates agreed? You entered %(dates)s, but the status is still "
                "“Planned — date to be agreed”. A scheduled meeting gets its reminders; provisional dates are "
                "shown as provisional and remind nobody.",
                code="provisional",
                params={"dates": self.provisional_dates},
            )
        return cleaned_data


def next_number(group_id) -> int:
    """The number the group's next meeting would have."""
    latest = Meeting.objects.filter(group_id=group_id).aggregate(latest=Max("number"))["latest"]
    return (latest or 0) + 1
