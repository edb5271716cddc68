"""The admin panel keeps every coordinator inside their own working groups, on every page the admin
site generates: lists, change, delete, history, history detail, revert and "view on site".

The coordinator of another group (`other_coordinator`) is staff and has the admin panel, so each page
is tried as them against our group's objects: the answer must be the one for an object that does not
exist, and must carry nothing of ours.
"""

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from commitments import search
from commitments.models import CalendarFeed, Commitment, ProgressUpdate, Reminder
from meetings.models import Meeting, Membership, WorkingGroup
from tests.commitments.test_search import attach
from tests.factories import CommitmentFactory, MeetingFactory, commitment_form_data, group_page_data

SENTINEL = "Qx9Ours"
MISSING = 987654321  # no object has this id


@pytest.fixture
def ours(group, meeting, owner, coordinator):
    """One object of every audited model in our group, each carrying the sentinel."""
    group.description = f"Group notes {SENTINEL}"
    group._history_user = coordinator
    group.save()
    meeting.outcome_summary = f"Outcome {SENTINEL}"
    meeting._history_user = coordinator
    meeting.save()
    commitment = CommitmentFactory(
        meeting=meeting, owner=owner, restricted=True, title=f"Watch list {SENTINEL}", lead_agency=f"IB {SENTINEL}"
    )
    update = commitment.post_progress(author=owner, text=f"Names exchanged {SENTINEL}")
    return {
        WorkingGroup: group,
        Meeting: meeting,
        Membership: Membership.objects.get(group=group, user=owner),
        Commitment: commitment,
        ProgressUpdate: update,
    }


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def history_urls(model, obj) -> list[str]:
    record = obj.history.first()
    return [admin_url(model, "history", obj.pk), admin_url(model, "simple_history", obj.pk, record.history_id)]


def answer(response) -> tuple:
    """What a client learns from an answer: its status and where it leads."""
    return response.status_code, response.get("Location")


@pytest.mark.parametrize("model", [WorkingGroup, Meeting, Membership, Commitment, ProgressUpdate])
def test_another_groups_coordinator_cannot_read_our_history(client, ours, other_coordinator, model):
    client.force_login(other_coordinator)
    obj = ours[model]
    missing = [admin_url(model, "history", MISSING), admin_url(model, "simple_history", MISSING, MISSING)]
    for url, missing_url in zip(history_urls(model, obj), missing, strict=True):
        response = client.get(url, follow=False)
        assert answer(response) == answer(client.get(missing_url)), url
        assert response.status_code in (302, 404), url
        assert SENTINEL not in client.get(url, follow=True).content.decode(), url


@pytest.mark.parametrize("model", [WorkingGroup, Meeting, Membership, Commitment, ProgressUpdate])
def test_a_revert_of_another_groups_object_saves_nothing(client, ours, other_coordinator, other_group, model):
    client.force_login(other_coordinator)
    obj = ours[model]
    before = model.history.count()
    record = obj.history.first()
    data = {"group": other_group.pk, "meeting": "", "is_active": "", "text": "Overwritten", "title": "Overwritten"}
    response = client.post(admin_url(model, "simple_history", obj.pk, record.history_id), data)
    assert response.status_code in (302, 404)
    assert model.history.count() == before
    assert Meeting.objects.get(pk=ours[Meeting].pk).group_id == ours[WorkingGroup].pk
    assert WorkingGroup.objects.get(pk=ours[WorkingGroup].pk).is_active


@pytest.mark.parametrize("model", [WorkingGroup, Meeting, Membership, Commitment, ProgressUpdate])
def test_a_coordinator_reads_the_history_of_their_group_and_reverts_nothing(client, ours, coordinator, model):
    client.force_login(coordinator)
    obj = ours[model]
    history, detail = history_urls(model, obj)
    assert client.get(history).status_code == 200
    page = client.get(detail)
    assert page.status_code == 200
    content = page.content.decode()
    assert 'value="Revert"' not in content
    assert "<textarea" not in content and 'type="text"' not in content  # a record to read, not a form
    before = model.history.count()
    assert client.post(detail, {}).status_code == 403
    assert model.history.count() == before


@pytest.mark.parametrize("bad_id", ["abc", "1.5", "%00", "-1", "99999999999999999999"])
def test_history_urls_with_ids_that_are_not_numbers_are_not_found(client, ours, coordinator, bad_id):
    client.force_login(coordinator)
    for model in (Meeting, Commitment):
        obj = ours[model]
        for url in (
            f"/admin/{model._meta.app_label}/{model._meta.model_name}/{bad_id}/history/",
            f"/admin/{model._meta.app_label}/{model._meta.model_name}/{obj.pk}/history/{bad_id}/",
        ):
            assert client.get(url).status_code in (302, 400, 404), url  # not found, or a NUL refused as such


