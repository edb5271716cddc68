from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = "Working groups and meetings"

    def ready(self) -> None:
        from meetings import directory  # noqa: F401 (working-group roles from directory groups)
