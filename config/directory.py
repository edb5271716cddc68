"""Directory login: staff log in with their directory account (LDAP, Active Directory) through django-auth-ldap,
beside the local accounts, when LDAP_SERVER_URI is set (config/settings.py, docs/operations.md).

- The username of a local account is never tried against the directory, so that a directory entry of the same
  name cannot take over the break-glass superuser; `manage.py link_directory_accounts` hands local accounts over.
- A directory user's account is made at their first login, without a usable local password. Its name, e-mail and
  (with LDAP_STAFF_GROUP, LDAP_SUPERUSER_GROUP) staff and superuser flags follow the directory at each login and
  each check; working-group memberships are the app's own.
- django-axes is asked first (AUTHENTICATION_BACKENDS): a locked-out username is not tried against the directory.
- A directory that cannot be reached, or that refuses the app's own bind, raises DirectoryUnavailable: the login
  page says so, the security log says why, and no failed login is counted, since no password was checked.
- With LDAP_WORKING_GROUP_ROLES, directory groups give working-group roles at each login and check
  (directory_groups_read, meetings/directory.py).
- check_accounts() (every LDAP_CHECK_MINUTES, config/tasks.py) deactivates the accounts the directory no longer
  finds (removed, or left out by LDAP_USER_FILTER: disabled) or no longer lets in (LDAP_REQUIRE_GROUP), which
  ends their sessions, API tokens (config/signals.py) and calendar feed. When the directory cannot be reached,
  it changes nothing.
"""

import logging
from dataclasses import dataclass, field

import ldap
from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.dispatch import Signal, receiver
from django.utils import timezone
from django_auth_ldap.backend import LDAPBackend, ldap_error, populate_user
from django_auth_ldap.config import LDAPGroupQuery

from config.models import DirectoryAccount
from config.security import security_event, security_log

UNAVAILABLE = (
    "The directory cannot be reached just now, so your password cannot be checked: try again in a few minutes. "
    "If this goes on, tell the IT helpdesk."
)


# Sent with `user` and `group_dns` (the lower-case DNs of the directory groups the user is in, nested ones included
# with LDAP_GROUP_TYPE=activeDirectory) after a login or a check read the user from the directory, when
# LDAP_WORKING_GROUP_ROLES is set: the meetings app gives working-group roles from them (meetings/directory.py).
directory_groups_read = Signal()


class DirectoryUnavailable(Exception):
    """The directory could not be reached or used: nothing was decided about anyone's password."""


def describe(error: ldap.LDAPError) -> str:
    details = error.args[0] if error.args and isinstance(error.args[0], dict) else {}
    parts = [type(error).__name__, details.get("desc", ""), details.get("info", "")]
    return ": ".join(str(part) for part in parts if part)


@receiver(ldap_error)
def directory_unavailable(sender, context, exception, **kwargs):
    """django-auth-ldap reports any LDAP error here and would then treat it as a wrong password; it is not one."""
    raise DirectoryUnavailable(describe(exception)) from exception


@receiver(populate_user)
def fit_the_account(sender, user, ldap_user, **kwargs):
    """What the directory says, as the account can hold it: names cut to the column's length, and no e-mail
    address rather than one that is not an address (cut short, it could reach someone else)."""
    for name in ("first_name", "last_name"):
        setattr(user, name, (getattr(user, name) or "")[: user._meta.get_field(name).max_length])
    try:
        validate_email(user.email)
        if len(user.email) > user._meta.get_field("email").max_length:
            raise ValidationError("too long")
    except ValidationError:
        if user.email:
            security_log.warning("directory e-mail address refused user=%s: not an address", user.get_username())
        user.email = ""


def is_local_account(username: str) -> bool:
    """An account of this app's own, with its own password: the directory is never asked about it."""
    users = get_user_model().objects.filter(username__iexact=username.strip())
    return users.filter(directory_account__isnull=True).exists()


def is_directory_user(user) -> bool:
    return user.is_authenticated and DirectoryAccount.objects.filter(user=user).exists()


