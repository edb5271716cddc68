import datetime
import functools

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.humanize.templatetags.humanize import ordinal
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Case, Exists, F, Prefetch, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django_countries import countries
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from config.display import plain_line
from meetings.dates import check_plausible, days_from, format_date_range, spell_date
from meetings.fields import LeadDaysField

DEFAULT_LEAD_DAYS = [30, 14, 7, 1]
# The longest free text a form or the API accepts (about ten pages); longer input is refused.
TEXT_MAX_LENGTH = 20_000


def valid_choice(field: str, choices: type[models.Choices], name: str, message: str) -> models.CheckConstraint:
    """A named constraint that keeps a choices field to its choices in the database too."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": choices.values}), name=name, violation_error_message=message
    )


def default_lead_days() -> list[int]:
    return list(DEFAULT_LEAD_DAYS)


def default_home_country() -> str:
    return settings.HOME_COUNTRY


class UnrecordedChangeError(Exception):
    """A bulk change of an audited table, which would leave no history record."""


class AuditedQuerySet(models.QuerySet):
    """The queryset of a table under audit (django-simple-history).

    Every change goes through save() or delete(), which record the change and its actor;
    a bulk `update()` or `bulk_update()` would not, so they are refused.
    """

    def update(self, **kwargs):
        raise UnrecordedChangeError(
            f"{self.model.__name__} is audited: save each object instead of a bulk update, so that history records it."
        )

    def bulk_update(self, objs, fields, batch_size=None):
        raise UnrecordedChangeError(f"{self.model.__name__} is audited: save each object instead of bulk_update().")

    def unrecorded_update(self, **kwargs) -> int:
        """A plain UPDATE, for a caller that saves the changed object right after (recording it)."""
        return super().update(**kwargs)


class WorkingGroupQuerySet(AuditedQuerySet):
    def visible_to(self, user, roles: dict[int, str] | None = None) -> "WorkingGroupQuerySet":
        """The groups a user may see: all for superusers, otherwise those they belong to.

        `roles`: the user's {group id: role}, when already read for the request (meetings.permissions.group_roles).
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(
            pk__in=Membership.objects.filter(user=user).values("group_id") if roles is None else list(roles)
        )

    def with_upcoming_home_sessions(self, today: datetime.date) -> "WorkingGroupQuerySet":
        """Prefetch each group's coming home-hosted sessions, for `upcoming_home_session`."""
        return self.prefetch_related(
            Prefetch(
                "meetings",
                queryset=Meeting.objects.upcoming_home_hosted(today),
                to_attr="upcoming_home_sessions",
            )
        )

    def coordinated_by(self, user) -> "WorkingGroupQuerySet":
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(
            pk__in=Membership.objects.filter(user=user, role=Membership.Role.COORDINATOR).values("group_id")
        )


class WorkingGroup(models.Model):
    """A standing bilateral forum, with our side (the home country) and its partners."""

    name = models.CharField("name", max_length=200, unique=True)
    short_name = models.CharField("short name", max_length=60, help_text="Used in lists and e-mail subjects.")
    slug = models.SlugField("slug", max_length=60, unique=True)
    home_country = CountryField("home country", default=default_home_country, help_text="Our side.")
    partner_countries = CountryField("partner countries", multiple=True)
    description = models.TextField("description", blank=True, max_length=TEXT_MAX_LENGTH)
    reminder_lead_days = LeadDaysField(
        "reminder lead days",
        default=default_lead_days,
        help_text="Days before a session on which owners are reminded, e.g. 30, 14, 7, 1.",
    )
    brief_days_before = models.PositiveSmallIntegerField(
        "brief prepared (days before a session)",
        default=3,
        validators=[MaxValueValidator(90)],
        help_text="Owners are asked to post their progress updates by then; the brief is prepared from them.",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membership",
        related_name="working_groups",
        verbose_name="members",
        blank=True,
    )
    is_active = models.BooleanField("active", default=True)

    history = HistoricalRecords()
    objects = WorkingGroupQuerySet.as_manager()

    class Meta:
        verbose_name = "working group"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(partner_countries=""),
                name="workinggroup_has_partner",
                violation_error_message="A working group needs at least one partner country.",
            ),
        ]

    def __str__(self) -> str:
        return plain_line(self.short_name or self.name)

    def clean(self) -> None:
        if self.home_country and self.home_country in self.partner_countries:
            raise ValidationError(
                {"partner_countries": f"{self.home_country.name} is the home country; it cannot also be a partner."}
            )

    @property
    def country_codes(self) -> set[str]:
        return {self.home_country.code, *(country.code for country in self.partner_countries)}

    @property
    def upcoming_home_session(self) -> "Meeting | None":
        """The next home-hosted session, firm or to be agreed (needs `with_upcoming_home_sessions`)."""
        return self.upcoming_home_sessions[0] if self.upcoming_home_sessions else None

    @property
    def coordinators(self):
        """The users who manage this group."""
        return get_user_model().objects.filter(memberships__group=self, memberships__role=Membership.Role.COORDINATOR)


