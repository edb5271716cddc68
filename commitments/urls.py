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
]
