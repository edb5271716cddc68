import datetime

from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_field, unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from config.admin import ChoiceFilter
from config.display import in_words
from config.models import DirectoryAccount
from config.security import username_key
from meetings.forms import RowsOfThisObjectFormSet
from meetings.models import AgendaTopic, Meeting, Membership, Participant, WorkingGroup
from meetings.permissions import (
    can_administer,
    can_manage_group,
    coordinated_groups,
    may_change_membership,
    people_to_pick,
)


class GroupFilter(admin.RelatedOnlyFieldListFilter):
    """A list filter by working group that offers only the groups of the rows the user may see. A value given
    is always applied, even where the filter is not shown (a coordinator of one group): another group's id
    finds nothing, and one that is no id is a 400."""

    def has_output(self):
        return bool(self.used_parameters) or super().has_output()


GROUP_FILTER = GroupFilter


def group_id_of(obj, path: str) -> int | None:
    """The working group an object belongs to, along an admin's group path ("meeting__group")."""
    *hops, last = path.split("__")
    try:
        for hop in hops:
            obj = getattr(obj, hop)
    except ObjectDoesNotExist:  # a history record whose related row is gone
        return None
    return obj.pk if last == "pk" else getattr(obj, f"{last}_id")


class GroupScopedAdminMixin:
    """Coordinators manage their own working groups in the admin; superusers manage all.

    Rows outside the user's groups are not listed, and related-object choices (working group,
    meeting, commitment) offer only the user's groups. Inlines use this mixin as it is: Django asks
    their permissions about the parent object, which the parent's admin has already scoped.
    """

    group_path = "group"  # lookup from this model to its working group

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.group_path}__in": coordinated_groups(request.user)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A choice of working group, meeting, commitment…: scoped along the path its own admin declares.
        path = getattr(self.admin_site._registry.get(db_field.related_model), "group_path", None)
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


class GroupScopedInline(GroupScopedAdminMixin, admin.TabularInline):
    """The rows of a group-scoped object shown on its page (participants, agenda, memberships, …)."""

    formset = RowsOfThisObjectFormSet


