from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html
from knox.models import AuthToken

from commitments import handover
from commitments.forms import CommitmentRowForm, VersionedCommitmentForm
from commitments.models import (
    BriefSnapshot,
    CalendarFeed,
    Category,
    Commitment,
    NotificationPreference,
    ProgressUpdate,
    Reminder,
)
from commitments.reminders.delivery import retry_reminders
from commitments.reminders.planning import forget_plans
from commitments.reminders.tasks import send_reminders
from config.admin import ChoiceFilter
from config.display import person
from config.queueing import enqueue_on_commit
from meetings.admin import (
    GROUP_FILTER,
    AuditedGroupAdmin,
    GroupScopedInline,
    MeetingAdmin,
    MembershipAdmin,
    StaffUserAdmin,
    WorkingGroupAdmin,
)
from meetings.models import Meeting, Membership, WorkingGroup
from meetings.permissions import can_administer, coordinated_groups


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order"]
    list_editable = ["order"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def has_module_permission(self, request):
        return can_administer(request.user)

    def has_view_permission(self, request, obj=None):
        return can_administer(request.user)


class HasOwnerFilter(ChoiceFilter):
    title = "owner"
    parameter_name = "has_owner"

    def lookups(self, request, model_admin):
        return [("no", "No owner"), ("yes", "Has an owner")]

    def apply(self, queryset, value: str):
        return queryset.without_owner() if value == "no" else queryset.filter(owner__isnull=False)


class ProgressUpdateInline(GroupScopedInline):
    """The journal: past entries read-only, new ones posted through `Commitment.post_progress`."""

    model = ProgressUpdate
    group_path = "commitment__meeting__group"
    extra = 1
    fields = ["created_at", "author", "text", "new_status", "source"]
    readonly_fields = ["created_at", "author"]

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


@admin.register(Commitment)
class CommitmentAdmin(AuditedGroupAdmin):
    change_list_template = "admin/change_list_with_import.html"  # links the import from a spreadsheet
    group_path = "meeting__group"
    member_fields = ["owner", "access_granted_to"]  # chosen among the members of the coordinator's groups
    form = VersionedCommitmentForm
    list_display = ["title", "meeting", "category", "owner_or_warning", "status", "follow_up_date", "priority"]
    list_select_related = ["meeting__group", "category", "owner"]
    list_filter = [
        "status",
        "category",
        ("meeting__group", GROUP_FILTER),
        "responsible_side",
        "priority",
        "restricted",
        HasOwnerFilter,
    ]
    search_fields = ["title", "description", "lead_agency", "partner_counterpart", "record_paragraph"]
    autocomplete_fields = ["meeting", "owner", "access_granted_to"]
    date_hierarchy = "follow_up_date"
    readonly_fields = ["created_by", "created_at", "updated_at", "closed_at", "version"]
    inlines = [ProgressUpdateInline]
    actions = ["mark_done", "mark_in_progress"]
    fieldsets = [
        (None, {"fields": ["meeting", "title", "description", "category", "record_paragraph"]}),
        (
            "Follow-up",
            {"fields": ["owner", "responsible_side", "lead_agency", "partner_counterpart", "follow_up_date"]},
        ),
        ("Status", {"fields": ["status", "priority", "expected_version"]}),
        ("Need to know", {"fields": ["restricted", "access_granted_to"]}),
        ("Record", {"fields": ["created_by", "created_at", "updated_at", "closed_at", "version"]}),
    ]

    @admin.display(description="owner", ordering="owner__last_name")
    def owner_or_warning(self, commitment: Commitment) -> str:
        if commitment.owner is None:
            return format_html('<strong style="color:#b00">{}</strong>', "⚠ No owner")
        return person(commitment.owner)

    def save_model(self, request, obj, form, change):
        form.save_versioned(user=request.user)

    def save_formset(self, request, form, formset, change):
        if formset.model is not ProgressUpdate:
            return super().save_formset(request, form, formset, change)
        new_updates = formset.save(commit=False)
        for update in formset.deleted_objects:
            update.delete()
        for update in new_updates:
            form.instance.post_progress(
                author=request.user, text=update.text, new_status=update.new_status, source=update.source
            )

    def _change_status(self, request, queryset, status: str) -> None:
        changed = sum(commitment.change_status(status, user=request.user) for commitment in queryset)
        label = Commitment.Status(status).label.lower()
        self.message_user(request, f"{changed} commitment(s) marked {label}.", messages.SUCCESS)

    @admin.action(description="Mark selected commitments done", permissions=["change"])
    def mark_done(self, request, queryset):
        self._change_status(request, queryset, Commitment.Status.DONE)

    @admin.action(description="Mark selected commitments in progress", permissions=["change"])
    def mark_in_progress(self, request, queryset):
        self._change_status(request, queryset, Commitment.Status.IN_PROGRESS)


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(AuditedGroupAdmin):
    group_path = "commitment__meeting__group"
    list_display = ["commitment", "author", "created_at", "new_status", "source"]
    list_select_related = ["commitment", "author"]
    list_filter = ["new_status", ("commitment__meeting__group", GROUP_FILTER)]
    search_fields = ["text", "source", "commitment__title"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["commitment"]
    fields = ["commitment", "text", "new_status", "source", "author", "created_at"]
    readonly_fields = ["author", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        # A posted status change has already been applied; editing it would not undo it.
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "commitment", "new_status"] if obj else fields

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        saved = obj.commitment.post_progress(
            author=request.user, text=obj.text, new_status=obj.new_status, source=obj.source
        )
        obj.pk = saved.pk


class ReminderGroupFilter(ChoiceFilter):
    """A reminder's group is its commitment's or its session's: the groups the user manages."""

    title = "working group"
    parameter_name = "group"

    def lookups(self, request, model_admin):
        return [(str(group.pk), str(group)) for group in coordinated_groups(request.user)]

    def apply(self, queryset, value: str):
        return queryset.filter(Q(commitment__meeting__group=value) | Q(meeting__group=value))


# What the admin's retry says of the reminders it leaves as they were, by state (failed and withdrawn ones it sends).
RETRY_LEFT = {
    Reminder.State.PENDING: "still to be sent",
    Reminder.State.SENDING: "being sent",
    Reminder.State.SENT: "sent already",
    Reminder.State.SKIPPED: "that the rules no longer call for (superseded, stale or cancelled)",
}


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """The outbox: what was sent to whom, what is waiting, and what failed and why."""

    list_display = [
        "recipient",
        "recipient_email",
        "reason",
        "about",
        "planned_for",
        "state",
        "attempts",
        "last_error",
        "sent_at",
    ]
    list_select_related = ["recipient", "commitment", "meeting__group"]
    list_filter = ["state", "reason", ReminderGroupFilter, "planned_for"]
    search_fields = [
        "recipient__username",
        "recipient__email",
        "recipient__last_name",
        "commitment__title",
        "last_error",
    ]
    date_hierarchy = "planned_for"
    actions = ["retry"]
    readonly_fields = [f.name for f in Reminder._meta.fields]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        groups = coordinated_groups(request.user)
        return queryset.filter(Q(commitment__meeting__group__in=groups) | Q(meeting__group__in=groups))

    def has_module_permission(self, request):
        return can_administer(request.user)

    def has_view_permission(self, request, obj=None):
        if obj is not None and not self.get_queryset(request).filter(pk=obj.pk).exists():
            return False
        return can_administer(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # A sent (or being sent) row is the record that keeps its reminder from going out again: deleted, the
        # next plan would find it due and send it a second time.
        if obj is not None and obj.state in (Reminder.State.SENT, Reminder.State.SENDING):
            return False
        return request.user.is_superuser

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        forget_plans()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        forget_plans()

    @admin.display(description="e-mail")
    def recipient_email(self, reminder: Reminder) -> str:
        if not reminder.recipient.email:
            return format_html('<strong style="color:#b00">{}</strong>', "⚠ none: cannot be reminded")
        return reminder.recipient.email

    @admin.display(description="about")
    def about(self, reminder: Reminder) -> str:
        return str(reminder.commitment or reminder.meeting)

    @admin.action(description="Retry the selected failed or withdrawn reminders", permissions=["view"])
    def retry(self, request, queryset):
        count, left, not_now = retry_reminders(queryset)
        if count:
            enqueue_on_commit(send_reminders)
            self.message_user(request, f"{count} reminder(s) will be sent again shortly.", messages.SUCCESS)
        else:
            self.message_user(request, "None of the selected reminders will be sent again.", messages.WARNING)
        if not_now:
            reasons = [why if len(not_now) == 1 else f"{why}: {number}" for why, number in sorted(not_now.items())]
            self.message_user(
                request,
                f"Not sent again, no longer right to send: {sum(not_now.values())} ({'; '.join(reasons)}).",
                messages.WARNING,
            )
        if left:
            kinds = [f"{number} {RETRY_LEFT[state]}" for state, number in sorted(left.items())]
            self.message_user(
                request,
                f"Left as they were: {', '.join(kinds)}. Only failed and withdrawn reminders are sent again.",
                messages.WARNING,
            )


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "due_soon", "overdue"]
    list_select_related = ["user"]
    list_filter = ["due_soon", "overdue"]
    search_fields = ["user__username", "user__email", "user__last_name"]
    autocomplete_fields = ["user"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Private calendar addresses: shown by their first characters (the address is the owner's secret)."""

    list_display = ["user", "address", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email", "user__last_name"]
    fields = ["user", "address", "created_at"]
    readonly_fields = ["address", "created_at"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    @admin.display(description="address")
    def address(self, feed: CalendarFeed) -> str:
        return f"…/calendar/{feed.token[:6]}…" if feed.token else "—"

    @admin.action(description="Give the selected calendars a new address (the old one stops working)")
    def revoke(self, request, queryset):
        for feed in queryset:
            feed.revoke()
        self.message_user(request, f"{queryset.count()} calendar address(es) replaced.", messages.SUCCESS)


@admin.register(BriefSnapshot)
class BriefSnapshotAdmin(admin.ModelAdmin):
    """Frozen briefs: kept as they were frozen, so read-only."""

    list_display = ["meeting", "frozen_by", "frozen_at"]
    list_select_related = ["meeting__group", "frozen_by"]
    list_filter = [("meeting__group", GROUP_FILTER)]
    date_hierarchy = "frozen_at"
    readonly_fields = ["meeting", "data", "frozen_by", "frozen_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- The meeting admin, with the commitments agreed at the meeting ------------------------------------------


class CommitmentInline(GroupScopedInline):
    """The meeting's commitments, each row saved through the commitment's version check."""

    group_path = "meeting__group"
    model = Commitment
    form = CommitmentRowForm
    extra = 0
    # expected_version is hidden: the version each row was opened at.
    fields = [
        "title",
        "category",
        "owner",
        "responsible_side",
        "follow_up_date",
        "status",
        "priority",
        "expected_version",
    ]
    autocomplete_fields = ["owner"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("category", "owner")


admin.site.unregister(Meeting)


@admin.register(Meeting)
class MeetingWithCommitmentsAdmin(MeetingAdmin):
    """The meeting admin of the meetings app, with the commitments agreed there (each row versioned)."""

    inlines = [*MeetingAdmin.inlines, CommitmentInline]
    list_display = [*MeetingAdmin.list_display, "commitment_count"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(commitment_count=Count("commitments"))

    @admin.display(description="commitments", ordering="commitment_count")
    def commitment_count(self, meeting: Meeting) -> int:
        return meeting.commitment_count

    def save_formset(self, request, form, formset, change):
        if formset.model is not Commitment:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)  # sorts the rows into new, changed and deleted ones, for the change message
        for commitment in formset.deleted_objects:
            commitment._history_user = request.user
            commitment.delete()
        for row in formset.forms:
            if row.has_changed() and row not in formset.deleted_forms:
                row.save_versioned(user=request.user)


admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """API tokens: listed by their first characters (only a hash of each is kept); deleting one revokes it.
    Users create their own on the settings page, where a new token is shown once."""

    list_display = ["token_key", "user", "created", "expiry"]
    list_select_related = ["user"]
    search_fields = ["token_key", "user__username", "user__email", "user__last_name"]
    date_hierarchy = "created"
    fields = ["token_key", "user", "created", "expiry"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Handing an officer's commitments over, offered where an officer is looked at or leaves a group ---------


def handover_link(officer, group=None) -> str:
    query = f"?officer={officer.pk}" + (f"&group={group.pk}" if group else "")
    return reverse("commitments:handover") + query


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class UserWithCommitmentsAdmin(StaffUserAdmin):
    """The user admin of the meetings app, with the user's open commitments and the way to hand them over."""

    readonly_fields = [*StaffUserAdmin.readonly_fields, "open_commitments"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return fieldsets if obj is None else [*fieldsets, ("Commitments", {"fields": ["open_commitments"]})]

    @admin.display(description="open commitments")
    def open_commitments(self, user) -> str:
        count = Commitment.objects.open().filter(owner=user).count()
        if not count:
            return "None"
        return format_html('{} — <a href="{}">hand over open commitments</a>', count, handover_link(user))


admin.site.unregister(Membership)


@admin.register(Membership)
class MembershipWithCommitmentsAdmin(MembershipAdmin):
    """The membership admin of the meetings app, warning when an officer with open commitments leaves a group:
    before, on the page that asks to confirm; after, when they were removed among others or from the group's
    page. The handover takes the commitments of someone no longer in the group too."""

    def delete_view(self, request, object_id, extra_context=None):
        membership = self.get_object(request, object_id)
        if request.method == "GET" and membership is not None:
            warn_of_open_commitments(request, [membership], "before they leave")
        return super().delete_view(request, object_id, extra_context)

    def delete_queryset(self, request, queryset):
        leaving = list(queryset.select_related("user", "group"))
        super().delete_queryset(request, queryset)
        warn_of_open_commitments(request, [m for m in leaving if not Membership.objects.filter(pk=m.pk).exists()])


def warn_of_open_commitments(request, memberships, when: str = "now that they have left") -> None:
    """A warning, with the way to hand them over, for each of these members who owns open commitments in the
    group they leave (or left)."""
    for membership in memberships:
        count = handover.open_commitments(membership.user, membership.group).count()
        if count:
            messages.warning(
                request,
                format_html(
                    '{} owns {} open commitment{} in the {}: <a href="{}">hand {} over</a> {}.',
                    person(membership.user),
                    count,
                    "s" if count != 1 else "",
                    membership.group.short_name,
                    handover_link(membership.user, membership.group),
                    "them" if count != 1 else "it",
                    when,
                ),
            )


admin.site.unregister(WorkingGroup)


@admin.register(WorkingGroup)
class WorkingGroupWithCommitmentsAdmin(WorkingGroupAdmin):
    """The working group admin of the meetings app, warning when a member with open commitments is removed from
    the group's page."""

    def save_formset(self, request, form, formset, change):
        leaving = [f.instance for f in formset.deleted_forms if isinstance(f.instance, Membership) and f.instance.pk]
        super().save_formset(request, form, formset, change)
        warn_of_open_commitments(request, leaving)
