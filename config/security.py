"""The security log (who logged in or out, failed, was refused, or took data away), and who the client is."""

import logging
import unicodedata

from django.conf import settings

security_log = logging.getLogger("security")


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the address our own proxy appended to X-Forwarded-For.

    Only a request that came through a trusted proxy may name its client; anything a client
    put in the header itself is to the left of what the proxy appended, and is ignored.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and remote in settings.TRUSTED_PROXIES:
        return forwarded.split(",")[-1].strip()
    return remote


def username_key(username: str) -> str:
    """A username as loosely as a directory matches it: case, accents and compatibility forms set aside."""
    decomposed = unicodedata.normalize("NFKD", username.strip())
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def lockout_username(request, credentials: dict | None) -> str:
    """The username the lockout counts failures against (AXES_USERNAME_CALLABLE): "ALICE" is "alice"."""
    return username_key((credentials or {}).get("username") or "")[:150]


def security_event(request, event: str, level: int = logging.INFO, **details) -> None:
    """One line: the event, the user, the client address, the method and path, then the details."""
    user = getattr(request, "user", None)
    username = user.get_username() if user is not None and user.is_authenticated else "-"
    extra = "".join(f" {key}={value}" for key, value in details.items())
    security_log.log(
        level,
        "%s user=%s ip=%s %s %s%s",
        event,
        username,
        client_ip(request),
        request.method,
        request.get_full_path()[:300],
        extra,
    )
