"""Personas and shared fixtures.

The personas of one working group (the India–Uzbekistan JWG on Counter Terrorism):
`coordinator` manages it, `owner` owns a commitment in it, `member` reads it;
`outsider` belongs only to another group, which `other_coordinator` manages; `superuser` sees
everything; `granted` is a member to whom a test grants access to a restricted commitment.
"""

import datetime

import pytest
import time_machine
from django.test import override_settings

from commitments.models import Category, Commitment
from meetings.models import Membership
from tests.factories import (
    CommitmentFactory,
    MeetingFactory,
    MembershipFactory,
    UserFactory,
    WorkingGroupFactory,
)
from tests.filter_cases import DAY, TODAY
from tests.smtp import SMTPServer

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True, scope="session")
def _test_settings(tmp_path_factory):
    with override_settings(
        # Production serves hashed files from `collectstatic`; the suite does not run it.
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            # Attachments in a folder of the test run's own, not under var/.
            "attachments": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(tmp_path_factory.mktemp("attachments")), "base_url": None},
            },
        },
        # A deliberately slow password hash is the point in production and a waste here.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        # Throttle counters start from nothing in every test (see _empty_cache), not from var/cache.
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    ):
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def group(db):
    return WorkingGroupFactory(
        name="India–Uzbekistan Joint Working Group on Counter Terrorism",
        short_name="India–Uzbekistan JWG-CT",
        slug="india-uzbekistan-jwg-ct",
    )


@pytest.fixture
def other_group(db):
    return WorkingGroupFactory(name="India–Japan Joint Working Group on Cyber Security", partner_countries=["JP"])


@pytest.fixture
def meeting(group):
    return MeetingFactory(group=group, number=9, host_country="UZ", city="Tashkent")


@pytest.fixture
def coordinator(group):
    return member_of(group, "coordinator", Membership.Role.COORDINATOR)


@pytest.fixture
def owner(group):
    return member_of(group, "owner")


@pytest.fixture
def owner2(group):
    """A second owner in the group."""
    return member_of(group, "owner2")


@pytest.fixture
def member(group):
    return member_of(group, "member")


@pytest.fixture
def granted(group):
    """A member to be granted access to one restricted commitment."""
    return member_of(group, "granted")


def member_of(group, username: str, role=Membership.Role.MEMBER):
    user = UserFactory(username=username, is_staff=role == Membership.Role.COORDINATOR)
    MembershipFactory(group=group, user=user, role=role)
    return user


@pytest.fixture
def outsider(other_group):
    """A member of another working group only."""
    return member_of(other_group, "outsider")


@pytest.fixture
def other_coordinator(other_group):
    """The coordinator of another working group: staff, with the admin panel, but none of ours."""
    return member_of(other_group, "other_coordinator", Membership.Role.COORDINATOR)


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def commitment(meeting, owner):
    return CommitmentFactory(meeting=meeting, owner=owner)


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server the app sends to, for the length of a test. Every message it accepts must parse under
    email.policy.strict with no defect in any part."""
    server = SMTPServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    yield server
    server.stop()
    assert server.handler.defects == []


@pytest.fixture
def filter_rows(meeting, owner, member, group):
    """Commitments that differ in one filterable attribute each (see tests/filter_cases.py), seen on TODAY."""
    traveller = time_machine.travel(datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=datetime.UTC))
    traveller.start()
    research = Category.objects.get(slug="research")
    other_meeting = MeetingFactory(group=group, number=8, start_date=datetime.date(2019, 7, 16), end_date=None)
    yield {
        "mine_overdue": CommitmentFactory(
            meeting=meeting, owner=owner, follow_up_date=TODAY - DAY, title="Share intelligence on movements"
        ),
        "mine_later": CommitmentFactory(
            meeting=meeting,
            owner=owner,
            follow_up_date=TODAY + 30 * DAY,
            title="Joint training programmes",
            lead_agency="Ministry of Home Affairs",
        ),
        "research": CommitmentFactory(
            meeting=meeting,
            owner=member,
            category=research,
            follow_up_date=TODAY + 10 * DAY,
            title="Joint research",
            description="Drivers of radicalization",
            responsible_side=Commitment.Side.PARTNER,
        ),
        "no_owner": CommitmentFactory(meeting=meeting, owner=None, follow_up_date=None, title="Best practices"),
        "done": CommitmentFactory(
            meeting=other_meeting,
            owner=member,
            status=Commitment.Status.DONE,
            follow_up_date=TODAY - 100 * DAY,
            title="Threat assessment",
        ),
    }
    traveller.stop()


@pytest.fixture
def login(client):
    """Log the test client in as a persona: `login(coordinator)`."""

    def _login(user):
        client.force_login(user)
        return client

    return _login
