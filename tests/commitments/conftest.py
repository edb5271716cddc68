"""The 10th meeting, hosted by our side on D: the session the reminder and need-to-know tests look ahead to.
The demo data as seeded on DEMO_DAY: what the brief and document tests read."""

import datetime
import io

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from meetings.models import Meeting
from tests.factories import MeetingFactory

D = datetime.date(2027, 3, 12)
TODAY = D - datetime.timedelta(days=7)  # the day a week before it, at half past nine
NOW = timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(9, 30)))
DEMO_DAY = datetime.date(2026, 11, 28)


@pytest.fixture
def tenth(group):
    return MeetingFactory(
        group=group, number=10, host_country="IN", city="New Delhi", status="scheduled", start_date=D, end_date=None
    )


@pytest.fixture
def demo(db):
    """The demo data, seeded on DEMO_DAY: ({username: user}, the 10th meeting of the India–Uzbekistan JWG-CT)."""
    with time_machine.travel(datetime.datetime(2026, 11, 28, 10, 0, tzinfo=datetime.UTC), tick=False):
        call_command("seed_demo", password="demo-password-for-tests", stdout=io.StringIO())
    users = {user.username: user for user in get_user_model().objects.all()}
    tenth = Meeting.objects.get(group__slug="india-uzbekistan-jwg-ct", number=10)
    return users, tenth


@pytest.fixture
def on_the_demo_day():
    with time_machine.travel(datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.UTC), tick=True):
        yield
