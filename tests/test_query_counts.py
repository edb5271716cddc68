"""List pages run a constant number of queries, whatever the number of rows."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments import attachments
from tests.factories import (
    AgendaTopicFactory,
    CommitmentFactory,
    MeetingFactory,
    ParticipantFactory,
    ProgressUpdateFactory,
)

# Every logged-in page starts with: the session, the user.
DASHBOARD_QUERIES = 10  # + groups, their upcoming sessions, counts by group, category and status, categories,
#                            the user's roles, my ten soonest open commitments and their count, latest updates
MEETING_LIST_QUERIES = 6  # + the user's roles, the count for pagination, groups (filter choices), the page
COMMITMENT_LIST_QUERIES = 9  # + owners (filter choices), the user's roles, the count for pagination,
#                                  groups and meetings (filter choices), categories, the page
# On PostgreSQL a text search first looks up the variants of its words in the table of words (commitments/search.py).
VARIANTS = 1 if connection.vendor == "postgresql" else 0
SEARCH_QUERIES = 7  # + each kind's best hits with their count (5)
SEARCH_KIND_QUERIES = 4  # + the count for pagination, the page
COMMITMENT_PAGE_QUERIES = 10  # + the user's roles, the commitment, its journal, its files, its history and the
#                                 grants recorded in it, its files' history, those granted access (restricted)


def add_rows(group, owner, n: int, first: int = 0) -> None:
    """n commitments with a progress update each, ten to a meeting."""
    for i in range(first, first + n):
        if i % 10 == 0 or i == first:
            meeting = MeetingFactory(group=group, number=100 + i)
        commitment = CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=None if i % 3 else "2026-01-01")
        ProgressUpdateFactory(commitment=commitment, author=owner)


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/", DASHBOARD_QUERIES),
        ("/meetings/", MEETING_LIST_QUERIES),
        ("/meetings/?status=held&year=2025", MEETING_LIST_QUERIES),
        ("/commitments/", COMMITMENT_LIST_QUERIES),
        (
            "/commitments/?owner=mine&overdue=true&q=intelligence&ordering=-follow_up",
            COMMITMENT_LIST_QUERIES + VARIANTS,
        ),
        ("/search/?q=intelligence", SEARCH_QUERIES + VARIANTS),
        ("/search/?q=exchange+held", SEARCH_QUERIES + VARIANTS),
        ("/search/?q=intelligence&kind=commitments", SEARCH_KIND_QUERIES + VARIANTS),
        ("/search/?q=held&kind=progress-updates&page=2", SEARCH_KIND_QUERIES + VARIANTS),
    ],
)
def test_list_pages_do_not_grow_with_rows(login, group, owner, url, expected):
    client = login(owner)
    client.get("/")  # the session's first request records its start: a write the later ones skip
    add_rows(group, owner, 1)
    one = count(client, url)
    add_rows(group, owner, 99, first=1)
    many = count(client, url)
    assert (one, many) == (expected, expected)


def add_to_the_journal(commitment, people, n: int, first: int = 0) -> None:
    """n progress updates, each with a file, and n edits of the commitment (a history record each)."""
    for i in range(first, first + n):
        author = people[i % len(people)]
        update = ProgressUpdateFactory(commitment=commitment, author=author, source=f"note {i}")
        attachments.attach(
            update, [attachments.check(SimpleUploadedFile(f"note-{i}.txt", b"Note %d\n" % i))], user=author
        )
        commitment.title = f"Exchange of information, step {i}"
        commitment.save_versioned(commitment.version, user=author)


@pytest.mark.parametrize("reader", ["owner", "coordinator"])
def test_a_commitment_page_does_not_grow_with_its_journal_files_and_history(login, meeting, owner, coordinator, reader):
    commitment = CommitmentFactory(meeting=meeting, owner=owner, restricted=True)
    client = login({"owner": owner, "coordinator": coordinator}[reader])
    client.get("/")
    add_to_the_journal(commitment, [owner, coordinator], 1)
    one = count(client, commitment.get_absolute_url())
    add_to_the_journal(commitment, [owner, coordinator], 29, first=1)
    many = count(client, commitment.get_absolute_url())
    assert (one, many) == (COMMITMENT_PAGE_QUERIES, COMMITMENT_PAGE_QUERIES)


@pytest.mark.parametrize("below", ["", "brief/"])  # the meeting's page, its brief
def test_a_meeting_page_and_its_brief_do_not_grow_with_what_was_agreed(login, meeting, owner, coordinator, below):
    client = login(coordinator)
    client.get("/")
    url = meeting.get_absolute_url() + below

    def agree(n: int, first: int = 0) -> None:
        for i in range(first, first + n):
            commitment = CommitmentFactory(meeting=meeting, owner=owner, restricted=i % 2 == 0)
            ProgressUpdateFactory(commitment=commitment, author=owner)
            ParticipantFactory(meeting=meeting, name=f"Delegate {i}")
            AgendaTopicFactory(meeting=meeting, title=f"Topic {i}")
            attachments.attach(
                meeting, [attachments.check(SimpleUploadedFile(f"record-{i}.txt", b"%d\n" % i))], user=coordinator
            )

    agree(1)
    one = count(client, url)
    agree(29, first=1)
    many = count(client, url)
    assert one == many