class GroupScopedAdmin(GroupScopedAdminMixin, admin.ModelAdmin):
    """The admin of rows that belong to a working group.

    Every object-level question (`has_view_permission(request, obj)`, change, delete) also asks
    whether the object is in a group the user manages, so that a page reached without the
    scoped queryset (a library's view, "view on site") cannot open another group's object.
    """

    def manages(self, request, obj) -> bool:
        return obj is None or can_manage_group(request.user, group_id_of(obj, self.group_path))

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self.manages(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.manages(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.manages(request, obj)


class ChangesInWords(HistoricalRecordContextHelper):
    """The changes a history page lists, in words."""

    def prepare_delta_change_value(self, change, value):
        return in_words(self.model._meta.get_field(change.field), super().prepare_delta_change_value(change, value))


class AuditedGroupAdmin(GroupScopedAdmin, SimpleHistoryAdmin):
    """A group-scoped admin with the change history (django-simple-history), as a record to read.

    The history and version pages answer an object outside the user's groups as the change page
    does: as one that does not exist. A version is shown, never restored: restoring would skip
    the forms' checks (versions, group scope, grants); a change is undone by editing the object.
    Superusers also read the history of deleted objects.
    """

    version_template = "admin/history_version.html"

    def save_model(self, request, obj, form, change):
        if change and not form.has_changed():
            return  # nothing changed: no history record that lists no change
        super().save_model(request, obj, form, change)

    def get_historical_record_context_helper(self, request, historical_record):
        return ChangesInWords(self.model, historical_record)

    def history_record(self, object_id: str, history_id: str | None = None):
        """The object's newest history record, or the one asked for; None where the ids name none."""
        try:
            records = self.model.history.filter(**{self.opts.pk.attname: self.opts.pk.to_python(unquote(object_id))})
            if history_id is not None:
                records = records.filter(history_id=int(history_id))
        except (ValidationError, ValueError):
            return None
        return records.order_by("-history_date", "-history_id").first()

    def readable(self, request, object_id: str):
        """The object, if the user may read its history: None otherwise, as for one that does not exist."""
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            return obj if self.has_view_permission(request, obj) else None
        record = self.history_record(object_id) if request.user.is_superuser else None
        return record.instance if record else None

    def history_view(self, request, object_id, extra_context=None):
        if self.readable(request, object_id) is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        obj = self.readable(request, object_id)
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        record = self.history_record(object_id, version_id)
        if record is None:
            self.message_user(request, f"No version {version_id} of this {self.opts.verbose_name}.", messages.WARNING)
            return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_history", obj.pk)
        if request.method != "GET":
            raise PermissionDenied("A version is shown, not restored: edit the object instead.")
        context = {
            **self.admin_site.each_context(request),
            "title": f"{record.instance} as it was on {timezone.localtime(record.history_date):%d %B %Y, %H:%M}",
            "opts": self.opts,
            "object": obj,
            "record": record,
            "fields": self.version_fields(record),
        }
        return render(request, self.version_template, context)

    def version_fields(self, record) -> list[tuple[str, str]]:
        """(label, value) of each field the record holds, displayed as the admin displays values."""
        fields = [field for field in self.opts.concrete_fields if not field.primary_key]
        rows = [(field.verbose_name, recorded_value(record, field)) for field in fields]
        for field in getattr(record, "_history_m2m_fields", []):
            names = sorted(
                str(getattr(row, field.m2m_reverse_field_name())) for row in getattr(record, field.name).all()
            )
            rows.append((field.verbose_name, ", ".join(names) or "—"))
        return [(str(label).capitalize(), value) for label, value in rows]


def recorded_value(record, field) -> str:
    if field.is_relation:
        try:
            related = getattr(record, field.name)
        except ObjectDoesNotExist:
            return f"(deleted since: id {getattr(record, field.attname)})"
        return "—" if related is None else str(related)
    value = getattr(record, field.attname)
    if isinstance(value, datetime.date):  # dates and times as the admin shows them, in TIME_ZONE
        return display_for_field(value, field, "—")
    return str(in_words(field, value))


OWN_MEMBERSHIP = "You cannot remove yourself from the group or change your own role: ask another coordinator."


def refusal(membership: Membership) -> str:
    """Why a membership may not be changed here (meetings.permissions.may_change_membership)."""
    if membership.from_directory:
        return (
            f"{membership.user}’s membership is given by the directory (LDAP_WORKING_GROUP_ROLES): change or end it "
            "in the directory group, which the next login or check follows."
        )
    return OWN_MEMBERSHIP


class MembershipFormSet(RowsOfThisObjectFormSet):
    acting_user = None  # set by MembershipInline.get_formset

    def clean(self):
        super().clean()
        for form in self.initial_forms:
            touched = form in self.deleted_forms or form.has_changed()
            if touched and not may_change_membership(self.acting_user, form.instance):
                raise ValidationError(refusal(Membership.objects.select_related("user").get(pk=form.instance.pk)))


class MembershipInline(GroupScopedInline):
    model = Membership
    formset = MembershipFormSet
    extra = 1
    autocomplete_fields = ["user"]
    readonly_fields = ["from_directory"]  # set by directory login (LDAP_WORKING_GROUP_ROLES) only

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)  # a new class for each request
        formset.acting_user = request.user
        return formset


@admin.register(WorkingGroup)
class WorkingGroupAdmin(AuditedGroupAdmin):
    group_path = "pk"
    list_display = ["name", "short_name", "home_country", "partners", "next_home_session", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "short_name", "description"]
    prepopulated_fields = {"slug": ["short_name"]}
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "slug", "home_country", "partner_countries", "description"]}),
        ("Reminders", {"fields": ["reminder_lead_days", "brief_days_before", "is_active"]}),
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


