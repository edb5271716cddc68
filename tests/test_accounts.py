import re

from django.core import mail
from django.urls import reverse

from tests.conftest import PASSWORD


def test_every_page_asks_for_login_first(client, db):
    response = client.get("/commitments/?owner=mine")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/commitments/%3Fowner%3Dmine"


def test_logging_in_leads_to_the_page_asked_for(client, owner):
    response = client.post(reverse("login"), {"username": "owner", "password": PASSWORD, "next": "/commitments/"})
    assert response.status_code == 302
    assert response.url == "/commitments/"


def test_a_wrong_password_is_refused_with_a_message(client, owner):
    response = client.post(reverse("login"), {"username": "owner", "password": "wrong"})
    assert response.status_code == 422
    assert "Please enter a correct username and password" in response.content.decode()


def test_logout_is_a_post_and_ends_the_session(login, owner):
    client = login(owner)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get("/").status_code == 302


def test_pages_show_the_users_name(login, owner):
    assert owner.get_full_name() in login(owner).get("/").content.decode()


def test_a_password_reset_is_sent_by_email_and_works(client, owner):
    client.post(reverse("password_reset"), {"email": owner.email})
    [message] = mail.outbox
    assert message.to == [owner.email]
    link = re.search(r"http://127.0.0.1:8000(/accounts/reset/\S+/)", message.body).group(1)  # SITE_URL
    form_url = client.get(link).url
    response = client.post(
        form_url, {"new_password1": "a new long password 2026", "new_password2": "a new long password 2026"}
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("a new long password 2026")


def test_the_reset_mail_links_to_the_site_address_and_is_marked_automatic(client, owner, smtp_server, settings):
    """Like every e-mail of the app: links at SITE_URL (not at whatever Host the request named), a strict parser
    finds no defect, and out-of-office replies are not sent back."""
    settings.SITE_URL = "https://commitments.intranet.example"
    settings.ALLOWED_HOSTS = ["commitments.intranet.example", "other.example"]
    client.post(reverse("password_reset"), {"email": owner.email}, HTTP_HOST="other.example")
    [message] = smtp_server.messages
    assert all(part.defects == [] for part in message.walk())
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"
    text = message.get_body(("plain",)).get_content()
    assert re.search(r"^https://commitments\.intranet\.example/accounts/reset/\S+/\r?$", text, re.MULTILINE)
    assert "other.example" not in text
    assert all(len(line) <= 78 or "http" in line for line in text.splitlines())


def test_a_password_change_needs_the_old_password(login, owner):
    response = login(owner).post(
        reverse("password_change"),
        {
            "old_password": "wrong",
            "new_password1": "a new long password 2026",
            "new_password2": "a new long password 2026",
        },
    )
    assert "Your old password was entered incorrectly" in response.content.decode()


def test_pages_load_nothing_from_outside_the_intranet(login, owner, commitment):
    """Bootstrap and htmx are served by the app itself; no CDN."""
    for url in ["/accounts/login/", "/", commitment.get_absolute_url()]:
        content = login(owner).get(url).content.decode()
        assert re.findall(r'(?:src|href)="(https?:)?//', content) == []
        assert "/static/bootstrap/css/bootstrap.min.css" in content
    assert "/static/django_htmx/htmx" in content
