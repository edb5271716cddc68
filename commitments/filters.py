"""The one FilterSet of commitments, shared by the list page, its exports and the API."""

import datetime
import re

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone

from commitments import search
from commitments.models import Attachment, Category, Commitment, ProgressUpdate, overdue_q
from config.display import person
from config.forms import FilterForm
from meetings.models import Meeting, WorkingGroup
from meetings.permissions import group_roles

MINE = "mine"
NO_OWNER = "none"
MEETING_LABEL_FIELDS = ["number", "group__name", "group__short_name"]  # str(meeting): "JWG-CT: 9th meeting"
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


TRUE, FALSE = {"true", "on", "1", "yes"}, {"false", "off", "0", "no", ""}


class FlagField(forms.Field):
    """A yes/no filter, or neither: "true" or "false" as the lists' links ask (?overdue=true) — the address and an
    export's file name say what was asked (a checkbox's "on", from older addresses, is read as true); anything else
    is refused rather than guessed."""

    widget = forms.Select

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        label = str(self.label or "Yes")  # "Overdue": any, overdue, not overdue
        self.widget.choices = [("", "Any"), ("true", label), ("false", f"Not {label.lower()}")]

    def to_python(self, value):
        if value is None or isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return None if text == "" else False
        raise forms.ValidationError("Use true or false.", code="invalid")

    def prepare_value(self, value):
        """As the address writes it (the widget shows it chosen)."""
        return {True: "true", False: "false"}.get(value, value)


class FlagFilter(django_filters.BooleanFilter):
    field_class = FlagField


