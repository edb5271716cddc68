from django.urls import path, re_path

from commitments import views

app_name = "commitments"

urlpatterns = [
    path("", views.CommitmentListView.as_view(), name="list"),
    path("new/", views.CommitmentCreateView.as_view(), name="create"),
    re_path(r"^export\.(?P<extension>csv|xlsx)$", views.CommitmentExportView.as_view(), name="export"),
    path("<int:pk>/", views.CommitmentDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.CommitmentUpdateView.as_view(), name="edit"),
    path("<int:pk>/progress/", views.ProgressCreateView.as_view(), name="progress"),
    path("<int:pk>/attachments/", views.CommitmentAttachView.as_view(), name="attach"),
    path("handover/", views.HandoverView.as_view(), name="handover"),
    path("import/", views.ImportView.as_view(), name="import"),
    path("import/<int:pk>/", views.ImportPreviewView.as_view(), name="import-preview"),
    re_path(
        r"^import/sample-(?P<kind>meetings|commitments)\.(?P<extension>csv|xlsx)$",
        views.ImportSampleView.as_view(),
        name="import-sample",
    ),
]

# Under /meetings/, in the namespace `meetings:` beside meetings/urls.py (see config/urls.py).
meeting_urlpatterns = [
    path("", views.MeetingListView.as_view(), name="list"),
    re_path(r"^export\.(?P<extension>csv|xlsx)$", views.MeetingExportView.as_view(), name="export"),
    path("<int:pk>/", views.MeetingDetailView.as_view(), name="detail"),
    path("<int:pk>/attachments/", views.MeetingAttachView.as_view(), name="attach"),
    path("<int:pk>/brief/", views.BriefView.as_view(), name="brief"),
    re_path(
        r"^(?P<pk>[0-9]+)/brief\.(?P<extension>docx|pdf|csv)$", views.BriefDownloadView.as_view(), name="brief-download"
    ),
    path("<int:pk>/brief/freeze/", views.BriefFreezeView.as_view(), name="brief-freeze"),
]
