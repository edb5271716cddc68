from django.contrib import admin
from django.urls import include, path

from commitments.views import (
    CalendarFeedRevokeView,
    CalendarFeedView,
    DashboardView,
    NotificationSettingsView,
    UnsubscribeView,
)

urlpatterns = [
    path("", DashboardView.as_view(), name="dashboard"),
    path("meetings/", include("meetings.urls")),
    path("commitments/", include("commitments.urls")),
    path("accounts/notifications/", NotificationSettingsView.as_view(), name="notification-settings"),
    path(
        "accounts/notifications/unsubscribe/<str:token>/", UnsubscribeView.as_view(), name="notifications-unsubscribe"
    ),
    path("accounts/calendar/new-address/", CalendarFeedRevokeView.as_view(), name="calendar-revoke"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("calendar/<str:token>.ics", CalendarFeedView.as_view(), name="calendar-feed"),
    path("admin/", admin.site.urls),
]
