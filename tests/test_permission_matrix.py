"""What every persona gets from every URL: the web UI, the API, the admin panel, feeds and exports.

The test enumerates the URLconf, so a new URL without an entry here fails; the admin's URLs are
enumerated from the admin site too: every page it generates for every registered model (list, add,
change, delete, history, history version, revert, view on site), each tried with an object of our
working group and, for the models that belong to a group, with one of the other group.

Eight personas: the anonymous, an outsider (a member of the other group), a member, a member granted
access to the restricted commitment, its owner, our group's coordinator, the other group's
coordinator (staff, with the admin panel) and a superuser. The commitment in the URLs is restricted,
so members who were not granted access get 404 as if it did not exist. An object outside a user's
groups must get exactly the answer of an object that does not exist. Every answer also carries the
security headers, and an answer to a logged-in user is never stored.
"""

from dataclasses import dataclass

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from rest_framework.test import APIClient

from commitments import attachments, importing
from commitments.brief import build_brief
from commitments.models import Attachment, BriefSnapshot, CalendarFeed, Commitment, NotificationPreference, Reminder
from commitments.reminders.digests import unsubscribe_token
from meetings.models import AgendaTopic, Meeting, Membership, Participant
from tests.factories import AgendaTopicFactory, CommitmentFactory, MeetingFactory, ParticipantFactory, api_token

OTHER = "other_coordinator"
PERSONAS = ["anonymous", "outsider", "member", "granted", "owner", "coordinator", OTHER, "superuser"]
LOGIN = "login"  # a redirect to the login page
ADMIN_LOGIN = "admin login"  # a redirect to the admin's login page
NOT_FOUND = "not found"  # the very answer given for an object that does not exist (and not a success)
MISSING = 987654321  # no object has this id

