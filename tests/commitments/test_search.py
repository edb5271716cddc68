"""The search (commitments/search.py): the search page, the commitment list's `q` and the API's `q`.

On PostgreSQL the search matches stemmed words and their close spellings ("radicalisation" finds
"radicalization", "Uzbek" finds "Uzbekistan"), through the search documents and the table of words that its
migrations keep there; on SQLite, each word as typed. Each test says what both find, and what only PostgreSQL
finds; the PostgreSQL-only tests of the database's own objects (triggers, indexes) are skipped on SQLite.
"""

import hashlib
import re

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from commitments import search
from commitments.models import Attachment, Commitment
from config.postgres import DOCUMENT
from meetings.models import Participant
from tests.factories import CommitmentFactory, MeetingFactory, ParticipantFactory

POSTGRESQL = connection.vendor == "postgresql"
postgresql_only = pytest.mark.skipif(not POSTGRESQL, reason="the database's own search objects: PostgreSQL only")


def attach(user, text: str, name: str = "record.pdf", **place) -> Attachment:
    """An attachment whose text has been read (as the task that reads PDF and Word files leaves it)."""
    return Attachment.objects.create(
        **place,
        file=ContentFile(b"x", name="x"),
        name=name,
        content_type="application/pdf",
        size=1,
        sha256=hashlib.sha256(f"{name}{text}".encode()).hexdigest(),
        uploaded_by=user,
        text=text,
    )


@pytest.fixture
def records(group, meeting, owner, coordinator):
    """The Tashkent meeting's records, each holding words that only it holds."""
    meeting.venue = "Hotel Uzbekistan"
    meeting.outcome_summary = "The two sides agreed to deepen cooperation against terrorist financing."
    meeting.record_reference = "Record of Discussions of the 9th meeting"
    meeting._history_user = coordinator
    meeting.save()
    research = CommitmentFactory(
        meeting=meeting,
        owner=owner,
        title="Launch joint research",
        description="A study of the drivers of radicalization in the region.",
        lead_agency="Bureau of Police Research and Development",
    )
    exchange = CommitmentFactory(
        meeting=meeting,
        owner=owner,
        title="Exchange of information on financing",
        partner_counterpart="State Security Service of Uzbekistan",
    )
    update = exchange.post_progress(
        author=owner,
        text="First list of crypto wallets exchanged with the partner side.",
        source="Note verbale of the Embassy of Uzbekistan, 3 November 2025",
    )
    chair = ParticipantFactory(
        meeting=meeting,
        name="Bakhtiyor Saidov",
        title="Deputy Minister of Foreign Affairs",
        organisation="Ministry of Foreign Affairs",
        country="UZ",
        role=Participant.Role.CO_CHAIR,
    )
    paper = attach(owner, "Annex: typologies of cryptocurrency transfers and hawala.", "annex-typologies.pdf",
                   commitment=exchange)  # fmt: skip
    minutes = attach(coordinator, "Minutes of the joint session in Tashkent.", "minutes.docx", meeting=meeting)
    return {
        "research": research,
        "exchange": exchange,
        "update": update,
        "meeting": meeting,
        "chair": chair,
        "paper": paper,
        "minutes": minutes,
    }


def found(client, text: str) -> dict[str, list[str]]:
    """{kind: the headings of its hits, as plain text} on the search page."""
    response = client.get(reverse("search"), {"q": text})
    assert response.status_code == 200
    return {
        group.kind.slug: [strip_marks(hit.heading) for hit in group.hits]
        for group in response.context["groups"]
        if group.hits
    }


def strip_marks(html: str) -> str:
    return html.replace("<mark>", "").replace("</mark>", "")


# --- What it finds -----------------------------------------------------------------------------------------


def test_it_finds_progress_text_and_sources(login, owner, records):
    client = login(owner)
    reference = records["exchange"].reference
    heading = f"{reference} Exchange of information on financing"
    assert found(client, "note verbale")["progress-updates"] == [heading]
    crypto = found(client, "crypto")
    assert crypto["progress-updates"] == [heading]
    # On SQLite "crypto" is in "cryptocurrency"; on PostgreSQL, "cryptocurrency" begins with it.
    assert crypto["attachments"] == ["annex-typologies.pdf"]


def test_it_finds_meetings_by_city_venue_outcome_and_agreed_record(login, member, records):
    client = login(member)
    ninth = records["meeting"].summary
    for text in ("Tashkent", "Hotel Uzbekistan", "financing", "Record of Discussions"):
        assert ninth in found(client, text).get("meetings", []), text


