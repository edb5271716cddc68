"""Importing the meetings and commitments kept in spreadsheets until now: upload, preview, import.

The upload is kept (ImportFile) and both steps read those bytes through the same rules (tables.py): the preview
shows what each row would do, and the import does it only if the whole file is valid and if it still does
exactly what was previewed. A preview's digest names what it showed; the import recomputes the preview and
refuses when the digest differs (someone changed a commitment meanwhile), so that nothing is imported that the
coordinator has not seen. All of it in one transaction: nothing is half-saved.
"""

import dataclasses
import datetime
import hashlib
from collections import Counter

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from commitments.importing.files import FileRefused, cell_text, is_blank, read
from commitments.importing.tables import CHANGED, NEW, REFUSED, TABLES, UNCHANGED, Column, Row, Table, name_key
from commitments.models import ImportFile, StaleVersionError
from config.display import counted

STATES = (REFUSED, CHANGED, NEW, UNCHANGED)  # in the order the preview lists them
REASON_MOST = 100  # the length of a history record's change reason
KEPT_FOR = datetime.timedelta(days=1)  # an upload not imported within a day is deleted


@dataclasses.dataclass
class Preview:
    """What importing a file would do, row by row, and why not if it cannot be imported."""

    upload: ImportFile
    table: Table | None = None  # the rules it was read by, which save the rows
    problems: list[str] = dataclasses.field(default_factory=list)  # about the file as a whole
    columns: list[str] = dataclasses.field(default_factory=list)  # the headings read, as the file has them
    unknown: list[str] = dataclasses.field(default_factory=list)  # headings this app does not know: not read
    computed: list[str] = dataclasses.field(default_factory=list)  # headings of what exports compute: not read
    rows: list[Row] = dataclasses.field(default_factory=list)
    missing: bool = False  # the file lacks a column the import needs

    @property
    def counts(self) -> Counter:
        return Counter(row.state for row in self.rows)

    @property
    def valid(self) -> bool:
        return not self.problems and not self.counts[REFUSED]

    @property
    def digest(self) -> str:
        """What the preview showed, as a fingerprint: the file's and each row's."""
        shown = repr((self.upload.sha256, self.columns, [row.summary for row in self.rows]))
        return hashlib.sha256(shown.encode()).hexdigest()


def upload(data: bytes, name: str, kind: str, user) -> ImportFile:
    """Keep a file for its preview (for a day: forget_stale)."""
    return ImportFile.objects.create(
        kind=kind, name=name[:255], data=data, sha256=hashlib.sha256(data).hexdigest(), uploaded_by=user
    )


class AlreadyImported(ValidationError):
    """The file was imported by an earlier confirmation."""


def forget_stale() -> int:
    """Delete the uploads left unimported for a day; the number deleted."""
    deleted, _ = ImportFile.objects.filter(uploaded_at__lt=timezone.now() - KEPT_FOR).delete()
    return deleted


def preview(upload: ImportFile, user) -> Preview:
    """What importing the file would do, for this user (rows of groups they do not coordinate are refused)."""
    result = Preview(upload)
    data = bytes(upload.data)
    if hashlib.sha256(data).hexdigest() != upload.sha256:
        result.problems.append("The file kept since its upload is not the file uploaded: upload it again.")
        return result
    try:
        sheet = read(data, upload.name)
    except FileRefused as refused:
        result.problems.append(str(refused))
        return result
    table = result.table = TABLES[upload.kind](user)
    columns = _columns(sheet.headings, table.columns, result)
    if result.problems:
        return _suggest_the_other_kind(sheet.headings, upload.kind, result)
    named = {i for i, heading in enumerate(sheet.headings) if not is_blank([heading])}
    for number, cells in sheet.rows:
        row, read_values = Row(number), {}
        unnamed = [i for i, cell in enumerate(cells) if i not in named and not is_blank([cell])]
        if unnamed:
            row.refuse(
                "",
                f"This row has values beyond the last named column (column {column_letter(unnamed[0])}): "
                "is a comma unquoted?"
                if unnamed[0] >= len(sheet.headings)
                else f"This row has values in column {column_letter(unnamed[0])}, which has no heading.",
            )
        for index, column in columns.items():
            if (number, index) in sheet.formulas_without_value:
                formula = sheet.formulas_without_value[number, index]
                row.refuse(column.heading, f"{formula} is a formula saved without its value: save the file again.")
                continue
            try:
                read_values[column.key] = column.read(cell_text(cells[index] if index < len(cells) else None))
            except ValueError as error:
                row.refuse(column.heading, str(error))
        table.plan(row, read_values)
        result.rows.append(row)
    return result


