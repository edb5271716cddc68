import datetime
import functools
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import models, transaction
from django.db.models import Count, F, Func, OuterRef, Q, Subquery
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.functional import LazyObject
from simple_history.models import HistoricalRecords

from config.display import plain_line
from meetings.dates import check_plausible, spell_date
from meetings.models import TEXT_MAX_LENGTH, AuditedQuerySet, Meeting, Membership, WorkingGroup, valid_choice

UNKNOWN = object()  # an owner that was not loaded from the database


class StaleVersionError(Exception):
    """Someone saved the commitment after the version an edit was based on."""

    def __init__(self, commitment: "Commitment", expected_version: int):
        self.commitment = commitment
        self.expected_version = expected_version
        super().__init__(
            f"Commitment {commitment.pk} was changed by someone else (you edited version {expected_version})."
        )


class UnversionedSaveError(Exception):
    """A commitment saved without its version check: use `save_versioned`, which raises its version."""


class Category(models.Model):
    """A kind of commitment: information sharing, joint training, research, …"""

    name = models.CharField("name", max_length=100, unique=True)
    slug = models.SlugField("slug", max_length=100, unique=True)
    description = models.TextField("description", blank=True, max_length=TEXT_MAX_LENGTH)
    order = models.PositiveSmallIntegerField("order", default=0, help_text="Position in lists and briefs.")

    class Meta:
        verbose_name = "category"
        verbose_name_plural = "categories"
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


def open_q(through: str = "") -> Q:
    """Open or in progress; `through` names the relation from another model ("commitment")."""
    return Q(**{f"{through}__status__in" if through else "status__in": CommitmentStatus.open_values()})


def overdue_q(today: datetime.date) -> Q:
    """Open and past its follow-up date: the one definition of overdue."""
    return open_q() & Q(follow_up_date__lt=today)


# Free-text names suggested from those already used in the group, and saved as used (one agency, one spelling).
NAMED_FIELDS = ("lead_agency", "partner_counterpart")


def as_used(value: str, used) -> str:
    """A name typed in another case or spacing is the one already used ("ministry of  home affairs" is saved as
    "Ministry of Home Affairs"); `used` lists the names most used first, which wins among variants."""
    typed = " ".join(value.split())
    spellings = {}
    for name in used:
        spellings.setdefault(" ".join(name.split()).casefold(), name)
    return spellings.get(typed.casefold(), typed)


@functools.lru_cache
def _around_id(view_name: str, script_prefix: str, urlconf: str) -> tuple[str, str]:
    """What comes before and after the id in the address of a view taking one."""
    marker = "2147483647"
    before, _, after = reverse(view_name, args=[marker], urlconf=urlconf).partition(marker)
    return before, after


def paths_of(view_name: str):
    """What writes the path of a view taking one id, from the id, at the address the site is reached now: the route
    is reversed once per URL configuration and path prefix, and looked up once for the many lines a sweep, a brief or
    a list writes, not for each of them."""
    before, after = _around_id(view_name, get_script_prefix(), get_urlconf(settings.ROOT_URLCONF))
    return lambda pk: f"{before}{pk}{after}"


