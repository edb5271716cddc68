from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    name = "commitments"
    verbose_name = "Commitments"

    def ready(self) -> None:
        from commitments import signals  # noqa: F401 (connects the receivers)
        from commitments.reminders import signals as reminder_signals  # noqa: F401
