"""Who may do what. Every view, admin page and API endpoint asks these functions.

- anonymous: nothing (the login page);
- a user outside a working group: nothing of it (objects answer 404, lists leave it out);
- member: reads the group, except restricted commitments (need to know) not granted to them;
- owner: reads the group, updates the status and follow-up date of their own commitments
  and posts progress on them;
- granted: a member granted access to a restricted commitment reads it;
- coordinator: manages everything in their groups, restricted commitments included;
- superuser: everything.

Scoping of lists is `visible_to(user)` on each model's queryset; these functions answer
for one object.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404

from config.security import security_event
from meetings.models import Meeting, Membership, WorkingGroup

# What an owner who does not coordinate the group may change on their own commitment.
OWNER_EDITABLE_FIELDS = ("status", "follow_up_date")


def _is_active_user(user) -> bool:
    return user.is_authenticated and user.is_active


def group_roles(user) -> dict[int, str]:
    """{working group id: role} for the user, read once per request."""
    if not _is_active_user(user):
        return {}
    if not hasattr(user, "_group_roles"):
        user._group_roles = dict(Membership.objects.filter(user=user).values_list("group_id", "role"))
    return user._group_roles


def role_label(user, group_id: int) -> str:
    """How a page names the user's place in a group: "Coordinator", "Member", "Superuser"."""
    role = group_roles(user).get(group_id)
    if role:
        return Membership.Role(role).label
    return "Superuser" if user.is_superuser else ""


def coordinated_groups(user):
    """The working groups a user manages: all for superusers."""
    return WorkingGroup.objects.coordinated_by(user)


def is_coordinator(user) -> bool:
    """Whether the user manages at least one working group (superusers manage all)."""
    if not _is_active_user(user):
        return False
    return user.is_superuser or Membership.Role.COORDINATOR in group_roles(user).values()


def can_view_group(user, group_id: int) -> bool:
    return _is_active_user(user) and (user.is_superuser or group_id in group_roles(user))


def can_manage_group(user, group_id: int) -> bool:
    if not _is_active_user(user):
        return False
    return user.is_superuser or group_roles(user).get(group_id) == Membership.Role.COORDINATOR


def can_administer(user) -> bool:
    """Whether the admin panel is open to the user: staff accounts of superusers and coordinators."""
    return _is_active_user(user) and user.is_staff and is_coordinator(user)


def is_owner(user, commitment) -> bool:
    return _is_active_user(user) and commitment.owner_id == user.pk


def can_manage_commitment(user, commitment) -> bool:
    return can_manage_group(user, commitment.meeting.group_id)


def can_update_commitment(user, commitment) -> bool:
    """Coordinators edit it all; its owner edits its status and follow-up date."""
    return can_manage_commitment(user, commitment) or (
        is_owner(user, commitment) and can_view_group(user, commitment.meeting.group_id)
    )


def can_post_progress(user, commitment) -> bool:
    return can_update_commitment(user, commitment)


def editable_fields(user, commitment) -> tuple[str, ...] | None:
    """The fields the user may change: None for all of them, () for none."""
    if can_manage_commitment(user, commitment):
        return None
    if can_update_commitment(user, commitment):
        return OWNER_EDITABLE_FIELDS
    return ()


def could_read_then(user, record, group_id: int, granted_then: set[int]) -> bool:
    """Whether the user could read the commitment as a history record holds it.

    A record made while it was restricted is for those who could read it then: its owner then,
    the members granted access then (`granted_then`, user ids), the group's coordinators and
    superusers; a later grant or a lifted restriction does not open what it said before.
    """
    if not record.restricted or can_manage_group(user, group_id):
        return True
    return record.owner_id == user.pk or user.pk in granted_then


def get_visible_or_404(queryset, request, **lookup):
    """The object if the user may see it; 404 otherwise, so its existence is not disclosed."""
    try:
        return queryset.visible_to(request.user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        log_if_hidden(request, queryset.model, **lookup)
        raise Http404(f"No {queryset.model._meta.verbose_name} found.") from None


def log_if_hidden(request, model, **lookup) -> None:
    """A 404 for an object that exists is a refusal: the security log records it (the user is not told)."""
    try:
        exists = model._default_manager.filter(**lookup).exists()
    except (ValueError, TypeError):
        return
    if exists:
        details = " ".join(f"{key}={value}" for key, value in lookup.items())
        security_event(request, "denied", logging.WARNING, status=404, object=f"{model._meta.model_name}:{details}")


def check(allowed: bool) -> None:
    """Refuse a visible object's action the user may not take."""
    if not allowed:
        raise PermissionDenied


def manageable_meetings(user):
    return Meeting.objects.filter(group__in=coordinated_groups(user))
