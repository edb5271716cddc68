"""What every persona gets from every URL of the web UI.

The test enumerates the URLconf, so a new URL without an entry here fails. The admin
panel has its own tests (test_admin.py).
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from commitments.models import CalendarFeed
from commitments.notifications import unsubscribe_token
from tests.factories import CommitmentFactory, MeetingFactory

PERSONAS = ["anonymous", "outsider", "member", "owner", "coordinator", "superuser"]
LOGIN = "login"  # a redirect to the login page

# url name: (method, {persona: expected status}); a persona left out expects the "*" entry.
MATRIX = {
    "dashboard": ("get", {"anonymous": LOGIN, "*": 200}),
    "meetings:list": ("get", {"anonymous": LOGIN, "*": 200}),
    "meetings:create": ("get", {"anonymous": LOGIN, "coordinator": 200, "superuser": 200, "*": 403}),
    "meetings:detail": ("get", {"anonymous": LOGIN, "outsider": 404, "*": 200}),
    "meetings:edit": ("get", {"anonymous": LOGIN, "outsider": 404, "member": 403, "owner": 403, "*": 200}),
    "meetings:brief": ("get", {"anonymous": LOGIN, "outsider": 404, "*": 200}),
    "meetings:brief-download": ("get", {"anonymous": LOGIN, "outsider": 404, "*": 200}),
    "meetings:brief-freeze": ("post", {"anonymous": LOGIN, "outsider": 404, "member": 403, "owner": 403, "*": 302}),
    "meetings:calendar": ("get", {"anonymous": LOGIN, "outsider": 404, "*": 200}),
    "commitments:list": ("get", {"anonymous": LOGIN, "*": 200}),
    "commitments:export": ("get", {"anonymous": LOGIN, "*": 200}),
    "commitments:create": ("get", {"anonymous": LOGIN, "coordinator": 200, "superuser": 200, "*": 403}),
    "commitments:detail": ("get", {"anonymous": LOGIN, "outsider": 404, "*": 200}),
    "commitments:edit": ("get", {"anonymous": LOGIN, "outsider": 404, "member": 403, "*": 200}),
    # An empty post: the form answers with its errors (200) to those allowed to post.
    "commitments:progress": ("post", {"anonymous": LOGIN, "outsider": 404, "member": 403, "*": 200}),
    "notification-settings": ("get", {"anonymous": LOGIN, "*": 200}),
    # Signed by the link in a digest, so it answers without a login.
    "notifications-unsubscribe": ("get", {"*": 200}),
    # The private address is the authority: calendar clients cannot log in.
    "calendar-feed": ("get", {"*": 200}),
    "calendar-revoke": ("post", {"anonymous": LOGIN, "*": 302}),
    "api-token": ("post", {"anonymous": LOGIN, "*": 302}),
    "api-schema": ("get", {"anonymous": 401, "*": 200}),  # an API answer, not a redirect
    "api-docs": ("get", {"anonymous": LOGIN, "*": 200}),
    "login": ("get", {"*": 200}),
    "logout": ("post", {"*": 302}),
    "password_change": ("get", {"anonymous": LOGIN, "*": 200}),
    "password_change_done": ("get", {"anonymous": LOGIN, "*": 200}),
    "password_reset": ("get", {"*": 200}),
    "password_reset_done": ("get", {"*": 200}),
    "password_reset_confirm": ("get", {"*": 200}),
    "password_reset_complete": ("get", {"*": 200}),
}


def url_names(resolver=None, namespace="") -> set[str]:
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in ("admin", "api"):
                continue  # test_admin.py and tests/api/ have their own
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_url_has_an_entry_in_the_matrix():
    assert url_names() == set(MATRIX)


@pytest.fixture
def personas(outsider, member, owner, coordinator, superuser):
    return {"outsider": outsider, "member": member, "owner": owner, "coordinator": coordinator, "superuser": superuser}


def url_for(name: str, meeting, commitment) -> str:
    if name == "meetings:brief-download":
        return reverse(name, args=[meeting.pk, "docx"])
    if name == "commitments:export":
        return reverse(name, args=["csv"])
    if name == "calendar-feed":
        return CalendarFeed.objects.get_or_create(user=commitment.owner)[0].get_absolute_url()
    if name.startswith("meetings:") and name not in ("meetings:list", "meetings:create"):
        return reverse(name, args=[meeting.pk])
    if name.startswith("commitments:") and name not in ("commitments:list", "commitments:create"):
        return reverse(name, args=[commitment.pk])
    if name == "notifications-unsubscribe":
        return reverse(name, args=[unsubscribe_token(commitment.owner_id, "overdue")])
    if name == "password_reset_confirm":
        return reverse(name, args=["MQ", "set-password"])
    return reverse(name)


def test_each_persona_gets_what_the_matrix_says(client, personas, meeting, owner, other_group):
    commitment = CommitmentFactory(meeting=meeting, owner=owner)
    CommitmentFactory(meeting=MeetingFactory(group=other_group, host_country="JP"))
    unexpected, checked = [], 0
    for name, (method, expectations) in MATRIX.items():
        url = url_for(name, meeting, commitment)
        for persona in PERSONAS:
            client.logout()
            if persona != "anonymous":
                client.force_login(personas[persona])
            expected = expectations.get(persona, expectations.get("*"))
            response = getattr(client, method)(url)
            checked += 1
            if expected == LOGIN:
                ok = response.status_code == 302 and response.url.startswith(f"{reverse('login')}?next=")
            else:
                ok = response.status_code == expected
            if not ok:
                unexpected.append((name, persona, expected, response.status_code))
    print(
        f"permission matrix: {len(MATRIX)} URLs × {len(PERSONAS)} personas = {checked} requests, "
        f"{len(unexpected)} unexpected"
    )
    assert unexpected == []
