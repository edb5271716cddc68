"""The admin panel: complete data entry for coordinators, scoped to their working groups."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from commitments.brief import build_brief
from commitments.models import BriefSnapshot, CalendarFeed, Commitment, NotificationPreference, ProgressUpdate
from meetings.models import Meeting, WorkingGroup
from tests.factories import CommitmentFactory, MeetingFactory, WorkingGroupFactory, api_token, commitment_form_data


@pytest.fixture
def demo(db):
    call_command("seed_demo", password="demo-password-for-tests", stdout=open("/dev/null", "w"))  # noqa: SIM115
    Group.objects.create(name="Desk officers")
    users = {user.username: user for user in get_user_model().objects.all()}
    api_token(users["owner"])
    browser = Client()  # a failed and a good login, for the login records (django-axes)
    browser.post(reverse("login"), {"username": "member", "password": "wrong"})
    browser.post(reverse("login"), {"username": "owner", "password": "demo-password-for-tests"})
    CalendarFeed.objects.create(user=users["owner"])
    TOTPDevice.objects.create(user=users["member"], name="Authenticator app", confirmed=False)
    NotificationPreference.objects.create(user=users["owner"], overdue=False)
    tenth = Meeting.objects.get(number=10, group__slug="india-uzbekistan-jwg-ct")
    BriefSnapshot.objects.create(meeting=tenth, data=build_brief(tenth), frozen_by=users["coordinator"])
    handed = Commitment.objects.filter(owner=users["owner"]).open().first()  # reminders in the outbox: its notices
    handed.owner = users["owner2"]
    handed.save_versioned(handed.version, user=users["coordinator"])
    return users


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_admin_page_answers_for_the_superuser(demo, client):
    """Enumerates the registry, so that a newly registered model cannot escape."""
    client.force_login(demo["admin"])
    checked, failures = 0, []
    for model, model_admin in admin.site._registry.items():
        instance = model._default_manager.order_by("pk").first()
        assert instance is not None, f"the demo data has no {model.__name__}: add one to this test"
        urls = [
            admin_url(model, "changelist"),
            admin_url(model, "changelist") + "?q=Tashkent",
            admin_url(model, "change", instance.pk),
        ]
        if model_admin.has_add_permission(type("Request", (), {"user": demo["admin"]})()):
            urls.append(admin_url(model, "add"))
        if hasattr(model_admin, "history_view"):
            urls.append(admin_url(model, "history", instance.pk))
        for url in urls:
            checked += 1
            status = client.get(url).status_code
            if status != 200:
                failures.append((url, status))
    assert failures == []
    assert checked >= 40


def test_each_group_lists_its_next_home_hosted_session(demo, client):
    client.force_login(demo["admin"])
    response = client.get(admin_url(WorkingGroup, "changelist"))
    assert "10th meeting, India, date to be agreed" in response.content.decode()


def test_a_commitment_without_an_owner_is_flagged(demo, client):
    client.force_login(demo["coordinator"])
    response = client.get(admin_url(Commitment, "changelist") + "?has_owner=no")
    content = response.content.decode()
    assert "⚠ No owner" in content
    assert "Exchange best practices in countering radicalization" in content
    assert "Share intelligence on terrorist groups" not in content


# --- Scope -------------------------------------------------------------------------------


def test_a_coordinator_sees_only_their_groups_commitments(demo, client):
    client.force_login(demo["coordinator"])
    content = client.get(admin_url(Commitment, "changelist")).content.decode()
    assert "Share intelligence on terrorist groups and their movements" in content
    assert "cyber incidents" not in content


def test_a_coordinator_cannot_open_another_groups_commitment(demo, client):
    other = Commitment.objects.get(title__contains="cyber incidents")
    client.force_login(demo["coordinator"])
    response = client.get(admin_url(Commitment, "change", other.pk))
    assert response.status_code == 302
    assert response.url == reverse("admin:index")


def test_a_coordinator_cannot_file_a_commitment_under_another_groups_meeting(demo, client):
    other_meeting = Meeting.objects.get(group__slug="demo-jwg-cyber")
    client.force_login(demo["coordinator"])
    before = Commitment.objects.count()
    response = client.post(
        admin_url(Commitment, "add"),
        {
            "meeting": other_meeting.pk,
            "title": "Smuggled",
            "category": 1,
            "responsible_side": "home",
            "status": "open",
            "priority": 2,
            **empty_inline("progress_updates"),
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Commitment.objects.count() == before


def test_only_superusers_create_working_groups(demo, client):
    client.force_login(demo["coordinator"])
    assert client.get(admin_url(WorkingGroup, "add")).status_code == 403
    client.force_login(demo["admin"])
    assert client.get(admin_url(WorkingGroup, "add")).status_code == 200


@pytest.mark.parametrize("username", ["owner", "member"])
def test_staff_who_are_not_coordinators_do_not_get_the_admin(demo, client, username):
    client.force_login(demo[username])
    response = client.get(admin_url(Commitment, "changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_a_coordinator_of_another_group_sees_none_of_ours(demo, client):
    user = demo["outsider"]
    user.is_staff = True
    user.save()
    other_group = WorkingGroup.objects.get(slug="demo-jwg-cyber")
    membership = other_group.memberships.get(user=user)
    membership.role = "coordinator"
    membership.save()
    client.force_login(user)
    content = client.get(admin_url(Commitment, "changelist")).content.decode()
    assert "cyber incidents" in content
    assert "Tashkent" not in content and "Share intelligence on terrorist groups" not in content


# --- Actions and edits --------------------------------------------------------------------


def test_the_mark_done_action_goes_through_the_model(demo, client):
    coordinator = demo["coordinator"]
    targets = Commitment.objects.filter(meeting__number=9, status="open")[:2]
    client.force_login(coordinator)
    response = client.post(
        admin_url(Commitment, "changelist"),
        {
            "action": "mark_done",
            "_selected_action": [c.pk for c in targets],
        },
        follow=True,
    )
    assert "2 commitment(s) marked done." in response.content.decode()
    for commitment in targets:
        commitment.refresh_from_db()
        assert commitment.status == Commitment.Status.DONE
        assert commitment.closed_at is not None
        assert commitment.history.first().history_user == coordinator


def test_the_mark_in_progress_action_counts_only_real_changes(demo, client):
    already = Commitment.objects.filter(status="in_progress").first()
    opened = Commitment.objects.filter(meeting__number=9, status="open").first()
    client.force_login(demo["coordinator"])
    response = client.post(
        admin_url(Commitment, "changelist"),
        {
            "action": "mark_in_progress",
            "_selected_action": [already.pk, opened.pk],
        },
        follow=True,
    )
    assert "1 commitment(s) marked in progress." in response.content.decode()
    opened.refresh_from_db()
    assert opened.status == Commitment.Status.IN_PROGRESS


def empty_inline(prefix: str) -> dict:
    return {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}


def change_form_data(commitment: Commitment, **changes) -> dict:
    return commitment_form_data(commitment, **{**empty_inline("progress_updates"), **changes})


def test_an_admin_edit_records_the_acting_user(demo, client):
    commitment = Commitment.objects.get(title__startswith="Launch joint research")
    client.force_login(demo["coordinator"])
    response = client.post(
        admin_url(Commitment, "change", commitment.pk),
        change_form_data(commitment, lead_agency="Indian Council of World Affairs"),
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.lead_agency == "Indian Council of World Affairs"
    assert commitment.version == 2
    assert commitment.history.first().history_user == demo["coordinator"]


def test_the_admin_refuses_a_stale_edit_and_keeps_the_input(demo, client):
    commitment = Commitment.objects.get(title__startswith="Launch joint research")
    opened = change_form_data(commitment, lead_agency="Indian Council of World Affairs")
    commitment.change_status(Commitment.Status.IN_PROGRESS, user=demo["owner"])  # someone else saves meanwhile

    client.force_login(demo["coordinator"])
    response = client.post(admin_url(Commitment, "change", commitment.pk), opened)
    content = response.content.decode()
    assert response.status_code == 200
    assert f"{demo['owner'].get_full_name()} saved this commitment at " in content
    assert "after you opened it" in content
    assert "Indian Council of World Affairs" in content  # the user's input is still in the form
    commitment.refresh_from_db()
    assert commitment.lead_agency != "Indian Council of World Affairs"
    assert commitment.status == Commitment.Status.IN_PROGRESS


def test_a_progress_update_posted_inline_applies_its_status(demo, client):
    commitment = Commitment.objects.get(title__startswith="Launch joint research")
    data = change_form_data(
        commitment,
        **{
            "progress_updates-TOTAL_FORMS": 1,
            "progress_updates-0-text": "Terms of reference agreed with the partner institute.",
            "progress_updates-0-new_status": "in_progress",
            "progress_updates-0-source": "Note verbale of 3 November 2025",
        },
    )
    client.force_login(demo["coordinator"])
    response = client.post(admin_url(Commitment, "change", commitment.pk), data)
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.status == Commitment.Status.IN_PROGRESS
    update = commitment.progress_updates.get()
    assert update.author == demo["coordinator"]
    assert update.source == "Note verbale of 3 November 2025"


def test_a_progress_update_added_in_its_own_admin_page_applies_its_status(demo, client):
    commitment = Commitment.objects.get(title__startswith="Launch joint research")
    client.force_login(demo["coordinator"])
    response = client.post(
        admin_url(ProgressUpdate, "add"),
        {
            "commitment": commitment.pk,
            "text": "Completed.",
            "new_status": "done",
            "source": "",
        },
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.status == Commitment.Status.DONE
    assert commitment.progress_updates.get().author == demo["coordinator"]


def test_a_meeting_that_ends_before_it_starts_is_refused_in_the_admin(demo, client):
    group = WorkingGroup.objects.get(slug="india-uzbekistan-jwg-ct")
    client.force_login(demo["coordinator"])
    data = {
        "group": group.pk,
        "number": 11,
        "status": "scheduled",
        "host_country": "IN",
        "city": "New Delhi",
        "start_date": "2027-03-12",
        "end_date": "2027-03-11",
    }
    for prefix in ("participants", "agenda_topics", "commitments"):
        data |= empty_inline(prefix)
    response = client.post(admin_url(Meeting, "add"), data)
    assert response.status_code == 200
    assert "The end date cannot be before the start date." in response.content.decode()
    assert not Meeting.objects.filter(number=11).exists()


# --- Query counts -------------------------------------------------------------------------


def count_queries(client, url: str) -> int:
    client.get(url)  # a session's first request records its start; count a later one
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_commitment_changelist_runs_a_constant_number_of_queries(group, meeting, superuser, client):
    client.force_login(superuser)
    CommitmentFactory(meeting=meeting)
    one = count_queries(client, admin_url(Commitment, "changelist"))
    CommitmentFactory.create_batch(40, meeting=meeting)
    many = count_queries(client, admin_url(Commitment, "changelist"))
    assert one == many


def test_the_working_group_changelist_runs_a_constant_number_of_queries(superuser, client):
    client.force_login(superuser)
    MeetingFactory(group=WorkingGroupFactory(), status="planned", start_date=None, end_date=None)
    one = count_queries(client, admin_url(WorkingGroup, "changelist"))
    for _ in range(15):
        MeetingFactory(group=WorkingGroupFactory(), status="planned", start_date=None, end_date=None)
    many = count_queries(client, admin_url(WorkingGroup, "changelist"))
    assert one == many


def test_the_meeting_changelist_runs_a_constant_number_of_queries(group, superuser, client):
    client.force_login(superuser)
    CommitmentFactory(meeting=MeetingFactory(group=group))
    one = count_queries(client, admin_url(Meeting, "changelist"))
    for _ in range(15):
        CommitmentFactory(meeting=MeetingFactory(group=group))
    many = count_queries(client, admin_url(Meeting, "changelist"))
    assert one == many


def test_the_admin_gives_a_calendar_a_new_address(demo, client):
    feed = CalendarFeed.objects.get(user=demo["owner"])
    old_token = feed.token
    client.force_login(demo["admin"])
    client.post(admin_url(CalendarFeed, "changelist"), {"action": "revoke", "_selected_action": [feed.pk]})
    feed.refresh_from_db()
    assert feed.token != old_token
    assert client.get(f"/calendar/{old_token}.ics").status_code == 404


def test_the_admin_refuses_to_delete_a_user_who_owns_commitments(client, superuser, commitment, owner):
    client.force_login(superuser)
    url = reverse("admin:auth_user_delete", args=[owner.pk])
    page = client.get(url).content.decode()
    assert "would require deleting the following protected related objects" in page
    client.post(url, {"post": "yes"})
    assert get_user_model().objects.filter(pk=owner.pk).exists()
    assert Commitment.objects.get(pk=commitment.pk).owner == owner
