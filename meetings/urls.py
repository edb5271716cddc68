from django.urls import path, re_path

from meetings import views

app_name = "meetings"

urlpatterns = [
    path("", views.MeetingListView.as_view(), name="list"),
    path("new/", views.MeetingCreateView.as_view(), name="create"),
    path("<int:pk>/", views.MeetingDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.MeetingUpdateView.as_view(), name="edit"),
    path("<int:pk>/brief/", views.BriefView.as_view(), name="brief"),
    re_path(
        r"^(?P<pk>[0-9]+)/brief\.(?P<extension>docx|csv)$", views.BriefDownloadView.as_view(), name="brief-download"
    ),
    path("<int:pk>/brief/freeze/", views.BriefFreezeView.as_view(), name="brief-freeze"),
    path("<int:pk>/calendar.ics", views.MeetingCalendarView.as_view(), name="calendar"),
]
