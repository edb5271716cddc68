"""A follow-up date in the past is a typo, not a deadline; an owner who moves theirs says why."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from commitments.models import Commitment, ProgressUpdate, Reminder
from commitments.reminders import delivery, planning
from tests.factories import CommitmentFactory, api_token, commitment_form_data, new_commitment_data

TODAY = datetime.date(2026, 11, 30)
PAST = "in the past"


@pytest.fixture(autouse=True)
def _today():
    moment = datetime.datetime(2026, 11, 30, 9, 30, tzinfo=timezone.get_current_timezone())
    with time_machine.travel(moment, tick=False):
        yield


def test_a_new_commitment_with_a_follow_up_date_in_the_past_is_refused(login, meeting, coordinator, owner):
    response = login(coordinator).post(
        reverse("commitments:create"), new_commitment_data(meeting, owner, follow_up_date="2020-01-01")
    )
    assert response.status_code == 422
    (error,) = response.context["form"].errors["follow_up_date"]
    assert error == "1 January 2020 is in the past: enter today or a later date."
    assert not Commitment.objects.exists()


def test_today_is_a_valid_follow_up_date(login, meeting, coordinator, owner):
    response = login(coordinator).post(
        reverse("commitments:create"), new_commitment_data(meeting, owner, follow_up_date=TODAY.isoformat())
    )
    assert response.status_code == 302


def test_moving_a_date_into_the_past_is_refused(login, commitment, coordinator):
    data = commitment_form_data(commitment, follow_up_date="2026-11-29")
    response = login(coordinator).post(reverse("commitments:edit", args=[commitment.pk]), data)
    assert response.status_code == 422
    assert PAST in response.context["form"].errors["follow_up_date"][0]
    commitment.refresh_from_db()
    assert commitment.follow_up_date == datetime.date(2026, 12, 15)


def test_an_overdue_commitment_is_still_edited_and_closed_with_its_date_unchanged(login, meeting, coordinator, owner):
    overdue = CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=datetime.date(2026, 10, 1))
    data = commitment_form_data(overdue, lead_agency="Intelligence Bureau")
    assert login(coordinator).post(reverse("commitments:edit", args=[overdue.pk]), data).status_code == 302
    overdue.refresh_from_db()
    closing = {"status": "done", "follow_up_date": "2026-10-01", "expected_version": overdue.version}
    assert login(owner).post(reverse("commitments:edit", args=[overdue.pk]), closing).status_code == 302
    overdue.refresh_from_db()
    assert overdue.status == Commitment.Status.DONE


def test_the_api_refuses_a_past_follow_up_date_too(client, meeting, coordinator, owner):
    data = {
        "meeting": meeting.pk,
        "title": "Joint research on radicalization",
        "category": 3,
        "owner": owner.pk,
        "follow_up_date": "2020-01-01",
    }
    response = client.post(
        reverse("api:commitment-list"),
        data,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {api_token(coordinator)}",
    )
    assert response.status_code == 400
    assert PAST in response.json()["follow_up_date"][0]
    assert not Commitment.objects.exists()


def owner_move(client, commitment, **changes):
    data = {
        "status": commitment.status,
        "follow_up_date": "2027-01-15",
        "expected_version": commitment.version,
        **changes,
    }
    return client.post(reverse("commitments:edit", args=[commitment.pk]), data)


def test_an_owner_who_moves_the_date_is_asked_why(login, commitment, owner):
    response = owner_move(login(owner), commitment)
    assert response.status_code == 422
    assert response.context["form"].errors["reason"] == ["Say in a few words why the date moves."]
    commitment.refresh_from_db()
    assert commitment.follow_up_date == datetime.date(2026, 12, 15)
    assert not ProgressUpdate.objects.exists()


def test_the_reason_is_recorded_in_the_journal(login, commitment, owner):
    client = login(owner)
    response = owner_move(client, commitment, reason="The partner asked for the meeting in January.")
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.follow_up_date == datetime.date(2027, 1, 15)
    (entry,) = ProgressUpdate.objects.filter(commitment=commitment)
    assert (entry.author, entry.moved_from, entry.moved_to) == (
        owner,
        datetime.date(2026, 12, 15),
        datetime.date(2027, 1, 15),
    )
    assert entry.text == "The partner asked for the meeting in January."
    page = client.get(commitment.get_absolute_url()).content.decode()
    assert "Follow-up date moved from 15 December 2026 to 15 January 2027" in page


def test_an_owner_changing_only_the_status_gives_no_reason(login, commitment, owner):
    response = owner_move(login(owner), commitment, status="in_progress", follow_up_date="2026-12-15")
    assert response.status_code == 302
    assert not ProgressUpdate.objects.exists()


def test_an_owner_setting_a_first_date_gives_no_reason(login, meeting, owner):
    undated = CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=None)
    assert owner_move(login(owner), undated).status_code == 302


def test_the_coordinators_next_summary_shows_the_move(login, tenth, commitment, owner, coordinator, smtp_server):
    owner_move(login(owner), commitment, reason="The partner asked for the meeting in January.")
    day = tenth.start_date - datetime.timedelta(days=7)
    moment = datetime.datetime(day.year, day.month, day.day, 9, 30, tzinfo=timezone.get_current_timezone())
    with time_machine.travel(moment, tick=False):
        planning.plan(day)
        delivery.send_due(timezone.now())
    assert Reminder.objects.filter(reason=Reminder.Reason.SESSION_SUMMARY, recipient=coordinator).exists()
    (message,) = [m for m in smtp_server.messages if m["To"].addresses[0].username == "coordinator"]
    text = " ".join(message.get_body(("plain",)).get_content().split())  # its lines as a reader joins them
    assert "Follow-up dates moved by their owners (1)" in text
    assert "15 December 2026 → 15 January 2027" in text
    assert "The partner asked for the meeting in January." in text
    html = message.get_body(("html",)).get_content()
    assert "15 December 2026 → 15 January 2027" in html


def test_the_api_refuses_moving_a_date_into_the_past_and_keeps_a_past_one(client, meeting, coordinator, owner):
    overdue = CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=datetime.date(2026, 10, 1))
    url = reverse("api:commitment-detail", args=[overdue.pk])
    auth = {"HTTP_AUTHORIZATION": f"Token {api_token(coordinator)}", "content_type": "application/json"}
    moved = client.patch(url, {"follow_up_date": "2026-10-02", "version": 1}, **auth)
    assert moved.status_code == 400
    assert PAST in moved.json()["follow_up_date"][0]
    kept = client.patch(url, {"follow_up_date": "2026-10-01", "lead_agency": "IB", "version": 1}, **auth)
    assert kept.status_code == 200


def test_a_colleagues_new_date_on_an_overdue_commitment_is_a_conflict_not_a_past_date(
    login, meeting, coordinator, owner
):
    overdue = CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=datetime.date(2026, 11, 26))
    opened = {"status": "in_progress", "follow_up_date": "2026-11-26", "expected_version": 1}
    overdue.follow_up_date = datetime.date(2027, 1, 10)
    overdue.save_versioned(1, user=coordinator)

    refused = owner_move(login(owner), overdue, **opened)
    assert refused.status_code == 422
    form = refused.context["form"]
    assert "saved this commitment" in form.non_field_errors()[0]
    assert "follow_up_date" not in form.errors
    assert form.data["follow_up_date"] == "2027-01-10"  # the colleague's date, which the owner did not touch
    assert owner_move(login(owner), overdue, **form.data.dict()).status_code == 302
    overdue.refresh_from_db()
    assert (overdue.status, overdue.follow_up_date) == ("in_progress", datetime.date(2027, 1, 10))


def test_a_date_move_is_not_progress(login, meeting, commitment, owner):
    from commitments.brief import brief_lines, build_brief
    from tests.factories import MeetingFactory

    owner_move(login(owner), commitment, reason="Waiting for the FIU's reply.")
    tenth = MeetingFactory(group=meeting.group, number=10, status="planned", start_date=None, end_date=None)
    (line,) = brief_lines(build_brief(tenth))
    assert line["latest_update"] == ""
    assert "no update since the previous meeting" in line["changes"]
    dashboard = login(owner).get(reverse("dashboard")).content.decode()
    assert "Follow-up date moved from 15 December 2026 to 15 January 2027" in dashboard


def test_an_owner_moving_the_date_through_the_api_says_why(client, commitment, owner):
    url = reverse("api:commitment-detail", args=[commitment.pk])
    auth = {"HTTP_AUTHORIZATION": f"Token {api_token(owner)}", "content_type": "application/json"}
    silent = client.patch(url, {"follow_up_date": "2027-01-15", "version": 1}, **auth)
    assert silent.status_code == 400
    assert silent.json() == {"follow_up_reason": ["Say in a few words why the date moves."]}
    moved = client.patch(
        url, {"follow_up_date": "2027-01-15", "follow_up_reason": "The partner asked.", "version": 1}, **auth
    )
    assert moved.status_code == 200
    assert "follow_up_reason" not in moved.json()
    journal = client.get(reverse("api:commitment-progress-updates", args=[commitment.pk]), **auth).json()
    assert [(e["text"], e["moved_from"], e["moved_to"]) for e in journal] == [
        ("The partner asked.", "2026-12-15", "2027-01-15")
    ]
    (entry,) = ProgressUpdate.objects.filter(commitment=commitment)
    assert (entry.text, entry.moved_from, entry.moved_to) == (
        "The partner asked.",
        datetime.date(2026, 12, 15),
        datetime.date(2027, 1, 15),
    )