class DatePicker(forms.DateInput):
    """The browser's date picker. HTML lets it hold only a valid date: a value that is none (typed into the
    address) is left out, and the field's error says what was wrong with it."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")

    def format_value(self, value):
        value = super().format_value(value)
        if not value or not ISO_DATE.fullmatch(value):
            return None
        try:
            datetime.date.fromisoformat(value)  # 2026-02-31 has the shape of a date, but is none
        except ValueError:
            return None
        return value


class CommitmentOrderingFilter(django_filters.OrderingFilter):
    """Sortable columns; undated commitments come last whichever way dates are sorted, and rows that sort alike by
    id (pages then neither repeat nor skip a row, and a filter keeps the order)."""

    def filter(self, qs, value):
        ordered = super().filter(qs, value)
        return ordered.order_by(*ordered.query.order_by, "pk") if ordered is not qs else qs

    def get_ordering_value(self, param):
        value = super().get_ordering_value(param)
        if value.lstrip("-") == "follow_up_date":
            field = F("follow_up_date")
            return field.desc(nulls_last=True) if value.startswith("-") else field.asc(nulls_last=True)
        return value


class CommitmentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search", max_length=search.MAX_LENGTH)
    group = django_filters.ModelChoiceFilter(
        field_name="meeting__group", queryset=WorkingGroup.objects.none(), label="Working group"
    )
    meeting = django_filters.ModelChoiceFilter(queryset=Meeting.objects.none(), label="Meeting")
    category = django_filters.ModelChoiceFilter(queryset=Category.objects.all(), label="Category")
    status = django_filters.MultipleChoiceFilter(  # a column of the row: no DISTINCT (django-filter's default)
        choices=Commitment.Status.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        label="Status",
        distinct=False,
        method="filter_status",
    )
    owner = django_filters.ChoiceFilter(method="filter_owner", label="Owner", empty_label="Anyone")
    responsible_side = django_filters.ChoiceFilter(
        choices=Commitment.Side.choices, label="Responsible side", empty_label="Any side"
    )
    follow_up_after = django_filters.DateFilter(
        field_name="follow_up_date",
        lookup_expr="gte",
        label="Follow-up from",
        widget=DatePicker,
    )
    follow_up_before = django_filters.DateFilter(
        field_name="follow_up_date",
        lookup_expr="lte",
        label="Follow-up until",
        widget=DatePicker,
    )
    overdue = FlagFilter(method="filter_overdue", label="Overdue")
    ordering = CommitmentOrderingFilter(
        fields=[
            ("follow_up_date", "follow_up"),
            ("title", "title"),
            ("status", "status"),
            ("priority", "priority"),
            ("owner__last_name", "owner"),
            ("category__order", "category"),
            ("meeting__number", "meeting"),
        ],
        label="Sort by",
    )

    class Meta:
        model = Commitment
        fields = []
        form = FilterForm

    def __init__(self, data=None, *args, request=None, **kwargs):
        if data is not None and len(data.getlist("ordering")) > 1:  # ?ordering=status&ordering=-title
            data = data.copy()
            data.setlist("ordering", [",".join(data.getlist("ordering"))])
        super().__init__(data, *args, request=request, **kwargs)
        user = request.user
        groups = WorkingGroup.objects.visible_to(user, group_roles(user))
        self.filters["group"].queryset = groups
        # The fields of an option's label only: a page lists every meeting of the user's groups.
        meetings = (
            Meeting.objects.visible_to(user, group_roles(user)).select_related("group").only(*MEETING_LABEL_FIELDS)
        )
        self.filters["meeting"].queryset = meetings
        owners = (
            get_user_model()
            .objects.filter(memberships__group__in=groups)
            .distinct()
            .order_by("first_name", "last_name", "username")
        )
        # Read when the form is shown or an owner chosen; not for the API's lists, which show no form.
        self.filters["owner"].extra["choices"] = lambda: [
            (MINE, "Me"),
            (NO_OWNER, "No owner"),
            *((str(owner.pk), person(owner)) for owner in owners),
        ]

    def search(self, queryset, name, value):
        """The search's commitments (commitments/search.py): their words, progress updates' or attachments'; or
        the one a reference such as "C-12" names."""
        return search.commitments_matching(queryset, value)

    def filter_status(self, queryset, name, value):
        """The statuses chosen, written as those not chosen left out: the same rows (a commitment's status is one of
        the four, a constraint), but SQLite, which keeps no statistics, would otherwise walk the status index through
        every group's open commitments before it keeps the reader's (open ones of 3 groups among 113,000: 31 ms
        against 1.2 on the benchmark's data). PostgreSQL plans both alike."""
        others = [status for status in Commitment.Status.values if status not in value]
        return queryset.exclude(status__in=others)

    def filter_owner(self, queryset, name, value):
        if value == MINE:
            return queryset.filter(owner=self.request.user)
        if value == NO_OWNER:
            return queryset.without_owner()
        return queryset.filter(owner_id=value)

    def filter_overdue(self, queryset, name, value):
        """true: the overdue ones; false: those that are not (the checkbox unticked sends nothing: no filter)."""
        overdue = overdue_q(timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def asked(self, names) -> bool:
        """Whether the query gives a value to any of these filters (one sent empty is as if not sent)."""
        return any(value != "" for name in names for value in self.data.getlist(name))

    @property
    def asks(self) -> bool:
        """Whether the query asks for a filter (not only a page or an order): the list's panel opens."""
        return self.asked(name for name in self.filters if name != "ordering")

    # With nothing asked (a page aside), there is nothing to validate: the rows in the default order, the form not
    # built (an API list: 3 of its 19 ms on the benchmark's data).
    def is_valid(self) -> bool:
        return super().is_valid() if self.asked(self.filters) else True

    @property
    def qs(self):
        return super().qs if self.asked(self.filters) else self.in_default_order(self.queryset.all())

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return queryset if self.form.cleaned_data.get("ordering") else self.in_default_order(queryset)

    @staticmethod
    def in_default_order(queryset):
        return queryset.order_by(F("follow_up_date").asc(nulls_last=True), "pk")


class AttachmentFilterSet(django_filters.FilterSet):
    """The API's list of attachments, by what they are attached to (among what the user may see)."""

    meeting = django_filters.ModelChoiceFilter(queryset=Meeting.objects.none(), label="Meeting")
    commitment = django_filters.ModelChoiceFilter(
        queryset=Commitment.objects.none(), label="Commitment (its own files and those of its progress updates)"
    )
    progress_update = django_filters.ModelChoiceFilter(queryset=ProgressUpdate.objects.none(), label="Progress update")

    class Meta:
        model = Attachment
        fields = []
        form = FilterForm

    def __init__(self, data=None, *args, request=None, **kwargs):
        super().__init__(data, *args, request=request, **kwargs)
        commitments = Commitment.objects.visible_to(request.user)
        self.filters["meeting"].queryset = Meeting.objects.visible_to(request.user)
        self.filters["commitment"].queryset = commitments
        self.filters["progress_update"].queryset = ProgressUpdate.objects.filter(commitment__in=commitments)
