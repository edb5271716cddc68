"""The REST API: the same data, filters and permissions as the web UI."""

import datetime
import io
import json

import pytest
import time_machine
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from commitments import attachments
from commitments.filters import CommitmentFilterSet
from commitments.models import Attachment, Commitment
from config.forms import FilterForm
from tests.commitments.test_views import owner_gone
from tests.factories import CommitmentFactory, MeetingFactory, ParticipantFactory, ProgressUpdateFactory, api_token
from tests.filter_cases import FILTER_CASES, filter_query

# Who may call what: tests/test_permission_matrix.py, with the rest of the URLconf.


@pytest.fixture
def api():
    return APIClient()


# --- Filters: the UI's FilterSet --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("?owner=mine", {"Overdue one", "Later one"}),
        ("?overdue=true", {"Overdue one"}),
        ("?q=later", {"Later one"}),
        ("?status=done", {"Done one"}),
        ("?ordering=-title", None),
    ],
)
def test_the_api_filters_like_the_list_page(api, meeting, owner, member, query, titles):
    CommitmentFactory(meeting=meeting, owner=owner, title="Overdue one", follow_up_date="2020-01-01")
    CommitmentFactory(meeting=meeting, owner=owner, title="Later one", follow_up_date="2099-01-01")
    CommitmentFactory(meeting=meeting, owner=member, title="Done one", status="done")
    api.force_authenticate(owner)
    results = api.get(reverse("api:commitment-list") + query).json()["results"]
    if titles is None:
        assert [r["title"] for r in results] == ["Overdue one", "Later one", "Done one"]
    else:
        assert {r["title"] for r in results} == titles


@pytest.mark.parametrize(("query", "expected"), FILTER_CASES)
def test_each_filter_of_the_list_page_works_in_the_api(api, owner, filter_rows, group, query, expected):
    api.force_authenticate(owner)
    url = reverse("api:commitment-list") + filter_query(query, filter_rows, group)
    by_pk = {c.pk: name for name, c in filter_rows.items()}
    assert {by_pk[r["id"]] for r in api.get(url).json()["results"]} == expected


def test_a_bad_filter_is_a_400_with_the_field(api, owner):
    api.force_authenticate(owner)
    response = api.get(reverse("api:commitment-list") + "?follow_up_before=soon")
    assert response.status_code == 400
    assert "follow_up_before" in response.json()


