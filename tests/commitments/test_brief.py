"""The pre-session brief, its downloads and freezing; exports of the list; calendar feeds."""

import datetime
import io
import re
import uuid

import pytest
import time_machine
from django.contrib.auth.models import update_last_login
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from docx import Document
from docx.table import Table
from icalendar import Calendar

from commitments import brief as brief_module
from commitments import data_version as data_version_module
from commitments.brief import brief_lines, build_brief
from commitments.feeds import follow_up_uid
from commitments.models import BriefSnapshot, CalendarFeed, Commitment
from meetings.calendar import meeting_uid
from meetings.models import Meeting
from tests.commitments.conftest import DEMO_DAY as TODAY
from tests.factories import CommitmentFactory, MeetingFactory
from tests.readers import csv_rows, xlsx_rows

pytestmark = pytest.mark.usefixtures("on_the_demo_day")


def lines_by_title(brief) -> dict:
    return {line["title"]: line for line in brief_lines(brief)}


# --- The brief's content ----------------------------------------------------------------------------


def test_the_brief_for_the_tenth_meeting_covers_tashkent_by_category(demo):
    _, tenth = demo
    brief = build_brief(tenth, TODAY)
    assert brief["meeting"]["dates"] == "date to be agreed"
    assert brief["previous"]["title"] == "9th meeting"
    assert [s["category"] for s in brief["sections"]] == [
        "Information sharing",
        "Joint training and capacity building",
        "Research",
        "Multilateral coordination",
        "Other",
    ]
    lines = lines_by_title(brief)
    assert len(lines) == 8  # the seven agreed in Tashkent, and the 8th meeting's one, closed since
    intelligence = lines["Share intelligence on terrorist groups and their movements"]
    assert intelligence["changes"] == ["new", "overdue"]
    assert intelligence["owner"] == "Arjun Mehta"
    assert intelligence["lead_agency"] == "Ministry of External Affairs (CT Division)"
    assert intelligence["partner_counterpart"] == "Ministry of Foreign Affairs of Uzbekistan"
    assert intelligence["paragraph"] == "para 4"
    assert intelligence["latest_update"] == "Points of contact designated on both sides; first exchange held."
    assert intelligence["latest_update_source"] == "Note verbale of the Embassy of Uzbekistan, 3 November 2025"
    research = lines["Launch joint research on the drivers of radicalization"]
    assert research["changes"] == ["new", "no update since the previous meeting"]
    assert lines["Exchange assessments of the regional terrorist threat"]["changes"] == ["closed"]
    assert dict(brief["by_status"]) == {"Open": 5, "In progress": 2, "Done": 1, "Dropped": 0}


def test_the_brief_shows_a_status_changed_since_the_previous_meeting(group, owner):
    with time_machine.travel(datetime.datetime(2025, 1, 10, tzinfo=datetime.UTC), tick=False):
        eighth = MeetingFactory(group=group, number=8, start_date=datetime.date(2025, 1, 5), end_date=None)
        old = CommitmentFactory(meeting=eighth, owner=owner, title="Exchange threat assessments", follow_up_date=None)
    ninth = MeetingFactory(group=group, number=9, host_country="UZ", start_date=datetime.date(2025, 9, 30))
    tenth = MeetingFactory(group=group, number=10, status="planned", start_date=None, end_date=None)
    old.post_progress(author=owner, text="Under way.", new_status=Commitment.Status.IN_PROGRESS)
    brief = build_brief(tenth, TODAY)
    assert brief["previous"]["title"] == ninth.title
    assert lines_by_title(brief)["Exchange threat assessments"]["changes"] == ["status changed: Open → In progress"]


def test_the_brief_of_a_past_meeting_shows_the_position_on_its_day(group, owner):
    with time_machine.travel(datetime.datetime(2025, 1, 10, tzinfo=datetime.UTC), tick=False):
        eighth = MeetingFactory(group=group, number=8, start_date=datetime.date(2025, 1, 5), end_date=None)
        commitment = CommitmentFactory(meeting=eighth, owner=owner, title="Exchange threat assessments")
    ninth = MeetingFactory(group=group, number=9, host_country="UZ", start_date=datetime.date(2025, 9, 30))
    commitment.post_progress(author=owner, text="Done after the 9th.", new_status=Commitment.Status.DONE)
    brief = build_brief(ninth, TODAY)
    line = lines_by_title(brief)["Exchange threat assessments"]
    assert brief["as_of"] == "30 September 2025"
    assert (line["status_label"], line["latest_update"]) == ("Open", "")


