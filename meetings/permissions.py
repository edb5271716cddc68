"""Who may do what in a working group: the group-level rules. Every view, admin page and API endpoint asks
these functions (commitments/permissions.py adds the rules about one commitment).

- anonymous: nothing (the login page);
- a user outside a working group: nothing of it (objects answer 404, lists leave it out);
- member: reads the group;
- coordinator: manages everything in their groups;
- superuser: everything.

Scoping of lists is `visible_to(user)` on each model's queryset; these functions answer for one group.
"""

from django.contrib.auth import get_user_model

from meetings.models import Meeting, Membership, WorkingGroup


def is_active_user(user) -> bool:
    return user.is_authenticated and user.is_active


def group_roles(user) -> dict[int, str]:
    """{working group id: role} for the user, read once per request."""
    if not is_active_user(user):
        return {}
    if not hasattr(user, "_group_roles"):
        user._group_roles = dict(Membership.objects.filter(user=user).values_list("group_id", "role"))
    return user._group_roles


SUPERUSER = "superuser"  # the place of a superuser in a group they are not a member of
GROUP_ROLES = [*Membership.Role.choices, (SUPERUSER, "Superuser")]  # (value, label): the API's RoleEnum


def role_in(user, group_id: int) -> str:
    """The user's place in a group, as the API says it: "coordinator", "member", "superuser", or "" for none."""
    return group_roles(user).get(group_id) or (SUPERUSER if user.is_superuser else "")


def role_label(user, group_id: int) -> str:
    """How a page names the user's place in a group: "Coordinator", "Member", "Superuser"."""
    return dict(GROUP_ROLES).get(role_in(user, group_id), "")


def coordinated_groups(user):
    """The working groups a user manages: all for superusers."""
    return WorkingGroup.objects.coordinated_by(user)


def is_coordinator(user) -> bool:
    """Whether the user manages at least one working group (superusers manage all)."""
    if not is_active_user(user):
        return False
    return user.is_superuser or Membership.Role.COORDINATOR in group_roles(user).values()


def can_view_group(user, group_id: int) -> bool:
    return is_active_user(user) and (user.is_superuser or group_id in group_roles(user))


def can_manage_group(user, group_id: int | None) -> bool:
    if not is_active_user(user):
        return False
    return user.is_superuser or group_roles(user).get(group_id) == Membership.Role.COORDINATOR


def can_administer(user) -> bool:
    """Whether the admin panel is open to the user: staff accounts of superusers and coordinators."""
    return is_active_user(user) and user.is_staff and is_coordinator(user)


def may_change_membership(user, membership: Membership) -> bool:
    """Coordinators manage their groups' memberships, but not their own (no removing or demoting oneself by
    mistake); superusers manage every membership. A membership the directory gave (LDAP_WORKING_GROUP_ROLES) is
    changed in the directory group only."""
    return not membership.from_directory and (user.is_superuser or membership.user_id != user.pk)


def people_to_pick(user):
    """The people a coordinator picks as a commitment's owner or grantee (or a successor in a handover): the
    active members of the groups they coordinate (all active members of every group, for a superuser)."""
    return active_members(coordinated_groups(user))


def active_members(groups):
    """The active members of these groups."""
    members = Membership.objects.filter(group__in=groups).values("user_id")
    return get_user_model().objects.filter(pk__in=members, is_active=True)


def manageable_meetings(user):
    return Meeting.objects.filter(group__in=coordinated_groups(user))
