"""Need to know: a restricted commitment is seen only by its owner, the group's coordinators,
superusers and the users granted access, wherever commitments appear; e-mails and calendars
name it by its reference alone."""

import datetime
import io
import logging
import zipfile

import pytest
import time_machine
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from commitments import search
from commitments.brief import build_brief
from commitments.models import BriefSnapshot, CalendarFeed, Commitment, ProgressUpdate, Reminder
from commitments.reminders import delivery, planning
from meetings.models import Meeting, WorkingGroup
from meetings.permissions import group_roles
from tests.commitments.conftest import NOW, TODAY
from tests.commitments.test_search import attach
from tests.factories import CommitmentFactory, MeetingFactory, ProgressUpdateFactory, commitment_form_data
from tests.readers import pdf_pages, pdf_reader

SENTINEL = "Zq7Sentinel"  # in every text field of the restricted commitment, its journal and its attachments
SEARCHED = SENTINEL.lower()  # what a search page says it searched for: not the sentinel itself


@pytest.fixture(autouse=True)
def _a_week_before_the_tenth_meeting():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def public(meeting, owner):
    return CommitmentFactory(meeting=meeting, owner=owner, title="Joint training programmes", follow_up_date=TODAY)


@pytest.fixture
def secret(meeting, owner, granted, coordinator, tenth):
    commitment = CommitmentFactory(
        meeting=meeting,
        owner=owner,
        restricted=True,
        title=f"Watch list exchange {SENTINEL}",
        description=f"Names held by {SENTINEL}",
        lead_agency=f"Agency {SENTINEL}",
        partner_counterpart=f"Counterpart {SENTINEL}",
        follow_up_date=TODAY - datetime.timedelta(days=3),
    )
    commitment.access_granted_to.add(granted)
    update = commitment.post_progress(author=owner, text=f"Met {SENTINEL}", source=f"Note {SENTINEL}")
    attach(owner, f"Annex {SENTINEL}", f"annex-{SENTINEL}.pdf", commitment=commitment)
    attach(owner, f"Letter {SENTINEL}", f"letter-{SENTINEL}.pdf", commitment=commitment, progress_update=update)
    # A brief frozen by the coordinator holds every line; readers see it filtered.
    BriefSnapshot.objects.create(meeting=tenth, data=build_brief(tenth), frozen_by=coordinator)
    return commitment


