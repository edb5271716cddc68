from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from commitments import urls as commitment_urls
from commitments.api.views import AttachmentViewSet, CategoryViewSet, CommitmentViewSet, HandoverView, MeView
from commitments.views import (
    ApiTokenView,
    AttachmentDeleteView,
    AttachmentDownloadView,
    CalendarFeedRevokeView,
    CalendarFeedView,
    DashboardView,
    NotificationSettingsView,
    SearchView,
    UnsubscribeView,
)
from config import two_factor, views
from config.api import api_not_found
from meetings import urls as meeting_urls
from meetings.api.views import MeetingViewSet, WorkingGroupViewSet

handler400 = "config.views.bad_request"


class Router(DefaultRouter):
    """An id in an address is digits: /commitments/+2/ and /٢/ were commitment 2, as int() reads them. Any other
    address is the API's 404."""

    def get_lookup_regex(self, viewset, lookup_prefix: str = "") -> str:
        return f"(?P<{lookup_prefix}{viewset.lookup_url_kwarg or viewset.lookup_field}>[0-9]+)"


def api_urls() -> list:
    """The one router of /api/v1/ (kebab-case plural routes) and /api/v1/me/."""
    router = Router()
    router.include_format_suffixes = False
    router.register("working-groups", WorkingGroupViewSet, basename="working-group")
    router.register("meetings", MeetingViewSet, basename="meeting")
    router.register("categories", CategoryViewSet, basename="category")
    router.register("commitments", CommitmentViewSet, basename="commitment")
    router.register("attachments", AttachmentViewSet, basename="attachment")
    patterns = [
        path("me/", MeView.as_view(), name="me"),
        path("handovers/", HandoverView.as_view(), name="handovers"),
        *router.urls,
    ]
    for pattern in patterns:
        # The API authenticates by token or session itself and answers 401/403 rather than redirecting.
        pattern.callback.login_required = False
    return patterns


urlpatterns = [
    path("", DashboardView.as_view(), name="dashboard"),
    path("search/", SearchView.as_view(), name="search"),
    # The meetings app's own pages, and those the commitments app serves about a meeting (list, page, brief).
    path("meetings/", include(([*meeting_urls.urlpatterns, *commitment_urls.meeting_urlpatterns], "meetings"))),
    path("commitments/", include("commitments.urls")),
    # Every download of an attached file goes through here, which applies the rules of what it is attached to.
    path("attachments/<int:pk>/", AttachmentDownloadView.as_view(), name="attachment"),
    path("attachments/<int:pk>/delete/", AttachmentDeleteView.as_view(), name="attachment-delete"),
    path("accounts/notifications/", NotificationSettingsView.as_view(), name="notification-settings"),
    path(
        "accounts/notifications/unsubscribe/<str:token>/", UnsubscribeView.as_view(), name="notifications-unsubscribe"
    ),
    path("accounts/calendar/new-address/", CalendarFeedRevokeView.as_view(), name="calendar-revoke"),
    path("accounts/api-token/", ApiTokenView.as_view(), name="api-token"),
    # The form pages of django.contrib.auth, answering 422 to an invalid form; the rest as Django has them.
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/password_change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/two-factor/", two_factor.TwoFactorSetupView.as_view(), name="two-factor"),
    path("accounts/two-factor/code/", two_factor.TwoFactorVerifyView.as_view(), name="two-factor-verify"),
    path("accounts/two-factor/off/", two_factor.TwoFactorDisableView.as_view(), name="two-factor-disable"),
    # Feed tokens are URL-safe base64: anything else is not one (and never reaches the database).
    re_path(r"^calendar/(?P<token>[A-Za-z0-9_-]+)\.ics$", CalendarFeedView.as_view(), name="calendar-feed"),
    path("api/v1/", include((api_urls(), "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # People read the docs in a browser: send them to the login page rather than answer 401.
    # The split view serves its start-up script as a file: no inline script under the CSP.
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    # Any other address under /api/: a JSON 404, never Django's page, nor a redirect that would drop a body.
    re_path(r"^api/(?P<rest>(?s:.*))$", api_not_found, name="api-not-found"),  # a newline too
    path("admin/", admin.site.urls),
]
