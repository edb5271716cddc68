"""The security log: who logged in or out, failed, was refused, or took data away."""

import logging

security_log = logging.getLogger("security")


def security_event(request, event: str, level: int = logging.INFO, **details) -> None:
    """One line: the event, the user, the client address, the method and path, then the details."""
    from config.middleware import client_ip

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
