from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The project's own wiring: security-event logging, the two-factor step at login."""

    name = "config"
    verbose_name = "Commitments tracker"

    def ready(self) -> None:
        from config import signals, two_factor  # noqa: F401 (connects the receivers)