class CommitmentQuerySet(AuditedQuerySet):
    def names_used(self, field: str) -> list[str]:
        """The values of a named field (NAMED_FIELDS) in these commitments, the most used first."""
        rows = self.exclude(**{field: ""}).order_by().values_list(field).annotate(uses=Count("pk"))
        return [name for name, _ in sorted(rows, key=lambda row: (-row[1], row[0]))]

    def visible_to(self, user, roles: dict[int, str] | None = None) -> "CommitmentQuerySet":
        """What a user may see: the commitments of their working groups, restricted ones on a need to know.

        A restricted commitment is seen by its owner, the group's coordinators, superusers and the
        users granted access to it. Every list, count, export, brief, feed and API answer starts here.
        `roles`: the user's {group id: role}, when already read for the request (meetings.permissions.group_roles):
        the groups are then named by id, which PostgreSQL plans better than a subquery in a query that stops early.
        """
        if roles is None or not user.is_authenticated or user.is_superuser:
            groups, coordinated = WorkingGroup.objects.visible_to(user), WorkingGroup.objects.coordinated_by(user)
        else:
            groups = list(roles)
            coordinated = [group for group, role in roles.items() if role == Membership.Role.COORDINATOR]
        in_groups = self.filter(meeting__group__in=groups)
        if not user.is_authenticated or user.is_superuser:
            return in_groups  # none for the anonymous, everything for superusers
        granted = Commitment.access_granted_to.through.objects.filter(user=user).values("commitment_id")
        return in_groups.filter(
            Q(restricted=False) | Q(owner=user) | Q(meeting__group__in=coordinated) | Q(pk__in=granted)
        )

    def of_group(self, group: WorkingGroup) -> "CommitmentQuerySet":
        return self.filter(meeting__group=group)

    def open(self) -> "CommitmentQuerySet":
        """Open or in progress: still to be followed up."""
        return self.filter(open_q())

    def closed(self) -> "CommitmentQuerySet":
        return self.exclude(open_q())

    def overdue(self, today: datetime.date) -> "CommitmentQuerySet":
        return self.filter(overdue_q(today))

    def due_within(self, days: int, today: datetime.date) -> "CommitmentQuerySet":
        """Open commitments whose follow-up date falls between today and `days` days from today."""
        return self.open().filter(follow_up_date__range=(today, today + datetime.timedelta(days=days)))

    def without_owner(self) -> "CommitmentQuerySet":
        return self.filter(owner__isnull=True)

    def counts(self, today: datetime.date) -> list[dict]:
        """Rows of group id, category id, status, count and how many of them are overdue, in one query: the
        dashboard's numbers (totals_by_group) and charts (charts.category_status_chart)."""
        rows = self.order_by().values("meeting__group", "category", "status")
        return list(rows.annotate(count=Count("pk"), overdue=Count("pk", filter=overdue_q(today))))


def totals_by_group(counts: list[dict]) -> dict[int, dict[str, int]]:
    """{group id: {"total", "open", "overdue", "done"}}, from CommitmentQuerySet.counts."""
    totals: dict[int, dict[str, int]] = {}
    for row in counts:
        group = totals.setdefault(row["meeting__group"], {"total": 0, "open": 0, "overdue": 0, "done": 0})
        group["total"] += row["count"]
        group["overdue"] += row["overdue"]
        if row["status"] in CommitmentStatus.open_values():
            group["open"] += row["count"]
        elif row["status"] == CommitmentStatus.DONE:
            group["done"] += row["count"]
    return totals


class CommitmentStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"

    @classmethod
    def open_values(cls) -> list[str]:
        return [cls.OPEN, cls.IN_PROGRESS]

    @classmethod
    def closed_values(cls) -> list[str]:
        return [cls.DONE, cls.DROPPED]

    @property
    def css(self) -> str:
        """Bootstrap badge colour; the badge always carries the label too, never colour alone."""
        return {"open": "text-bg-primary", "in_progress": "text-bg-info", "done": "text-bg-success"}.get(
            self.value, "text-bg-secondary"
        )


class Side(models.TextChoices):
    HOME = "home", "Home side"
    PARTNER = "partner", "Partner side"
    JOINT = "joint", "Joint"


class Priority(models.IntegerChoices):
    HIGH = 1, "High"
    NORMAL = 2, "Normal"
    LOW = 3, "Low"


