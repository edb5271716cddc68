"""Addresses that take a form's post only (posting progress, attaching files, logging out, freezing a brief):
opened as a page, after a refused post without JavaScript left the browser on one of them, they say so on a page
of their own, rather than answer a blank 405."""

import lxml.html
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser import checkers, pages


def test_an_address_that_takes_posts_only_says_so_on_a_page(demo, tmp_path):
    """Each such address of the survey, for an owner and a coordinator; the page is valid HTML (the Nu checker)."""
    files, found = {}, {}
    for persona in ("owner", "coordinator"):
        survey = pages.survey(persona)
        post_only = [path for _, path, rule in survey.left_out if rule.startswith("takes POST only")]
        assert len(post_only) >= 5, survey.left_out
        client = Client()
        user = get_user_model().objects.get(username=persona)
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        if persona == "owner":  # two-factor login on, as the form that turns it off is shown then only
            device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        for path in post_only:
            response = client.get(path)
            assert response.status_code == 405 and "POST" in response["Allow"], path
            options = client.options(path)  # as Django's own logout answers it
            assert (options.status_code, options["Allow"]) == (200, "POST, OPTIONS"), path
            page = lxml.html.fromstring(response.content)
            assert page.xpath("//main//h1/text()") == ["Nothing to show here"], path
            assert "/" in page.xpath('//main//a[text()="Back to the dashboard"]/@href'), path
            # It links to the page whose form posts here (the logout form is on every page: the dashboard's).
            [form_page] = page.xpath('//main//a[text()="Back to the page of the form"]/@href') or ["/"]
            opened = client.get(form_page)
            assert opened.status_code == 200, (path, form_page)
            actions = lxml.html.fromstring(opened.content).xpath("//form[@method='post']/@action")
            found[path] = found.get(path, False) or path in actions  # shown to those who may send it
            html = tmp_path / f"{len(files):03}.html"
            html.write_text(response.text, encoding="utf-8")
            files[html] = f"{persona}, {path}"
    assert found and [path for path, shown in found.items() if not shown] == []
    assert checkers.nu_errors(files) == []


def test_the_page_of_a_post_only_address_passes_wcag_21_a_and_aa(log_in, live_server, demo):
    page = log_in("owner")
    page.goto(f"{live_server.url}/accounts/logout/")
    assert page.get_by_role("heading", level=1).inner_text() == "Nothing to show here"
    assert checkers.axe_violations(page) == []
