"""System checks of the meetings app's settings (`manage.py check`, and at every start)."""

from django.conf import settings
from django.core.checks import Warning, register
from django.db import DatabaseError

from meetings.models import WorkingGroup


@register("directory")
def working_groups_of_the_roles_mapping(app_configs, **kwargs) -> list[Warning]:
    """Every working group LDAP_WORKING_GROUP_ROLES names exists (a slug mistyped gives nobody a role)."""
    mapping = settings.DIRECTORY_WORKING_GROUP_ROLES
    if not mapping:
        return []
    try:
        known = set(WorkingGroup.objects.filter(slug__in=list(mapping)).values_list("slug", flat=True))
    except DatabaseError:  # not migrated yet
        return []
    return [
        Warning(f"LDAP_WORKING_GROUP_ROLES names {slug}, which is no working group's slug.", id="meetings.W001")
        for slug in mapping
        if slug not in known
    ]
