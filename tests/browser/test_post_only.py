"""Addresses that take a form's post only (posting progress, attaching files, logging out, freezing a brief):
opened as a page, after a refused post without JavaScript left the browser on one of them, they say so on a page
of their own, rather than answer a blank 405."""

import lxml.html
from django.contrib.auth import get_user_model
from django.test import Client

from tests.browser import pages


def test_an_address_that_takes_posts_only_says_so_on_a_page(demo):
    for persona in ("owner", "coordinator"):
        survey = pages.survey(persona)
        post_only = [path for _, path, rule in survey.left_out if rule.startswith("takes POST only")]
        assert len(post_only) >= 5, survey.left_out
        client = Client()
        client.force_login(
            get_user_model().objects.get(username=persona), backend="django.contrib.auth.backends.ModelBackend"
        )
        for path in post_only:
            response = client.get(path)
            assert response.status_code == 405 and "POST" in response["Allow"], path
            page = lxml.html.fromstring(response.content)
            assert page.xpath("//main//h1/text()") == ["Nothing to show here"], path
            assert "/" in page.xpath('//main//a[text()="Back to the dashboard"]/@href'), path
