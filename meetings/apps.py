from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = "Working groups and meetings"

    def ready(self) -> None:
        from meetings import checks, directory  # noqa: F401 (registers the check; roles from directory groups)