def test_a_countrys_name_finds_the_meetings_it_hosted_and_its_delegates(login, member, records, group):
    MeetingFactory(group=group, number=8, host_country="IN", city="New Delhi")
    client = login(member)
    for text in ("Uzbekistan", "uzbekistan"):
        hits = found(client, text)
        assert hits["meetings"][0] == records["meeting"].summary  # hosted there: first, before the group's others
        assert hits["participants"] == ["Bakhtiyor Saidov"]


def test_it_finds_participants_and_attachments(login, member, records):
    client = login(member)
    assert found(client, "Saidov")["participants"] == ["Bakhtiyor Saidov"]
    assert found(client, "Deputy Minister")["participants"] == ["Bakhtiyor Saidov"]
    assert found(client, "hawala")["attachments"] == ["annex-typologies.pdf"]
    assert found(client, "minutes")["attachments"] == ["minutes.docx"]
    page = client.get("/search/", {"q": "hawala"}).content.decode()
    assert f'href="{records["exchange"].get_absolute_url()}"' in page  # the page that lists the file


@pytest.mark.parametrize(
    ("text", "postgresql_finds", "sqlite_finds"),
    [
        ("radicalisation", "research", None),  # the British spelling of "radicalization"
        ("radicalized", "research", None),  # another form of the word
        ("Uzbek", "exchange", "exchange"),  # "Uzbekistan" in its partner counterpart (SQLite: a part of a word)
        ("intellgence sharing", None, None),  # nothing holds "intelligence"
        ("reserch", "research", None),  # a typo
    ],
)
def test_spelling_variants_and_word_forms_match_on_postgresql(
    login, owner, records, text, postgresql_finds, sqlite_finds
):
    """SQLite matches each word as typed, anywhere in a field (docs/using.md says so)."""
    commitments = " ".join(found(login(owner), text).get("commitments", []))
    expected = postgresql_finds if POSTGRESQL else sqlite_finds
    assert (records[expected].reference in commitments) if expected else commitments == ""


@pytest.mark.parametrize(
    ("text", "kind", "postgresql_finds", "sqlite_finds"),
    [
        ("radicalise", "commitments", True, False),  # British spellings the stemmer does not join to American ones
        ("radicalised", "commitments", True, False),
        ("law-enforcement", "commitments", True, True),  # written with a space
        ("law enforcement", "progress-updates", True, True),  # written with a hyphen
        ("Rustamov", "progress-updates", True, True),  # inside angle brackets
        ("secret", "attachments", True, True),  # a file name's parts
        ("docx", "attachments", True, True),
        ("secret-annex.docx", "attachments", True, True),
    ],
)
def test_words_are_found_however_they_are_joined_or_spelled(
    login, owner, records, text, kind, postgresql_finds, sqlite_finds
):
    """Found by an outside tester: a name in angle brackets, a hyphenated word or file name, a British spelling."""
    records["research"].title = "Train law enforcement officers"
    records["research"].save_versioned(records["research"].version, user=owner)
    records["exchange"].post_progress(author=owner, text="Reply awaited from <Col. Rustamov> on law-enforcement.")
    attach(owner, "Second annex.", "secret-annex.docx", commitment=records["exchange"])
    hits = found(login(owner), text).get(kind, [])
    assert bool(hits) == (postgresql_finds if POSTGRESQL else sqlite_finds), hits


@pytest.mark.parametrize("text", ["10th meeting", "Meeting 10", "10th session", "10"])
def test_a_meeting_is_found_by_its_number(login, owner, group, records, text):
    """Found by an outside tester: "10th meeting" found the 9th (whose outcome mentions the 10th), not the 10th."""
    tenth = MeetingFactory(group=group, number=10, host_country="IN", status="planned", start_date=None, end_date=None)
    meetings = found(login(owner), text).get("meetings", [])
    assert meetings and tenth.title in meetings[0], meetings


def test_the_words_as_typed_rank_first(login, owner, meeting, records):
    CommitmentFactory(meeting=meeting, owner=owner, title="Workshop on radicalisation online")
    titles = found(login(owner), "radicalisation")["commitments"]
    assert "Workshop on radicalisation online" in titles[0]
    if POSTGRESQL:
        assert records["research"].reference in titles[1]


def test_a_reference_opens_the_commitment(login, owner, records):
    commitment = records["research"]
    client = login(owner)
    for text in (commitment.reference, f"c{commitment.pk}", f" C-{commitment.pk} "):
        response = client.get(reverse("search"), {"q": text})
        assert response.status_code == 302
        assert response["Location"] == commitment.get_absolute_url()