# (url name, method): {persona: expected status}; a persona left out expects the "*" entry, except the
# coordinator of the other group, who expects the outsider's answer unless named (our objects are not theirs).
MATRIX = {
    # --- Web UI -----------------------------------------------------------------------------
    ("dashboard", "get"): {"anonymous": LOGIN, "*": 200},
    ("search", "get"): {"anonymous": LOGIN, "*": 200},
    ("meetings:list", "get"): {"anonymous": LOGIN, "*": 200},
    ("meetings:create", "get"): {"anonymous": LOGIN, "coordinator": 200, OTHER: 200, "superuser": 200, "*": 403},
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
    ("commitments:create", "get"): {"anonymous": LOGIN, "coordinator": 200, OTHER: 200, "superuser": 200, "*": 403},
    ("commitments:handover", "get"): {"anonymous": LOGIN, "coordinator": 200, OTHER: 200, "superuser": 200, "*": 403},
    ("commitments:handover", "post"): {"anonymous": LOGIN, "coordinator": 422, OTHER: 422, "superuser": 422, "*": 403},
    ("commitments:import", "get"): {"anonymous": LOGIN, "coordinator": 200, OTHER: 200, "superuser": 200, "*": 403},
    ("commitments:import", "post"): {"anonymous": LOGIN, "coordinator": 422, OTHER: 422, "superuser": 422, "*": 403},
    ("commitments:import-sample", "get"): {
        "anonymous": LOGIN,
        "coordinator": 200,
        OTHER: 200,
        "superuser": 200,
        "*": 403,
    },
    # The coordinator's upload: nobody else's, not even a superuser's (an empty post: the digest is missing).
    ("commitments:import-preview", "get"): {
        "anonymous": LOGIN,
        "coordinator": 200,
        OTHER: 404,
        "superuser": 404,
        "*": 403,
    },
    ("commitments:import-preview", "post"): {
        "anonymous": LOGIN,
        "coordinator": 422,
        OTHER: 404,
        "superuser": 404,
        "*": 403,
    },
    ("meetings:export", "get"): {"anonymous": LOGIN, "*": 200},
    # The restricted commitment: hidden from the member who was not granted access.
    ("commitments:detail", "get"): {"anonymous": LOGIN, "outsider": 404, "member": 404, "*": 200},
    ("commitments:edit", "get"): {"anonymous": LOGIN, "outsider": 404, "member": 404, "granted": 403, "*": 200},
    # An empty post: the form answers with its errors (422) to those allowed to post.
    ("commitments:progress", "post"): {"anonymous": LOGIN, "outsider": 404, "member": 404, "granted": 403, "*": 422},
    # Files: the meeting's are attached by coordinators; the restricted commitment's by its owner and coordinators
    # (an empty post: the form asks for a file). The attachment in the URLs is the restricted commitment's.
    ("meetings:attach", "post"): {"anonymous": LOGIN, "outsider": 404, "coordinator": 422, "superuser": 422, "*": 403},
    ("commitments:attach", "post"): {
        "anonymous": LOGIN,
        "outsider": 404,
        "member": 404,
        "granted": 403,
        "*": 422,
    },
    ("attachment", "get"): {"anonymous": LOGIN, "outsider": 404, "member": 404, "*": 200},
    # Each persona deletes a file of its own (url_for attaches a new one each time).
    ("attachment-delete", "post"): {
        "anonymous": LOGIN,
        "outsider": 404,
        "member": 404,
        "coordinator": 302,
        "superuser": 302,
        "*": 403,
    },
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
    ("api-not-found", "get"): {"*": 404},  # any other address under /api/, for everyone
    ("api:api-root", "get"): {"anonymous": 401, "*": 200},
    ("api:me", "get"): {"anonymous": 401, "*": 200},
    ("api:working-group-list", "get"): {"anonymous": 401, "*": 200},
    ("api:working-group-detail", "get"): {"anonymous": 401, "outsider": 404, "*": 200},
    ("api:category-list", "get"): {"anonymous": 401, "*": 200},
    ("api:category-detail", "get"): {"anonymous": 401, "*": 200},
    ("api:meeting-list", "get"): {"anonymous": 401, "*": 200},
    ("api:meeting-list", "post"): {"anonymous": 401, "coordinator": 400, OTHER: 400, "superuser": 400, "*": 403},
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
    ("api:handovers", "post"): {"anonymous": 401, "coordinator": 400, OTHER: 400, "superuser": 400, "*": 403},
    ("api:commitment-list", "post"): {"anonymous": 401, "coordinator": 400, OTHER: 400, "superuser": 400, "*": 403},
    ("api:commitment-detail", "get"): {"anonymous": 401, "outsider": 404, "member": 404, "*": 200},
    # Without If-Match or version: 428 for whoever may edit.
    ("api:commitment-detail", "patch"): {"anonymous": 401, "outsider": 404, "member": 404, "granted": 403, "*": 428},
    # An empty PUT lacks the required fields: refused as bad input (400) before the missing version (428).
    ("api:commitment-detail", "put"): {"anonymous": 401, "outsider": 404, "member": 404, "granted": 403, "*": 400},
    ("api:commitment-progress-updates", "get"): {"anonymous": 401, "outsider": 404, "member": 404, "*": 200},
    ("api:attachment-list", "get"): {"anonymous": 401, "*": 200},
    ("api:attachment-list", "post"): {"anonymous": 401, "*": 415},  # multipart only: a JSON body is refused
    ("api:attachment-detail", "get"): {"anonymous": 401, "outsider": 404, "member": 404, "*": 200},
    ("api:attachment-detail", "delete"): {
        "anonymous": 401,
        "outsider": 404,
        "member": 404,
        "coordinator": 204,
        "superuser": 204,
        "*": 403,
    },
    ("api:attachment-download", "get"): {"anonymous": 401, "outsider": 404, "member": 404, "*": 200},
    ("api:commitment-progress-updates", "post"): {
        "anonymous": 401,
        "outsider": 404,
        "member": 404,
        "granted": 403,
        "*": 400,
    },
}

