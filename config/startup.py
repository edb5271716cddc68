"""Checks made where the app starts serving, so that a missing secret is a clear error at start-up."""

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