def test_a_reference_one_may_not_read_answers_as_one_that_does_not_exist(login, member, owner, meeting):
    secret = CommitmentFactory(meeting=meeting, owner=owner, restricted=True, title="Watch list")
    client = login(member)
    hidden = client.get(reverse("search"), {"q": secret.reference})
    missing = client.get(reverse("search"), {"q": "C-987654321"})
    assert hidden.status_code == missing.status_code == 200
    assert not any(group.count for group in hidden.context["groups"])
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')  # the logout form's: new on every page
    same = re.sub(re.escape(secret.reference) + r"(?![0-9])", "C-987654321", hidden.content.decode())
    assert token.sub("", same) == token.sub("", missing.content.decode())


# --- The page ------------------------------------------------------------------------------------------------


def test_hits_are_grouped_by_kind_with_counts_and_links(login, owner, records):
    response = login(owner).get(reverse("search"), {"q": "Uzbekistan"})
    groups = {group.kind.slug: group for group in response.context["groups"]}
    assert list(groups) == ["commitments", "progress-updates", "meetings", "participants", "attachments"]
    assert groups["participants"].count == 1
    assert groups["progress-updates"].hits[0].url == (
        f"{records['exchange'].get_absolute_url()}#update-{records['update'].pk}"
    )
    assert groups["participants"].hits[0].url == records["meeting"].get_absolute_url()
    page = response.content.decode()
    assert 'href="#participants"' in page and ">Participants <span" in page


def test_excerpts_are_escaped_and_mark_the_words_found(login, owner, meeting):
    CommitmentFactory(
        meeting=meeting,
        owner=owner,
        title="Exchange <script>alert(1)</script> lists",
        description="Names & aliases of " + "couriers " * 60 + "moving funds through hawala <b>networks</b>.",
    )
    page = login(owner).get(reverse("search"), {"q": "hawala"}).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<mark>hawala</mark> &lt;b&gt;networks&lt;/b&gt;" in page
    assert "…couriers couriers" in page  # the excerpt starts near the word found, not at the description's start


def test_one_kind_is_listed_a_page_at_a_time(login, owner, meeting):
    commitment = CommitmentFactory(meeting=meeting, owner=owner, title="Joint training")
    for n in range(25):
        commitment.post_progress(author=owner, text=f"Training course {n} held for investigators.")
    client = login(owner)
    overview = client.get(reverse("search"), {"q": "investigators"})
    [group] = [g for g in overview.context["groups"] if g.count]
    assert (group.count, len(group.hits)) == (25, search.PER_KIND)
    assert "All 25 progress updates" in overview.content.decode()
    first = client.get(reverse("search"), {"q": "investigators", "kind": "progress-updates"})
    second = client.get(reverse("search"), {"q": "investigators", "kind": "progress-updates", "page": 2})
    assert len(first.context["hits"]) == search.PER_PAGE and len(second.context["hits"]) == 5
    assert "25 progress updates match" in first.content.decode()


def test_an_empty_search_explains_what_it_finds(login, owner):
    page = login(owner).get(reverse("search")).content.decode()
    assert "What the search finds" in page
    assert "C-12" in page


@pytest.mark.parametrize(
    "text",
    ['"note verbale', "a & b", "note:verbale", "back\\slash", "100%", "under_score", "-", "or", "' OR 1=1 --", "*"],
)
def test_odd_characters_are_searched_as_text(login, owner, records, text):
    response = login(owner).get(reverse("search"), {"q": text})
    assert response.status_code == 200
    if text in ("100%", "under_score", "*"):  # no wildcard: nothing holds these
        assert not any(group.count for group in response.context["groups"])


def test_a_query_too_long_or_with_a_nul_character_is_refused_with_a_message(login, owner, records):
    client = login(owner)
    long = client.get(reverse("search"), {"q": "x" * (search.MAX_LENGTH + 1)})
    assert long.status_code == 200 and "at most 200 characters" in long.content.decode()
    assert "groups" not in long.context
    nul = client.get(reverse("search"), {"q": "Tash\x00kent"})
    assert nul.status_code == 200 and "Null characters are not allowed" in nul.content.decode()
    unknown = client.get(reverse("search"), {"q": "Tashkent", "kind": "everything"})
    assert unknown.status_code == 200 and "Select a valid choice" in unknown.content.decode()


def test_the_navigation_bar_has_an_accessible_search_box(login, owner):
    page = login(owner).get(reverse("dashboard")).content.decode()
    assert f'role="search" aria-label="Search the tracker" method="get" action="{reverse("search")}"' in page
    assert '<label class="visually-hidden" for="nav-search">Search</label>' in page


