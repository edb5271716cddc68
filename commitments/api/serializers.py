from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from commitments import handover
from commitments.attachments import kind_label
from commitments.models import NAMED_FIELDS, Attachment, Category, Commitment, ProgressUpdate, as_used
from commitments.permissions import editable_fields, nameable
from config.api import RefuseUnknownFieldsMixin, TrackedModelSerializer
from config.display import person
from meetings.models import Meeting, WorkingGroup
from meetings.permissions import GROUP_ROLES, coordinated_groups, manageable_meetings, role_in


class CategorySerializer(serializers.ModelSerializer):
    """A category of commitments (information sharing, training, …), in the order the brief follows."""

    class Meta:
        model = Category
        fields = ["id", "name", "slug", "description", "order"]
        read_only_fields = fields


NOT_NAMEABLE = "No open account has the id {pk_value}: name someone whose account is open."
NEW_HAS_NO_VERSION = "A new commitment has no version yet (it starts at 1): leave version out."
NEW_HAS_NO_DATE_TO_MOVE = "A new commitment has no follow-up date to move yet: leave follow_up_reason out."


class CommitmentSerializer(TrackedModelSerializer):
    """A commitment agreed at a meeting: what, who, by when, and where it stands. Its `version` grows with each
    save; edits send the version they are based on (If-Match or `version`)."""

    meeting_label = serializers.CharField(source="meeting", read_only=True)  # str(): no signature read per row
    working_group = serializers.IntegerField(source="meeting.group_id", read_only=True)
    working_group_label = serializers.CharField(source="meeting.group.short_name", read_only=True)
    category_label = serializers.CharField(source="category.name", read_only=True)
    owner_label = serializers.SerializerMethodField()
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The version your edit is based on (or send If-Match); a stale one is refused with 412. "
        "Not with a new commitment (400).",
    )
    follow_up_reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=300,
        help_text="Why the follow-up date moves, in a few words: required when an owner moves it; recorded in "
        "the progress journal and shown to the coordinators. Not with a new commitment (400).",
    )

    class Meta:
        model = Commitment
        fields = [
            "id",
            "meeting",
            "meeting_label",
            "working_group",
            "working_group_label",
            "title",
            "description",
            "category",
            "category_label",
            "owner",
            "owner_label",
            "responsible_side",
            "lead_agency",
            "partner_counterpart",
            "record_paragraph",
            "follow_up_date",
            "status",
            "priority",
            "created_by",
            "created_at",
            "updated_at",
            "closed_at",
            "version",
            "follow_up_reason",
            "reference",
            "restricted",
            "access_granted_to",
        ]
        read_only_fields = ["created_at", "updated_at", "closed_at", "reference"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.method not in SAFE_METHODS:  # what a write may name; a read names none
            meetings = manageable_meetings(request.user)
            if isinstance(self.instance, Commitment):  # sent back unchanged by an owner, who manages none
                meetings = meetings | Meeting.objects.filter(pk=self.instance.meeting_id)
            self.fields["meeting"].queryset = meetings
            active = get_user_model().objects.filter(is_active=True)
            commitment = self.instance if isinstance(self.instance, Commitment) else None
            owner, grantee = self.fields["owner"], self.fields["access_granted_to"].child_relation
            owner.queryset = nameable(active, commitment, "owner")
            grantee.queryset = nameable(active, commitment, "access_granted_to")
            for field in (owner, grantee):  # an id nobody has and a closed account's are said alike
                field.error_messages["does_not_exist"] = NOT_NAMEABLE

    def get_owner_label(self, commitment) -> str:
        return person(commitment.owner, nobody="")

    def to_representation(self, commitment) -> dict:
        """The readable fields, written out one by one: ModelSerializer's generic way took 60 µs a commitment, a
        quarter of an API list of 50. tests/api/test_representation.py holds the two alike."""
        meeting, when = commitment.meeting, self.fields["created_at"]  # dates and times are written as DRF writes them
        return {
            "id": commitment.pk,
            "meeting": commitment.meeting_id,
            "meeting_label": str(meeting),
            "working_group": meeting.group_id,
            "working_group_label": meeting.group.short_name,
            "title": commitment.title,
            "description": commitment.description,
            "category": commitment.category_id,
            "category_label": commitment.category.name,
            "owner": commitment.owner_id,
            "owner_label": self.get_owner_label(commitment),
            "responsible_side": commitment.responsible_side,
            "lead_agency": commitment.lead_agency,
            "partner_counterpart": commitment.partner_counterpart,
            "record_paragraph": commitment.record_paragraph,
            "follow_up_date": commitment.follow_up_date and commitment.follow_up_date.isoformat(),
            "status": commitment.status,
            "priority": commitment.priority,
            "created_by": commitment.created_by_id,
            "created_at": when.to_representation(commitment.created_at),
            "updated_at": when.to_representation(commitment.updated_at),
            "closed_at": commitment.closed_at and when.to_representation(commitment.closed_at),
            "version": commitment.version,
            "reference": commitment.reference,
            "restricted": commitment.restricted,
            "access_granted_to": sorted(user.pk for user in commitment.access_granted_to.all()),  # whatever order read
        }

    def validate(self, attrs):
        if self.instance is None and "version" in attrs:
            raise serializers.ValidationError({"version": [NEW_HAS_NO_VERSION]})
        attrs.pop("version", None)  # the view checks an edit's; the model raises it
        self.follow_up_reason = attrs.pop("follow_up_reason", "").strip()
        if self.instance is None and self.follow_up_reason:
            raise serializers.ValidationError({"follow_up_reason": [NEW_HAS_NO_DATE_TO_MOVE]})
        saved_follow_up = getattr(self.instance, "follow_up_date", None)  # before the instance takes the input
        meeting = attrs.get("meeting") or getattr(self.instance, "meeting", None)
        for name in NAMED_FIELDS:
            if attrs.get(name) and meeting:
                used = Commitment.objects.filter(meeting__group=meeting.group_id).names_used(name)
                attrs[name] = as_used(attrs[name], used)
        attrs = super().validate(attrs)
        self.moved_from = None
        moves = "follow_up_date" in attrs and attrs["follow_up_date"] != saved_follow_up
        if self.follow_up_reason and not moves:
            raise serializers.ValidationError({"follow_up_reason": ["Give a reason only with a new follow-up date."]})
        if saved_follow_up is not None and moves:
            self.moved_from = saved_follow_up
            owner_only = editable_fields(self.context["request"].user, self.instance) is not None
            if owner_only and not self.follow_up_reason:
                raise serializers.ValidationError({"follow_up_reason": ["Say in a few words why the date moves."]})
        meeting = attrs.get("meeting") or getattr(self.instance, "meeting", None)
        try:
            if meeting and attrs.get("access_granted_to"):
                Commitment.check_grantees(meeting, attrs["access_granted_to"])
            if "follow_up_date" in attrs:
                Commitment.check_follow_up_date(attrs["follow_up_date"], saved_follow_up)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return attrs

    def save_instance(self, commitment) -> None:
        user = self.context["request"].user
        if commitment.pk is None:
            commitment.created_by = user
            super().save_instance(commitment)
        else:
            commitment.save_versioned(self.context["expected_version"], user=user)
            if self.moved_from is not None and self.follow_up_reason:
                commitment.record_date_move(author=user, moved_from=self.moved_from, reason=self.follow_up_reason)


class ProgressUpdateSerializer(RefuseUnknownFieldsMixin, serializers.ModelSerializer):
    """An entry of a commitment's progress journal; one that sets `new_status` changes the commitment's status."""

    author_label = serializers.SerializerMethodField()

    class Meta:
        model = ProgressUpdate
        fields = [
            "id",
            "commitment",
            "author",
            "author_label",
            "created_at",
            "text",
            "new_status",
            "source",
            "moved_from",
            "moved_to",
            "handed_over_from",
            "handed_over_to",
        ]
        read_only_fields = [
            "commitment",
            "author",
            "created_at",
            "moved_from",
            "moved_to",
            "handed_over_from",
            "handed_over_to",
        ]

    def get_author_label(self, update) -> str:
        return person(update.author, nobody="")


class MeSerializer(serializers.ModelSerializer):
    """You: your account, your place in each of your working groups, and your open commitments."""

    name = serializers.SerializerMethodField()
    roles = serializers.SerializerMethodField(help_text='{working group id: your role}, e.g. {"3": "coordinator"}.')
    commitments = serializers.SerializerMethodField(help_text="Your open commitments.")

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "name", "email", "roles", "commitments"]
        read_only_fields = fields

    def get_name(self, user) -> str:
        return person(user, nobody="")

    @extend_schema_field(serializers.DictField(child=serializers.ChoiceField(choices=GROUP_ROLES)))
    def get_roles(self, user) -> dict[str, str]:
        groups = WorkingGroup.objects.visible_to(user).values_list("pk", flat=True)
        return {str(group_id): role_in(user, group_id) for group_id in groups}

    @extend_schema_field(CommitmentSerializer(many=True))
    def get_commitments(self, user) -> list[dict]:
        mine = (
            Commitment.objects.visible_to(user)
            .open()
            .filter(owner=user)
            .select_related("meeting__group", "category", "owner")
            .prefetch_related("access_granted_to")
        )
        return CommitmentSerializer(mine, many=True, context=self.context).data


