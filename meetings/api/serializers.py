from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import TrackedModelSerializer
from meetings import permissions
from meetings.models import AgendaTopic, Meeting, Participant, WorkingGroup


class WorkingGroupSerializer(serializers.ModelSerializer):
    """A working group you belong to, with your place in it."""

    home_country = serializers.CharField(source="home_country.code", read_only=True)
    partner_countries = serializers.SerializerMethodField()
    role = serializers.SerializerMethodField(help_text="Your place in the group: coordinator, member or superuser.")
    role_label = serializers.SerializerMethodField(help_text="Your place in the group, as the pages name it.")

    class Meta:
        model = WorkingGroup
        fields = [
            "id",
            "name",
            "short_name",
            "slug",
            "home_country",
            "partner_countries",
            "description",
            "reminder_lead_days",
            "brief_days_before",
            "is_active",
            "role",
            "role_label",
        ]
        read_only_fields = fields

    def get_partner_countries(self, group) -> list[str]:
        return [country.code for country in group.partner_countries]

    @extend_schema_field(serializers.ChoiceField(choices=permissions.GROUP_ROLES))
    def get_role(self, group) -> str:
        return permissions.role_in(self.context["request"].user, group.pk)

    def get_role_label(self, group) -> str:
        return permissions.role_label(self.context["request"].user, group.pk)


class ParticipantSerializer(serializers.ModelSerializer):
    """Someone who took part in a meeting."""

    country = serializers.CharField(source="country.code", read_only=True)

    class Meta:
        model = Participant
        fields = ["id", "name", "title", "organisation", "country", "role", "order"]
        read_only_fields = fields


class AgendaTopicSerializer(serializers.ModelSerializer):
    """A topic on a meeting's agenda, in order."""

    class Meta:
        model = AgendaTopic
        fields = ["id", "order", "title", "notes"]
        read_only_fields = fields


class MeetingSerializer(TrackedModelSerializer):
    """A meeting (session) of a working group, with its participants and agenda."""

    group_label = serializers.CharField(source="group.short_name", read_only=True)
    title = serializers.CharField(read_only=True)
    dates_display = serializers.CharField(read_only=True)
    participants = ParticipantSerializer(many=True, read_only=True)
    agenda_topics = AgendaTopicSerializer(many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "group",
            "group_label",
            "number",
            "title",
            "host_country",
            "city",
            "venue",
            "start_date",
            "end_date",
            "dates_display",
            "status",
            "outcome_summary",
            "record_reference",
            "participants",
            "agenda_topics",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["group"].queryset = permissions.coordinated_groups(request.user)

    def validate(self, attrs):
        saved = (self.instance.status, self.instance.start_date) if self.instance else (None, None)
        attrs = super().validate(attrs)  # the instance takes the input here
        status, start = attrs.get("status", saved[0]), attrs.get("start_date", saved[1])
        try:
            Meeting.check_dates(status or Meeting.Status.PLANNED, start, *saved)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return attrs
