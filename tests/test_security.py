"""Headers, caching, session lifetimes, the deploy check, client addresses, the security log, password
resets and body limits."""

import datetime
import gzip
import logging
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse

from config.uploads import multipart_body_limit
from tests.conftest import PASSWORD

BASE_DIR = Path(__file__).resolve().parent.parent


def test_every_kind_of_page_carries_the_security_headers(login, owner, commitment, client):
    responses = [client.get(reverse("login"))]
    client = login(owner)
    responses += [client.get(url) for url in ["/", commitment.get_absolute_url(), "/api/v1/me/", "/api/docs/"]]
    for response in responses:
        csp = response["Content-Security-Policy"]
        script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
        assert script_src.split() == ["script-src", "'self'"]  # no inline script, no eval, no CDN
        assert "frame-ancestors 'none'" in csp
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"


def test_pages_for_a_logged_in_user_are_not_stored(login, owner):
    response = login(owner).get("/")
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_the_pages_contain_no_inline_script(login, owner, commitment):
    client = login(owner)
    for url in ["/", commitment.get_absolute_url(), "/api/docs/", reverse("commitments:list")]:
        content = client.get(url).content.decode()
        assert "<script>" not in content
        assert all('src="' in tag or 'type="application/json"' in tag for tag in content.split("<script")[1:]), url


def log_in_for_real(client) -> None:
    assert client.post(reverse("login"), {"username": "owner", "password": PASSWORD}).status_code == 302


def test_an_idle_session_ends(client, owner):
    with time_machine.travel(datetime.datetime(2026, 11, 28, 9, 0, tzinfo=datetime.UTC), tick=False) as traveller:
        log_in_for_real(client)
        assert client.get("/").status_code == 200
        traveller.shift(datetime.timedelta(minutes=29))
        assert client.get("/").status_code == 200
        traveller.shift(datetime.timedelta(minutes=31))
        response = client.get("/")
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
        assert client.get("/").status_code == 302  # the session is over, not just this request


def test_a_session_ends_after_its_maximum_age_even_when_active(client, owner):
    with time_machine.travel(datetime.datetime(2026, 11, 28, 8, 0, tzinfo=datetime.UTC), tick=False) as traveller:
        log_in_for_real(client)
        for _ in range(12 * 3):  # a request every 20 minutes for 12 hours
            assert client.get("/").status_code == 200
            traveller.shift(datetime.timedelta(minutes=20))
        traveller.shift(datetime.timedelta(minutes=1))  # 12 hours and a minute after logging in
        assert client.get("/").status_code == 302


def test_login_gives_a_new_session_key_and_logout_ends_it(client, owner):
    client.get(reverse("login"))
    before = client.cookies.get("sessionid")
    log_in_for_real(client)
    key = client.cookies["sessionid"].value
    assert before is None or before.value != key
    client.post(reverse("logout"))
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=key).exists()


def test_a_deactivated_user_is_out_at_the_next_request(client, owner):
    log_in_for_real(client)
    owner.is_active = False
    owner.save()
    assert client.get("/").status_code == 302