def test_the_brief_page_prints_cleanly_and_escapes_text(demo, client):
    users, tenth = demo
    research = Commitment.objects.get(title__startswith="Launch joint research")
    research.lead_agency = "<b>ICWA</b>"
    research.save_versioned(research.version)
    research.post_progress(
        author=users["owner"], text="<i>Terms</i> & scope agreed.\nField work next.\r\nThen\rreport."
    )
    client.force_login(users["member"])
    content = client.get(reverse("meetings:brief", args=[tenth.pk])).content.decode()
    assert "Brief for the 10th meeting of the India–Uzbekistan Joint Working Group on Counter Terrorism" in content
    assert "&lt;b&gt;ICWA&lt;/b&gt;" in content
    # text, each of its lines kept, whatever ends them
    assert "&lt;i&gt;Terms&lt;/i&gt; &amp; scope agreed.<br>Field work next.<br>Then<br>report." in content
    assert 'class="no-print"' in content


def test_the_brief_pages_links_work_at_whatever_address_the_site_is_reached(demo, client, settings):
    settings.SITE_URL = "http://commitments.intranet.example"
    users, tenth = demo
    research = Commitment.objects.get(title__startswith="Launch joint research")
    client.force_login(users["member"])
    for query in ("", "?live=1"):
        content = client.get(reverse("meetings:brief", args=[tenth.pk]) + query).content.decode()
        assert f'href="{research.get_absolute_url()}"' in content
        assert "commitments.intranet.example" not in content


def test_the_csv_links_to_each_commitment_at_the_sites_address(demo, client, settings):
    settings.SITE_URL = "http://127.0.0.1:8103"
    users, tenth = demo
    client.force_login(users["coordinator"])
    client.post(reverse("meetings:brief-freeze", args=[tenth.pk]))
    settings.SITE_URL = "https://commitments.intranet.example"  # moved after the freeze: links follow
    response = client.get(reverse("meetings:brief-download", args=[tenth.pk, "csv"]))
    links = [r["Link"] for r in csv_rows(response.content)]
    assert links
    assert all(link.startswith("https://commitments.intranet.example/commitments/") for link in links)


def test_the_word_document_has_the_same_content(demo, client):
    users, tenth = demo
    client.force_login(users["member"])
    response = client.get(reverse("meetings:brief-download", args=[tenth.pk, "docx"]))
    assert response["Content-Disposition"] == 'attachment; filename="brief-india-uzbekistan-jwg-ct-10.docx"'
    document = Document(io.BytesIO(response.content))
    headings = [  # in the order they come, those that head a table among them
        paragraph.text
        for block in document.iter_inner_content()
        for paragraph in (block.rows[0].cells[0].paragraphs if isinstance(block, Table) else [block])
        if paragraph.style.name.startswith(("Heading", "Title"))
    ]
    brief = build_brief(tenth, TODAY)
    assert headings == [
        "Brief for the 10th meeting of the India–Uzbekistan Joint Working Group on Counter Terrorism",
        "Totals",
        *(s["category"] for s in brief["sections"]),
    ]
    rows = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows[2:]]
    assert [row[0].split("\n")[0] for row in rows] == [line["title"] for line in brief_lines(brief)]
    assert [row[4] for row in rows] == [line["changes_text"] or "—" for line in brief_lines(brief)]


def test_the_csv_has_the_same_content(demo, client):
    users, tenth = demo
    client.force_login(users["member"])
    response = client.get(reverse("meetings:brief-download", args=[tenth.pk, "csv"]))
    rows = csv_rows(response.content)
    brief = build_brief(tenth, TODAY)
    assert [(r["Category"], r["Commitment"], r["Status"], r["Since the previous meeting"]) for r in rows] == [
        (line["category"], line["title"], line["status_label"], line["changes_text"]) for line in brief_lines(brief)
    ]


# --- Freezing --------------------------------------------------------------------------------------------


