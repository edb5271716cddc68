from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from commitments.models import Commitment
from commitments.permissions import can_administer, coordinated_groups
from meetings.models import AgendaTopic, Meeting, Membership, Participant, WorkingGroup

admin.site.site_header = "Commitments tracker administration"
admin.site.site_title = "Commitments tracker"
admin.site.index_title = "Data entry"


# How each admin-edited model reaches its working group, to scope rows and choices.
GROUP_PATHS = {WorkingGroup: "pk", Meeting: "group", Commitment: "meeting__group"}


class GroupScopedAdminMixin:
    """Coordinators manage their own working groups in the admin; superusers manage all.

    Rows outside the user's groups are not listed and cannot be opened, and related-object
    choices (working group, meeting, commitment) offer only the user's groups.
    """

    group_path = "group"  # lookup from this model to its working group

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.group_path}__in": coordinated_groups(request.user)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        path = GROUP_PATHS.get(db_field.related_model)
        if path and not request.user.is_superuser:
            kwargs["queryset"] = db_field.related_model._default_manager.filter(
                **{f"{path}__in": coordinated_groups(request.user)}
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request):
        return can_administer(request.user)

    def has_view_permission(self, request, obj=None):
        return can_administer(request.user)

    def has_add_permission(self, request, *args):
        return can_administer(request.user)

    def has_change_permission(self, request, obj=None):
        return can_administer(request.user)

    def has_delete_permission(self, request, obj=None):
        return can_administer(request.user)


class MembershipInline(GroupScopedAdminMixin, admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(WorkingGroup)
class WorkingGroupAdmin(GroupScopedAdminMixin, SimpleHistoryAdmin):
    group_path = "pk"
    list_display = ["name", "short_name", "home_country", "partners", "next_home_session", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "short_name", "description"]
    prepopulated_fields = {"slug": ["short_name"]}
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "slug", "home_country", "partner_countries", "description"]}),
        ("Reminders", {"fields": ["reminder_lead_days", "is_active"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_upcoming_home_sessions(timezone.localdate())

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description="partner countries")
    def partners(self, group: WorkingGroup) -> str:
        return ", ".join(country.name for country in group.partner_countries)

    @admin.display(description="next home-hosted session")
    def next_home_session(self, group: WorkingGroup) -> str:
        session = group.upcoming_home_session
        return session.summary if session else "—"


class ParticipantInline(GroupScopedAdminMixin, admin.TabularInline):
    group_path = "meeting__group"
    model = Participant
    extra = 1
    fields = ["order", "role", "name", "title", "organisation", "country"]


class AgendaTopicInline(GroupScopedAdminMixin, admin.TabularInline):
    group_path = "meeting__group"
    model = AgendaTopic
    extra = 1
    fields = ["order", "title", "notes"]


class CommitmentInline(GroupScopedAdminMixin, admin.TabularInline):
    group_path = "meeting__group"
    model = Commitment
    extra = 0
    fields = ["title", "category", "owner", "responsible_side", "follow_up_date", "status", "priority"]
    autocomplete_fields = ["owner"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("category", "owner")


@admin.register(Meeting)
class MeetingAdmin(GroupScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["__str__", "host_country", "city", "dates", "status", "commitment_count"]
    list_select_related = ["group"]
    list_filter = ["status", "group", "host_country"]
    search_fields = ["group__name", "group__short_name", "city", "venue", "record_reference"]
    date_hierarchy = "start_date"
    autocomplete_fields = ["group"]
    ordering = ["group__name", "-number"]
    inlines = [ParticipantInline, AgendaTopicInline, CommitmentInline]
    fieldsets = [
        (None, {"fields": ["group", "number", "status"]}),
        ("Place and dates", {"fields": ["host_country", "city", "venue", "start_date", "end_date"]}),
        ("Outcome", {"fields": ["outcome_summary", "record_reference"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(commitment_count=Count("commitments"))

    @admin.display(description="dates", ordering="start_date")
    def dates(self, meeting: Meeting) -> str:
        return meeting.dates_display

    @admin.display(description="commitments", ordering="commitment_count")
    def commitment_count(self, meeting: Meeting) -> int:
        return meeting.commitment_count


@admin.register(Membership)
class MembershipAdmin(GroupScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["user", "group", "role"]
    list_select_related = ["user", "group"]
    list_filter = ["role", "group"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email", "group__name"]
    autocomplete_fields = ["user", "group"]


@admin.register(Participant)
class ParticipantAdmin(GroupScopedAdminMixin, admin.ModelAdmin):
    group_path = "meeting__group"
    list_display = ["name", "role", "title", "organisation", "country", "meeting"]
    list_select_related = ["meeting__group"]
    list_filter = ["role", "country", "meeting__group"]
    search_fields = ["name", "title", "organisation"]
    autocomplete_fields = ["meeting"]


@admin.register(AgendaTopic)
class AgendaTopicAdmin(GroupScopedAdminMixin, admin.ModelAdmin):
    group_path = "meeting__group"
    list_display = ["title", "order", "meeting"]
    list_select_related = ["meeting__group"]
    list_filter = ["meeting__group"]
    search_fields = ["title", "notes"]
    autocomplete_fields = ["meeting"]


admin.site.unregister(get_user_model())


class HasEmailFilter(admin.SimpleListFilter):
    title = "e-mail address"
    parameter_name = "has_email"

    def lookups(self, request, model_admin):
        return [("no", "None: cannot be reminded"), ("yes", "Has one")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(email="")
        if self.value() == "yes":
            return queryset.exclude(email="")
        return queryset


@admin.register(get_user_model())
class StaffUserAdmin(UserAdmin):
    """Coordinators may look users up (to pick owners and members); only superusers edit accounts.

    Users without an e-mail address cannot be reminded: the list marks them.
    """

    list_display = ["username", "email_or_warning", "first_name", "last_name", "is_staff", "is_active"]
    list_filter = [HasEmailFilter, *UserAdmin.list_filter]

    @admin.display(description="e-mail address", ordering="email")
    def email_or_warning(self, user) -> str:
        return user.email or format_html('<strong style="color:#b00">{}</strong>', "⚠ none: cannot be reminded")

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or can_administer(request.user)