def test_the_deploy_check_passes_with_the_production_settings_of_the_readme():
    env = {
        "PATH": os.environ["PATH"],
        "ENV_FILE": "",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "commitments.intranet.example",
        "BEHIND_TLS_PROXY": "true",
        "TWO_FACTOR_REQUIRED": "true",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_repeated_failed_logins_lock_out_with_429_then_cool_off(client, owner, caplog):
    with time_machine.travel(datetime.datetime(2026, 11, 28, 9, 0, tzinfo=datetime.UTC), tick=False) as traveller:
        for _ in range(4):
            assert client.post(reverse("login"), {"username": "owner", "password": "wrong"}).status_code == 422
        fifth = client.post(reverse("login"), {"username": "owner", "password": "wrong"})
        assert fifth.status_code == 429  # the fifth failure locks out
        locked = client.post(reverse("login"), {"username": "owner", "password": PASSWORD})
        assert locked.status_code == 429
        assert "Too many failed logins" in locked.content.decode()
        traveller.shift(datetime.timedelta(minutes=16))
        log_in_for_real(client)
    assert "login failed user=owner" in caplog.text
    assert "login user=owner" in caplog.text


def test_another_address_is_not_locked_out_by_someone_elses_failures(client, owner):
    for _ in range(5):
        client.post(reverse("login"), {"username": "owner", "password": "wrong"}, REMOTE_ADDR="10.9.9.9")
    assert (
        client.post(reverse("login"), {"username": "owner", "password": PASSWORD}, REMOTE_ADDR="10.1.1.1").status_code
        == 302
    )


def test_the_client_address_comes_only_from_a_trusted_proxy(rf, settings):
    from config.security import client_ip

    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    spoofed = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(spoofed) == "10.0.0.5"
    proxied = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.1.1.1")
    assert client_ip(proxied) == "10.1.1.1"  # what the proxy appended, not what the client claimed


def test_logout_is_logged(client, owner, caplog):
    log_in_for_real(client)
    client.post(reverse("logout"))
    assert "logout user=owner" in caplog.text


def test_exports_brief_downloads_and_refusals_are_logged(login, owner, member, meeting, commitment, caplog):
    client = login(member)
    with caplog.at_level(logging.INFO, logger="security"):
        client.get(reverse("commitments:export", args=["xlsx"]))
        client.get(reverse("meetings:brief-download", args=[meeting.pk, "csv"]))
        client.get(reverse("commitments:edit", args=[commitment.pk]))  # a member may not edit: 403
    records = [record.getMessage() for record in caplog.records if record.name == "security"]
    assert any(m.startswith("export user=member ") and "export.xlsx rows=1" in m for m in records), records
    assert any(m.startswith("brief download user=member ") and f"meeting={meeting.pk}" in m for m in records)
    assert any(m.startswith("denied user=member ") and "status=403" in m for m in records)


# --- Client addresses, the log, password resets ---------------------------------------------------------


def test_no_proxy_is_trusted_unless_one_is_configured(client, owner, settings):
    """Without TRUSTED_PROXIES, X-Forwarded-For is the client's own claim: it neither names the client
    in the log nor escapes the lockout, even from the loopback address."""
    from config.settings import TRUSTED_PROXIES

    assert TRUSTED_PROXIES == []
    settings.TRUSTED_PROXIES = TRUSTED_PROXIES
    for attempt in range(5):
        client.post(
            reverse("login"),
            {"username": "owner", "password": "wrong"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{attempt}",
        )
    response = client.post(
        reverse("login"), {"username": "owner", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="10.0.0.99"
    )
    assert response.status_code == 429


def formatted_security_lines(caplog) -> list[str]:
    """The security log as the configured handler writes it (caplog keeps the records, not their lines)."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "stdout")
    return [handler.format(record) for record in caplog.records if record.name == "security" and handler.filter(record)]


def test_a_newline_in_a_username_cannot_forge_a_log_line(db, client, caplog):
    forged = "nobody\n2026-11-29 09:00:00,000 INFO security: login user=admin ip=10.0.0.1"
    with caplog.at_level(logging.INFO, logger="security"):
        client.post(reverse("login"), {"username": forged, "password": "wrong"})
        client.get("/commitments/?q=\r\nforged", HTTP_USER_AGENT="x")
    lines = formatted_security_lines(caplog)
    assert lines
    assert all("\n" not in line and "\r" not in line for line in lines), lines
    assert any("user=nobody\\n2026-11-29" in line for line in lines), lines


def test_every_value_a_user_controls_is_escaped_in_one_place():
    from config.logging import escape_controls

    assert escape_controls("a\nb\rc\x00d\x1be\\f") == "a\\nb\\rc\\x00d\\x1be\\\\f"
    assert escape_controls("India–Uzbekistan") == "India–Uzbekistan"  # letters of any script stay


def test_password_reset_mail_is_throttled_per_address_and_per_client(client, owner, settings, mailoutbox):
    answers = set()
    for _ in range(15):
        response = client.post(reverse("password_reset"), {"email": owner.email})
        answers.add((response.status_code, response.get("Location")))
    assert len(mailoutbox) == settings.PASSWORD_RESET_LIMIT_PER_ADDRESS
    for n in range(15):  # nobody's address: the same answer, and nothing sent
        response = client.post(reverse("password_reset"), {"email": f"nobody{n}@example.org"})
        answers.add((response.status_code, response.get("Location")))
    assert answers == {(302, reverse("password_reset_done"))}
    assert len(mailoutbox) == settings.PASSWORD_RESET_LIMIT_PER_ADDRESS


def test_password_reset_requests_from_one_client_are_limited(client, group, settings, mailoutbox):
    from tests.conftest import member_of

    users = [member_of(group, f"staff{n}") for n in range(settings.PASSWORD_RESET_LIMIT_PER_CLIENT + 5)]
    for user in users:
        client.post(reverse("password_reset"), {"email": user.email}, REMOTE_ADDR="10.3.3.3")
    assert len(mailoutbox) == settings.PASSWORD_RESET_LIMIT_PER_CLIENT
    client.post(reverse("password_reset"), {"email": users[-1].email}, REMOTE_ADDR="10.4.4.4")
    assert len(mailoutbox) == settings.PASSWORD_RESET_LIMIT_PER_CLIENT + 1  # another client is not held up


# --- Sessions and bodies ------------------------------------------------------------------------------


def test_an_idle_session_gets_401_from_the_api_not_the_login_page(client, owner):
    with time_machine.travel(datetime.datetime(2026, 11, 28, 9, 0, tzinfo=datetime.UTC), tick=False) as traveller:
        log_in_for_real(client)
        assert client.get("/api/v1/me/").status_code == 200
        traveller.shift(datetime.timedelta(minutes=31))
        response = client.get("/api/v1/me/")
        assert response.status_code == 401
        assert response["Content-Type"] == "application/json"
        assert "session" in response.json()["detail"].lower()


@pytest.mark.parametrize(
    ("url", "content_type"),
    [
        ("/api/v1/commitments/", "application/json"),
        ("/commitments/new/", "application/x-www-form-urlencoded"),
        ("/accounts/login/", "application/x-www-form-urlencoded"),
        ("/commitments/new/", "multipart/form-data; boundary=xyz"),
    ],
)
def test_a_body_over_the_limit_is_refused_by_the_app(client, coordinator, settings, url, content_type):
    client.force_login(coordinator)
    limit = multipart_body_limit() if content_type.startswith("multipart/") else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = b"x" * (limit + 1)
    response = client.generic("POST", url, body, content_type=content_type)
    assert response.status_code == 413, (url, response.status_code)


def test_the_limits_are_settings_with_documented_defaults(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert settings.UPLOAD_MAX_BYTES == 25 * 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 1000


@pytest.mark.parametrize("token", ["%00", "abc%00def", "a%27b", "..%2F..%2Fetc"])
def test_a_calendar_address_that_is_no_token_is_not_found(client, db, token):
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_a_chunked_body_without_a_length_is_refused_not_dropped(client, coordinator, commitment):
    """Django reads no body without Content-Length: an edit sent in chunks would be dropped silently."""
    client.force_login(coordinator)
    version = commitment.version
    response = client.generic(
        "PATCH",
        f"/api/v1/commitments/{commitment.pk}/",
        b"",
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        HTTP_IF_MATCH=f'"{version}"',
    )
    assert response.status_code == 411
    commitment.refresh_from_db()
    assert commitment.version == version


def test_the_idle_time_counts_from_the_login(client, owner):
    with time_machine.travel(datetime.datetime(2026, 11, 28, 9, 0, tzinfo=datetime.UTC), tick=False) as traveller:
        log_in_for_real(client)
        traveller.shift(datetime.timedelta(minutes=31))  # no request at all since logging in
        response = client.get("/")
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_unicode_line_breaks_and_direction_marks_are_escaped_in_the_log():
    from config.logging import escape_controls

    assert escape_controls("w\u2028FORGED\u2029x\u202eevil\u200bz") == "w\\u2028FORGED\\u2029x\\u202eevil\\u200bz"


def test_a_refusal_is_logged_in_one_line_without_a_traceback(client, member, commitment, caplog):
    client.force_login(member)
    with caplog.at_level(logging.WARNING):
        assert client.get(reverse("commitments:edit", args=[commitment.pk])).status_code == 403
        assert client.get(reverse("admin:index")).status_code == 302
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "stdout")
    lines = [handler.format(r) for r in caplog.records if r.name == "django.request" and handler.filter(r)]
    assert lines and all("Traceback" not in line and "\n" not in line for line in lines), lines


def test_the_calendar_feed_is_not_kept_by_caches(client, owner):
    from commitments.models import CalendarFeed

    response = client.get(CalendarFeed.objects.create(user=owner).secret_path())
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_a_deactivated_accounts_calendar_address_stops_working_for_good(client, owner):
    from commitments.models import CalendarFeed

    address = CalendarFeed.objects.create(user=owner).secret_path()
    owner.is_active = False
    owner.save()
    owner.is_active = True
    owner.save()
    assert client.get(address).status_code == 404


def test_deactivation_ends_the_sessions_for_good(client, owner):
    log_in_for_real(client)
    assert client.get("/").status_code == 200
    owner.is_active = False
    owner.save()
    owner.is_active = True
    owner.save()
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_an_htmx_post_after_the_session_ended_sends_the_whole_page_to_the_login(client, owner, commitment):
    with time_machine.travel(datetime.datetime(2026, 11, 28, 9, 0, tzinfo=datetime.UTC), tick=False) as traveller:
        log_in_for_real(client)
        page = commitment.get_absolute_url()
        traveller.shift(datetime.timedelta(minutes=31))
        response = client.post(
            reverse("commitments:progress", args=[commitment.pk]),
            {"text": "Typed after lunch."},
            HTTP_HX_REQUEST="true",
            HTTP_HX_CURRENT_URL=f"http://testserver{page}",
        )
    assert response.status_code == 200  # htmx acts on its header, not on a redirect it would follow
    assert response["HX-Redirect"] == f"{reverse('login')}?next={page}"
    assert not commitment.progress_updates.exists()


def test_an_api_form_body_even_with_a_field_over_the_limit_is_refused_as_not_json(
    client, coordinator, commitment, settings
):
    """The API reads JSON only: a multipart body is answered 415, in JSON, before any field of it is read."""
    client.force_login(coordinator)
    body = (
        b'--xyz\r\nContent-Disposition: form-data; name="title"\r\n\r\n'
        + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
        + b"\r\n--xyz--\r\n"
    )
    response = client.generic(
        "PATCH", f"/api/v1/commitments/{commitment.pk}/", body, content_type="multipart/form-data; boundary=xyz"
    )
    assert response.status_code == 415
    assert response["Content-Type"] == "application/json"
    commitment.refresh_from_db()
    assert commitment.title != "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)


# --- Found by a third outside test ---------------------------------------------------------------------


def test_the_login_page_says_why_the_session_ended(client, owner):
    with time_machine.travel(datetime.datetime(2026, 11, 28, 9, 0, tzinfo=datetime.UTC), tick=False) as traveller:
        log_in_for_real(client)
        traveller.shift(datetime.timedelta(minutes=31))
        page = client.get("/", follow=True)
    assert "Your session ended after 30 minutes without activity" in page.content.decode()


def test_a_short_idle_timeout_keeps_an_active_session(client, owner, settings):
    settings.SESSION_IDLE_TIMEOUT = 60
    with time_machine.travel(datetime.datetime(2026, 11, 28, 9, 0, tzinfo=datetime.UTC), tick=False) as traveller:
        log_in_for_real(client)
        for _ in range(10):  # a request every 25 seconds for four minutes
            traveller.shift(datetime.timedelta(seconds=25))
            assert client.get("/").status_code == 200


def test_a_refused_admin_lookup_is_one_security_line_without_a_traceback(client, coordinator, caplog):
    client.force_login(coordinator)
    with caplog.at_level(logging.INFO):
        response = client.get("/admin/commitments/commitment/?owner__password__startswith=p")
    assert response.status_code == 400
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "stdout")
    lines = [handler.format(r) for r in caplog.records if r.levelno >= logging.WARNING and handler.filter(r)]
    assert all("Traceback" not in line for line in lines), lines
    assert any(line.startswith("bad request user=coordinator") for line in map(str, caplog.messages)), caplog.messages


def test_an_unknown_admin_filter_is_refused_without_listing_the_fields(client, coordinator):
    client.force_login(coordinator)
    response = client.get("/admin/commitments/commitment/?group=1")
    assert response.status_code == 400
    content = response.content.decode()
    assert "cannot be applied" in content
    assert "Choices are" not in content and "access_granted_to" not in content


def test_an_admin_filter_value_it_does_not_offer_is_a_400(client, coordinator):
    client.force_login(coordinator)
    assert client.get("/admin/commitments/commitment/?has_owner=maybe").status_code == 400


@pytest.mark.parametrize("url", ["/", "/api/v1/me/"])
def test_answers_before_the_two_factor_code_carry_the_security_headers(client, owner, url):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=owner, name="Authenticator app", confirmed=True)
    log_in_for_real(client)  # the password, not yet the code
    response = client.get(url)
    assert response.status_code in (302, 403)
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert "no-store" in response["Cache-Control"]


def test_a_refusal_with_a_reason_says_it(client, coordinator, commitment):
    client.force_login(coordinator)
    record = commitment.history.first()
    url = reverse("admin:commitments_commitment_simple_history", args=[commitment.pk, record.history_id])
    response = client.post(url, {})
    assert response.status_code == 403
    assert "A version is shown, not restored" in response.content.decode()


def test_a_file_over_the_limit_gets_a_page_that_says_how_large_a_file_may_be(client, coordinator, settings):
    """A coordinator uploading too large a spreadsheet sees the app's page, in megabytes, with the way back."""
    client.force_login(coordinator)
    body = b"x" * (multipart_body_limit() + 1)
    response = client.generic("POST", "/commitments/import/", body, content_type="multipart/form-data; boundary=xyz")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "larger than this app accepts: a file may be up to 25 MB" in page
    assert 'href="/commitments/import/"' in page


def test_pages_and_json_are_compressed_for_clients_that_accept_it(login, owner, commitment):
    client = login(owner)
    for url in [f"/commitments/{commitment.pk}/", f"/meetings/{commitment.meeting_id}/", "/api/v1/commitments/"]:
        plain = client.get(url)
        assert "Content-Encoding" not in plain.headers
        packed = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert packed.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in packed.headers["Vary"]
        assert commitment.title in gzip.decompress(packed.content).decode()
        assert len(packed.content) < len(plain.content)


def test_only_html_and_json_are_compressed(login, owner, commitment):
    """Word, PDF and the calendar are compressed files or need no compressing; only pages and JSON are."""
    client = login(owner)
    feed = client.get("/accounts/notifications/").context["feed_url"].split("://", 1)[1].split("/", 1)[1]
    for url in [f"/meetings/{commitment.meeting_id}/brief.docx", f"/meetings/{commitment.meeting_id}/brief.csv",
                "/" + feed]:  # fmt: skip
        response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert response.status_code == 200, url
        assert "Content-Encoding" not in response.headers, url


def test_an_api_object_keeps_its_strong_etag_and_is_not_compressed(login, owner, commitment):
    """If-Match compares ETags strongly: the weak one a compressed answer carries would refuse every edit."""
    response = login(owner).get(f"/api/v1/commitments/{commitment.pk}/", HTTP_ACCEPT_ENCODING="gzip")
    assert response.headers["ETag"] == f'"{commitment.version}"'
    assert "Content-Encoding" not in response.headers


def test_a_compressed_page_hides_its_length_and_its_csrf_token_changes(login, owner, commitment):
    """BREACH works on a secret that stays the same beside input reflected in a compressed page of stable length."""
    client = login(owner)
    url = f"/commitments/{commitment.pk}/?q=csrfmiddlewaretoken"
    answers = [client.get(url, HTTP_ACCEPT_ENCODING="gzip") for _ in range(10)]
    assert len({len(answer.content) for answer in answers}) > 1
    pages = [gzip.decompress(answer.content).decode() for answer in answers]
    tokens = {re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1] for page in pages}
    assert len(tokens) == 10


@pytest.mark.parametrize("url", ["/accounts/notifications/", "/accounts/two-factor/", "/accounts/password_change/"])
def test_the_account_pages_which_show_secrets_are_never_compressed(login, owner, url):
    response = login(owner).get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert b"</html>" in response.content
