"""Dates entered on a meeting whose date is still to be agreed are provisional, and every page says so."""

import datetime

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from commitments.models import CalendarFeed, Reminder
from commitments.reminders import delivery, planning
from meetings.calendar import meeting_uid
from meetings.forms import latest_record_id
from meetings.models import Meeting
from tests.factories import EMPTY_ROWS, CommitmentFactory, MeetingFactory

PROVISIONAL = "provisional: 12–13 January 2027"
TODAY = datetime.date(2026, 11, 30)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(
        datetime.datetime(2026, 11, 30, 9, 30, tzinfo=timezone.get_current_timezone()), tick=False
    ):
        yield


@pytest.fixture
def tenth(group):
    return MeetingFactory(
        group=group,
        number=10,
        city="",
        status=Meeting.Status.PLANNED,
        start_date=datetime.date(2027, 1, 12),
        end_date=datetime.date(2027, 1, 13),
    )


def form_data(meeting: Meeting, **changes) -> dict:
    data = {
        "group": meeting.group_id,
        "number": meeting.number,
        "status": meeting.status,
        "host_country": meeting.host_country.code,
        "city": meeting.city,
        "venue": meeting.venue,
        "start_date": meeting.start_date.isoformat() if meeting.start_date else "",
        "end_date": meeting.end_date.isoformat() if meeting.end_date else "",
        "outcome_summary": "",
        "record_reference": "",
        "opened": latest_record_id(meeting) if meeting.pk else "",
        **EMPTY_ROWS,
    }
    return {**data, **changes}


def test_a_planned_meeting_with_dates_reads_as_provisional(tenth):
    assert tenth.is_provisional
    assert tenth.dates_display == PROVISIONAL
    assert tenth.summary == f"10th meeting, India, {PROVISIONAL}"
    assert tenth.countdown(TODAY) == PROVISIONAL


def test_a_planned_meeting_without_dates_is_to_be_agreed_and_a_scheduled_one_firm(group, tenth):
    tenth.start_date = tenth.end_date = None
    assert not tenth.is_provisional
    assert tenth.dates_display == "date to be agreed"
    eleventh = MeetingFactory(
        group=group, number=11, status="scheduled", start_date=datetime.date(2027, 1, 12), end_date=None
    )
    assert not eleventh.is_provisional
    assert eleventh.dates_display == "12 January 2027"


def test_the_meeting_page_the_list_and_the_dashboard_show_the_provisional_dates(login, member, tenth, meeting):
    client = login(member)
    for url in (tenth.get_absolute_url(), reverse("meetings:list"), reverse("dashboard")):
        content = client.get(url).content.decode()
        assert PROVISIONAL in content, url


def test_the_brief_says_the_dates_once_and_provisional(login, member, tenth, meeting):
    content = login(member).get(reverse("meetings:brief", args=[tenth.pk])).content.decode()
    assert f"Hosted by India — {PROVISIONAL}" in content
    assert "Planned — date to be agreed" not in content


def test_the_brief_of_a_meeting_to_be_agreed_says_so_once(login, member, tenth, meeting):
    tenth.start_date = tenth.end_date = None
    tenth.save()
    content = login(member).get(reverse("meetings:brief", args=[tenth.pk])).content.decode()
    assert content.count("date to be agreed") == 1


def event_of(ics: bytes):
    (event,) = Calendar.from_ical(ics).walk("VEVENT")
    return event


def test_the_meetings_calendar_file_offers_a_tentative_event(login, member, tenth):
    response = login(member).get(reverse("meetings:calendar", args=[tenth.pk]))
    event = event_of(response.content)
    assert event["STATUS"] == "TENTATIVE"
    assert event.decoded("DTSTART") == datetime.date(2027, 1, 12)
    assert "provisional" in str(event["SUMMARY"])


def test_a_scheduled_meeting_is_a_confirmed_event(login, member, tenth):
    tenth.status = Meeting.Status.SCHEDULED
    tenth.save()
    event = event_of(login(member).get(reverse("meetings:calendar", args=[tenth.pk])).content)
    assert event["STATUS"] == "CONFIRMED"
    assert "provisional" not in str(event["SUMMARY"])


