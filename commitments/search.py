"""Search over what a user may read: commitments, progress updates, meetings, participants and attachments.

The search page (`/search/`), the commitment list's `q` and the API's `q` (`CommitmentFilterSet.search`) all ask
this module; nothing else decides what a query finds.

On PostgreSQL a record matches when its search document (its searched fields, English-stemmed, kept by the
database: config/postgres.py) matches the query in full text, GIN-indexed:
- as `websearch_to_tsquery` reads it: English stemming ("radicalized" finds "radicalization"); "quoted phrases",
  `or` and `-word` work as in a web search engine; or
- with each word of four letters or more also as any word of the records spelled like it: the words of the
  `search_word` table that are like it by pg_trgm's trigram similarity (at least SIMILARITY), or that it begins,
  the closest VARIANTS of them ("radicalisation" finds "radicalization", "Uzbek" finds "Uzbekistan",
  "intellgence" finds "intelligence"). Not for a query in the web search syntax, which means exactly what it says.
Hits are ranked by `ts_rank` (the fields weighted in their order here: A for the first), those that match the
query as typed first.

On SQLite (the default of `make run`) a record matches when each word of the query is in one of its fields,
case-insensitively; hits come newest first.

A meeting also matches a query that names its host country ("Uzbekistan", "Uzbek") or its working group; a
participant, one that names their country. A reference ("C-12", "c12") names one commitment.
"""

import functools
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.postgres.lookups import TrigramSimilar
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorExact,
    SearchVectorField,
    TrigramSimilarity,
)
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    Expression,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Left
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django_countries import countries

from commitments.models import Attachment, Commitment, ProgressUpdate, SearchWord
from config.display import person, plain_line
from config.postgres import DOCUMENT, DOCUMENT_CHARACTERS
from meetings.dates import spell_date
from meetings.models import Meeting, Participant, WorkingGroup

MAX_LENGTH = 200  # the longest query: the search box's and the list's `q`
CONFIG = "english"  # the text search configuration: English stemming and stop words
FUZZY_MIN_LETTERS = 4  # shorter words ("UN", "EAG") are like too many others to look for variants
SIMILARITY = 0.5  # pg_trgm similarity of a variant to the word typed ("radicalisation"/"radicalization": 0.67)
VARIANTS = 8  # the most variants of one word searched, the closest first
PER_KIND = 5  # hits of each kind on the search page; the kind's own pages have them all
PER_PAGE = 20  # hits on a page of one kind
EXCERPT_LENGTH = 240  # characters of an excerpt, about three lines
REFERENCE = re.compile(r"\s*[Cc]-?([0-9]{1,9})\s*")
WORD = re.compile(r"\w+")
# What the search documents take apart (config/postgres.py spells the same in SQL): a hyphen, dot, slash or
# underscore between two letters or digits; angle brackets, which PostgreSQL's parser would take for a tag.
SEPARATED = re.compile(r"(?<=[^\W_])[-_./]+(?=[^\W_])|[<>]")
# British spellings, and the American ones the English stemmer does not join them to ("radicalise": "radicalize").
AMERICAN = [
    (re.compile(r"(?<=\w\w)is(e|ed|es|ing|ation|ations|er|ers)$"), r"iz\1"),
    (re.compile(r"(?<=\w\w)ys(e|ed|es|ing)$"), r"yz\1"),
    (re.compile(r"(?<=\w\w)our(s|ed|ing)?$"), r"or\1"),
]
# A meeting named by its number: "10th meeting", "meeting 10", "10th session", "10".
MEETING_NUMBER = re.compile(
    r"(?:(?P<before>[0-9]{1,4})(?:st|nd|rd|th)?(?:\s+(?:meeting|session))?|(?:meeting|session)\s+(?P<after>[0-9]{1,4}))",
    re.IGNORECASE,
)
# The web search syntax: a quoted phrase, "or", a word excluded with "-". Such a query means exactly what it says.
SYNTAX = re.compile(r'"|(^|\s)-\w|\sor\s', re.IGNORECASE)


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


# --- The query -------------------------------------------------------------------------------------------------


