"""The one access helper of every view: an object the user may see, or 404; an action they may take, or 403.

Generic over the apps' querysets (each model's `visible_to(user)`), so that it imports no app.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404

from config.security import security_event


def get_visible_or_404(queryset, request, *, roles: dict[int, str] | None = None, **lookup):
    """The object if the user may see it; 404 otherwise, so its existence is not disclosed.

    `roles`: the user's {group id: role} when read for the request (meetings.permissions.group_roles), passed on to
    `visible_to`: the groups are then named by id, which PostgreSQL plans in a fraction of the time it takes over
    subqueries (a commitment with its meeting, group and people: 7 ms of planning for 0.6 ms of work).
    """
    try:
        visible = queryset.visible_to(request.user) if roles is None else queryset.visible_to(request.user, roles)
        return visible.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        log_if_hidden(request, queryset.model, **lookup)
        raise Http404(f"No {queryset.model._meta.verbose_name} found.") from None


def log_if_hidden(request, model, *, status: int = 404, **lookup) -> None:
    """An object answered as missing (404, or the admin's redirect) that exists is a refusal: the security log
    records it with the status the user got (the user is not told)."""
    try:
        exists = model._default_manager.filter(**lookup).exists()
    except (ValueError, TypeError):
        return
    if exists:
        details = " ".join(f"{key}={value}" for key, value in lookup.items())
        security_event(request, "denied", logging.WARNING, status=status, object=f"{model._meta.model_name}:{details}")


def check(allowed: bool) -> None:
    """Refuse a visible object's action the user may not take."""
    if not allowed:
        raise PermissionDenied
