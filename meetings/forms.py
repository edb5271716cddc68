from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.forms.models import BaseInlineFormSet, inlineformset_factory
from django_countries import countries

from config.merging import MergingFormMixin
from meetings.dates import format_date_range
from meetings.models import AgendaTopic, Meeting, Participant
from meetings.permissions import coordinated_groups

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# The answers of the question asked when dates are entered on a planned meeting (the form's two buttons).
DATES_AGREED, DATES_PROVISIONAL = "agreed", "provisional"


class MeetingForm(MergingFormMixin, forms.ModelForm):
    """A meeting's own form. Dates entered while the status is still "Planned — date to be agreed" are
    provisional: the form asks once whether they are agreed, and schedules the meeting if they are.

    A save made after a colleague's (the newest history record is not the one the form was opened at) is
    refused and merged field by field (config/merging.py)."""

    object_name = "meeting"
    opened = forms.IntegerField(widget=forms.HiddenInput, required=False)

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
            "number": forms.NumberInput(attrs={"min": 1}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        groups = list(coordinated_groups(user))
        self.fields["group"].queryset = coordinated_groups(user)
        self.provisional_dates = ""  # set when the question is asked: the dates it is about
        if self.instance.pk:
            self.fields["opened"].initial = latest_record_id(self.instance)
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
        if self.instance.pk:
            current = Meeting.objects.select_for_update().get(pk=self.instance.pk)
            last_change = current.history.select_related("history_user").first()
            if last_change and cleaned_data.get("opened") != last_change.history_id:
                self.refuse_stale(current, last_change, last_change.history_date)
            self.apply_choices(current, last_change)
        start, end = cleaned_data.get("start_date"), cleaned_data.get("end_date")
        if "status" in cleaned_data and "start_date" in cleaned_data:
            saved = self.instance if self.instance.pk else None
            Meeting.check_dates(cleaned_data["status"], start, saved and saved.status, saved and saved.start_date)
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

    def opened_record(self, current):
        return current.history.filter(history_id=self.cleaned_data.get("opened")).first()

    def moves_forward(self, data, current):
        data[self.add_prefix("opened")] = latest_record_id(current)


def latest_record_id(meeting: Meeting) -> int | None:
    """The meeting's newest history record: what a form was opened at."""
    return meeting.history.values_list("history_id", flat=True).first()


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
        form.fields[self._pk_field.name].error_messages["invalid_choice"] = (
            "This row is no longer there: someone deleted it meanwhile. Reload the page to see the rows as they are."
        )


class PageRowsFormSet(RowsOfThisObjectFormSet):
    """Rows on a page that keep what the user opened (hidden initial values): a row is saved only where the user
    changed it, so that a colleague's edit of another row meanwhile stays."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if index is None or index >= self.initial_form_count():
            return  # a new row: changed from empty (suggested values, such as copied co-chairs, included)
        for name, field in form.fields.items():
            if name != self._pk_field.name and not field.widget.is_hidden:
                field.show_hidden_initial = True


class ParticipantFormSet(PageRowsFormSet):
    """A meeting's participants, from the working group's countries."""

    def __init__(self, *args, country_codes=(), **kwargs):
        self.country_codes = country_codes
        super().__init__(*args, **kwargs)

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["country"].choices = country_choices(self.country_codes)

    def clean(self):
        """A person is listed once (copying the co-chairs twice would list them twice)."""
        super().clean()
        seen = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form in self.deleted_forms or not form.cleaned_data.get("name"):
                continue
            person = (" ".join(form.cleaned_data["name"].split()).casefold(), form.cleaned_data.get("country"))
            if person in seen:
                form.add_error("name", f"{form.cleaned_data['name']} is already listed.")
            seen.add(person)


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
    formset=PageRowsFormSet,
    fields=["order", "title", "notes"],
    widgets={"notes": forms.Textarea(attrs={"rows": 1})},
    extra=ROW_EXTRA,
)


def meeting_formsets(meeting: Meeting, data, country_codes, co_chairs=()) -> list:
    """A meeting's participant and agenda rows (bound to posted data, or showing the saved rows and, on request,
    the previous session's co-chairs as new rows)."""
    participants = participant_formset(
        data, instance=meeting, prefix="participants", country_codes=country_codes, initial=list(co_chairs)
    )
    participants.extra = max(participants.extra, len(co_chairs))
    return [participants, agenda_formset(data, instance=meeting, prefix="agenda_topics")]


def previous_co_chairs(meeting: Meeting) -> tuple[Meeting | None, list[dict]]:
    """The latest earlier session of the group that recorded co-chairs, and their rows as a form's initial data."""
    earlier = Meeting.objects.filter(group=meeting.group_id, number__lt=meeting.number, participants__role="co_chair")
    previous = earlier.order_by("-number").first()
    if previous is None:
        return None, []
    co_chairs = previous.participants.filter(role=Participant.Role.CO_CHAIR)
    return previous, list(co_chairs.values("order", "role", "name", "title", "organisation", "country"))


def row_changes(formset) -> list[str]:
    """What the user's rows said where they changed them, for a save that was refused (the page then shows the
    rows as they are now): 'Participant “Vinay Kumar”: Title “Joint Secretary”', named by the row, not its place."""
    name = formset.model._meta.verbose_name.capitalize()
    changes = []
    for form in formset.forms:
        if not form.has_changed():
            continue
        posted_id = form.data.get(form.add_prefix(formset._pk_field.name))
        label_field = "name" if "name" in form.fields else "title"
        saved = getattr(form.instance, label_field, "") if form.instance.pk else ""
        row = f"{name} “{saved or form.data.get(form.add_prefix(label_field), '')}”"
        if posted_id and not form.instance.pk:
            row += " (no longer there: deleted meanwhile)"
        elif not posted_id:
            row = f"New {row[0].lower()}{row[1:]}"
        if form.data.get(form.add_prefix("DELETE")):
            changes.append(f"{row}: delete")
            continue
        values = []
        for field in form.changed_data:
            if field == "DELETE" or form.fields[field].widget.is_hidden:
                continue
            value = form.data.get(form.add_prefix(field), "")
            choices = dict(getattr(form.fields[field], "choices", ()))
            values.append(f"{form.fields[field].label} “{choices.get(value, value)}”")
        changes.append(f"{row}: " + ", ".join(values))
    return changes


def row_errors(formset) -> list[tuple[str, str]]:
    """What is wrong in a refused formset, row by row: (the id of the field to go to, "Participant 3, Country:
    This field is required.")."""
    if not formset.is_bound or formset.is_valid():
        return []
    name = formset.model._meta.verbose_name.capitalize()
    errors = [("", str(error)) for error in formset.non_form_errors()]
    for number, form in enumerate(formset.forms, start=1):
        first = form.visible_fields()[0].auto_id
        for field, messages in form.errors.items():
            visible = field in form.fields and not form.fields[field].widget.is_hidden
            where = f"{name} {number}, {form.fields[field].label}" if visible else f"{name} {number}"
            errors += [(form[field].auto_id if visible else first, f"{where}: {message}") for message in messages]
    return errors
