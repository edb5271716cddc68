from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    name = "commitments"
    verbose_name = "Commitments"

    def ready(self) -> None:
        from commitments import data_version, signals  # noqa: F401 (connects the receivers)
        from commitments.reminders import signals as reminder_signals  # noqa: F401

        data_version.connect()
