"""What each row of an import file would do: its columns, how a row finds the meeting or commitment it is, what it
would change, or why it is refused. The same rules for the preview and for the import that follows it.

A row is matched to what exists — a meeting by working group and number; a commitment by its reference (C-12) or
else by meeting, paragraph and title — and compared with it column by column: only the columns the file has are
read, so a file of a few columns changes only those. Names (working groups, meetings, categories, people) are
looked up in memory, loaded once for the whole file, so that a long file costs no query per row.
"""

import dataclasses
import functools
import re
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils import timezone
from django_countries import countries
from simple_history.utils import bulk_create_with_history

from commitments.data_version import data_changed
from commitments.importing import values
from commitments.models import Category, Commitment
from commitments.reminders.signals import tell_the_new_owners
from config.display import file_text, in_words, person
from meetings.dates import spell_date
from meetings.models import Meeting, Membership, WorkingGroup
from meetings.permissions import coordinated_groups

NEW, CHANGED, UNCHANGED, REFUSED = "new", "changed", "unchanged", "refused"
MEETING_NUMBER = re.compile(
    r"(?:(?:meeting|session)\s*(?:no\.?\s*)?)?(\d{1,4})(?:st|nd|rd|th)?(?:\s+(?:meeting|session))?", re.IGNORECASE
)
REFERENCE = re.compile(r"(?:c\s*-?\s*)?(\d{1,18})", re.IGNORECASE)
SEVERAL = re.compile(r"[;,\n]")
BATCH = 1000  # rows to a bulk insert


@dataclasses.dataclass(frozen=True)
class Column:
    """A column of an import file: its heading (as the export writes it), the field it sets, how a cell reads."""

    heading: str
    key: str = ""  # the field it sets, or what the row's matching reads; "" for a column the export computes
    read: Callable = values.text
    required: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> set[str]:
        return {name_key(self.heading), *map(name_key, self.aliases)}


DASHES = re.compile(r"[-_\u2010-\u2015\u2212]")  # hyphens, en and em dashes, minus; and underscores


def name_key(text) -> str:
    """A heading or a name as compared: case, spaces, dashes and underscores aside ("Follow up date",
    "India-Uzbekistan" for "India–Uzbekistan")."""
    return " ".join(DASHES.sub(" ", values.text(text)).split()).casefold()


def meeting_number(cell) -> int | None:
    """ "9th meeting", "9", "9th", "Meeting 9", "Session no. 9": 9."""
    cell = " ".join(values.text(cell).split())
    if not cell:
        return None
    number = MEETING_NUMBER.fullmatch(cell)
    if not number or int(number[1]) < 1:
        raise ValueError(f"{cell} names no meeting: write its number, as in “9th meeting” or 9.")
    return int(number[1])


def several(cell) -> list[str]:
    """Names separated by semicolons, commas or line breaks."""
    return [name for name in (part.strip() for part in SEVERAL.split(values.text(cell))) if name]


def choice_of(choices, what: str) -> Callable:
    return lambda cell: values.choice(cell, choices, what)


@dataclasses.dataclass
class Row:
    """One row of the file and what importing it would do."""

    number: int
    state: str = ""
    label: str = ""
    changes: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)  # heading, before, after
    refusals: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # heading ("" for the row), why
    notes: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # heading, what to look at: no refusal
    target: Model | None = None  # the object to save
    version: int | None = None  # a changed commitment's version when previewed
    grants: list | None = None  # a commitment's grantees, when the file sets them

    def refuse(self, heading: str, message: str) -> None:
        self.refusals.append((heading, message))
        self.state = REFUSED

    @property
    def summary(self) -> tuple:
        """What the row would do, as the preview shows it: compared between the preview and the import."""
        target = self.target.pk if self.target is not None else None
        return (self.number, self.state, self.label, target, self.version, self.changes, self.refusals, self.notes)


