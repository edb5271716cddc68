from django.db.models import Prefetch
from rest_framework import mixins, viewsets

from config.api import LogHiddenMixin
from meetings import permissions
from meetings.api.permissions import MeetingPermission
from meetings.api.serializers import MeetingSerializer, WorkingGroupSerializer
from meetings.filters import MeetingFilterSet
from meetings.models import AgendaTopic, Meeting, Participant, WorkingGroup


class WorkingGroupViewSet(LogHiddenMixin, viewsets.ReadOnlyModelViewSet):
    """The working groups you belong to."""

    serializer_class = WorkingGroupSerializer

    def get_queryset(self):
        permissions.group_roles(self.request.user)  # one query for every row's role
        return WorkingGroup.objects.visible_to(self.request.user).order_by("name")


class MeetingViewSet(
    LogHiddenMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Meetings of your working groups, with participants and agenda; coordinators create and edit them."""

    serializer_class = MeetingSerializer
    permission_classes = [MeetingPermission]
    filterset_class = MeetingFilterSet

    def get_queryset(self):
        return (
            Meeting.objects.visible_to(self.request.user)
            .select_related("group")
            .prefetch_related(
                Prefetch("participants", queryset=Participant.objects.order_by("order", "pk")),
                Prefetch("agenda_topics", queryset=AgendaTopic.objects.order_by("order", "pk")),
            )
            .order_by("group__name", "-number")
        )
