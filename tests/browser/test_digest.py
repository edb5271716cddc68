"""The reminder e-mail as mail clients show it: the HTML part of an owner's and a coordinator's digest, as sent
to a real SMTP server, is valid HTML (Nu checker), passes axe-core's WCAG 2.1 A and AA rules and reads in a
600 px wide mail client without scrolling sideways, long words and addresses included."""

import datetime

from django.utils import timezone

from commitments.models import Commitment, Reminder
from commitments.reminders import delivery, planning
from meetings.models import Meeting
from tests.browser import checkers

MAIL_CLIENT = {"width": 600, "height": 900}
UNBROKEN = "https://intranet.example.gov.in/records/" + "x" * 120


def digests(smtp_server) -> dict[str, str]:
    """The demo data a week before the 10th meeting, one commitment overdue with a long unbroken update:
    the HTML part of each digest, by recipient."""
    today = timezone.localdate()
    tenth = Meeting.objects.get(number=10, group__slug="india-uzbekistan-jwg-ct")
    tenth.status, tenth.start_date, tenth.city = Meeting.Status.SCHEDULED, today + datetime.timedelta(7), "New Delhi"
    tenth.save()
    shared = Commitment.objects.get(title__startswith="Share intelligence")
    shared.post_progress(author=shared.owner, text=f"Minutes filed at {UNBROKEN} for the record.")
    Reminder.objects.all().delete()
    planning.plan(today)
    # Late on the local day (TIME_ZONE), after the send hour whatever the time in UTC.
    delivery.send_due(timezone.localtime().replace(hour=23, minute=0))
    return {message["To"]: message.get_body(("html",)).get_content() for message in smtp_server.messages}


def test_the_digest_reads_in_a_narrow_mail_client_and_validates(
    browser, browser_context_args, demo, smtp_server, tmp_path
):
    sent = digests(smtp_server)
    assert {"owner@example.org", "coordinator@example.org"} <= set(sent)
    files = {}
    for recipient, html in sent.items():
        path = tmp_path / f"{len(files):02}.html"
        path.write_text(html, encoding="utf-8")
        files[path] = f"digest to {recipient}"
    found = checkers.nu_errors(files)

    context = browser.new_context(**{**browser_context_args, "viewport": MAIL_CLIENT})
    tab = context.new_page()
    for recipient, html in sent.items():
        tab.set_content(html)
        if sideways := tab.evaluate(checkers.SIDEWAYS):
            found.append(f"digest to {recipient}: {sideways['scrollWidth']} px wide; widest: {sideways['widest']}")
        found += [f"digest to {recipient}: {violation}" for violation in checkers.axe_violations(tab)]
    context.close()
    assert not found, f"{len(found)} problems:\n" + "\n".join(found)