def test_a_history_detail_of_another_object_is_not_found(client, ours, coordinator, meeting):
    """A history id belongs to one object: it is not readable through another object's address."""
    client.force_login(coordinator)
    other = CommitmentFactory(meeting=meeting)
    record = ours[Commitment].history.first()
    response = client.get(admin_url(Commitment, "simple_history", other.pk, record.history_id))
    assert answer(response) == answer(client.get(admin_url(Commitment, "simple_history", other.pk, MISSING)))


# --- View on site ----------------------------------------------------------------------------------


def view_on_site(obj) -> str:
    return reverse("admin:view_on_site", args=[ContentType.objects.get_for_model(obj).pk, obj.pk])


@pytest.mark.parametrize("persona", ["coordinator", "superuser"])
def test_view_on_site_never_hands_out_a_secret_calendar_address(request, client, owner, persona):
    feed = CalendarFeed.objects.create(user=owner)
    client.force_login(request.getfixturevalue(persona))
    response = client.get(view_on_site(feed))
    assert response.status_code == 404
    assert feed.token not in response.get("Location", "")


def test_view_on_site_answers_alike_for_not_yours_and_for_nothing(client, ours, other_coordinator, other_group):
    client.force_login(other_coordinator)
    theirs = MeetingFactory(group=other_group, host_country="JP")
    assert client.get(view_on_site(theirs)).url == theirs.get_absolute_url()
    content_type = ContentType.objects.get_for_model(Commitment).pk
    missing = client.get(reverse("admin:view_on_site", args=[content_type, MISSING]))
    assert missing.status_code == 404
    for model in (Meeting, Commitment):
        assert answer(client.get(view_on_site(ours[model]))) == answer(missing)


def test_view_on_site_leads_a_coordinator_to_their_groups_pages(client, ours, coordinator):
    client.force_login(coordinator)
    for model in (Meeting, Commitment):
        assert client.get(view_on_site(ours[model])).url == ours[model].get_absolute_url()


def test_another_groups_coordinator_finds_nothing_of_ours_in_the_search(client, ours, other_coordinator, owner):
    attach(owner, f"Annex {SENTINEL}", f"annex-{SENTINEL}.pdf", meeting=ours[Meeting])
    client.force_login(other_coordinator)
    for kind in ("", *search.KINDS):
        response = client.get(reverse("search"), {"q": SENTINEL.lower(), "kind": kind})
        assert response.status_code == 200
        assert SENTINEL not in response.content.decode(), kind
    listed = client.get(reverse("commitments:list"), {"q": SENTINEL.lower()}).content.decode()
    assert SENTINEL not in listed


# --- Filters and bad input -------------------------------------------------------------------------


SCOPED_CHANGELISTS = [WorkingGroup, Meeting, Membership, Commitment, ProgressUpdate, Reminder]


def test_admin_filters_list_only_the_users_groups(client, ours, other_coordinator, group):
    Reminder.objects.create(
        recipient=ours[Commitment].owner,
        reason=Reminder.Reason.OVERDUE,
        commitment=ours[Commitment],
        anchor_date="2026-12-15",
        lead_days=-1,
        planned_for="2026-12-16",
    )
    client.force_login(other_coordinator)
    for model in [*SCOPED_CHANGELISTS, *(m for m in admin.site._registry if m._meta.app_label == "meetings")]:
        content = client.get(admin_url(model, "changelist")).content.decode()
        assert group.name not in content and group.short_name not in content, model
        assert SENTINEL not in content, model


def test_a_filter_value_that_is_not_a_group_is_a_clear_400(client, coordinator):
    client.force_login(coordinator)
    response = client.get(admin_url(Reminder, "changelist") + "?group=abc")
    assert response.status_code == 400
    assert "filter" in response.content.decode().lower()


@pytest.mark.parametrize(
    "query", ["?q=%00", "?q=Tash%00kent", "?status__exact=%00", "?meeting__group__id__exact=%00", "?o=%00"]
)
def test_nul_characters_in_admin_search_and_filters_are_a_clear_400(client, ours, coordinator, query):
    client.force_login(coordinator)
    for model in (Commitment, Meeting, Reminder):
        response = client.get(admin_url(model, "changelist") + query)
        assert response.status_code == 400, (model, query, response.status_code)