# --- Admin panel: open to coordinators (their groups) and superusers; other models superusers only.
# {model: {view: (coordinator, superuser)}}: what each gets for an object of our group; a view not
# listed answers 200 to both, or, for the models marked SUPERUSERS, 403 to coordinators and 200 to
# superusers. "revert" is a POST to a history version: a version is shown, never restored.
SUPERUSERS = {"*": (403, 200), "revert": (403, 403), "view_on_site": (404, 404)}
NO_PAGE = {"view_on_site": (404, 404)}  # a model without a page of its own in the app
ADMIN_MODELS = {
    "meetings.workinggroup": {"add": (403, 200), "delete": (403, 200), "revert": (403, 403), **NO_PAGE},
    "meetings.meeting": {"revert": (403, 403), "view_on_site": (302, 302)},
    "meetings.membership": {"revert": (403, 403), **NO_PAGE},
    "meetings.participant": NO_PAGE,
    "meetings.agendatopic": NO_PAGE,
    "commitments.commitment": {"revert": (403, 403), "view_on_site": (302, 302)},
    "commitments.progressupdate": {"revert": (403, 403), **NO_PAGE},
    "commitments.category": {"add": (403, 200), "delete": (403, 200), **NO_PAGE},  # coordinators read them
    # The outbox is written by the planner.
    "commitments.reminder": {"add": (403, 403), "delete": (403, 200), **NO_PAGE},
    # Frozen from the brief page, which shows them; the rows themselves are records.
    "commitments.briefsnapshot": {**SUPERUSERS, "add": (403, 403)},
    # A user's own settings and secret calendar address: the secret is no page to link to.
    "commitments.calendarfeed": SUPERUSERS,
    "commitments.notificationpreference": SUPERUSERS,
    # Accounts are the superusers'; coordinators only pick people in their forms (the autocomplete).
    "auth.user": SUPERUSERS,
    "auth.group": SUPERUSERS,
    "knox.authtoken": {**SUPERUSERS, "add": (403, 403)},  # read-only; deleting one revokes it
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
}
LIST_VIEWS = {"changelist", "add"}  # the other views of a model admin are about one object


def label_of(model) -> str:
    return model._meta.label_lower


def registered(label: str):
    return next(model for model in admin.site._registry if label_of(model) == label)


def url_names(resolver=None, namespace="") -> set[str]:
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


@dataclass(frozen=True)
class Case:
    """One request: a URL name, a method and, for an admin page about an object, the model and whose it is."""

    name: str
    method: str = "get"
    label: str = ""  # the registered model an admin page is about
    view: str = ""  # the admin view: "change", "history", "revert", "view_on_site", …
    whose: str = "ours"  # "ours" (our group's object), "theirs" (the other group's) or "missing"

    def __str__(self) -> str:
        about = f" {self.label} {self.view} ({self.whose})" if self.label else ""
        return f"{self.method.upper()} {self.name}{about}"


def admin_view_of(name: str) -> tuple[str, str]:
    """("meetings.meeting", "history") for "admin:meetings_meeting_history"."""
    short = name.removeprefix("admin:")
    for label in ADMIN_MODELS:
        prefix = label.replace(".", "_") + "_"
        if short.startswith(prefix):
            return label, short.removeprefix(prefix)
    raise KeyError(f"{name}: add the model to ADMIN_MODELS")


def scoped(label: str) -> bool:
    """Whether the model's rows belong to a working group: each is then tried with the other group's too."""
    return label in GROUP_SCOPED


def cases() -> list[Case]:
    """Every URL of the URLconf (admin pages per model and per owner of the object) with its methods."""
    found = [Case(name, method) for name, method in MATRIX]
    for name in sorted(url_names()):
        if not name.startswith("admin:"):
            continue
        short = name.removeprefix("admin:")
        if short == "view_on_site":
            for label in ADMIN_MODELS:
                found += [Case(name, "get", label, "view_on_site", w) for w in whose(label)]
        elif short in ADMIN_SITE:
            found.append(Case(name))
        else:
            label, view = admin_view_of(name)
            if view in LIST_VIEWS:
                found.append(Case(name, "get", label, view))
                continue
            found += [Case(name, "get", label, view, w) for w in whose(label)]
            if view == "simple_history":
                found += [Case(name, "post", label, "revert", w) for w in whose(label)]
    return found


