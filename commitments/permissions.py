"""Who may do what with one commitment: the commitment-level rules, on top of the group-level rules of
meetings/permissions.py. Every view, admin page and API endpoint asks these functions.

- member: reads the group's commitments, except restricted ones (need to know) not granted to them;
- owner: also updates the status and follow-up date of their own commitments and posts progress on them;
- granted: a member granted access to a restricted commitment reads it;
- coordinator: manages every commitment of their groups, restricted ones included;
- superuser: everything.

Scoping of lists is `Commitment.objects.visible_to(user)`; these functions answer for one commitment.
"""

from commitments.models import Commitment, ProgressUpdate
from meetings.permissions import can_manage_group, can_view_group, is_active_user

# What an owner who does not coordinate the group may change on their own commitment.
OWNER_EDITABLE_FIELDS = ("status", "follow_up_date")


def is_owner(user, commitment) -> bool:
    return is_active_user(user) and commitment.owner_id == user.pk


def can_manage_commitment(user, commitment) -> bool:
    return can_manage_group(user, commitment.meeting.group_id)


def can_update_commitment(user, commitment) -> bool:
    """Coordinators edit it all; its owner edits its status and follow-up date."""
    return can_manage_commitment(user, commitment) or (
        is_owner(user, commitment) and can_view_group(user, commitment.meeting.group_id)
    )


def can_post_progress(user, commitment) -> bool:
    return can_update_commitment(user, commitment)


def nameable(people, commitment, field: str):
    """Who an edit may name as the commitment's `field` ("owner" or "access_granted_to"): `people`, and those it
    names now — kept until handed over or unticked, even after leaving the group or having their account closed, so
    that an edit of anything else (or the object sent back as read) does not drop or refuse them."""
    if commitment is None or commitment.pk is None:
        return people
    if field == "owner":
        return people | people.model.objects.filter(pk=commitment.owner_id)
    # By id, not joined: someone granted several commitments is one person to name, not one row per grant.
    return people | people.model.objects.filter(pk__in=commitment.access_granted_to.values("pk"))


def editable_fields(user, commitment) -> tuple[str, ...] | None:
    """The fields the user may change: None for all of them, () for none."""
    if can_manage_commitment(user, commitment):
        return None
    if can_update_commitment(user, commitment):
        return OWNER_EDITABLE_FIELDS
    return ()


def could_read_then(user, *, restricted: bool, owner_id: int | None, granted: set[int], group_id: int) -> bool:
    """Whether the user could read a commitment as it was recorded at some moment (a history record, a
    frozen brief), given its restriction, owner and grants (user ids) at that moment.

    What was recorded while it was restricted is for those who could read it then: its owner then,
    the members granted access then, the group's coordinators and superusers; a later grant or a
    lifted restriction does not open it.
    """
    if not restricted or can_manage_group(user, group_id):
        return True
    return owner_id == user.pk or user.pk in granted


def can_attach(user, target) -> bool:
    """Who adds files: the group's coordinators to a meeting; to a commitment, those who update it (its owner
    too); to a progress update, its author or a coordinator."""
    if isinstance(target, Commitment):
        return can_update_commitment(user, target)
    if isinstance(target, ProgressUpdate):
        commitment = target.commitment
        return can_manage_commitment(user, commitment) or (
            target.author_id == user.pk and can_post_progress(user, commitment)
        )
    return can_manage_group(user, target.group_id)  # a meeting


def can_remove_attachment(user, attachment) -> bool:
    """Coordinators delete attachments (the history keeps who, when, the name and the hash)."""
    return can_manage_group(user, attachment_group_id(attachment))


def attachment_group_id(attachment) -> int:
    return attachment.meeting.group_id if attachment.meeting_id else attachment.commitment.meeting.group_id
