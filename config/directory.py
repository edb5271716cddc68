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
import re
import uuid
from dataclasses import dataclass, field

import ldap
import ldap.filter
from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.dispatch import Signal, receiver
from django.shortcuts import render
from django.utils import timezone
from django_auth_ldap.backend import LDAPBackend, ldap_error, populate_user
from django_auth_ldap.config import LDAPGroupQuery
from knox.models import AuthToken

from config.models import DirectoryAccount
from config.security import security_event, security_log, username_key

USERNAME_ATTRIBUTE = re.compile(r"\(\s*([A-Za-z][\w-]*)\s*=\s*%\(user\)s\s*\)")  # (uid=%(user)s): "uid"

ANOTHER_ENTRY = (
    "Your directory account has the username of an account here that belongs to someone the directory had "
    "before you. Ask the administrator to rename that account; then log in again."
)
UNAVAILABLE = (
    "The directory cannot be reached just now, so your password cannot be checked: try again in a few minutes. "
    "If this goes on, tell the IT helpdesk."
)


# Sent with `user`, `reason` ("directory login", "directory check") and `group_dns` (the lower-case DNs of the
# directory groups the user is in, nested ones included with LDAP_GROUP_TYPE=activeDirectory) after a login or a
# check read the user from the directory, when LDAP_WORKING_GROUP_ROLES is set: the meetings app gives
# working-group roles from them (meetings/directory.py).
directory_groups_read = Signal()


class DirectoryUnavailable(Exception):
    """The directory could not be reached or used: nothing was decided about anyone's password."""


class DirectoryLoginRefused(Exception):
    """The directory accepted the password, but its entry cannot have an account here: the name is a local
    account's, or the account of that name belongs to another entry (someone the directory had before)."""

    def __init__(self, username: str, reason: str, *, local: bool):
        super().__init__(reason)
        self.username, self.reason, self.local = username, reason, local


def describe(error: ldap.LDAPError) -> str:
    details = error.args[0] if error.args and isinstance(error.args[0], dict) else {}
    parts = [type(error).__name__, details.get("desc", ""), details.get("info", "")]
    reason = ": ".join(str(part) for part in parts if part)
    uses_tls = settings.AUTH_LDAP_START_TLS or "ldaps://" in settings.AUTH_LDAP_SERVER_URI
    if uses_tls and isinstance(error, ldap.SERVER_DOWN | ldap.CONNECT_ERROR):
        reason += (
            " (with TLS, this is also what a certificate not signed by the CA of LDAP_CA_FILE, or not issued to "
            "the host in LDAP_SERVER_URI, looks like)"
        )
    return reason


@receiver(ldap_error)
def directory_unavailable(sender, context, exception, **kwargs):
    """django-auth-ldap reports any LDAP error here and would then treat it as a wrong password; it is not one."""
    raise DirectoryUnavailable(describe(exception)) from exception


@receiver(populate_user)
def fit_the_account(sender, user, ldap_user, **kwargs):
    """What the directory says, as the account can hold it: names cut to the column's length, and no e-mail
    address rather than one that is not an address (cut short, it could reach someone else). An attribute the
    entry no longer has empties its field; a superuser is staff, or could not open the admin."""
    for name, attribute in ldap_user.settings.USER_ATTR_MAP.items():
        if not (ldap_user.attrs or {}).get(attribute):
            setattr(user, name, "")
    if (
        "is_superuser" in ldap_user.settings.USER_FLAGS_BY_GROUP
        and "is_staff" not in ldap_user.settings.USER_FLAGS_BY_GROUP
    ):
        staff_with_superuser(user)
    user.is_staff = user.is_staff or user.is_superuser
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


def staff_with_superuser(user) -> None:
    """With LDAP_SUPERUSER_GROUP and no LDAP_STAFF_GROUP, the staff status a superuser needs comes with the
    superuser group and goes with it, unless it was given by hand before."""
    account = DirectoryAccount.objects.filter(user_id=user.pk).first()
    if account is None:  # an account being linked: its staff status is its own
        return
    given = account.staff_with_superuser
    if user.is_superuser and not user.is_staff:
        given = True
    elif not user.is_superuser and given:
        user.is_staff, given = False, False
    if given != account.staff_with_superuser:
        account.staff_with_superuser = given
        account.save(update_fields=["staff_with_superuser"])