class Query:
    """What was typed, as the search reads it; on PostgreSQL, with its words' variants (one query, when asked)."""

    def __init__(self, text: str):
        self.text = text

    @functools.cached_property
    def fuzzy(self) -> bool:
        """Whether the variants of its words are searched too: not for a query in the web search syntax."""
        return not SYNTAX.search(self.text)

    @functools.cached_property
    def terms(self) -> tuple[str, ...]:
        """The words to find (and to mark in an excerpt), in lower case: not "or", nor those excluded with "-"."""
        excluded = {word.casefold() for word in re.findall(r"(?:^|\s)-(\w+)", self.text)}
        words = [word.casefold() for word in WORD.findall(self.text)]
        return tuple(dict.fromkeys(w for w in words if w not in excluded and w != "or"))

    @functools.cached_property
    def variants(self) -> dict[str, list[str]]:
        """{word of the query: the words of the records spelled like it}, from the table of words (PostgreSQL)."""
        terms = [term for term in self.terms if len(term) >= FUZZY_MIN_LETTERS and term.isalpha()]
        if not (self.fuzzy and terms and on_postgresql()):
            return {}
        found = {}
        for term, word, _ in variants_of(terms):
            found.setdefault(term, []).append(word)
        return found

    @functools.cached_property
    def as_typed(self) -> SearchQuery:
        return SearchQuery(separated(self.text), config=CONFIG, search_type="websearch")

    def alternatives(self, term: str) -> list[str]:
        """The words searched for a word of the query besides itself: its variants, and its American spelling."""
        if not self.fuzzy:
            return []
        american = [spelling for spelling in (pattern.sub(to, term) for pattern, to in AMERICAN) if spelling != term]
        return [*self.variants.get(term, []), *american]

    @functools.cached_property
    def full_text(self) -> SearchQuery:
        """The query as typed, or each of its words or one of its alternatives."""
        if not any(self.alternatives(term) for term in self.terms):
            return self.as_typed
        each_word = [
            functools.reduce(
                operator.or_, (SearchQuery(word, config=CONFIG) for word in [term, *self.alternatives(term)])
            )
            for term in self.terms
        ]
        return self.as_typed | functools.reduce(operator.and_, each_word)

    @functools.cached_property
    def marked(self) -> tuple[str, ...]:
        """The words an excerpt marks: the query's and their variants."""
        return (*self.terms, *(word for words in self.variants.values() for word in words))

    @functools.cached_property
    def meeting_number(self) -> int | None:
        """10 for "10th meeting", "Meeting 10", "10th session" or "10": a meeting named by its number."""
        match = MEETING_NUMBER.fullmatch(self.text.strip())
        return int(match["before"] or match["after"]) if match else None

    @functools.cached_property
    def countries(self) -> list[str]:
        """The codes of the countries the query names ("Uzbekistan", "uzbek"): each of its words is like a word of
        the country's name."""
        terms = [term for term in self.terms if len(term) >= 3]
        if not terms or len(terms) != len(self.terms):
            return []
        return [code for code, words in country_words() if all(any(alike(t, w) for w in words) for t in terms)]


def separated(text: str) -> str:
    """The text as the search documents hold it (config/postgres.py): words joined by a hyphen, dot, slash or
    underscore apart ("law-enforcement", "secret-annex.docx"), angle brackets as spaces ("<Col. Rustamov>"),
    so that a query finds what is written either way."""
    return SEPARATED.sub(" ", text)


def variants_of(terms: list[str]) -> QuerySet:
    """(word typed, variant, likeness) of each word's VARIANTS closest variants, in one query: the words of the table
    of words like it by pg_trgm's similarity (at least SIMILARITY: its `%`, served by the trigram index, at the
    threshold the connections set, config/settings.py), or that it begins (served by the B-tree)."""
    per_word = [
        SearchWord.objects.filter(Q(TrigramSimilar(F("word"), Value(term))) | Q(word__startswith=term))
        .exclude(word=term)
        .values("word")
        .annotate(typed=Value(term), likeness=Max(TrigramSimilarity("word", term)))
        .filter(Q(likeness__gte=SIMILARITY) | Q(word__startswith=term))
        .order_by("-likeness", "word")
        .values_list("typed", "word", "likeness")[:VARIANTS]
        for term in terms
    ]
    return per_word[0].union(*per_word[1:], all=True) if len(per_word) > 1 else per_word[0]


def reference(text: str) -> int | None:
    """The id a reference names: 12 for "C-12", "c12" or " C-12 "."""
    match = REFERENCE.fullmatch(text)
    return int(match[1]) if match else None


def referenced(user, text: str) -> Commitment | None:
    """The commitment a reference names, if the user may read it (None alike for one that does not exist)."""
    pk = reference(text)
    return None if pk is None else Commitment.objects.visible_to(user).filter(pk=pk).first()


