"""Directory login in a real browser against a real directory (slapd): a directory user logs in on the usual page,
reads where to change their password, and sees a clear message when the directory cannot be reached. The pages
they see pass the Nu checker and axe-core."""

from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser import checkers
from tests.conftest import ALICE_PASSWORD


def log_in(tab, base_url: str):
    tab.goto(f"{base_url}/accounts/login/")
    tab.get_by_label("Username").fill("alice")
    tab.get_by_label("Password").fill(ALICE_PASSWORD)
    with tab.expect_navigation() as navigation:
        tab.get_by_role("button", name="Log in").click()
    return navigation.value


def test_a_directory_user_logs_in_reads_where_to_change_the_password_and_is_told_when_the_directory_is_down(
    browser, browser_context_args, live_server, directory, directory_login, transactional_db, tmp_path, admin_client
):
    directory_login(LDAP_PASSWORD_HELP="Use the ministry's password page, or call the IT helpdesk on 1234.")
    context = browser.new_context(**browser_context_args)
    tab = context.new_page()
    log_in(tab, live_server.url)
    expect(tab).to_have_url(f"{live_server.url}/")
    tab.goto(f"{live_server.url}/accounts/password_change/")
    expect(tab.get_by_role("heading", level=1)).to_have_text("Your password is your directory account's")
    expect(tab.get_by_text("call the IT helpdesk on 1234")).to_be_visible()
    pages = {"the password page of a directory user": tab.content()}
    found = [f"password page: {violation}" for violation in checkers.axe_violations(tab)]
    context.close()
    alice = get_user_model().objects.get(username="alice")  # their page in the admin: the directory account shown
    admin_page = admin_client.get(reverse("admin:auth_user_change", args=[alice.pk])).content.decode()
    assert "uid=alice,ou=people" in admin_page
    pages["a directory user's admin page"] = admin_page  # the Nu checker's (axe: Django's own group picker)

    directory.stop()
    context = browser.new_context(**browser_context_args)
    tab = context.new_page()
    assert log_in(tab, live_server.url).status == 503
    expect(tab.get_by_text("The directory cannot be reached just now")).to_be_visible()
    expect(tab.get_by_label("Username")).to_have_value("alice")
    pages["the login page, directory down"] = tab.content()
    found += [f"login page, directory down: {violation}" for violation in checkers.axe_violations(tab)]
    context.close()

    files = {}
    for name, html in pages.items():
        path = tmp_path / f"{len(files)}.html"
        path.write_text(html, encoding="utf-8")
        files[path] = name
    found += checkers.nu_errors(files)
    assert not found, "\n".join(found)