def whose(label: str) -> list[str]:
    return ["ours", "theirs"] if scoped(label) else ["ours"]


def expected(case: Case, persona: str):
    """What the persona must get."""
    if not case.name.startswith("admin:"):
        entry = MATRIX[(case.name, case.method)]
        if persona == OTHER and OTHER not in entry:
            return entry.get("outsider", entry.get("*"))
        return entry.get(persona, entry.get("*"))
    short = case.name.removeprefix("admin:")
    if short in ADMIN_SITE:
        coordinator, superuser = ADMIN_SITE[short]
        entry = {"coordinator": coordinator, OTHER: coordinator, "superuser": superuser}
        default = 200 if short == "login" else ADMIN_LOGIN
        if short == "logout":  # logged in without the admin: on to its index
            default = ADMIN_LOGIN if persona == "anonymous" else 302
        return entry.get(persona, default)
    if persona == "anonymous":  # the site's own pages send to the admin's login, the models' to the app's
        return ADMIN_LOGIN if case.view == "view_on_site" else LOGIN
    if persona not in ("coordinator", OTHER, "superuser"):
        return ADMIN_LOGIN
    rules = ADMIN_MODELS[case.label]
    coordinator, superuser = rules.get(case.view, rules.get("*", (200, 200)))
    if persona == "superuser":
        return superuser
    # A 403 in the table is a refusal for the model, the same whatever the object; only a revert is refused
    # once the object is found (and another group's is not found).
    if case.view in LIST_VIEWS or not scoped(case.label) or (coordinator == 403 and case.view != "revert"):
        return coordinator
    in_their_group = (persona == "coordinator") == (case.whose == "ours")
    return coordinator if in_their_group else NOT_FOUND


def test_every_url_has_an_entry_in_the_matrix():
    names = {case.name for case in cases()}
    assert url_names() == names
    assert set(MATRIX) <= {(case.name, case.method) for case in cases()}


def test_every_registered_admin_model_is_in_the_table():
    assert {label_of(model) for model in admin.site._registry} == set(ADMIN_MODELS)
    assert set(GROUP_SCOPED) <= set(ADMIN_MODELS)


# --- The world: one object of every registered model in our group, and in the other group where the
# model belongs to a group.


@pytest.fixture
def world(group, meeting, owner, member, granted, coordinator, outsider, other_coordinator, superuser, other_group):
    commitment = CommitmentFactory(meeting=meeting, owner=owner, restricted=True)
    commitment.access_granted_to.add(granted)
    commitment.post_progress(author=owner, text="First exchange held.")
    their_meeting = MeetingFactory(group=other_group, host_country="JP")
    theirs = CommitmentFactory(meeting=their_meeting, owner=outsider)
    theirs.post_progress(author=outsider, text="Workshop held in Tokyo.")
    for some_meeting, some_commitment, recipient in [(meeting, commitment, owner), (their_meeting, theirs, outsider)]:
        Reminder.objects.create(
            recipient=recipient,
            reason=Reminder.Reason.OVERDUE,
            commitment=some_commitment,
            anchor_date="2026-12-15",
            lead_days=-1,
            planned_for="2026-12-16",
        )
        ParticipantFactory(meeting=some_meeting)
        AgendaTopicFactory(meeting=some_meeting)
        frozen_by = coordinator if some_meeting == meeting else other_coordinator
        BriefSnapshot.objects.create(meeting=some_meeting, data=build_brief(some_meeting), frozen_by=frozen_by)
    CalendarFeed.objects.create(user=owner)
    NotificationPreference.objects.create(user=owner)
    Group.objects.create(name="Desk officers")
    api_token(owner)
    AccessAttempt.objects.create(username="owner", ip_address="10.0.0.1", failures_since_start=1)
    AccessLog.objects.create(username="owner", ip_address="10.0.0.1")
    AccessFailureLog.objects.create(username="owner", ip_address="10.0.0.1", locked_out=False)
    TOTPDevice.objects.create(user=outsider, name="Authenticator app", confirmed=False)
    upload = importing.upload(b"Commitment\nItem\n", "items.csv", "commitments", coordinator)
    attachment = attach(commitment, owner)
    personas = {
        "outsider": outsider,
        "member": member,
        "granted": granted,
        "owner": owner,
        "coordinator": coordinator,
        OTHER: other_coordinator,
        "superuser": superuser,
    }
    groups = {"ours": group, "theirs": other_group}
    return {
        "meeting": meeting,
        "commitment": commitment,
        "group": group,
        "groups": groups,
        "personas": personas,
        "upload": upload,
        "attachment": attachment,
    }


