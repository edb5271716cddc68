"""A commitment as the API writes it: field by field, as ModelSerializer's generic way would write it."""

import pytest
from django.test import RequestFactory
from rest_framework import serializers
from rest_framework.request import Request

from commitments.api.serializers import CommitmentSerializer
from commitments.api.views import CommitmentViewSet
from commitments.models import Commitment
from tests.factories import CommitmentFactory


@pytest.fixture
def varied(meeting, coordinator, owner, member, granted):
    """Commitments that differ in every field that may be empty, a choice, a date or a list."""
    CommitmentFactory(meeting=meeting)  # no owner, no author
    restricted = CommitmentFactory(
        meeting=meeting,
        owner=owner,
        created_by=coordinator,
        title="Joint <research> & “drivers” of radicalization",
        description="Line one\nline two",
        lead_agency="NIA",
        partner_counterpart="SSS",
        record_paragraph="4.2",
        follow_up_date=None,
        priority=Commitment.Priority.HIGH,
        restricted=True,
    )
    restricted.access_granted_to.set([member, granted])
    CommitmentFactory(meeting=meeting, owner=member, status=Commitment.Status.DONE)  # closed: closed_at is set


def test_every_readable_field_is_written_as_the_generic_serializer_writes_it(varied, coordinator):
    request = Request(RequestFactory().get("/api/v1/commitments/"))
    request.user = coordinator
    view = CommitmentViewSet(request=request, action="list", format_kwarg=None)
    commitments = list(view.get_queryset().order_by("pk"))
    serializer = CommitmentSerializer(context={"request": request})
    readable = [name for name, field in serializer.fields.items() if not field.write_only]
    assert len(commitments) == 3
    for commitment in commitments:
        written = serializer.to_representation(commitment)
        generic = serializers.ModelSerializer.to_representation(serializer, commitment)
        assert list(written) == readable
        assert written == generic
    written = [serializer.to_representation(commitment) for commitment in commitments]
    assert [c["owner"] is None for c in written] == [True, False, False]
    assert [c["follow_up_date"] is None for c in written] == [False, True, False]
    assert [c["closed_at"] is None for c in written] == [True, True, False]
    assert [len(c["access_granted_to"]) for c in written] == [0, 2, 0]