def _columns(headings: list[str], known: list[Column], result: Preview) -> dict[int, Column]:
    """{position in the file: column} for the columns read; the others and the missing ones noted."""
    by_name = {name: column for column in known for name in column.names}
    found: dict[int, Column] = {}
    for index, heading in enumerate(headings):
        column = by_name.get(name_key(heading))
        if column is None:
            if heading not in (None, ""):
                result.unknown.append(str(heading))
        elif column in found.values():
            result.problems.append(f"Two columns are {column.heading}: keep one.")
        elif column.key:
            found[index] = column
            result.columns.append(str(heading))
        else:
            result.computed.append(str(heading))
    missing = [column.heading for column in known if column.required and column not in found.values()]
    if missing:
        result.problems.append(f"The file has no column {' or '.join(missing)}: the import needs it.")
        result.missing = True
    return found


def _suggest_the_other_kind(headings: list[str], kind: str, result: Preview) -> Preview:
    """A file of meetings uploaded as commitments (or the reverse): the refusal of its missing columns says so."""
    other = next(name for name in TABLES if name != kind)
    as_other = Preview(result.upload)
    _columns(headings, TABLES[other].columns, as_other)
    if not result.missing or as_other.problems:
        return result
    result.problems[-1] += f" It looks like a file of {other}: upload it as {other}."
    return result


def column_letter(index: int) -> str:
    """0 → "A", 26 → "AA": a column as a spreadsheet names it."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def run(upload: ImportFile, user, digest: str) -> Counter:
    """Import the file as previewed (the preview's digest), all or nothing; ValidationError when it is not valid
    or no longer does what was previewed. The counts of rows by state."""
    reason = f"Imported from {upload.name}"[:REASON_MOST]
    stale = ValidationError(
        "The import would no longer do what the preview showed (the data it touches has changed since, or the "
        "form was altered): look at the preview again, then import."
    )
    with transaction.atomic():
        # Locked: of two confirmations at once (a double click), the second waits, then finds it imported.
        if not ImportFile.objects.select_for_update().filter(pk=upload.pk, imported_at=None).exists():
            raise AlreadyImported(f"{upload.name} has been imported already.")
        result = preview(upload, user)
        if not result.valid:
            raise ValidationError("The file cannot be imported as it is: see the rows refused.")
        if result.digest != digest:
            raise stale
        try:
            result.table.save([row for row in result.rows if row.state in (NEW, CHANGED)], user, reason)
        except StaleVersionError:
            raise stale from None
        upload.data, upload.imported_at = b"", timezone.now()
        upload.outcome = said(result.counts, upload.kind.removesuffix("s"))
        upload.save(update_fields=["data", "imported_at", "outcome"])
    return result.counts


def said(counts: Counter, noun: str) -> str:
    """ "45 commitments: 3 new, 2 changed, 40 unchanged"."""
    total = sum(counts.values())
    return f"{counted(total, noun)}: {counts[NEW]} new, {counts[CHANGED]} changed, {counts[UNCHANGED]} unchanged" + (
        f", {counts[REFUSED]} refused" if counts[REFUSED] else ""
    )


def sample(kind: str, user) -> tuple[list[tuple[str, int]], list[list]]:
    """A file to start from: (heading, width) of each column the import reads, and two example rows in the first
    working group the user coordinates, which importing adds (new meetings after its last one; commitments of its
    last meeting, due in three and six months) and changes nothing that exists."""
    from commitments.exports import COLUMNS, MEETING_COLUMNS
    from commitments.models import Category
    from meetings.models import Meeting
    from meetings.permissions import active_members, coordinated_groups

    widths = dict(COLUMNS + MEETING_COLUMNS) | {"Access granted to": 40}
    columns = [(column.heading, widths[column.heading]) for column in TABLES[kind].columns if column.key]
    group = coordinated_groups(user).order_by("name").first()
    if group is None:
        return columns, []
    last = Meeting.objects.filter(group=group).order_by("-number").first()
    today = timezone.localdate()
    if kind == "meetings":
        number = last.number if last else 0
        partner = group.partner_countries[0].name if group.partner_countries else group.home_country.name
        examples = [
            [group.short_name, Meeting(number=number + 1).title, group.home_country.name, "New Delhi", "",
             today + datetime.timedelta(days=90), today + datetime.timedelta(days=91), "Scheduled", "", ""],
            [group.short_name, Meeting(number=number + 2).title, partner, "", "", None, None, "Planned", "", ""],
        ]  # fmt: skip
        return columns, examples
    categories = [category.name for category in Category.objects.order_by("order", "name")[:2]] or ["", ""]
    agreed_at = last.title if last else ""
    members = active_members([group]).order_by("pk")
    owner = (members.filter(pk=user.pk).first() or members.first() or user).email  # a superuser may not be one
    examples = [
        ["", "Exchange threat assessments every quarter", "", group.short_name, agreed_at, categories[0],
         owner, "Joint", "Ministry of Home Affairs", "", "para 4", today + datetime.timedelta(days=90),
         "Open", "High", "no", ""],
        ["", "Joint training course for investigators", "", group.short_name, agreed_at, categories[-1],
         owner, "Home side", "National Investigation Agency", "", "para 7",
         today + datetime.timedelta(days=180), "In progress", "Normal", "yes", owner],
    ]  # fmt: skip
    return columns, examples