def attach(commitment, user) -> Attachment:
    """A new text file attached to the commitment: each call's content differs from the others'."""
    content = f"Notes {Attachment.objects.count() + Attachment.history.count()}\n".encode()
    checked = attachments.check(SimpleUploadedFile("notes.txt", content))
    [attachment] = attachments.attach(commitment, [checked], user=user)
    return attachment


# How to find a registered model's object of one group; other models: their first row.
GROUP_SCOPED = {
    "meetings.workinggroup": lambda group: group,
    "meetings.meeting": lambda group: Meeting.objects.filter(group=group).order_by("pk").first(),
    "meetings.membership": lambda group: Membership.objects.filter(group=group).order_by("pk").first(),
    "meetings.participant": lambda group: Participant.objects.filter(meeting__group=group).first(),
    "meetings.agendatopic": lambda group: AgendaTopic.objects.filter(meeting__group=group).first(),
    "commitments.commitment": lambda group: Commitment.objects.filter(meeting__group=group).order_by("pk").first(),
    "commitments.progressupdate": lambda group: (
        Commitment.objects.filter(meeting__group=group).order_by("pk").first().progress_updates.first()
    ),
    "commitments.reminder": lambda group: Reminder.objects.filter(commitment__meeting__group=group).first(),
    "commitments.briefsnapshot": lambda group: BriefSnapshot.objects.filter(meeting__group=group).first(),
}
OTHER_OBJECTS = {
    "auth.user": lambda world: world["commitment"].owner,
    "knox.authtoken": lambda world: AuthToken.objects.first(),
}


def admin_object(case: Case, world):
    if case.label in GROUP_SCOPED:
        return GROUP_SCOPED[case.label](world["groups"][case.whose])
    if case.label in OTHER_OBJECTS:
        return OTHER_OBJECTS[case.label](world)
    return registered(case.label)._default_manager.order_by("pk").first()


