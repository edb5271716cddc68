"""WSGI entry point for gunicorn: `gunicorn config.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

from config.startup import require_secret_key, set_aside_what_starting_loaded  # noqa: E402 (after the settings module is chosen)

require_secret_key()
set_aside_what_starting_loaded()
