"""Security events in the log (logins, logouts, failed logins), session clocks started at login, and API
tokens ending with the password or the account."""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.contrib.sessions.models import Session
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from knox.models import AuthToken

from config.middleware import SESSION_SEEN, SESSION_STARTED
from config.security import client_ip, security_log


@receiver(user_logged_in)
def log_login(sender, request, user, **kwargs):
    """`with=directory` for a directory account's password, `with=password` for a local one."""
    method = "directory" if getattr(user, "backend", "").endswith("DirectoryBackend") else "password"
    security_log.info("login user=%s ip=%s with=%s", user.get_username(), client_ip(request), method)


@receiver(user_logged_in)
def start_the_session_clocks(sender, request, user, **kwargs):
    """The idle and absolute lifetimes of a session count from the login, not from its first page."""
    request.session[SESSION_STARTED] = request.session[SESSION_SEEN] = time.time()


@receiver(user_logged_out)
def log_logout(sender, request, user, **kwargs):
    security_log.info("logout user=%s ip=%s", user.get_username() if user else "-", client_ip(request))


@receiver(user_login_failed)
def log_login_failure(sender, credentials, request=None, **kwargs):
    security_log.warning(
        "login failed user=%s ip=%s", credentials.get("username", "-"), client_ip(request) if request else "-"
    )


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def revoke_api_tokens(sender, instance, **kwargs):
    """A new password (changed, reset, or set by an administrator) ends the API tokens made under the old one,
    as it ends the other sessions; so does deactivating the account, for good (not until it is reactivated)."""
    new_password = getattr(instance, "_password", None) is not None  # set_password() was called before this save
    if new_password or not instance.is_active:
        AuthToken.objects.filter(user=instance).delete()


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def end_the_sessions_of_a_deactivated_account(sender, instance, **kwargs):
    """A deactivated account is out at once, and its sessions do not come back if it is reactivated."""
    if instance.is_active:
        return
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get(SESSION_KEY) == str(instance.pk):
            session.delete()