def readable(response) -> str:
    """The text of a response: zipped Office documents (.docx, .xlsx) unpacked, a PDF's pages and properties."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:5] == b"%PDF-":
        return " ".join(pdf_pages(content)) + " " + " ".join(map(str, pdf_reader(content).metadata.values()))
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return content.decode("utf-8", "replace")


def pages(user, meeting, tenth, secret) -> list[str]:
    """Every page, export, download, feed and API answer that lists or counts commitments."""
    feed = CalendarFeed.objects.get_or_create(user=user)[0].secret_path()
    return [
        reverse("dashboard"),
        reverse("commitments:list"),
        reverse("commitments:list") + "?q=Watch list",
        reverse("commitments:list") + f"?q={secret.reference}",
        reverse("commitments:list") + f"?q={SEARCHED}",  # in its progress updates and attachments too
        reverse("commitments:export", args=["csv"]),
        reverse("commitments:export", args=["xlsx"]),
        reverse("commitments:export", args=["csv"]) + "?q=Watch list",
        secret.get_absolute_url(),
        reverse("commitments:edit", args=[secret.pk]),
        reverse("meetings:list"),
        reverse("meetings:detail", args=[meeting.pk]),
        reverse("meetings:brief", args=[tenth.pk]),
        reverse("meetings:brief", args=[tenth.pk]) + "?live=1",
        reverse("meetings:brief-download", args=[tenth.pk, "docx"]),
        reverse("meetings:brief-download", args=[tenth.pk, "pdf"]),
        reverse("meetings:brief-download", args=[tenth.pk, "pdf"]) + "?live=1",
        reverse("meetings:brief-download", args=[tenth.pk, "csv"]),
        reverse("meetings:brief-download", args=[tenth.pk, "csv"]) + "?live=1",
        feed,
        "/api/v1/me/",
        "/api/v1/commitments/",
        "/api/v1/commitments/?q=Watch list",
        f"/api/v1/commitments/?q={SEARCHED}",
        # The search page says what was searched for: in lower case, which the search finds as well.
        reverse("search") + f"?q={SEARCHED}",
        reverse("search") + "?q=Watch list",
        reverse("search") + f"?q={secret.reference}",
        *(reverse("search") + f"?q={SEARCHED}&kind={kind}" for kind in search.KINDS),
        f"/api/v1/commitments/{secret.pk}/",
        f"/api/v1/commitments/{secret.pk}/progress-updates/",
        f"/api/v1/meetings/{meeting.pk}/",
        "/api/v1/working-groups/",
    ]


@pytest.mark.parametrize("persona", ["member", "outsider"])
def test_the_sentinel_is_in_no_answer_for_those_without_access(request, persona, meeting, tenth, secret, public):
    user = request.getfixturevalue(persona)
    client = APIClient()
    client.force_login(user)
    leaks, checked = [], 0
    for url in pages(user, meeting, tenth, secret):
        response = client.get(url)
        checked += 1
        if SENTINEL in readable(response):
            leaks.append(url)
    print(f"{persona}: {checked} answers searched, {len(leaks)} with the restricted text")
    assert leaks == []


@pytest.mark.parametrize("persona", ["owner", "granted", "coordinator", "superuser"])
def test_those_with_access_read_it_everywhere(request, persona, meeting, tenth, secret):
    client = APIClient()
    client.force_login(request.getfixturevalue(persona))
    for url in [
        secret.get_absolute_url(),
        reverse("commitments:list") + f"?q={secret.reference}",
        reverse("commitments:export", args=["csv"]),
        reverse("search") + f"?q={SEARCHED}",
        *(
            reverse("search") + f"?q={SEARCHED}&kind={kind}"
            for kind in ("commitments", "progress-updates", "attachments")
        ),
        reverse("meetings:detail", args=[meeting.pk]),
        reverse("meetings:brief", args=[tenth.pk]),
        reverse("meetings:brief-download", args=[tenth.pk, "docx"]),
        reverse("meetings:brief-download", args=[tenth.pk, "pdf"]),
        f"/api/v1/commitments/{secret.pk}/",
        f"/api/v1/commitments/{secret.pk}/progress-updates/",
    ]:
        assert SENTINEL in readable(client.get(url)), url


def test_a_member_without_access_gets_404_as_for_a_commitment_that_does_not_exist(login, member, secret, caplog):
    client = login(member)
    with caplog.at_level(logging.WARNING, logger="security"):
        assert client.get(secret.get_absolute_url()).status_code == 404
        assert APIClient().get(f"/api/v1/commitments/{secret.pk}/").status_code in (401, 404)
    assert "denied user=member" in caplog.text
    assert f"object=commitment:pk={secret.pk}" in caplog.text


def test_counts_leave_it_out_for_those_without_access(login, member, coordinator, meeting, tenth, secret, public):
    client = login(member)
    [row] = [m for m in client.get(reverse("meetings:list")).context["object_list"] if m.pk == meeting.pk]
    assert row.commitment_count == 1
    [group] = client.get(reverse("dashboard")).context["groups"]
    assert group.counts["total"] == 1
    brief = client.get(reverse("meetings:brief", args=[tenth.pk]) + "?live=1").context["brief"]
    assert brief["total"] == 1
    assert dict(brief["by_category"]) == {"Information sharing": 1}
    assert APIClient().get("/api/v1/commitments/").status_code in (401, 403)
    api = APIClient()
    api.force_login(member)
    assert api.get("/api/v1/commitments/").json()["count"] == 1

    client = login(coordinator)
    [row] = [m for m in client.get(reverse("meetings:list")).context["object_list"] if m.pk == meeting.pk]
    assert row.commitment_count == 2
    assert client.get(reverse("meetings:brief", args=[tenth.pk]) + "?live=1").context["brief"]["total"] == 2


def all_text(message) -> str:
    return "".join(
        part.get_content() if part.get_content_type().startswith("text/") else part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    )


def test_emails_and_calendars_name_it_by_reference_only(secret, public, owner, coordinator, smtp_server, client):
    Reminder.objects.all().delete()
    planning.plan(TODAY)
    delivery.send_due(timezone.now())
    messages = {message["To"]: all_text(message) for message in smtp_server.messages}
    assert set(messages) == {owner.email, coordinator.email}
    for text in messages.values():
        assert SENTINEL not in text
    owner_mail = messages[owner.email]
    assert f"Commitment {secret.reference} (restricted)" in owner_mail
    assert secret.get_absolute_url() in owner_mail  # the link to read it after logging in
    assert public.title in owner_mail  # titles of the others, by default

    feed = CalendarFeed.objects.create(user=owner)
    calendar = client.get(feed.secret_path()).content.decode()
    assert SENTINEL not in calendar
    assert f"Follow-up: Commitment {secret.reference} (restricted)" in calendar


def test_a_setting_keeps_every_title_out_of_the_emails(secret, public, owner, smtp_server, settings):
    settings.REMINDER_EMAIL_DETAIL = "references"
    public.post_progress(author=owner, text="Curriculum agreed with the partner academy.")
    Reminder.objects.all().delete()
    planning.plan(TODAY)
    delivery.send_due(timezone.now())
    text = all_text(next(m for m in smtp_server.messages if m["To"] == owner.email))
    assert public.title not in text
    assert "Curriculum agreed" not in text
    assert f"Commitment {public.reference}" in text
    assert public.get_absolute_url() in text


def test_assignment_notices_do_not_carry_it_either(meeting, owner, coordinator, smtp_server):
    with time_machine.travel(NOW.replace(hour=10), tick=False):
        CommitmentFactory(meeting=meeting, owner=owner, restricted=True, title=f"Watch list {SENTINEL}")
    with time_machine.travel(NOW.replace(hour=11), tick=False):
        delivery.send_due(timezone.now())
    assert smtp_server.messages
    assert all(SENTINEL not in all_text(message) for message in smtp_server.messages)


# --- Who marks it and grants access -----------------------------------------------------------------


def test_a_coordinator_restricts_a_commitment_and_grants_a_member_access(login, coordinator, public, granted, member):
    client = login(coordinator)
    data = commitment_form_data(public, restricted="on", access_granted_to=[granted.pk])
    assert client.post(reverse("commitments:edit", args=[public.pk]), data).status_code == 302
    public.refresh_from_db()
    assert public.restricted
    assert list(public.access_granted_to.all()) == [granted]
    assert login(granted).get(public.get_absolute_url()).status_code == 200
    assert login(member).get(public.get_absolute_url()).status_code == 404
    # The grant is in the audit history, with who made it.
    record = public.history.first()
    assert record.history_user == coordinator
    assert [row.user_id for row in record.access_granted_to.all()] == [granted.pk]


def test_access_is_granted_only_to_members_of_the_group(login, coordinator, public, outsider):
    client = login(coordinator)
    data = commitment_form_data(public, restricted="on", access_granted_to=[outsider.pk])
    response = client.post(reverse("commitments:edit", args=[public.pk]), data)
    assert response.status_code == 422
    public.refresh_from_db()
    assert not public.restricted  # nothing half-saved
    assert public.access_granted_to.count() == 0


def test_the_api_refuses_a_grant_to_someone_outside_the_group(coordinator, public, outsider, granted):
    api = APIClient()
    api.force_login(coordinator)
    url = f"/api/v1/commitments/{public.pk}/"
    response = api.patch(url, {"access_granted_to": [outsider.pk], "restricted": True, "version": public.version})
    assert response.status_code == 400
    assert "members of the" in str(response.json()["access_granted_to"])
    public.refresh_from_db()
    assert not public.restricted

    response = api.patch(url, {"access_granted_to": [granted.pk], "restricted": True, "version": public.version})
    assert response.status_code == 200, response.json()
    assert response.json()["access_granted_to"] == [granted.pk]
    assert response.json()["reference"] == public.reference
    assert Commitment.objects.get(pk=public.pk).restricted


def test_an_owner_cannot_lift_the_restriction(owner, secret):
    api = APIClient()
    api.force_login(owner)
    response = api.patch(f"/api/v1/commitments/{secret.pk}/", {"restricted": False, "version": secret.version})
    assert response.status_code == 403
    assert Commitment.objects.get(pk=secret.pk).restricted


# --- The change history of a commitment that was restricted -----------------------------------------


def lift_restriction(commitment, coordinator) -> None:
    commitment.restricted = False
    commitment.title = "Exchange of watch lists"
    commitment.description = "Agreed in Tashkent."
    commitment.lead_agency = commitment.partner_counterpart = ""
    commitment.save_versioned(commitment.version, user=coordinator)


def test_the_history_shows_what_it_said_while_restricted_only_to_those_who_could_read_it(
    login, secret, coordinator, member, granted, owner
):
    lift_restriction(secret, coordinator)
    page = login(member).get(secret.get_absolute_url())
    assert page.status_code == 200
    history = change_history(page)
    assert "Exchange of watch lists" in history
    assert SENTINEL not in history
    # listed, its old values withheld: said so, not shown as if a value were "restricted at the time"
    assert "(not shown: restricted at the time) → Exchange of watch lists" in history
    assert "Restricted: yes → no" in history  # what it withholds for: no secret, and said
    for reader in (owner, granted, coordinator):
        assert SENTINEL in change_history(login(reader).get(secret.get_absolute_url())), reader


@pytest.mark.parametrize("through", ["form", "api"])
def test_who_was_granted_access_is_named_only_to_those_who_could_read_it_restricted(
    login, secret, coordinator, member, granted, owner, through
):
    """Lifting the restriction and the grants in one edit: a member reads the commitment from then on, but not who
    was granted access while it was restricted; the edit is one entry for every reader."""
    if through == "form":
        data = commitment_form_data(secret, title="Exchange of watch lists", access_granted_to=[])
        data.pop("restricted")
        assert login(coordinator).post(reverse("commitments:edit", args=[secret.pk]), data).status_code == 302
    else:
        api = APIClient()
        api.force_authenticate(coordinator)
        response = api.patch(
            reverse("api:commitment-detail", args=[secret.pk]),
            {"restricted": False, "access_granted_to": [], "title": "Exchange of watch lists"},
            format="json",
            HTTP_IF_MATCH=f'"{secret.version}"',
        )
        assert response.status_code == 200, response.content
    name, by = person_name(granted), person_name(coordinator)
    for reader in (member, owner, granted, coordinator):
        page = login(reader).get(secret.get_absolute_url())
        [edit] = [change for change in page.context["history"] if change.who == by]  # one edit, one entry
        assert sorted(change.label for change in edit.changes) == ["access granted to", "restricted", "title"]
        assert (name in change_history(page)) == (reader != member), reader


def test_a_grant_made_on_its_own_just_after_another_edit_is_an_entry_of_its_own(login, secret, coordinator, member):
    """Three edits through the API in as many seconds — a title, a grant, a title — are three entries: a grant is
    told with the edit it was saved with, not with whichever edit came just before it."""
    api = APIClient()
    api.force_authenticate(coordinator)
    url = reverse("api:commitment-detail", args=[secret.pk])
    for change in ({"title": "Hotel"}, {"access_granted_to": [*secret.access_granted_to.values_list("pk", flat=True),
                                                             member.pk]}, {"title": "India"}):  # fmt: skip
        version = Commitment.objects.get(pk=secret.pk).version
        assert api.patch(url, change, format="json", HTTP_IF_MATCH=f'"{version}"').status_code == 200
    history = login(coordinator).get(secret.get_absolute_url()).context["history"]
    edits = [sorted(c.label for c in change.changes) for change in history if change.who == person_name(coordinator)]
    assert edits[:3] == [["title"], ["access granted to"], ["title"]]


def test_each_quick_edit_of_a_restricted_while_commitment_is_an_entry_for_every_reader(
    login, public, coordinator, member, granted, owner
):
    """Restricted, retitled, granted, retitled, lifted — five API edits in as many seconds — are five entries for
    every reader, whatever each may read of them: none is hidden inside another."""
    api = APIClient()
    api.force_authenticate(coordinator)
    url = reverse("api:commitment-detail", args=[public.pk])
    edits = [
        {"restricted": True},
        {"title": "Foxtrot"},
        {"access_granted_to": [granted.pk]},
        {"title": "Golf"},
        {"restricted": False},
    ]
    for edit in edits:
        version = Commitment.objects.get(pk=public.pk).version
        assert api.patch(url, edit, format="json", HTTP_IF_MATCH=f'"{version}"').status_code == 200
    for reader in (member, owner, granted, coordinator):
        history = login(reader).get(public.get_absolute_url()).context["history"]
        assert len([change for change in history if change.who == person_name(coordinator)]) == len(edits), reader


def test_what_an_edit_wrote_is_judged_by_the_grants_it_left(login, coordinator, meeting, owner, member, granted):
    """One edit that retitles a restricted commitment and takes a member's access away: the member never could read
    the new title, and is not shown it. One that grants a member access with a new title: that member may."""
    api = APIClient()
    api.force_authenticate(coordinator)
    commitment = CommitmentFactory(meeting=meeting, owner=owner, restricted=True, title="Start")
    commitment.access_granted_to.add(member)
    url = reverse("api:commitment-detail", args=[commitment.pk])
    for edit in (
        {"title": "Codename Topsecret", "lead_agency": "Agency X", "access_granted_to": []},
        {"title": "Second title", "access_granted_to": [granted.pk]},
        {"restricted": False, "title": "Public title"},
    ):
        version = Commitment.objects.get(pk=commitment.pk).version
        assert api.patch(url, edit, format="json", HTTP_IF_MATCH=f'"{version}"').status_code == 200
    removed = change_history(login(member).get(commitment.get_absolute_url()))
    assert "Topsecret" not in removed and "Agency X" not in removed and "Second title" not in removed
    added = change_history(login(granted).get(commitment.get_absolute_url()))
    assert "Topsecret" not in added  # written before the grant: not shown
    assert "(not shown: restricted at the time) → Second title" in added  # written with the grant: shown


def test_a_grant_not_shown_says_why_truly(login, public, coordinator, member, granted):
    """Who was granted access is need to know, restricted at the time or not: a grant made while the commitment was
    open is not shown to a member either, and the history says so without saying it was restricted then."""
    api = APIClient()
    api.force_authenticate(coordinator)
    url = reverse("api:commitment-detail", args=[public.pk])
    assert api.patch(url, {"access_granted_to": [granted.pk]}, format="json", HTTP_IF_MATCH='"1"').status_code == 200
    page = login(member).get(public.get_absolute_url())
    [edit] = [change for change in page.context["history"] if change.who == person_name(coordinator)]
    assert [(c.label, c.old, c.new) for c in edit.changes] == [("access granted to", "—", "(not shown: need to know)")]
    assert person_name(granted) not in change_history(page)


def test_a_member_sees_each_edit_of_a_commitment_restricted_for_a_while_once(
    login, public, coordinator, member, granted
):
    """Restricted with a grant, then lifted: two edits, two entries for a member shown neither's details in full."""
    api = APIClient()
    api.force_authenticate(coordinator)
    url = reverse("api:commitment-detail", args=[public.pk])
    for version, change in enumerate(
        ({"restricted": True, "access_granted_to": [granted.pk], "description": "Held"}, {"restricted": False}), 1
    ):
        assert api.patch(url, change, format="json", HTTP_IF_MATCH=f'"{version}"').status_code == 200
    page = login(member).get(public.get_absolute_url())
    assert len([change for change in page.context["history"] if change.who == person_name(coordinator)]) == 2
    assert person_name(granted) not in change_history(page)