class DetailSerializer(serializers.Serializer):
    """What went wrong, in a sentence."""

    detail = serializers.CharField()


class StaleVersionSerializer(DetailSerializer):
    """Someone saved the commitment since the version you edited: its current state, to apply your change to."""

    current = CommitmentSerializer()


class HandoverSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    """An officer's open commitments in one of your groups, handed to a successor in one step (as on the
    handover page): each saved with its history and a journal line; each of the two gets one e-mail."""

    group = serializers.PrimaryKeyRelatedField(queryset=WorkingGroup.objects.none())
    officer = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.none())
    successor = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.none())
    commitments = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=handover.LARGEST_ID),
        required=False,
        min_length=1,
        error_messages={"min_length": "Name at least one commitment, or leave commitments out to hand over all."},
        help_text="Which of the officer's open commitments in the group: all of them if left out. "
        "In the answer: those handed over.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            groups = coordinated_groups(request.user)
            self.fields["group"].queryset = groups
            self.fields["officer"].queryset = handover.officers(groups)
            self.fields["successor"].queryset = handover.successors(groups)

    def validate(self, attrs):
        refused = handover.refusals(attrs["group"], attrs["officer"], attrs["successor"])
        if refused:
            raise serializers.ValidationError(refused)
        return attrs


class AttachmentSerializer(RefuseUnknownFieldsMixin, serializers.ModelSerializer):
    """A file attached to a meeting, a commitment or a progress update (give exactly one), sent as
    multipart/form-data with the file in `file`. Its type is recognised from its content; `download` is the
    address of its bytes."""

    file = serializers.FileField(write_only=True, help_text="The file itself (multipart/form-data).")
    kind = serializers.SerializerMethodField(help_text='What the file is, as a page names it, e.g. "PDF".')
    uploaded_by_label = serializers.SerializerMethodField()
    download = serializers.HyperlinkedIdentityField(view_name="api:attachment-download")

    class Meta:
        model = Attachment
        fields = [
            "id",
            "meeting",
            "commitment",
            "progress_update",
            "file",
            "name",
            "content_type",
            "kind",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_by_label",
            "uploaded_at",
            "download",
        ]
        read_only_fields = ["name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at"]
        extra_kwargs = {
            "meeting": {"help_text": "The meeting the file belongs to (its agreed record, agenda, …)."},
            "commitment": {"help_text": "The commitment the file belongs to (or the one of `progress_update`)."},
            "progress_update": {"help_text": "The progress update the file comes with."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # the objects one may name: those one may see
            visible = Commitment.objects.visible_to(request.user)
            self.fields["meeting"].queryset = Meeting.objects.visible_to(request.user)
            self.fields["commitment"].queryset = visible
            self.fields["progress_update"].queryset = ProgressUpdate.objects.filter(commitment__in=visible)

    def get_kind(self, attachment) -> str:
        return kind_label(attachment.content_type)

    def get_uploaded_by_label(self, attachment) -> str:
        return person(attachment.uploaded_by)

    def validate(self, data):
        repeated = [name for name in self.initial_data if len(self.initial_data.getlist(name)) > 1]
        if repeated:
            raise serializers.ValidationError({name: ["Send one value: one file per request."] for name in repeated})
        places = [data[name] for name in ("meeting", "commitment", "progress_update") if data.get(name)]
        update = data.get("progress_update")
        if update is not None and data.get("commitment") == update.commitment:
            places.remove(update.commitment)  # the update's commitment may be named with it
        if len(places) != 1:
            raise serializers.ValidationError("Name one meeting, commitment or progress update to attach the file to.")
        data["target"] = places[0]
        return data
