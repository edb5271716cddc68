import re

from csp.decorators import csp_update
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView, RetrieveAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from commitments import attachments, handover, permissions
from commitments.api.permissions import CommitmentPermission
from commitments.api.serializers import (
    AttachmentSerializer,
    CategorySerializer,
    CommitmentSerializer,
    DetailSerializer,
    HandoverSerializer,
    MeSerializer,
    ProgressUpdateSerializer,
    StaleVersionSerializer,
)
from commitments.attachments import DOWNLOAD_POLICY
from commitments.filters import MINE, NO_OWNER, AttachmentFilterSet, CommitmentFilterSet
from commitments.models import Attachment, Category, Commitment, StaleVersionError
from config.api import IgnoreClientContentNegotiation, LogHiddenMixin, refuse_unknown_parameters
from config.merging import current_value, key
from config.security import security_event
from meetings.permissions import group_roles, is_coordinator

IF_MATCH = OpenApiParameter(
    "If-Match",
    location=OpenApiParameter.HEADER,
    required=False,
    description='The ETag of the version your edit is based on, e.g. "3" (or send "version" in the body). '
    "Without either, the edit is refused with 428; with a stale one, with 412.",
)
ETAG = OpenApiParameter(
    "ETag",
    location=OpenApiParameter.HEADER,
    response=[200, 412],
    required=True,
    description='The commitment\'s version, e.g. "3": send it back as If-Match with your edit.',
)
OWNER = OpenApiParameter(
    "owner",
    str,
    pattern=f"^({MINE}|{NO_OWNER}|[0-9]+)$",
    description=f'Whose commitments: "{MINE}" (yours), "{NO_OWNER}" (without an owner) or a user\'s id.',
)
ETAG_CREATED = OpenApiParameter(
    "ETag",
    location=OpenApiParameter.HEADER,
    response=[201],
    required=True,
    description='The new commitment\'s version, "1": send it back as If-Match with your first edit.',
)
VERSION_ERRORS = {  # 400, 401, 403 and 404 are documented for every operation by config.api.document_errors
    412: OpenApiResponse(StaleVersionSerializer, description="Stale version: the current state is returned."),
    428: OpenApiResponse(DetailSerializer, description="Send If-Match or version."),
}


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Categories of commitments, in their order."""

    serializer_class = CategorySerializer
    queryset = Category.objects.all()
    pagination_class = None


ENTITY_TAG = re.compile(r'(W/)?"[^"]*"')  # an entity tag (RFC 9110 8.8.3), weak or strong
VERSION = re.compile(
    r"[1-9][0-9]{0,17}"
)  # a commitment's version as its ETag writes it (and no number too long to read)

API_FIELDS = (
    *[field.name for field in Commitment._meta.concrete_fields],
    *("meeting__number", "meeting__group__name", "meeting__group__short_name", "category__name"),
    *("owner__first_name", "owner__last_name", "owner__username"),
)


@extend_schema_view(list=extend_schema(parameters=[OWNER]))
class CommitmentViewSet(
    LogHiddenMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Commitments of your working groups. Coordinators create and edit them; owners edit the status and
    follow-up date of their own. Edits are checked against the version they were based on."""

    serializer_class = CommitmentSerializer
    permission_classes = [CommitmentPermission]
    filterset_class = CommitmentFilterSet

    def get_queryset(self):
        return (
            Commitment.objects.visible_to(self.request.user, group_roles(self.request.user))
            .select_related("meeting__group", "category", "owner")
            .only(*API_FIELDS)
            .prefetch_related("access_granted_to")
        )

    @extend_schema(parameters=[ETAG_CREATED])
    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        response["ETag"] = f'"{response.data["version"]}"'
        return response

    @extend_schema(parameters=[ETAG])
    def retrieve(self, request, *args, **kwargs):
        commitment = self.get_object()
        return self.with_etag(Response(self.get_serializer(commitment).data), commitment)

    @extend_schema(parameters=[IF_MATCH, ETAG], responses={200: CommitmentSerializer, **VERSION_ERRORS})
    def update(self, request, *args, **kwargs):
        commitment = self.get_object()
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": ["Send a JSON object of the fields to change."]})
        expected = self.expected_version(request, commitment.version)
        changed = self.check_fields(request, commitment)
        saved = {name: key(current_value(commitment, name)) for name in changed}
        serializer = self.get_serializer(commitment, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)  # invalid data is refused as such, stale or not
        if expected is None:
            return Response(
                {"detail": 'Say which version you edited: send If-Match: "<version>" or a "version" field.'},
                status=status.HTTP_428_PRECONDITION_REQUIRED,
            )
        # What differs once cleaned (spaces trimmed, a name saved as used): sent as it was, it changes nothing.
        changed = [name for name in changed if key(serializer.validated_data.get(name, saved[name])) != saved[name]]
        if expected != commitment.version:
            return self.stale(commitment, expected)
        if not changed:  # saving would raise the version and refuse a colleague's edit for nothing
            commitment.refresh_from_db()
            return self.with_etag(Response(self.get_serializer(commitment).data), commitment)
        serializer.context["expected_version"] = expected
        try:
            with transaction.atomic():
                serializer.save()
        except StaleVersionError:
            return self.stale(commitment, expected)
        return self.with_etag(Response(serializer.data), serializer.instance)

    @extend_schema(parameters=[IF_MATCH, ETAG], responses={200: CommitmentSerializer, **VERSION_ERRORS})
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(methods=["GET"], responses={200: ProgressUpdateSerializer(many=True)})
    @extend_schema(methods=["POST"], request=ProgressUpdateSerializer, responses={201: ProgressUpdateSerializer})
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="progress-updates",
        pagination_class=None,
        filterset_class=None,
        serializer_class=ProgressUpdateSerializer,
    )
    def progress_updates(self, request, pk=None):
        """The progress journal, newest first; owners and coordinators post to it."""
        commitment = self.get_object()
        if request.method in SAFE_METHODS:  # GET, and HEAD as GET: only a POST posts
            refuse_unknown_parameters(request)  # the journal has no filters, and comes whole
            updates = commitment.progress_updates.select_related("author").order_by("-created_at", "-pk")
            return Response(ProgressUpdateSerializer(updates, many=True).data)
        if not permissions.can_post_progress(request.user, commitment):
            raise PermissionDenied("Only its owner and the group's coordinators post progress on a commitment.")
        serializer = ProgressUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        update = commitment.post_progress(author=request.user, **serializer.validated_data)
        return Response(ProgressUpdateSerializer(update).data, status=status.HTTP_201_CREATED)

    def check_object_permissions(self, request, obj):
        if self.action == "progress_updates":
            return  # reading the journal is open to members; posting is checked in the action
        super().check_object_permissions(request, obj)

    # --- helpers -------------------------------------------------------------------------------

    @staticmethod
    def expected_version(request, current: int) -> int | None:
        """The version an edit is based on: If-Match (strong comparison: of a list, the current version if it is
        among them, else the newest it names; 0 if it names none, weak ETags never do) or a valid "version" field;
        both must agree. An If-Match that is no list of ETags is refused as such."""
        header = request.headers.get("If-Match", "").strip()
        value = request.data.get("version")
        if value not in (None, "") and (isinstance(value, bool) or not VERSION.fullmatch(str(value))):
            raise ValidationError({"version": ["A whole number from 1: the version your edit is based on."]})
        version = int(value) if value not in (None, "") else None
        if header == "*":  # "whatever version there is": a blind overwrite, which this API does not do
            return None
        if not header:
            return version
        tags = [tag.strip() for tag in header.split(",") if tag.strip()]  # a list may hold empty elements
        if not tags or not all(ENTITY_TAG.fullmatch(tag) for tag in tags):
            raise ValidationError(
                {"If-Match": [f'Name the version as its ETag gives it, in quotes: If-Match: "{current}".']}
            )
        # Compared strongly, as written: "03" and W/"3" are not "3".
        named = {int(tag[1:-1]) for tag in tags if tag.startswith('"') and VERSION.fullmatch(tag[1:-1])}
        if version is not None and version not in named:
            raise ValidationError({"version": ["It says another version than If-Match: send one or the other."]})
        if current in named:
            return current
        earlier = [number for number in named if number < current]  # answered as stale: said as it is (stale())
        return max(earlier) if earlier else min(named, default=0)

    def check_fields(self, request, commitment) -> list[str]:
        """The fields the request changes; refused, rather than ignored, where the user may not change them
        (an unknown field is refused by the serializer)."""
        serializer = self.get_serializer(commitment)
        current = serializer.data
        changed = sorted(
            name
            for name, value in request.data.items()
            if name != "version" and name in current and str(current[name]) != str(value)
        )
        read_only = [name for name in changed if serializer.fields[name].read_only]
        if read_only:
            raise ValidationError({name: ["This field is read-only."] for name in read_only})
        allowed = permissions.editable_fields(request.user, commitment)
        refused = [name for name in changed if allowed is not None and name not in allowed]
        if refused:
            raise PermissionDenied(f"As the owner you may change only {', '.join(allowed)}; not {', '.join(refused)}.")
        return changed

    def stale(self, commitment, based_on: int) -> Response:
        """412: the edit is based on another version than the commitment's (`based_on`; 0: none of its versions)."""
        commitment.refresh_from_db()  # validation applied the refused values to the instance
        current = commitment.version
        if based_on == 0:
            said = f'Your If-Match names none of its versions (each is its number in quotes, "{current}"; a weak ETag '
            said += "never matches)"
        elif based_on > current:
            said = f"This commitment has had no version {based_on}"
        else:
            said = f"This commitment was saved again since version {based_on} (by someone else, or in another edit "
            said += "of yours)"
        said += f": it is at version {current}."
        response = Response(
            {
                "detail": f"{said} Here is its current state; apply your change to it and send it again.",
                "current": self.get_serializer(commitment).data,
            },
            status=status.HTTP_412_PRECONDITION_FAILED,
        )
        return self.with_etag(response, commitment)

    @staticmethod
    def with_etag(response: Response, commitment) -> Response:
        response["ETag"] = f'"{commitment.version}"'
        return response