class People:
    """The members of some working groups, found by e-mail, username or full name, in any case."""

    def __init__(self, groups):
        self.members: dict[int, dict[str, list]] = {}
        self.active: dict[int, set[int]] = {}
        memberships = Membership.objects.filter(group__in=groups).select_related("user")
        for membership in memberships:
            user = membership.user
            names = self.members.setdefault(membership.group_id, {})
            for name in {user.email, user.get_username(), person(user, nobody="")} - {""}:
                names.setdefault(name.casefold(), []).append(user)
            if user.is_active:
                self.active.setdefault(membership.group_id, set()).add(user.pk)

    def find(self, name: str, group: WorkingGroup):
        """The member of the group this names; ValueError if none or several."""
        found = self.members.get(group.pk, {}).get(" ".join(name.split()).casefold(), [])
        if not found:
            raise ValueError(f"No member of the {group.short_name} is known as “{name}” (by e-mail, username or name).")
        if len(found) > 1:
            raise ValueError(f"Several members of the {group.short_name} are known as “{name}”: write their e-mail.")
        return found[0]

    def is_active_member(self, user, group: WorkingGroup) -> bool:
        return user.pk in self.active.get(group.pk, set())


def is_named(user, name: str) -> bool:
    """Whether a cell names this user (their e-mail, username or name)."""
    wanted = " ".join(name.split()).casefold()
    return user is not None and wanted in {n.casefold() for n in (user.email, user.get_username(), person(user, ""))}


def same(before, after) -> bool:
    """Whether a stored value and a read one are the same: text as a file carries it, spaces around aside."""
    if isinstance(before, str) and isinstance(after, str):
        return file_text(before).strip() == file_text(after).strip()
    return before == after


def shown(field, value) -> str:
    """A value as the preview shows it."""
    if isinstance(value, list):
        return ", ".join(sorted(map(person, value))) or "—"
    if hasattr(value, "isoformat"):
        return spell_date(value)
    if isinstance(value, get_user_model()):
        return person(value)
    if isinstance(value, Meeting):
        return value.title
    return str(in_words(field, value))


class Table:
    """The rules of one kind of import file (meetings or commitments)."""

    model: type[Model]
    columns: list[Column]
    noun: str

    def __init__(self, user):
        self.user = user
        self.groups = {}  # name_key: group, by short name and by name, of the groups the user coordinates
        for group in coordinated_groups(user):
            self.groups[name_key(group.short_name)] = self.groups[name_key(group.name)] = group
        meetings = Meeting.objects.filter(group__in=set(self.groups.values()))
        self.meetings = {(meeting.group_id, meeting.number): meeting for meeting in meetings}
        self.saved_dates = {meeting.pk: (meeting.status, meeting.start_date) for meeting in self.meetings.values()}
        self.seen: dict = {}  # what each row is, to refuse a second row for the same meeting or commitment
        self._shown: dict = {}
        self.today = timezone.localdate()

    def group(self, row: Row, name: str) -> WorkingGroup | None:
        group = self.groups.get(name_key(name))
        if group is None:
            row.refuse("Working group", f"{name} is not a working group you coordinate.")
        return group

    def plan(self, row: Row, read: dict) -> None:
        raise NotImplementedError

    def once(self, row: Row, what, label: str) -> None:
        """Refuse a row that is, as an earlier one, the same meeting or commitment."""
        earlier = self.seen.setdefault(what, row.number)
        if earlier != row.number:
            row.refuse("", f"{label} is also row {earlier}: one row for each {self.noun}.")

    def compare(self, row: Row, obj: Model, fields: dict) -> None:
        """Set the fields read on the object, noting each change (for an existing object)."""
        order = self.order()
        for name, value in sorted(fields.items(), key=lambda item: order[item[0]]):
            field = self.model._meta.get_field(name)
            if value == "" and field.choices and not field.blank:
                continue  # an empty cell for a choice: the default for a new object, as it is for one that exists
            if obj.pk and same(getattr(obj, field.attname), value.pk if field.is_relation and value else value):
                continue
            before = getattr(obj, name) if obj.pk else None
            if isinstance(value, str):
                value = file_text(value).strip()
            _check_length(row, field, value, self.heading_of(name))
            if obj.pk:
                row.changes.append((self.heading_of(name), self.shown(field, before), self.shown(field, value)))
            elif value not in ("", None):  # a new object's values, as read: the preview shows them
                row.changes.append((self.heading_of(name), "", self.shown(field, value)))
            setattr(obj, name, value)

    def shown(self, field, value) -> str:
        """shown(), once for each value: a file repeats its dates, categories, owners and statuses."""
        key = (field.name, value)
        if key not in self._shown:
            self._shown[key] = shown(field, value)
        return self._shown[key]

    @classmethod
    @functools.cache
    def order(cls) -> dict[str, int]:
        """{key: position} of the columns: changes are listed in this order."""
        return {column.key: n for n, column in enumerate(cls.columns) if column.key}

    @classmethod
    @functools.cache
    def headings(cls) -> dict[str, str]:
        return {column.key: column.heading for column in cls.columns if column.key}

    def heading_of(self, key: str) -> str:
        return self.headings().get(key, "")

    def settle(self, row: Row, obj: Model) -> None:
        """The row's state, once its fields are compared: new, changed or unchanged (unless refused)."""
        if row.state != REFUSED:
            row.state = NEW if obj.pk is None else CHANGED if row.changes else UNCHANGED
        row.target = obj

    def save(self, rows: list[Row], user, reason: str) -> None:
        """Save the rows' objects, each with its history record by the importing user, naming the file."""
        for row in rows:
            row.target._history_user, row.target._change_reason = user, reason
            row.target.save()


