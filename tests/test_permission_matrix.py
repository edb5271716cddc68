"""What every persona gets from every URL: the web UI, the API, the admin panel, feeds and exports.

The test enumerates the URLconf, so a new URL without an entry here fails. Seven personas: the
anonymous, an outsider (another group), a member, a member granted access to the restricted
commitment, its owner, the group's coordinator and a superuser. The commitment in the URLs is
restricted, so members who were not granted access get 404 as if it did not exist. Every answer
also carries the security headers, and an answer to a logged-in user is never stored.
"""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from commitments.brief import build_brief
from commitments.models import BriefSnapshot, CalendarFeed, Commitment, NotificationPreference, Reminder
from commitments.notifications import unsubscribe_token
from meetings.models import Membership
from tests.factories import AgendaTopicFactory, CommitmentFactory, MeetingFactory, ParticipantFactory, api_token

PERSONAS = ["anonymous", "outsider", "member", "granted", "owner", "coordinator", "superuser"]
STAFF = {"coordinator", "superuser"}
LOGIN = "login"  # a redirect to the login page
ADMIN_LOGIN = "admin login"  # a redirect to the admin's login page

# (url name, method): {persona: expected status}; a persona left out expects the "*" entry.
MATRIX = {
    # --- Web UI -----------------------------------------------------------------------------
    ("dashboard", "get"): {"anonymous": LOGIN, "*": 200},
    ("meetings:list", "get"): {"anonymous": LOGIN, "*": 200},
    ("meetings:create", "get"): {"anonymous": LOGIN, "coordinator": 200, "superuser": 200, "*": 403},
    ("meetings:detail", "get"): {"anonymous": LOGIN, "outsider": 404, "*": 200},
    ("meetings:edit", "get"): {"anonymous": LOGIN, "outsider": 404, "coordinator": 200, "superuser": 200, "*": 403},
    ("meetings:brief", "get"): {"anonymous": LOGIN, "outsider": 404, "*": 200},
    ("meetings:brief-download", "get"): {"anonymous": LOGIN, "outsider": 404, "*": 200},
    ("meetings:brief-freeze", "post"): {
        "anonymous": LOGIN,
        "outsider": 404,
        "coordinator": 302,
        "superuser": 302,
        "*": 403,
    },
    ("meetings:calendar", "get"): {"anonymous": LOGIN, "outsider": 404, "*": 200},
    ("commitments:list", "get"): {"anonymous": LOGIN, "*": 200},
    ("commitments:export", "get"): {"anonymous": LOGIN, "*": 200},
    ("commitments:create", "get"): {"anonymous": LOGIN, "coordinator": 200, "superuser": 200, "*": 403},
    # The restricted commitment: hidden from the member who was not granted access.
    ("commitments:detail", "get"): {"anonymous": LOGIN, "outsider": 404, "member": 404, "*": 200},
    ("commitments:edit", "get"): {"anonymous": LOGIN, "outsider": 404, "member": 404, "granted": 403, "*": 200},
    # An empty post: the form answers with its errors (422) to those allowed to post.
    ("commitments:progress", "post"): {"anonymous": LOGIN, "outsider": 404, "member": 404, "granted": 403, "*": 422},
    ("notification-settings", "get"): {"anonymous": LOGIN, "*": 200},
    # Signed by the link in a digest, so it answers without a login.
    ("notifications-unsubscribe", "get"): {"*": 200},
    # The private address is the authority: calendar clients cannot log in.
    ("calendar-feed", "get"): {"*": 200},
    ("calendar-revoke", "post"): {"anonymous": LOGIN, "*": 302},
    ("api-token", "post"): {"anonymous": LOGIN, "*": 422},  # an empty post: no lifetime chosen
    ("login", "get"): {"*": 200},
    ("logout", "post"): {"*": 302},
    ("password_change", "get"): {"anonymous": LOGIN, "*": 200},
    ("password_change_done", "get"): {"anonymous": LOGIN, "*": 200},
    ("password_reset", "get"): {"*": 200},
    ("password_reset_done", "get"): {"*": 200},
    ("password_reset_confirm", "get"): {"*": 200},
    ("password_reset_complete", "get"): {"*": 200},
    ("two-factor", "get"): {"anonymous": LOGIN, "*": 200},
    ("two-factor-verify", "get"): {"anonymous": LOGIN, "*": 302},  # no app set up: on to the page asked for
    ("two-factor-disable", "post"): {"anonymous": LOGIN, "*": 302},
    # --- API: 401 rather than a redirect ---------------------------------------------------------
    ("api-schema", "get"): {"anonymous": 401, "*": 200},
    ("api-docs", "get"): {"anonymous": LOGIN, "*": 200},  # read in a browser
    ("api:api-root", "get"): {"anonymous": 401, "*": 200},
    ("api:me", "get"): {"anonymous": 401, "*": 200},
    ("api:working-group-list", "get"): {"anonymous": 401, "*": 200},
    ("api:working-group-detail", "get"): {"anonymous": 401, "outsider": 404, "*": 200},
    ("api:category-list", "get"): {"anonymous": 401, "*": 200},
    ("api:category-detail", "get"): {"anonymous": 401, "*": 200},
    ("api:meeting-list", "get"): {"anonymous": 401, "*": 200},
    ("api:meeting-list", "post"): {"anonymous": 401, "coordinator": 400, "superuser": 400, "*": 403},
    ("api:meeting-detail", "get"): {"anonymous": 401, "outsider": 404, "*": 200},
    ("api:meeting-detail", "patch"): {
        "anonymous": 401,
        "outsider": 404,
        "coordinator": 200,
        "superuser": 200,
        "*": 403,
    },
    ("api:meeting-detail", "put"): {"anonymous": 401, "outsider": 404, "coordinator": 400, "superuser": 400, "*": 403},
    ("api:commitment-list", "get"): {"anonymous": 401, "*": 200},
    ("api:commitment-list", "post"): {"anonymous": 401, "coordinator": 400, "superuser": 400, "*": 403},
    ("api:commitment-detail", "get"): {"anonymous": 401, "outsider": 404, "member": 404, "*": 200},
    # Without If-Match or version: 428 for whoever may edit.
    ("api:commitment-detail", "patch"): {"anonymous": 401, "outsider": 404, "member": 404, "granted": 403, "*": 428},
    ("api:commitment-detail", "put"): {"anonymous": 401, "outsider": 404, "member": 404, "granted": 403, "*": 428},
    ("api:commitment-progress-updates", "get"): {"anonymous": 401, "outsider": 404, "member": 404, "*": 200},
    ("api:commitment-progress-updates", "post"): {
        "anonymous": 401,
        "outsider": 404,
        "member": 404,
        "granted": 403,
        "*": 400,
    },
}