def is_local_account(username: str) -> bool:
    """An account of this app's own, with its own password: the directory is never asked about it."""
    users = get_user_model().objects.filter(username__iexact=username.strip())
    return users.filter(directory_account__isnull=True).exists()


def is_directory_user(user) -> bool:
    return user.is_authenticated and DirectoryAccount.objects.filter(user=user).exists()


def password_in_directory(request):
    """What a directory user gets for a password form (the app's or the admin's): where to change the password.
    Posting changes nothing (403)."""
    status = 200 if request.method in ("GET", "HEAD") else 403
    context = {"help": settings.DIRECTORY_PASSWORD_HELP}
    return render(request, "registration/password_in_directory.html", context, status=status)


class DirectoryBackend(LDAPBackend):
    """django-auth-ldap's backend, for the usernames that are not local accounts, and for active users only."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or is_local_account(username):
            return None
        login = super().authenticate
        return self.across_servers(lambda: login(request, username=username, password=password, **kwargs))

    def populate_user(self, username):
        return self.across_servers(lambda: super(DirectoryBackend, self).populate_user(username))

    answering = 0  # the first address of LDAP_SERVER_URI that answered this backend (a check uses one backend)

    def across_servers(self, attempt):
        """libldap moves on from an address of LDAP_SERVER_URI only when it refuses the connection; one that takes
        it and never answers (a hung server) ends in a timeout. The next addresses are tried then, and a backend
        starts from the one that answered it last, so a check waits for a hung server once, not at each account."""
        uris = self.settings.SERVER_URI.split()
        try:
            for first in range(self.answering, len(uris)):
                self.settings.SERVER_URI = " ".join(uris[first:])
                try:
                    result = attempt()
                except DirectoryUnavailable:
                    if first == len(uris) - 1:
                        raise
                else:
                    self.answering = first
                    return result
        finally:
            self.settings.SERVER_URI = " ".join(uris)

    def authenticate_ldap_user(self, ldap_user, password):
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is None:
            return None
        record_login(user, ldap_user.dn, entry_id_of(ldap_user.attrs))
        read_groups(user, ldap_user, "directory login")
        return user if user.is_active else None

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None

    linking = None  # the local account link() hands over to its directory entry

    def get_or_build_user(self, username, ldap_user):
        """The account of this directory entry, found by the entry's id (which outlives moves and renames), or by
        its DN for an entry without one; it takes the entry's new username if the directory renamed it. Else a new
        account, with its directory account, named as the directory names the entry. Refused: a name that is a
        local account's (whatever the case typed), or the account of another entry."""
        name = self.directory_username(ldap_user, username)
        account = account_of(ldap_user)
        if account is not None:
            if self.linking is not None and account.user != self.linking:
                refused = self.linking.get_username()
                raise DirectoryLoginRefused(
                    refused, f"its entry is {account.user.get_username()}'s already", local=True
                )
            follow_rename(account.user, name)
            return account.user, False
        user = get_user_model().objects.filter(username__iexact=name).select_related("directory_account").first()
        if user is None:
            return create_account(name, ldap_user), False
        if user == self.linking:
            return user, False
        if not hasattr(user, "directory_account"):
            raise DirectoryLoginRefused(name, "a local account has this username", local=True)
        if is_the_account_of(user.directory_account, ldap_user):
            return user, False  # made a moment ago, by a login of the same person at the same time
        raise DirectoryLoginRefused(name, "the account here is another directory entry's", local=False)

    def directory_username(self, ldap_user, typed: str) -> str:
        """The value of the attribute the filter matches the username with (uid, sAMAccountName), in lower case:
        the typed one if it is among them, whatever its case, else the first."""
        match = USERNAME_ATTRIBUTE.search(self.settings.USER_SEARCH.filterstr)
        values = (ldap_user.attrs or {}).get(match.group(1), []) if match else []
        values = [value for value in values if isinstance(value, str)]
        chosen = next((value for value in values if username_key(value) == username_key(typed)), None)
        return (chosen or (values[0] if values else typed)).strip().lower()

    def lets_in(self, user) -> bool:
        """Whether the user meets LDAP_REQUIRE_GROUP, if it is set (a login checks it itself)."""
        required = self.settings.REQUIRE_GROUP
        return required is None or LDAPGroupQuery(required).resolve(user.ldap_user)