# --- The meeting's commitment inline -----------------------------------------------------------------


def meeting_page_data(meeting) -> dict:
    """What the meeting's admin page posts when nothing is changed and no row is listed."""
    data = {
        "group": meeting.group_id,
        "number": meeting.number,
        "status": meeting.status,
        "host_country": meeting.host_country.code,
        "city": meeting.city,
        "venue": meeting.venue,
        "start_date": meeting.start_date.isoformat() if meeting.start_date else "",
        "end_date": meeting.end_date.isoformat() if meeting.end_date else "",
        "outcome_summary": meeting.outcome_summary,
        "record_reference": meeting.record_reference,
    }
    for prefix in ("participants", "agenda_topics", "commitments"):
        data |= {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}
    return data


def inline_data(meeting, commitment, **changes) -> dict:
    """What the meeting's change page posts with one commitment in its inline."""
    data = meeting_page_data(meeting)
    row = commitment_form_data(commitment)
    data |= {"commitments-TOTAL_FORMS": 1, "commitments-INITIAL_FORMS": 1, "commitments-0-id": commitment.pk}
    for name in ("title", "category", "owner", "responsible_side", "follow_up_date", "status", "priority"):
        data[f"commitments-0-{name}"] = row[name]
    data["commitments-0-expected_version"] = commitment.version
    data["commitments-0-meeting"] = meeting.pk
    return data | {f"commitments-0-{name}": value for name, value in changes.items()}


def test_an_edit_in_the_meetings_inline_raises_the_version(client, meeting, commitment, coordinator):
    client.force_login(coordinator)
    response = client.post(admin_url(Meeting, "change", meeting.pk), inline_data(meeting, commitment, title="Renamed"))
    assert response.status_code == 302, response.content.decode()[:2000]
    commitment.refresh_from_db()
    assert commitment.title == "Renamed"
    assert commitment.version == 2
    assert commitment.history.first().history_user == coordinator


def test_a_stale_edit_in_the_meetings_inline_is_refused(client, meeting, commitment, coordinator, owner):
    opened = inline_data(meeting, commitment, title="Renamed")
    commitment.change_status(Commitment.Status.IN_PROGRESS, user=owner)  # saved by someone else meanwhile
    client.force_login(coordinator)
    response = client.post(admin_url(Meeting, "change", meeting.pk), opened)
    assert response.status_code == 200
    assert f"{owner.get_full_name()} saved this commitment at " in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.title != "Renamed"
    assert commitment.status == Commitment.Status.IN_PROGRESS


def test_a_commitment_cannot_be_saved_without_its_version_check(commitment):
    from commitments.models import UnversionedSaveError

    commitment.title = "Changed behind the version's back"
    with pytest.raises(UnversionedSaveError):
        commitment.save()
    commitment.refresh_from_db()
    assert commitment.version == 1


# --- Accounts: coordinators pick people, they do not browse accounts ------------------------------------------


def autocomplete(client, model: str, field: str, term: str = "") -> tuple[int, set[str]]:
    app = {"commitment": "commitments", "membership": "meetings", "calendarfeed": "commitments"}.get(model, "knox")
    response = client.get(
        reverse("admin:autocomplete"), {"app_label": app, "model_name": model, "field_name": field, "term": term}
    )
    names = {result["text"] for result in response.json()["results"]} if response.status_code == 200 else set()
    return response.status_code, names


def test_coordinators_cannot_browse_the_accounts(client, coordinator, owner, superuser):
    client.force_login(coordinator)
    for url in [
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_changelist") + "?is_superuser__exact=1",
        reverse("admin:auth_user_change", args=[superuser.pk]),
        reverse("admin:auth_user_history", args=[owner.pk]),
    ]:
        assert client.get(url).status_code == 403, url


def test_a_commitments_owner_is_picked_among_the_coordinators_members(client, coordinator, owner, outsider, group):
    client.force_login(coordinator)
    status, names = autocomplete(client, "commitment", "owner")
    assert status == 200
    assert owner.username in names and outsider.username not in names
    assert autocomplete(client, "commitment", "access_granted_to")[1] == names
    status, everyone = autocomplete(client, "membership", "user")  # a new member may be anyone
    assert status == 200 and outsider.username in everyone


@pytest.mark.parametrize(("model", "field"), [("calendarfeed", "user"), ("authtoken", "user")])
def test_autocomplete_answers_only_for_forms_the_user_may_fill(client, coordinator, model, field):
    client.force_login(coordinator)
    assert autocomplete(client, model, field)[0] == 403