# --- Admin panel: open to coordinators (their groups) and superusers; other models superusers only.
# {model: {view: (coordinator, superuser)}}: a view not listed answers 200 to both, or, for the
# models marked SUPERUSERS, 403 to coordinators and 200 to superusers.
SUPERUSERS = {"*": (403, 200)}
ADMIN_MODELS = {
    "meetings.workinggroup": {"add": (403, 200), "delete": (403, 200)},
    "meetings.meeting": {},
    "meetings.membership": {},
    "meetings.participant": {},
    "meetings.agendatopic": {},
    "commitments.commitment": {},
    "commitments.progressupdate": {},
    "commitments.category": {"add": (403, 200), "delete": (403, 200)},  # coordinators read the categories
    "commitments.reminder": {"add": (403, 403), "delete": (403, 200)},  # the outbox is written by the planner
    # Frozen from the brief page, which shows them; the rows themselves are records.
    "commitments.briefsnapshot": {**SUPERUSERS, "add": (403, 403)},
    # A user's own settings and secret calendar address.
    "commitments.calendarfeed": SUPERUSERS,
    "commitments.notificationpreference": SUPERUSERS,
    # Coordinators look users up to choose owners and members; accounts are the superusers'.
    "auth.user": {"add": (403, 200), "delete": (403, 200), "password_change": (403, 200)},
    "auth.group": SUPERUSERS,
    "knox.authtoken": {**SUPERUSERS, "add": (403, 403), "change": (403, 200)},  # read-only; delete revokes
    # Login records, written by django-axes only.
    "axes.accessattempt": {**SUPERUSERS, "add": (403, 403)},
    "axes.accesslog": {**SUPERUSERS, "add": (403, 403)},
    "axes.accessfailurelog": {**SUPERUSERS, "add": (403, 403)},
    "otp_totp.totpdevice": SUPERUSERS,  # each user sets up their own app; superusers may remove one
}
ADMIN_SITE = {  # the admin's own pages: name: (coordinator, superuser); they send others to the admin login
    "index": (200, 200),
    "login": (302, 302),  # already logged in: on to the index
    "logout": (405, 405),  # a post only
    "password_change": (200, 200),
    "password_change_done": (200, 200),
    "jsi18n": (200, 200),
    "app_list": (200, 200),
    "autocomplete": (200, 200),
    "view_on_site": (302, 302),
}


