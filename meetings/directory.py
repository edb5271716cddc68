"""Working-group roles from directory groups (LDAP_WORKING_GROUP_ROLES, docs/operations.md#directory-login).

At each directory login and check, for each working group the setting names, the user's role is the highest
whose directory group they are in. The memberships it gives are marked `from_directory`, and change or end with
the directory groups; a membership given in the app is left as it is, whatever the directory says.
"""

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver

from config.directory import directory_groups_read
from meetings.models import Membership, WorkingGroup

ROLES_FIRST_TO_LAST = [Membership.Role.COORDINATOR, Membership.Role.MEMBER]


@receiver(directory_groups_read)
@transaction.atomic
def follow_directory_groups(sender, user, group_dns: set[str], reason: str, **kwargs) -> None:
    mapping = settings.DIRECTORY_WORKING_GROUP_ROLES
    groups = WorkingGroup.objects.in_bulk(list(mapping), field_name="slug")
    memberships = {m.group_id: m for m in Membership.objects.filter(user=user)}
    for membership in memberships.values():
        if membership.from_directory and membership.group_id not in {group.pk for group in groups.values()}:
            record(membership, reason).delete()  # the mapping no longer names its group
    for slug, dns in mapping.items():
        group = groups.get(slug)
        if group is None:
            continue  # named by the system check (meetings/checks.py)
        role = next((role for role in ROLES_FIRST_TO_LAST if dns.get(role) in group_dns), None)
        membership = memberships.get(group.pk)
        if membership is None:
            if role is not None:
                record(Membership(group=group, user=user, role=role, from_directory=True), reason).save()
        elif not membership.from_directory:
            continue  # given in the app: the app's to change
        elif role is None:
            record(membership, reason).delete()
        elif membership.role != role:
            membership.role = role
            record(membership, reason).save(update_fields=["role"])


def record(membership: Membership, reason: str) -> Membership:
    """The change, in the membership's history, as the directory's."""
    membership._change_reason = reason
    return membership