def url_for(case: Case, world) -> str:
    name, meeting, commitment = case.name, world["meeting"], world["commitment"]
    if name.startswith("admin:"):
        return admin_url_for(case, world)
    if name == "attachment":
        return reverse(name, args=[world["attachment"].pk])
    if name == "attachment-delete" or (name == "api:attachment-detail" and case.method == "delete"):
        return reverse(name, args=[attach(commitment, commitment.owner).pk])
    if name.startswith("api:"):
        short = name.removeprefix("api:")
        if short.endswith(("-detail", "-progress-updates", "-download")):
            kind = short.rsplit("-", 1)[0].removesuffix("-progress")
            pk = {
                "working-group": world["group"].pk,
                "category": commitment.category_id,
                "meeting": meeting.pk,
                "commitment": commitment.pk,
                "attachment": world["attachment"].pk,
            }[kind]
            return reverse(name, args=[pk])
        return reverse(name)
    if name == "meetings:brief-download":
        return reverse(name, args=[meeting.pk, "docx"])
    if name in ("commitments:export", "meetings:export"):
        return reverse(name, args=["xlsx"])
    if name == "commitments:import-sample":
        return reverse(name, args=["commitments", "xlsx"])
    if name == "commitments:import-preview":
        return reverse(name, args=[world["upload"].pk])
    if name == "api-not-found":
        return "/api/v1/no-such-thing/"
    if name == "calendar-feed":
        return CalendarFeed.objects.get(user=commitment.owner).secret_path()
    if name.startswith("meetings:") and name not in ("meetings:list", "meetings:create"):
        return reverse(name, args=[meeting.pk])
    if name.startswith("commitments:") and name not in (
        "commitments:list",
        "commitments:create",
        "commitments:handover",
        "commitments:import",
    ):
        return reverse(name, args=[commitment.pk])
    if name == "notifications-unsubscribe":
        return reverse(name, args=[unsubscribe_token(commitment.owner_id, "overdue")])
    if name == "password_reset_confirm":
        return reverse(name, args=["MQ", "set-password"])
    return reverse(name)


def admin_url_for(case: Case, world) -> str:
    short = case.name.removeprefix("admin:")
    if short == "app_list":
        return reverse(case.name, args=["commitments"])
    if short == "autocomplete":
        return reverse(case.name) + "?app_label=commitments&model_name=commitment&field_name=owner&term=o"
    if short in ADMIN_SITE:
        return reverse(case.name)
    if case.view in LIST_VIEWS:
        return reverse(case.name)
    obj = None if case.whose == "missing" else admin_object(case, world)
    pk = obj.pk if obj else MISSING
    if case.view == "view_on_site":
        return reverse(case.name, args=[ContentType.objects.get_for_model(registered(case.label)).pk, pk])
    if case.view in ("simple_history", "revert"):
        return reverse(case.name, args=[pk, obj.history.first().history_id if obj else MISSING])
    return reverse(case.name, args=[pk])


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


def answer(response) -> tuple:
    """What a client learns from an answer: its status and where it leads."""
    return response.status_code, response.get("Location")


def request(client, case: Case, world):
    url = url_for(case, world)
    if case.method == "get":
        return client.get(url)
    return getattr(client, case.method)(url, {}, format="json")


@pytest.mark.parametrize("persona", PERSONAS)  # one test each: the processes running the suite share them out
def test_each_persona_gets_what_the_matrix_says(world, persona):
    all_cases = cases()
    unexpected, bad_headers, checked = [], [], 0
    client = APIClient()
    for case in all_cases:
        client.logout()
        if persona != "anonymous":
            client.force_login(world["personas"][persona])
        want = expected(case, persona)
        response = request(client, case, world)
        checked += 1
        if want in (LOGIN, ADMIN_LOGIN):
            login_url = reverse("login" if want == LOGIN else "admin:login")
            ok = response.status_code == 302 and response.url.startswith(f"{login_url}?next=")
        elif want == NOT_FOUND:
            missing = request(client, Case(case.name, case.method, case.label, case.view, "missing"), world)
            ok = answer(response) == answer(missing) and not 200 <= response.status_code < 300
        else:
            ok = response.status_code == want
        if not ok:
            unexpected.append((str(case), persona, want, response.status_code))
        bad_headers += [(str(case), persona, problem) for problem in headers_problems(response, persona)]
    admin_cases = [case for case in all_cases if case.name.startswith("admin:")]
    print(
        f"permission matrix: {len(all_cases)} URLs and methods "
        f"({len(admin_cases)} admin, of which {sum(c.whose == 'theirs' for c in admin_cases)} with the other "
        f"group's object; {sum(c.name.startswith('api') for c in all_cases)} API) "
        f"as {persona}: {checked} requests, {len(unexpected)} unexpected answers, "
        f"{len(bad_headers)} missing headers"
    )
    for line in unexpected + bad_headers:
        print("  unexpected:", *line)
    assert unexpected == []
    assert bad_headers == []
