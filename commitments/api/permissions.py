"""The API's permission class: the rules of commitments/permissions.py, asked the DRF way."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from commitments import permissions
from commitments.models import Commitment
from meetings.models import Meeting


class TrackerPermission(BasePermission):
    """Reading needs a login (lists are scoped, other groups' objects are 404); writing needs the role."""

    message = "Your role in this working group does not allow this."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if view.action == "create":
            return permissions.is_coordinator(request.user)
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if isinstance(obj, Commitment):
            return permissions.can_update_commitment(request.user, obj)
        if isinstance(obj, Meeting):
            return permissions.can_manage_group(request.user, obj.group_id)
        return False
