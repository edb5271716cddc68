"""Who may do what. Every view, admin page and API endpoint asks these functions.

- anonymous: nothing;
- a user outside a working group: nothing of it (objects answer 404, lists leave it out);
- member: reads the group;
- owner: reads the group and updates their own commitments;
- coordinator: manages everything in their groups;
- superuser: everything.
"""

from meetings.models import Membership, WorkingGroup


def _is_staff_member(user) -> bool:
    return user.is_authenticated and user.is_active


def coordinated_groups(user):
    """The working groups a user manages: all for superusers."""
    return WorkingGroup.objects.coordinated_by(user)


def is_coordinator(user) -> bool:
    """Whether the user manages at least one working group (superusers manage all)."""
    if not _is_staff_member(user):
        return False
    if not hasattr(user, "_coordinates_a_group"):  # asked many times per admin page
        user._coordinates_a_group = (
            user.is_superuser or Membership.objects.filter(user=user, role=Membership.Role.COORDINATOR).exists()
        )
    return user._coordinates_a_group


def can_manage_group(user, group: WorkingGroup) -> bool:
    if not _is_staff_member(user):
        return False
    return user.is_superuser or group.memberships.filter(user=user, role=Membership.Role.COORDINATOR).exists()


def can_administer(user) -> bool:
    """Whether the admin panel is open to the user: staff accounts of superusers and coordinators."""
    return _is_staff_member(user) and user.is_staff and is_coordinator(user)