def admin_expectations(name: str) -> dict:
    """The matrix entry of an admin URL name, from the two tables above."""
    short = name.removeprefix("admin:")
    if short in ADMIN_SITE:
        coordinator, superuser = ADMIN_SITE[short]
        entry = {"coordinator": coordinator, "superuser": superuser, "*": 200 if short == "login" else ADMIN_LOGIN}
        if short == "logout":
            entry.update({"*": 302, "anonymous": ADMIN_LOGIN})  # logged in without the admin: to its index
        return entry
    for label, rules in ADMIN_MODELS.items():
        prefix = label.replace(".", "_") + "_"
        if short.startswith(prefix):
            coordinator, superuser = rules.get(short.removeprefix(prefix), rules.get("*", (200, 200)))
            return {"anonymous": LOGIN, "coordinator": coordinator, "superuser": superuser, "*": ADMIN_LOGIN}
    raise KeyError(f"{name}: add the model to ADMIN_MODELS")


def url_names(resolver=None, namespace="") -> set[str]:
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def full_matrix() -> dict:
    matrix = dict(MATRIX)
    for name in url_names():
        if name.startswith("admin:"):
            matrix[(name, "get")] = admin_expectations(name)
    return matrix


def test_every_url_has_an_entry_in_the_matrix():
    assert url_names() == {name for name, _ in full_matrix()}


def test_every_registered_admin_model_is_in_the_table():
    assert {model._meta.label_lower for model in admin.site._registry} == set(ADMIN_MODELS)


@pytest.fixture
def world(group, meeting, owner, member, granted, coordinator, outsider, superuser, other_group):
    """One restricted commitment and one row of every model the admin shows, in the group."""
    commitment = CommitmentFactory(meeting=meeting, owner=owner, restricted=True)
    commitment.access_granted_to.add(granted)
    commitment.post_progress(author=owner, text="First exchange held.")
    CommitmentFactory(meeting=MeetingFactory(group=other_group, host_country="JP"))
    Reminder.objects.create(
        recipient=owner,
        reason=Reminder.Reason.OVERDUE,
        commitment=commitment,
        anchor_date="2026-12-15",
        lead_days=-1,
        planned_for="2026-12-16",
    )
    ParticipantFactory(meeting=meeting)
    AgendaTopicFactory(meeting=meeting)
    BriefSnapshot.objects.create(meeting=meeting, data=build_brief(meeting), frozen_by=coordinator)
    CalendarFeed.objects.create(user=owner)
    NotificationPreference.objects.create(user=owner)
    Group.objects.create(name="Desk officers")
    api_token(owner)
    AccessAttempt.objects.create(username="owner", ip_address="10.0.0.1", failures_since_start=1)
    AccessLog.objects.create(username="owner", ip_address="10.0.0.1")
    AccessFailureLog.objects.create(username="owner", ip_address="10.0.0.1", locked_out=False)
    TOTPDevice.objects.create(user=outsider, name="Authenticator app", confirmed=False)
    personas = {
        "outsider": outsider,
        "member": member,
        "granted": granted,
        "owner": owner,
        "coordinator": coordinator,
        "superuser": superuser,
    }
    return {"meeting": meeting, "commitment": commitment, "group": group, "personas": personas}


ADMIN_OBJECTS = {  # which row an admin change, delete or history page opens
    "meetings.workinggroup": lambda w: w["group"],
    "meetings.meeting": lambda w: w["meeting"],
    "meetings.membership": lambda w: Membership.objects.filter(group=w["group"]).first(),
    "auth.user": lambda w: w["commitment"].owner,
}


def admin_object(label: str, world):
    if label in ADMIN_OBJECTS:
        return ADMIN_OBJECTS[label](world)
    model = next(m for m in admin.site._registry if m._meta.label_lower == label)
    if model is Commitment:
        return world["commitment"]
    return model._default_manager.order_by("pk").first()