class MeView(RetrieveAPIView):
    """You: your account, your roles in your working groups and your open commitments."""

    serializer_class = MeSerializer

    def get_object(self):
        return self.request.user


class HandoverView(GenericAPIView):
    """Hand an officer's open commitments to a successor (coordinators of the group)."""

    serializer_class = HandoverSerializer

    def check_permissions(self, request):
        super().check_permissions(request)
        if not is_coordinator(request.user):
            self.permission_denied(request, message="Only coordinators hand commitments over.")

    @extend_schema(responses={201: HandoverSerializer})
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {**serializer.validated_data}
        ids = data.pop("commitments", None)  # None: all the officer's open commitments
        try:
            moved = handover.hand_over(**data, commitment_ids=ids, actor=request.user)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        security_event(
            request, "handover", officer=data["officer"].pk, successor=data["successor"].pk, commitments=len(moved)
        )
        answer = {**serializer.data, "commitments": sorted(commitment.pk for commitment in moved)}
        return Response(answer, status=status.HTTP_201_CREATED)


class AttachmentViewSet(
    LogHiddenMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Files attached to the meetings, commitments and progress updates you may see: an attachment of a
    restricted commitment is as hidden as the commitment. Upload with multipart/form-data (this endpoint only):
    coordinators attach to their groups' meetings and commitments, owners to their own commitments, authors to
    their progress updates. Coordinators delete them; the bytes go, the history keeps name and hash."""

    serializer_class = AttachmentSerializer
    filterset_class = AttachmentFilterSet
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        return Attachment.objects.visible_to(self.request.user).listed().order_by("pk")

    @extend_schema(
        responses={
            201: AttachmentSerializer,
            413: OpenApiResponse(DetailSerializer, description="The upload is larger than a file may be and a form."),
            415: OpenApiResponse(DetailSerializer, description="The body is not multipart/form-data."),
        }
    )
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        target = serializer.validated_data["target"]
        if not permissions.can_attach(self.request.user, target):
            raise PermissionDenied("Only the group's coordinators, and owners for their own commitments, attach files.")
        try:
            checked = attachments.check(serializer.validated_data["file"])
            (serializer.instance,) = attachments.attach(target, [checked], user=self.request.user)
        except DjangoValidationError as error:
            attachments.log_refused(self.request, error.error_list)
            raise ValidationError({"file": error.messages}) from None

    def perform_destroy(self, attachment):
        if not permissions.can_remove_attachment(self.request.user, attachment):
            raise PermissionDenied("Only the group's coordinators delete attachments.")
        attachments.remove(self.request, attachment)

    @extend_schema(
        # The file's own type (one of the kinds kept); generic binary first, as generated clients read the first.
        responses={
            (200, content_type): OpenApiTypes.BINARY
            for content_type in ["application/octet-stream", *attachments.KINDS]
        },
        parameters=[
            OpenApiParameter(
                "Content-Disposition",
                location=OpenApiParameter.HEADER,
                response=[200],
                required=True,
                description="attachment; filename=\"…\" (and filename*=utf-8''… for a name that is not ASCII)",
            )
        ],
    )
    @action(
        detail=True,
        methods=["get"],
        filterset_class=None,
        pagination_class=None,
        content_negotiation_class=IgnoreClientContentNegotiation,
    )
    @method_decorator(csp_update(DOWNLOAD_POLICY))
    def download(self, request, pk=None):
        """The file's bytes, as they were attached (Content-Type: the type recognised from them)."""
        return attachments.download(request, self.get_object())