def test_the_private_feed_marks_the_provisional_meeting_tentative(client, member, tenth):
    feed = CalendarFeed.objects.create(user=member)
    calendar = Calendar.from_ical(client.get(feed.secret_path()).content)
    statuses = {str(e["UID"]): str(e["STATUS"]) for e in calendar.walk("VEVENT")}
    assert statuses[meeting_uid(tenth)] == "TENTATIVE"


def test_entering_dates_on_a_planned_meeting_asks_whether_they_are_agreed(login, coordinator, group):
    tenth = MeetingFactory(group=group, number=10, city="", status="planned", start_date=None, end_date=None)
    client = login(coordinator)
    response = client.post(
        reverse("meetings:edit", args=[tenth.pk]), form_data(tenth, start_date="2027-01-12", end_date="2027-01-13")
    )
    assert response.status_code == 422
    content = response.content.decode()
    assert "Are these dates agreed?" in content
    assert "Schedule the meeting for 12–13 January 2027" in content
    assert "Keep them provisional" in content
    tenth.refresh_from_db()
    assert tenth.start_date is None  # nothing saved until the coordinator answers


def test_answering_agreed_schedules_the_meeting_and_plans_its_reminders(login, coordinator, owner, group, meeting):
    tenth = MeetingFactory(group=group, number=10, city="", status="planned", start_date=None, end_date=None)
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=None)
    data = form_data(tenth, start_date="2027-01-12", end_date="2027-01-13", dates="agreed")
    response = login(coordinator).post(reverse("meetings:edit", args=[tenth.pk]), data)
    assert response.status_code == 302
    tenth.refresh_from_db()
    assert (tenth.status, tenth.start_date) == (Meeting.Status.SCHEDULED, datetime.date(2027, 1, 12))
    planning.plan(datetime.date(2026, 12, 13))  # 30 days before
    assert Reminder.objects.filter(reason=Reminder.Reason.PRE_SESSION, recipient=owner, lead_days=30).exists()


def test_answering_provisional_keeps_the_dates_provisional(login, coordinator, group):
    tenth = MeetingFactory(group=group, number=10, city="", status="planned", start_date=None, end_date=None)
    data = form_data(tenth, start_date="2027-01-12", end_date="2027-01-13", dates="provisional")
    response = login(coordinator).post(reverse("meetings:edit", args=[tenth.pk]), data)
    assert response.status_code == 302
    tenth.refresh_from_db()
    assert tenth.is_provisional
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(PROVISIONAL in m and "no reminders" in m for m in messages), messages


def test_saving_a_provisional_meeting_again_without_touching_its_dates_asks_nothing(login, coordinator, tenth):
    response = login(coordinator).post(
        reverse("meetings:edit", args=[tenth.pk]), form_data(tenth, venue="Hyderabad House")
    )
    assert response.status_code == 302
    tenth.refresh_from_db()
    assert tenth.venue == "Hyderabad House"


def test_a_new_meeting_with_dates_and_status_planned_is_asked_about_too(login, coordinator, group, meeting):
    data = form_data(
        MeetingFactory.build(
            group=group,
            number=10,
            status="planned",
            city="",
            start_date=datetime.date(2027, 1, 12),
            end_date=datetime.date(2027, 1, 13),
        )
    )
    response = login(coordinator).post(reverse("meetings:create"), data)
    assert response.status_code == 422
    assert "Are these dates agreed?" in response.content.decode()
    assert not Meeting.objects.filter(number=10).exists()


