"""Handing an officer's open commitments to a successor in one step: the page, its rules, the journal and
history, and the e-mails (one to each of the two, at a real SMTP server)."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from commitments.models import Commitment, ProgressUpdate, Reminder
from commitments.reminders import delivery
from tests.commitments.conftest import NOW
from tests.factories import CommitmentFactory, group_page_data

QUIET = datetime.timedelta(minutes=10)  # REMINDER_QUIET_PERIOD_SECONDS by default
URL = reverse("commitments:handover")


@pytest.fixture(autouse=True)
def _at_half_past_nine():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def officers_commitments(meeting, owner):
    """Three open commitments of `owner` (one restricted) and one of theirs already done."""
    open_ones = [
        CommitmentFactory(meeting=meeting, owner=owner, title=f"Open commitment {n}", restricted=n == 2)
        for n in range(3)
    ]
    CommitmentFactory(meeting=meeting, owner=owner, title="Done already", status=Commitment.Status.DONE)
    Reminder.objects.all().delete()  # the assignment notices of the set-up: long announced
    return open_ones


def choose(group, officer, successor) -> dict:
    return {"group": group.pk, "officer": officer.pk, "successor": successor.pk}


def test_the_coordinator_sees_the_officers_open_commitments_all_ticked(
    login, group, coordinator, owner, owner2, officers_commitments
):
    response = login(coordinator).get(URL, choose(group, owner, owner2))
    assert response.status_code == 200
    assert list(response.context["commitments"]) == officers_commitments
    content = response.content.decode()
    assert content.count('name="commitments"') == 3 and content.count(" checked>") == 3
    assert "Done already" not in content


def test_handing_over_moves_them_in_one_step_with_history_journal_and_one_email_each(
    login, group, coordinator, owner, owner2, officers_commitments, smtp_server
):
    ticked = officers_commitments[:2]
    response = login(coordinator).post(URL, {**choose(group, owner, owner2), "commitments": [c.pk for c in ticked]})
    assert response.status_code == 302
    assert response.url == reverse("commitments:list") + f"?owner={owner2.pk}"
    for commitment in ticked:
        commitment.refresh_from_db()
        assert commitment.owner == owner2
        assert commitment.history.first().history_user == coordinator
        entry = ProgressUpdate.objects.get(commitment=commitment)
        assert (entry.text, entry.author) == (
            f"Handed over from {owner.get_full_name()} to {owner2.get_full_name()}.",
            coordinator,
        )
        assert (entry.handed_over_from, entry.handed_over_to) == (owner, owner2)
    assert Commitment.objects.get(pk=officers_commitments[2].pk).owner == owner  # not ticked: stays
    assert not ProgressUpdate.objects.progress().exists()  # a handover is not progress: the brief still asks for it

    with time_machine.travel(NOW + QUIET + datetime.timedelta(seconds=1), tick=False):
        delivery.send_due(timezone.now())
    received = sorted(message["To"] for message in smtp_server.messages)
    assert received == sorted([owner.email, owner2.email])  # one each, not one per commitment
    by_person = {message["To"]: message.get_body(("plain",)).get_content() for message in smtp_server.messages}
    assert all(c.title in by_person[owner2.email] for c in ticked)
    assert all(c.title in by_person[owner.email] for c in ticked)
    assert "handed over" in smtp_server.messages[0]["Subject"] + smtp_server.messages[1]["Subject"]


@pytest.mark.parametrize("who", ["owner", "member", "outsider"])
def test_only_coordinators_hand_over(login, request, group, owner, owner2, officers_commitments, who):
    client = login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403
    response = client.post(URL, {**choose(group, owner, owner2), "commitments": [officers_commitments[0].pk]})
    assert response.status_code == 403
    assert Commitment.objects.filter(owner=owner2).count() == 0


def test_a_coordinator_of_another_group_cannot_hand_over_ours(
    login, group, other_coordinator, owner, owner2, officers_commitments
):
    response = login(other_coordinator).post(
        URL, {**choose(group, owner, owner2), "commitments": [c.pk for c in officers_commitments]}
    )
    assert response.status_code == 422
    assert Commitment.objects.filter(owner=owner2).count() == 0


def test_refusals_save_nothing(login, group, coordinator, owner, owner2, outsider, officers_commitments, meeting):
    client = login(coordinator)
    someone_elses = CommitmentFactory(meeting=meeting, owner=owner2)
    cases = [
        ({**choose(group, owner, owner), "commitments": [officers_commitments[0].pk]}, "someone other than"),
        ({**choose(group, owner, outsider), "commitments": [officers_commitments[0].pk]}, "Select a valid choice"),
        ({**choose(group, owner, owner2)}, "at least one"),
        (
            {**choose(group, owner, owner2), "commitments": [officers_commitments[0].pk, someone_elses.pk]},
            f"{someone_elses.reference} is not",
        ),
        ({**choose(group, owner, owner2), "commitments": [officers_commitments[0].pk, "x"]}, "“x” names no commitment"),
    ]
    owner2.is_active = True
    for data, message in cases:
        response = client.post(URL, data)
        assert response.status_code == 422, data
        assert message in response.content.decode(), (data, message)
    assert Commitment.objects.filter(owner=owner).count() == 4
    assert not ProgressUpdate.objects.exists()


def test_a_deactivated_officer_hands_over_but_cannot_take_over(
    login, group, coordinator, owner, owner2, officers_commitments
):
    owner.is_active = False
    owner.save()
    client = login(coordinator)
    ids = [c.pk for c in officers_commitments]
    assert client.post(URL, {**choose(group, owner2, owner), "commitments": ids}).status_code == 422
    assert client.post(URL, {**choose(group, owner, owner2), "commitments": ids}).status_code == 302
    assert Commitment.objects.filter(owner=owner2).count() == 3


# --- The same through the API ------------------------------------------------------------------------------


API = "/api/v1/handovers/"


def test_the_api_hands_over_with_the_same_rules(
    group, coordinator, owner, owner2, officers_commitments, other_coordinator
):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(owner)
    assert api.post(API, choose(group, owner, owner2), format="json").status_code == 403
    api.force_authenticate(other_coordinator)
    assert api.post(API, choose(group, owner, owner2), format="json").status_code == 400  # not their group
    api.force_authenticate(coordinator)
    refused = api.post(API, choose(group, owner, owner), format="json")
    assert refused.status_code == 400 and "successor" in refused.json()
    one = api.post(API, {**choose(group, owner, owner2), "commitments": [officers_commitments[0].pk]}, format="json")
    assert one.status_code == 201
    assert one.json() == {**choose(group, owner, owner2), "commitments": [officers_commitments[0].pk]}
    rest = api.post(API, choose(group, owner, owner2), format="json")  # all the officer's open ones
    assert rest.status_code == 201
    assert rest.json()["commitments"] == sorted(c.pk for c in officers_commitments[1:])
    assert Commitment.objects.open().filter(owner=owner).count() == 0
    assert ProgressUpdate.objects.filter(handed_over_to=owner2).count() == 3
    none_left = api.post(API, choose(group, owner, owner2), format="json")
    assert none_left.status_code == 400 and "commitments" in none_left.json()


# --- Offered in the admin ---------------------------------------------------------------------------------


def test_the_admin_offers_the_handover_on_the_users_page_and_before_removing_a_member(
    login, group, coordinator, superuser, owner, officers_commitments
):
    page = login(superuser).get(reverse("admin:auth_user_change", args=[owner.pk])).content.decode()
    assert f'3 — <a href="{URL}?officer={owner.pk}">hand over open commitments</a>' in page
    offered = login(coordinator).get(f"{URL}?officer={owner.pk}")  # the link opens the page with the officer chosen
    assert offered.status_code == 200
    assert offered.context["form"].initial == {"officer": str(owner.pk), "group": group.pk}
    membership = group.memberships.get(user=owner)
    response = login(coordinator).get(reverse("admin:meetings_membership_delete", args=[membership.pk]), follow=True)
    assert response.status_code == 200
    warning = (
        f'owns 3 open commitments in the {group.short_name}: <a href="{URL}?officer={owner.pk}&amp;group={group.pk}">'
    )
    assert warning in response.content.decode()


# --- As an outside tester found it -----------------------------------------------------------------------


def test_the_commitments_of_someone_removed_from_the_group_can_still_be_handed_over(
    login, group, coordinator, owner, owner2, officers_commitments
):
    group.memberships.filter(user=owner).delete()  # removed, their commitments still theirs
    client = login(coordinator)
    shown = client.get(URL, choose(group, owner, owner2))
    assert shown.status_code == 200 and list(shown.context["commitments"]) == officers_commitments
    ids = [c.pk for c in officers_commitments]
    assert client.post(URL, {**choose(group, owner, owner2), "commitments": ids}).status_code == 302
    assert Commitment.objects.filter(owner=owner2).count() == 3


def test_a_refusal_keeps_the_ticks_and_names_each_commitment_and_why(
    login, group, coordinator, owner, owner2, officers_commitments, meeting
):
    first, second, third = officers_commitments
    third.change_status(Commitment.Status.DONE, user=coordinator)  # closed meanwhile by someone else
    someone_elses = CommitmentFactory(meeting=meeting, owner=owner2)
    response = login(coordinator).post(
        URL, {**choose(group, owner, owner2), "commitments": [first.pk, third.pk, someone_elses.pk]}
    )
    assert response.status_code == 422
    content = response.content.decode()
    assert f"{third.reference} is closed" in content
    assert f"{someone_elses.reference} is not {owner.get_full_name()}" in content
    assert f'value="{first.pk}" id="commitment-{first.pk}" checked' in content
    assert f'value="{second.pk}" id="commitment-{second.pk}">' in content  # left unticked, still unticked
    assert Commitment.objects.filter(owner=owner2).count() == 1  # only someone_elses: nothing moved


@pytest.mark.parametrize("value", ["99999999999999999999999", "-7", "abc", "9223372036854775808"])
def test_an_id_that_is_no_commitment_refuses_the_handover_without_a_crash(
    login, group, coordinator, owner, owner2, officers_commitments, value
):
    response = login(coordinator).post(
        URL, {**choose(group, owner, owner2), "commitments": [officers_commitments[0].pk, value]}
    )
    assert response.status_code == 422
    assert Commitment.objects.filter(owner=owner2).count() == 0


def test_the_api_refuses_an_id_too_large_for_any_commitment(group, coordinator, owner, owner2, officers_commitments):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(coordinator)
    response = api.post(API, {**choose(group, owner, owner2), "commitments": [2**63]}, format="json")
    assert response.status_code == 400 and "commitments" in response.json()


def test_the_admins_link_opens_the_handover_in_the_officers_group(
    login, superuser, group, other_group, owner, officers_commitments
):
    response = login(superuser).get(f"{URL}?officer={owner.pk}")
    assert response.context["form"].initial["group"] == group.pk


def test_a_handover_is_no_progress_on_the_dashboard_and_says_so_in_the_api(
    login, group, coordinator, owner, owner2, officers_commitments
):
    client = login(coordinator)
    client.post(URL, {**choose(group, owner, owner2), "commitments": [officers_commitments[0].pk]})
    dashboard = client.get(reverse("dashboard"))
    assert "Handed over from" not in dashboard.content.decode()
    entries = client.get(f"/api/v1/commitments/{officers_commitments[0].pk}/progress-updates/").json()
    assert (entries[0]["handed_over_from"], entries[0]["handed_over_to"]) == (owner.pk, owner2.pk)


def test_removing_an_officer_among_others_or_from_the_groups_page_warns_after(
    login, group, coordinator, owner, owner2, officers_commitments
):
    client = login(coordinator)
    membership = group.memberships.get(user=owner)
    response = client.post(
        reverse("admin:meetings_membership_changelist"),
        {"action": "delete_selected", "_selected_action": [membership.pk], "post": "yes"},
        follow=True,
    )
    assert (
        f'owns 3 open commitments in the {group.short_name}: <a href="{URL}?officer={owner.pk}&amp;group={group.pk}">'
        in (response.content.decode())
    )
    assert not group.memberships.filter(user=owner).exists()
    CommitmentFactory(meeting=officers_commitments[0].meeting, owner=owner2)
    response = client.post(
        reverse("admin:meetings_workinggroup_change", args=[group.pk]),
        group_page_data(group, removing=[owner2]),
        follow=True,
    )
    assert "owns 1 open commitment in the" in response.content.decode()
    assert "hand it over</a> now that they have left" in response.content.decode()


def test_a_malformed_id_is_named_as_sent(login, group, coordinator, owner, owner2, officers_commitments):
    response = login(coordinator).post(
        URL, {**choose(group, owner, owner2), "commitments": [officers_commitments[0].pk, "abc"]}
    )
    assert response.status_code == 422
    assert "“abc” names no commitment." in response.content.decode()
    assert Commitment.objects.filter(owner=owner2).count() == 0