def read_groups(user, ldap_user, reason: str) -> None:
    if settings.DIRECTORY_WORKING_GROUP_ROLES:
        group_dns = {dn.lower() for dn in ldap_user.group_dns}
        directory_groups_read.send(DirectoryBackend, user=user, group_dns=group_dns, reason=reason)


def is_the_account_of(account: DirectoryAccount, ldap_user) -> bool:
    """account_of(), for an account at hand."""
    entry_id = entry_id_of(ldap_user.attrs)
    if entry_id and account.entry_id:
        return account.entry_id == entry_id
    return account.dn.lower() == ldap_user.dn.lower()


def account_of(ldap_user) -> DirectoryAccount | None:
    entry_id = entry_id_of(ldap_user.attrs)
    accounts = DirectoryAccount.objects.select_related("user")
    if entry_id:
        return accounts.filter(Q(entry_id=entry_id) | Q(entry_id="", dn__iexact=ldap_user.dn)).first()
    return accounts.filter(dn__iexact=ldap_user.dn).first()


def create_account(name: str, ldap_user):
    """A new user with their directory account, in one transaction: a login at the same moment sees both or
    neither (and, making the same account, takes the one made first)."""
    if len(name) > get_user_model()._meta.get_field("username").max_length:
        raise DirectoryLoginRefused(name, "the directory's username is too long for an account", local=False)
    try:
        with transaction.atomic():
            user = get_user_model()(username=name)
            user.set_unusable_password()
            user.save()
            DirectoryAccount.objects.create(
                user=user, dn=ldap_user.dn, entry_id=entry_id_of(ldap_user.attrs), synced_at=timezone.now()
            )
    except IntegrityError:
        account = account_of(ldap_user)
        if account is None:
            raise DirectoryLoginRefused(name, "an account of this name was made meanwhile", local=False) from None
        return account.user
    security_log.info("directory account created user=%s dn=%s", name, ldap_user.dn)
    return user


def follow_rename(user, name: str) -> None:
    """The directory renamed the entry: the account takes the new name, unless another account has it."""
    if name == user.get_username():
        return
    if get_user_model().objects.filter(username__iexact=name).exclude(pk=user.pk).exists():
        security_log.warning(
            "directory account rename refused user=%s to=%s: another account has that name", user.get_username(), name
        )
        return
    security_log.info("directory account renamed user=%s to=%s", user.get_username(), name)
    user.username = name  # saved with the rest of what the directory says


def entry_id_of(attributes: dict | None) -> str:
    """The directory entry's own id: OpenLDAP's entryUUID, or Active Directory's objectGUID; "" if neither."""
    for name in settings.DIRECTORY_ENTRY_IDS:
        for value in (attributes or {}).get(name, []):
            return str(uuid.UUID(bytes_le=value)) if isinstance(value, bytes) else str(value).lower()
    return ""


@transaction.atomic
def record_login(user, dn: str, entry_id: str) -> None:
    """The directory let the user in: their account is a directory account, and active again if only the
    directory's check had deactivated it."""
    now = timezone.now()
    account, _ = DirectoryAccount.objects.get_or_create(
        user=user, defaults={"dn": dn, "entry_id": entry_id, "synced_at": now}
    )
    if account.disabled_in_directory and not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        security_log.info("directory account enabled again user=%s dn=%s", user.get_username(), dn)
    account.dn, account.entry_id, account.synced_at, account.disabled_in_directory = dn, entry_id, now, False
    account.save()