def change_history(page) -> str:
    """The change history section of a commitment's page (the journal, current content, is open once lifted)."""
    content = page.content.decode()
    return content[content.index('id="history-heading"') :]


def test_a_grant_made_later_does_not_open_what_was_said_before(login, secret, coordinator, member):
    first_title = secret.title
    secret.title = "Watch list exchange, renamed"
    secret.save_versioned(secret.version, user=coordinator)
    secret.access_granted_to.add(member)  # from now on the member reads it, not what it said before the grant
    lift_restriction(secret, coordinator)
    history = change_history(login(member).get(secret.get_absolute_url()))
    assert "Watch list exchange, renamed" in history
    assert first_title not in history


# --- The admin panel and former members ------------------------------------------------------------------


def admin_pages_about(obj) -> list[str]:
    """Every page the admin site generates about the object, with its history version, and its list searched."""
    opts = obj._meta
    prefix = f"admin:{opts.app_label}_{opts.model_name}_"
    urls = [
        reverse(prefix + "changelist"),
        reverse(prefix + "changelist") + "?q=Watch",  # words of its title (the sentinel itself would be echoed)
        reverse("admin:view_on_site", args=[ContentType.objects.get_for_model(obj).pk, obj.pk]),
    ]
    for pattern in admin.site._registry[type(obj)].urls:
        view = (pattern.name or "").removeprefix(prefix[len("admin:") :])
        if view in ("change", "delete", "history"):
            urls.append(reverse(prefix + view, args=[obj.pk]))
        elif view == "simple_history":
            urls += [reverse(prefix + view, args=[obj.pk, record.history_id]) for record in obj.history.all()]
    return urls