def test_a_brief_frozen_in_the_first_format_is_shown_and_downloaded(demo, client):
    """Briefs frozen before lines kept their restriction, owner, grants, files and ISO dates still show."""
    users, tenth = demo
    data = build_brief(tenth, TODAY)
    for line in (line for section in data["sections"] for line in section["lines"]):
        for key in ("restricted", "owner_id", "granted", "attachments", "follow_up_iso", "latest_update_iso"):
            del line[key]
    BriefSnapshot.objects.create(meeting=tenth, data=data, frozen_by=users["coordinator"])
    client.force_login(users["coordinator"])
    page = client.get(reverse("meetings:brief", args=[tenth.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert "Share intelligence on terrorist groups and their movements" in content
    assert "Points of contact designated on both sides; first exchange held." in content
    assert "Restricted</span>" not in content
    for extension in ("csv", "docx", "pdf"):
        assert client.get(reverse("meetings:brief-download", args=[tenth.pk, extension])).status_code == 200


def test_a_coordinator_freezes_the_brief_and_the_difference_shows(demo, client):
    users, tenth = demo
    client.force_login(users["coordinator"])
    assert client.post(reverse("meetings:brief-freeze", args=[tenth.pk])).status_code == 302
    snapshot = BriefSnapshot.objects.get()
    assert snapshot.frozen_by == users["coordinator"]

    research = Commitment.objects.get(title__startswith="Launch joint research")
    research.post_progress(author=users["owner"], text="Terms of reference agreed.", new_status="in_progress")

    client.force_login(users["member"])
    frozen = client.get(reverse("meetings:brief", args=[tenth.pk]))
    assert frozen.context["brief"] == snapshot.data
    content = frozen.content.decode()
    assert "Frozen version of" in content
    assert "Launch joint research on the drivers of radicalization</strong>: status Open → In progress" in content
    live = client.get(reverse("meetings:brief", args=[tenth.pk]) + "?live=1")
    assert lines_by_title(live.context["brief"])[research.title]["status_label"] == "In progress"
    download = client.get(reverse("meetings:brief-download", args=[tenth.pk, "csv"]))
    assert "brief-india-uzbekistan-jwg-ct-10-frozen.csv" in download["Content-Disposition"]
    assert "Terms of reference agreed." not in download.content.decode()


# --- The brief, cached: built once for everyone, rendered once for all who are shown the same lines ------------


def brief_page(client, user, meeting) -> str:
    client.force_login(user)
    response = client.get(reverse("meetings:brief", args=[meeting.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_brief_is_built_once_and_a_progress_update_shows_at_once(demo, client, monkeypatch):
    users, tenth = demo
    built = []
    monkeypatch.setattr(brief_module, "build_brief", lambda meeting: built.append(meeting) or build_brief(meeting))
    first = brief_page(client, users["member"], tenth)
    with CaptureQueriesContext(connection) as queries:
        again = brief_page(client, users["coordinator"], tenth)
    assert len(built) == 1
    assert lines_html(again) == lines_html(first)
    assert not [q for q in queries if "commitments_progressupdate" in q["sql"]]  # neither built nor rendered again

    research = Commitment.objects.get(title__startswith="Launch joint research")
    research.post_progress(author=users["owner"], text="Terms of reference agreed.", new_status="in_progress")
    assert "Terms of reference agreed." in lines_html(brief_page(client, users["member"], tenth))
    assert len(built) == 2


def test_a_brief_kept_in_one_process_is_not_shown_once_another_changed_the_data(demo, client):
    """Each process keeps the briefs it read last; a write made by another process (here: a row changed behind the
    ORM's back, then the shared data version replaced, as that process's signals would) shows at the next read."""
    users, tenth = demo
    title = "Exchanged threat assessments"
    assert title not in brief_page(client, users["member"], tenth)
    research = Commitment.objects.get(title__startswith="Launch joint research")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE commitments_commitment SET title = %s WHERE id = %s", [title, research.pk])
    assert title not in brief_page(client, users["member"], tenth)  # kept: the same data version
    cache.set(data_version_module.KEY, uuid.uuid4().hex, None)  # as another process's write would
    assert title in brief_page(client, users["member"], tenth)


def lines_html(page: str) -> str:
    return page[page.index('<section class="mb-4"') :]


def test_restricted_lines_are_never_shown_from_another_readers_copy_and_a_grant_shows_at_once(demo, client):
    users, tenth = demo
    ninth = Meeting.objects.get(group=tenth.group, number=9)
    secret = CommitmentFactory(
        meeting=ninth, owner=users["owner"], title="Hawala network: source names", restricted=True
    )
    member = users["member"]
    assert secret.title in brief_page(client, users["coordinator"], tenth)
    assert secret.title not in brief_page(client, member, tenth)
    assert secret.title in brief_page(client, users["coordinator"], tenth)

    secret.access_granted_to.add(member)
    assert secret.title in brief_page(client, member, tenth)
    secret.access_granted_to.remove(member)
    assert secret.title not in brief_page(client, member, tenth)
    assert secret.title in brief_page(client, users["owner"], tenth)


def test_a_readers_lines_are_checked_once_per_data_version_and_a_restriction_shows_at_once(demo, client):
    """Which of the brief's lines a reader may see is kept with the brief: read again, the page asks the database
    nothing about the commitments; restricting one, or lifting it, shows at once."""
    users, tenth = demo
    ninth = Meeting.objects.get(group=tenth.group, number=9)
    secret = CommitmentFactory(meeting=ninth, owner=users["owner"], title="Hawala network: source names")
    member = users["member"]
    assert secret.title in brief_page(client, member, tenth)
    with CaptureQueriesContext(connection) as queries:
        assert secret.title in brief_page(client, member, tenth)
    assert not [q for q in queries if 'FROM "commitments_commitment"' in q["sql"]]

    secret.restricted = True
    secret.save_versioned(secret.version)
    assert secret.title not in brief_page(client, member, tenth)
    assert secret.title in brief_page(client, users["owner"], tenth)
    secret.restricted = False
    secret.save_versioned(secret.version)
    assert secret.title in brief_page(client, member, tenth)


def test_a_login_keeps_the_brief_and_a_new_name_does_not(demo, client, monkeypatch):
    """A write that changes nothing the brief shows (a login's time) does not make it be built again."""
    users, tenth = demo
    built = []
    monkeypatch.setattr(brief_module, "build_brief", lambda meeting: built.append(meeting) or build_brief(meeting))
    brief_page(client, users["member"], tenth)
    update_last_login(None, users["member"])  # what every login saves
    brief_page(client, users["member"], tenth)
    assert len(built) == 1
    users["member"].first_name = "Renamed"
    users["member"].save()
    brief_page(client, users["member"], tenth)
    assert len(built) == 2


def test_only_coordinators_freeze(demo, client):
    users, tenth = demo
    client.force_login(users["owner"])
    assert client.post(reverse("meetings:brief-freeze", args=[tenth.pk])).status_code == 403
    assert not BriefSnapshot.objects.exists()


# --- Exports --------------------------------------------------------------------------------------------


def test_the_export_follows_the_filter_and_names_it(demo, client):
    users, _ = demo
    client.force_login(users["owner"])
    response = client.get(reverse("commitments:export", args=["csv"]) + "?owner=mine&overdue=true")
    assert response["Content-Disposition"] == (
        'attachment; filename="commitments_overdue-true_owner-mine_2026-11-28.csv"'
    )
    rows = csv_rows(response.content)
    assert {r["Commitment"] for r in rows} == {
        "Share intelligence on terrorist groups and their movements",
        "Cooperate on countering terror financing through new technologies",
    }
    assert {r["Overdue"] for r in rows} == {"yes"}


def test_the_excel_export_has_the_same_rows(demo, client):
    users, _ = demo
    client.force_login(users["member"])
    rows = xlsx_rows(client.get(reverse("commitments:export", args=["xlsx"])).content)
    titles = [row[1] for row in rows[1:]]
    assert len(titles) == 8
    assert "Exchange information on cyber incidents affecting critical infrastructure" not in titles


def test_an_outsiders_export_has_nothing_of_our_group(demo, client):
    users, tenth = demo
    client.force_login(users["outsider"])
    url = reverse("commitments:export", args=["csv"])
    rows = csv_rows(client.get(url + "?q=intelligence").content)
    assert rows == []
    rows = csv_rows(client.get(url).content)
    assert {r["Working group"] for r in rows} == {"India–Japan JWG-Cyber (demo)"}
    assert client.get(url + f"?group={tenth.group_id}").status_code == 400  # not a group they may choose


def test_spreadsheet_formulas_in_user_text_are_neutralised(meeting, owner, client):
    CommitmentFactory(meeting=meeting, owner=owner, title='=HYPERLINK("http://evil","x")')
    client.force_login(owner)
    content = client.get(reverse("commitments:export", args=["csv"])).content.decode()
    assert "'=HYPERLINK" in content


def test_a_bad_export_filter_is_a_400(owner, client):
    client.force_login(owner)
    response = client.get(reverse("commitments:export", args=["csv"]) + "?follow_up_before=soon")
    assert response.status_code == 400
    assert "Enter a valid date" in response.content.decode()


# --- Calendars -----------------------------------------------------------------------------------------


def feed_events(client, user) -> dict:
    feed = CalendarFeed.objects.get_or_create(user=user)[0]
    response = client.get(feed.secret_path())
    assert response.status_code == 200
    return {str(e["uid"]): e for e in Calendar.from_ical(response.content).walk("VEVENT")}


def test_the_feed_has_the_groups_meetings_and_my_follow_ups(demo, client):
    users, tenth = demo
    events = feed_events(client, users["owner"])
    meetings = Meeting.objects.filter(group__slug="india-uzbekistan-jwg-ct", start_date__isnull=False)
    mine = Commitment.objects.open().filter(owner=users["owner"])
    assert set(events) == {meeting_uid(m) for m in meetings} | {follow_up_uid(c) for c in mine}
    ninth = events[meeting_uid(Meeting.objects.get(number=9, group=tenth.group))]
    assert ninth.decoded("dtstart") == datetime.date(2025, 9, 30)
    assert ninth.decoded("dtend") == datetime.date(2025, 10, 2)  # all-day, exclusive end


def test_a_moved_meeting_keeps_its_uid(demo, client):
    users, tenth = demo
    tenth.status, tenth.start_date = "scheduled", datetime.date(2027, 3, 12)
    tenth.save()
    uid = meeting_uid(tenth)
    before = feed_events(client, users["member"])[uid]
    assert before.decoded("dtstart") == datetime.date(2027, 3, 12)
    tenth.start_date = datetime.date(2027, 3, 19)
    tenth.save()
    after = feed_events(client, users["member"])[uid]
    assert after.decoded("dtstart") == datetime.date(2027, 3, 19)
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1  # calendar clients take the new date
    assert after.decoded("LAST-MODIFIED") >= before.decoded("LAST-MODIFIED")
    tenth.venue = "Hyderabad House"
    tenth.save()
    assert feed_events(client, users["member"])[uid]["SEQUENCE"] == after["SEQUENCE"]  # the date did not move


def test_uids_stay_when_the_site_address_changes(demo, client, settings):
    users, _ = demo
    before = set(feed_events(client, users["owner"]))
    settings.SITE_URL = "https://commitments.intranet.example"
    assert set(feed_events(client, users["owner"])) == before


def test_the_feed_is_named(demo, client):
    users, _ = demo
    feed = CalendarFeed.objects.get_or_create(user=users["owner"])[0]
    calendar = Calendar.from_ical(client.get(feed.secret_path()).content)
    assert str(calendar["X-WR-CALNAME"]) == f"Commitments — {users['owner'].get_full_name()}"


def test_a_revoked_feed_address_is_gone(demo, client):
    users, _ = demo
    feed = CalendarFeed.objects.create(user=users["owner"])
    old_url = feed.secret_path()
    client.force_login(users["owner"])
    client.post(reverse("calendar-revoke"))
    client.logout()
    assert client.get(old_url).status_code == 404
    feed.refresh_from_db()
    assert client.get(feed.secret_path()).status_code == 200


def test_the_feed_of_a_deactivated_user_is_gone(demo, client):
    users, _ = demo
    feed = CalendarFeed.objects.create(user=users["owner"])
    users["owner"].is_active = False
    users["owner"].save()
    assert client.get(feed.secret_path()).status_code == 404


def test_a_meeting_downloads_as_an_ics(demo, client):
    users, tenth = demo
    ninth = Meeting.objects.get(group=tenth.group, number=9)
    client.force_login(users["member"])
    response = client.get(reverse("meetings:calendar", args=[ninth.pk]))
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["summary"]) == "9th meeting of the India–Uzbekistan Joint Working Group on Counter Terrorism"
    assert re.search(r"Tashkent", str(event["location"]))
    assert client.get(reverse("meetings:calendar", args=[tenth.pk])).status_code == 404  # no date yet