def test_the_admin_panel_warns_that_saved_dates_are_provisional(login, coordinator, group):
    tenth = MeetingFactory(group=group, number=10, city="", status="planned", start_date=None, end_date=None)
    url = reverse("admin:meetings_meeting_change", args=[tenth.pk])
    client = login(coordinator)
    page = client.get(url)
    data = {
        **{k: v for k, v in form_data(tenth, start_date="2027-01-12", end_date="2027-01-13").items()},
        **management_forms(page),
    }
    response = client.post(url, data, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert any(PROVISIONAL in m and "Scheduled" in m for m in messages), messages


def management_forms(page) -> dict:
    """The admin page's inline formsets, posted back with no rows (the meeting has none yet)."""
    return {
        f"{inline.formset.prefix}-{key}": 0 if key == "TOTAL_FORMS" else value
        for inline in page.context["inline_admin_formsets"]
        for key, value in inline.formset.management_form.initial.items()
    }


def test_the_coordinators_nudge_mentions_the_provisional_dates(tenth, meeting, owner, coordinator, smtp_server):
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=None)
    day = datetime.date(2025, 10, 1) + datetime.timedelta(days=30)  # 30 days after the 9th ended
    with time_machine.travel(
        datetime.datetime(day.year, day.month, day.day, 9, 30, tzinfo=timezone.get_current_timezone())
    ):
        planning.plan(day)
        delivery.send_due(timezone.now())
    (message,) = [m for m in smtp_server.messages if m["To"].addresses[0].username == "coordinator"]
    body = message.get_body(("plain",)).get_content()
    assert "date still to be agreed" in str(message["Subject"])
    assert PROVISIONAL.replace("provisional: ", "") in body
    assert "Scheduled" in body


def test_calendar_files_read_back_with_another_parser(login, client, member, tenth):
    """vobject, not the library that writes them, reads the meeting's file and the private feed."""
    import vobject

    meeting_file = login(member).get(reverse("meetings:calendar", args=[tenth.pk])).content.decode()
    calendar = vobject.readOne(meeting_file)
    assert calendar.method.value == "PUBLISH"
    event = calendar.vevent
    assert (event.status.value, event.dtstart.value, event.sequence.value) == (
        "TENTATIVE",
        datetime.date(2027, 1, 12),
        "0",
    )
    assert event.uid.value == meeting_uid(tenth)

    tenth.start_date, tenth.end_date = datetime.date(2027, 1, 19), None
    tenth.save()
    feed = CalendarFeed.objects.create(user=member)
    events = {e.uid.value: e for e in vobject.readOne(client.get(feed.secret_path()).content.decode()).vevent_list}
    moved = events[meeting_uid(tenth)]
    assert (moved.dtstart.value, moved.sequence.value) == (datetime.date(2027, 1, 19), "1")
    assert moved.last_modified.value is not None


def test_calendar_uids_stay_when_the_site_address_changes(client, meeting, owner, tenth, settings):
    """A calendar client that imported the feed updates its events after the site moves, instead of adding twins."""
    import vobject

    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=datetime.date(2027, 2, 1))
    feed = CalendarFeed.objects.create(user=owner)

    def events() -> dict[str, str]:
        calendar = vobject.readOne(client.get(feed.secret_path()).content.decode())
        return {event.uid.value: event.url.value for event in calendar.vevent_list}

    settings.SITE_URL = "http://127.0.0.1:8000"
    before = events()
    settings.SITE_URL = "https://commitments.intranet.example"
    after = events()
    assert len(before) == 3 and set(before) == set(after)  # the two meetings and the follow-up date
    assert all(uid.endswith("@commitments-tracker.local") for uid in after)  # CALENDAR_UID_DOMAIN
    assert all(url.startswith("https://commitments.intranet.example/") for url in after.values())


def test_calendars_of_names_with_line_breaks_still_open(login, client, group, member, tenth):
    """A line break in a group's or a person's name (the admin panel takes one) is written as a space."""
    group.name = "India–Uzbekistan Joint Working Group\r\non Counter Terrorism"
    group.save()
    member.first_name = "Rohan\nSharma"
    member.save()
    meeting_file = login(member).get(reverse("meetings:calendar", args=[tenth.pk]))
    assert meeting_file.status_code == 200
    feed = CalendarFeed.objects.create(user=member)
    answer = client.get(feed.secret_path())
    assert answer.status_code == 200
    unfolded = answer.content.decode().replace("\r\n ", "")
    assert "X-WR-CALNAME:Commitments — Rohan Sharma" in unfolded
    assert "of the India–Uzbekistan Joint Working Group on Counter Terrorism" in unfolded
