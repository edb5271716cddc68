"""The app's HTML pages as one persona gets them: the page set of the accessibility, reflow and HTML checks.

The addresses come from Django's URL resolver, so a new page is checked without being listed here. Each
pattern's path arguments are filled from the demo data (`seed_demo`), each address is fetched with the test
client as the persona, and an address is left out only by one of these rules:

- it is under /admin/ (the admin panel, checked on its own) or /api/ (the API and its docs viewer);
- it answers GET with 405: an action that takes POST only (logging out, freezing a brief, posting progress);
- its answer is not an HTML page: a download or a feed (.ics, .csv, .xlsx, .docx, .pdf);
- it sends this persona to a page of another name (every page but a few, for a visitor not logged in;
  the two-factor code page when no code is due), which is in the set under its own name;
- it refuses this persona (403) as an earlier address did: the refusal page is checked once per persona.

A pattern whose arguments cannot be filled, or an address that answers anything but a page (a 404, a 400,
a 500), stops the survey: fill its arguments in `DemoData.arguments` rather than let a page go unchecked.
Each page is in the set as it opens, in the states of VARIANTS, and as a refused form shows it when posting
its form empty is answered 422 (the app's status for a form shown again with its errors), so that error
messages and the ids that point to them are checked too.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from commitments import importing
from commitments.models import Attachment, CalendarFeed, Commitment, Reminder
from commitments.reminders.digests import unsubscribe_token
from config.views import INVALID_FORM_STATUS
from meetings.models import Meeting, WorkingGroup

GROUP = "india-uzbekistan-jwg-ct"
# Left out by where they live: the admin panel is a job of its own; the API answers JSON and its docs viewer
# is the schema viewer's page, not ours.
AREAS_LEFT_OUT = {"admin/": "the admin panel", "api/": "the API"}


def officer_chosen() -> str:
    """The handover page with Arjun Mehta's open commitments listed, ticked, to hand to Priya Nair."""
    users = {user.username: user.pk for user in get_user_model().objects.filter(username__in=["owner", "owner2"])}
    group = WorkingGroup.objects.get(slug=GROUP).pk
    return f"?group={group}&officer={users['owner']}&successor={users['owner2']}"


# States of a page that its query string reaches, beside the page as it opens: the live brief beside the frozen
# one (see freeze_a_brief), a list whose filter refuses a value and shows why, the handover's commitments
# listed (a query made from the demo data when the survey runs), an import's preview showing its refused rows,
# the search's hits of every kind, of one kind, and none.
VARIANTS = {
    "meetings:brief": {"live": "?live=1"},
    "meetings:list": {"filter refused": "?year=1&status=someday&host_country=IN&host_country=UZ"},
    "commitments:list": {
        "filter refused": "?follow_up_after=2026-02-31&follow_up_before=soon&status=someday&owner=abc&overdue=maybe"
    },
    "commitments:handover": {"officer chosen": officer_chosen},
    "commitments:import-preview": {"refused rows": "?state=refused"},
    "search": {"results": "?q=Uzbekistan", "one kind": "?q=radicalization&kind=commitments", "none": "?q=zzzz"},
}
# The personas: None is a visitor who is not logged in (the login page and the password-reset pages).
PERSONAS = ("coordinator", "owner", None)


@dataclass(frozen=True)
class Page:
    name: str  # the URL name, and the page's state when it is not as it opens
    path: str  # the address to open
    refused_form: bool = False  # open `path`, then post its form empty
    refusal: bool = False  # the page says the persona may not do this (403)
    html: str = field(default="", compare=False, repr=False)  # as the test client got it


@dataclass
class Survey:
    persona: str | None
    pages: list[Page]
    left_out: list[tuple[str, str, str]]  # URL name, address, the rule that leaves it out


