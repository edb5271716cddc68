"""The Celery application: `celery -A config worker` and `celery -A config beat`."""

import os
import sys

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()  # <app>.tasks
app.autodiscover_tasks(["commitments.reminders"])  # the reminders package's tasks


@worker_init.connect
def _require_secret_key(**kwargs) -> None:
    """A worker without SECRET_KEY stops at once with the reason (Celery would only log an exception)."""
    from django.core.exceptions import ImproperlyConfigured

    from config.startup import require_secret_key

    try:
        require_secret_key()
    except ImproperlyConfigured as error:
        print(f"Cannot start the worker: {error}", file=sys.stderr)
        raise SystemExit(1) from None