class DirectoryBackend(LDAPBackend):
    """django-auth-ldap's backend, for the usernames that are not local accounts, and for active users only."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or is_local_account(username):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    def authenticate_ldap_user(self, ldap_user, password):
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is None:
            return None
        record_login(user, ldap_user.dn)
        read_groups(user, ldap_user)
        return user if user.is_active else None

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None

    def lets_in(self, user) -> bool:
        """Whether the user meets LDAP_REQUIRE_GROUP, if it is set (a login checks it itself)."""
        required = self.settings.REQUIRE_GROUP
        return required is None or LDAPGroupQuery(required).resolve(user.ldap_user)


def read_groups(user, ldap_user) -> None:
    if settings.DIRECTORY_WORKING_GROUP_ROLES:
        group_dns = {dn.lower() for dn in ldap_user.group_dns}
        directory_groups_read.send(DirectoryBackend, user=user, group_dns=group_dns)


@transaction.atomic
def record_login(user, dn: str) -> None:
    """The directory let the user in: their account is a directory account, and active again if only the
    directory's check had deactivated it."""
    now = timezone.now()
    account, created = DirectoryAccount.objects.get_or_create(user=user, defaults={"dn": dn, "synced_at": now})
    if created:
        security_log.info("directory account created user=%s dn=%s", user.get_username(), dn)
    if account.disabled_in_directory and not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        security_log.info("directory account enabled again user=%s dn=%s", user.get_username(), dn)
    account.dn, account.synced_at, account.disabled_in_directory = dn, now, False
    account.save()


def link(user) -> DirectoryAccount | None:
    """Hands a local account over to the directory account of the same username, if the directory has one: from
    then on it logs in with the directory's password, and its local password no longer works."""
    found = DirectoryBackend().populate_user(user.get_username())  # name and e-mail synced, as at a login
    if found is None:
        return None
    with transaction.atomic():
        found.set_unusable_password()
        found.save(update_fields=["password"])
        now = timezone.now()
        account = DirectoryAccount.objects.create(user=found, dn=found.ldap_user.dn, synced_at=now, checked_at=now)
    security_log.info("directory account linked user=%s dn=%s", found.get_username(), account.dn)
    return account


@dataclass
class CheckReport:
    checked: int = 0
    deactivated: list[str] = field(default_factory=list)


def check_accounts() -> CheckReport:
    """Each active directory account against the directory: synced if it is still there and let in, deactivated
    otherwise. Raises DirectoryUnavailable, having deactivated nobody, when the directory cannot be used, or when
    it finds none of several accounts: a wrong search base or filter looks just like everybody leaving."""
    backend = DirectoryBackend()
    accounts = DirectoryAccount.objects.filter(user__is_active=True).select_related("user").order_by("pk")
    found = {}
    for account in accounts:
        user = backend.populate_user(account.user.get_username())  # None: not found (removed, or disabled)
        if user is not None and backend.lets_in(user):
            found[account] = user.ldap_user.dn
            read_groups(user, user.ldap_user)
        else:
            found[account] = None
    if len(found) > 1 and not any(found.values()):
        raise DirectoryUnavailable(
            f"it finds none of the {len(found)} directory accounts: are LDAP_USER_SEARCH_BASE and LDAP_USER_FILTER "
            "right? Nobody was deactivated"
        )
    report = CheckReport(checked=len(found))
    now = timezone.now()
    for account, dn in found.items():
        if dn:  # where the directory has it now (it may have moved)
            account.dn, account.synced_at, account.checked_at = dn, now, now
            account.save(update_fields=["dn", "synced_at", "checked_at"])
        else:
            deactivate(account, now)
            report.deactivated.append(account.user.get_username())
    return report


@transaction.atomic
def deactivate(account: DirectoryAccount, now) -> None:
    """Deactivating the user ends their sessions and API tokens (config/signals.py) and their calendar feed."""
    user = account.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    account.disabled_in_directory, account.checked_at = True, now
    account.save(update_fields=["disabled_in_directory", "checked_at"])
    security_log.warning(
        "directory account disabled user=%s dn=%s: deactivated, sessions and API tokens ended",
        user.get_username(),
        account.dn,
    )


class DirectoryLoginFormMixin:
    """A login form that says the directory cannot be reached, rather than that the password is wrong."""

    def clean(self):
        try:
            return super().clean()
        except DirectoryUnavailable as error:
            username = self.cleaned_data.get("username", "-")
            security_event(self.request, "directory unreachable", logging.ERROR, username=username, reason=error)
            raise forms.ValidationError(UNAVAILABLE, code="directory_unavailable") from None


class LoginForm(DirectoryLoginFormMixin, AuthenticationForm):
    pass


class AdminLoginForm(DirectoryLoginFormMixin, AdminAuthenticationForm):
    pass
