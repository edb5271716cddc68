"""Personas and shared fixtures.

The personas of one working group (the India–Uzbekistan JWG on Counter Terrorism):
`coordinator` manages it, `owner` owns a commitment in it, `member` reads it;
`outsider` belongs only to another group, which `other_coordinator` manages; `superuser` sees
everything; `granted` is a member to whom a test grants access to a restricted commitment.
`alice` is in the `directory` (a real one), and logs in through it once `directory_login` is on.
"""

import datetime
import os
import time
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import override_settings
from django.utils.functional import empty

from commitments.models import ATTACHMENT_STORAGE, Category, Commitment
from config.celery import app as celery_app
from config.settings import directory_settings
from meetings.models import Membership
from tests.directory import PEOPLE, SERVICE_DN, SERVICE_PASSWORD, USER_FILTER, Directory
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
# Where the suite keeps attached files (the live tests' Celery worker reads them there too): a folder for each of
# the processes that run the suite side by side (make test), which count the files they store.
ATTACHMENT_DIR = (
    Path(__file__).resolve().parents[1] / "var" / "test-attachments" / os.environ.get("PYTEST_XDIST_WORKER", "main")
)
# The queue of the tasks this process's tests queue, and of the workers they start (which inherit the environment):
# one for each process running the suite side by side, so that the live tests' workers take their own tests' tasks
# only, never those another process's tests left on the broker.
os.environ["CELERY_QUEUE"] = f"tests-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
celery_app.conf.task_default_queue = os.environ["CELERY_QUEUE"]


def database_use(item: pytest.Item) -> int:
    """0: in a transaction rolled back after the test; 1: committed (a live server's, a browser's), then flushed,
    and with it the rows the data migrations wrote (the categories); 2: none."""
    fixtures = item.fixturenames
    if "transactional_db" in fixtures or "live_server" in fixtures:
        return 1
    return 0 if "db" in fixtures else 2


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """pytest-django runs the tests that commit after those that roll back, which need the categories; pytest's own
    grouping of tests by a parameter of wider scope, after it, can undo that (a test parametrized by a name that is
    also a fixture, `page`, took the browser's parameter and pulled the browser tests before others: CI then found
    the categories missing). The order is set again, keeping pytest's grouping within each kind."""
    items.sort(key=database_use)


@pytest.fixture(autouse=True, scope="session")
def _test_settings():
    with override_settings(
        # Production serves hashed files from `collectstatic`; the suite does not run it.
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            "attachments": {
                **django_settings.STORAGES["attachments"],
                "OPTIONS": {**django_settings.STORAGES["attachments"]["OPTIONS"], "location": str(ATTACHMENT_DIR)},
            },
        },
        # A deliberately slow password hash is the point in production and a waste here.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        # Throttle counters start from nothing in every test (see _empty_cache), not from var/cache.
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    ):
        ATTACHMENT_STORAGE._wrapped = empty  # looked up again, in the suite's folder
        yield
    ATTACHMENT_STORAGE._wrapped = empty


@pytest.fixture(autouse=True)
def _no_connection_left_open(request, django_db_blocker):
    """After a test that commits (PostgreSQL): no other session still has the test database open.

    What such a test starts beside it (a live server's threads, threads of its own, worker processes) has a database
    connection of its own. A live server closes its thread's connection only when the client closes its socket, so a
    client left open holds the database until the suite ends, which then cannot drop it. Whatever was stopped is
    given a few seconds to be gone."""
    yield
    from django.db import connection

    if database_use(request.node) != 1 or connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock():
        for _ in range(50):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT left(query, 120) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                left_open = [query for (query,) in cursor.fetchall()]
            if not left_open:
                return
            time.sleep(0.1)
    pytest.fail(f"the test left {len(left_open)} other database session(s) open, the last queries: {left_open}")


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


ALICE_PASSWORD = "alice-directory-pw"
LOCAL_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]


def directory_environment(directory) -> dict[str, str]:
    """What an operator sets to log in through this directory."""
    return {
        "LDAP_SERVER_URI": directory.uri,
        "LDAP_BIND_DN": SERVICE_DN,
        "LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
        "LDAP_USER_SEARCH_BASE": PEOPLE,
        "LDAP_USER_FILTER": USER_FILTER,
    }


@pytest.fixture
def directory(tmp_path):
    """A real directory (OpenLDAP's slapd) of its own, with alice in it."""
    server = Directory(tmp_path / "directory")
    server.start()
    server.populate()
    server.alice = server.add_user("alice", ALICE_PASSWORD, "Alice", "Rao", "alice.rao@example.org")
    yield server
    server.remove()


@pytest.fixture
def directory_login(directory, settings, monkeypatch, db):
    """Sets the LDAP_* variables (these, over a working base) and loads the settings from them, as at start-up."""

    def _configure(**environ):
        for name, value in {**directory_environment(directory), **environ}.items():
            monkeypatch.setenv(name, value)
        for name, value in directory_settings().items():
            setattr(settings, name, value)
        settings.AUTHENTICATION_BACKENDS = [*LOCAL_BACKENDS, "config.directory.DirectoryBackend"]

    _configure()
    return _configure
