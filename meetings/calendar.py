"""Meetings as iCalendar events: all-day events with UIDs that stay the same when a date moves."""

import datetime

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from config.display import plain_line
from meetings.models import Meeting

PRODUCT_ID = "-//Commitments tracker//EN"
# RFC 5545 STATUS: dates entered while the date is still to be agreed are tentative.
EVENT_STATUS = {Meeting.Status.PLANNED: "TENTATIVE", Meeting.Status.CANCELLED: "CANCELLED"}


def uid_domain() -> str:
    """The right-hand side of every UID: a setting of its own, so that a new site address changes no UID."""
    return settings.CALENDAR_UID_DOMAIN


def meeting_uid(meeting: Meeting) -> str:
    """Stable for the life of the meeting, so calendar clients update the event rather than duplicate it."""
    return f"meeting-{meeting.pk}@{uid_domain()}"


def meeting_event(meeting: Meeting) -> Event | None:
    """The meeting as an all-day event (tentative while its dates are provisional); None while it has no date."""
    if meeting.start_date is None:
        return None
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("dtstamp", timezone.now())
    event.add("sequence", meeting.calendar_sequence)
    event.add("last-modified", meeting.updated_at)
    provisional = " (provisional dates)" if meeting.is_provisional else ""
    event.add("summary", plain_line(f"{meeting.title} of the {meeting.group.name}{provisional}"))
    event.add("dtstart", meeting.start_date)
    # DTEND of an all-day event is exclusive: the day after the last day.
    event.add("dtend", (meeting.end_date or meeting.start_date) + datetime.timedelta(days=1))
    parts = [plain_line(part) for part in (meeting.venue, meeting.city, meeting.host_country.name)]
    event.add("location", ", ".join(part for part in parts if part))
    event.add("status", EVENT_STATUS.get(meeting.status, "CONFIRMED"))
    event.add("url", settings.SITE_URL + meeting.get_absolute_url())
    return event


def calendar(events, name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODUCT_ID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", plain_line(name))
    for event in events:
        if event is not None:
            cal.add_component(event)
    return cal.to_ical()


def meeting_ics(meeting: Meeting) -> bytes:
    return calendar([meeting_event(meeting)], f"{meeting.title} of the {meeting.group.name}")