def _check_length(row: Row, field, value, heading: str) -> None:
    most = getattr(field, "max_length", None)
    if most and isinstance(value, str) and len(value) > most:
        row.refuse(heading, f"At most {most} characters (this has {len(value)}).")


def _country(cell) -> str:
    """A country by its name or its two-letter code: "India", "IN"."""
    cell = " ".join(values.text(cell).split())
    if not cell:
        return ""
    if cell.upper() in dict(countries):
        return cell.upper()
    code = countries.by_name(cell, insensitive=True)
    if not code:
        raise ValueError(f"{cell} is not a country: write its name (Uzbekistan) or its code (UZ).")
    return code


class MeetingTable(Table):
    """Meetings, by group and number. Their dates follow the form's rules: a held meeting has taken place, a
    scheduled or planned one is ahead (a past session still "scheduled" is refused: it is Held)."""

    model = Meeting
    noun = "meeting"
    columns = [
        Column("Working group", "group", required=True, aliases=("Group",)),
        Column("Meeting", "number", meeting_number, required=True, aliases=("Number", "Session", "Meeting number")),
        Column("Host country", "host_country", _country, aliases=("Host", "Country")),
        Column("City", "city"),
        Column("Venue", "venue"),
        Column("Start date", "start_date", values.date, aliases=("Start", "From")),
        Column("End date", "end_date", values.date, aliases=("End", "To")),
        Column("Status", "status", choice_of(Meeting.Status.choices, "meeting status")),
        Column("Agreed record", "record_reference", aliases=("Record", "Record reference")),
        Column("Outcome summary", "outcome_summary", aliases=("Outcome", "Summary")),
        Column("Dates"),
        Column("Link"),
    ]

    def plan(self, row: Row, read: dict) -> None:
        name, number = read.pop("group", ""), read.pop("number", None)
        group = self.group(row, name) if name else None
        if not name:
            row.refuse("Working group", "Name the working group.")
        if number is None and "Meeting" not in dict(row.refusals):
            row.refuse("Meeting", "Give the meeting's number, as in “9th meeting” or 9.")
        if group is None or number is None:
            return
        meeting = self.meetings.get((group.pk, number)) or Meeting(group=group, number=number)
        row.label = f"{group.short_name}: {meeting.title}"
        self.once(row, (group.pk, number), row.label)
        country = read.pop("host_country", "")
        if meeting.pk is None and not country:
            row.refuse("Host country", "A new meeting needs its host country.")
        self.compare(row, meeting, read)
        if country and country != meeting.host_country.code:
            before = meeting.host_country.name if meeting.pk else ""
            row.changes.append(("Host country", before, countries.name(country)))
            meeting.host_country = country
        if row.state != REFUSED:
            try:
                meeting.clean()
                Meeting.check_dates(meeting.status, meeting.start_date, *self.saved_dates.get(meeting.pk, (None, None)))
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    for message in messages:
                        row.refuse(self.heading_of(field), message)
        self.settle(row, meeting)


