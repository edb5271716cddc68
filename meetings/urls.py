"""The meeting pages this app serves by itself. The meeting list and a meeting's page show commitments, and
the brief is built from them: the commitments app serves those (commitments/urls.py, `meeting_urlpatterns`),
extending this app's views; config/urls.py puts both under the one namespace `meetings:`."""

from django.urls import path

from meetings import views

urlpatterns = [
    path("new/", views.MeetingCreateView.as_view(), name="create"),
    path("<int:pk>/edit/", views.MeetingUpdateView.as_view(), name="edit"),
    path("<int:pk>/calendar.ics", views.MeetingCalendarView.as_view(), name="calendar"),
]