# --- Matching --------------------------------------------------------------------------------------------------


class Document(Expression):
    """The search document PostgreSQL keeps in a column of the queried table, which no model knows of
    (config/postgres.py): `search_document` of the query's own table, whatever alias a subquery gives it."""

    output_field = SearchVectorField()

    def __init__(self, alias: str | None = None):
        super().__init__()
        self.alias = alias

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        return Document(query.get_initial_alias())

    def relabeled_clone(self, change_map):
        return Document(change_map.get(self.alias, self.alias))

    def as_sql(self, compiler, connection):
        return f"{compiler.quote_name_unless_alias(self.alias)}.{DOCUMENT}", []

    def get_group_by_cols(self):
        return [self]


def words_in(fields: Iterable[str], query: Query, document: Expression | None = None) -> Q:
    """The condition that a record's fields hold the query: its document on PostgreSQL (see the module's
    docstring), each word in one of the fields on SQLite."""
    if on_postgresql():
        return Q(SearchVectorExact(document or Document(), query.full_text))
    fields = list(fields)
    each_word = (
        functools.reduce(operator.or_, (Q(**{f"{name}__icontains": word}) for name in fields))
        for word in separated(query.text).replace('"', " ").split()  # a phrase's quotes are no part of its words
    )
    return functools.reduce(operator.and_, each_word, Q())


def rank(query: Query) -> Expression:
    """How well a matching record matches, higher first: a match of the query as typed first, then `ts_rank`."""
    if not on_postgresql():
        return Value(0.0, output_field=FloatField())
    score = SearchRank(Document(), query.full_text)
    if query.variants:
        as_typed = SearchVectorExact(Document(), query.as_typed)
        score = score + Case(When(as_typed, then=Value(1.0)), default=Value(0.0), output_field=FloatField())
    return score


# --- The kinds of hits -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One kind of record the search finds: what of it is searched, who may read it, how a hit shows it."""

    slug: str  # in addresses: /search/?q=…&kind=progress-updates
    label: str  # "Progress updates"
    noun: str  # "progress update"
    fields: tuple[str, ...]  # searched, the most telling first: as the migration's `searchable` names them
    readable: Callable[[object], QuerySet]  # the records a user may read
    related: tuple[str, ...] = ()  # what showing a hit reads with it
    # Matches beyond the words of its fields, each with what it adds to the rank: (query) -> [(condition, boost)].
    also: Callable[[Query], list[tuple[Q, float]]] = field(default=lambda query: [])

    def matching(self, queryset: QuerySet, query: Query) -> QuerySet:
        """The records of `queryset` that match, each with its `rank`."""
        score = rank(query)
        for condition, boost in self.also(query):
            score = score + Case(When(condition, then=Value(boost)), default=Value(0.0), output_field=FloatField())
        return queryset.filter(self.condition(query)).annotate(rank=score)

    def condition(self, query: Query) -> Q:
        return functools.reduce(operator.or_, (c for c, _ in self.also(query)), words_in(self.fields, query))

    def hits(self, user, query: Query) -> QuerySet:
        """What the user may read that matches, best first (newest first on SQLite)."""
        readable = self.readable(user).select_related(*self.related)
        return self.matching(readable, query).order_by("-rank", "-pk")


def meeting_also(query: Query) -> list[tuple[Q, float]]:
    """The meeting the query names by its number ("10th meeting", first), one hosted by a country the query names,
    or one of a working group whose name holds the query."""
    names = SearchVector("name", "short_name", config=CONFIG)
    groups = WorkingGroup.objects.filter(words_in(["name", "short_name"], query, document=names))
    numbered = [(Q(number=query.meeting_number), 3.0)] if query.meeting_number else []
    hosted = [(Q(host_country__in=query.countries), 2.0)] if query.countries else []
    return [*numbered, *hosted, (Q(group__in=groups), 1.0)]


def participant_also(query: Query) -> list[tuple[Q, float]]:
    """A participant from a country the query names."""
    return [(Q(country__in=query.countries), 2.0)] if query.countries else []


