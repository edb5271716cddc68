"""The API's permission class for commitments: the rules of commitments/permissions.py, asked the DRF way."""

from rest_framework.permissions import SAFE_METHODS

from commitments.permissions import can_update_commitment
from meetings.api.permissions import MeetingPermission


class CommitmentPermission(MeetingPermission):
    """As for meetings (coordinators create); a commitment is edited by its group's coordinators and its owner."""

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or can_update_commitment(request.user, obj)