def test_the_admin_shows_nothing_of_it_to_another_groups_coordinator(client, secret, other_coordinator, meeting):
    client.force_login(other_coordinator)
    objects = [secret, secret.progress_updates.get(), meeting, meeting.group, *meeting.group.memberships.all()]
    urls = [url for obj in objects for url in admin_pages_about(obj)]
    urls += [
        reverse("admin:autocomplete")
        + f"?app_label=commitments&model_name=progressupdate&field_name=commitment&term={term}"
        for term in ("Watch", "Names", secret.reference)
    ]
    leaks = [url for url in urls if SENTINEL in client.get(url, follow=True).content.decode()]
    print(f"other group's coordinator: {len(urls)} admin pages searched, {len(leaks)} with the restricted text")
    assert len(urls) > 25
    assert leaks == []


def test_someone_who_left_the_group_is_sent_none_of_its_text(meeting, owner, coordinator, group, smtp_server):
    CommitmentFactory(meeting=meeting, owner=owner, title=f"Joint training {SENTINEL}", follow_up_date=TODAY)
    Reminder.objects.all().delete()
    planning.plan(TODAY)  # planned while a member
    group.memberships.get(user=owner).delete()
    planning.plan(TODAY)
    delivery.send_due(timezone.now())
    assert all(SENTINEL not in all_text(message) for message in smtp_server.messages if message["To"] == owner.email)
    assert owner.email not in {message["To"] for message in smtp_server.messages}