COMMITMENTS = Kind(
    "commitments",
    "Commitments",
    "commitment",
    ("title", "description", "lead_agency", "partner_counterpart"),
    lambda user: Commitment.objects.visible_to(user),
    ("meeting__group",),
)
PROGRESS_UPDATES = Kind(
    "progress-updates",
    "Progress updates",
    "progress update",
    ("text", "source"),
    lambda user: ProgressUpdate.objects.visible_to(user),
    ("commitment", "author"),
)
MEETINGS = Kind(
    "meetings",
    "Meetings",
    "meeting",
    ("city", "venue", "record_reference", "outcome_summary"),
    lambda user: Meeting.objects.visible_to(user),
    ("group",),
    meeting_also,
)
PARTICIPANTS = Kind(
    "participants",
    "Participants",
    "participant",
    ("name", "organisation", "title"),
    lambda user: Participant.objects.visible_to(user),
    ("meeting__group",),
    participant_also,
)
ATTACHMENTS = Kind(
    "attachments",
    "Attachments",
    "attachment",
    ("name", "text"),
    # The text searched, not a whole book.
    lambda user: Attachment.objects.visible_to(user).defer("text").annotate(searched=Left("text", DOCUMENT_CHARACTERS)),
    ("commitment", "meeting__group"),
)
KINDS = {kind.slug: kind for kind in (COMMITMENTS, PROGRESS_UPDATES, MEETINGS, PARTICIPANTS, ATTACHMENTS)}


def commitments_matching(queryset: QuerySet, text: str) -> QuerySet:
    """The commitment list's and the API's `q`: the commitments of `queryset` whose own words, progress updates or
    attachments match `text`; or the one a reference names."""
    pk = reference(text)
    if pk is not None:
        return queryset.filter(pk=pk)
    # Correlated: the commitments the user may see are checked one by one, through the progress updates' and the
    # attachments' commitment indexes, rather than every match in the table being listed first.
    query = Query(text)
    updates = ProgressUpdate.objects.filter(PROGRESS_UPDATES.condition(query), commitment=OuterRef("pk"))
    files = Attachment.objects.filter(ATTACHMENTS.condition(query), commitment=OuterRef("pk"))
    return queryset.filter(COMMITMENTS.condition(query) | Q(Exists(updates)) | Q(Exists(files)))


# --- Showing hits ----------------------------------------------------------------------------------------------


@dataclass
class Hit:
    """One hit as the page shows it: a heading that links to it, what it is, an excerpt with the words marked."""

    url: str
    heading: SafeString
    details: str
    excerpt: SafeString
    restricted: bool = False


@dataclass
class Group:
    """The hits of one kind: how many there are, the best few."""

    kind: Kind
    count: int
    hits: list[Hit]


def overview(user, text: str, per_kind: int = PER_KIND) -> list[Group]:
    """The best hits of each kind and their count: one query per kind."""
    query, groups = Query(text), []
    for kind in KINDS.values():
        rows = list(kind.hits(user, query).annotate(total=Window(Count("pk")))[:per_kind])
        groups.append(Group(kind, rows[0].total if rows else 0, shown(kind, rows, query)))
    return groups


def page(user, kind: Kind, text: str, number, per_page: int = PER_PAGE) -> tuple[Page, list[Hit]]:
    """One page of the hits of one kind (a page number as typed: the last page for one past it)."""
    query = Query(text)
    found = Paginator(kind.hits(user, query), per_page).get_page(number)
    return found, shown(kind, found.object_list, query)


def shown(kind: Kind, records: Iterable, query: Query) -> list[Hit]:
    return [SHOW[kind.slug](record, query.marked) for record in records]


def show_commitment(commitment: Commitment, terms) -> Hit:
    meeting = commitment.meeting
    return Hit(
        url=commitment.get_absolute_url(),
        heading=mark(f"{commitment.reference} {plain_line(commitment.title)}", terms),
        details=f"{meeting.group} · agreed at the {meeting.title} · {commitment.get_status_display()}",
        excerpt=excerpt([commitment.description, commitment.lead_agency, commitment.partner_counterpart], terms),
        restricted=commitment.restricted,
    )


def show_progress_update(update: ProgressUpdate, terms) -> Hit:
    commitment = update.commitment
    return Hit(
        url=f"{commitment.get_absolute_url()}#update-{update.pk}",
        heading=mark(f"{commitment.reference} {plain_line(commitment.title)}", terms),
        details=f"Progress update of {spell_date(timezone.localdate(update.created_at))} by {person(update.author)}",
        excerpt=excerpt([update.text, f"Source: {update.source}" if update.source else ""], terms),
        restricted=commitment.restricted,
    )


