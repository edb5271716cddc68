"""The API's permission class for meetings: the rules of meetings/permissions.py, asked the DRF way."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from meetings.permissions import can_manage_group, is_coordinator


class MeetingPermission(BasePermission):
    """Reading needs a login (lists are scoped, other groups' objects are 404); writing needs the role."""

    message = "Your role in this working group does not allow this."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if view.action == "create":
            return is_coordinator(request.user)
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or can_manage_group(request.user, obj.group_id)