class DemoData:
    """The objects of the demo data whose ids and tokens fill the patterns' path arguments."""

    def __init__(self, persona: str | None):
        users = get_user_model().objects
        self.user = users.get(username=persona) if persona else None
        # The 9th meeting was held in Tashkent (participants, agenda, commitments); the brief is the coming
        # 10th meeting's, over the commitments agreed at the 9th.
        self.ninth = Meeting.objects.get(group__slug=GROUP, number=9)
        self.tenth = Meeting.objects.get(group__slug=GROUP, number=10)
        # Owned by `owner`, so that the owner gets the edit form and a progress form.
        self.commitment = Commitment.objects.get(meeting=self.ninth, title__startswith="Share intelligence")
        # A password-reset link of an account no test logs in with: logging in would end the link.
        self.reset_user = users.get(username="member")
        self.subscriber = self.user or self.reset_user

    def upload(self):
        """A file uploaded for import by the persona (by the coordinator, for a visitor), whose preview shows a row
        of each kind: changed, new, refused, unchanged; and a column it does not know."""
        uploader = self.user or get_user_model().objects.get(username="coordinator")
        c = self.commitment
        rows = [
            ["Reference", "Commitment", "Working group", "Agreed at", "Category", "Status", "Remarks"],
            [c.reference, c.title, c.meeting.group.short_name, c.meeting.title, c.category.name, "Done", ""],
            ["", "Exchange lists of wanted persons", c.meeting.group.short_name, "9", c.category.name, "Open", ""],
            ["", "A row with a typo", c.meeting.group.short_name, "99", "Nonsense", "Finished", ""],
            ["", "Still open since 2020", c.meeting.group.short_name, "9", c.category.name, "Open", ""],
            ["", c.title, c.meeting.group.short_name, "9", c.category.name, c.get_status_display(), "as agreed"],
        ]
        data = "\n".join(",".join(f'"{cell}"' for cell in row) for row in rows).encode()
        name = "JWG-CT action points as agreed in Tashkent on 1 October 2025, final with the partner side comments.csv"
        return importing.upload(data, name, "commitments", uploader)

    def arguments(self, name: str, parameters: list[str]) -> dict[str, str]:
        values = {}
        for parameter in parameters:
            value = self.argument(name, parameter)
            if value is None:
                raise LookupError(f"{name}: no demo value for <{parameter}>: fill it in tests/browser/pages.py")
            values[parameter] = str(value)
        return values

    def argument(self, name: str, parameter: str):
        namespace = name.split(":")[0] if ":" in name else ""
        if parameter == "pk" and namespace == "meetings":
            return (self.tenth if name.startswith("meetings:brief") else self.ninth).pk
        if name == "commitments:import-preview":
            return self.upload().pk
        if parameter == "pk" and namespace == "commitments":
            return self.commitment.pk
        if name in ("attachment", "attachment-delete"):
            return Attachment.objects.filter(meeting=self.ninth).first().pk
        if parameter == "kind":
            return "commitments"
        if parameter == "extension":
            return "csv"  # every download pattern offers it
        if name == "password_reset_confirm" and parameter == "uidb64":
            return urlsafe_base64_encode(force_bytes(self.reset_user.pk))
        if name == "password_reset_confirm" and parameter == "token":
            return default_token_generator.make_token(self.reset_user)
        if name == "notifications-unsubscribe" and parameter == "token":
            return unsubscribe_token(self.subscriber.pk, Reminder.Reason.OVERDUE)
        if name == "calendar-feed" and parameter == "token":
            return CalendarFeed.objects.get_or_create(user=self.subscriber)[0].token
        return None