class MembershipRole(models.TextChoices):
    MEMBER = "member", "Member"
    COORDINATOR = "coordinator", "Coordinator"


class Membership(models.Model):
    """A user's place in a working group: member (reads) or coordinator (manages)."""

    Role = MembershipRole

    group = models.ForeignKey(
        WorkingGroup, on_delete=models.CASCADE, related_name="memberships", verbose_name="working group"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name="user"
    )
    role = models.CharField("role", max_length=20, choices=Role.choices, default=Role.MEMBER)
    from_directory = models.BooleanField(
        "given by the directory",
        default=False,
        help_text="Given by a directory group (LDAP_WORKING_GROUP_ROLES): changed and ended with it. "
        "A membership given here is left as it is.",
    )

    history = HistoricalRecords()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = "membership"
        ordering = ["group_id", "role", "user_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user"],
                name="membership_one_per_user_and_group",
                violation_error_message="This user is already in this working group.",
            ),
            valid_choice("role", MembershipRole, "membership_role_valid", "Unknown role."),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.group}"


def is_member(user, group, role: str | None = None) -> Exists:
    """SQL for "the user is (still) in the group", in that role if given; user and group are
    expressions such as OuterRef("owner"), OuterRef("meeting__group")."""
    memberships = Membership.objects.filter(user=user, group=group)
    return Exists(memberships.filter(role=role) if role else memberships)


class MeetingQuerySet(AuditedQuerySet):
    def visible_to(self, user, roles: dict[int, str] | None = None) -> "MeetingQuerySet":
        return self.filter(group__in=WorkingGroup.objects.visible_to(user, roles))

    def hosted_by_home(self) -> "MeetingQuerySet":
        return self.filter(host_country=F("group__home_country"))

    def upcoming_home_hosted(self, today: datetime.date) -> "MeetingQuerySet":
        """Home-hosted sessions still ahead: scheduled from today on, then those whose date is to be agreed."""
        return (
            self.hosted_by_home()
            .filter(Q(status=Meeting.Status.SCHEDULED, start_date__gte=today) | Q(status=Meeting.Status.PLANNED))
            .order_by(
                Case(When(status=Meeting.Status.SCHEDULED, then=Value(0)), default=Value(1)),
                F("start_date").asc(nulls_last=True),
                "number",
            )
        )

    def next_home_hosted(self, group: WorkingGroup, today: datetime.date) -> "Meeting | None":
        """The next home-hosted session with a firm date: the one reminders count down to."""
        return self.upcoming_home_hosted(today).filter(group=group, status=Meeting.Status.SCHEDULED).first()


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", "Planned — date to be agreed"
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"

    @classmethod
    def needing_date(cls) -> list[str]:
        return [cls.SCHEDULED, cls.HELD]

    @property
    def short_label(self) -> str:
        """The label beside the meeting's dates, which already say whether they are agreed."""
        return "Planned" if self == MeetingStatus.PLANNED else self.label

    @property
    def css(self) -> str:
        """Bootstrap badge colour; the badge always carries the label too, never colour alone."""
        return {"planned": "text-bg-warning", "scheduled": "text-bg-primary", "held": "text-bg-success"}.get(
            self.value, "text-bg-secondary"
        )