class CommitmentTable(Table):
    model = Commitment
    noun = "commitment"
    columns = [
        Column("Reference", "reference", aliases=("Ref",)),
        Column("Commitment", "title", required=True, aliases=("Title",)),
        Column("Description", "description"),
        Column("Working group", "group", required=True, aliases=("Group",)),
        Column("Agreed at", "meeting", meeting_number, required=True, aliases=("Meeting",)),
        Column("Category", "category", required=True),
        Column("Owner", "owner"),
        Column("Responsible side", "responsible_side", choice_of(Commitment.Side.choices, "responsible side")),
        Column("Lead agency", "lead_agency"),
        Column("Partner counterpart", "partner_counterpart"),
        Column("Agreed record", "record_paragraph", aliases=("Paragraph", "Para")),
        Column("Follow-up date", "follow_up_date", values.date, aliases=("Follow up", "Due date")),
        Column("Status", "status", choice_of(Commitment.Status.choices, "status")),
        Column("Priority", "priority", choice_of(Commitment.Priority.choices, "priority")),
        Column("Restricted", "restricted", values.flag),
        Column("Access granted to", "access_granted_to", several, aliases=("Granted to",)),
        Column("Overdue"),
        Column("Latest update"),
        Column("Latest update date"),
        Column("Link"),
    ]

    def __init__(self, user):
        super().__init__(user)
        groups = set(self.groups.values())
        self.categories = {}
        for category in Category.objects.all():
            self.categories[name_key(category.name)] = self.categories[name_key(category.slug)] = category
        self.people = People(groups)
        self.groups_meetings = {meeting.pk: meeting for meeting in self.meetings.values()}
        categories = {category.pk: category for category in self.categories.values()}
        self.by_pk = {}
        for commitment in Commitment.objects.filter(meeting__in=self.groups_meetings.values()).select_related("owner"):
            # Named and compared with no query per row.
            commitment.meeting = self.groups_meetings[commitment.meeting_id]
            commitment.category = categories[commitment.category_id]
            self.by_pk[commitment.pk] = commitment
        self.by_key: dict[tuple, list[Commitment]] = {}  # by meeting, paragraph and title; and by meeting and title
        for commitment in self.by_pk.values():
            for key in (self.key(commitment.meeting_id, commitment.title, commitment.record_paragraph),
                        self.key(commitment.meeting_id, commitment.title)):  # fmt: skip
                self.by_key.setdefault(key, []).append(commitment)
        self._granted = None

    @staticmethod
    def key(meeting_id: int, title: str, *paragraph: str) -> tuple:
        """What matches a row without a reference: its meeting, title and paragraph (its meeting and title in a
        file without the paragraph column)."""
        return meeting_id, name_key(title), *map(name_key, paragraph)

    def granted(self, commitment: Commitment) -> list:
        """The people granted access to a commitment (all read at once, when the first row sets grants)."""
        if self._granted is None:
            self._granted = {}
            through = Commitment.access_granted_to.through.objects.filter(
                commitment__meeting__in=self.groups_meetings.values()
            )
            for grant in through.select_related("user"):
                self._granted.setdefault(grant.commitment_id, []).append(grant.user)
        return self._granted.get(commitment.pk, [])

    def plan(self, row: Row, read: dict) -> None:
        row.label = read.get("title", "")
        names = {key: read.pop(key) for key in ("group", "category", "owner") if key in read}
        reference = read.pop("reference", "")
        grants = read.pop("access_granted_to", None)
        number = read.pop("meeting", None)
        for heading, key in (("Commitment", "title"), ("Working group", "group"), ("Category", "category")):
            if not (names.get(key) or read.get(key)) and heading not in dict(row.refusals):
                row.refuse(heading, f"Give the {heading.lower()}.")
        names = {"group": "", "category": "", **names}
        if number is None and "Agreed at" not in dict(row.refusals):
            row.refuse("Agreed at", "Give the meeting it was agreed at, as in “9th meeting” or 9.")
        group = self.group(row, names["group"]) if names["group"] else None
        meeting = self.meetings.get((group.pk, number)) if group and number else None
        if group and number and meeting is None:
            row.refuse("Agreed at", f"The {group.short_name} has no {Meeting(number=number).title}: import it first.")
        category = self.categories.get(name_key(names["category"])) if names["category"] else None
        if names["category"] and category is None:
            known = ", ".join(sorted({c.name for c in self.categories.values()}))
            row.refuse("Category", f"{names['category']} is not a category: one of {known}.")
        commitment = self.existing(row, reference, meeting, read)
        if commitment is None:
            return
        row.label = commitment.reference if commitment.pk else read.get("title", "")
        fields = {**read, **({"meeting": meeting} if meeting else {}), **({"category": category} if category else {})}
        if commitment.pk and meeting and meeting.group_id != commitment.meeting.group_id:
            row.refuse("Working group", f"{commitment.reference} is of the {commitment.meeting.group.short_name}.")
            return
        owner = self.owner(row, commitment, names["owner"], group) if "owner" in names and group else UNREAD
        if owner is not UNREAD:
            fields["owner"] = owner
        saved_date = commitment.follow_up_date if commitment.pk else None
        was_restricted = commitment.pk and commitment.restricted
        self.compare(row, commitment, fields)
        day = commitment.follow_up_date
        if commitment.is_open and day and day != saved_date and day < self.today:
            row.notes.append(
                ("Follow-up date", f"{spell_date(day)} has passed: the commitment will be overdue at once.")
            )
        if was_restricted and not commitment.restricted:
            lifted = "Lifting the restriction opens it, its journal included, to the whole group."
            row.notes.append(("Restricted", lifted))
        if grants is not None and group:
            self.set_grants(row, commitment, grants, group)
        if row.state != REFUSED and not commitment.pk:
            commitment.created_by = self.user
        row.version = commitment.version if commitment.pk else None
        self.settle(row, commitment)

    def existing(self, row: Row, reference: str, meeting, read: dict) -> Commitment | None:
        """The commitment the row is: by its reference, or by meeting, paragraph and title; a new one if neither."""
        if reference:
            pk = REFERENCE.fullmatch(reference)
            commitment = self.by_pk.get(int(pk[1])) if pk else None
            if commitment is None:
                row.refuse(
                    "Reference",
                    f"{reference} is no commitment of the groups you coordinate: leave it empty for a new one.",
                )
                return None
            self.once(row, commitment.pk, commitment.reference)
            return commitment
        if meeting is None:
            return None
        paragraph = [read["record_paragraph"]] if "record_paragraph" in read else []
        key = self.key(meeting.pk, read.get("title", ""), *paragraph)
        matches = self.by_key.get(key, [])
        if len(matches) > 1:
            references = " and ".join(c.reference for c in matches)
            row.refuse("", f"Several commitments match this row ({references}): give the Reference to say which.")
            return None
        self.once(row, matches[0].pk if matches else key, matches[0].reference if matches else "This commitment")
        return matches[0] if matches else Commitment()

    def owner(self, row: Row, commitment: Commitment, name: str, group: WorkingGroup):
        """The owner a row names: its owner as it is, or a member of the group; None when the cell is empty."""
        if not name:
            return None
        if commitment.pk and is_named(commitment.owner, name):
            return commitment.owner
        try:
            owner = self.people.find(name, group)
        except ValueError as error:
            row.refuse("Owner", str(error))
            return UNREAD
        if not self.people.is_active_member(owner, group):
            row.refuse("Owner", f"{person(owner)}'s account is deactivated: choose an active member.")
        return owner

    def set_grants(self, row: Row, commitment: Commitment, names: list[str], group: WorkingGroup) -> None:
        users = []
        before = self.granted(commitment) if commitment.pk else []
        for name in names:
            try:
                user = self.people.find(name, group)
            except ValueError as error:
                row.refuse("Access granted to", str(error))
                continue
            if user not in before and not self.people.is_active_member(user, group):
                row.refuse("Access granted to", f"{person(user)}'s account is deactivated: choose an active member.")
            users.append(user)
        if {user.pk for user in users} != {user.pk for user in before}:
            row.changes.append(("Access granted to", shown(None, before) if commitment.pk else "", shown(None, users)))
            row.grants = users

    def save(self, rows: list[Row], user, reason: str) -> None:
        """New commitments in bulk, with their history records (a file of thousands takes seconds, not minutes);
        changed ones, and new ones with grants (recorded as the commitment's), one by one."""
        plain = [row.target for row in rows if row.target.pk is None and row.grants is None]
        for commitment in plain:
            commitment.sync_closed_at()
        bulk_create_with_history(plain, Commitment, BATCH, default_user=user, default_change_reason=reason)
        data_changed()  # saved in bulk: no post_save
        tell_the_new_owners(plain, user)
        for row in rows:
            commitment = row.target
            if row.target.pk is not None and row.state == NEW and row.grants is None:
                continue  # saved above
            commitment._change_reason = reason
            if commitment.pk:
                commitment.save_versioned(row.version, user=user)
            else:
                commitment._history_user = user
                commitment.save()
            if row.grants is not None:
                commitment.access_granted_to.set(row.grants)


UNREAD = object()  # a value a row could not read (refused)


TABLES = {"meetings": MeetingTable, "commitments": CommitmentTable}
