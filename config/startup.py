"""What a process does where it starts serving: checks, so that a missing secret is a clear error at start-up, and
the garbage collector set for serving pages."""

import gc

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MESSAGE = (
    "SECRET_KEY is not set. Set it in the environment (or in .env) to a long random string, e.g. the "
    "output of: python -c 'import secrets; print(secrets.token_urlsafe(50))'. Only with DEBUG=true may it "
    "be left empty."
)


def require_secret_key() -> None:
    try:
        settings.SECRET_KEY  # noqa: B018 (Django refuses an empty key when it is read)
    except ImproperlyConfigured:
        raise ImproperlyConfigured(MESSAGE) from None


YOUNG_OBJECTS_COLLECTED_AFTER = 10_000  # Python's default, 700, ran a collection every few hundred rows of a page


def set_aside_what_starting_loaded() -> None:
    """Once the app is loaded (modules, apps, URLs), set what it made aside from the cyclic garbage collector, which
    otherwise walks all of it, some 150,000 objects, at each full collection: a pause of tens of milliseconds
    within some request. Young objects are collected less often: a page makes tens of thousands. Measured on the
    benchmark's pages, time spent collecting per request, on average: the brief 8.7 → 0.7 ms, a commitment's page
    3.1 → 0.2 ms; what it spares is the slow requests, not the typical one (docs/performance.md)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (loads the URLconf, which the first request would load)
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS_COLLECTED_AFTER, *gc.get_threshold()[1:])