class ParticipantInline(GroupScopedInline):
    group_path = "meeting__group"
    model = Participant
    extra = 1
    fields = ["order", "role", "name", "title", "organisation", "country"]


class AgendaTopicInline(GroupScopedInline):
    group_path = "meeting__group"
    model = AgendaTopic
    extra = 1
    fields = ["order", "title", "notes"]


@admin.register(Meeting)
class MeetingAdmin(AuditedGroupAdmin):
    change_list_template = "admin/change_list_with_import.html"  # links the import from a spreadsheet
    list_display = ["__str__", "host_country", "city", "dates", "status"]
    list_select_related = ["group"]
    list_filter = ["status", ("group", GROUP_FILTER), "host_country"]
    search_fields = ["group__name", "group__short_name", "city", "venue", "record_reference"]
    date_hierarchy = "start_date"
    autocomplete_fields = ["group"]
    ordering = ["group__name", "-number"]
    inlines = [ParticipantInline, AgendaTopicInline]  # the commitments app adds the commitments agreed
    fieldsets = [
        (None, {"fields": ["group", "number", "status"]}),
        ("Place and dates", {"fields": ["host_country", "city", "venue", "start_date", "end_date"]}),
        ("Outcome", {"fields": ["outcome_summary", "record_reference"]}),
    ]

    @admin.display(description="dates", ordering="start_date")
    def dates(self, meeting: Meeting) -> str:
        return meeting.dates_display

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.is_provisional:
            messages.warning(
                request,
                f"The {obj.title}'s dates are {obj.dates_display}: no reminders count down to them until its "
                "status is Scheduled.",
            )