def link(user) -> DirectoryAccount | None:
    """Hands a local account over to the directory account of the same username, if the directory has one: from
    then on it logs in with the directory's password, and its local password no longer works."""
    backend = DirectoryBackend()
    backend.linking = user
    found = backend.populate_user(user.get_username())  # name and e-mail synced, as at a login
    if found is None:
        return None
    with transaction.atomic():
        found.set_unusable_password()
        found.save(update_fields=["password"])
        AuthToken.objects.filter(user=found).delete()  # made under the local password, which has gone
        now = timezone.now()
        account = DirectoryAccount.objects.create(
            user=found,
            dn=found.ldap_user.dn,
            entry_id=entry_id_of(found.ldap_user.attrs),
            synced_at=now,
            checked_at=now,
        )
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
        try:
            username = current_username(backend, account)  # renamed, moved: found by the entry's id
            user = backend.populate_user(username) if username else None  # None: removed, or disabled
        except DirectoryLoginRefused:
            user = None  # the name is another entry's now: this account's entry has gone
        if user is not None and backend.lets_in(user):
            found[account] = user.ldap_user.dn
            read_groups(user, user.ldap_user, "directory check")
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


def current_username(backend: DirectoryBackend, account: DirectoryAccount) -> str | None:
    """The name the directory gives the account's entry now, found by the entry's id under the search base (None
    if it has gone); the account's own name for an entry without an id."""
    if not account.entry_id:
        return account.user.get_username()
    match = USERNAME_ATTRIBUTE.search(backend.settings.USER_SEARCH.filterstr)
    if match is None:
        return account.user.get_username()
    attribute, entry_id = match.group(1), ldap.filter.escape_filter_chars(account.entry_id)
    guid = "".join(f"\\{byte:02x}" for byte in uuid.UUID(account.entry_id).bytes_le)
    by_id = f"(|(entryUUID={entry_id})(objectGUID={guid}))"
    base = backend.settings.USER_SEARCH.base_dn

    def search():
        try:
            return bound_connection(backend).search_s(base, ldap.SCOPE_SUBTREE, by_id, [attribute])
        except ldap.LDAPError as error:
            raise DirectoryUnavailable(describe(error)) from error

    found = backend.across_servers(search)
    values = [value.decode() for dn, attributes in found if dn for value in attributes.get(attribute, [])]
    keys = {username_key(value): value for value in values}
    return (keys.get(username_key(account.user.get_username())) or (values[0] if values else "")).lower() or None


def bound_connection(backend: DirectoryBackend):
    """A connection to the directory as the app's own account, as django-auth-ldap makes them."""
    config = backend.settings
    try:
        connection = backend.ldap.initialize(config.SERVER_URI, bytes_mode=False)
        for option, value in config.CONNECTION_OPTIONS.items():
            connection.set_option(option, value)
        if config.START_TLS:
            connection.start_tls_s()
        connection.simple_bind_s(config.BIND_DN, config.BIND_PASSWORD)
    except ldap.LDAPError as error:
        raise DirectoryUnavailable(describe(error)) from error
    return connection


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

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        longest = get_user_model()._meta.get_field("username").max_length
        if len(username) > longest:
            raise forms.ValidationError(f"A username has at most {longest} characters.", code="max_length")
        return username

    def clean(self):
        try:
            return super().clean()
        except DirectoryUnavailable as error:
            username = self.cleaned_data.get("username", "-")
            security_event(self.request, "directory unreachable", logging.ERROR, username=username, reason=error)
            raise forms.ValidationError(UNAVAILABLE, code="directory_unavailable") from None
        except DirectoryLoginRefused as refusal:
            security_log.warning("directory login refused user=%s: %s", refusal.username, refusal.reason)
            if refusal.local:
                raise self.get_invalid_login_error() from None
            raise forms.ValidationError(ANOTHER_ENTRY, code="another_entry") from None


class LoginForm(DirectoryLoginFormMixin, AuthenticationForm):
    pass


class AdminLoginForm(DirectoryLoginFormMixin, AdminAuthenticationForm):
    pass