class Commitment(models.Model):
    """An action item agreed at a meeting, followed up by its owner."""

    Status = CommitmentStatus
    Side = Side
    Priority = Priority

    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        related_name="commitments",
        verbose_name="agreed at",
        help_text="The meeting where it was agreed.",
    )
    title = models.CharField("title", max_length=300)
    description = models.TextField("description", blank=True, max_length=TEXT_MAX_LENGTH)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="commitments", verbose_name="category"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,  # deactivate a departing user's account: deleting it would lose the record
        null=True,
        blank=True,
        related_name="owned_commitments",
        verbose_name="owner",
        help_text="The staff member who follows it up and receives the reminders.",
    )
    responsible_side = models.CharField("responsible side", max_length=10, choices=Side.choices, default=Side.HOME)
    lead_agency = models.CharField("lead agency", max_length=200, blank=True)
    partner_counterpart = models.CharField("partner counterpart", max_length=200, blank=True)
    record_paragraph = models.CharField(
        "paragraph of the agreed record", max_length=50, blank=True, help_text='e.g. "para 7"'
    )
    follow_up_date = models.DateField("follow-up date", null=True, blank=True, validators=[check_plausible])
    status = models.CharField("status", max_length=20, choices=Status.choices, default=Status.OPEN)
    priority = models.PositiveSmallIntegerField("priority", choices=Priority.choices, default=Priority.NORMAL)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="created_commitments",
        verbose_name="created by",
    )
    created_at = models.DateTimeField("created", auto_now_add=True)
    updated_at = models.DateTimeField("updated", auto_now=True)
    closed_at = models.DateTimeField("closed", null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(
        "version", default=1, editable=False, help_text="Raised by every save; an edit of an older version is refused."
    )
    restricted = models.BooleanField(
        "restricted",
        default=False,
        help_text="Need to know: seen only by its owner, the group's coordinators and the people granted access; "
        "e-mails and calendars name it by its reference alone. Lifting it opens the commitment to the group, its "
        "progress journal included; its change history keeps what it said while restricted.",
    )
    access_granted_to = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="granted_commitments",
        verbose_name="access granted to",
        help_text="Members of the working group who may read it while it is restricted.",
    )

    history = HistoricalRecords(m2m_fields=[access_granted_to])
    objects = CommitmentQuerySet.as_manager()

    class Meta:
        verbose_name = "commitment"
        ordering = ["follow_up_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(title=""),
                name="commitment_title_not_blank",
                violation_error_message="A commitment needs a title.",
            ),
            valid_choice("status", CommitmentStatus, "commitment_status_valid", "Unknown commitment status."),
            valid_choice("responsible_side", Side, "commitment_side_valid", "Unknown responsible side."),
            valid_choice("priority", Priority, "commitment_priority_valid", "Unknown priority."),
            models.CheckConstraint(
                condition=(
                    Q(status__in=CommitmentStatus.closed_values(), closed_at__isnull=False)
                    | (~Q(status__in=CommitmentStatus.closed_values()) & Q(closed_at__isnull=True))
                ),
                name="commitment_closed_at_matches_status",
                violation_error_message="Only a done or dropped commitment has a closing time.",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1),
                name="commitment_version_positive",
                violation_error_message="The version starts at 1.",
            ),
        ]
        indexes = [
            # Overdue and due-soon lists, and the follow-up reminder sweep.
            models.Index(fields=["status", "follow_up_date"], name="commitment_status_follow_up"),
            # "Mine": the dashboard, the list's owner filter and the owner's overdue ones.
            models.Index(fields=["owner", "status", "follow_up_date"], name="commitment_owner_status"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # Every edit raises the version, so that an edit based on an older one is refused (API ETags, forms).
        if not self._state.adding and not getattr(self, "_versioned", False):
            raise UnversionedSaveError(f"Save commitment {self.pk} with save_versioned(), which checks its version.")
        self.sync_closed_at()
        with transaction.atomic():  # with what post_save receivers record (the owner-change notices)
            super().save(*args, **kwargs)
        self._saved_owner_id, self._saved_meeting_id = self.owner_id, self.meeting_id

    def get_absolute_url(self) -> str:
        return Commitment.path(self.pk)

    @staticmethod
    def path(pk: int) -> str:
        """A commitment page's path, as get_absolute_url()."""
        return Commitment.paths()(pk)

    @staticmethod
    def paths():
        """What writes a commitment page's path from its id (paths_of)."""
        return paths_of("commitments:detail")

    @staticmethod
    def address(pk: int) -> str:
        """A commitment page's full address at SITE_URL, for e-mails and files."""
        return Commitment.addresses()(pk)

    @staticmethod
    def addresses():
        """What writes a commitment page's full address from its id (address()), for the many lines of a digest or a
        file: see paths()."""
        site, path = settings.SITE_URL, Commitment.paths()
        return lambda pk: site + path(pk)

    @property
    def previous_owner_id(self):
        """The owner when loaded or last saved (None for a new commitment; UNKNOWN if not loaded)."""
        return getattr(self, "_saved_owner_id", None)

    @property
    def reference(self) -> str:
        """ "C-12": how e-mails, calendars and exports name it without its title."""
        return Commitment.reference_of(self.pk)

    @staticmethod
    def reference_of(pk: int) -> str:
        return f"C-{pk}"

    def outside_label(self, *, titles: bool = True) -> str:
        """How the commitment is named outside the app: its reference alone when restricted or asked."""
        if self.restricted:
            return f"Commitment {self.reference} (restricted)"
        return plain_line(self.title) if titles else f"Commitment {self.reference}"

    @staticmethod
    def check_grantees(meeting: Meeting, users) -> None:
        """Access is granted only to members of the working group where the commitment was agreed."""
        members = set(meeting.group.memberships.values_list("user_id", flat=True))
        outsiders = [user.pk for user in users if user.pk not in members]
        if outsiders:  # by id, not by name: whoever sent the ids may not know who they are
            ids = f"id{'s' if len(outsiders) > 1 else ''} {', '.join(map(str, sorted(outsiders)))}"
            raise ValidationError(
                {"access_granted_to": f"Access can be granted only to members of the {meeting.group}; not to {ids}."}
            )

    @staticmethod
    def check_follow_up_date(day: datetime.date | None, saved: datetime.date | None) -> None:
        """Data entry's rule: a new or moved follow-up date in the past is a typo, which would become an overdue
        reminder at once. A date that has passed stays as it is while the commitment is edited or closed (and
        records of past meetings load with their dates)."""
        if day is not None and day != saved and day < timezone.localdate():
            raise ValidationError({"follow_up_date": f"{spell_date(day)} is in the past: enter today or a later date."})

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._saved_owner_id = instance.__dict__.get("owner_id", UNKNOWN)
        instance._saved_meeting_id = instance.__dict__.get("meeting_id", UNKNOWN)
        return instance

    def clean(self) -> None:
        self.sync_closed_at()
        # A new owner, or the same one at a meeting of another group, must be a member of the group. An owner who
        # has since left it (or whose account was closed) stays until handed over, and the rest can still be edited.
        kept = self.owner_id == self.previous_owner_id and self.meeting_id == getattr(self, "_saved_meeting_id", None)
        if self.owner_id and self.meeting_id and not kept:
            group = self.meeting.group
            if not group.memberships.filter(user_id=self.owner_id).exists():
                raise ValidationError({"owner": f"The owner must be a member of the {group}."})

    def sync_closed_at(self) -> None:
        # closed_at follows status in every code path, keeping commitment_closed_at_matches_status.
        if self.status in self.Status.closed_values():
            self.closed_at = self.closed_at or timezone.now()
        else:
            self.closed_at = None

    @property
    def is_open(self) -> bool:
        return self.status in self.Status.open_values()

    def is_overdue(self, today: datetime.date) -> bool:
        return self.is_open and self.follow_up_date is not None and self.follow_up_date < today

    def save_versioned(self, expected_version: int, *, user=None) -> None:
        """Save an edit that was based on `expected_version`, or raise StaleVersionError.

        The check and the bump are a single UPDATE, so of two concurrent saves of the
        same version exactly one passes; the full save follows in the same transaction
        and records the history entry.
        """
        with transaction.atomic():
            bumped = Commitment.objects.filter(pk=self.pk, version=expected_version).unrecorded_update(
                version=F("version") + 1
            )
            if not bumped:
                raise StaleVersionError(self, expected_version)
            self.version = expected_version + 1
            if user is not None:
                self._history_user = user
            self._versioned = True
            try:
                self.save()
            finally:
                self._versioned = False

    def change_status(self, status: str, *, user) -> bool:
        """Apply a new status to the current row, whatever else changed meanwhile.

        Returns False when the commitment already had that status.
        """
        with transaction.atomic():
            current = Commitment.objects.select_for_update().get(pk=self.pk)
            changed = current.status != status
            if changed:
                current.status = status
                current.save_versioned(current.version, user=user)
        self.status, self.version, self.closed_at = current.status, current.version, current.closed_at
        self.updated_at = current.updated_at
        return changed

    def record_date_move(self, *, author, moved_from: datetime.date, reason: str) -> "ProgressUpdate":
        """A journal entry for a move of the follow-up date (already saved), with its reason."""
        return ProgressUpdate.objects.create(
            commitment=self, author=author, text=reason, moved_from=moved_from, moved_to=self.follow_up_date
        )

    def post_progress(self, *, author, text: str, new_status: str = "", source: str = "") -> "ProgressUpdate":
        """Add a journal entry and apply its new status, both or neither. A status the commitment already has is
        no change: the entry does not say it."""
        with transaction.atomic():
            update = ProgressUpdate(commitment=self, author=author, text=text, new_status=new_status, source=source)
            update.full_clean()
            if new_status and not self.change_status(new_status, user=author):
                update.new_status = ""
            update._history_user = author
            update.save()
        return update


class NotIndexed(Func):
    """A column that SQLite is not to look rows up by (its unary +, SQLite's documented way to keep a term from an
    index); the column itself elsewhere."""

    def as_sql(self, compiler, connection, **extra_context):
        return compiler.compile(self.source_expressions[0])

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"+{sql}", params


class ProgressUpdateQuerySet(AuditedQuerySet):
    def visible_to(self, user, roles: dict[int, str] | None = None) -> "ProgressUpdateQuerySet":
        """The progress updates of the commitments the user may see: those of a restricted one are as hidden."""
        return self.filter(commitment__in=Commitment.objects.visible_to(user, roles))

    def newest_visible_to(self, user, roles: dict[int, str] | None = None) -> "ProgressUpdateQuerySet":
        """visible_to, newest first, for a page that shows the first few (the dashboard's latest updates).

        Found by walking the updates in the index by date, each checked against the commitments the user may see,
        until enough are found; not by gathering every update of those commitments to sort them. PostgreSQL
        chooses between the two from its statistics. SQLite keeps none and took the second: on the benchmark's
        data, 4.7 → 0.8 ms for a reader of 3 groups of 50, 67 → 15 ms for one who reads them all, and 0.04 → 18 ms
        for one who reads none of the 100,000 updates.
        """
        visible = Commitment.objects.visible_to(user, roles)
        return (
            self.alias(commitment_key=NotIndexed("commitment_id", output_field=models.BigIntegerField()))
            .filter(commitment_key__in=visible.values("pk"))
            .order_by("-created_at", "-pk")
        )

    def progress(self) -> "ProgressUpdateQuerySet":
        """Entries that report progress: not an owner's move of the follow-up date (which says why, not what
        was done), nor a handover to a successor."""
        return self.filter(moved_from__isnull=True, handed_over_to__isnull=True)

    def latest_per_commitment(self, commitment_ids, before: datetime.datetime | None = None) -> dict:
        """{commitment id: its newest progress (before a moment)}, found in the database: only the newest come back,
        each as a row of its `commitment_id`, `created_at`, `text` and `source` (read as attributes).

        `commitment_ids`: ids, or a queryset of them (then a subquery, not one parameter per id). Each commitment's
        newest is looked up in the index of its updates by date (a subquery per commitment), not ranked among all
        of them: 500 commitments of 5 updates each, 27 → 7 ms on SQLite, the same on PostgreSQL. Rows, not model
        instances: 500 of them took 12 ms to build, three times the query.
        """
        updates = self.progress().filter(commitment_id=OuterRef("pk"))
        if before is not None:
            updates = updates.filter(created_at__lt=before)
        newest = updates.order_by("-created_at", "-pk").values("pk")[:1]
        newest_ids = Commitment.objects.filter(pk__in=commitment_ids).values(newest=Subquery(newest))
        rows = self.filter(pk__in=newest_ids).values_list("commitment_id", "created_at", "text", "source", named=True)
        return {row.commitment_id: row for row in rows}


class ProgressUpdate(models.Model):
    """A dated journal entry on a commitment; it may change the commitment's status."""

    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="progress_updates", verbose_name="commitment"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="progress_updates",
        verbose_name="author",
    )
    created_at = models.DateTimeField("posted", default=timezone.now)
    text = models.TextField("progress", max_length=TEXT_MAX_LENGTH)
    new_status = models.CharField(
        "new status",
        max_length=20,
        choices=Commitment.Status.choices,
        blank=True,
        help_text="Leave empty to keep the current status.",
    )
    source = models.CharField(
        "source",
        max_length=300,
        blank=True,
        help_text='Where news from the partner side came from, e.g. "note verbale of 3 November 2025".',
    )
    # An owner's move of the follow-up date, with its reason as the text (the coordinators' summary lists them).
    moved_from = models.DateField("follow-up date moved from", null=True, blank=True, editable=False)
    moved_to = models.DateField("follow-up date moved to", null=True, blank=True, editable=False)
    # A handover of the commitment from one officer to their successor (commitments/handover.py).
    handed_over_from = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="handed over from",
    )
    handed_over_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="handed over to",
    )

    history = HistoricalRecords()
    objects = ProgressUpdateQuerySet.as_manager()

    class Meta:
        verbose_name = "progress update"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(text=""),
                name="progressupdate_text_not_blank",
                violation_error_message="A progress update needs some text.",
            ),
            models.CheckConstraint(
                condition=Q(new_status="") | Q(new_status__in=Commitment.Status.values),
                name="progressupdate_new_status_valid",
                violation_error_message="Unknown commitment status.",
            ),
            models.CheckConstraint(
                condition=Q(moved_from__isnull=True, moved_to__isnull=True) | Q(moved_from__isnull=False),
                name="progressupdate_move_has_its_old_date",
                violation_error_message="A move of the follow-up date records the date it moved from.",
            ),
            models.CheckConstraint(
                condition=Q(handed_over_from__isnull=True, handed_over_to__isnull=True)
                | Q(handed_over_from__isnull=False, handed_over_to__isnull=False),
                name="progressupdate_handover_has_both_officers",
                violation_error_message="A handover records who handed over and to whom.",
            ),
        ]
        indexes = [
            # The journal newest first, and "latest update" per commitment.
            models.Index(fields=["commitment", "-created_at"], name="progress_commitment_created"),
            # The dashboard's latest updates of all one may see: read newest first, stopping at ten.
            models.Index(fields=["-created_at", "-id"], name="progress_created"),
        ]

    def __str__(self) -> str:
        return f"{self.commitment} — {timezone.localtime(self.created_at):%d %b %Y}"


