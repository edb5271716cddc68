"""Working-group roles from directory groups (LDAP_WORKING_GROUP_ROLES, docs/operations.md#directory-login).

At each directory login and check, for each working group the setting names, the user's role is the highest
whose directory group they are in. The memberships it gives are marked `from_directory`, and change or end with
the directory groups; a membership given in the app is left as it is, whatever the directory says.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver

from config.directory import directory_groups_read
from meetings.models import Membership, WorkingGroup

logger = logging.getLogger(__name__)
ROLES_FIRST_TO_LAST = [Membership.Role.COORDINATOR, Membership.Role.MEMBER]


@receiver(directory_groups_read)
@transaction.atomic
def follow_directory_groups(sender, user, group_dns: set[str], **kwargs) -> None:
    mapping = settings.DIRECTORY_WORKING_GROUP_ROLES
    groups = WorkingGroup.objects.in_bulk(list(mapping), field_name="slug")
    memberships = {m.group_id: m for m in Membership.objects.filter(user=user, group__in=groups.values())}
    for slug, dns in mapping.items():
        group = groups.get(slug)
        if group is None:
            logger.warning("LDAP_WORKING_GROUP_ROLES names %r, which is no working group's slug", slug)
            continue
        role = next((role for role in ROLES_FIRST_TO_LAST if dns.get(role) in group_dns), None)
        membership = memberships.get(group.pk)
        if membership is None:
            if role is not None:
                Membership.objects.create(group=group, user=user, role=role, from_directory=True)
        elif not membership.from_directory:
            continue  # given in the app: the app's to change
        elif role is None:
            membership.delete()
        elif membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
