"""A user's private calendar: the meetings of their working groups and the follow-up dates of their commitments."""

import datetime

from django.conf import settings
from django.utils import timezone
from icalendar import Event

from commitments.models import Commitment
from config.display import person
from meetings.calendar import calendar, meeting_event, uid_domain
from meetings.models import Meeting


def follow_up_uid(commitment: Commitment) -> str:
    return f"commitment-{commitment.pk}-follow-up@{uid_domain()}"


def follow_up_event(commitment: Commitment) -> Event:
    event = Event()
    event.add("uid", follow_up_uid(commitment))
    event.add("dtstamp", timezone.now())
    event.add("sequence", commitment.version)  # raised by every save: a moved date is taken
    event.add("last-modified", commitment.updated_at)
    event.add("summary", f"Follow-up: {commitment.outside_label()}")
    event.add("dtstart", commitment.follow_up_date)
    event.add("dtend", commitment.follow_up_date + datetime.timedelta(days=1))
    event.add("url", settings.SITE_URL + commitment.get_absolute_url())
    return event


def user_feed(user) -> bytes:
    meetings = Meeting.objects.visible_to(user).filter(start_date__isnull=False).select_related("group")
    follow_ups = Commitment.objects.visible_to(user).open().filter(owner=user, follow_up_date__isnull=False)
    name = f"Commitments — {person(user)}"
    return calendar([*(meeting_event(m) for m in meetings), *(follow_up_event(c) for c in follow_ups)], name)
