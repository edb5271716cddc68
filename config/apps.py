from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The project's own wiring: security-event logging."""

    name = "config"
    verbose_name = "Commitments tracker"

    def ready(self) -> None:
        from config import signals  # noqa: F401 (connects the receivers)