class ReminderReason(models.TextChoices):
    PRE_SESSION = "pre_session", "Before the session"
    DUE_SOON = "due_soon", "Due soon"
    OVERDUE = "overdue", "Overdue"
    SESSION_SUMMARY = "session_summary", "Coordinators' summary before the session"
    DATE_TO_BE_AGREED = "date_tba", "Session date still to be agreed"
    ASSIGNED = "assigned", "Assigned to you"
    HANDED_OVER = "handed_over", "Handed over to someone else"

    @classmethod
    def scheduled(cls) -> list[str]:
        """Reasons the planner decides from dates; the others follow events and are sent at once."""
        return [cls.PRE_SESSION, cls.DUE_SOON, cls.OVERDUE, cls.SESSION_SUMMARY, cls.DATE_TO_BE_AGREED]

    @classmethod
    def immediate(cls) -> list[str]:
        return [cls.ASSIGNED, cls.HANDED_OVER]


class ReminderState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class Reminder(models.Model):
    """One line of an e-mail to one recipient, for one reason, planned for one day: the outbox."""

    Reason = ReminderReason
    State = ReminderState

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders", verbose_name="recipient"
    )
    reason = models.CharField("reason", max_length=20, choices=ReminderReason.choices)
    commitment = models.ForeignKey(
        Commitment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
        verbose_name="commitment",
    )
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
        verbose_name="session",
        help_text="The session it counts down to, for reminders about a session.",
    )
    anchor_date = models.DateField("anchor date", help_text="The session date or follow-up date it is about.")
    lead_days = models.IntegerField("lead", help_text="Days before the anchor date; negative after it.")
    planned_for = models.DateField("planned for")
    state = models.CharField("state", max_length=10, choices=ReminderState.choices, default=ReminderState.PENDING)
    attempts = models.PositiveSmallIntegerField("attempts", default=0)
    last_error = models.TextField("last error", blank=True)
    next_attempt_at = models.DateTimeField("next attempt", null=True, blank=True)
    claim_token = models.UUIDField("claim", null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField("claimed", null=True, blank=True)
    sent_at = models.DateTimeField("sent", null=True, blank=True)
    message_id = models.CharField("message id", max_length=255, blank=True)
    created_at = models.DateTimeField("created", auto_now_add=True)

    class Meta:
        verbose_name = "reminder"
        ordering = ["-planned_for", "recipient_id"]
        constraints = [
            # Planning inserts with conflicts ignored: these make a second planning a no-op.
            # Notices of owner changes have none: a commitment may change hands again once one is sent
            # (planning.record_owner_change keeps one pending per recipient, commitment and reason).
            models.UniqueConstraint(
                fields=["recipient", "commitment", "reason", "anchor_date", "lead_days"],
                condition=Q(commitment__isnull=False) & ~Q(reason__in=ReminderReason.immediate()),
                name="reminder_once_per_commitment",
                violation_error_message="This reminder is already planned.",
            ),
            models.UniqueConstraint(
                fields=["recipient", "meeting", "reason", "anchor_date", "lead_days"],
                condition=Q(commitment__isnull=True),
                name="reminder_once_per_session",
                violation_error_message="This reminder is already planned.",
            ),
            models.CheckConstraint(
                condition=Q(commitment__isnull=False) | Q(meeting__isnull=False),
                name="reminder_is_about_something",
                violation_error_message="A reminder is about a commitment or a session.",
            ),
            valid_choice("state", ReminderState, "reminder_state_valid", "Unknown reminder state."),
            valid_choice("reason", ReminderReason, "reminder_reason_valid", "Unknown reminder reason."),
        ]
        indexes = [
            # The sender's "what is due": pending rows by day.
            models.Index(fields=["state", "planned_for"], name="reminder_state_planned"),
            # The sender's batches: pending rows by recipient and day, in recipient order (a batch's claim
            # finds its recipients' due rows here, not among every pending row of the day); a batch's
            # claimed rows (state "sending", few at any time: also how a dead worker's claims are found).
            # Every index costs each claim and each outcome an index write, so there are no more.
            models.Index(fields=["state", "recipient", "planned_for"], name="reminder_state_recipient_day"),
            # Who is in their quiet period, asked by each batch's claim: the pending notices of owner changes by
            # when they were given, a few rows at any time (a claim or an outcome of any other row writes nothing
            # here), not the whole outbox.
            models.Index(
                fields=["created_at"],
                condition=Q(state=ReminderState.PENDING, reason__in=ReminderReason.immediate()),
                name="reminder_pending_notice",
            ),
            # The plan's search for withdrawn notices right again (planning.revive_notices): the skipped notices of
            # owner changes, few at any time.
            models.Index(
                fields=["commitment"],
                condition=Q(state=ReminderState.SKIPPED, reason__in=ReminderReason.immediate()),
                name="reminder_skipped_notice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} for {self.recipient} on {self.planned_for}"


class ReminderPlan(models.Model):
    """When a working group's reminders were last planned, and from what (reminders/planning.py): a re-plan of the
    same day finds a group whose inputs are unchanged has nothing to plan. The sweep that planned it: the last
    group planned in a sweep starts its sending."""

    group = models.OneToOneField(
        WorkingGroup,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="reminder_plan",
        verbose_name="working group",
    )
    day = models.DateField("planned for the day")
    inputs = models.CharField("inputs", max_length=64, help_text="A fingerprint of the group's facts that day.")
    planned_at = models.DateTimeField("planned at")
    sweep = models.DateTimeField("sweep", null=True, blank=True, help_text="When the sweep that planned it began.")

    class Meta:
        verbose_name = "reminder plan"

    def __str__(self) -> str:
        return f"Reminders of {self.group_id} planned for {self.day}"


class NotificationPreference(models.Model):
    """Which optional reminders a user receives; reminders before a session cannot be turned off."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name="user",
    )
    due_soon = models.BooleanField("reminders before a follow-up date", default=True)
    overdue = models.BooleanField("reminders when a commitment is overdue", default=True)

    class Meta:
        verbose_name = "notification preference"

    def __str__(self) -> str:
        return f"Notifications of {self.user}"


class BriefSnapshot(models.Model):
    """A brief frozen by a coordinator: what is shown and downloaded afterwards."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="brief_snapshots", verbose_name="meeting"
    )
    data = models.JSONField("brief")
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="frozen by"
    )
    frozen_at = models.DateTimeField("frozen", default=timezone.now)

    class Meta:
        verbose_name = "frozen brief"
        ordering = ["-frozen_at", "-pk"]

    def __str__(self) -> str:
        return f"Brief for {self.meeting}, frozen {timezone.localtime(self.frozen_at):%d %b %Y %H:%M}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A user's private iCalendar address; replacing the token revokes the old address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed", verbose_name="user"
    )
    token = models.CharField("token", max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField("created", auto_now=True)

    class Meta:
        verbose_name = "calendar feed"

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"

    def secret_path(self) -> str:
        """The feed's address: a secret, so deliberately not `get_absolute_url` (which the admin links to)."""
        return reverse("calendar-feed", args=[self.token])

    def revoke(self) -> None:
        """Give the feed a new address; the old one answers 404 from now on."""
        self.token = new_feed_token()
        self.save(update_fields=["token", "created_at"])


class ImportKind(models.TextChoices):
    MEETINGS = "meetings", "Meetings"
    COMMITMENTS = "commitments", "Commitments"


class ImportFile(models.Model):
    """A spreadsheet uploaded for import, kept from its preview to its confirmation (commitments/importing/): the
    import reads these very bytes, checked by their SHA-256, and forgets them once done (the record says when, and
    what it did, until it is deleted with the others a day old)."""

    Kind = ImportKind

    kind = models.CharField("what it holds", max_length=20, choices=Kind.choices)
    name = models.CharField("file name", max_length=255)
    data = models.BinaryField("content")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="uploaded by"
    )
    uploaded_at = models.DateTimeField("uploaded", default=timezone.now)
    imported_at = models.DateTimeField("imported", null=True, blank=True)
    outcome = models.CharField("what the import did", max_length=200, blank=True)

    class Meta:
        verbose_name = "import file"
        constraints = [valid_choice("kind", ImportKind, "import_file_kind_valid", "Unknown kind of import.")]

    def __str__(self) -> str:
        return self.name


