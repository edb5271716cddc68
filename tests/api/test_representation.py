"""A commitment as the API writes it: field by field, as ModelSerializer's generic way would write it."""

import pytest
from django.test import RequestFactory
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIClient

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


def test_those_granted_access_are_listed_by_id_wherever_the_commitment_is_read(
    meeting, coordinator, owner, member, granted, owner2
):
    """The same version reads the same in its answer, its detail, the list and the owner's /me/."""
    api = APIClient()
    api.force_authenticate(coordinator)
    grantees = sorted([member.pk, granted.pk, owner2.pk], reverse=True)
    body = {"meeting": meeting.pk, "title": "Joint research", "category": 3, "owner": owner.pk, "restricted": True}
    created = api.post("/api/v1/commitments/", {**body, "access_granted_to": grantees}, format="json")
    assert created.status_code == 201, created.json()
    pk, ascending = created.json()["id"], sorted(grantees)
    detail = f"/api/v1/commitments/{pk}/"
    edited = api.patch(detail, {"access_granted_to": [granted.pk, member.pk]}, format="json", HTTP_IF_MATCH='"1"')
    assert created.json()["access_granted_to"] == ascending
    assert edited.json()["access_granted_to"] == sorted([granted.pk, member.pk])
    through = Commitment.access_granted_to.through  # stored in another order than the ids': read by id all the same
    through.objects.filter(commitment_id=pk).delete()
    through.objects.bulk_create([through(commitment_id=pk, user_id=user) for user in (member.pk, granted.pk)[::-1]])
    api.force_authenticate(owner)
    read = [
        api.get(detail).json(),
        next(c for c in api.get("/api/v1/commitments/").json()["results"] if c["id"] == pk),
        next(c for c in api.get("/api/v1/me/").json()["commitments"] if c["id"] == pk),
    ]
    assert [c["access_granted_to"] for c in read] == [sorted([granted.pk, member.pk])] * 3


def test_those_granted_access_are_written_by_id_whatever_order_the_database_reads_them_in(
    meeting, coordinator, member, granted, owner2
):
    commitment = CommitmentFactory(meeting=meeting, restricted=True)
    commitment.access_granted_to.set([member, granted, owner2])
    request = Request(RequestFactory().get("/api/v1/commitments/"))
    request.user = coordinator
    view = CommitmentViewSet(request=request, action="list", format_kwarg=None)
    read = view.get_queryset().get(pk=commitment.pk)
    read._prefetched_objects_cache["access_granted_to"]._result_cache.sort(key=lambda user: -user.pk)
    written = CommitmentSerializer(context={"request": request}).to_representation(read)
    assert written["access_granted_to"] == sorted([member.pk, granted.pk, owner2.pk])