@pytest.mark.parametrize("prefix", ["commitments", "agenda_topics", "participants"])
def test_a_row_forged_with_another_groups_id_is_refused_as_a_missing_one(
    client, ours, other_coordinator, other_group, prefix
):
    """The rows of a meeting's page take only the ids of that meeting's rows; nothing is created from a forged one."""
    from meetings.models import AgendaTopic, Participant
    from tests.factories import AgendaTopicFactory, ParticipantFactory

    theirs = MeetingFactory(group=other_group, host_country="JP", number=3)
    target = {
        "commitments": ours[Commitment],
        "agenda_topics": AgendaTopicFactory(meeting=ours[Meeting]),
        "participants": ParticipantFactory(meeting=ours[Meeting]),
    }[prefix]
    row = {
        "commitments": {
            "title": "Forged",
            "category": ours[Commitment].category_id,
            "responsible_side": "home",
            "status": "open",
            "priority": 2,
        },
        "agenda_topics": {"order": 1, "title": "Forged"},
        "participants": {"order": 1, "role": "delegate", "name": "Forged", "country": "JP"},
    }[prefix]
    data = meeting_page_data(theirs)
    data |= {f"{prefix}-TOTAL_FORMS": 1, **{f"{prefix}-0-{key}": value for key, value in row.items()}}
    client.force_login(other_coordinator)
    counts = [Commitment.objects.count(), AgendaTopic.objects.count(), Participant.objects.count()]
    url = reverse("admin:meetings_meeting_change", args=[theirs.pk])
    forged = client.post(url, data | {f"{prefix}-0-id": target.pk})
    missing = client.post(url, data | {f"{prefix}-0-id": MISSING})
    assert forged.status_code == missing.status_code == 200
    assert [Commitment.objects.count(), AgendaTopic.objects.count(), Participant.objects.count()] == counts


@pytest.mark.parametrize(
    "path",
    [
        "/admin/r/{token_type}/%00/",
        "/admin/knox/authtoken/%00/change/",
        "/admin/knox/authtoken/x%00y/delete/",
        "/admin/knox/authtoken/1%00/history/",
        "/admin/commitments/calendarfeed/%00/change/",
    ],
)
@pytest.mark.parametrize("persona", ["coordinator", "superuser"])
def test_a_nul_character_in_an_admin_address_is_a_400_or_a_refusal(db, request, client, persona, path):
    from knox.models import AuthToken

    client.force_login(request.getfixturevalue(persona))
    token_type = ContentType.objects.get_for_model(AuthToken).pk
    response = client.get(path.format(token_type=token_type))
    assert response.status_code in (400, 403, 404), response.status_code


def test_probing_another_groups_objects_in_the_admin_is_in_the_security_log(client, ours, other_coordinator, caplog):
    import logging

    client.force_login(other_coordinator)
    commitment = ours[Commitment]
    with caplog.at_level(logging.WARNING, logger="security"):
        client.get(admin_url(Commitment, "change", commitment.pk))
        client.get(history_urls(Commitment, commitment)[1])
        client.get(view_on_site(ours[Meeting]))
        client.get(admin_url(Commitment, "change", MISSING))  # nothing there: nothing to log
    lines = [r.getMessage() for r in caplog.records if r.name == "security" and r.levelno == logging.WARNING]
    assert sum(f"object=commitment:pk={commitment.pk}" in line for line in lines) == 2, lines
    assert any(f"object=meeting:pk={ours[Meeting].pk}" in line for line in lines), lines
    assert not any(str(MISSING) in line for line in lines)
    assert all(line.startswith("denied user=other_coordinator") for line in lines), lines


def test_the_admin_shows_a_calendar_address_by_its_first_characters_only(client, superuser, owner):
    feed = CalendarFeed.objects.create(user=owner)
    client.force_login(superuser)
    for url in (admin_url(CalendarFeed, "changelist"), admin_url(CalendarFeed, "change", feed.pk)):
        content = client.get(url).content.decode()
        assert feed.token[:6] in content and feed.token not in content, url


def test_a_missing_version_of_an_object_one_may_read_says_so(client, ours, coordinator):
    client.force_login(coordinator)
    obj = ours[Commitment]
    response = client.get(admin_url(Commitment, "simple_history", obj.pk, MISSING), follow=True)
    assert response.redirect_chain[-1][0] == admin_url(Commitment, "history", obj.pk)
    assert f"No version {MISSING} of this commitment" in response.content.decode()


