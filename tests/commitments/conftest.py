"""The 10th meeting, hosted by our side on D: the session the reminder and need-to-know tests look ahead to."""

import datetime

import pytest
from django.utils import timezone

from tests.factories import MeetingFactory

D = datetime.date(2027, 3, 12)
TODAY = D - datetime.timedelta(days=7)  # the day a week before it, at half past nine
NOW = timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(9, 30)))


@pytest.fixture
def tenth(group):
    return MeetingFactory(
        group=group, number=10, host_country="IN", city="New Delhi", status="scheduled", start_date=D, end_date=None
    )