def url_patterns(
    resolver: URLResolver | None = None, prefix: str = "", namespace: str = "", parameters: tuple = ()
) -> Iterator[tuple[str, str | None, list[str]]]:
    """(route, URL name, path parameters) of every pattern of the URLconf, included ones too; an area left out
    (AREAS_LEFT_OUT) comes once, as its include."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        names = (*parameters, *entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver) and left_out_by_area(route):
            yield route, entry.namespace, list(names)
        elif isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_patterns(entry, route, inner, names)
        elif isinstance(entry, URLPattern):
            yield route, f"{namespace}{entry.name}" if entry.name else None, list(names)


def left_out_by_area(route: str) -> str | None:
    for area, what in AREAS_LEFT_OUT.items():
        if route.startswith(area) or route.startswith("^" + area):
            return what
    return None


def is_html(response) -> bool:
    attachment = response.get("Content-Disposition", "").startswith("attachment")
    return response["Content-Type"].startswith("text/html") and not attachment


def survey(persona: str | None) -> Survey:
    """The pages `persona` gets (None: not logged in), and the addresses left out with the rule for each."""
    data = DemoData(persona)
    client = Client()
    if data.user:
        client.force_login(data.user, backend="django.contrib.auth.backends.ModelBackend")
    pages, forms, left_out, seen = [], [], [], set()
    for route, name, parameters in url_patterns():
        if area := left_out_by_area(route):
            left_out.append((name or route, f"/{route}…", area))
            continue
        if name is None:
            raise LookupError(f"/{route} has no URL name: name it, so that the page set can say which page it is")
        path = reverse(name, kwargs=data.arguments(name, parameters))
        if path in seen:
            continue  # a pattern that an earlier one shadows (auth's own login, under the app's)
        seen.add(path)
        response = client.get(path, follow=True)
        if response.status_code == 405:
            left_out.append((name, path, "takes POST only (GET answers 405)"))
            continue
        if not is_html(response):
            left_out.append((name, path, f"not an HTML page ({response['Content-Type']})"))
            continue
        landed = response.request["PATH_INFO"]
        if resolve(landed).view_name != name:
            left_out.append((name, path, f"sends this persona to {landed}"))
            continue
        if response.status_code not in (200, 403):
            raise AssertionError(f"{name} ({path}) answers {response.status_code} to {persona or 'a visitor'}")
        if response.status_code == 403 and (refusal := next((p for p in pages if p.refusal), None)):
            left_out.append((name, path, f"refused (403) with the page of {refusal.name}"))
            continue
        pages.append(Page(name, path, refusal=response.status_code == 403, html=response.text))
        if response.status_code == 200:
            forms.append((name, path, landed))  # a password-reset link moves on to an address of its own
        for state, query in VARIANTS.get(name, {}).items():
            query = query() if callable(query) else query
            variant = client.get(path + query)
            assert variant.status_code == 200 and is_html(variant), f"{name}{query}: {variant.status_code}"
            pages.append(Page(f"{name}, {state}", path + query, html=variant.text))
    # After every page has been read: an empty form that is not refused may change what the pages show.
    for name, path, landed in forms:
        response = client.post(landed)
        if response.status_code == INVALID_FORM_STATUS and is_html(response):
            pages.append(Page(f"{name}, form refused", path, refused_form=True, html=response.text))
    return Survey(persona, pages, left_out)


def freeze_a_brief() -> None:
    """The demo data has no frozen brief: freeze the 10th meeting's, so that the frozen and the live brief
    (`?live=1`, with its notice and the changes since) are both pages of the set."""
    client = Client()
    client.force_login(
        get_user_model().objects.get(username="coordinator"), backend="django.contrib.auth.backends.ModelBackend"
    )
    tenth = Meeting.objects.get(group__slug=GROUP, number=10)
    response = client.post(reverse("meetings:brief-freeze", args=[tenth.pk]))
    assert response.status_code == 302, response


def surveys(personas=PERSONAS) -> Iterator[Survey]:
    freeze_a_brief()
    for persona in personas:
        yield survey(persona)


# --- In the browser ---------------------------------------------------------------------------------------

# Posts the page's form empty but for its CSRF token, as a person who filled nothing in would.
POST_EMPTY_FORM = """() => {
    const form = document.createElement("form");
    form.method = "post";
    form.action = location.pathname + location.search;
    const token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (token) form.append(token.cloneNode());
    document.body.append(form);
    form.submit();
}"""


def open_page(tab, base_url: str, page: Page) -> None:
    """Open `page` in the browser tab, in the state the survey found it in."""
    response = tab.goto(base_url + page.path)
    expected = 403 if page.refusal else 200
    assert response is not None and response.status == expected, f"{page.name}: {response and response.status}"
    if page.refused_form:
        with tab.expect_navigation() as navigation:
            tab.evaluate(POST_EMPTY_FORM)
        status = navigation.value.status if navigation.value else None
        assert status == INVALID_FORM_STATUS, f"{page.name}: the empty form was answered {status}"


def log_in_state(browser, base_url: str, persona: str | None, password: str) -> dict | None:
    """The cookies of a logged-in session, to be reused by every context of the persona."""
    if persona is None:
        return None
    context = browser.new_context()
    tab = context.new_page()
    tab.goto(f"{base_url}/accounts/login/")
    tab.get_by_label("Username").fill(persona)
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url(f"{base_url}/")
    state = context.storage_state()
    context.close()
    return state


def persona_label(persona: str | None) -> str:
    return persona or "not logged in"