def url_for(name: str, world) -> str:
    meeting, commitment = world["meeting"], world["commitment"]
    if name.startswith("admin:"):
        return admin_url_for(name, world)
    if name.startswith("api:"):
        short = name.removeprefix("api:")
        if short.endswith(("-detail", "-progress-updates")):
            kind = short.rsplit("-", 1)[0].removesuffix("-progress")
            pk = {
                "working-group": world["group"].pk,
                "category": commitment.category_id,
                "meeting": meeting.pk,
                "commitment": commitment.pk,
            }[kind]
            return reverse(name, args=[pk])
        return reverse(name)
    if name == "meetings:brief-download":
        return reverse(name, args=[meeting.pk, "docx"])
    if name == "commitments:export":
        return reverse(name, args=["xlsx"])
    if name == "calendar-feed":
        return CalendarFeed.objects.get(user=commitment.owner).secret_path()
    if name.startswith("meetings:") and name not in ("meetings:list", "meetings:create"):
        return reverse(name, args=[meeting.pk])
    if name.startswith("commitments:") and name not in ("commitments:list", "commitments:create"):
        return reverse(name, args=[commitment.pk])
    if name == "notifications-unsubscribe":
        return reverse(name, args=[unsubscribe_token(commitment.owner_id, "overdue")])
    if name == "password_reset_confirm":
        return reverse(name, args=["MQ", "set-password"])
    return reverse(name)


def admin_url_for(name: str, world) -> str:
    short = name.removeprefix("admin:")
    commitment = world["commitment"]
    if short == "app_list":
        return reverse(name, args=["commitments"])
    if short == "autocomplete":
        return reverse(name) + "?app_label=commitments&model_name=commitment&field_name=owner&term=o"
    if short == "view_on_site":
        return reverse(name, args=[ContentType.objects.get_for_model(Commitment).pk, commitment.pk])
    if short in ADMIN_SITE:
        return reverse(name)
    label = next(label for label in ADMIN_MODELS if short.startswith(label.replace(".", "_") + "_"))
    view = short.removeprefix(label.replace(".", "_") + "_")
    if view in ("changelist", "add"):
        return reverse(name)
    obj = admin_object(label, world)
    if view == "simple_history":
        return reverse(name, args=[obj.pk, obj.history.first().history_id])
    return reverse(name, args=[obj.pk])


def headers_problems(response, persona: str) -> list[str]:
    problems = []
    csp = response.get("Content-Security-Policy", "")
    if "frame-ancestors 'none'" not in csp or "script-src 'self'" not in csp:
        problems.append("Content-Security-Policy")
    for header, value in [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
    ]:
        if response.get(header) != value:
            problems.append(header)
    if persona != "anonymous" and "no-store" not in response.get("Cache-Control", ""):
        problems.append("Cache-Control: no-store")
    return problems


def test_each_persona_gets_what_the_matrix_says(world):
    matrix = full_matrix()
    unexpected, bad_headers, checked = [], [], 0
    client = APIClient()
    for (name, method), expectations in sorted(matrix.items()):
        url = url_for(name, world)
        for persona in PERSONAS:
            client.logout()
            if persona != "anonymous":
                client.force_login(world["personas"][persona])
            expected = expectations.get(persona, expectations.get("*"))
            response = getattr(client, method)(url, {}, format="json") if method != "get" else client.get(url)
            checked += 1
            if expected in (LOGIN, ADMIN_LOGIN):
                login_url = reverse("login" if expected == LOGIN else "admin:login")
                ok = response.status_code == 302 and response.url.startswith(f"{login_url}?next=")
            else:
                ok = response.status_code == expected
            if not ok:
                unexpected.append((name, method, persona, expected, response.status_code))
            bad_headers += [(name, persona, problem) for problem in headers_problems(response, persona)]
    print(
        f"permission matrix: {len(matrix)} URL patterns and methods "
        f"({sum(n.startswith('admin:') for n, _ in matrix)} admin, {sum(n.startswith('api') for n, _ in matrix)} API) "
        f"× {len(PERSONAS)} personas = {checked} requests, {len(unexpected)} unexpected answers, "
        f"{len(bad_headers)} missing headers"
    )
    for line in unexpected + bad_headers:
        print("  unexpected:", *line)
    assert unexpected == []
    assert bad_headers == []
