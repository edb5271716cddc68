"""Two-factor login with an authenticator app: setting it up, logging in with it, requiring it."""

import datetime
import logging
import time

import pytest
import time_machine
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from tests.conftest import PASSWORD
from tests.factories import api_token


def code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the user's app shows now (or a step later: a code is accepted only once)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def after_a_pause():
    """Past the throttling of a wrong code (1 s, doubling with each failure)."""
    return time_machine.travel(datetime.timedelta(seconds=5))


def log_in(client, user) -> None:
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302


@pytest.fixture
def with_app(client, owner):
    """The owner, logged in, having set up an authenticator app."""
    log_in(client, owner)
    page = client.get(reverse("two-factor"))
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in page.content.decode()  # the code to scan, drawn by the server
    device = TOTPDevice.objects.get(user=owner)
    assert client.post(reverse("two-factor"), {"code": "000000"}).status_code == 422
    with after_a_pause():
        response = client.post(reverse("two-factor"), {"code": code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_setting_it_up_keeps_the_session_going(client, with_app):
    assert client.get(reverse("dashboard")).status_code == 200


def test_after_the_password_every_page_asks_for_the_code(client, owner, with_app, caplog):
    client.post(reverse("logout"))
    log_in(client, owner)
    response = client.get(reverse("commitments:list"))
    assert response.status_code == 302
    assert response.url == reverse("two-factor-verify") + "?next=%2Fcommitments%2F"
    assert client.get("/api/v1/me/").status_code == 403  # the session's API calls wait too
    with caplog.at_level(logging.INFO, logger="security"):
        wrong = client.post(reverse("two-factor-verify"), {"code": "123456", "next": "/commitments/"})
        assert wrong.status_code == 422
        assert "That code is not right" in wrong.content.decode()
        with after_a_pause():
            right = client.post(reverse("two-factor-verify"), {"code": code(with_app, 1), "next": "/commitments/"})
    assert right.status_code == 302
    assert right.url == "/commitments/"
    assert client.get(reverse("commitments:list")).status_code == 200
    assert "two-factor failed user=owner" in caplog.text
    assert "two-factor verified user=owner" in caplog.text


def test_a_code_is_not_accepted_twice(client, owner, with_app):
    client.post(reverse("logout"))
    log_in(client, owner)
    used = code(with_app)  # the one that set the app up
    assert client.post(reverse("two-factor-verify"), {"code": used}).status_code == 422


def test_an_api_token_is_not_held_up(owner, with_app):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token " + api_token(owner))
    assert api.get("/api/v1/me/").status_code == 200


def test_turning_it_off_asks_for_a_current_code_or_the_password(client, owner, with_app):
    assert client.post(reverse("two-factor-disable")).status_code == 422
    assert client.post(reverse("two-factor-disable"), {"code": "000000"}).status_code == 422
    assert client.post(reverse("two-factor-disable"), {"password": "not the password"}).status_code == 422
    assert TOTPDevice.objects.filter(user=owner, confirmed=True).exists()
    with after_a_pause():
        assert client.post(reverse("two-factor-disable"), {"code": code(with_app, 1)}).status_code == 302
    assert not TOTPDevice.objects.filter(user=owner).exists()


def test_the_user_may_turn_it_off_with_the_password(client, owner, with_app):
    assert client.post(reverse("two-factor-disable"), {"password": PASSWORD}).status_code == 302
    assert not TOTPDevice.objects.filter(user=owner).exists()
    client.post(reverse("logout"))
    log_in(client, owner)
    assert client.get(reverse("dashboard")).status_code == 200


def test_when_required_coordinators_set_it_up_first_and_cannot_turn_it_off(client, coordinator, member, settings):
    settings.TWO_FACTOR_REQUIRED = True
    log_in(client, member)
    assert client.get(reverse("dashboard")).status_code == 200  # members choose
    client.post(reverse("logout"))

    log_in(client, coordinator)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two-factor") + "?next=")
    assert client.get(reverse("admin:index")).status_code == 302
    client.get(reverse("two-factor"))
    device = TOTPDevice.objects.get(user=coordinator)
    assert client.post(reverse("two-factor"), {"code": code(device), "next": "/"}).url == "/"
    assert client.get(reverse("dashboard")).status_code == 200
    client.post(reverse("two-factor-disable"))
    assert TOTPDevice.objects.filter(user=coordinator, confirmed=True).exists()


def test_wrong_codes_are_throttled(client, owner, with_app):
    client.post(reverse("logout"))
    log_in(client, owner)
    for _ in range(3):
        client.post(reverse("two-factor-verify"), {"code": "000000"})
    response = client.post(reverse("two-factor-verify"), {"code": code(with_app, 1)})
    assert response.status_code == 422
    assert "Too many wrong codes" in response.content.decode()


def test_turning_it_off_with_passwords_is_limited(client, owner, with_app):
    for _ in range(5):
        assert client.post(reverse("two-factor-disable"), {"password": "not the password"}).status_code == 422
    response = client.post(reverse("two-factor-disable"), {"password": PASSWORD})
    assert response.status_code == 422
    assert "Too many attempts with a password" in response.content.decode()
    assert TOTPDevice.objects.filter(user=owner, confirmed=True).exists()