# --- The commitment list and the API ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("note verbale", {"exchange"}),  # in a progress update
        ("hawala", {"exchange"}),  # in an attachment's text
        ("drivers", {"research"}),  # in the description
        ("State Security Service", {"exchange"}),  # the partner counterpart
        ("Bureau of Police", {"research"}),  # the lead agency
        ("Tashkent", set()),  # the meeting's words are the meeting's, not its commitments'
    ],
)
def test_the_list_and_the_api_find_what_the_search_page_finds(login, owner, records, text, expected):
    client = login(owner)
    listed = {c.pk for c in client.get(reverse("commitments:list"), {"q": text}).context["object_list"]}
    api = APIClient()
    api.force_login(owner)
    answered = {row["id"] for row in api.get("/api/v1/commitments/", {"q": text}).json()["results"]}
    assert listed == answered == {records[name].pk for name in expected}


def test_the_list_finds_a_commitment_by_its_reference(login, owner, records):
    listed = login(owner).get(reverse("commitments:list"), {"q": records["research"].reference}).context
    assert [c.pk for c in listed["object_list"]] == [records["research"].pk]


# --- PostgreSQL: the documents, the words, the indexes ---------------------------------------------------------


@postgresql_only
def test_the_documents_follow_every_change(owner, records):
    commitment = records["research"]
    commitment.title = "Launch a joint study of extremist propaganda"
    commitment.save_versioned(commitment.version, user=owner)
    query = search.Query("propaganda")
    assert list(search.COMMITMENTS.matching(Commitment.objects.all(), query)) == [commitment]
    Attachment.objects.filter(pk=records["minutes"].pk).with_text("Seized drones and their parts.")
    assert [a.pk for a in search.ATTACHMENTS.matching(Attachment.objects.all(), search.Query("drone"))] == [
        records["minutes"].pk
    ]
    assert "drones" in search.Query("dronnes").variants["dronnes"]  # the new word is a variant at once


@postgresql_only
def test_the_triggers_search_the_fields_the_search_module_names(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgargs FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname LIKE %s",
            [f"%{DOCUMENT}"],
        )
        triggers = {table: bytes(args).decode().rstrip("\x00").split("\x00") for table, args in cursor.fetchall()}
    tables = {
        "commitments_commitment": search.COMMITMENTS,
        "commitments_progressupdate": search.PROGRESS_UPDATES,
        "meetings_meeting": search.MEETINGS,
        "meetings_participant": search.PARTICIPANTS,
        "commitments_attachment": search.ATTACHMENTS,
    }
    assert triggers == {table: list(kind.fields) for table, kind in tables.items()}


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a few test rows: the planner would rather read them all
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@postgresql_only
def test_the_gin_indexes_serve_the_searches(owner, records):
    query = search.Query("radicalisation")
    assert "radicalization" in query.variants["radicalisation"]
    with connection.cursor() as cursor:  # tables of a few rows: the planner may read them whole, or in an order
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    for kind, table in [
        (search.COMMITMENTS, "commitments_commitment"),
        (search.PROGRESS_UPDATES, "commitments_progressupdate"),
        (search.MEETINGS, "meetings_meeting"),
        (search.PARTICIPANTS, "meetings_participant"),
        (search.ATTACHMENTS, "commitments_attachment"),
    ]:
        # The words: a meeting's host country and group, a participant's country, are read from small tables.
        queryset = kind.readable(owner).model.objects.filter(search.words_in(kind.fields, query))
        assert f"Bitmap Index Scan on {table}_{DOCUMENT}" in plan(queryset), kind.slug
    with connection.cursor() as cursor:  # as many words as a few hundred pages hold
        cursor.execute("INSERT INTO search_word SELECT md5(n::text) FROM generate_series(1, 20000) AS n")
        cursor.execute("ANALYZE search_word")
        # Whatever else earlier tests left in the table, the planner may not read it whole, nor in the B-tree's order.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SHOW pg_trgm.similarity_threshold")
        assert cursor.fetchone() == (str(search.SIMILARITY),)
        # Each index serves its condition: the trigram index the words alike, the B-tree those begun. Which of the
        # two a plan reads when both could serve depends on their sizes (words committed by earlier tests stay),
        # so each is shown with the other out of the way (dropped in a savepoint, and put back).
        for index, other in (
            ("search_word_trigrams", "search_word_word"),
            ("search_word_word", "search_word_trigrams"),
        ):
            for words in (["radicalisation"], ["radicalisation", "uzbek"]):
                cursor.execute("SAVEPOINT one_index")
                cursor.execute(f"DROP INDEX {other}")
                explained = search.variants_of(words).explain()
                cursor.execute("ROLLBACK TO SAVEPOINT one_index")
                assert f"Bitmap Index Scan on {index}" in explained, (index, words)