def test_a_coordinator_cannot_remove_or_demote_themselves(client, group, coordinator, member):
    own = group.memberships.get(user=coordinator)
    theirs = group.memberships.get(user=member)
    client.force_login(coordinator)
    assert client.post(admin_url(Membership, "delete", own.pk), {"post": "yes"}).status_code == 403
    client.post(
        admin_url(Membership, "changelist"),
        {"action": "delete_selected", "_selected_action": [own.pk, theirs.pk], "post": "yes"},
    )
    assert Membership.objects.filter(pk=own.pk).exists()
    response = client.post(
        admin_url(Membership, "change", own.pk), {"user": member.pk, "group": group.pk, "role": "member"}
    )
    own.refresh_from_db()
    assert (own.user, own.role) == (coordinator, "coordinator"), response.status_code


def test_the_history_lists_changes_in_words(client, ours, coordinator, owner):
    commitment = ours[Commitment]
    commitment.owner, commitment.restricted = None, True
    commitment.save_versioned(commitment.version, user=coordinator)
    commitment.owner, commitment.restricted, commitment.status = owner, False, Commitment.Status.IN_PROGRESS
    commitment.save_versioned(commitment.version, user=coordinator)
    client.force_login(coordinator)
    content = client.get(admin_url(Commitment, "history", commitment.pk)).content.decode()
    assert "Deleted" not in content and "pk=None" not in content
    assert "True" not in content and "False" not in content
    assert "In progress" in content
    version = client.get(history_urls(Commitment, commitment)[1]).content.decode()
    assert "<td>no</td>" in version and "False" not in version and "In progress" in version


@pytest.mark.parametrize(
    ("model", "field"),
    [
        ("meeting", "commitments"),
        ("meeting", "participants"),
        ("workinggroup", "memberships"),
        ("commitment", "progress_updates"),
        ("progressupdate", "author"),
        ("commitment", "created_by"),
        ("workinggroup", "members"),
    ],
)
@pytest.mark.parametrize("persona", ["coordinator", "superuser"])
def test_autocomplete_answers_only_for_a_fields_lookup(request, client, db, persona, model, field):
    app = "commitments" if model in ("commitment", "progressupdate") else "meetings"
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("admin:autocomplete"), {"app_label": app, "model_name": model, "field_name": field})
    assert response.status_code == 403


def test_a_coordinator_filtering_by_a_group_that_is_not_theirs_gets_nothing_or_a_400(client, ours, other_coordinator):
    client.force_login(other_coordinator)
    url = admin_url(Commitment, "changelist")
    assert client.get(url + "?meeting__group__id__exact=abc").status_code == 400
    response = client.get(url + f"?meeting__group__id__exact={ours[WorkingGroup].pk}")
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_saving_a_meeting_unchanged_records_no_change(client, meeting, coordinator):
    client.force_login(coordinator)
    data = meeting_page_data(meeting)
    before = meeting.history.count()
    assert client.post(admin_url(Meeting, "change", meeting.pk), data).status_code == 302
    assert meeting.history.count() == before


def test_a_coordinator_cannot_remove_themselves_from_the_groups_page(client, group, coordinator, member):
    """The same rule on the group's page, where memberships are rows."""
    data = group_page_data(group, removing=[coordinator])
    client.force_login(coordinator)
    response = client.post(admin_url(WorkingGroup, "change", group.pk), data)
    assert response.status_code == 200
    assert "You cannot remove yourself from the group" in response.content.decode()
    assert group.memberships.filter(user=coordinator, role="coordinator").exists()


def test_the_security_log_says_what_the_admin_answered(client, ours, other_coordinator, coordinator, caplog):
    import logging

    from tests.factories import AgendaTopicFactory

    topic = AgendaTopicFactory(meeting=ours[Meeting])
    with caplog.at_level(logging.WARNING, logger="security"):
        client.force_login(other_coordinator)
        client.get(admin_url(Commitment, "change", ours[Commitment].pk))
        client.force_login(coordinator)
        client.get(view_on_site(topic))  # one's own agenda topic has no page of its own: nothing denied
    lines = [r.getMessage() for r in caplog.records if r.name == "security" and r.levelno == logging.WARNING]
    assert len(lines) == 1, lines
    assert "status=302" in lines[0] and "object=commitment" in lines[0]


def test_a_date_without_a_time_for_a_date_and_time_filter_is_a_clear_400(client, superuser):
    client.force_login(superuser)
    response = client.get(reverse("admin:axes_accessattempt_changelist") + "?attempt_time__gte=9999-12-31")
    assert response.status_code == 400
    assert "a date and time needs its time zone" in response.content.decode()