def test_a_frozen_brief_keeps_what_it_said_while_restricted_from_those_who_could_not_read_it(
    login, secret, coordinator, member, owner, granted, tenth
):
    """The brief was frozen while the commitment was restricted (the `secret` fixture); lifting the
    restriction afterwards opens the commitment, not what the frozen brief recorded of it."""
    lift_restriction(secret, coordinator)
    urls = [
        reverse("meetings:brief", args=[tenth.pk]),
        reverse("meetings:brief-download", args=[tenth.pk, "docx"]),
        reverse("meetings:brief-download", args=[tenth.pk, "pdf"]),
        reverse("meetings:brief-download", args=[tenth.pk, "csv"]),
    ]
    client = login(member)
    assert all(SENTINEL not in readable(client.get(url)) for url in urls)
    assert "Exchange of watch lists" in readable(client.get(urls[0] + "?live=1"))
    for reader in (owner, granted, coordinator):
        assert SENTINEL in readable(login(reader).get(urls[3])), reader


def test_the_frozen_brief_lists_a_changed_title_and_lifted_restriction_among_the_changes(
    login, secret, coordinator, tenth
):
    lift_restriction(secret, coordinator)
    differences = login(coordinator).get(reverse("meetings:brief", args=[tenth.pk])).context["differences"]
    [changed] = [d for d in differences if d["kind"] == "changed"]
    labels = {field["label"] for field in changed["fields"]}
    assert {"title", "lead agency", "restricted"} <= labels


