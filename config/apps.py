from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class ProjectConfig(AppConfig):
    """The project's own wiring: security-event logging, the two-factor step at login, directory login."""

    name = "config"
    verbose_name = "Commitments tracker"

    def ready(self) -> None:
        from config import directory, signals, two_factor  # noqa: F401 (connects the receivers)


class TrackerAdminConfig(AdminConfig):
    """Django's admin, on the project's admin site (config/admin.py)."""

    default_site = "config.admin.TrackerAdminSite"
