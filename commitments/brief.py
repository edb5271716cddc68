"""The pre-session brief: where every commitment from the previous session stands.

A brief covers the commitments of the working group that were agreed at the previous
meeting or were still open when it began, grouped by category. It is built as plain data
(strings, numbers, lists) so that the page, the Word, PDF and CSV downloads and a frozen snapshot
all show exactly the same thing.
"""

import datetime
import hashlib
import threading
from collections import Counter, OrderedDict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Q
from django.urls import get_script_prefix
from django.utils import timezone

from commitments.data_version import data_version
from commitments.exports import csv_file
from commitments.models import Attachment, Commitment, ProgressUpdate
from commitments.permissions import could_read_then
from config.display import person
from meetings.dates import spell_date
from meetings.models import Meeting
from meetings.permissions import group_roles

# What a line without an update, and a brief without lines, say on the page and in the files.
NO_UPDATE = "No update yet"
NOTHING_TO_REPORT = "No commitments to report."
# What a brief that includes restricted commitments says at the head and foot of each page.
RESTRICTED_MARKING = "CONTAINS RESTRICTED COMMITMENTS"
# The CSV's columns; dates as ISO dates (2026-11-19), which every spreadsheet reads as dates.
CSV_COLUMNS = [
    ("category", "Category"),
    ("title", "Commitment"),
    ("owner", "Owner"),
    ("lead_agency", "Lead agency"),
    ("partner_counterpart", "Partner counterpart"),
    ("paragraph", "Agreed record"),
    ("status_label", "Status"),
    ("follow_up_iso", "Follow-up date"),
    ("latest_update", "Latest update"),
    ("latest_update_iso", "Update date"),
    ("latest_update_source", "Source"),
    ("changes_text", "Since the previous meeting"),
    ("attachments_text", "Attachments"),
    ("reference", "Reference"),
    ("restricted_label", "Restricted"),
    ("url", "Link"),
]


def _date(value) -> str:
    return spell_date(value) if value else ""


def previous_meeting(meeting: Meeting) -> Meeting | None:
    """The last session held before this one."""
    return (
        Meeting.objects.filter(group=meeting.group, number__lt=meeting.number, status=Meeting.Status.HELD)
        .order_by("-number")
        .first()
    )


