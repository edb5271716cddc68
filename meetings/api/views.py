from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from config.api import LogHiddenMixin
from meetings import permissions
from meetings.api.permissions import MeetingPermission
from meetings.api.serializers import MeetingSerializer, WorkingGroupSerializer
from meetings.filters import MeetingFilterSet
from meetings.models import AgendaTopic, Meeting, Participant, WorkingGroup

NO_VERSION = "Meetings carry no version: send the edit without If-Match (or with If-Match: *)."
IF_MATCH = OpenApiParameter(
    "If-Match",
    location=OpenApiParameter.HEADER,
    required=False,
    description="Meetings carry no version and no ETag: an If-Match other than * is not met (412).",
)


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

    @extend_schema(
        parameters=[IF_MATCH], responses={200: MeetingSerializer, 412: OpenApiResponse(description=NO_VERSION)}
    )
    def update(self, request, *args, **kwargs):
        """Meetings carry no version: an If-Match naming one is not met (RFC 9110), rather than ignored."""
        self.get_object()  # a meeting that is not there (or not yours) is a 404 first
        if request.headers.get("If-Match", "*").strip() != "*":
            return Response({"detail": NO_VERSION}, status=status.HTTP_412_PRECONDITION_FAILED)
        return super().update(request, *args, **kwargs)

    @extend_schema(
        parameters=[IF_MATCH], responses={200: MeetingSerializer, 412: OpenApiResponse(description=NO_VERSION)}
    )
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

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