@pytest.mark.parametrize("method", ["get", "patch"])
def test_a_detail_request_builds_no_list_filter(api, commitment, coordinator, monkeypatch, method):
    """The list's FilterSet (its form and every widget) is built for lists only: not to read or edit one object."""
    built = []
    original = CommitmentFilterSet.__init__

    def counting(self, *args, **kwargs):
        built.append(kwargs.get("data"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(CommitmentFilterSet, "__init__", counting)
    api.force_authenticate(coordinator)
    url = reverse("api:commitment-detail", args=[commitment.pk])
    body = {"version": commitment.version, "lead_agency": "MHA"} if method == "patch" else None
    assert getattr(api, method)(url, body, format="json").status_code == 200
    assert built == []
    assert api.get(reverse("api:commitment-list") + "?status=open").status_code == 200
    assert len(built) == 1  # the spy sees the list's


def test_pages_have_a_maximum_size(api, owner, meeting):
    CommitmentFactory.create_batch(3, meeting=meeting)
    api.force_authenticate(owner)
    assert len(api.get(reverse("api:commitment-list") + "?page_size=2").json()["results"]) == 2
    for size in ["1000", "0", "-1", "two", "9" * 5000]:
        response = api.get(reverse("api:commitment-list") + f"?page_size={size}")
        assert response.status_code == 400
        assert response.json() == {"page_size": ["A whole number from 1 to 200."]}


def test_a_page_number_that_is_none_is_refused_as_such_and_one_past_the_end_is_not_found(api, owner, meeting):
    CommitmentFactory.create_batch(3, meeting=meeting)
    api.force_authenticate(owner)
    url = reverse("api:commitment-list")
    assert api.get(url + "?page=2&page_size=2").json()["results"]  # the last page
    for page in ["0", "-1", "two", "1.5", "9" * 5000]:
        response = api.get(url + f"?page={page}")
        assert response.status_code == 400
        assert response.json() == {"page": ["A whole number from 1."]}
    past_the_end = api.get(url + "?page=3&page_size=2")  # no such page, and the answer says which is the last
    assert past_the_end.status_code == 404
    assert past_the_end.json() == {"detail": "There is no page 3: the last is page 2."}
    for twice in ["page=1&page=2", "page_size=5&page_size=6"]:
        response = api.get(url + f"?{twice}")
        assert response.status_code == 400
        assert response.json() == {twice.partition("=")[0]: ["Choose one value only."]}


# --- Editing with versions ----------------------------------------------------------------------


def test_the_etag_flow(api, commitment, coordinator):
    api.force_authenticate(coordinator)
    url = reverse("api:commitment-detail", args=[commitment.pk])
    response = api.get(url)
    assert response["ETag"] == '"1"'
    response = api.patch(url, {"lead_agency": "Ministry of Home Affairs"}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    stale = api.patch(url, {"lead_agency": "NIA"}, HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["current"]["lead_agency"] == "Ministry of Home Affairs"
    assert stale.json()["current"]["version"] == 2
    assert api.patch(url, {"lead_agency": "NIA"}).status_code == 428
    assert api.patch(url, {"lead_agency": "NIA", "version": 2}).status_code == 200
    commitment.refresh_from_db()
    assert (commitment.lead_agency, commitment.version) == ("NIA", 3)
    assert commitment.history.first().history_user == coordinator


@pytest.mark.parametrize("how", ["left", "deactivated"])
def test_a_commitment_whose_owner_is_gone_is_edited_and_sent_back_as_read(
    api, commitment, coordinator, owner, member, how
):
    commitment.access_granted_to.add(member)
    member.is_active = False  # a grantee whose account was closed: sent back as read too
    member.save()
    owner_gone(commitment, how)
    api.force_authenticate(coordinator)
    url = reverse("api:commitment-detail", args=[commitment.pk])
    response = api.patch(url, {"priority": 1}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.json()
    as_read = api.get(url).json()
    response = api.put(url, as_read, format="json", HTTP_IF_MATCH='"2"')
    assert response.status_code == 200, response.json()
    commitment.refresh_from_db()
    assert (commitment.owner, commitment.priority, commitment.version) == (owner, 1, 2)  # sent back unchanged
    assert list(commitment.access_granted_to.all()) == [member]


@pytest.mark.parametrize("field", ["owner", "access_granted_to"])
def test_naming_a_closed_account_is_refused_saying_why(api, commitment, coordinator, member, field):
    """A member whose account was closed is not named anew (owner or grantee): the answer says so, as it says for an
    id nobody has, rather than "Invalid pk"."""
    member.is_active = False
    member.save()
    api.force_authenticate(coordinator)
    url = reverse("api:commitment-detail", args=[commitment.pk])
    for pk in (member.pk, 999_999):
        response = api.patch(url, {field: pk if field == "owner" else [pk]}, format="json", HTTP_IF_MATCH='"1"')
        assert response.status_code == 400
        said = response.json()[field]
        assert said == [f"No open account has the id {pk}: name someone whose account is open."], said
    commitment.refresh_from_db()
    assert commitment.version == 1


def test_a_grantee_with_grants_on_other_commitments_is_named_again(api, commitment, meeting, coordinator, member):
    """Who an edit may name is a set of people, each once, however many commitments they were granted."""
    for other in CommitmentFactory.create_batch(2, meeting=meeting, restricted=True):
        other.access_granted_to.add(member)
    commitment.restricted = True
    commitment.save_versioned(commitment.version)
    commitment.access_granted_to.add(member)
    api.force_authenticate(coordinator)
    url = reverse("api:commitment-detail", args=[commitment.pk])
    version = api.get(url)["ETag"]
    response = api.patch(url, {"access_granted_to": [member.pk], "priority": 1}, format="json", HTTP_IF_MATCH=version)
    assert response.status_code == 200, response.content
    assert response.json()["access_granted_to"] == [member.pk]
    response = api.patch(url, {"owner": member.pk}, format="json", HTTP_IF_MATCH=response["ETag"])
    assert response.status_code == 200, response.content


def test_an_owner_changes_status_and_follow_up_only(api, commitment, owner, member):
    api.force_authenticate(owner)
    url = reverse("api:commitment-detail", args=[commitment.pk])
    refused = api.patch(url, {"title": "Renamed", "owner": member.pk, "status": "done", "version": 1})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "As the owner you may change only status, follow_up_date; not owner, title."
    assert (
        api.patch(
            url,
            {
                "status": "in_progress",
                "follow_up_date": "2027-01-15",
                "follow_up_reason": "The partner asked for January.",
                "owner": owner.pk,
                "version": 1,
            },
        ).status_code
        == 200
    )
    title = commitment.title
    commitment.refresh_from_db()
    assert (commitment.status, commitment.title, commitment.owner) == ("in_progress", title, owner)


def test_read_only_fields_are_refused_not_ignored(api, commitment, coordinator, other_group):
    api.force_authenticate(coordinator)
    url = reverse("api:commitment-detail", args=[commitment.pk])
    response = api.patch(url, {"working_group": other_group.pk, "created_by": coordinator.pk, "version": 1})
    assert response.status_code == 400
    assert response.json() == {
        "created_by": ["This field is read-only."],
        "working_group": ["This field is read-only."],
    }
    assert api.patch(url, {"working_group": commitment.meeting.group_id, "version": 1}).status_code == 200


def test_bad_input_is_a_400_with_field_errors_and_nothing_saved(api, meeting, coordinator, outsider):
    api.force_authenticate(coordinator)
    response = api.post(
        reverse("api:commitment-list"),
        {
            "meeting": meeting.pk,
            "title": "",
            "category": 999,
            "owner": outsider.pk,
            "status": "finished",
            "follow_up_date": "31/02/2026",
        },
    )
    assert response.status_code == 400
    assert {"title", "category", "status", "follow_up_date"} <= set(response.json())
    assert not Commitment.objects.exists()
    response = api.post(
        reverse("api:commitment-list"),
        {
            "meeting": meeting.pk,
            "title": "Joint research",
            "category": 3,
            "owner": outsider.pk,
        },
    )
    assert response.status_code == 400
    assert "owner" in response.json()


def test_a_meeting_ending_before_it_starts_is_a_400(api, group, coordinator):
    api.force_authenticate(coordinator)
    response = api.post(
        reverse("api:meeting-list"),
        {
            "group": group.pk,
            "number": 10,
            "host_country": "IN",
            "status": "scheduled",
            "start_date": "2027-03-12",
            "end_date": "2027-03-11",
        },
    )
    assert response.status_code == 400
    assert response.json() == {"end_date": ["The end date cannot be before the start date."]}


def test_a_coordinator_creates_a_commitment(api, meeting, coordinator, owner):
    api.force_authenticate(coordinator)
    response = api.post(
        reverse("api:commitment-list"),
        {
            "meeting": meeting.pk,
            "title": "Joint research on radicalization",
            "category": 3,
            "owner": owner.pk,
        },
    )
    assert response.status_code == 201
    commitment = Commitment.objects.get()
    assert response.json()["working_group"] == meeting.group_id
    assert commitment.created_by == coordinator
    assert commitment.history.first().history_user == coordinator


def test_progress_posted_through_the_api_changes_the_status(api, commitment, owner):
    api.force_authenticate(owner)
    url = reverse("api:commitment-progress-updates", args=[commitment.pk])
    response = api.post(url, {"text": "Calendar agreed.", "new_status": "in_progress"})
    assert response.status_code == 201
    assert response.json()["author"] == owner.pk
    commitment.refresh_from_db()
    assert commitment.status == "in_progress"
    assert [u["text"] for u in api.get(url).json()] == ["Calendar agreed."]


# --- Authentication ----------------------------------------------------------------------------------


def new_token_from_the_settings_page(client, days: int = 90) -> str:
    response = client.post(reverse("api-token"), {"action": "create", "days": days}, follow=True)
    assert response.status_code == 200
    return response.context["new_api_token"]


def test_a_token_from_the_settings_page_opens_the_api_until_revoked(client, owner):
    client.force_login(owner)
    token = new_token_from_the_settings_page(client)
    api = APIClient()
    response = api.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert response.json()["username"] == "owner"
    page = client.get(reverse("notification-settings")).content.decode()
    assert token not in page  # shown once only
    assert f"<code>{token[:15]}…</code>" in page and "expires" in page  # then named by its first characters
    client.post(reverse("api-token"), {"action": "revoke"})
    assert api.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Token {token}").status_code == 401


def test_tokens_are_stored_hashed(client, owner):
    from knox.models import AuthToken

    client.force_login(owner)
    token = new_token_from_the_settings_page(client)
    stored = AuthToken.objects.get(user=owner)
    assert token not in {stored.digest, stored.token_key} and len(stored.token_key) < len(token)


def test_a_token_expires_when_it_was_told_to(client, owner):
    client.force_login(owner)
    token = new_token_from_the_settings_page(client, days=30)
    api = APIClient()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=29)):
        assert api.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(days=31)):
        assert api.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Token {token}").status_code == 401


def test_a_token_lifetime_beyond_the_setting_is_refused(client, owner, settings):
    from knox.models import AuthToken

    settings.API_TOKEN_MAX_DAYS = 90
    client.force_login(owner)
    response = client.post(reverse("api-token"), {"action": "create", "days": 365})
    assert response.status_code == 422
    assert not AuthToken.objects.filter(user=owner).exists()


def test_a_new_password_revokes_the_api_tokens(client, owner):
    from tests.conftest import PASSWORD

    token = api_token(owner)
    api = APIClient()
    assert api.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    client.force_login(owner)
    new = "a new and long enough passphrase"
    response = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert api.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Token {token}").status_code == 401


def test_a_password_reset_or_set_by_an_administrator_revokes_the_api_tokens(owner):
    token = api_token(owner)
    owner.set_password("reset by the administrator, long enough")
    owner.save()
    assert APIClient().get(reverse("api:me"), HTTP_AUTHORIZATION=f"Token {token}").status_code == 401


def test_a_deactivated_account_cannot_use_its_token(owner):
    token = api_token(owner)
    owner.is_active = False
    owner.save()
    assert APIClient().get(reverse("api:me"), HTTP_AUTHORIZATION=f"Token {token}").status_code == 401


def test_session_writes_need_the_csrf_token(commitment, coordinator):
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(coordinator)
    response = api.patch(reverse("api:commitment-detail", args=[commitment.pk]), {"version": 1}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_me_lists_my_roles_and_open_commitments(api, commitment, owner, group):
    api.force_authenticate(owner)
    body = api.get(reverse("api:me")).json()
    assert body["roles"] == {str(group.pk): "member"}
    assert [c["id"] for c in body["commitments"]] == [commitment.pk]


# --- Query counts and schema -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["api:commitment-list", "api:meeting-list", "api:working-group-list"])
def test_list_endpoints_do_not_grow_with_rows(api, group, owner, name):
    api.force_authenticate(owner)

    def count() -> int:
        api.force_authenticate(type(owner).objects.get(pk=owner.pk))  # a fresh user, as each request has
        with CaptureQueriesContext(connection) as queries:
            assert api.get(reverse(name)).status_code == 200
        return len(queries)

    meeting = MeetingFactory(group=group, number=1)
    ProgressUpdateFactory(commitment=CommitmentFactory(meeting=meeting, owner=owner), author=owner)
    one = count()
    for n in range(2, 101):
        meeting = MeetingFactory(group=group, number=n) if n % 10 == 0 else meeting
        CommitmentFactory(meeting=meeting, owner=owner)
    many = count()
    print(f"{name}: {one} queries for 1 row, {many} for 100")
    assert one == many


def test_the_openapi_schema_validates(db):
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    assert "/api/v1/commitments/{id}/progress-updates/" in out.getvalue()


# --- Bodies that are not what an edit needs ---------------------------------------------------------------


@pytest.mark.parametrize("body", ["[]", '["title"]', '"title"', "12", "null", "true"])
def test_an_edit_whose_body_is_not_an_object_is_a_400(api, commitment, coordinator, body):
    api.force_authenticate(coordinator)
    url = reverse("api:commitment-detail", args=[commitment.pk])
    for method in (api.patch, api.put):
        response = method(url, body, content_type="application/json", HTTP_IF_MATCH='"1"')
        assert response.status_code == 400, (method, body, response.status_code)
    commitment.refresh_from_db()
    assert commitment.version == 1


def test_deeply_nested_json_is_a_400(api, commitment, coordinator):
    api.force_authenticate(coordinator)
    body = "[" * 100_000 + "]" * 100_000
    response = api.patch(reverse("api:commitment-detail", args=[commitment.pk]), body, content_type="application/json")
    assert response.status_code == 400
    response = api.post(
        reverse("api:commitment-list"), '{"a":' * 50_000 + "1" + "}" * 50_000, content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ('{"title": "d1", "title": "d2"}', 'JSON parse error - "title" is given twice in one object.'),
        ('{"version": ' + "1" * 5000 + "}", "JSON parse error - a number of more than 30 digits."),
    ],
)
def test_json_that_would_be_read_one_way_among_several_is_a_400(api, commitment, coordinator, body, said):
    """A key given twice (the last would be kept, silently) or a number too long to read: refused as such, in words
    a script's author reads, and nothing saved."""
    api.force_authenticate(coordinator)
    url = reverse("api:commitment-detail", args=[commitment.pk])
    response = api.patch(url, body, content_type="application/json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    assert response.json() == {"detail": said}
    commitment.refresh_from_db()
    assert commitment.version == 1


def test_an_edit_that_changes_nothing_saves_nothing(api, commitment, coordinator):
    api.force_authenticate(coordinator)
    url = reverse("api:commitment-detail", args=[commitment.pk])
    for body in ({}, {"title": commitment.title}, {"status": commitment.status, "version": 1}):
        response = api.patch(url, body, HTTP_IF_MATCH='"1"')
        assert response.status_code == 200, body
        assert response["ETag"] == '"1"'
    commitment.refresh_from_db()
    assert commitment.version == 1
    assert commitment.history.count() == 1


def test_an_unknown_field_is_refused_not_ignored(api, commitment, coordinator):
    api.force_authenticate(coordinator)
    url = reverse("api:commitment-detail", args=[commitment.pk])
    response = api.patch(url, {"unknown_field": 1, "title": "Renamed"}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    assert response.json() == {"unknown_field": ["Unknown field."]}
    commitment.refresh_from_db()
    assert (commitment.title, commitment.version) != ("Renamed", 2)


def test_deactivation_revokes_the_api_tokens_for_good(owner):
    token = api_token(owner)
    owner.is_active = False
    owner.save()
    owner.is_active = True
    owner.save()
    assert APIClient().get(reverse("api:me"), HTTP_AUTHORIZATION=f"Token {token}").status_code == 401


def test_unknown_fields_are_refused_by_every_write(api, commitment, meeting, coordinator):
    api.force_authenticate(coordinator)
    progress = api.post(reverse("api:commitment-progress-updates", args=[commitment.pk]), {"text": "Held.", "bogus": 1})
    assert progress.status_code == 400 and progress.json() == {"bogus": ["Unknown field."]}
    assert not commitment.progress_updates.exists()
    patch = api.patch(reverse("api:meeting-detail", args=[meeting.pk]), {"city": "Samarkand", "bogus": 1})
    assert patch.status_code == 400 and patch.json() == {"bogus": ["Unknown field."]}
    meeting.refresh_from_db()
    assert meeting.city != "Samarkand"


# --- JSON only ----------------------------------------------------------------------------------------


# The one write that takes multipart/form-data (a file), and nothing else.
MULTIPART_ONLY = [("post", "/api/v1/attachments/")]


def write_operations(api) -> list[tuple[str, str]]:
    """(method, path template) of every operation with a JSON request body, from the published schema."""
    schema = api.get("/api/schema/?format=json").json()
    return [
        (method, path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation and (method, path) not in MULTIPART_ONLY
    ]


def test_the_schema_declares_json_bodies_only_and_415_for_others(api, coordinator):
    api.force_authenticate(coordinator)
    schema = api.get("/api/schema/?format=json").json()
    operations = write_operations(api)
    assert len(operations) >= 7
    for method, path in operations:
        operation = schema["paths"][path][method]
        assert list(operation["requestBody"]["content"]) == ["application/json"], (method, path)
        assert "415" in operation["responses"], (method, path)
    for method, path in MULTIPART_ONLY:
        operation = schema["paths"][path][method]
        assert list(operation["requestBody"]["content"]) == ["multipart/form-data"], (method, path)
        assert "415" in operation["responses"], (method, path)


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded", "text/plain"])
def test_the_attachment_upload_takes_multipart_only(api, commitment, coordinator, content_type):
    api.force_authenticate(coordinator)
    body = json.dumps({"commitment": commitment.pk, "file": "cmVjb3Jk"}) if content_type == "application/json" else ""
    response = api.generic(
        "POST", "/api/v1/attachments/", body or f"commitment={commitment.pk}", content_type=content_type
    )
    assert response.status_code == 415
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "text/plain"]
)
def test_every_write_refuses_a_body_that_is_not_json_and_saves_nothing(
    api, commitment, coordinator, content_type, meeting
):
    """Form encoding cannot say null or an empty list: a client writing through it would believe it cleared a
    date or revoked a grant while nothing changed. So every write takes JSON only."""
    api.force_authenticate(coordinator)
    ids = {"commitments": commitment.pk, "meetings": meeting.pk, "handovers": None}
    bodies = {
        "application/x-www-form-urlencoded": b"title=Changed&access_granted_to=",
        "multipart/form-data; boundary=xyz": b'--xyz\r\nContent-Disposition: form-data; name="title"\r\n\r\n'
        b"Changed\r\n--xyz--\r\n",
        "text/plain": b"title=Changed",
    }
    before = (Commitment.objects.count(), Commitment.history.count(), meeting.history.count())
    for method, path in write_operations(api):
        url = path.replace("{id}", str(ids[path.split("/")[3]]))
        response = api.generic(method.upper(), url, bodies[content_type], content_type=content_type)
        assert response.status_code == 415, (method, url, response.status_code)
        assert response["Content-Type"] == "application/json"
    assert (Commitment.objects.count(), Commitment.history.count(), meeting.history.count()) == before


def test_one_spelling_of_roles(api, group, coordinator, member, superuser):
    for user, role, label in [
        (coordinator, "coordinator", "Coordinator"),
        (member, "member", "Member"),
        (superuser, "superuser", "Superuser"),
    ]:
        api.force_authenticate(user)
        [working_group] = [g for g in api.get("/api/v1/working-groups/").json()["results"] if g["id"] == group.pk]
        assert (working_group["role"], working_group["role_label"]) == (role, label)
        if role != "superuser":
            assert api.get("/api/v1/me/").json()["roles"] == {str(group.pk): role}


# --- As an outside integrator found it --------------------------------------------------------------------


def test_read_only_fields_are_refused_in_every_write_unless_they_say_what_is_there(
    api, commitment, coordinator, meeting
):
    api.force_authenticate(coordinator)
    created = api.post(
        "/api/v1/commitments/",
        {"meeting": meeting.pk, "title": "New one", "category": commitment.category_id, "reference": "C-99"},
    )
    assert created.status_code == 400 and created.json() == {"reference": ["This field is read-only."]}
    posted = api.post(f"/api/v1/commitments/{commitment.pk}/progress-updates/", {"text": "x", "author": 99})
    assert posted.status_code == 400 and "author" in posted.json()
    ParticipantFactory(meeting=meeting)
    url = f"/api/v1/meetings/{meeting.pk}/"
    for body in [{"participants": []}, {"agenda_topics": None}, {"title": "X"}, {"id": 99}]:
        response = api.patch(url, body)
        assert response.status_code == 400, (body, response.status_code)
        assert list(response.json()) == list(body)
    current = api.get(url).json()
    assert api.put(url, current).status_code == 200  # sent back as read: nothing refused, nothing changed


def test_a_new_commitment_is_refused_a_version(api, commitment, coordinator, meeting):
    """A version sent with a new commitment was dropped in silence: the commitment started at 1 all the same."""
    api.force_authenticate(coordinator)
    body = {"meeting": meeting.pk, "title": "New one", "category": commitment.category_id, "version": 5}
    response = api.post("/api/v1/commitments/", body)
    assert response.status_code == 400
    assert response.json() == {"version": ["A new commitment has no version yet (it starts at 1): leave version out."]}
    assert not Commitment.objects.filter(title="New one").exists()
    del body["version"]
    assert api.post("/api/v1/commitments/", body).json()["version"] == 1


def test_a_text_field_takes_text_not_a_number(api, commitment, coordinator, meeting):
    """`"source": 0` was saved as the text "0" (and 1.10 would have been saved as "1.1"): a client that sends a
    number where the schema says a string has a bug it should hear of."""
    api.force_authenticate(coordinator)
    posted = api.post(f"/api/v1/commitments/{commitment.pk}/progress-updates/", {"text": "Held.", "source": 0})
    assert posted.status_code == 400 and posted.json() == {"source": ["Not a valid string."]}
    assert not commitment.progress_updates.exists()
    created = api.post(
        "/api/v1/commitments/", {"meeting": meeting.pk, "title": 2025, "category": commitment.category_id}
    )
    assert created.status_code == 400 and created.json() == {"title": ["Not a valid string."]}
    url = f"/api/v1/commitments/{commitment.pk}/"
    for body in [{"lead_agency": 1.1}, {"follow_up_reason": 3, "follow_up_date": "2030-01-01"}, {"title": ["A"]}]:
        response = api.patch(url, body, HTTP_IF_MATCH='"1"')
        assert response.status_code == 400, body
        assert response.json() == {next(iter(body)): ["Not a valid string."]}, body
    city = meeting.city
    response = api.patch(f"/api/v1/meetings/{meeting.pk}/", {"city": 7})
    assert response.status_code == 400 and response.json() == {"city": ["Not a valid string."]}
    commitment.refresh_from_db()
    meeting.refresh_from_db()
    assert (commitment.version, meeting.city) == (1, city)
    assert api.patch(url, {"lead_agency": "1.10"}, HTTP_IF_MATCH='"1"').json()["lead_agency"] == "1.10"


# Each is read by DRF as a whole number, or as one it is not: a fraction cut down ("meeting": 1.5 moved a commitment
# to meeting 1; 6.0 handed over C-6), infinity (a 500), a string of other digits or signs ("٢", "+2", "0_2", " 2 ").
NOT_WHOLE_NUMBERS = ["1.5", "2.0", "1e0", "1e400", "-1e400", "true", '"2"', '" 2 "', '"\u0662"', '"+2"', '"0_2"']


@pytest.mark.parametrize("number", NOT_WHOLE_NUMBERS)
def test_an_id_or_a_number_is_a_json_whole_number(api, commitment, coordinator, group, meeting, member, number):
    api.force_authenticate(coordinator)

    def send(method: str, url: str, body: str, **headers):
        return api.generic(method, url, body.replace("N", number), content_type="application/json", **headers)

    url = f"/api/v1/commitments/{commitment.pk}/"
    for name, body in [
        ("meeting", '{"meeting": N}'),
        ("category", '{"category": N}'),
        ("owner", '{"owner": N}'),
        ("access_granted_to", '{"access_granted_to": [N]}'),
        ("version", '{"title": "Renamed", "version": N}'),
    ]:
        response = send("PATCH", url, body, HTTP_IF_MATCH='"1"')
        assert response.status_code == 400, (body, response.status_code)
        assert list(response.json()) == [name], body
    for name, body in [
        ("group", '{"group": N, "number": 77, "status": "planned", "host_country": "UZ"}'),
        ("number", f'{{"group": {group.pk}, "number": N, "status": "planned", "host_country": "UZ"}}'),
    ]:
        response = send("POST", "/api/v1/meetings/", body)
        assert response.status_code == 400 and list(response.json()) == [name], (body, response.content)
    for name, body in [
        ("group", f'{{"group": N, "officer": {commitment.owner_id}, "successor": {member.pk}}}'),
        (
            "commitments",
            f'{{"group": {group.pk}, "officer": {commitment.owner_id}, "successor": {member.pk}, "commitments": [N]}}',
        ),
    ]:
        response = send("POST", "/api/v1/handovers/", body)
        assert response.status_code == 400 and list(response.json()) == [name], (body, response.content)
    commitment.refresh_from_db()
    assert (commitment.version, commitment.meeting_id, commitment.owner_id) == (1, meeting.pk, commitment.owner_id)
    assert not meeting.group.meetings.filter(number=77).exists()


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ('{"priority": "3"}', "priority"),
        ('{"priority": 3.0}', "priority"),
        ('{"priority": true}', "priority"),
        ('{"restricted": "no"}', "restricted"),
        ('{"restricted": "false"}', "restricted"),
        ('{"restricted": 0}', "restricted"),
        ('{"restricted": 1.0}', "restricted"),
    ],
)
def test_a_choice_or_a_yes_no_is_of_its_json_type(api, commitment, coordinator, granted, body, name):
    """{"restricted": "no"} lifted a restriction (the group could read the commitment); "3" set a priority."""
    commitment.restricted, commitment.priority = True, 2
    commitment.save_versioned(commitment.version, user=coordinator)
    api.force_authenticate(coordinator)
    url = f"/api/v1/commitments/{commitment.pk}/"
    response = api.generic("PATCH", url, body, content_type="application/json", HTTP_IF_MATCH=f'"{commitment.version}"')
    assert response.status_code == 400 and list(response.json()) == [name], response.content
    commitment.refresh_from_db()
    assert (commitment.restricted, commitment.priority) == (True, 2)


@pytest.mark.parametrize("day", ["2030-1-5", "2030-W01-1", "20300105", "\uff12\uff10\uff13\uff10-01-05", "2030-01-05 "])
def test_a_date_is_written_as_the_schema_says(api, commitment, coordinator, meeting, day):
    """ "2030-W01-1" was saved as 4 January 2030, "2030-1-5" and other scripts' digits as 5 January: the schema says
    a date (YYYY-MM-DD), and the refusal says so too."""
    api.force_authenticate(coordinator)
    saved = commitment.follow_up_date
    response = api.patch(f"/api/v1/commitments/{commitment.pk}/", {"follow_up_date": day}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 400 and list(response.json()) == ["follow_up_date"], response.content
    assert "YYYY-MM-DD" in response.json()["follow_up_date"][0]
    response = api.patch(f"/api/v1/meetings/{meeting.pk}/", {"start_date": day, "end_date": day})
    assert response.status_code == 400 and set(response.json()) == {"start_date", "end_date"}, response.content
    commitment.refresh_from_db()
    assert (commitment.follow_up_date, commitment.version) == (saved, 1)


def test_an_id_in_an_api_address_is_digits(api, commitment, coordinator):
    """/api/v1/commitments/+2/ and /٢/ were commitment 2, as int() reads them; the docs say an id that is not a number
    is a 404."""
    api.force_authenticate(coordinator)
    assert api.get(f"/api/v1/commitments/{commitment.pk}/").status_code == 200
    for written in (
        f"+{commitment.pk}",
        f" {commitment.pk}",
        "".join(chr(0x0660 + int(d)) for d in str(commitment.pk)),
        f"{commitment.pk}%0A",  # a newline, which the API's catch-all for what names nothing did not match
        f"%0A{commitment.pk}",
    ):
        response = api.get(f"/api/v1/commitments/{written}/")
        assert response.status_code == 404 and response["Content-Type"] == "application/json", written
        progress = api.post(f"/api/v1/commitments/{written}/progress-updates/", {"text": "Held."})
        assert progress.status_code == 404, written
    assert not commitment.progress_updates.exists()


@pytest.mark.parametrize("grants", ['{"GRANTEE": null}', "{}", '"GRANTEE"', "GRANTEE"])
def test_grants_are_a_list_of_ids_not_an_object_whose_keys_would_be_granted(
    api, commitment, coordinator, granted, grants
):
    """{"4": null} granted user 4 access to a restricted commitment; {} revoked every grant."""
    commitment.restricted = True
    commitment.save_versioned(commitment.version, user=coordinator)
    api.force_authenticate(coordinator)
    body = '{"access_granted_to": G}'.replace("G", grants.replace("GRANTEE", str(granted.pk)))
    url = f"/api/v1/commitments/{commitment.pk}/"
    response = api.generic("PATCH", url, body, content_type="application/json", HTTP_IF_MATCH=f'"{commitment.version}"')
    assert response.status_code == 400 and list(response.json()) == ["access_granted_to"]
    assert list(commitment.access_granted_to.all()) == []


@pytest.mark.parametrize(("written", "taken"), [("ID", True), (" ID ", False), ("+ID", False), ("0_ID", False)])
def test_an_upload_names_what_it_is_attached_to_in_digits(api, commitment, coordinator, written, taken):
    """A form-encoded id is text: digits are read, and nothing else that int() would read (" 2 ", "+2", "0_2"); an
    empty one is none (form encoding has no null)."""
    api.force_authenticate(coordinator)
    upload = SimpleUploadedFile("note.txt", b"Held.\n", content_type="text/plain")
    body = {
        "commitment": written.replace("ID", str(commitment.pk)),
        "meeting": "",
        "progress_update": "",
        "file": upload,
    }
    response = api.post("/api/v1/attachments/", body, format="multipart")
    assert response.status_code == (201 if taken else 400), response.content
    assert commitment.attachments.exists() == taken


def test_a_handover_of_no_commitment_says_so_in_words(api, commitment, coordinator, group, member):
    api.force_authenticate(coordinator)
    body = {"group": group.pk, "officer": commitment.owner_id, "successor": member.pk, "commitments": []}
    response = api.post("/api/v1/handovers/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "commitments": ["Name at least one commitment, or leave commitments out to hand over all."]
    }


def test_a_new_commitment_is_refused_a_reason_for_moving_its_date(api, commitment, coordinator, meeting):
    """A reason sent with a new commitment's date was dropped in silence: there is no date to move yet."""
    api.force_authenticate(coordinator)
    body = {"meeting": meeting.pk, "title": "New one", "category": commitment.category_id}
    body |= {"follow_up_date": "2030-03-01", "follow_up_reason": "Why"}
    response = api.post("/api/v1/commitments/", body)
    assert response.status_code == 400
    assert list(response.json()) == ["follow_up_reason"]
    assert not Commitment.objects.filter(title="New one").exists()


def test_access_is_refused_to_an_outsider_without_naming_them(api, commitment, coordinator, outsider):
    """The refusal named whoever an id was: a coordinator could learn the names of another group's people."""
    outsider.first_name, outsider.last_name = "Kavita", "Rao"
    outsider.save()
    api.force_authenticate(coordinator)
    body = {"restricted": True, "access_granted_to": [outsider.pk]}
    response = api.patch(f"/api/v1/commitments/{commitment.pk}/", body, HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    [message] = response.json()["access_granted_to"]
    assert outsider.last_name not in message and outsider.username not in message
    assert f"id {outsider.pk}" in message


def test_a_reason_without_a_new_date_is_refused(api, commitment, owner):
    api.force_authenticate(owner)
    url = f"/api/v1/commitments/{commitment.pk}/"
    response = api.patch(url, {"status": "in_progress", "follow_up_reason": "Because."}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 400 and "follow_up_reason" in response.json()


def test_if_match_and_version_that_disagree_are_refused(api, commitment, coordinator):
    api.force_authenticate(coordinator)
    url = f"/api/v1/commitments/{commitment.pk}/"
    response = api.patch(url, {"lead_agency": "NIA", "version": 7}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 400 and "version" in response.json()


@pytest.mark.parametrize(("if_match", "status"), [('W/"1"', 412), ('"7", "1"', 200), ('"7", W/"1"', 412)])
def test_if_match_compares_strongly_and_takes_a_list(api, commitment, coordinator, if_match, status):
    api.force_authenticate(coordinator)
    response = api.patch(f"/api/v1/commitments/{commitment.pk}/", {"lead_agency": "NIA"}, HTTP_IF_MATCH=if_match)
    assert response.status_code == status


@pytest.mark.parametrize("if_match", ["1", '"1', "W/1", '"1" "2"', "version 1", ",", "1" * 5000])
def test_an_if_match_that_is_no_etag_is_refused_as_such(api, commitment, coordinator, if_match):
    """Not an ETag ("1" without its quotes, …): a 400 that says how to write it, not a 412 that says someone saved."""
    api.force_authenticate(coordinator)
    response = api.patch(f"/api/v1/commitments/{commitment.pk}/", {"lead_agency": "NIA"}, HTTP_IF_MATCH=if_match)
    assert response.status_code == 400
    assert response.json() == {"If-Match": ['Name the version as its ETag gives it, in quotes: If-Match: "1".']}
    commitment.refresh_from_db()
    assert (commitment.lead_agency, commitment.version) != ("NIA", 2)


SAVED_SINCE_1 = "This commitment was saved again since version 1 (by someone else, or in another edit of yours)"
NAMES_NONE = 'Your If-Match names none of its versions (each is its number in quotes, "2"; a weak ETag never matches)'


@pytest.mark.parametrize(
    ("if_match", "body", "said"),
    [
        ('"1"', {}, SAVED_SINCE_1),
        ('"9"', {}, "This commitment has had no version 9"),
        ('"1", "9"', {}, SAVED_SINCE_1),
        ('"2",', {"lead_agency": "MHA"}, None),  # an empty element of a list is allowed: matched, nothing to save
        ('W/"2"', {}, NAMES_NONE),
        ('"02"', {}, NAMES_NONE),  # compared strongly: "02" is not "2"
        ('"0"', {}, NAMES_NONE),
        ('"abc"', {}, NAMES_NONE),
        (f'"{"2" * 5000}"', {}, NAMES_NONE),
        (None, {"version": 10**15}, f"This commitment has had no version {10**15}"),
    ],
)
def test_a_refused_version_is_said_as_it_is(api, commitment, coordinator, if_match, body, said):
    api.force_authenticate(coordinator)
    url = f"/api/v1/commitments/{commitment.pk}/"
    assert api.patch(url, {"lead_agency": "MHA"}, HTTP_IF_MATCH='"1"').status_code == 200
    headers = {"HTTP_IF_MATCH": if_match} if if_match else {}
    response = api.patch(url, {"lead_agency": "NIA", **body}, format="json", **headers)
    if said is None:
        assert response.status_code == 200
        return
    assert response.status_code == 412
    assert response.json()["detail"].startswith(f"{said}: it is at version 2."), response.json()["detail"]
    assert response.json()["current"]["lead_agency"] == "MHA"


@pytest.mark.parametrize("version", ["1" * 5000, "0", "-1", "1.0", True])
def test_a_version_field_that_is_no_version_is_refused_as_such(api, commitment, coordinator, version):
    api.force_authenticate(coordinator)
    response = api.patch(
        f"/api/v1/commitments/{commitment.pk}/", {"lead_agency": "NIA", "version": version}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"version": ["A whole number from 1: the version your edit is based on."]}


def test_bad_input_is_refused_as_such_before_the_missing_version(api, commitment, coordinator):
    api.force_authenticate(coordinator)
    response = api.patch(f"/api/v1/commitments/{commitment.pk}/", {"status": "bogus"})
    assert response.status_code == 400 and "status" in response.json()


def test_a_new_commitment_comes_with_its_etag(api, commitment, coordinator, meeting):
    api.force_authenticate(coordinator)
    created = api.post(
        "/api/v1/commitments/", {"meeting": meeting.pk, "title": "New one", "category": commitment.category_id}
    )
    assert created.status_code == 201
    assert created["ETag"] == '"1"'


def test_an_owner_puts_back_the_commitment_as_read(api, commitment, owner):
    api.force_authenticate(owner)
    url = f"/api/v1/commitments/{commitment.pk}/"
    read = api.get(url)
    body = {name: value for name, value in read.json().items() if name not in ("follow_up_reason",)}
    response = api.put(url, {**body, "status": "in_progress"}, HTTP_IF_MATCH=read["ETag"])
    assert response.status_code == 200, response.json()


def test_a_superuser_has_a_role_in_every_group_in_me_too(api, superuser, group, other_group):
    api.force_authenticate(superuser)
    assert api.get("/api/v1/me/").json()["roles"] == {str(group.pk): "superuser", str(other_group.pk): "superuser"}


def test_unknown_query_parameters_are_refused_and_repeated_orderings_applied(api, owner, meeting):
    CommitmentFactory(meeting=meeting, owner=owner, title="B", status="open")
    CommitmentFactory(meeting=meeting, owner=owner, title="A", status="open")
    CommitmentFactory(meeting=meeting, owner=owner, title="C", status="done")
    api.force_authenticate(owner)
    refused = api.get("/api/v1/commitments/?stauts=open")
    assert refused.status_code == 400 and refused.json() == {"stauts": ["Unknown query parameter."]}
    repeated = api.get("/api/v1/commitments/?ordering=-status&ordering=title").json()["results"]
    joined = api.get("/api/v1/commitments/?ordering=-status,title").json()["results"]
    assert [r["title"] for r in repeated] == [r["title"] for r in joined] == ["A", "B", "C"]


def list_paths() -> list[str]:
    """The API's addresses that answer a list (an array, or a page of one), from its schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    lists = []
    for path, operations in schema["paths"].items():
        answer = operations.get("get", {}).get("responses", {}).get("200", {})
        body = answer.get("content", {}).get("application/json", {}).get("schema", {})
        if body.get("type") == "array" or body.get("$ref", "").split("/")[-1].startswith("Paginated"):
            lists.append(path)
    return lists


def test_every_list_refuses_a_query_parameter_it_does_not_know(api, owner, commitment):
    """A typo such as ?stauts=open would otherwise answer every row as if filtered: the lists of the schema, the
    journal of a commitment among them."""
    api.force_authenticate(owner)
    paths = list_paths()
    assert "/api/v1/commitments/{id}/progress-updates/" in paths and len(paths) >= 6
    for path in paths:
        refused = api.get(path.replace("{id}", str(commitment.pk)) + "?stauts=open")
        assert refused.status_code == 400 and refused.json() == {"stauts": ["Unknown query parameter."]}, path


def test_a_list_with_no_filter_asked_builds_no_filter_form(api, owner, meeting, monkeypatch):
    """Nothing to validate: the rows in the default order (follow-up date, undated last), the form not built. A
    filter sent empty is as if not sent; a bad ordering is refused as before."""
    for title, follow_up in (("Later", 40), ("Undated", None), ("Sooner", 10)):
        days = None if follow_up is None else datetime.timedelta(days=follow_up)
        CommitmentFactory(
            meeting=meeting, owner=owner, title=title, follow_up_date=days and timezone.localdate() + days
        )
    api.force_authenticate(owner)
    expected = ["Sooner", "Later", "Undated"]
    with monkeypatch.context() as patched:
        patched.setattr(FilterForm, "__init__", lambda *args, **kwargs: pytest.fail("the filter form was built"))
        for query in ("", "?page=1&page_size=10", "?status=&q="):
            assert [r["title"] for r in api.get(f"/api/v1/commitments/{query}").json()["results"]] == expected
    assert api.get("/api/v1/commitments/?ordering=bogus").status_code == 400
    assert [r["title"] for r in api.get("/api/v1/commitments/?status=open").json()["results"]] == expected


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/commitments/0.5/"),
        ("get", "/api/v1/commitments//"),
        ("patch", "/api/v1/commitments/1"),
        ("post", "/api/v1/nothing/"),
    ],
)
def test_an_api_address_that_does_not_exist_is_a_json_404(api, commitment, coordinator, method, path):
    api.force_authenticate(coordinator)
    response = getattr(api, method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_json_is_read_as_utf8_whatever_charset_it_is_labelled_with(api, commitment, coordinator):
    api.force_authenticate(coordinator)
    body = '{"lead_agency": "Agencé"}'.encode()
    response = api.generic(
        "PATCH",
        f"/api/v1/commitments/{commitment.pk}/",
        body,
        content_type="application/json; charset=latin-1",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200
    commitment.refresh_from_db()
    assert commitment.lead_agency == "Agencé"


def test_the_schema_documents_the_answers_of_the_transport_too(api, coordinator):
    api.force_authenticate(coordinator)
    schema = api.get("/api/schema/?format=json").json()
    downloads = [("get", "/api/v1/attachments/{id}/download/")]  # bytes, whatever the Accept header says
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert ("406" in operation["responses"]) == ((method, path) not in downloads), (method, path)
            if "requestBody" in operation:
                assert {"411", "413", "415"} <= set(operation["responses"]), (method, path)
    create = schema["paths"]["/api/v1/commitments/"]["post"]["responses"]["201"]
    assert "ETag" in create["headers"]
    for name, component in schema["components"]["schemas"].items():
        if name.endswith("Request"):
            assert component.get("additionalProperties") is False, name


def test_a_download_answers_the_file_whatever_the_accept_header_says(api, commitment, owner):
    checked = attachments.check(SimpleUploadedFile("notes.txt", b"Notes\n"))
    [attachment] = attachments.attach(commitment, [checked], user=owner)
    api.force_authenticate(owner)
    for accept in ["application/json", "text/html", "application/octet-stream", "*/*"]:
        response = api.get(f"/api/v1/attachments/{attachment.pk}/download/", HTTP_ACCEPT=accept)
        assert response.status_code == 200, accept
        assert (response["Content-Type"], b"".join(response.streaming_content)) == ("text/plain", b"Notes\n")
    schema = api.get("/api/schema/?format=json").json()["paths"]["/api/v1/attachments/{id}/download/"]["get"]
    assert {"application/pdf", "text/plain", "application/octet-stream"} <= set(schema["responses"]["200"]["content"])
    assert "Content-Disposition" in schema["responses"]["200"]["headers"]


def test_a_meeting_edit_naming_a_version_is_not_met_rather_than_ignored(api, meeting, coordinator):
    api.force_authenticate(coordinator)
    url = f"/api/v1/meetings/{meeting.pk}/"
    refused = api.patch(url, {"city": "Mumbai"}, HTTP_IF_MATCH='"1"')
    assert refused.status_code == 412
    meeting.refresh_from_db()
    assert meeting.city != "Mumbai"
    assert api.patch(url, {"city": "Mumbai"}, HTTP_IF_MATCH="*").status_code == 200
    assert api.patch(url, {"city": "Pune"}).status_code == 200


@pytest.mark.parametrize("method", ["post", "patch", "put", "delete"])
def test_a_write_to_an_api_address_that_does_not_exist_is_a_json_404_for_a_token_too(commitment, coordinator, method):
    api = APIClient(enforce_csrf_checks=True)
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(coordinator)}")
    response = getattr(api, method)(f"/api/v1/commitments/{commitment.pk}", {}, format="json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_a_head_request_changes_nothing_and_is_answered_as_a_get(coordinator, commitment):
    """HEAD is a GET without its body, at every address of the schema that takes a POST: never the POST of an
    address that takes both (a session's HEAD is not checked for a CSRF token, as it changes nothing)."""
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(coordinator)
    schema = SchemaGenerator().get_schema(request=None, public=True)
    posted = [path for path, operations in schema["paths"].items() if "post" in operations]
    assert "/api/v1/commitments/{id}/progress-updates/" in posted and len(posted) >= 4
    tables = connection.introspection.table_names()
    models = [model for model in apps.get_models() if model._meta.db_table in tables]  # search_word: PostgreSQL's
    rows = {model: model._default_manager.count() for model in models}
    for path in posted:
        address = path.replace("{id}", str(commitment.pk))
        body = json.dumps({"text": "Posted by a HEAD request"})
        response = api.generic("HEAD", address, body, content_type="application/json")
        assert response.status_code in (200, 405), (path, response.status_code)
        if "get" in schema["paths"][path]:
            assert response.status_code == 200 and response["Content-Type"] == api.get(address)["Content-Type"], path
    assert {model: model._default_manager.count() for model in models} == rows


def test_a_list_not_in_pages_refuses_paging_parameters(api, owner, commitment):
    """The journal comes whole: ?page= and ?page_size= would say otherwise, so they are refused as unknown."""
    api.force_authenticate(owner)
    address = f"/api/v1/commitments/{commitment.pk}/progress-updates/"
    for query in ("page=2", "page=abc", "page_size=5"):
        name = query.split("=")[0]
        refused = api.get(f"{address}?{query}")
        assert refused.status_code == 400 and refused.json() == {name: ["Unknown query parameter."]}, query
