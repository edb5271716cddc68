"""The admin site: Django's, with the project's rules on every page it generates.

- "View on site" (`/admin/r/<content type>/<id>/`) opens only what the user's admin may open, through
  that model admin's own queryset and object permissions, and answers 404 alike for an object that
  is not the user's and one that does not exist. Django's version redirects any staff user to any
  object's `get_absolute_url()`.
- No field takes a NUL character (PostgreSQL cannot store one): a request that carries one in its
  query string or form is refused with 400 before any admin view runs, whoever registered it.
- The pages of a model the user may not manage at all are refused (403) before any object is looked
  up, so that their answers do not tell which ids exist.
- A list filter that cannot apply is a 400 with the reason, not a silent redirect, and an object answered
  as missing that exists (another group's) goes to the security log: every model admin registered here
  gets `TrackerAdminMixin`, whoever wrote it.
"""

import warnings

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.auth.decorators import login_not_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, BadRequest, FieldError, PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from config.access import log_if_hidden
from config.directory import AdminLoginForm, is_directory_user, password_in_directory


def refuse_nul_characters(request) -> None:
    if "\x00" in request.path_info:
        raise BadRequest("The address contains a NUL character, which no object's id has.")
    queries = [request.GET, request.POST] if request.method == "POST" else [request.GET]
    for query in queries:
        for name, values in query.lists():
            if any("\x00" in text for text in (name, *values)):
                raise BadRequest(
                    "The request contains a NUL character, which no field accepts: remove it and try again."
                )


class TrackerAdminSite(admin.AdminSite):
    site_header = "Commitments tracker administration"
    site_title = "Commitments tracker"
    index_title = "Data entry"
    login_form = AdminLoginForm  # says when the directory cannot be reached

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        form = getattr(response, "context_data", {}).get("form")
        if form is not None and form.has_error(NON_FIELD_ERRORS, "directory_unavailable"):
            response.status_code = 503  # as on the app's login page
        return response

    def password_change(self, request, extra_context=None):
        if is_directory_user(request.user):
            return password_in_directory(request)
        return super().password_change(request, extra_context)

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every model admin, the project's and the libraries' alike, gets TrackerAdminMixin."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, TrackerAdminMixin):
            attributes = {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__}
            admin_class = type(admin_class.__name__, (TrackerAdminMixin, admin_class), attributes)
        super().register(model_or_iterable, admin_class, **options)

    def admin_view(self, view, cacheable=False):
        model_admin = getattr(view, "__self__", None)  # the view of a model admin: a bound method

        def checked(request, *args, **kwargs):
            refuse_nul_characters(request)
            if isinstance(model_admin, admin.ModelAdmin) and not (
                model_admin.has_view_or_change_permission(request) or model_admin.has_add_permission(request)
            ):
                # Refused before any object is looked up: the answer says nothing of which ids exist.
                raise PermissionDenied
            return view(request, *args, **kwargs)

        checked.__dict__.update(view.__dict__)  # keeps csrf_exempt and the like
        return super().admin_view(checked, cacheable)

    def get_urls(self):
        urls = [url for url in super().get_urls() if getattr(url, "name", None) != "view_on_site"]
        view = self.admin_view(self.view_on_site)
        view.login_url = reverse_lazy("admin:login", current_app=self.name)  # for LoginRequiredMiddleware
        return [path("r/<path:content_type_id>/<path:object_id>/", view, name="view_on_site"), *urls]

    def get_model_admin_for(self, app_label: str | None, model_name: str | None):
        """The model admin of a model named by its app label and model name, if registered here."""
        try:
            return self.get_model_admin(apps.get_model(app_label, model_name))
        except (LookupError, ValueError, TypeError, admin.sites.NotRegistered):
            return None

    def autocomplete_view(self, request):
        """People and objects are looked up only for a field of a form the user may fill that its admin
        declares as looked up (autocomplete_fields)."""
        form_admin = self.get_model_admin_for(request.GET.get("app_label"), request.GET.get("model_name"))
        may_fill = form_admin is not None and (
            form_admin.has_add_permission(request) or form_admin.has_change_permission(request)
        )
        if not may_fill or request.GET.get("field_name") not in form_admin.get_autocomplete_fields(request):
            raise PermissionDenied
        return super().autocomplete_view(request)

    def view_on_site(self, request, content_type_id: str, object_id: str):
        """The object's page in the app, if the user's admin may show the object; 404 otherwise."""
        try:
            model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
        except (ValueError, ContentType.DoesNotExist):
            model = None
        model_admin = self._registry.get(model)
        may_view = model_admin is not None and model_admin.has_view_permission(request)  # before any lookup
        obj = model_admin.get_object(request, object_id) if may_view else None
        if may_view and (obj is None or not model_admin.has_view_permission(request, obj)):
            log_if_hidden(request, model, pk=object_id)  # another group's object, if it exists
            obj = None
        if obj is None or not hasattr(obj, "get_absolute_url"):
            raise Http404("Nothing to show on the site here.")
        return HttpResponseRedirect(obj.get_absolute_url())


class ChoiceFilter(admin.SimpleListFilter):
    """A list filter of the project: it applies one of the values it offers (`apply`), and refuses any other
    with a 400, where Django's own would show the whole list as if unfiltered."""

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if self.value() not in {str(value) for value, _ in self.lookup_choices}:
            raise IncorrectLookupParameters(f"{self.value()!r} is not one of this filter's values.")
        return self.apply(queryset, self.value())

    def apply(self, queryset, value: str):
        raise NotImplementedError


class TrackerAdminMixin:
    """What every model admin gets from the project's site, whoever wrote it."""

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # "Does not exist" is also the answer for another group's object: a probe of one goes to the security log.
        response = super()._get_obj_does_not_exist_redirect(request, opts, object_id)
        log_if_hidden(request, self.model, status=response.status_code, pk=unquote(object_id))
        return response

    def get_changelist_instance(self, request):
        # A list filter that cannot apply is a 400 with the reason. Django redirects to the unfiltered list
        # instead (?e=1), which hides the mistake, and lets a date drill-down beyond the calendar raise (500).
        try:
            with warnings.catch_warnings():
                # A date without a time for a date-and-time field: Django warns and guesses the time zone.
                warnings.simplefilter("error", RuntimeWarning)
                return super().get_changelist_instance(request)
        except RuntimeWarning:
            raise BadRequest("This list filter cannot be applied: a date and time needs its time zone.") from None
        except (IncorrectLookupParameters, ValueError, OverflowError) as error:
            if any(isinstance(cause, FieldError) for cause in error.args):  # a parameter no filter has
                raise BadRequest(
                    "This list filter cannot be applied: it names a filter this list does not have."
                ) from None
            raise BadRequest(f"This list filter cannot be applied: {error}") from None