def test_the_change_history_names_who_was_granted_access(login, secret, coordinator, owner, member):
    secret.access_granted_to.add(member)
    history = change_history(login(owner).get(secret.get_absolute_url()))
    assert f"Access granted to: {person_name(secret.access_granted_to.exclude(pk=member.pk).get())} →" in history
    assert person_name(member) in history


def person_name(user) -> str:
    return user.get_full_name() or user.get_username()


def test_the_search_counts_nothing_of_it_for_those_without_access(login, member, secret, public):
    """Its words, its progress updates' and its attachments' find nothing, not even a count."""
    client = login(member)
    for text in (SEARCHED, "Watch list", "annex", "letter", "Met"):
        groups = client.get(reverse("search"), {"q": text}).context["groups"]
        assert [group.count for group in groups] == [0, 0, 0, 0, 0], text
    owner_groups = login(secret.owner).get(reverse("search"), {"q": SEARCHED}).context["groups"]
    assert {group.kind.slug: group.count for group in owner_groups} == {
        "commitments": 1,
        "progress-updates": 1,
        "meetings": 0,
        "participants": 0,
        "attachments": 2,
    }


@pytest.mark.parametrize(
    "persona", ["owner", "granted", "member", "coordinator", "outsider", "other_coordinator", "superuser"]
)
def test_the_groups_given_by_id_see_what_the_subqueries_see(request, persona, secret, public, other_group):
    """The dashboard and the list name the reader's groups by id (read once for the request); the rule is the same."""
    CommitmentFactory(meeting=MeetingFactory(group=other_group, number=4), title="Elsewhere", restricted=True)
    for commitment in (secret, public):
        ProgressUpdateFactory(commitment=commitment, author=commitment.owner)
    user = request.getfixturevalue(persona)
    roles = group_roles(user)
    seen = set(Commitment.objects.visible_to(user, roles))
    assert seen == set(Commitment.objects.visible_to(user))
    assert (secret in seen) == (persona in {"owner", "granted", "coordinator", "superuser"})
    assert set(ProgressUpdate.objects.visible_to(user, roles)) == set(ProgressUpdate.objects.visible_to(user))
    groups = set(WorkingGroup.objects.visible_to(user))
    assert set(WorkingGroup.objects.visible_to(user, roles)) == groups and (other_group in groups) == (
        persona in {"outsider", "other_coordinator", "superuser"}
    )
    assert set(Meeting.objects.visible_to(user, roles)) == set(Meeting.objects.visible_to(user))
