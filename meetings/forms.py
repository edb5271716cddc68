from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.forms.models import BaseInlineFormSet, inlineformset_factory
from django_countries import countries

from meetings.dates import format_date_range
from meetings.models import AgendaTopic, Meeting, Participant
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
        self.fields["host_country"].choices = country_choices(codes)
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


def country_choices(codes) -> list[tuple[str, str]]:
    """A working group's countries, for a choice of country (not the world's ~250)."""
    return [("", "---------"), *sorted(((code, countries.name(code)) for code in codes), key=lambda c: c[1])]


class RowsOfThisObjectFormSet(BaseInlineFormSet):
    """The rows of an inline take only the ids of the parent's own rows. Django accepts any id of the table
    in a new row (and ignores it, creating a row from the rest): an oracle of which ids exist elsewhere."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields[self._pk_field.name].queryset = self.get_queryset()


class ParticipantFormSet(RowsOfThisObjectFormSet):
    """A meeting's participants, from the working group's countries."""

    def __init__(self, *args, country_codes=(), **kwargs):
        self.country_codes = country_codes
        super().__init__(*args, **kwargs)

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["country"].choices = country_choices(self.country_codes)


ROW_EXTRA = 2  # empty rows offered below a meeting's participants and agenda

participant_formset = inlineformset_factory(
    Meeting,
    Participant,
    formset=ParticipantFormSet,
    fields=["order", "role", "name", "title", "organisation", "country"],
    extra=ROW_EXTRA,
)
agenda_formset = inlineformset_factory(
    Meeting,
    AgendaTopic,
    formset=RowsOfThisObjectFormSet,
    fields=["order", "title", "notes"],
    widgets={"notes": forms.Textarea(attrs={"rows": 1})},
    extra=ROW_EXTRA,
)


def previous_co_chairs(meeting: Meeting) -> tuple[Meeting | None, list[dict]]:
    """The latest earlier session of the group that recorded co-chairs, and their rows as a form's initial data."""
    earlier = Meeting.objects.filter(group=meeting.group_id, number__lt=meeting.number, participants__role="co_chair")
    previous = earlier.order_by("-number").first()
    if previous is None:
        return None, []
    co_chairs = previous.participants.filter(role=Participant.Role.CO_CHAIR)
    return previous, list(co_chairs.values("order", "role", "name", "title", "organisation", "country"))