class Meeting(models.Model):
    """The Nth session of a working group."""

    Status = MeetingStatus

    group = models.ForeignKey(
        WorkingGroup, on_delete=models.PROTECT, related_name="meetings", verbose_name="working group"
    )
    number = models.PositiveSmallIntegerField("number", help_text="10 for the 10th meeting.")
    host_country = CountryField("host country")
    city = models.CharField("city", max_length=100, blank=True)
    venue = models.CharField("venue", max_length=200, blank=True)
    start_date = models.DateField("start date", null=True, blank=True, validators=[check_plausible])
    end_date = models.DateField("end date", null=True, blank=True, validators=[check_plausible])
    status = models.CharField("status", max_length=20, choices=Status.choices, default=Status.PLANNED)
    outcome_summary = models.TextField("outcome summary", blank=True, max_length=TEXT_MAX_LENGTH)
    record_reference = models.CharField(
        "agreed record",
        max_length=200,
        blank=True,
        help_text='Reference of the agreed record, e.g. "Record of Discussions".',
    )
    # Calendars: raised each time the dates or the status change, so that a client updates the event it has.
    calendar_sequence = models.PositiveIntegerField("calendar sequence", default=0, editable=False)
    updated_at = models.DateTimeField("updated", auto_now=True)

    history = HistoricalRecords()
    objects = MeetingQuerySet.as_manager()

    CALENDAR_FIELDS = ("start_date", "end_date", "status")  # a change raises calendar_sequence

    class Meta:
        verbose_name = "meeting"
        ordering = ["group_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "number"],
                name="meeting_number_unique_in_group",
                violation_error_message="This working group already has a meeting with this number.",
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1),
                name="meeting_number_positive",
                violation_error_message="Meetings are numbered from 1.",
            ),
            valid_choice("status", MeetingStatus, "meeting_status_valid", "Unknown meeting status."),
            models.CheckConstraint(
                condition=~Q(status__in=MeetingStatus.needing_date()) | Q(start_date__isnull=False),
                name="meeting_firm_status_has_date",
                violation_error_message="A scheduled or held meeting needs a start date.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(start_date__isnull=False, end_date__gte=F("start_date")),
                name="meeting_ends_after_start",
                violation_error_message="The end date cannot be before the start date.",
            ),
        ]
        indexes = [
            # The reminder sweep looks up each group's next scheduled session.
            models.Index(fields=["status", "start_date"], name="meeting_status_start"),
        ]

    def __str__(self) -> str:
        return f"{self.group}: {self.title}"

    def save(self, *args, **kwargs) -> None:
        now = tuple(getattr(self, name) for name in self.CALENDAR_FIELDS)
        saved = getattr(self, "_calendar_saved", None)
        if saved is not None and saved != now:
            self.calendar_sequence += 1
        super().save(*args, **kwargs)
        self._calendar_saved = now

    def get_absolute_url(self) -> str:
        return reverse("meetings:detail", args=[self.pk])

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._calendar_saved = tuple(instance.__dict__.get(name) for name in cls.CALENDAR_FIELDS)
        return instance

    def clean(self) -> None:
        errors = {}
        if self.status in self.Status.needing_date() and self.start_date is None:
            errors["start_date"] = f"A {self.get_status_display().lower()} meeting needs a start date."
        if self.end_date and (self.start_date is None or self.end_date < self.start_date):
            errors["end_date"] = "The end date cannot be before the start date."
        if self.group_id and self.host_country and self.host_country.code not in self.group.country_codes:
            allowed = ", ".join(sorted(countries.name(code) for code in self.group.country_codes))
            errors["host_country"] = f"The host must be one of the working group's countries: {allowed}."
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def check_dates(status: str, start: datetime.date | None, saved_status: str | None, saved_start) -> None:
        """Data entry's rule, when the status or the start date changes: a held meeting has taken place (not in
        the future); a scheduled meeting, or provisional dates, are ahead (not in the past). Records of past
        meetings load as held; a scheduled meeting whose day has passed is edited as it is."""
        if start is None or (status == saved_status and start == saved_start):
            return
        today = timezone.localdate()
        if status == MeetingStatus.HELD and start > today:
            raise ValidationError({"start_date": "A held meeting has taken place: its start date cannot be ahead."})
        if status in (MeetingStatus.SCHEDULED, MeetingStatus.PLANNED) and start < today:
            raise ValidationError(
                {
                    "start_date": f"{spell_date(start)} is in the past: a {MeetingStatus(status).short_label.lower()} "
                    "meeting is ahead (for one that took place, choose Held)."
                }
            )

    @property
    def title(self) -> str:
        return Meeting.title_of(self.number)

    @staticmethod
    @functools.cache  # a brief names hundreds of lines' meetings, of a few numbers
    def title_of(number: int) -> str:
        """ "9th meeting": a meeting's title from its number, for rows read without the meeting."""
        return f"{ordinal(number)} meeting"

    @property
    def place(self) -> str:
        """The city, or the host country while the city is not known."""
        return plain_line(self.city) or self.host_country.name

    @property
    def updates_due(self) -> datetime.date | None:
        """The day owners are asked to post their progress updates by: the brief is prepared then."""
        if self.start_date is None:
            return None
        return self.start_date - datetime.timedelta(days=self.group.brief_days_before)

    @property
    def is_provisional(self) -> bool:
        """Dates entered while the date is still to be agreed: shown as provisional, and no reminder counts
        down to them until the meeting is scheduled."""
        return self.status == self.Status.PLANNED and self.start_date is not None

    @property
    def dates(self) -> str:
        """The dates entered, agreed or not: "12–13 January 2027" or "date to be agreed"."""
        return format_date_range(self.start_date, self.end_date)

    @property
    def dates_display(self) -> str:
        """ "12–13 January 2027", "provisional: 12–13 January 2027" or "date to be agreed"."""
        return f"provisional: {self.dates}" if self.is_provisional else self.dates

    @property
    def status_note(self) -> str:
        """What the status adds to the dates: nothing for a planned or scheduled meeting, "Held" or "Cancelled"."""
        return "" if self.status in (self.Status.PLANNED, self.Status.SCHEDULED) else self.get_status_display()

    def countdown(self, today: datetime.date) -> str:
        """ "in 23 days", "tomorrow", "today", "provisional: 12–13 January 2027" or "date to be agreed"."""
        if self.status == self.Status.PLANNED or self.start_date is None:
            return self.dates_display
        return days_from(today, self.start_date)

    @property
    def summary(self) -> str:
        """ "10th meeting, India, date to be agreed"."""
        return f"{self.title}, {self.place}, {self.dates_display}"


class ParticipantQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ParticipantQuerySet":
        """The participants of the meetings the user may see."""
        return self.filter(meeting__in=Meeting.objects.visible_to(user))


class ParticipantRole(models.TextChoices):
    CO_CHAIR = "co_chair", "Co-chair"
    DELEGATE = "delegate", "Delegate"
    OBSERVER = "observer", "Observer"


class Participant(models.Model):
    """A co-chair, delegate or observer at a meeting."""

    Role = ParticipantRole

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants", verbose_name="meeting")
    name = models.CharField("name", max_length=200)
    title = models.CharField("title", max_length=300, blank=True, help_text="e.g. Joint Secretary (Counter Terrorism)")
    organisation = models.CharField("organisation", max_length=300, blank=True)
    country = CountryField("country")
    role = models.CharField("role", max_length=20, choices=Role.choices, default=Role.DELEGATE)
    order = models.PositiveSmallIntegerField("order", default=0)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        verbose_name = "participant"
        ordering = ["meeting_id", "order", "pk"]
        constraints = [
            valid_choice("role", ParticipantRole, "participant_role_valid", "Unknown participant role."),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


class AgendaTopic(models.Model):
    """An item on a meeting's agenda."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_topics", verbose_name="meeting")
    order = models.PositiveSmallIntegerField("order", default=0)
    title = models.CharField("title", max_length=300)
    notes = models.TextField("notes", blank=True, max_length=TEXT_MAX_LENGTH)

    class Meta:
        verbose_name = "agenda topic"
        ordering = ["meeting_id", "order", "pk"]

    def __str__(self) -> str:
        return self.title