class AttachmentQuerySet(AuditedQuerySet):
    def visible_to(self, user) -> "AttachmentQuerySet":
        """The attachments of the meetings and commitments the user may see: an attachment of a restricted
        commitment, or of one of its progress updates, is as invisible as the commitment."""
        return self.filter(
            Q(meeting__in=Meeting.objects.visible_to(user)) | Q(commitment__in=Commitment.objects.visible_to(user))
        )

    def listed(self) -> "AttachmentQuerySet":
        """As a page lists them: with who attached them, without the text read from them for search (it may run to
        megabytes, and no list shows it)."""
        return self.select_related("uploaded_by").defer("text")

    def with_text(self, text: str) -> int:
        """Record the text read from the files (derived data, not a user's change: no history record)."""
        return super().unrecorded_update(text=text, text_read_at=timezone.now())


class AttachmentStorage(LazyObject):
    """Where the bytes live: the "attachments" storage of settings.STORAGES (a folder under var/, or S3), looked
    up when first used rather than when the model is loaded."""

    def _setup(self):
        self._wrapped = storages["attachments"]


ATTACHMENT_STORAGE = AttachmentStorage()


def attachment_storage():
    return ATTACHMENT_STORAGE


def stored_path(attachment: "Attachment", name: str) -> str:
    """A random path by month: never the user's file name, which is kept in `name`."""
    return f"{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file kept as evidence: attached to a meeting, to a commitment, or to one of its progress updates (which
    also names its commitment, whose rules it follows)."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments", verbose_name="meeting"
    )
    commitment = models.ForeignKey(
        Commitment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name="commitment",
    )
    progress_update = models.ForeignKey(
        ProgressUpdate,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name="progress update",
    )
    file = models.FileField("file", storage=attachment_storage, upload_to=stored_path, max_length=200)
    name = models.CharField("file name", max_length=255)
    content_type = models.CharField("type", max_length=100, help_text="As recognised from the content.")
    size = models.PositiveBigIntegerField("size (bytes)")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="uploaded by"
    )
    uploaded_at = models.DateTimeField("uploaded", default=timezone.now)
    text = models.TextField("text", blank=True, editable=False, help_text="Read from a PDF, Word or text file.")
    text_read_at = models.DateTimeField("text read", null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["text", "text_read_at"])
    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = "attachment"
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(meeting__isnull=False) & Q(commitment__isnull=True) & Q(progress_update__isnull=True))
                | (Q(meeting__isnull=True) & Q(commitment__isnull=False)),
                name="attachment_has_one_place",
                violation_error_message="An attachment belongs to a meeting, a commitment or a progress update.",
            ),
            models.UniqueConstraint(
                fields=["meeting", "sha256"],
                condition=Q(meeting__isnull=False),
                name="attachment_once_per_meeting",
                violation_error_message="This file is already attached to the meeting.",
            ),
            models.UniqueConstraint(
                fields=["commitment", "sha256"],
                condition=Q(commitment__isnull=False, progress_update__isnull=True),
                name="attachment_once_per_commitment",
                violation_error_message="This file is already attached to the commitment.",
            ),
            models.UniqueConstraint(
                fields=["progress_update", "sha256"],
                condition=Q(progress_update__isnull=False),
                name="attachment_once_per_progress_update",
                violation_error_message="This file is already attached to the progress update.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("attachment", args=[self.pk])


class SearchWord(models.Model):
    """A word of the text the search searches, in lower case: where it finds the spelling variants of a query's
    words (commitments/search.py). PostgreSQL only: the table is the search migrations' (config/postgres.py),
    filled by their trigger; this model does not manage it, and there is none on SQLite."""

    # Django needs a primary key; the table has none, and may rarely list a word twice: read it grouped by word.
    word = models.TextField("word", primary_key=True)

    class Meta:
        managed = False
        db_table = "search_word"
        verbose_name = "search word"

    def __str__(self) -> str:
        return self.word