def _moment(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _statuses_as_of(commitment_ids, moment: datetime.datetime) -> dict[int, str]:
    """Each commitment's status at a moment, from its history (absent if it was not yet recorded)."""
    statuses = {}
    for commitment_id, status in (
        Commitment.history.filter(id__in=commitment_ids, history_date__lte=moment)
        .order_by("id", "history_date", "history_id")
        .values_list("id", "status")
    ):
        statuses[commitment_id] = status  # the last one before the moment wins
    return statuses


def _grants(commitment_ids) -> dict[int, list[int]]:
    """{commitment id: ids of the users granted access}: a frozen brief keeps who could read each line."""
    granted = {}
    rows = Commitment.access_granted_to.through.objects.filter(commitment_id__in=commitment_ids)
    for commitment_id, user_id in rows.values_list("commitment_id", "user_id").order_by("commitment_id", "user_id"):
        granted.setdefault(commitment_id, []).append(user_id)
    return granted


def _attachments(commitment_ids, before: datetime.datetime) -> dict[int, list[dict]]:
    """{commitment id: its files (its own and its progress updates'), oldest first, as attached before a moment}."""
    files = {}
    rows = Attachment.objects.filter(commitment_id__in=commitment_ids, uploaded_at__lte=before).order_by(
        "uploaded_at", "pk"
    )
    for row in rows.values("id", "commitment_id", "name", "uploaded_at"):
        day = timezone.localdate(row["uploaded_at"])
        files.setdefault(row["commitment_id"], []).append({"id": row["id"], "name": row["name"], "date": _date(day)})
    return files


def build_brief(meeting: Meeting, today: datetime.date | None = None) -> dict:
    """The brief of a meeting: live for one ahead, as it stood on the day for one held or cancelled."""
    today = today or timezone.localdate()
    previous = previous_meeting(meeting)
    past = meeting.start_date is not None and meeting.start_date <= today and meeting.status != Meeting.Status.PLANNED
    as_of_day = meeting.start_date if past else today
    as_of = _moment(as_of_day) if past else timezone.now()

    commitments = Commitment.objects.of_group(meeting.group)
    if previous:
        since = _moment(previous.start_date)
        still_open_then = Q(closed_at__isnull=True) | Q(closed_at__gte=since)
        scope = Q(meeting=previous) | (Q(meeting__number__lt=previous.number) & still_open_then)
        commitments = commitments.filter(scope)
    else:
        since = None
        commitments = commitments.filter(meeting__number__lt=meeting.number)
    # Their statuses and files are read through a subquery of their ids: hundreds of ids as parameters took
    # 2.5 ms a query more on PostgreSQL (500: 4.2 → 1.5 ms, 5.2 → 2.7 ms). The newest updates, one subquery per
    # commitment, are read by the ids themselves: through a subquery PostgreSQL took 59 ms instead of 13.
    scope = commitments.values("pk")
    # Rows, not model instances: a brief reads hundreds (500: 19 → 3 ms on SQLite, 26 → 6 on PostgreSQL).
    commitments = list(
        commitments.order_by("category__order", "category__name", "meeting__number", "pk").values(*LINE_FIELDS)
    )
    ids = [c["pk"] for c in commitments]
    owners = _owner_names(commitments)

    granted = _grants([c["pk"] for c in commitments if c["restricted"]])  # grants matter only while restricted
    status_then = _statuses_as_of(scope, since) if since else {}
    status_now = _statuses_as_of(scope, as_of) if past else {}
    latest = ProgressUpdate.objects.latest_per_commitment(ids, before=as_of)
    files = _attachments(scope, before=as_of)

    sections: dict[str, list[dict]] = {}
    zone = timezone.get_current_timezone()  # looked up once, not for each line
    for commitment in commitments:
        pk = commitment["pk"]
        status = status_now.get(pk, commitment["status"])
        line = _line(commitment, owners, status, latest.get(pk), previous, status_then, since, as_of_day, zone)
        line["granted"] = granted.get(pk, [])
        line["attachments"] = files.get(pk, [])
        sections.setdefault(commitment["category__name"], []).append(line)

    categories = list(sections)  # in the categories' order: the commitments were read in it
    return {
        "meeting": {
            "id": meeting.pk,
            "title": meeting.title,
            "group": meeting.group.name,
            "host": meeting.host_country.name,
            "place": meeting.place,
            "venue": meeting.venue,
            "dates": meeting.dates_display,
            "status": meeting.status_note,
        },
        "previous": {"title": previous.title, "place": previous.place, "dates": previous.dates_display}
        if previous
        else None,
        "as_of": _date(as_of_day),
        "past": past,
        **_totals([{"category": name, "lines": sections[name]} for name in categories]),
    }


CACHED_FOR = 24 * 60 * 60  # at most: a change to the data, or the next day, makes a new one


KEPT_IN_PROCESS = 8  # the briefs last read by this process, as read from the cache (a few MB)
_kept: OrderedDict[str, dict] = OrderedDict()
_keeping = threading.Lock()


def live_brief(meeting: Meeting) -> dict:
    """build_brief(meeting), kept in the cache for everyone until the data changes (data_version) or the day does,
    and the last few read kept in this process too (unpickling 500 lines takes a millisecond): the key names the
    data version, read from the shared cache at each request, so a process never shows a brief the data has left.
    It holds every line, and is never changed once built: for_reader makes each reader's copy."""
    key = f"brief:{meeting.pk}:{timezone.localdate().isoformat()}:{data_version()}"
    brief = _kept.get(key) or cache.get(key)
    if brief is None:
        brief = build_brief(meeting)
        cache.set(key, brief, CACHED_FOR)
    with _keeping:  # a process may serve with threads
        _kept[key] = brief
        _kept.move_to_end(key)
        while len(_kept) > KEPT_IN_PROCESS:
            _kept.popitem(last=False)
    return brief


def rendered_key(brief: dict, *about) -> str:
    """The cache key of a reader's brief as rendered: the data version and the lines the reader is shown, each
    with whether it is restricted, and the path the site is reached under (the lines' links start with it). Readers
    shown the same lines share it; no reader is shown another's lines."""
    shown = [(line["id"], bool(line.get("restricted"))) for line in lines_of(brief)]
    where = get_script_prefix()
    return hashlib.sha256(repr((data_version(), timezone.localdate(), where, about, shown)).encode()).hexdigest()


def _totals(sections: list[dict]) -> dict:
    """The sections of a brief with their counts: in all, by status and by category."""
    by_status = Counter(line["status_label"] for section in sections for line in section["lines"])
    return {
        "total": sum(by_status.values()),
        "by_status": [(label, by_status[label]) for _, label in Commitment.Status.choices],
        "by_category": [(section["category"], len(section["lines"])) for section in sections],
        "sections": sections,
    }


def for_reader(brief: dict, user, group_id: int, *, current: bool = False) -> dict:
    """The brief as a user may read it: without the restricted commitments they may not see.

    A frozen brief is filtered as it is read: a line is shown if the user may see the commitment
    today and could read it as it was when the brief was frozen (a line recorded while restricted
    is for its owner then, those granted access then and the coordinators). A line whose commitment
    has since been deleted is judged by the second rule alone.
    `current`: the brief was built from the data as they are (live_brief, of the data version read for this request):
    each line's restriction, owner and grants are its commitment's own now, so the second rule decides alone and
    the database is not asked again.
    """
    visible, existing = (set(), set()) if current else _readable(user, [line["id"] for line in lines_of(brief)])

    def shown(line: dict) -> bool:
        if line["id"] in existing and line["id"] not in visible:
            return False
        return could_read_then(
            user,
            restricted=line.get("restricted", False),
            owner_id=line.get("owner_id"),  # briefs frozen before owners and grants were kept: coordinators only
            granted=set(line.get("granted", [])),
            group_id=group_id,
        )

    if all(shown(line) for line in lines_of(brief)):
        return brief

    sections = [
        {"category": section["category"], "lines": [line for line in section["lines"] if shown(line)]}
        for section in brief["sections"]
    ]
    return {**brief, **_totals([section for section in sections if section["lines"]])}


def _readable(user, ids: list[int]) -> tuple[set[int], set[int]]:
    """(the commitments among ids the user may see now, those that still exist), kept in the cache per data
    version and reader: anything that changes who sees what (a grant, a restriction, a membership) replaces it."""
    key = "brief-reader:" + hashlib.sha256(repr((data_version(), user.pk, ids)).encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        visible = set(
            Commitment.objects.visible_to(user, group_roles(user)).filter(pk__in=ids).values_list("pk", flat=True)
        )
        if len(visible) == len(ids):
            existing = visible  # every line's commitment exists (and is visible): no second query
        else:
            existing = set(Commitment.objects.filter(pk__in=ids).values_list("pk", flat=True))
        found = (visible, existing)
        cache.set(key, found, CACHED_FOR)
    return found


def restricted_as_now(brief: dict) -> dict:
    """The brief with each line restricted if its commitment was when the brief was made or is now. A frozen
    brief recorded a commitment restricted since as open; its copies, for those who may still read it, are
    need-to-know all the same, and say so (the line's tag, the marking). Comparisons read the brief as
    recorded."""
    ids = [line["id"] for section in brief["sections"] for line in section["lines"] if not line.get("restricted")]
    now = set(Commitment.objects.filter(pk__in=ids, restricted=True).values_list("pk", flat=True))
    if not now:
        return brief
    sections = [
        {**section, "lines": [{**line, "restricted": True} if line["id"] in now else line for line in section["lines"]]}
        for section in brief["sections"]
    ]
    return {**brief, "sections": sections}


OWNER_FIELDS = {"owner__first_name": "first_name", "owner__last_name": "last_name", "owner__username": "username"}


# What a line is made of: the commitment's fields, read as rows (build_brief).
LINE_FIELDS = [
    "pk",
    "title",
    "restricted",
    "owner_id",
    "lead_agency",
    "partner_counterpart",
    "record_paragraph",
    "status",
    "follow_up_date",
    "closed_at",
    "meeting_id",
    "meeting__number",
    "category__name",
    *OWNER_FIELDS,
]


def _owner_names(commitments: list[dict]) -> dict[int, str]:
    """{owner id: name as person() says it} of the commitments' owners, from the names read with the rows: the few
    people who own hundreds of lines are named once each."""
    names = {}
    for commitment in commitments:
        if commitment["owner_id"] is not None and commitment["owner_id"] not in names:
            owner = get_user_model()(**{field: commitment[key] for key, field in OWNER_FIELDS.items()})
            names[commitment["owner_id"]] = person(owner)
    return names


def _line(commitment: dict, owners: dict, status, update, previous, status_then, since, today, zone) -> dict:
    """A brief's line, from a commitment's row (LINE_FIELDS) and its owner's name (_owner_names)."""
    pk, follow_up_date, closed_at = commitment["pk"], commitment["follow_up_date"], commitment["closed_at"]
    is_open = status in Commitment.Status.open_values()
    changes = []
    if previous and commitment["meeting_id"] == previous.pk:
        changes.append("new")
    else:
        before = status_then.get(pk)
        if before and before != status:
            changes.append(f"status changed: {Commitment.Status(before).label} → {Commitment.Status(status).label}")
    if not is_open and closed_at and (since is None or closed_at >= since):
        changes.append("closed")
    overdue = is_open and follow_up_date is not None and follow_up_date < today
    updated_on = timezone.localtime(update.created_at, zone).date() if update else None
    if overdue:
        changes.append("overdue")
    if is_open and (update is None or (since and update.created_at < since)):
        changes.append("no update since the previous meeting" if previous else "no update yet")
    return {
        "id": pk,
        "reference": Commitment.reference_of(pk),
        "restricted": commitment["restricted"],
        "owner_id": commitment["owner_id"],
        "title": commitment["title"],
        "agreed_at": Meeting.title_of(commitment["meeting__number"]),
        "owner": owners.get(commitment["owner_id"], ""),
        "lead_agency": commitment["lead_agency"],
        "partner_counterpart": commitment["partner_counterpart"],
        "paragraph": commitment["record_paragraph"],
        "status": status,
        "status_label": Commitment.Status(status).label,
        "follow_up": _date(follow_up_date),
        "follow_up_iso": follow_up_date.isoformat() if follow_up_date else "",
        "overdue": overdue,
        "latest_update": update.text if update else "",
        "latest_update_date": _date(updated_on) if update else "",
        "latest_update_iso": updated_on.isoformat() if update else "",
        "latest_update_source": update.source if update else "",
        "changes": changes,
        "changes_text": "; ".join(changes),
    }


def lines_of(brief: dict):
    """The brief's lines as recorded."""
    for section in brief["sections"]:
        yield from section["lines"]


def brief_lines(brief: dict):
    """The brief's lines with their category, for files and comparisons; links at the site's address now."""
    address = Commitment.addresses()
    for section in brief["sections"]:
        for line in section["lines"]:
            yield {
                **line,
                "category": section["category"],
                "restricted_label": "yes" if line.get("restricted") else "",
                "url": address(line["id"]),
                # Briefs frozen before lines kept ISO dates have them in words only.
                "follow_up_iso": line["follow_up_iso"] if "follow_up_iso" in line else _iso(line["follow_up"]),
                "latest_update_iso": (
                    line["latest_update_iso"] if "latest_update_iso" in line else _iso(line["latest_update_date"])
                ),
                "attachments": line.get("attachments", []),
                "attachments_text": attached(line),
            }


def attached(line: dict) -> str:
    """The files of a line, for the documents: "record.pdf (3 November 2026); note.docx (…)". Briefs frozen
    before attachments were kept list none."""
    return "; ".join(f"{file['name']} ({file['date']})" for file in line.get("attachments", []))


def files_still_kept(brief: dict) -> set[int]:
    """The ids of the brief's files that are still kept: a frozen brief names the files of its time, and those
    deleted since are named, not linked."""
    ids = [file["id"] for line in lines_of(brief) for file in line.get("attachments", [])]
    return set(Attachment.objects.filter(pk__in=ids).values_list("pk", flat=True))


def _iso(spelled: str) -> str:
    return datetime.datetime.strptime(spelled, "%d %B %Y").date().isoformat() if spelled else ""


def brief_csv(brief: dict) -> str:
    lines = ([line.get(key, "") for key, _ in CSV_COLUMNS] for line in brief_lines(brief))
    return csv_file([label for _, label in CSV_COLUMNS], lines)


def brief_title(brief: dict) -> str:
    return f"Brief for the {brief['meeting']['title']} of the {brief['meeting']['group']}"


def marking(brief: dict) -> str:
    """The protective marking of a brief as its reader has it: the installation's (BRIEF_MARKING), and a marking
    of its own when it includes restricted commitments."""
    restricted = any(line.get("restricted") for line in lines_of(brief))
    return " · ".join(filter(None, [settings.BRIEF_MARKING, RESTRICTED_MARKING if restricted else ""]))


# What a reader compares between a frozen brief and the live one.
COMPARED = [
    ("title", "title"),
    ("status_label", "status"),
    ("owner", "owner"),
    ("lead_agency", "lead agency"),
    ("partner_counterpart", "partner counterpart"),
    ("paragraph", "agreed record"),
    ("restricted_label", "restricted"),
    ("follow_up", "follow-up date"),
    ("latest_update", "latest update"),
    ("changes_text", "since the previous meeting"),
    ("attachments_text", "attachments"),
]


def compare(frozen: dict, live: dict) -> list[dict]:
    """What changed between a frozen brief and the live one: per commitment, added, removed or changed fields."""
    old = {line["id"]: line for line in brief_lines(frozen)}
    new = {line["id"]: line for line in brief_lines(live)}
    differences = []
    for commitment_id, line in new.items():
        if commitment_id not in old:
            differences.append({"title": line["title"], "kind": "added", "fields": []})
            continue
        fields = [
            {"label": label, "old": old[commitment_id][key] or "—", "new": line[key] or "—"}
            for key, label in COMPARED
            if old[commitment_id][key] != line[key]
        ]
        if fields:
            differences.append({"title": line["title"], "kind": "changed", "fields": fields})
    for commitment_id, line in old.items():
        if commitment_id not in new:
            differences.append({"title": line["title"], "kind": "removed", "fields": []})
    return differences


def where_and_when(meeting: dict) -> str:
    """The brief's first line, each thing said once: "Hosted by India — provisional: 12–13 January 2027"."""
    place = f" in {meeting['place']}" if meeting["place"] != meeting["host"] else ""
    venue = f", {meeting['venue']}" if meeting["venue"] else ""
    status = f" · {meeting['status']}" if meeting["status"] else ""
    return f"Hosted by {meeting['host']}{place}{venue} — {meeting['dates']}{status}"