@admin.register(Membership)
class MembershipAdmin(AuditedGroupAdmin):
    list_display = ["user", "group", "role"]
    list_select_related = ["user", "group"]
    list_filter = ["role", ("group", GROUP_FILTER)]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email", "group__name"]
    autocomplete_fields = ["user", "group"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not may_change_membership(request.user, obj):
            return ["user", "group", "role", "from_directory"]
        return [*super().get_readonly_fields(request, obj), "from_directory"]  # set by directory login only

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not may_change_membership(request.user, obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        kept = [membership for membership in queryset if not may_change_membership(request.user, membership)]
        for message in {refusal(membership) for membership in kept}:
            self.message_user(request, message, messages.WARNING)
        super().delete_queryset(request, queryset.exclude(pk__in=[membership.pk for membership in kept]))

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.from_directory:
            return False  # shown, not changed: the directory group decides
        return super().has_change_permission(request, obj)


@admin.register(Participant)
class ParticipantAdmin(GroupScopedAdmin):
    group_path = "meeting__group"
    list_display = ["name", "role", "title", "organisation", "country", "meeting"]
    list_select_related = ["meeting__group"]
    list_filter = ["role", "country", ("meeting__group", GROUP_FILTER)]
    search_fields = ["name", "title", "organisation"]
    autocomplete_fields = ["meeting"]


@admin.register(AgendaTopic)
class AgendaTopicAdmin(GroupScopedAdmin):
    group_path = "meeting__group"
    list_display = ["title", "order", "meeting"]
    list_select_related = ["meeting__group"]
    list_filter = [("meeting__group", GROUP_FILTER)]
    search_fields = ["title", "notes"]
    autocomplete_fields = ["meeting"]


admin.site.unregister(get_user_model())


class HasEmailFilter(ChoiceFilter):
    title = "e-mail address"
    parameter_name = "has_email"

    def lookups(self, request, model_admin):
        return [("no", "None: cannot be reminded"), ("yes", "Has one")]

    def apply(self, queryset, value: str):
        return queryset.filter(email="") if value == "no" else queryset.exclude(email="")


class DirectoryUserChangeForm(UserChangeForm):
    """A directory user's page: no password to set (the directory's). The username is the directory's too, and
    may be anything it allows; it is checked only when an administrator renames the account (a leaver's, so that
    a newcomer given the same username gets an account of their own)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("password", None)
        self.fields["username"].validators = []

    def clean_username(self):
        username = self.cleaned_data["username"]
        if "username" not in self.changed_data:
            return username
        get_user_model()._meta.get_field("username").run_validators(username)
        if username_key(username) == username_key(self.initial["username"]):
            raise ValidationError(
                "This differs from the old username only in case or accents, which logins set aside: the directory "
                "entry of that name would still find this account. Choose another, e.g. “%(name)s.left”.",
                params={"name": self.initial["username"]},
            )
        if get_user_model().objects.filter(username__iexact=username).exclude(pk=self.instance.pk).exists():
            raise ValidationError("Another account has this username.")
        return username

    def _get_validation_exclusions(self):
        exclusions = super()._get_validation_exclusions()
        return exclusions if "username" in self.changed_data else {*exclusions, "username"}


class LoginFilter(ChoiceFilter):
    title = "logs in with"
    parameter_name = "login"

    def lookups(self, request, model_admin):
        return [("directory", "The directory"), ("password", "A password of this app")]

    def apply(self, queryset, value: str):
        return queryset.filter(directory_account__isnull=value != "directory")


class DirectoryAccountInline(admin.StackedInline):
    """Shown on a directory user's page: where the account is in the directory, and when it was last read."""

    model = DirectoryAccount
    fields = readonly_fields = ["dn", "synced_at", "checked_at", "disabled_in_directory"]
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(get_user_model())
class StaffUserAdmin(UserAdmin):
    """Accounts are the superusers'. Coordinators only pick people in the forms they fill (the admin's
    autocomplete): active users, and for the fields a form declares as `member_fields` (a commitment's
    owner, say), only the members of the groups they coordinate.

    Users without an e-mail address cannot be reminded: the list marks them. A directory user's password is the
    directory's: their page shows the directory account, and has no password to set.
    """

    list_display = ["username", "email_or_warning", "first_name", "last_name", "is_staff", "is_active"]
    list_filter = [HasEmailFilter, LoginFilter, *UserAdmin.list_filter]
    inlines = [DirectoryAccountInline]
    # Set by logging in and by joining, not typed; shown as text (the split date and time inputs have no labels).
    readonly_fields = ["last_login", "date_joined"]

    DIRECTORY_FIELDS = ["first_name", "last_name", "email"]  # the directory's, at each login

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not hasattr(obj, "directory_account"):
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "password"]})
            for name, options in fieldsets
        ]

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None and hasattr(obj, "directory_account"):
            kwargs["form"] = DirectoryUserChangeForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return (
            [*readonly, *self.DIRECTORY_FIELDS] if obj is not None and hasattr(obj, "directory_account") else readonly
        )

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, unquote(id))
        if user is not None and self.has_change_permission(request, user) and hasattr(user, "directory_account"):
            messages.error(request, "This user logs in with their directory account: its password is set there.")
            return redirect("admin:auth_user_change", id)
        return super().user_change_password(request, id, form_url)

    @admin.display(description="e-mail address", ordering="email")
    def email_or_warning(self, user) -> str:
        return user.email or format_html('<strong style="color:#b00">{}</strong>', "⚠ none: cannot be reminded")

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        picking = request.resolver_match is not None and request.resolver_match.url_name == "autocomplete"
        return request.user.is_superuser or (picking and can_administer(request.user))

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if request.user.is_superuser:
            return queryset, may_have_duplicates
        queryset = queryset.filter(is_active=True)
        form_admin = self.admin_site.get_model_admin_for(request.GET.get("app_label"), request.GET.get("model_name"))
        if request.GET.get("field_name") in getattr(form_admin, "member_fields", ()):
            queryset = queryset.filter(pk__in=people_to_pick(request.user))
        return queryset, may_have_duplicates
