from django.contrib import admin
from django.urls import include, path

from commitments.views import DashboardView

urlpatterns = [
    path("", DashboardView.as_view(), name="dashboard"),
    path("meetings/", include("meetings.urls")),
    path("commitments/", include("commitments.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
