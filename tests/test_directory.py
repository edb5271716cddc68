"""Directory login against a real directory: OpenLDAP's slapd (tests/directory.py) on loopback ports, directory_logind
through the same environment variables an operator sets (LDAP_*), read by config.settings.directory_settings()."""

import io
import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

import config.settings
from commitments.models import CalendarFeed
from config import tasks
from config.models import DirectoryAccount
from meetings.models import Membership
from meetings.permissions import is_coordinator
from tests.conftest import ALICE_PASSWORD, LOCAL_BACKENDS, PASSWORD, directory_environment
from tests.directory import ADMIN_GROUP, GROUPS, PEOPLE, SERVICE_DN, STAFF_GROUP, Directory
from tests.factories import UserFactory
from tests.smtp import free_port

User = get_user_model()


def log_in(client, username="alice", password=ALICE_PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def user_page(user, **fields) -> dict:
    """A directory user's admin page as posted: the dates it shows, its directory account's row, and `fields`
    (Active unticked unless given)."""
    joined = timezone.localtime(user.date_joined)
    data = {"date_joined_0": joined.date().isoformat(), "date_joined_1": joined.time().isoformat()}
    if user.last_login:
        last = timezone.localtime(user.last_login)
        data |= {"last_login_0": last.date().isoformat(), "last_login_1": last.time().isoformat()}
    counts = {"TOTAL_FORMS": 1, "INITIAL_FORMS": 1, "MIN_NUM_FORMS": 0, "MAX_NUM_FORMS": 1}
    data |= {f"directory_account-{key}": value for key, value in counts.items()}
    data |= {"directory_account-0-id": user.directory_account.pk, "directory_account-0-user": user.pk}
    return data | fields


def test_the_first_login_makes_the_account_with_the_directorys_name_and_e_mail(
    client, directory_login, directory, caplog
):
    response = log_in(client)
    assert response.status_code == 302, response.content.decode()
    alice = User.objects.get(username="alice")
    assert (alice.first_name, alice.last_name, alice.email) == ("Alice", "Rao", "alice.rao@example.org")
    assert not alice.has_usable_password()  # no local password to guess or reset
    assert alice.directory_account.dn == directory.alice
    assert client.get(reverse("dashboard")).status_code == 200
    assert "directory account created user=alice" in caplog.text
    assert "login user=alice ip=127.0.0.1 with=directory" in caplog.text


def test_a_changed_name_and_e_mail_follow_the_directory_at_the_next_login(client, directory_login, directory):
    assert log_in(client).status_code == 302
    client.post(reverse("logout"))
    directory.set(directory.alice, "mail", "a.rao@mea.example.org")
    directory.set(directory.alice, "sn", "Rao-Khan")
    assert log_in(client).status_code == 302
    alice = User.objects.get(username="alice")
    assert (alice.last_name, alice.email) == ("Rao-Khan", "a.rao@mea.example.org")
    assert User.objects.filter(username__iexact="alice").count() == 1


def test_directory_values_longer_than_the_account_holds_are_cut_to_fit(client, directory_login, directory):
    directory.set(directory.alice, "sn", "Rao" + "-Khan" * 60)
    directory.set(directory.alice, "mail", "a" * 250 + "@example.org")
    assert log_in(client).status_code == 302
    alice = User.objects.get(username="alice")
    assert alice.last_name == ("Rao" + "-Khan" * 60)[:150]
    assert alice.email == ""  # an address cut short would reach someone else, or nobody


def test_the_username_is_not_case_sensitive(client, directory_login):
    assert log_in(client, "Alice").status_code == 302
    assert log_in(client, "ALICE").status_code == 302
    assert list(User.objects.values_list("username", flat=True)) == ["alice"]


def test_a_wrong_password_is_refused_and_counted_and_a_locked_out_user_is_not_tried_against_the_directory(
    client, directory_login, directory, settings, caplog
):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        refused = log_in(client, password="wrong")
        assert refused.status_code == 422
        assert "Please enter a correct username and password" in refused.content.decode()
    assert AccessAttempt.objects.get(username="alice").failures_since_start == settings.AXES_FAILURE_LIMIT - 1
    assert log_in(client, password="wrong").status_code == 429  # locked out
    directory.stop()  # were the directory asked, this would say that it cannot be reached
    locked = log_in(client)
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "login failed user=alice" in caplog.text


def test_directory_groups_make_staff_and_superusers_and_stop_doing_so(client, directory_login, directory):
    bob = directory.add_user("bob", "bob-directory-pw", "Bob", "Singh", "bob@example.org")
    directory.add_group(STAFF_GROUP, directory.alice, bob)
    directory.add_group(ADMIN_GROUP, bob)
    directory_login(
        LDAP_GROUP_SEARCH_BASE=GROUPS,
        LDAP_STAFF_GROUP=STAFF_GROUP,
        LDAP_SUPERUSER_GROUP=ADMIN_GROUP,
    )
    assert log_in(client).status_code == 302
    assert log_in(client, "bob", "bob-directory-pw").status_code == 302
    alice, bob_user = User.objects.get(username="alice"), User.objects.get(username="bob")
    assert (alice.is_staff, alice.is_superuser) == (True, False)
    assert (bob_user.is_staff, bob_user.is_superuser) == (True, True)
    directory.set(ADMIN_GROUP, "member", directory.alice)  # bob leaves the administrators
    assert log_in(client, "bob", "bob-directory-pw").status_code == 302
    bob_user.refresh_from_db()
    assert (bob_user.is_staff, bob_user.is_superuser) == (True, False)


def test_directory_groups_give_working_group_roles_and_leave_those_given_here(
    client, directory_login, directory, group, other_group, member
):
    leads, analysts = f"cn=jwg-ct-leads,{GROUPS}", f"cn=jwg-ct-analysts,{GROUPS}"
    bob = directory.add_user("bob", "bob-directory-pw", "Bob", "Singh", "bob@example.org")
    directory.add_user("member", "member-directory-pw", "Meera", "Member", "member@example.org")
    directory.add_group(leads, directory.alice)
    directory.add_group(analysts, directory.alice, bob, f"uid=member,{PEOPLE}")
    roles = {group.slug: {"coordinator": leads.upper(), "member": analysts}, "no-such-group": {"member": leads}}
    directory_login(LDAP_GROUP_SEARCH_BASE=GROUPS, LDAP_WORKING_GROUP_ROLES=json.dumps(roles))
    call_command("link_directory_accounts", "member")  # a member given in the app, now logging in by directory

    assert log_in(client).status_code == 302
    assert log_in(client, "bob", "bob-directory-pw").status_code == 302
    alice, bob_user = User.objects.get(username="alice"), User.objects.get(username="bob")
    assert is_coordinator(alice)
    assert Membership.objects.get(user=bob_user).role == Membership.Role.MEMBER
    assert not Membership.objects.filter(user__in=[alice, bob_user], group=other_group).exists()

    directory.set(leads, "member", bob)  # alice steps down, bob leads
    directory.set(analysts, "member", bob)
    tasks.check_directory_accounts()
    assert Membership.objects.get(user=bob_user, group=group).role == Membership.Role.COORDINATOR
    assert not Membership.objects.filter(user=alice).exists()
    assert Membership.objects.get(user=member, group=group).from_directory is False  # given here: left as it is


def test_a_required_group_keeps_others_out_at_login_and_at_the_check(client, directory_login, directory):
    bob = directory.add_user("bob", "bob-directory-pw", "Bob", "Singh", "bob@example.org")
    directory.add_group(STAFF_GROUP, directory.alice, bob)
    directory_login(LDAP_GROUP_SEARCH_BASE=GROUPS, LDAP_REQUIRE_GROUP=STAFF_GROUP)
    assert log_in(client).status_code == 302
    assert log_in(client, "bob", "bob-directory-pw").status_code == 302
    directory.set(STAFF_GROUP, "member", directory.alice)  # bob is taken out of the group
    tasks.check_directory_accounts()
    assert User.objects.get(username="alice").is_active
    assert not User.objects.get(username="bob").is_active
    assert log_in(client, "bob", "bob-directory-pw").status_code == 422


def test_a_user_disabled_in_the_directory_is_shut_out_by_the_check_and_back_when_enabled(
    client, directory_login, directory, caplog
):
    assert log_in(client).status_code == 302
    alice = User.objects.get(username="alice")
    _, token = AuthToken.objects.create(user=alice)
    feed = CalendarFeed.objects.create(user=alice)
    api = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert client.get("/api/v1/me/", **api).status_code == 200
    assert client.get(feed.secret_path()).status_code == 200

    directory.disable(directory.alice)
    assert client.get("/api/v1/me/", **api).status_code == 200  # until the check: at most LDAP_CHECK_MINUTES
    tasks.check_directory_accounts()

    alice.refresh_from_db()
    assert not alice.is_active
    assert alice.directory_account.disabled_in_directory
    assert client.get("/api/v1/me/", **api).status_code == 401
    assert client.get(feed.secret_path()).status_code == 404
    assert client.get(reverse("dashboard")).status_code == 302  # the open session has ended
    assert log_in(client).status_code == 422  # the directory refuses the password now
    assert "directory account disabled user=alice" in caplog.text

    directory.enable(directory.alice)
    assert log_in(client).status_code == 302
    alice.refresh_from_db()
    assert alice.is_active and not alice.directory_account.disabled_in_directory
    assert client.get("/api/v1/me/", **api).status_code == 401  # the old token stays revoked


def test_a_user_removed_from_the_directory_is_deactivated_by_the_check(client, directory_login, directory):
    assert log_in(client).status_code == 302
    bob = directory.add_user("bob", "bob-directory-pw", "Bob", "Singh", "bob@example.org")
    assert log_in(client, "bob", "bob-directory-pw").status_code == 302
    directory.delete(bob)
    tasks.check_directory_accounts()
    assert set(User.objects.filter(is_active=True).values_list("username", flat=True)) == {"alice"}
    assert DirectoryAccount.objects.get(user__username="alice").checked_at is not None


def test_a_check_that_finds_nobody_suspects_its_configuration_and_deactivates_nobody(
    client, directory_login, directory, caplog
):
    directory.add_user("bob", "bob-directory-pw", "Bob", "Singh", "bob@example.org")
    assert log_in(client).status_code == 302
    assert log_in(client, "bob", "bob-directory-pw").status_code == 302
    directory_login(LDAP_USER_SEARCH_BASE=SERVICE_DN.split(",", 1)[1])  # the wrong branch of the tree
    tasks.check_directory_accounts()
    assert User.objects.filter(is_active=True).count() == 2
    assert "it finds none of the 2 directory accounts" in caplog.text


def test_a_user_deactivated_here_stays_out_whatever_the_directory_says(client, directory_login):
    assert log_in(client).status_code == 302
    User.objects.filter(username="alice").update(is_active=False)
    assert log_in(client).status_code == 422
    assert not User.objects.get(username="alice").is_active


def test_with_the_directory_down_the_login_page_says_so_local_accounts_log_in_and_the_check_changes_nothing(
    client, directory_login, directory, owner, caplog
):
    assert log_in(client).status_code == 302
    client.post(reverse("logout"))
    directory.stop()
    response = log_in(client)
    assert response.status_code == 503
    assert "The directory cannot be reached just now" in response.content.decode()
    assert not AccessAttempt.objects.filter(username="alice").exists()  # no password was checked
    assert "directory unreachable user=- ip=127.0.0.1 POST /accounts/login/ username=alice" in caplog.text
    assert "SERVER_DOWN" in caplog.text

    assert log_in(client, "owner", PASSWORD).status_code == 302  # a local account
    assert log_in(client, "owner", "wrong").status_code == 422  # and its wrong password is just that
    admin_login = client.post(reverse("admin:login"), {"username": "alice", "password": ALICE_PASSWORD})
    assert "The directory cannot be reached just now" in admin_login.content.decode()

    tasks.check_directory_accounts()
    assert User.objects.get(username="alice").is_active
    assert "Directory accounts not checked" in caplog.text


def test_a_local_account_is_never_taken_over_by_a_directory_entry_of_its_name(client, directory_login, directory, db):
    User.objects.create_user("alice", password=PASSWORD, is_superuser=True, email="break-glass@example.org")
    assert log_in(client).status_code == 422  # the directory's password does not open the local account
    directory.stop()
    assert log_in(client, password="wrong").status_code == 422  # the directory is not even asked
    assert log_in(client, password=PASSWORD).status_code == 302
    assert not DirectoryAccount.objects.exists()


def test_a_second_server_is_tried_when_the_first_does_not_answer(client, directory_login, directory):
    unanswered = f"ldap://127.0.0.1:{free_port()}"
    directory_login(LDAP_SERVER_URI=f"{unanswered} {directory.uri}")
    assert log_in(client).status_code == 302


def test_an_anonymous_bind_finds_users_where_the_directory_lets_anyone_read(
    client, settings, monkeypatch, tmp_path, db
):
    open_directory = Directory(tmp_path / "open", anonymous_read=True)
    open_directory.start()
    try:
        open_directory.populate()
        open_directory.add_user("alice", ALICE_PASSWORD, "Alice", "Rao", "alice.rao@example.org")
        environ = {**directory_environment(open_directory), "LDAP_BIND_DN": "", "LDAP_BIND_PASSWORD": ""}
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        for name, value in config.settings.directory_settings().items():
            setattr(settings, name, value)
        settings.AUTHENTICATION_BACKENDS = [*LOCAL_BACKENDS, "config.directory.DirectoryBackend"]
        assert log_in(client).status_code == 302
        assert User.objects.get(username="alice").email == "alice.rao@example.org"
    finally:
        open_directory.remove()


@pytest.mark.parametrize("how", ["StartTLS", "LDAPS"])
def test_the_connection_is_encrypted_with_the_operators_ca(client, directory_login, directory, how, caplog):
    uri = {"StartTLS": directory.uri, "LDAPS": directory.tls_uri}[how]
    start_tls = "true" if how == "StartTLS" else "false"
    directory_login(LDAP_SERVER_URI=uri, LDAP_START_TLS=start_tls, LDAP_CA_FILE=directory.ca_file)
    assert log_in(client).status_code == 302

    directory_login(LDAP_SERVER_URI=uri, LDAP_START_TLS=start_tls, LDAP_CA_FILE=directory.other_ca_file)
    untrusted = log_in(client)
    assert untrusted.status_code == 503  # a certificate the CA did not sign: no password is sent
    assert "directory unreachable" in caplog.text


def test_the_password_pages_send_a_directory_user_to_the_directory(client, directory_login, settings, admin_client):
    directory_login(LDAP_PASSWORD_HELP="Use https://password.mea.example/ or call the helpdesk on 1234.")
    assert log_in(client).status_code == 302
    page = client.get(reverse("password_change"))
    assert page.status_code == 200
    assert "https://password.mea.example/" in page.content.decode()
    changed = client.post(
        reverse("password_change"),
        {"old_password": "x", "new_password1": "a-long-new-password", "new_password2": "a-long-new-password"},
    )
    assert changed.status_code == 403
    alice = User.objects.get(username="alice")
    assert not alice.has_usable_password()

    reset_page = client.get(reverse("password_reset"))
    assert "If you log in with your directory account" in reset_page.content.decode()
    client.post(reverse("password_reset"), {"email": "alice.rao@example.org"})
    assert mail.outbox == []  # a directory account has no local password to reset

    listed = admin_client.get(reverse("admin:auth_user_changelist"), {"login": "directory"})
    assert [user.username for user in listed.context["cl"].result_list] == ["alice"]
    listed = admin_client.get(reverse("admin:auth_user_changelist"), {"login": "password"})
    assert "alice" not in [user.username for user in listed.context["cl"].result_list]
    admin_page = admin_client.get(reverse("admin:auth_user_password_change", args=[alice.pk]), follow=True)
    assert "logs in with their directory account" in admin_page.content.decode()
    assert (
        "uid=alice,ou=people" in admin_client.get(reverse("admin:auth_user_change", args=[alice.pk])).content.decode()
    )
    alice.refresh_from_db()
    assert not alice.has_usable_password()


def test_two_factor_login_applies_to_directory_users(client, directory_login):
    assert log_in(client).status_code == 302
    alice = User.objects.get(username="alice")
    TOTPDevice.objects.create(user=alice, name="Authenticator app", confirmed=True)
    client.post(reverse("logout"))
    assert log_in(client).status_code == 302
    page = client.get(reverse("dashboard"))
    assert page.status_code == 302 and page.url.startswith(reverse("two-factor-verify"))
    setup = client.get(reverse("two-factor"))
    assert 'name="password"' not in setup.content.decode()  # turning it off takes a code: no local password


def test_local_accounts_are_handed_over_to_the_directory_by_command(client, directory_login, directory, owner):
    directory.add_user("owner", "owner-directory-pw", "Olga", "Owner", "olga@example.org")
    call_command("link_directory_accounts", "owner")
    owner.refresh_from_db()
    assert owner.directory_account.dn.startswith("uid=owner,")
    assert owner.email == "olga@example.org"
    assert log_in(client, "owner", PASSWORD).status_code == 422  # the local password no longer works
    assert log_in(client, "owner", "owner-directory-pw").status_code == 302
    with pytest.raises(CommandError, match="Not linked: nobody"):
        call_command("link_directory_accounts", "nobody")


def test_the_settings_say_what_is_missing(monkeypatch):
    monkeypatch.setenv("LDAP_SERVER_URI", "ldap://127.0.0.1:1")
    monkeypatch.delenv("LDAP_USER_SEARCH_BASE", raising=False)
    with pytest.raises(ImproperlyConfigured, match="LDAP_USER_SEARCH_BASE"):
        config.settings.directory_settings()
    monkeypatch.setenv("LDAP_USER_SEARCH_BASE", PEOPLE)
    monkeypatch.setenv("LDAP_USER_FILTER", "(uid=alice)")
    with pytest.raises(ImproperlyConfigured, match="%\\(user\\)s"):
        config.settings.directory_settings()
    monkeypatch.setenv("LDAP_USER_FILTER", "(uid=%(user)s)")
    monkeypatch.setenv("LDAP_STAFF_GROUP", STAFF_GROUP)
    with pytest.raises(ImproperlyConfigured, match="LDAP_GROUP_SEARCH_BASE"):
        config.settings.directory_settings()
    monkeypatch.setenv("LDAP_GROUP_SEARCH_BASE", "ou=groups,dc=example,dc=org")
    monkeypatch.setenv("LDAP_GROUP_TYPE", "openldap")
    with pytest.raises(ImproperlyConfigured, match="LDAP_GROUP_TYPE must be one of"):
        config.settings.directory_settings()
    monkeypatch.setenv("LDAP_CA_FILE", "/nowhere/ca.pem")
    monkeypatch.setenv("LDAP_GROUP_TYPE", "activeDirectory")
    with pytest.raises(ImproperlyConfigured, match="LDAP_CA_FILE"):
        config.settings.directory_settings()
    monkeypatch.delenv("LDAP_CA_FILE")
    for roles in ["{not json", '{"jwg": {"chair": "cn=x"}}', '{"jwg": "cn=x"}', '["cn=x"]']:
        monkeypatch.setenv("LDAP_WORKING_GROUP_ROLES", roles)
        with pytest.raises(ImproperlyConfigured, match="LDAP_WORKING_GROUP_ROLES"):
            config.settings.directory_settings()
    monkeypatch.delenv("LDAP_SERVER_URI")
    assert config.settings.directory_settings()["DIRECTORY_LOGIN"] is False


# --- What an outside tester found ----------------------------------------------------------------------------


def test_the_lockout_counts_a_username_whatever_its_case_or_accents(client, directory_login, settings):
    variants = ["alice", "ALICE", "Alice", "ALİCE", "aLice"]  # İ: a capital I with a dot, which slapd matches as i
    for username in variants[: settings.AXES_FAILURE_LIMIT - 1]:
        assert log_in(client, username, "wrong").status_code == 422
    assert log_in(client, variants[-1], "wrong").status_code == 429
    assert log_in(client, "ALICE").status_code == 429  # the right password, another case: still locked out


def test_a_username_typed_otherwise_logs_in_to_the_one_account_of_the_directory_entry(client, directory_login):
    assert log_in(client).status_code == 302
    assert log_in(client, "ALİCE").status_code == 302
    assert list(User.objects.values_list("username", flat=True)) == ["alice"]


def test_a_directory_entry_never_takes_over_a_local_account_whatever_the_case_typed(
    client, directory_login, directory, caplog
):
    User.objects.create_user("admin", password=PASSWORD, is_superuser=True, is_staff=True)
    directory.add_user("admin", "evil-directory-pw", "Evil", "Admin", "evil@example.org")
    for typed in ["ADMİN", "ADMIN", "admin"]:
        assert log_in(client, typed, "evil-directory-pw").status_code == 422
    assert list(User.objects.values_list("username", flat=True)) == ["admin"]
    assert not DirectoryAccount.objects.exists()
    assert "directory login refused user=admin: a local account has this username" in caplog.text


def test_a_moved_entry_keeps_its_account_and_a_new_person_given_an_old_username_does_not_get_it(
    client, directory_login, directory, caplog
):
    assert log_in(client).status_code == 302
    alice = User.objects.get(username="alice")
    moved = directory.move(directory.alice, f"ou=services,{PEOPLE.split(',', 1)[1]}")
    directory_login(LDAP_USER_SEARCH_BASE=PEOPLE.split(",", 1)[1])  # the whole tree
    assert log_in(client).status_code == 302
    alice.refresh_from_db()
    assert alice.directory_account.dn == moved

    directory.delete(moved)  # alice leaves; months later a new colleague is given her username
    tasks.check_directory_accounts()
    directory.add_user("alice", "new-alice-pw", "Alicia", "Bose", "alicia.bose@example.org")
    refused = log_in(client, password="new-alice-pw")
    assert refused.status_code == 422
    assert "belongs to someone the directory had before you" in refused.content.decode()
    alice.refresh_from_db()
    assert not alice.is_active and alice.email == "alice.rao@example.org"
    assert "directory login refused user=alice: the account here is another directory entry's" in caplog.text


def test_a_directory_users_page_in_the_admin_saves_whatever_the_directory_put_in_it(
    client, directory_login, directory, admin_client
):
    directory.add_user("jose mar", "jose-directory-pw", "José" * 60, "Mar", "not an address")
    assert log_in(client, "jose mar", "jose-directory-pw").status_code == 302
    jose = User.objects.get(username="jose mar")
    page = admin_client.get(reverse("admin:auth_user_change", args=[jose.pk]))
    form = page.context["adminform"].form
    assert "password" not in form.fields  # nothing to set: the password is the directory's
    assert not {"first_name", "last_name", "email"} & set(form.fields)  # the directory's, shown only
    data = user_page(jose, username="jose mar")  # a username with a space, which the directory allows; not active
    saved = admin_client.post(reverse("admin:auth_user_change", args=[jose.pk]), data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved
    jose.refresh_from_db()
    assert not jose.is_active


def test_the_admins_own_password_page_sends_a_directory_user_to_the_directory(client, directory_login, directory):
    directory.add_group(STAFF_GROUP, directory.alice)
    directory_login(LDAP_GROUP_SEARCH_BASE=GROUPS, LDAP_STAFF_GROUP=STAFF_GROUP)
    assert log_in(client).status_code == 302
    page = client.get(reverse("admin:password_change"))
    assert "Your password is your directory account's" in page.content.decode()
    assert client.post(reverse("admin:password_change"), {"old_password": "x"}).status_code == 403


def test_linking_ends_the_accounts_api_tokens_and_refuses_an_entry_linked_already(
    client, directory_login, directory, owner
):
    AuthToken.objects.create(user=owner)
    directory.add_user("owner", "owner-directory-pw", "Olga", "Owner", "olga@example.org")
    call_command("link_directory_accounts", "owner")
    assert not AuthToken.objects.filter(user=owner).exists()  # made under the local password, which has gone

    second = User.objects.create_user("owner-again", password=PASSWORD)
    directory.set(f"uid=owner,{PEOPLE}", "uid", "owner", "owner-again")  # an entry with two usernames
    with pytest.raises(CommandError, match="Not linked: owner-again"):
        call_command("link_directory_accounts", "owner-again")
    second.refresh_from_db()
    assert second.has_usable_password()


def test_a_superuser_from_the_directory_is_staff_and_can_open_the_admin(client, directory_login, directory):
    directory.add_group(ADMIN_GROUP, directory.alice)
    directory_login(LDAP_GROUP_SEARCH_BASE=GROUPS, LDAP_SUPERUSER_GROUP=ADMIN_GROUP)
    assert log_in(client).status_code == 302
    alice = User.objects.get(username="alice")
    assert alice.is_superuser and alice.is_staff
    assert client.get(reverse("admin:index")).status_code == 200


def test_an_attribute_removed_from_the_directory_is_cleared_here(client, directory_login, directory):
    assert log_in(client).status_code == 302
    directory.set(directory.alice, "mail")
    directory.set(directory.alice, "givenName")
    tasks.check_directory_accounts()
    alice = User.objects.get(username="alice")
    assert (alice.first_name, alice.email) == ("", "")


def test_the_admin_login_page_answers_503_when_the_directory_is_down(client, directory_login, directory):
    directory.stop()
    response = client.post(reverse("admin:login"), {"username": "alice", "password": ALICE_PASSWORD})
    assert response.status_code == 503
    assert "The directory cannot be reached just now" in response.content.decode()


def test_a_username_longer_than_any_account_holds_is_refused_before_the_directory_is_asked(
    client, directory_login, directory, caplog
):
    directory.stop()
    response = log_in(client, "a" * 5000)
    assert response.status_code == 422
    assert "at most 150 characters" in response.content.decode()
    assert "a" * 200 not in caplog.text


def test_the_lockout_page_tells_directory_users_where_to_turn(client, directory_login, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        locked = log_in(client, password="wrong")
    assert locked.status_code == 429
    assert "directory account" in locked.content.decode()


# --- What a second outside test found -------------------------------------------------------------------------


def test_an_entry_renamed_in_the_directory_keeps_its_account_which_follows_the_new_name(
    client, directory_login, directory
):
    assert log_in(client).status_code == 302
    alice = User.objects.get(username="alice")
    _, token = AuthToken.objects.create(user=alice)
    renamed = directory.rename(directory.alice, "uid=alice.rao")
    tasks.check_directory_accounts()
    alice.refresh_from_db()
    assert alice.is_active and alice.username == "alice.rao"
    assert alice.directory_account.dn == renamed
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    assert log_in(client, "alice.rao").status_code == 302


def test_an_entry_moved_in_the_directory_keeps_its_account_at_the_check(client, directory_login, directory):
    directory_login(LDAP_USER_SEARCH_BASE=PEOPLE.split(",", 1)[1])  # the whole tree
    assert log_in(client).status_code == 302
    alice = User.objects.get(username="alice")
    _, token = AuthToken.objects.create(user=alice)
    moved = directory.move(directory.alice, f"ou=services,{PEOPLE.split(',', 1)[1]}")
    tasks.check_directory_accounts()
    alice.refresh_from_db()
    assert alice.is_active and alice.directory_account.dn == moved
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


def test_the_administrator_renames_a_leavers_account_so_that_a_newcomer_gets_the_username(
    client, directory_login, directory, admin_client
):
    assert log_in(client).status_code == 302
    leaver = User.objects.get(username="alice")
    directory.delete(directory.alice)
    tasks.check_directory_accounts()
    directory.add_user("alice", "new-alice-pw", "Alicia", "Bose", "alicia.bose@example.org")
    assert log_in(client, password="new-alice-pw").status_code == 422

    page = admin_client.get(reverse("admin:auth_user_change", args=[leaver.pk]))
    form = page.context["adminform"].form
    assert "username" in form.fields and not {"first_name", "last_name", "email"} & set(form.fields)
    data = user_page(leaver, username="alice.left")
    saved = admin_client.post(reverse("admin:auth_user_change", args=[leaver.pk]), data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved
    assert log_in(client, password="new-alice-pw").status_code == 302
    newcomer = User.objects.get(username="alice")
    assert newcomer.pk != leaver.pk and newcomer.email == "alicia.bose@example.org"


def test_a_server_that_accepts_but_never_answers_is_passed_over_for_the_next(client, directory_login, directory):
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen()
        directory_login(
            LDAP_SERVER_URI=f"ldap://127.0.0.1:{hung.getsockname()[1]} {directory.uri}", LDAP_TIMEOUT_SECONDS="1"
        )
        assert log_in(client).status_code == 302
        tasks.check_directory_accounts()
    assert DirectoryAccount.objects.get().checked_at is not None


def test_staff_status_that_came_with_the_superuser_group_goes_with_it(client, directory_login, directory):
    directory.add_group(ADMIN_GROUP, directory.alice)
    directory_login(LDAP_GROUP_SEARCH_BASE=GROUPS, LDAP_SUPERUSER_GROUP=ADMIN_GROUP)
    assert log_in(client).status_code == 302
    directory.set(ADMIN_GROUP, "member", f"uid=nobody,{PEOPLE}")
    tasks.check_directory_accounts()
    alice = User.objects.get(username="alice")
    assert (alice.is_superuser, alice.is_staff) == (False, False)


def test_simultaneous_first_logins_make_one_account_and_all_log_in(directory_login, transactional_db):
    def first_login(_):
        try:
            return log_in(Client()).status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(first_login, range(6)))
    assert answers == [302] * 6
    assert User.objects.filter(username="alice").count() == DirectoryAccount.objects.count() == 1


def test_the_directory_names_itself_in_the_history_of_the_memberships_it_gives(
    client, directory_login, directory, group
):
    leads = f"cn=jwg-ct-leads,{GROUPS}"
    directory.add_group(leads, directory.alice)
    roles = {group.slug: {"coordinator": leads}}
    directory_login(LDAP_GROUP_SEARCH_BASE=GROUPS, LDAP_WORKING_GROUP_ROLES=json.dumps(roles))
    assert log_in(client).status_code == 302
    directory.set(leads, "member", f"uid=nobody,{PEOPLE}")
    tasks.check_directory_accounts()
    reasons = Membership.history.filter(group=group).values_list("history_type", "history_change_reason")
    assert sorted(reasons) == [("+", "directory login"), ("-", "directory check")]


def test_a_mapping_that_no_longer_names_a_group_ends_the_memberships_the_directory_gave_there(
    client, directory_login, directory, group
):
    leads = f"cn=jwg-ct-leads,{GROUPS}"
    directory.add_group(leads, directory.alice)
    directory_login(LDAP_GROUP_SEARCH_BASE=GROUPS, LDAP_WORKING_GROUP_ROLES=json.dumps({group.slug: {"member": leads}}))
    assert log_in(client).status_code == 302
    assert Membership.objects.filter(user__username="alice", group=group).exists()
    directory_login(
        LDAP_GROUP_SEARCH_BASE=GROUPS, LDAP_WORKING_GROUP_ROLES=json.dumps({"elsewhere": {"member": leads}})
    )
    tasks.check_directory_accounts()
    assert not Membership.objects.filter(user__username="alice").exists()


def test_a_membership_the_directory_gave_is_changed_there_not_in_the_admin(
    client, directory_login, directory, group, coordinator
):
    leads = f"cn=jwg-ct-leads,{GROUPS}"
    directory.add_group(leads, directory.alice)
    directory_login(LDAP_GROUP_SEARCH_BASE=GROUPS, LDAP_WORKING_GROUP_ROLES=json.dumps({group.slug: {"member": leads}}))
    assert log_in(client).status_code == 302
    given = Membership.objects.get(user__username="alice")
    client.force_login(coordinator)
    response = post_the_memberships(client, group, given, "role", Membership.Role.COORDINATOR)
    given.refresh_from_db()
    assert given.role == Membership.Role.MEMBER
    assert "given by the directory" in response.content.decode()


def post_the_memberships(client, group, membership, field: str, value):
    """The working group's admin page posted with its membership rows as they came, but `field` of one."""
    url = reverse("admin:meetings_workinggroup_change", args=[group.pk])
    page = client.get(url)
    formset = next(f for f in page.context["inline_admin_formsets"] if f.formset.model is Membership).formset
    rows = {f"{formset.prefix}-{key}": value for key, value in formset.management_form.initial.items()}
    rows[f"{formset.prefix}-TOTAL_FORMS"] = len(formset.initial_forms)
    for index, form in enumerate(formset.initial_forms):
        rows |= {f"{formset.prefix}-{index}-{name}": form.initial.get(name, "") for name in ("user", "role")}
        rows |= {f"{formset.prefix}-{index}-id": form.instance.pk, f"{formset.prefix}-{index}-group": group.pk}
        if form.instance.pk == membership.pk:
            rows[f"{formset.prefix}-{index}-{field}"] = value
    return client.post(url, rows)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LDAP_CHECK_MINUTES", "0", "LDAP_CHECK_MINUTES must be from 1 to 1440"),
        ("LDAP_CHECK_MINUTES", "1.5", "LDAP_CHECK_MINUTES must be a whole number"),
        ("LDAP_TIMEOUT_SECONDS", "abc", "LDAP_TIMEOUT_SECONDS must be a whole number"),
        ("LDAP_SERVER_URI", "ldapx://dc1.example", "LDAP_SERVER_URI"),
        ("LDAP_SERVER_URI", "not a uri", "LDAP_SERVER_URI"),
        ("LDAP_CHECK_MINUTES", "99999999999999999999", "LDAP_CHECK_MINUTES must be from 1 to 1440"),
        ("LDAP_TIMEOUT_SECONDS", "100000", "LDAP_TIMEOUT_SECONDS must be from 1 to 300"),
        ("LDAP_USER_FILTER", "(uid=%(user)s", "LDAP_USER_FILTER"),
        ("LDAP_USER_FILTER", "(uid=%(user)s)(cn=x)", "LDAP_USER_FILTER"),
        ("LDAP_SERVER_URI", "ldap://127.0.0.1:99999", "LDAP_SERVER_URI"),
        ("LDAP_REQUIRE_GROUP", "garbage", "LDAP_REQUIRE_GROUP"),
        ("LDAP_USER_SEARCH_BASE", "not a dn", "LDAP_USER_SEARCH_BASE"),
        ("LDAP_SERVER_URI", "ldap://127.0.0.1:abc", "LDAP_SERVER_URI"),
        ("LDAP_SERVER_URI", "ldap://127.0.0.1:٣٨٩٤", "LDAP_SERVER_URI"),
        ("LDAP_SERVER_URI", "ldap://user@127.0.0.1:3894", "LDAP_SERVER_URI"),
        ("LDAP_USER_FILTER", "(&(uid=%(user)s)(objectClass=inetOrgPerson%))", "LDAP_USER_FILTER"),
        ("LDAP_USER_FILTER", "(uid=%(user)s%)", "LDAP_USER_FILTER"),
    ],
)
def test_a_directory_setting_that_cannot_work_stops_the_start(monkeypatch, name, value, message):
    monkeypatch.setenv("LDAP_SERVER_URI", "ldap://127.0.0.1:1")
    monkeypatch.setenv("LDAP_USER_SEARCH_BASE", PEOPLE)
    monkeypatch.setenv("LDAP_GROUP_SEARCH_BASE", GROUPS)
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        config.settings.directory_settings()


def test_a_ca_file_that_holds_no_certificate_stops_the_start(monkeypatch, tmp_path):
    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n")
    monkeypatch.setenv("LDAP_SERVER_URI", "ldaps://127.0.0.1:1")
    monkeypatch.setenv("LDAP_USER_SEARCH_BASE", PEOPLE)
    monkeypatch.setenv("LDAP_CA_FILE", str(key))
    with pytest.raises(ImproperlyConfigured, match="LDAP_CA_FILE"):
        config.settings.directory_settings()


def test_the_system_check_names_a_working_group_the_roles_mapping_does_not_find(settings, group):
    settings.DIRECTORY_WORKING_GROUP_ROLES = {group.slug: {"member": "cn=a"}, "no-such-group": {"member": "cn=b"}}
    messages = [message.msg for message in run_checks(tags=["directory"])]
    assert messages == ["LDAP_WORKING_GROUP_ROLES names no-such-group, which is no working group's slug."]


# --- What a third outside test found --------------------------------------------------------------------------


@pytest.fixture
def given_by_the_directory(client, directory_login, directory, group):
    leads = f"cn=jwg-ct-leads,{GROUPS}"
    directory.add_group(leads, directory.alice)
    directory_login(LDAP_GROUP_SEARCH_BASE=GROUPS, LDAP_WORKING_GROUP_ROLES=json.dumps({group.slug: {"member": leads}}))
    assert log_in(client).status_code == 302
    return Membership.objects.get(user__username="alice")


def test_the_memberships_admin_keeps_its_hands_off_what_the_directory_gave(given_by_the_directory, admin_client, owner):
    change = reverse("admin:meetings_membership_change", args=[given_by_the_directory.pk])
    form = admin_client.get(change).context["adminform"].form
    assert not {"user", "group", "role", "from_directory"} & set(form.fields)
    admin_client.post(change, {"role": Membership.Role.COORDINATOR})
    delete = reverse("admin:meetings_membership_delete", args=[given_by_the_directory.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [given_by_the_directory.pk], "post": "yes"}
    admin_client.post(reverse("admin:meetings_membership_changelist"), bulk)
    given_by_the_directory.refresh_from_db()
    assert given_by_the_directory.role == Membership.Role.MEMBER
    added = admin_client.get(reverse("admin:meetings_membership_add")).context["adminform"].form
    assert "from_directory" not in added.fields
    own = Membership.objects.get(user=owner)
    assert (
        "from_directory"
        not in admin_client.get(reverse("admin:meetings_membership_change", args=[own.pk]))
        .context["adminform"]
        .form.fields
    )


def test_the_working_group_page_names_the_member_whose_row_the_directory_gave(
    given_by_the_directory, client, coordinator, group
):
    client.force_login(coordinator)
    newcomer = UserFactory()
    response = post_the_memberships(client, group, given_by_the_directory, "user", newcomer.pk)
    assert "alice’s membership is given by the directory" in response.content.decode()
    given_by_the_directory.refresh_from_db()
    assert given_by_the_directory.user.username == "alice"


def test_a_check_passes_over_a_hung_server_once_not_for_every_account(client, directory_login, directory):
    bob = directory.add_user("bob", "bob-directory-pw", "Bob", "Singh", "bob@example.org")
    assert log_in(client).status_code == 302
    assert log_in(client, "bob", "bob-directory-pw").status_code == 302
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen()
        directory_login(
            LDAP_SERVER_URI=f"ldap://127.0.0.1:{hung.getsockname()[1]} {directory.uri}", LDAP_TIMEOUT_SECONDS="1"
        )
        started = time.monotonic()
        tasks.check_directory_accounts()
        took = time.monotonic() - started
    assert DirectoryAccount.objects.filter(checked_at__isnull=False).count() == 2
    assert took < 2.5  # one timeout of 1 s for the run, not two for each of the two accounts
    assert bob


def test_a_rename_onto_another_accounts_name_is_logged_and_leaves_the_account_as_it_was(
    client, directory_login, directory, member, caplog
):
    assert log_in(client).status_code == 302
    directory.rename(directory.alice, "uid=member")
    tasks.check_directory_accounts()
    alice = DirectoryAccount.objects.get().user
    assert alice.username == "alice" and alice.is_active
    assert "directory account rename refused user=alice to=member: another account has that name" in caplog.text


def test_a_leavers_account_renamed_only_in_case_is_refused_in_the_admin(
    client, directory_login, directory, admin_client
):
    assert log_in(client).status_code == 302
    alice = User.objects.get(username="alice")
    data = user_page(alice, username="ALICE", is_active="on")
    response = admin_client.post(reverse("admin:auth_user_change", args=[alice.pk]), data)
    assert response.status_code == 200
    assert "only in case or accents" in response.content.decode()
    alice.refresh_from_db()
    assert alice.username == "alice"


def test_staff_given_by_hand_stays_when_the_superuser_group_goes(client, directory_login, directory):
    directory.add_group(ADMIN_GROUP, directory.alice)
    assert log_in(client).status_code == 302
    User.objects.filter(username="alice").update(is_staff=True)  # given by hand: a coordinator
    directory_login(LDAP_GROUP_SEARCH_BASE=GROUPS, LDAP_SUPERUSER_GROUP=ADMIN_GROUP)
    tasks.check_directory_accounts()
    assert User.objects.filter(username="alice", is_superuser=True, is_staff=True).exists()
    directory.set(ADMIN_GROUP, "member", f"uid=nobody,{PEOPLE}")
    tasks.check_directory_accounts()
    assert User.objects.filter(username="alice", is_superuser=False, is_staff=True).exists()


@pytest.mark.parametrize(
    "uri",
    [
        "ldap://dc1.mea.example/",
        "ldaps://dc1.mea.example/",
        "ldap://dc1.mea.example/dc=mea,dc=example",
        "ldap://[::1]",
        "ldap://[::1]:3894",
        "LDAP://dc1.mea.example",
        "ldap://dc1.mea.example:389 ldap://dc2.mea.example",
    ],
)
def test_the_usual_forms_of_a_server_address_are_accepted(monkeypatch, uri):
    monkeypatch.setenv("LDAP_SERVER_URI", uri)
    monkeypatch.setenv("LDAP_USER_SEARCH_BASE", PEOPLE)
    assert config.settings.directory_settings()["DIRECTORY_LOGIN"] is True


def test_a_ca_file_that_libldap_cannot_read_stops_the_start(monkeypatch, tmp_path, directory):
    corrupt = tmp_path / "ca.pem"
    corrupt.write_text(
        Path(directory.ca_file).read_text() + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    )
    monkeypatch.setenv("LDAP_SERVER_URI", directory.tls_uri)
    monkeypatch.setenv("LDAP_USER_SEARCH_BASE", PEOPLE)
    monkeypatch.setenv("LDAP_CA_FILE", str(corrupt))
    with pytest.raises(ImproperlyConfigured, match="LDAP_CA_FILE"):
        config.settings.directory_settings()


def test_spaces_around_the_ca_file_are_not_part_of_its_name(monkeypatch, directory):
    monkeypatch.setenv("LDAP_SERVER_URI", directory.tls_uri)
    monkeypatch.setenv("LDAP_USER_SEARCH_BASE", PEOPLE)
    monkeypatch.setenv("LDAP_CA_FILE", f" {directory.ca_file} ")
    assert config.settings.directory_settings()["DIRECTORY_LOGIN"] is True


def test_the_link_command_says_what_it_did_for_each_name_and_refuses_without_a_directory(
    directory_login, directory, owner, settings
):
    directory.add_user("owner", "owner-directory-pw", "Olga", "Owner", "olga@example.org")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="Not linked: nobody"):
        call_command("link_directory_accounts", "owner", "owner", "nobody", stdout=out, stderr=err)
    assert out.getvalue().splitlines() == [
        "owner: logs in with the directory from now on (uid=owner,ou=people,dc=example,dc=org)",
        "owner: already logs in with the directory (uid=owner,ou=people,dc=example,dc=org)",
    ]
    assert err.getvalue().strip() == "nobody: no such account here"
    settings.DIRECTORY_LOGIN = False
    with pytest.raises(CommandError, match="Directory login is off"):
        call_command("link_directory_accounts", "owner")
    tasks.check_directory_accounts()  # off: checks nothing, changes nothing
    assert User.objects.get(username="owner").is_active
