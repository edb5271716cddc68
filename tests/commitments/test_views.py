import datetime
import itertools
import zoneinfo

import lxml.html
import pytest
import time_machine
from django.db import connection
from django.forms import BoundField
from django.forms.renderers import DjangoTemplates
from django.test.utils import CaptureQueriesContext
from django.urls import reverse, set_script_prefix
from django.utils import timezone
from rest_framework.test import APIClient

from commitments import jinja_engine
from commitments.history import change_log
from commitments.models import Category, Commitment, ProgressUpdate, Reminder
from config.forms import FilterForm
from meetings.permissions import group_roles
from tests.conftest import member_of
from tests.factories import (
    CommitmentFactory,
    MeetingFactory,
    ProgressUpdateFactory,
    commitment_form_data,
    new_commitment_data,
)
from tests.filter_cases import FILTER_CASES, filter_query

TODAY = datetime.date(2026, 11, 28)
DAY = datetime.timedelta(days=1)
NOW = datetime.datetime(2026, 11, 28, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 11, 28, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


# --- Dashboard ------------------------------------------------------------------------------


def test_the_dashboard_shows_my_open_commitments_overdue_first(login, meeting, owner, member):
    later = CommitmentFactory(
        meeting=meeting, owner=owner, title="Organise joint training", follow_up_date=TODAY + 5 * DAY
    )
    overdue = CommitmentFactory(
        meeting=meeting, owner=owner, title="Share intelligence", follow_up_date=TODAY - 3 * DAY
    )
    CommitmentFactory(meeting=meeting, owner=owner, title="Closed one", status=Commitment.Status.DONE)
    CommitmentFactory(meeting=meeting, owner=member, title="Someone else's")

    content = login(owner).get("/").content.decode()
    mine = content[content.index("My open commitments") : content.index("Latest progress updates")]
    assert mine.index(overdue.title) < mine.index(later.title)
    assert "Overdue" in mine[mine.index(overdue.title) : mine.index(later.title)]
    assert "Closed one" not in mine
    assert "Someone else" not in mine


def test_the_dashboard_says_when_its_lists_are_empty(login, meeting, member):
    page = lxml.html.fromstring(login(member).get("/").content)
    assert page.xpath('//section[@aria-labelledby="mine"]/p/text()') == ["Nothing open is assigned to you."]
    assert page.xpath('//section[@aria-labelledby="latest"]/p/text()') == ["No progress updates yet."]


def test_the_dashboard_shows_my_ten_soonest_and_links_to_all_of_them(login, meeting, owner):
    for n in range(12):
        CommitmentFactory(meeting=meeting, owner=owner, title=f"Task number {n:02}", follow_up_date=TODAY + n * DAY)
    content = login(owner).get("/").content.decode()
    mine = content[content.index("My open commitments") : content.index("Latest progress updates")]
    assert [n for n in range(12) if f"Task number {n:02}" in mine] == list(range(10))
    assert "All 12 of my open commitments</a> (the 10 soonest are shown)" in mine
    assert "?owner=mine&amp;status=open&amp;status=in_progress" in mine or "?owner=mine&status=open" in mine


def test_with_ten_or_fewer_the_dashboard_shows_them_all_without_a_link(login, meeting, owner):
    for n in range(10):
        CommitmentFactory(meeting=meeting, owner=owner, title=f"Task number {n:02}", follow_up_date=TODAY + n * DAY)
    content = login(owner).get("/").content.decode()
    mine = content[content.index("My open commitments") : content.index("Latest progress updates")]
    assert all(f"Task number {n:02}" in mine for n in range(10))
    assert "of my open commitments</a>" not in mine


def test_the_dashboard_counts_open_overdue_and_done_per_group(login, meeting, member):
    CommitmentFactory(meeting=meeting, follow_up_date=TODAY - DAY)
    CommitmentFactory(meeting=meeting, follow_up_date=TODAY + DAY, status=Commitment.Status.IN_PROGRESS)
    CommitmentFactory(meeting=meeting, status=Commitment.Status.DONE)
    research = Category.objects.get(slug="research")
    CommitmentFactory(meeting=meeting, category=research, follow_up_date=TODAY - 2 * DAY)
    CommitmentFactory(meeting=meeting, category=research, status=Commitment.Status.DROPPED)  # closed: never overdue
    response = login(member).get("/")
    [group] = response.context["groups"]
    assert group.counts == {"total": 5, "open": 3, "overdue": 2, "done": 1}
    assert group.role == "Member"
    bars = {bar.category: bar.caption for bar in group.chart}
    assert bars == {"Information sharing": "1 open, 1 in progress, 1 done", "Research": "1 open, 1 dropped"}
    assert '<svg class="chart-bar"' in response.content.decode()


def test_the_dashboard_counts_down_to_the_next_home_hosted_session(login, group, member):
    MeetingFactory(
        group=group, number=10, status="scheduled", start_date=TODAY + 23 * DAY, end_date=None, city="New Delhi"
    )
    content = login(member).get("/").content.decode()
    assert "10th meeting</a>, New Delhi" in content
    assert "in 23 days" in content


def test_the_dashboard_says_when_the_date_is_to_be_agreed(login, group, member):
    MeetingFactory(group=group, number=10, status="planned", start_date=None, end_date=None, city="")
    content = login(member).get("/").content.decode()
    assert "date to be agreed" in content


@pytest.mark.parametrize("recent", [0, 3, 10, 12])
def test_the_dashboard_shows_the_ten_newest_updates_however_old(login, meeting, member, recent):
    """Recent updates and, when there are fewer than ten, older ones after them: newest first, whatever their age."""
    commitment = CommitmentFactory(meeting=meeting)
    moments = [timezone.now() - n * datetime.timedelta(hours=5) for n in range(recent)]
    moments += [timezone.now() - datetime.timedelta(days=400 + 30 * n) for n in range(12)]
    for moment in moments:
        ProgressUpdateFactory(commitment=commitment, text=f"Posted {moment:%Y-%m-%d %H:%M}", created_at=moment)
    shown = [update.text for update in login(member).get("/").context["latest_updates"]]
    assert shown == [f"Posted {moment:%Y-%m-%d %H:%M}" for moment in sorted(moments, reverse=True)[:10]]


def test_the_newest_updates_are_read_from_the_index_by_date_not_sorted_from_all(meeting, member, other_group):
    """The dashboard's newest updates: found by walking the updates newest first, each checked against what the reader
    may see, until ten are found — not by sorting every update of every commitment the reader may see (on SQLite,
    which keeps no statistics to choose by: PostgreSQL chooses from its own)."""
    mine, theirs = CommitmentFactory(meeting=meeting), CommitmentFactory(meeting=MeetingFactory(group=other_group))
    for n in range(12):
        for commitment in (mine, theirs):
            ProgressUpdateFactory(commitment=commitment, text=f"{commitment.pk}: {n}", created_at=NOW - n * DAY)
    newest = ProgressUpdate.objects.newest_visible_to(member, group_roles(member))[:10]
    assert [update.text for update in newest] == [f"{mine.pk}: {n}" for n in range(10)]
    sql, params = newest.query.sql_with_params()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
        assert "SCAN commitments_progressupdate USING INDEX progress_created" in plan
        assert "TEMP B-TREE FOR ORDER BY" not in plan
    else:
        assert '+"commitments_progressupdate"' not in sql  # the column as it is: the planner chooses


@pytest.mark.parametrize(
    "text", [" ".join(f"word{n}" for n in range(60)), "会議" * 1000, "https://mea.example/" + "Note_verbale" * 100]
)
def test_the_dashboard_shortens_a_long_update_written_with_or_without_spaces(login, commitment, owner, member, text):
    commitment.post_progress(author=owner, text=text)
    page = lxml.html.fromstring(login(member).get("/").content)
    [shown] = page.xpath('//section[@aria-labelledby="latest"]//p[@class="mb-0 small"]/text()')
    assert shown.endswith("…") and text.startswith(shown[:20]) and len(shown) <= 241


def test_the_dashboard_shows_nothing_of_other_groups(login, meeting, outsider):
    CommitmentFactory(meeting=meeting, title="Share intelligence on terrorist groups")
    ProgressUpdateFactory(commitment__meeting=meeting, text="Secret progress")
    content = login(outsider).get("/").content.decode()
    assert "Share intelligence" not in content
    assert "Secret progress" not in content
    assert "India–Uzbekistan" not in content


def test_the_latest_progress_updates_are_on_the_dashboard(login, commitment, owner, member):
    commitment.post_progress(author=owner, text="Training calendar agreed with the partner.")
    assert "Training calendar agreed with the partner." in login(member).get("/").content.decode()


# --- Commitment list and its filters ----------------------------------------------------------


def listed(client, query: str, filter_rows) -> set[str]:
    response = client.get(reverse("commitments:list") + query)
    assert response.status_code == 200
    by_pk = {c.pk: name for name, c in filter_rows.items()}
    return {by_pk[c.pk] for c in response.context["object_list"]}


@pytest.mark.parametrize(("query", "expected"), FILTER_CASES)
def test_each_filter_narrows_the_list(login, owner, filter_rows, group, query, expected):
    query = (
        query.replace("CATEGORY", str(filter_rows["research"].category_id))
        .replace("MEETING", str(filter_rows["done"].meeting_id))
        .replace("GROUP", str(group.pk))
    )
    assert listed(login(owner), query, filter_rows) == expected


@pytest.mark.parametrize(
    ("query", "shown"),
    [("", ""), ("?overdue=true", "true"), ("?overdue=on", "true"), ("?overdue=false", "false"), ("?status=open", "")],
)
def test_the_overdue_filter_shows_what_it_applies_and_sends_it_as_the_lists_links_do(
    login, owner, meeting, query, shown
):
    """Any, overdue or not overdue: chosen, it asks ?overdue=true (or false), as "Mine, overdue" and the dashboard do
    (not the browser's "on"): the address and the export's file name say so; and what the address asks is shown, so
    that Apply keeps it."""
    page = lxml.html.fromstring(login(owner).get(reverse("commitments:list") + query).content)
    [select] = page.xpath('//select[@name="overdue"]')
    assert [(o.get("value"), o.text) for o in select.xpath("option")] == [
        ("", "Any"),
        ("true", "Overdue"),
        ("false", "Not overdue"),
    ]
    assert [o.get("value") for o in select.xpath("option[@selected]")] == [shown]


@pytest.mark.parametrize(
    "ordering", ["priority", "-priority", "status", "follow_up", "-follow_up", "owner", "category"]
)
def test_rows_that_sort_alike_come_in_one_order_with_or_without_filters(login, coordinator, meeting, ordering):
    """The last tie-breaker is the id: pages neither repeat nor skip a row, and a filter keeps the order."""
    earlier = MeetingFactory(group=meeting.group, number=meeting.number - 1)
    made = [  # alternately of two meetings: a database reading them meeting by meeting finds them out of id order
        CommitmentFactory(meeting=(meeting, earlier)[n % 2], title=f"Alike {n}", priority=2, follow_up_date=None)
        for n in range(4)
    ]
    expected = [c.pk for c in sorted(made, key=lambda c: c.pk)]
    client = login(coordinator)
    for query in ({}, {"status": ["open", "in_progress"]}):
        response = client.get(reverse("commitments:list"), {"ordering": ordering, **query})
        assert [c.pk for c in response.context["object_list"]] == expected, query
    api = APIClient()
    api.force_authenticate(coordinator)
    listed = api.get("/api/v1/commitments/", {"ordering": ordering, "status": "open"}).json()["results"]
    assert [row["id"] for row in listed] == expected


def test_the_status_filter_lists_exactly_the_statuses_chosen_in_every_combination(login, coordinator, meeting):
    """Every combination of the four statuses, against the rows of those statuses (the filter is written as the
    statuses not chosen, left out: see CommitmentFilterSet.filter_status)."""
    statuses = Commitment.Status.values
    for status in statuses:
        CommitmentFactory(meeting=meeting, status=status, title=f"Two {status}")
        CommitmentFactory(meeting=meeting, status=status, title=f"One {status}")
    client = login(coordinator)
    for size in range(1, len(statuses) + 1):
        for chosen in itertools.combinations(statuses, size):
            response = client.get(reverse("commitments:list"), {"status": chosen})
            listed = sorted(c.title for c in response.context["object_list"])
            assert listed == sorted(Commitment.objects.filter(status__in=chosen).values_list("title", flat=True))
            assert response.context["paginator"].count == 2 * size


def test_the_lists_kept_parts_follow_the_path_the_site_is_served_under(login, coordinator, meeting):
    """The list's filter panel is kept rendered: its links lead under the path the site is reached by, and at the root
    again afterwards (one key per path)."""
    commitment = CommitmentFactory(meeting=meeting, title="Joint training")
    client = login(coordinator)
    path = reverse("commitments:list")  # as the proxy passes it on, the path under /tracker/ taken off
    set_script_prefix("/tracker/")
    try:
        under = client.get(path).content.decode()
    finally:
        set_script_prefix("/")
    assert 'href="/tracker/search/"' in under and f'href="/tracker/commitments/{commitment.pk}/"' in under
    at_root = client.get(path).content.decode()
    assert "/tracker/search/" not in at_root and "/tracker/commitments/" not in at_root
    assert 'href="/search/"' in at_root and f'href="/commitments/{commitment.pk}/"' in at_root


@pytest.mark.parametrize(("query", "expected"), FILTER_CASES)
def test_no_filter_makes_the_list_distinct(login, owner, filter_rows, group, query, expected):
    """None of the list's filters joins a to-many relation, so none needs DISTINCT (which sorts every column of the
    page and of its count)."""
    client = login(owner)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/commitments/" + filter_query(query, filter_rows, group)).status_code == 200
    table = Commitment._meta.db_table
    listing = [q["sql"] for q in queries if f'FROM "{table}"' in q["sql"]]
    assert len(listing) >= 2  # the count and the page
    assert [sql for sql in listing if "DISTINCT" in sql.upper()] == []


@pytest.mark.parametrize(
    "url",
    [
        "/commitments/?status=open&status=done&owner=mine&overdue=true&q=training&follow_up_before=2027-02-31",
        "/meetings/?host_country=IN&status=held&year=20x",
    ],
)
def test_the_filters_are_written_as_djangos_own_templates_write_them(login, owner, filter_rows, url, monkeypatch):
    """The filter forms' widgets are rendered by the Jinja2 version of Django's widget templates (faster with
    hundreds of options): the same form as the default templates give, chosen values and errors included."""
    client = login(owner)
    pages = []
    for renderer in (FilterForm.default_renderer, DjangoTemplates()):
        monkeypatch.setattr(FilterForm, "default_renderer", renderer)
        document = lxml.html.fromstring(client.get(url).content)
        [form] = [form for form in document.iter("form") if form.get("aria-label", "").startswith("Filter")]
        pages.append(lxml.html.tostring(form, encoding="unicode"))
    assert pages[0].replace("\n\n", "\n") == pages[1].replace("\n\n", "\n")
    assert " selected" in pages[0] and 'class="form-select' in pages[0]  # the chosen values are shown


def test_the_owner_filter_takes_a_person(login, owner, member, filter_rows):
    assert listed(login(owner), f"?owner={member.pk}", filter_rows) == {"research", "done"}


def test_the_list_is_sorted_by_follow_up_date_undated_last(login, owner, filter_rows):
    response = login(owner).get(reverse("commitments:list"))
    titles = [c.title for c in response.context["object_list"]]
    assert titles == [
        "Threat assessment",
        "Share intelligence on movements",
        "Joint research",
        "Joint training programmes",
        "Best practices",
    ]


def test_columns_sort_both_ways(login, owner, filter_rows):
    client = login(owner)
    ascending = [c.title for c in client.get(reverse("commitments:list") + "?ordering=title").context["object_list"]]
    descending = [c.title for c in client.get(reverse("commitments:list") + "?ordering=-title").context["object_list"]]
    assert ascending == sorted(ascending)
    assert descending == list(reversed(ascending))


def test_a_bad_filter_value_gets_a_clear_message_and_no_rows(login, owner, filter_rows):
    response = login(owner).get(reverse("commitments:list") + "?follow_up_before=not-a-date")
    assert response.status_code == 200
    assert list(response.context["object_list"]) == []
    assert "Some filters could not be applied" in response.content.decode()
    assert "Enter a valid date." in response.content.decode()


def test_a_filter_that_takes_one_value_refuses_several(login, owner, filter_rows):
    """?category=1&category=2 used to filter by the last one alone, as if the first had not been asked."""
    categories = f"?category={filter_rows['research'].category_id}&category={filter_rows['done'].category_id}"
    response = login(owner).get(reverse("commitments:list") + categories)
    assert list(response.context["object_list"]) == []
    assert "Some filters could not be applied" in response.content.decode()
    assert "Choose one value only." in response.content.decode()
    api = login(owner).get(reverse("api:commitment-list") + categories)
    assert api.status_code == 400
    assert api.json() == {"category": ["Choose one value only."]}
    several = login(owner).get(reverse("api:commitment-list") + "?status=open&status=done")
    assert several.status_code == 200  # the status takes several


@pytest.mark.parametrize(
    ("query", "field", "error"),
    [
        ("?category=CATEGORY&category=CATEGORY", "category", "Choose one value only."),
        ("?status=someday", "status", "Select a valid choice."),
        ("?owner=abc", "owner", "Select a valid choice."),
        ("?overdue=maybe", "overdue", "Use true or false."),
        ("?follow_up_before=2027-02-31", "follow_up_before", "Enter a valid date."),
    ],
)
def test_each_filters_error_is_said_beside_it(login, owner, filter_rows, query, field, error):
    """Above the form, the banner lists them all; beside each filter, its own, tied to it for screen readers."""
    query = query.replace("CATEGORY", str(filter_rows["research"].category_id))
    document = lxml.html.fromstring(login(owner).get(reverse("commitments:list") + query).content)
    [beside] = document.xpath(f'//*[@id="id_{field}_error"]')
    assert error in beside.text_content()


def test_a_filter_shows_the_value_it_applies(login, owner, filter_rows):
    """A value the filter reads in another spelling is shown as it is applied, not left out of the form."""
    meeting = filter_rows["done"].meeting_id
    client = login(owner)
    response = client.get(reverse("commitments:list") + f"?follow_up_after=01/12/2026&meeting=00{meeting}")
    form = lxml.html.fromstring(response.content)
    assert form.xpath('//input[@name="follow_up_after"]/@value') == ["2026-12-01"]
    assert form.xpath('//select[@name="meeting"]/option[@selected]/@value') == [str(meeting)]
    assert response.context["paginator"].count == len(
        listed(client, f"?follow_up_after=2026-12-01&meeting={meeting}", filter_rows)
    )


def test_a_filter_sent_empty_is_as_if_not_sent(login, owner, filter_rows):
    everything = listed(login(owner), "", filter_rows)
    assert listed(login(owner), "?status=&owner=&q=", filter_rows) == everything
    assert listed(login(owner), "?status=&status=done", filter_rows) == listed(
        login(owner), "?status=done", filter_rows
    )
    api = APIClient()
    api.force_authenticate(owner)
    assert api.get(reverse("api:commitment-list") + "?status=").json()["count"] == len(everything)


@pytest.mark.parametrize(
    ("query", "active"), [("", False), ("?page=1", False), ("?ordering=title", False), ("?owner=mine", True)]
)
def test_the_filter_panel_is_open_when_a_filter_is_asked(login, owner, filter_rows, query, active):
    [panel] = lxml.html.fromstring(login(owner).get(reverse("commitments:list") + query).content).xpath(
        '//details[summary[starts-with(., "Filter")]]'
    )
    assert (panel.get("open") is not None, "(active)" in panel.xpath("string(summary)")) == (active, active)


def test_the_status_checkboxes_look_like_the_others_and_name_their_error(login, owner, filter_rows):
    page = lxml.html.fromstring(login(owner).get(reverse("commitments:list") + "?status=bogus").content)
    boxes = page.xpath('//input[@name="status"]')
    assert boxes and all("form-check-input" in box.get("class", "") for box in boxes)
    [fieldset] = page.xpath('//fieldset[.//input[@name="status"]]')
    assert fieldset.get("aria-describedby") == "id_status_error" and page.xpath('//*[@id="id_status_error"]')


def test_the_list_shows_nothing_of_other_groups(login, outsider, filter_rows):
    response = login(outsider).get(reverse("commitments:list"))
    assert list(response.context["object_list"]) == []
    response = login(outsider).get(reverse("commitments:list") + f"?meeting={filter_rows['done'].meeting_id}")
    assert list(response.context["object_list"]) == []


def filter_form(page: bytes) -> bytes:
    [form] = lxml.html.fromstring(page).xpath('//form[@aria-label="Filter commitments"]')
    return lxml.html.tostring(form)


def options(page: bytes, field: str) -> list[str]:
    return [option.text for option in lxml.html.fromstring(page).xpath(f'//select[@name="{field}"]/option')]


def test_the_filter_form_is_kept_until_the_data_changes(login, owner, coordinator, meeting):
    """The form is kept rendered per user, data version and query (commitments.views.filter_form_key)."""
    CommitmentFactory(meeting=meeting, owner=owner)
    client = login(owner)
    with CaptureQueriesContext(connection) as first:
        page = client.get(reverse("commitments:list")).content
    with CaptureQueriesContext(connection) as again:
        assert filter_form(client.get(reverse("commitments:list")).content) == filter_form(page)
    assert len(again) < len(first)  # its options are not read again
    assert "10th meeting" not in " ".join(options(page, "meeting"))
    MeetingFactory(group=meeting.group, number=10)
    member = member_of(meeting.group, "new-member")
    member.first_name, member.last_name = "Dilnoza", "Karimova"
    member.save()
    page = client.get(reverse("commitments:list")).content
    assert any(label.endswith("10th meeting") for label in options(page, "meeting"))
    assert "Dilnoza Karimova" in options(page, "owner")
    # What was asked for is shown, each query its own
    page = client.get(reverse("commitments:list") + "?q=exchange&owner=mine").content
    form = lxml.html.fromstring(page)
    assert form.xpath('//input[@name="q"]/@value') == ["exchange"]
    assert form.xpath('//select[@name="owner"]/option[@selected]/@value') == ["mine"]
    assert (
        lxml.html.fromstring(client.get(reverse("commitments:list")).content).xpath('//input[@name="q"]/@value') == []
    )


def test_a_filter_form_kept_for_one_user_is_not_shown_to_another(login, owner, outsider, meeting, other_group):
    MeetingFactory(group=other_group, number=3)
    assert any(
        label.endswith("9th meeting")
        for label in options(login(owner).get(reverse("commitments:list")).content, "meeting")
    )
    theirs = options(login(outsider).get(reverse("commitments:list")).content, "meeting")
    assert theirs and not any(label.endswith("9th meeting") for label in theirs)
    assert not any(
        label.endswith("3rd meeting")
        for label in options(login(owner).get(reverse("commitments:list")).content, "meeting")
    )


def test_the_list_is_paginated_and_keeps_the_filter_in_page_links(login, owner, meeting):
    CommitmentFactory.create_batch(55, meeting=meeting, owner=owner)
    response = login(owner).get(reverse("commitments:list") + "?owner=mine")
    assert len(response.context["object_list"]) == 50
    assert "?owner=mine&amp;page=2" in response.content.decode()
    second = login(owner).get(reverse("commitments:list") + "?owner=mine&page=2")
    assert len(second.context["object_list"]) == 5
    # A page that does not exist is the last (a filter may leave fewer pages than a link had), no number the first
    for page, shown in (("99", 2), ("0", 2), ("abc", 1)):
        for url in (reverse("commitments:list") + "?owner=mine&page=", reverse("meetings:list") + "?page="):
            response = login(owner).get(url + page)
            assert response.status_code == 200 and response.context["page_obj"].number == min(
                shown, response.context["paginator"].num_pages
            )


# --- Detail ----------------------------------------------------------------------------------------


def test_the_detail_page_shows_the_journal_newest_first_and_the_history(login, commitment, owner, coordinator):
    commitment.post_progress(author=owner, text="First exchange held.")
    commitment.post_progress(author=owner, text="Second exchange held.", new_status="in_progress")
    commitment.lead_agency = "Ministry of Home Affairs"
    commitment.save_versioned(commitment.version, user=coordinator)

    content = login(owner).get(commitment.get_absolute_url()).content.decode()
    assert content.index("Second exchange held.") < content.index("First exchange held.")
    history = content[content.index("Change history") :]
    assert "Lead agency: — → Ministry of Home Affairs" in history
    assert "Status: Open → In progress" in history
    assert f"{coordinator.get_full_name()} changed it" in history


def journal_dates(client, commitment) -> list[str]:
    page = lxml.html.fromstring(client.get(commitment.get_absolute_url()).content)
    return [text.split(" · ")[0] for text in page.xpath('//article[@class="journal-entry py-2"]/div/text()')]


def test_the_journal_dates_its_entries_in_the_local_time_zone(login, commitment, owner, settings, monkeypatch):
    """Each date is formatted once per process for its time zone, language and format
    (commitments/jinja_engine.py: local_date), in the zone of the moment."""
    with time_machine.travel(datetime.datetime(2026, 11, 28, 10, 0, tzinfo=datetime.UTC), tick=False):
        commitment.post_progress(author=owner, text="Met.")
    client = login(owner)
    assert journal_dates(client, commitment) == ["28 November 2026, 15:30 IST"]
    formatted = []
    monkeypatch.setattr(jinja_engine, "date", lambda *args: formatted.append(args) or "formatted again")
    assert journal_dates(client, commitment) == ["28 November 2026, 15:30 IST"]
    assert formatted == []
    with timezone.override(zoneinfo.ZoneInfo("UTC")):
        assert journal_dates(client, commitment) == ["formatted again"]
    monkeypatch.undo()
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        assert journal_dates(client, commitment) == ["28 November 2026, 05:00 EST"]
    settings.TIME_ZONE = "Asia/Tashkent"
    assert journal_dates(client, commitment) == ["28 November 2026, 15:00 +05"]
    settings.LANGUAGE_CODE = "en-us"  # Django's own formats
    assert journal_dates(client, commitment) == ["Nov. 28, 2026, 3 p.m."]


@pytest.mark.parametrize("shown_in", ["detail", "list"])
def test_user_text_is_escaped(login, meeting, owner, shown_in):
    """The detail page (Django's templates) and the list's rows (commitments/jinja2/commitments/rows.html)."""
    owner.first_name, owner.last_name = "<i>Asha</i>", "Rao"
    owner.save()
    meeting.group.short_name = "<b>JWG</b>"
    meeting.group.save()
    commitment = CommitmentFactory(meeting=meeting, owner=owner, title="<script>alert(1)</script>")
    commitment.post_progress(author=owner, text="<b>Met</b> & agreed.\nNext:\r\nreport\rby March.")
    url = commitment.get_absolute_url() if shown_in == "detail" else reverse("commitments:list")
    content = login(owner).get(url).content.decode()
    assert "<script>alert(1)</script>" not in content and "<i>Asha" not in content and "<b>JWG" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "&lt;i&gt;Asha&lt;/i&gt; Rao" in content and "&lt;b&gt;JWG&lt;/b&gt;" in content
    if shown_in == "detail":  # the journal (commitments/jinja2/commitments/journal.html): each line kept
        assert '<p class="mb-1">&lt;b&gt;Met&lt;/b&gt; &amp; agreed.<br>Next:<br>report<br>by March.</p>' in content
    if shown_in == "list":  # and what the rows mark up is markup, once
        assert f'<a href="/commitments/{commitment.pk}/">&lt;script&gt;' in content
        assert '<span class="badge text-bg-primary">Open</span>' in content


# --- Progress updates ---------------------------------------------------------------------------


def test_an_owner_posts_progress_that_changes_the_status(login, commitment, owner):
    response = login(owner).post(
        reverse("commitments:progress", args=[commitment.pk]),
        {
            "text": "Calendar agreed.",
            "new_status": "in_progress",
            "source": "Note verbale of 3 November 2025",
        },
    )
    assert response.status_code == 302
    assert response.url == commitment.get_absolute_url()
    commitment.refresh_from_db()
    assert commitment.status == Commitment.Status.IN_PROGRESS
    update = commitment.progress_updates.get()
    assert (update.author, update.text, update.source) == (owner, "Calendar agreed.", "Note verbale of 3 November 2025")


def test_with_htmx_the_journal_comes_back_as_a_fragment(login, commitment, owner):
    response = login(owner).post(
        reverse("commitments:progress", args=[commitment.pk]),
        {"text": "Calendar agreed.", "new_status": "done"},
        HTTP_HX_REQUEST="true",
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<section id="journal"')
    assert "<html" not in content
    assert "Calendar agreed." in content
    assert 'id="commitment-facts" data-hx-swap-oob="true"' in content and "Done" in content
    assert 'id="history" aria-labelledby="history-heading" data-hx-swap-oob="true"' in content
    assert "Status: Open → Done" in content


@pytest.mark.parametrize("htmx", [False, True])
def test_empty_progress_is_refused_and_nothing_is_saved(login, commitment, owner, htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = login(owner).post(
        reverse("commitments:progress", args=[commitment.pk]), {"text": "  ", "new_status": "done"}, **headers
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not ProgressUpdate.objects.exists()
    commitment.refresh_from_db()
    assert commitment.status == Commitment.Status.OPEN
    # The page, or through htmx its sections replaced out of band: each once, the refusal announced.
    page = lxml.html.fromstring(f"<div>{response.content.decode()}</div>")
    for section in ("attachments", "history", "commitment-facts", "journal"):
        assert len(page.xpath(f'//*[@id="{section}"]')) == 1, section
    if htmx:
        assert page.xpath('//*[@id="journal-news"]/text()') == ["Not posted: correct the fields marked in the form."]


def test_an_unknown_status_is_refused(login, commitment, owner):
    response = login(owner).post(
        reverse("commitments:progress", args=[commitment.pk]), {"text": "Done", "new_status": "finished"}
    )
    assert "Select a valid choice." in response.content.decode()
    assert not ProgressUpdate.objects.exists()


def test_a_status_it_already_has_is_not_told_as_a_change(login, commitment, owner, member):
    """Posting progress with the status the commitment has: recorded as progress, not as "status → In progress",
    as its change history records no change either (the page, the dashboard and the API alike)."""
    commitment.change_status("in_progress", user=owner)
    api = APIClient()
    api.force_authenticate(owner)
    login(owner).post(
        reverse("commitments:progress", args=[commitment.pk]), {"text": "Met again.", "new_status": "in_progress"}
    )
    answer = api.post(
        f"/api/v1/commitments/{commitment.pk}/progress-updates/",
        {"text": "And again.", "new_status": "in_progress"},
        format="json",
    )
    assert answer.status_code == 201 and answer.json()["new_status"] == ""
    assert list(commitment.progress_updates.values_list("new_status", flat=True)) == ["", ""]
    journal = lxml.html.fromstring(login(member).get(commitment.get_absolute_url()).content)
    dashboard = lxml.html.fromstring(login(member).get("/").content)
    entries = journal.xpath("//article") + dashboard.xpath('//section[@aria-labelledby="latest"]/div')
    assert len(entries) == 4 and not [entry for entry in entries if "→" in entry.text_content()]


def test_a_coordinator_posts_on_any_commitment_of_the_group(login, commitment, coordinator):
    login(coordinator).post(reverse("commitments:progress", args=[commitment.pk]), {"text": "Chased the owner."})
    assert commitment.progress_updates.get().author == coordinator


def test_a_member_may_not_post_progress_on_someone_elses_commitment(login, commitment, member):
    response = login(member).post(reverse("commitments:progress", args=[commitment.pk]), {"text": "Hello"})
    assert response.status_code == 403
    assert not ProgressUpdate.objects.exists()


def test_progress_only_accepts_posts(login, commitment, owner):
    assert login(owner).get(reverse("commitments:progress", args=[commitment.pk])).status_code == 405


# --- Editing ---------------------------------------------------------------------------------


def test_a_coordinator_edits_a_commitment(login, commitment, coordinator):
    response = login(coordinator).post(
        reverse("commitments:edit", args=[commitment.pk]),
        commitment_form_data(commitment, lead_agency="National Investigation Agency"),
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.lead_agency == "National Investigation Agency"
    assert commitment.version == 2
    assert commitment.history.first().history_user == coordinator


def owner_gone(commitment, how: str) -> None:
    """The owner leaves the commitment's group, or their account is deactivated; the commitment waits for a handover."""
    if how == "left":
        commitment.owner.memberships.filter(group=commitment.meeting.group_id).delete()
    else:
        commitment.owner.is_active = False
        commitment.owner.save()


@pytest.mark.parametrize("how", ["left", "deactivated"])
def test_editing_a_commitment_whose_owner_is_gone_keeps_the_owner(login, commitment, coordinator, owner, how):
    owner_gone(commitment, how)
    client = login(coordinator)
    page = lxml.html.fromstring(client.get(reverse("commitments:edit", args=[commitment.pk])).content)
    [chosen] = page.xpath('//select[@name="owner"]/option[@selected]')
    assert chosen.get("value") == str(owner.pk)
    assert chosen.text.endswith("(no longer a member)" if how == "left" else "(account closed)")
    response = client.post(
        reverse("commitments:edit", args=[commitment.pk]), commitment_form_data(commitment, priority=1)
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert (commitment.owner, commitment.priority) == (owner, 1)


def test_editing_keeps_a_grantee_whose_account_was_closed(login, commitment, coordinator, member):
    commitment.restricted = True
    commitment.save_versioned(commitment.version, user=coordinator)
    commitment.access_granted_to.add(member)
    member.is_active = False
    member.save()
    response = login(coordinator).post(
        reverse("commitments:edit", args=[commitment.pk]), commitment_form_data(commitment, priority=1)
    )
    assert response.status_code == 302
    assert list(commitment.access_granted_to.all()) == [member]


def test_the_edit_form_offers_each_person_once_however_many_grants_they_hold(login, commitment, coordinator, member):
    for other in CommitmentFactory.create_batch(2, meeting=commitment.meeting, restricted=True):
        other.access_granted_to.add(member)
    commitment.restricted = True
    commitment.save_versioned(commitment.version, user=coordinator)
    commitment.access_granted_to.add(member)
    page = lxml.html.fromstring(login(coordinator).get(reverse("commitments:edit", args=[commitment.pk])).content)
    for field in ("access_granted_to", "owner"):
        values = page.xpath(f'//*[@name="{field}"]//@value | //input[@name="{field}"]/@value')
        values = [value for value in values if value]
        assert len(values) == len(set(values)), field
    assert str(member.pk) in page.xpath('//*[@name="access_granted_to"]/@value | //option/@value')


def test_a_commitment_moved_to_another_groups_meeting_needs_an_owner_of_that_group(
    login, commitment, coordinator, other_group
):
    elsewhere = MeetingFactory(group=other_group, number=2)
    member_of(other_group, "coordinator-there", "coordinator")
    other_group.memberships.create(user=coordinator, role="coordinator")
    response = login(coordinator).post(
        reverse("commitments:edit", args=[commitment.pk]), commitment_form_data(commitment, meeting=elsewhere.pk)
    )
    assert response.status_code == 422 and "must be a member" in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.meeting_id != elsewhere.pk


def test_an_owner_edits_only_status_and_follow_up_date(login, commitment, owner):
    response = login(owner).get(reverse("commitments:edit", args=[commitment.pk]))
    assert set(response.context["form"].fields) == {"status", "follow_up_date", "reason", "expected_version"}
    response = login(owner).post(
        reverse("commitments:edit", args=[commitment.pk]),
        {
            "status": "in_progress",
            "follow_up_date": "2027-01-15",
            "reason": "The partner's reply is expected in January.",
            "expected_version": 1,
            "title": "Renamed by the owner",
            "owner": "",
        },
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.status == Commitment.Status.IN_PROGRESS
    assert commitment.follow_up_date == datetime.date(2027, 1, 15)
    assert commitment.title != "Renamed by the owner"
    assert commitment.owner == owner


def test_it_refuses_a_stale_edit_shows_what_changed_and_keeps_the_input(login, commitment, coordinator, owner):
    owner.first_name, owner.last_name = "Priya", "Nair"
    owner.save()
    opened = commitment_form_data(commitment, lead_agency="National Investigation Agency")
    with time_machine.travel(timezone.make_aware(datetime.datetime(2026, 11, 30, 10, 42)), tick=False):
        commitment.post_progress(author=owner, text="Done on our side.", new_status="done")

    with time_machine.travel(timezone.make_aware(datetime.datetime(2026, 11, 30, 10, 50)), tick=False):
        response = login(coordinator).post(reverse("commitments:edit", args=[commitment.pk]), opened)
    content = response.content.decode()
    assert response.status_code == 422
    assert "Priya Nair saved this commitment at 10:42, after you opened it." in content
    assert "version" not in content.split("Priya Nair saved")[1].split("</div>")[0]
    assert "Status: Open → <strong>Done</strong>" in content
    assert 'value="National Investigation Agency"' in content
    commitment.refresh_from_db()
    assert commitment.lead_agency == ""
    assert commitment.status == Commitment.Status.DONE

    # The form now holds the saved status (the user did not touch it) and the user's lead agency:
    # saving it as it is keeps both.
    again = response.context["form"].data
    assert again["status"] == "done"
    assert login(coordinator).post(reverse("commitments:edit", args=[commitment.pk]), again).status_code == 302
    commitment.refresh_from_db()
    assert commitment.lead_agency == "National Investigation Agency"
    assert commitment.status == Commitment.Status.DONE


def test_a_refused_save_does_not_put_back_the_owner_a_colleague_changed(
    login, commitment, coordinator, owner, owner2, smtp_server
):
    tab_b = commitment_form_data(commitment, description="Monthly exchanges through the liaison officers.")
    tab_a = commitment_form_data(commitment, owner=owner2.pk)
    client = login(coordinator)
    assert client.post(reverse("commitments:edit", args=[commitment.pk]), tab_a).status_code == 302

    refused = client.post(reverse("commitments:edit", args=[commitment.pk]), tab_b)
    assert refused.status_code == 422
    form = refused.context["form"]
    assert str(form.data["owner"]) == str(owner2.pk)  # the colleague's change, not the value B opened with
    assert form.data["description"] == "Monthly exchanges through the liaison officers."
    assert form.conflicts == []  # nothing changed by both: nothing to choose
    Reminder.objects.all().delete()

    assert client.post(reverse("commitments:edit", args=[commitment.pk]), form.data).status_code == 302
    commitment.refresh_from_db()
    assert commitment.owner == owner2
    assert commitment.description == "Monthly exchanges through the liaison officers."
    assert not Reminder.objects.exists()  # nobody is told of a hand-over back and forth


def test_a_field_both_changed_is_shown_side_by_side_for_the_user_to_choose(login, commitment, coordinator, owner):
    tab_b = commitment_form_data(commitment, follow_up_date="2027-02-01", lead_agency="Intelligence Bureau")
    commitment.follow_up_date = datetime.date(2027, 1, 20)
    commitment.save_versioned(commitment.version, user=owner)
    client = login(coordinator)
    refused = client.post(reverse("commitments:edit", args=[commitment.pk]), tab_b)
    form = refused.context["form"]
    assert [(c.label, c.mine, c.theirs) for c in form.conflicts] == [
        ("Follow-up date", "1 February 2027", "20 January 2027")
    ]
    content = refused.content.decode()
    assert "Keep yours: 1 February 2027" in content
    assert f"Keep {owner.get_full_name()}’s: 20 January 2027" in content

    # Saving without choosing asks again; choosing theirs keeps their date and the user's other change.
    unchosen = client.post(reverse("commitments:edit", args=[commitment.pk]), form.data)
    assert unchosen.status_code == 422
    assert "Choose which value to keep." in unchosen.content.decode()
    chosen = {**unchosen.context["form"].data.dict(), "keep_follow_up_date": "theirs"}
    assert client.post(reverse("commitments:edit", args=[commitment.pk]), chosen).status_code == 302
    commitment.refresh_from_db()
    assert commitment.follow_up_date == datetime.date(2027, 1, 20)
    assert commitment.lead_agency == "Intelligence Bureau"


def both_moved_the_date(login, commitment, coordinator, owner):
    """The coordinator's save of 1 February, refused: the owner saved 20 January meanwhile. The client, the form."""
    tab_b = commitment_form_data(commitment, follow_up_date="2027-02-01")
    commitment.follow_up_date = datetime.date(2027, 1, 20)
    commitment.save_versioned(commitment.version, user=owner)
    client = login(coordinator)
    return client, client.post(reverse("commitments:edit", args=[commitment.pk]), tab_b).context["form"]


def test_choosing_ones_own_value_overwrites_the_colleagues(login, commitment, coordinator, owner):
    client, form = both_moved_the_date(login, commitment, coordinator, owner)
    chosen = {**form.data.dict(), "keep_follow_up_date": "mine"}
    assert client.post(reverse("commitments:edit", args=[commitment.pk]), chosen).status_code == 302
    commitment.refresh_from_db()
    assert commitment.follow_up_date == datetime.date(2027, 2, 1)


def test_bad_input_is_refused_with_messages_and_nothing_saved(login, commitment, coordinator):
    response = login(coordinator).post(
        reverse("commitments:edit", args=[commitment.pk]),
        commitment_form_data(commitment, title="", category=999999, follow_up_date="31/02/2026", priority="urgent"),
    )
    errors = response.context["form"].errors
    assert set(errors) == {"title", "category", "follow_up_date", "priority"}
    assert "Select a valid choice" in errors["category"][0]
    commitment.refresh_from_db()
    assert commitment.version == 1


def test_a_coordinator_records_a_new_commitment(login, meeting, coordinator, owner):
    url = reverse("commitments:create") + f"?meeting={meeting.pk}"
    assert login(coordinator).get(url).context["form"].initial["meeting"] == str(meeting.pk)
    response = login(coordinator).post(
        reverse("commitments:create"), new_commitment_data(meeting, owner, follow_up_date="2027-02-01")
    )
    commitment = Commitment.objects.get(title="Joint research on radicalization")
    assert response.url == commitment.get_absolute_url()
    assert commitment.created_by == coordinator


def test_the_owner_must_belong_to_the_group(login, meeting, coordinator, outsider):
    response = login(coordinator).post(
        reverse("commitments:create"),
        {
            "meeting": meeting.pk,
            "title": "Anything",
            "category": 3,
            "owner": outsider.pk,
            "responsible_side": "joint",
            "status": "open",
            "priority": 2,
        },
    )
    assert "owner" in response.context["form"].errors
    assert not Commitment.objects.exists()


def test_a_coordinator_cannot_file_under_another_groups_meeting(login, coordinator, other_group):
    other_meeting = MeetingFactory(group=other_group, host_country="JP")
    response = login(coordinator).post(
        reverse("commitments:create"),
        {
            "meeting": other_meeting.pk,
            "title": "Anything",
            "category": 3,
            "responsible_side": "joint",
            "status": "open",
            "priority": 2,
        },
    )
    assert "meeting" in response.context["form"].errors
    assert not Commitment.objects.exists()


def test_a_commitment_without_history_shows_no_changes(login, commitment, owner):
    """Rows loaded in bulk (an import) have no history records yet: the page still opens."""
    commitment.history.all().delete()
    response = login(owner).get(commitment.get_absolute_url())
    assert response.status_code == 200
    assert "No recorded changes." in response.content.decode()


@pytest.mark.parametrize("recorded", [0, 1])
def test_a_history_with_nothing_changed_looks_up_no_names(commitment, owner, recorded):
    """Names of people, categories and meetings are looked up for changes to tell: a commitment never changed since
    it was recorded (or loaded in bulk, with no record) has none."""
    if not recorded:
        commitment.history.all().delete()
    assert commitment.history.count() == recorded
    with CaptureQueriesContext(connection) as read:
        assert [change.kind for change in change_log(commitment, owner)] == ["created"] * recorded
    looked_up = [
        table
        for table in ("auth_user", "commitments_category", "meetings_meeting")
        for query in read.captured_queries
        if f'FROM "{table}"' in query["sql"]
    ]
    assert looked_up == []


def test_one_edit_of_fields_and_grants_is_one_entry_of_the_history(login, commitment, coordinator, member):
    """The form saves the fields, then the grants (two records): the history shows one change, by one person."""
    client = login(coordinator)
    data = commitment_form_data(commitment, restricted="on", access_granted_to=[member.pk], priority=1)
    assert client.post(reverse("commitments:edit", args=[commitment.pk]), data).status_code == 302
    api = APIClient()
    api.force_authenticate(coordinator)
    url = reverse("api:commitment-detail", args=[commitment.pk])
    response = api.patch(url, {"access_granted_to": [], "priority": 2}, format="json", HTTP_IF_MATCH='"2"')
    assert response.status_code == 200, response.content
    history = client.get(commitment.get_absolute_url()).context["history"]
    assert [(change.kind, sorted(c.label for c in change.changes)) for change in history[:2]] == [
        ("changed", ["access granted to", "priority"]),
        ("changed", ["access granted to", "priority", "restricted"]),
    ]
    assert history[2].kind == "created" and len(history) == 3


def test_saving_the_form_unchanged_changes_nothing(login, commitment, coordinator):
    client = login(coordinator)
    response = client.post(reverse("commitments:edit", args=[commitment.pk]), commitment_form_data(commitment))
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.version == 1
    assert commitment.history.count() == 1


def test_save_and_add_another_keeps_the_meeting_and_the_category(login, meeting, coordinator, owner):
    client = login(coordinator)
    data = new_commitment_data(meeting, owner, _addanother="1")
    response = client.post(reverse("commitments:create"), data)
    assert response.status_code == 302
    assert response.url == reverse("commitments:create") + f"?meeting={meeting.pk}&category=3"
    next_form = client.get(response.url).context["form"]
    assert (next_form["meeting"].value(), next_form["category"].value()) == (str(meeting.pk), "3")
    assert next_form["title"].value() is None
    assert Commitment.objects.filter(title="Joint research on radicalization").exists()


def test_lead_agency_and_counterpart_suggest_the_values_used_in_the_group(login, meeting, coordinator, other_group):
    CommitmentFactory(meeting=meeting, lead_agency="National Investigation Agency", partner_counterpart="SSS")
    CommitmentFactory(meeting=meeting, lead_agency="National Investigation Agency")
    CommitmentFactory(meeting=meeting, lead_agency="Intelligence Bureau")
    CommitmentFactory(meeting=MeetingFactory(group=other_group), lead_agency="Cabinet Secretariat")
    content = login(coordinator).get(reverse("commitments:create")).content.decode()
    assert 'list="lead_agency-suggestions"' in content
    datalist = content.split('<datalist id="lead_agency-suggestions">')[1].split("</datalist>")[0]
    assert datalist == '<option value="National Investigation Agency"><option value="Intelligence Bureau">'  # most used
    assert '<datalist id="partner_counterpart-suggestions"><option value="SSS"></datalist>' in content


def test_access_is_granted_by_ticking_the_groups_members(login, commitment, coordinator, owner, member, outsider):
    response = login(coordinator).get(reverse("commitments:edit", args=[commitment.pk]))
    field = response.context["form"].fields["access_granted_to"]
    assert field.widget.input_type == "checkbox"
    assert set(field.queryset) == {coordinator, owner, member}
    assert 'type="checkbox" name="access_granted_to"' in response.content.decode()


def test_a_colleagues_grant_is_listed_among_their_changes(login, meeting, coordinator, owner, member):
    restricted = CommitmentFactory(meeting=meeting, owner=owner, restricted=True)
    opened = commitment_form_data(restricted, lead_agency="Intelligence Bureau")
    restricted.access_granted_to.add(member)
    restricted.save_versioned(restricted.version, user=owner)
    refused = login(coordinator).post(reverse("commitments:edit", args=[restricted.pk]), opened)
    changes = [(c.label, c.old, c.new) for c in refused.context["form"].conflict_changes]
    assert changes == [("access granted to", "—", member.get_full_name())]
    assert refused.context["form"].data.getlist("access_granted_to") == [str(member.pk)]


def test_a_name_typed_another_way_is_saved_as_the_one_used(login, meeting, coordinator, owner):
    CommitmentFactory(meeting=meeting, lead_agency="Ministry of Home Affairs")
    data = new_commitment_data(
        meeting,
        owner,
        title="Joint training programmes",
        lead_agency="ministry of  home affairs ",
        partner_counterpart="  State Security   Service ",
    )
    assert login(coordinator).post(reverse("commitments:create"), data).status_code == 302
    saved = Commitment.objects.get(title="Joint training programmes")
    assert (saved.lead_agency, saved.partner_counterpart) == ("Ministry of Home Affairs", "State Security Service")


def test_the_next_commitment_of_a_row_starts_at_its_title(login, meeting, coordinator):
    response = login(coordinator).get(reverse("commitments:create") + f"?meeting={meeting.pk}&category=3")
    assert "autofocus" in str(response.context["form"]["title"])


def test_keeping_a_colleagues_value_and_nothing_else_saves_nothing(login, commitment, coordinator, owner):
    client, form = both_moved_the_date(login, commitment, coordinator, owner)
    chosen = {**form.data.dict(), "keep_follow_up_date": "theirs"}
    assert client.post(reverse("commitments:edit", args=[commitment.pk]), chosen).status_code == 302
    commitment.refresh_from_db()
    assert commitment.version == 2  # no new version, which would refuse a colleague's edit for nothing


def test_the_api_saves_a_name_as_it_is_used_in_the_group(client, meeting, commitment, coordinator):

    CommitmentFactory(meeting=meeting, lead_agency="Ministry of Home Affairs")
    CommitmentFactory(meeting=meeting, lead_agency="Ministry of Home Affairs")
    CommitmentFactory(meeting=meeting, lead_agency="ministry of home affairs")  # a variant already in
    response = api_patch(client, commitment, coordinator, {"lead_agency": "MINISTRY OF HOME  AFFAIRS", "version": 1})
    assert response.status_code == 200
    commitment.refresh_from_db()
    assert commitment.lead_agency == "Ministry of Home Affairs"


def api_patch(client, commitment, user, data: dict):
    from tests.factories import api_token

    return client.patch(
        reverse("api:commitment-detail", args=[commitment.pk]),
        data,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {api_token(user)}",
    )


def test_an_api_edit_that_only_adds_spaces_records_no_version(client, commitment, coordinator):

    commitment.lead_agency = "Intelligence Bureau"
    commitment.save_versioned(1)
    response = api_patch(client, commitment, coordinator, {"lead_agency": "Intelligence Bureau  ", "version": 2})
    assert response.status_code == 200
    commitment.refresh_from_db()
    assert commitment.version == 2


def page_forms(page: bytes) -> list[str]:
    """The forms of the commitment's page, as HTML (the CSRF token aside: it is each request's own)."""
    document = lxml.html.fromstring(page)
    for token in document.xpath('//input[@name="csrfmiddlewaretoken"]'):
        token.drop_tree()
    return [lxml.html.tostring(form, encoding="unicode") for form in document.xpath("//main//form")]


def test_the_blank_forms_of_a_commitment_page_are_rendered_once(login, commitment, owner, monkeypatch):
    """The progress and attachment forms are the same for everyone until filled in: their fields are rendered once
    per process, not on every view of every commitment."""
    client = login(owner)
    first = page_forms(client.get(commitment.get_absolute_url()).content)
    assert len(first) == 2
    widgets = []
    as_widget = BoundField.as_widget
    monkeypatch.setattr(
        BoundField, "as_widget", lambda field, *a, **k: widgets.append(field.name) or as_widget(field, *a, **k)
    )
    other = CommitmentFactory(meeting=commitment.meeting, owner=owner)
    again = page_forms(client.get(other.get_absolute_url()).content)
    assert widgets == []
    assert [form.replace(f"/{other.pk}/", f"/{commitment.pk}/") for form in again] == first


def test_a_filled_in_form_is_shown_as_filled_and_the_blank_one_stays_blank(login, commitment, owner):
    client = login(owner)
    client.get(commitment.get_absolute_url())  # the blank forms, kept
    refused = client.post(
        reverse("commitments:progress", args=[commitment.pk]), {"text": " ", "source": "Embassy cable 12"}
    ).content.decode()
    assert "This field is required." in refused and 'value="Embassy cable 12"' in refused
    blank = client.get(commitment.get_absolute_url()).content.decode()
    assert "This field is required." not in blank and "Embassy cable 12" not in blank
