from django import forms

from meetings.models import Meeting
from meetings.permissions import coordinated_groups

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MeetingForm(forms.ModelForm):
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
        self.fields["group"].queryset = coordinated_groups(user)