def show_meeting(meeting: Meeting, terms) -> Hit:
    return Hit(
        url=meeting.get_absolute_url(),
        heading=mark(f"{meeting.summary}", terms),
        details=f"{meeting.group} · hosted by {meeting.host_country.name} · {meeting.get_status_display()}",
        excerpt=excerpt([meeting.outcome_summary, meeting.venue, meeting.record_reference], terms),
    )


def show_participant(participant: Participant, terms) -> Hit:
    meeting = participant.meeting
    return Hit(
        url=meeting.get_absolute_url(),
        heading=mark(plain_line(participant.name), terms),
        details=f"{participant.get_role_display()}, {participant.country.name} · {meeting.group}: {meeting.summary}",
        excerpt=excerpt([", ".join(filter(None, [participant.title, participant.organisation]))], terms),
    )


def show_attachment(attachment: Attachment, terms) -> Hit:
    if attachment.commitment_id:
        home = attachment.commitment
        where = f"{home.reference} {plain_line(home.title)}"
    else:
        home = attachment.meeting
        where = f"{home.group}: {home.title}"
    return Hit(
        url=home.get_absolute_url(),  # the page that lists it, where it is downloaded
        heading=mark(plain_line(attachment.name), terms),
        details=f"Attached to {where} on {spell_date(timezone.localdate(attachment.uploaded_at))}",
        excerpt=excerpt([attachment.searched], terms),
        restricted=bool(attachment.commitment_id and attachment.commitment.restricted),
    )


SHOW = {
    COMMITMENTS.slug: show_commitment,
    PROGRESS_UPDATES.slug: show_progress_update,
    MEETINGS.slug: show_meeting,
    PARTICIPANTS.slug: show_participant,
    ATTACHMENTS.slug: show_attachment,
}


# --- Words alike, excerpts and marks ---------------------------------------------------------------------------


def trigrams(word: str) -> set[str]:
    """A word's trigrams as pg_trgm makes them: lower case, two spaces before and one after ("  u", " uz", …)."""
    padded = f"  {word.casefold()} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


@functools.lru_cache(maxsize=65_536)  # an excerpt's words and the query's terms recur from hit to hit
def alike(term: str, word: str) -> bool:
    """Whether a word of a text is one the query's term finds, as near as the search's rules can be told here:
    the same word, one the term begins, one of the same stem ("meetings", "meet"), or a spelling like it
    ("radicalisation", "radicalization"). Both in lower case."""
    if term == word or (len(term) >= 3 and word.startswith(term)):
        return True
    common = next((i for i, (a, b) in enumerate(zip(term, word, strict=False)) if a != b), min(len(term), len(word)))
    if common >= 4 and common >= min(len(term), len(word)) - 3:
        return True
    if len(term) < FUZZY_MIN_LETTERS:
        return False
    mine, theirs = trigrams(term), trigrams(word)
    return len(mine & theirs) / len(mine | theirs) >= 0.5


@functools.cache
def country_words() -> list[tuple[str, list[str]]]:
    return [(code, [word.casefold() for word in WORD.findall(str(name))]) for code, name in countries]


def mark(text: str, terms: Iterable[str]) -> SafeString:
    """The text, escaped, with the words the terms find in <mark>."""
    terms, marked, position = tuple(terms), [], 0
    for match in WORD.finditer(text):
        if any(alike(term, match[0].casefold()) for term in terms):
            marked.append((text[position : match.start()], match[0]))
            position = match.end()
    return format_html("{}{}", format_html_join("", "{}<mark>{}</mark>", marked), text[position:])


def excerpt(texts: Iterable[str], terms: Iterable[str], length: int = EXCERPT_LENGTH) -> SafeString:
    """Some {length} characters of the first text in which a term finds a word, around the first such word, with
    the words marked; the start of the first text that has any when none has one."""
    terms, texts = tuple(terms), [plain_line(text) for text in texts if text]
    for text in texts:
        found = next((m for m in WORD.finditer(text) if any(alike(t, m[0].casefold()) for t in terms)), None)
        if found:
            start = max(0, found.start() - length // 4)
            start = text.rfind(" ", 0, start) + 1 if start else 0  # from the start of a word
            return mark(shortened(text, start, length), terms)
    return mark(shortened(texts[0], 0, length) if texts else "", ())


def shortened(text: str, start: int, length: int) -> str:
    """`length` characters of the text from `start`, ending at a word's end, with "…" where it was cut."""
    end = start + length
    if end < len(text):
        end = text.rfind(" ", start, end) if text.rfind(" ", start, end) > start else end
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
