"""The one FilterSet of meetings, shared by the list page and the API."""

import django_filters
from django_countries import countries
from drf_spectacular.utils import extend_schema_field

from config.forms import FilterForm, WholeNumberField
from meetings.dates import FIRST_YEAR, LAST_YEAR
from meetings.models import Meeting, WorkingGroup


@extend_schema_field({"type": "integer", "minimum": FIRST_YEAR, "maximum": LAST_YEAR})
class YearFilter(django_filters.NumberFilter):
    field_class = WholeNumberField  # NumberFilter's DecimalField took 2025.5, and listed the meetings of 2025


class MeetingFilterSet(django_filters.FilterSet):
    group = django_filters.ModelChoiceFilter(queryset=WorkingGroup.objects.none(), label="Working group")
    host_country = django_filters.ChoiceFilter(choices=list(countries), label="Host country", empty_label="Any")
    status = django_filters.ChoiceFilter(choices=Meeting.Status.choices, label="Status", empty_label="Any")
    year = YearFilter(
        field_name="start_date", lookup_expr="year", label="Year", min_value=FIRST_YEAR, max_value=LAST_YEAR
    )

    class Meta:
        model = Meeting
        fields = []
        form = FilterForm

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        self.filters["group"].queryset = WorkingGroup.objects.visible_to(request.user)
