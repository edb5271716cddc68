"""Digests sent to a real SMTP server: content, once only, retries, failures, assignments, opting out."""

import datetime
import io
import re

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from commitments.models import Commitment, NotificationPreference, Reminder
from commitments.reminders import delivery, digests, outbox, planning
from config import queueing
from meetings.models import Meeting
from tests.commitments.conftest import NOW, TODAY, D
from tests.factories import CommitmentFactory, MeetingFactory, MembershipFactory

R = Reminder.Reason
QUIET = datetime.timedelta(minutes=10)  # REMINDER_QUIET_PERIOD_SECONDS by default


@pytest.fixture(autouse=True)
def _at_half_past_nine():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def due_today(tenth, meeting, owner, owner2, coordinator):
    """Two commitments of `owner`, one of `owner2`, all reminded before the 10th meeting today."""
    commitments = [
        CommitmentFactory(
            meeting=meeting,
            owner=owner,
            title="Share intelligence on terrorist groups",
            follow_up_date=TODAY - datetime.timedelta(days=3),
        ),
        CommitmentFactory(
            meeting=meeting,
            owner=owner,
            title="Joint research on radicalization",
            follow_up_date=D + datetime.timedelta(days=30),
        ),
        CommitmentFactory(meeting=meeting, owner=owner2, title="Joint training programmes", follow_up_date=None),
    ]
    Reminder.objects.all().delete()  # the assignment notices of the set-up
    commitments[0].post_progress(author=owner, text="First exchange held in Tashkent.")
    planning.plan(TODAY)
    return commitments


def unsent():
    """Reminders still to go out, or that could not: neither sent nor skipped as stale."""
    return Reminder.objects.exclude(state__in=[Reminder.State.SENT, Reminder.State.SKIPPED])


def sweep() -> delivery.SendReport:
    return delivery.send_due(timezone.now())


def by_recipient(server) -> dict:
    return {message["To"]: message for message in server.messages}


def test_it_sends_one_digest_per_recipient(due_today, smtp_server, owner, owner2, coordinator):
    report = sweep()
    messages = by_recipient(smtp_server)
    assert set(messages) == {owner.email, owner2.email, coordinator.email}
    assert len(smtp_server.messages) == 3
    assert report.digests == 3
    text = messages[owner.email].get_body(("plain",)).get_content()
    assert "Share intelligence on terrorist groups" in text and "Joint research on radicalization" in text
    assert "Joint training programmes" not in text


def test_a_batch_shares_one_connection_and_its_queries_do_not_grow_with_its_digests(tenth, meeting, group, smtp_server):
    def sweep_of(owners: int) -> tuple[int, int, int]:
        for _ in range(owners):
            owner = MembershipFactory(group=group).user
            CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=TODAY + datetime.timedelta(days=7))
        Reminder.objects.filter(reason__in=R.immediate()).delete()  # the assignment notices of the set-up
        planning.plan(TODAY)
        smtp_server.handler.connections = 0
        with CaptureQueriesContext(connection) as queries:
            report = sweep()
        return report.digests, smtp_server.handler.connections, len(queries)

    digests, connections, few = sweep_of(2)
    assert (digests, connections) == (2, 1)
    digests, connections, many = sweep_of(12)
    assert (digests, connections) == (12, 1)
    assert few == many  # claim, rows, recipients, commitments, meetings, updates, one outcome, …


def test_the_digest_names_the_group_and_links_each_commitment(due_today, smtp_server, owner):
    sweep()
    message = by_recipient(smtp_server)[owner.email]
    assert message["Subject"] == "[India–Uzbekistan JWG-CT] 10th meeting in 7 days: 2 of your commitments"
    text = message.get_body(("plain",)).get_content()
    assert "The 10th meeting of the India–Uzbekistan JWG-CT: New Delhi, 12 March 2027, in 7 days." in " ".join(
        text.split()
    )
    assert "== Your commitments ==" in text
    commitment = due_today[0]
    assert f"Open: http://127.0.0.1:8000/commitments/{commitment.pk}/" in text
    assert f"Post an update: http://127.0.0.1:8000/commitments/{commitment.pk}/#journal" in text
    assert "First exchange held in Tashkent." in text
    assert "Your notification settings: http://127.0.0.1:8000/accounts/notifications/" in text
    html = message.get_body(("html",)).get_content()
    assert f'<a href="http://127.0.0.1:8000/commitments/{commitment.pk}/" ' in html


def test_the_session_invitation_is_attached(due_today, smtp_server, owner, tenth):
    sweep()
    message = by_recipient(smtp_server)[owner.email]
    [attachment] = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    [event] = Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    assert event.decoded("dtstart") == D
    assert str(event["uid"]) == f"meeting-{tenth.pk}@commitments-tracker.local"  # CALENDAR_UID_DOMAIN


def test_coordinators_get_the_summary_of_whom_to_chase(due_today, smtp_server, coordinator, meeting):
    CommitmentFactory(meeting=meeting, owner=None, title="Exchange best practices", follow_up_date=None)
    Reminder.objects.all().delete()
    planning.plan(TODAY)
    sweep()
    text = by_recipient(smtp_server)[coordinator.email].get_body(("plain",)).get_content()
    assert "Where India–Uzbekistan JWG-CT stands before the 10th meeting" in text
    assert "By status: Open 4, In progress 0, Done 0, Dropped 0" in text
    overdue = text[text.index("Overdue (1):") : text.index("Without an owner")]
    assert "Share intelligence on terrorist groups" in overdue
    assert "Exchange best practices" in text[text.index("Without an owner (1):") :]
    no_update = text[text.index("No progress update since the previous meeting") :]
    assert "Joint training programmes" in no_update
    assert "Share intelligence on terrorist groups" not in no_update


def test_rows_are_marked_sent_with_the_message_id(due_today, smtp_server, owner):
    sweep()
    message = by_recipient(smtp_server)[owner.email]
    rows = Reminder.objects.filter(recipient=owner).exclude(state=Reminder.State.SKIPPED)
    assert {row.state for row in rows} == {Reminder.State.SENT}
    assert {row.message_id for row in rows} == {message["Message-ID"]}


def test_a_second_sweep_the_same_day_sends_nothing(due_today, smtp_server):
    sweep()
    planning.plan(TODAY)
    report = sweep()
    assert report.digests == 0
    assert len(smtp_server.messages) == 3


def test_what_is_planned_for_today_waits_for_the_send_hour(due_today, smtp_server, owner):
    delivery.send_due(timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(8, 59))))
    # Only the owner's overdue reminder, planned two days ago and not yet sent, goes out before nine.
    [message] = smtp_server.messages
    assert message["To"] == owner.email
    assert "Before the 10th meeting" not in message.get_body(("plain",)).get_content()


def test_a_temporary_smtp_failure_is_retried_with_backoff(due_today, smtp_server, owner, settings):
    smtp_server.answer("451 4.3.0 Try again later")
    report = sweep()
    assert report.retrying >= 1
    retrying = Reminder.objects.filter(state=Reminder.State.PENDING, next_attempt_at__isnull=False)
    assert retrying.exists()
    assert "451" in retrying.first().last_error
    waiting_for = retrying.first().next_attempt_at - NOW
    assert waiting_for == datetime.timedelta(seconds=settings.REMINDER_RETRY_BASE)

    assert delivery.send_due(NOW + datetime.timedelta(seconds=1)).digests == 0  # still backing off
    later = delivery.send_due(NOW + waiting_for)
    assert later.digests == 1
    assert len(smtp_server.messages) == 3
    assert not unsent().exists()


def test_a_permanent_smtp_failure_is_marked_failed_with_the_error(due_today, smtp_server):
    smtp_server.answer("550 5.1.1 No such user")
    report = sweep()
    assert report.failed >= 1
    failed = Reminder.objects.filter(state=Reminder.State.FAILED)
    assert failed.exists()
    assert "550" in failed.first().last_error
    assert len(smtp_server.messages) == 2


def test_a_refused_connection_is_retried(due_today, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens on the discard port
    pending = unsent().count()
    report = sweep()
    assert report.digests == 0
    assert report.retrying == pending == 5
    assert unsent().filter(state=Reminder.State.PENDING, next_attempt_at__isnull=False).count() == 5


def test_a_recipient_without_an_email_address_is_a_visible_failure(due_today, smtp_server, owner2):
    owner2.email = ""
    owner2.save()
    sweep()
    row = unsent().get(recipient=owner2)
    assert row.state == Reminder.State.FAILED
    assert row.last_error == "the recipient has no e-mail address"


def claim_plan(recipient_ids) -> str:
    """How the database finds a batch's due rows to claim (SQLite's plan; PostgreSQL's with sequential scans off,
    its test tables being too small for it to choose an index otherwise, and on statistics of this test's rows, not
    of whatever the tests before it left in the outbox: those made it choose another index now and then)."""
    sql, params = delivery.claimable(NOW, recipient_ids).order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {Reminder._meta.db_table}")
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def test_the_due_recipients_and_a_batchs_claim_read_those_in_their_quiet_period_once(
    due_today, owner, owner2, coordinator, member
):
    """The recipients given a notice in the quiet period are a subquery of their own, not a NOT EXISTS about each
    row: PostgreSQL planned that, on an outbox whose statistics were out of date, as a loop over every pending row
    for each pending row, and a sweep of 100,000 reminders stopped for minutes, in the due recipients' query and
    again in each batch's claim."""
    notice = {
        "reason": R.ASSIGNED,
        "commitment": due_today[2],
        "anchor_date": TODAY,
        "lead_days": 0,
        "planned_for": TODAY,
    }
    Reminder.objects.create(recipient=owner2, **notice)  # just now: owner2 waits for the quiet period to pass
    Reminder.objects.create(recipient=member, **notice)  # a notice of their own: due at once, or after the quiet period
    Reminder.objects.filter(recipient=member).update(created_at=NOW - QUIET - datetime.timedelta(seconds=1))
    with CaptureQueriesContext(connection) as queries:
        recipients = delivery.due_recipients(NOW)
        claimed = delivery.claimable(NOW, [owner.pk, owner2.pk]).update(state=Reminder.State.SENDING)
    assert recipients == sorted([owner.pk, coordinator.pk, member.pk])
    sending = Reminder.objects.filter(state=Reminder.State.SENDING)
    assert claimed == sending.filter(recipient=owner).count() == sending.count() > 0  # not owner2's: they wait
    assert not Reminder.objects.filter(delivery.day_has_come(NOW), recipient=owner).exists()  # all of theirs due
    assert len(queries) == 2
    for query in queries:
        assert "JOIN" not in query["sql"] and "EXISTS" not in query["sql"], query["sql"]


def test_those_in_their_quiet_period_are_found_among_pending_notices_not_every_row_of_the_outbox(due_today, owner):
    """Each batch's claim asks who of its recipients is in their quiet period: PostgreSQL read the whole outbox for it,
    sent and skipped rows too (100,000 rows: 0.07 s a batch, growing with the outbox), and finds them now in an index
    of the pending notices; SQLite, which matches a partial index only to the same literal values, not to a query's
    parameters, read every pending row, and finds them now through the batch's recipients."""
    plan = claim_plan([owner.pk])
    if connection.vendor == "postgresql":
        assert "reminder_pending_notice" in plan[plan.index("SubPlan") :], plan
    else:
        subquery = plan[plan.index("LIST SUBQUERY") :]
        assert "USING INDEX reminder_state_recipient_day (state=? AND recipient_id=?)" in subquery, plan


def test_a_batch_claims_its_rows_through_its_recipients_not_every_pending_row_of_the_day(due_today, owner, owner2):
    """Without statistics (SQLite keeps none) the claim walked every pending reminder of the day, each batch: the
    cost of a batch grew with the outbox (0.56 ms a digest among 100,000 rows). The index of pending rows by
    recipient and day answers it for the batch's recipients."""
    claimed = delivery.claimable(NOW, [owner.pk, owner2.pk])  # theirs, every one due now; not the coordinator's
    theirs = Reminder.objects.filter(state=Reminder.State.PENDING, recipient__in=[owner, owner2])
    assert set(claimed) == set(theirs) and len(theirs) == 4
    plan = claim_plan([owner.pk, owner2.pk])
    if connection.vendor == "postgresql":
        assert "reminder_state_recipient_day" in plan and "recipient_id = ANY" in plan and "planned_for <=" in plan
    else:
        assert "reminder_state_recipient_day (state=? AND recipient_id=? AND planned_for<?)" in plan
        assert "reminder_state_planned" not in plan


def test_a_claim_left_by_a_stopped_worker_is_recovered(due_today, smtp_server, owner, settings):
    claimed = Reminder.objects.filter(recipient=owner, state=Reminder.State.PENDING).update(
        state=Reminder.State.SENDING, claimed_at=NOW - datetime.timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT + 1)
    )
    report = sweep()
    assert report.recovered == claimed == 3
    assert owner.email in by_recipient(smtp_server)


def test_a_fresh_claim_of_another_worker_is_left_alone(due_today, smtp_server, owner):
    Reminder.objects.filter(recipient=owner, state=Reminder.State.PENDING).update(
        state=Reminder.State.SENDING, claimed_at=NOW
    )
    sweep()
    assert owner.email not in by_recipient(smtp_server)


def test_user_text_is_escaped_in_the_html(tenth, meeting, owner, smtp_server):
    CommitmentFactory(meeting=meeting, owner=owner, title="<b>Bold</b> & <script>x</script>")
    planning.plan(TODAY)
    with time_machine.travel(NOW + QUIET, tick=False):  # with the notice of the new commitment
        sweep()
    html = by_recipient(smtp_server)[owner.email].get_body(("html",)).get_content()
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


# --- Assignments ----------------------------------------------------------------------------------------


def test_a_new_owner_is_told_and_the_previous_one_too(
    commitment, owner, member, coordinator, smtp_server, django_capture_on_commit_callbacks
):
    Reminder.objects.all().delete()
    commitment.owner = member
    with django_capture_on_commit_callbacks() as callbacks:
        commitment.save_versioned(commitment.version, user=coordinator)
    enqueued = [c.args[0].name for c in callbacks if getattr(c, "func", None) is queueing.enqueue]
    assert enqueued == ["commitments.reminders.tasks.send_reminders"]  # once, on commit
    sweep()
    assert smtp_server.messages == []  # not before the quiet period: more changes may follow
    with time_machine.travel(NOW + QUIET, tick=False):
        sweep()
    messages = by_recipient(smtp_server)
    assert "[new: assigned to you]" in messages[member.email].get_body(("plain",)).get_content()
    assert "== No longer yours ==" in messages[owner.email].get_body(("plain",)).get_content()


def test_taking_a_commitment_oneself_sends_no_notice(commitment, member, smtp_server):
    Reminder.objects.all().delete()
    commitment.owner = member
    commitment.save_versioned(commitment.version, user=member)
    assert not Reminder.objects.filter(recipient=member).exists()


# --- Opting out ---------------------------------------------------------------------------------------------


def test_the_unsubscribe_link_turns_off_that_kind_of_reminder(client, meeting, owner, smtp_server):
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=TODAY - datetime.timedelta(days=1))
    planning.plan(TODAY)
    with time_machine.travel(NOW + QUIET, tick=False):  # with the notice of the new commitment
        sweep()
    text = by_recipient(smtp_server)[owner.email].get_body(("plain",)).get_content()
    link = re.search(r"Stop reminders about overdue commitments: http://127.0.0.1:8000(\S+)", text).group(1)
    assert client.get(link).status_code == 200
    assert client.post(link).status_code == 200
    assert NotificationPreference.objects.get(user=owner).overdue is False
    assert NotificationPreference.objects.get(user=owner).due_soon is True


def test_a_tampered_unsubscribe_link_is_refused(client, owner):
    token = digests.unsubscribe_token(owner.pk, "overdue")
    response = client.post(reverse("notifications-unsubscribe", args=[token[:-2] + "xx"]))
    assert response.status_code == 400
    assert not NotificationPreference.objects.exists()


def test_pre_session_reminders_cannot_be_unsubscribed(client, owner):
    token = digests.unsubscribe_token(owner.pk, "pre_session")
    assert client.post(reverse("notifications-unsubscribe", args=[token])).status_code == 400


def test_the_settings_page_turns_reminders_off_and_on(login, owner):
    client = login(owner)
    client.post(reverse("notification-settings"), {"overdue": "on"})
    preference = NotificationPreference.objects.get(user=owner)
    assert (preference.due_soon, preference.overdue) == (False, True)


# --- The command and the admin ----------------------------------------------------------------------------------


def test_send_reminders_plans_and_sends_as_of_a_day(due_today, smtp_server):
    Reminder.objects.all().delete()
    out = io.StringIO()
    call_command("send_reminders", "--today", TODAY.isoformat(), stdout=out)
    assert "Planned as of 2027-03-05: 5 due" in out.getvalue()
    assert "Sent 3 digest(s) with 5 reminder(s); 0 to retry, 0 failed" in out.getvalue()
    assert len(smtp_server.messages) == 3


def test_send_reminders_dry_run_records_and_sends_nothing(due_today, smtp_server):
    Reminder.objects.all().delete()
    out = io.StringIO()
    call_command("send_reminders", "--dry-run", "--today", TODAY.isoformat(), stdout=out)
    assert "Dry run as of 2027-03-05: 5 reminder(s) for 3 recipient(s)" in out.getvalue()
    assert not Reminder.objects.exists()
    assert smtp_server.messages == []


def test_send_reminders_refuses_a_bad_date(db):
    with pytest.raises(Exception, match="--today must be a date as YYYY-MM-DD"):
        call_command("send_reminders", "--today", "5 March")


def test_the_admin_retries_failed_reminders(
    due_today, smtp_server, login, superuser, django_capture_on_commit_callbacks
):
    smtp_server.answer("550 5.1.1 No such user")
    sweep()
    failed = Reminder.objects.filter(state=Reminder.State.FAILED)
    ids = list(failed.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks():
        response = login(superuser).post(
            reverse("admin:commitments_reminder_changelist"), {"action": "retry", "_selected_action": ids}, follow=True
        )
    assert f"{len(ids)} reminder(s) will be sent again shortly." in response.content.decode()
    sweep()
    assert not unsent().filter(pk__in=ids).exists()


def test_the_admins_retry_leaves_what_the_rules_no_longer_call_for(
    due_today, tenth, owner, owner2, smtp_server, login, superuser, django_capture_on_commit_callbacks
):
    """Superseded (a session moved), stale (a later one of the series was due) and cancelled (an owner change undone)
    reminders are decisions of the rules, not faults: a retry would send what is no longer so, beside what is. A
    withdrawn one (its recipient had left the group) is checked again when it is claimed, so it may be retried."""
    tenth.start_date = tenth.start_date + datetime.timedelta(days=1)  # the session moves: today's reminders go
    tenth.save()
    planning.plan(TODAY)
    superseded = set(Reminder.objects.filter(last_error__startswith=planning.SUPERSEDED).values_list("pk", flat=True))
    assert superseded
    sweep()
    recipients = [message["To"] for message in smtp_server.messages]
    assert len(recipients) == len(set(recipients)) >= 2  # each once, of the session's new date
    stale, cancelled, withdrawn = Reminder.objects.filter(state=Reminder.State.SENT)[:3]
    Reminder.objects.filter(pk=stale.pk).update(state=Reminder.State.SKIPPED, last_error=outbox.STALE)
    Reminder.objects.filter(pk=cancelled.pk).update(
        state=Reminder.State.SKIPPED, last_error="cancelled: the commitment changed owner again before it was announced"
    )
    Reminder.objects.filter(pk=withdrawn.pk).update(
        state=Reminder.State.SKIPPED, last_error=f"{delivery.WITHDRAWN}the recipient is no longer a member of the group"
    )
    ids = [*superseded, stale.pk, cancelled.pk, withdrawn.pk]
    with django_capture_on_commit_callbacks(execute=True):
        response = login(superuser).post(
            reverse("admin:commitments_reminder_changelist"), {"action": "retry", "_selected_action": ids}, follow=True
        )
    page = response.content.decode()
    assert "1 reminder(s) will be sent again shortly." in page
    assert (
        f"Left as they were: {len(ids) - 1} that the rules no longer call for (superseded, stale or cancelled). "
        "Only failed and withdrawn reminders are sent again." in page
    )
    assert Reminder.objects.get(pk=withdrawn.pk).state == Reminder.State.PENDING
    assert set(Reminder.objects.filter(pk__in=ids[:-1]).values_list("state", flat=True)) == {Reminder.State.SKIPPED}
    assert Reminder.objects.filter(pk__in=superseded, last_error__startswith=planning.SUPERSEDED).count() == len(
        superseded
    )


def test_a_retry_of_nothing_retryable_queues_nothing_and_says_so(
    due_today, smtp_server, login, superuser, django_capture_on_commit_callbacks
):
    sweep()
    ids = list(Reminder.objects.filter(state=Reminder.State.SENT).values_list("pk", flat=True))
    with django_capture_on_commit_callbacks() as callbacks:
        response = login(superuser).post(
            reverse("admin:commitments_reminder_changelist"), {"action": "retry", "_selected_action": ids}, follow=True
        )
    page = response.content.decode()
    assert "None of the selected reminders will be sent again." in page and "will be sent again shortly" not in page
    assert f"Left as they were: {len(ids)} sent already. Only failed and withdrawn reminders are sent again." in page
    assert "no longer call for" not in page  # a sent reminder was called for
    assert [c for c in callbacks if getattr(c, "func", None) is queueing.enqueue] == []
    assert set(Reminder.objects.filter(pk__in=ids).values_list("state", flat=True)) == {Reminder.State.SENT}


def test_a_retry_of_failed_and_pending_reminders_says_what_it_left(
    due_today, owner, owner2, login, superuser, django_capture_on_commit_callbacks
):
    failed = Reminder.objects.filter(recipient=owner, state=Reminder.State.PENDING).first()
    Reminder.objects.filter(pk=failed.pk).update(state=Reminder.State.FAILED, last_error="550 No such user")
    pending = Reminder.objects.filter(recipient=owner2, state=Reminder.State.PENDING).first()
    with django_capture_on_commit_callbacks(execute=False):
        response = login(superuser).post(
            reverse("admin:commitments_reminder_changelist"),
            {"action": "retry", "_selected_action": [failed.pk, pending.pk]},
            follow=True,
        )
    page = response.content.decode()
    assert "1 reminder(s) will be sent again shortly." in page
    assert "Left as they were: 1 still to be sent. Only failed and withdrawn reminders are sent again." in page
    assert set(Reminder.objects.filter(pk__in=[failed.pk, pending.pk]).values_list("state", flat=True)) == {
        Reminder.State.PENDING
    }


def test_the_outbox_lists_recipients_without_an_address(due_today, login, superuser, owner2):
    owner2.email = ""
    owner2.save()
    sweep()
    content = login(superuser).get(reverse("admin:commitments_reminder_changelist") + "?state=failed").content
    assert "⚠ none: cannot be reminded" in content.decode()


def test_mail_is_not_sent_for_commitments_of_a_cancelled_session(tenth, meeting, owner, smtp_server):
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=None)
    Reminder.objects.all().delete()  # the assignment notice
    planning.plan(TODAY)
    assert Reminder.objects.filter(state=Reminder.State.PENDING).count() == 1
    tenth.status = Meeting.Status.CANCELLED
    tenth.save()
    planning.plan(TODAY)
    sweep()
    assert smtp_server.messages == []
    assert mail.outbox == []
    assert Commitment.objects.count() == 1


# --- Only current members are reminded ------------------------------------------------------------


def test_someone_who_left_the_group_gets_nothing_of_it(due_today, smtp_server, owner, owner2, group):
    """Reminders planned while they were a member are withdrawn when they leave, and none are planned."""
    group.memberships.get(user=owner).delete()
    report = sweep()
    assert owner.email not in by_recipient(smtp_server)
    assert all(
        "Share intelligence on terrorist groups" not in str(m) for m in smtp_server.messages if m["To"] != owner2.email
    )
    assert report.digests == 2  # owner2 and the coordinator
    withdrawn = Reminder.objects.filter(recipient=owner)
    assert withdrawn.exists() and set(withdrawn.values_list("state", flat=True)) == {Reminder.State.SKIPPED}
    assert "no longer a member" in withdrawn.first().last_error

    planning.plan(TODAY + datetime.timedelta(days=1))
    assert not Reminder.objects.filter(recipient=owner, state=Reminder.State.PENDING).exists()


def test_someone_whose_account_was_closed_since_the_plan_gets_nothing(due_today, smtp_server, owner, owner2, group):
    """An account closed (a user no longer active, the directory's or by hand) between a plan and a send: the sender
    withdraws what was planned for them, and, reopened, they have it again with the next plan."""
    owner.is_active = False
    owner.save()
    report = sweep()
    assert owner.email not in by_recipient(smtp_server)
    assert report.withdrawn == scheduled_rows(owner, last_error__startswith=delivery.WITHDRAWN).count() > 0

    owner.is_active = True
    owner.save()
    assert planning.plan(TODAY).revived == report.withdrawn
    sweep()
    assert (
        "Share intelligence on terrorist groups"
        in by_recipient(smtp_server)[owner.email].get_body(("plain",)).get_content()
    )


def test_nothing_goes_out_for_a_working_group_made_inactive_since_the_plan(due_today, smtp_server, group):
    group.is_active = False
    group.save()
    report = sweep()
    assert smtp_server.messages == []
    withdrawn = Reminder.objects.filter(last_error__startswith=delivery.WITHDRAWN)
    assert report.withdrawn == withdrawn.count() > 0
    assert set(withdrawn.values_list("last_error", flat=True)) == {
        f"{delivery.WITHDRAWN}the working group is no longer active"
    }


def test_the_reminders_of_a_commitment_left_without_an_owner_since_the_plan_are_withdrawn(
    due_today, smtp_server, owner, coordinator
):
    commitment = due_today[0]
    commitment.owner = None
    commitment.save_versioned(commitment.version, user=coordinator)
    with time_machine.travel(NOW + QUIET + datetime.timedelta(seconds=1), tick=False):
        sweep()
    rows = scheduled_rows(owner, commitment=commitment).exclude(last_error=outbox.STALE)
    assert {(row.state, row.last_error) for row in rows} == {
        (Reminder.State.SKIPPED, f"{delivery.WITHDRAWN}the commitment was closed or changed owner since")
    }


def test_each_batch_withdraws_its_own_rows_as_it_is_sent(due_today, smtp_server, owner, owner2, group):
    """The check against memberships and commitments is made batch by batch, in the transaction of the claim:
    its cost follows what is sent, and each batch checks its rows as they are when it is sent."""
    now = timezone.now()
    delivery.prepare(now)
    first, second = delivery.batches(now, batch_size=1)[:2]
    assert (first, second) == ([owner.pk], [owner2.pk])
    group.memberships.filter(user__in=[owner, owner2]).delete()
    theirs = {user: list(Reminder.objects.filter(delivery.due(now), recipient=user)) for user in (owner, owner2)}

    report = delivery.send_to(first, now)
    assert report.digests == 0 and report.withdrawn == len(theirs[owner]) > 0
    for user, state in ((owner, Reminder.State.SKIPPED), (owner2, Reminder.State.PENDING)):
        assert {row.state for row in Reminder.objects.filter(pk__in=[row.pk for row in theirs[user]])} == {state}
    # A row withdrawn was not attempted, and no batch holds it.
    withdrawn = Reminder.objects.filter(pk__in=[row.pk for row in theirs[owner]])
    assert set(withdrawn.values_list("attempts", "claim_token", "claimed_at")) == {(0, None, None)}

    MembershipFactory(group=group, user=owner2)  # back before their batch is sent: their reminders go
    report = delivery.send_to(second, now)
    assert (report.digests, report.withdrawn) == (1, 0)
    assert set(by_recipient(smtp_server)) == {owner2.email}


# --- Withdrawn when sent, and called for again ----------------------------------------------------------------


def scheduled_rows(user, **about):
    return Reminder.objects.filter(recipient=user, reason__in=R.scheduled(), **about)


def test_someone_back_in_the_group_after_the_sender_withdrew_their_reminders_gets_them(
    due_today, smtp_server, owner, group
):
    """The sender may notice a change before any plan does (here: someone removed from the group between two plans
    of the day, whose inputs are then the same again). What it withdrew, the next plan makes pending again once the
    rules call for it, as it does what it superseded itself."""
    membership = group.memberships.get(user=owner)
    role = membership.role
    membership.delete()
    sweep()
    assert set(scheduled_rows(owner).values_list("state", flat=True)) == {Reminder.State.SKIPPED}
    withdrawn = scheduled_rows(owner, last_error__startswith=delivery.WITHDRAWN).count()
    assert owner.email not in by_recipient(smtp_server)

    MembershipFactory(group=group, user=owner, role=role)
    report = planning.plan(TODAY)
    assert report.revived == withdrawn > 0
    sweep()
    text = by_recipient(smtp_server)[owner.email].get_body(("plain",)).get_content()
    assert "Share intelligence on terrorist groups" in text and "Joint research on radicalization" in text
    assert scheduled_rows(owner, state=Reminder.State.SENT).count() == withdrawn


def test_a_commitment_handed_back_after_the_sender_withdrew_its_reminders_is_reminded_again(
    due_today, smtp_server, owner, owner2
):
    commitment = due_today[0]
    commitment.owner = owner2
    commitment.save_versioned(commitment.version)
    with time_machine.travel(NOW + QUIET + datetime.timedelta(seconds=1), tick=False):
        sweep()
    assert set(scheduled_rows(owner, commitment=commitment).values_list("state", flat=True)) == {Reminder.State.SKIPPED}
    commitment.owner = owner
    commitment.save_versioned(commitment.version)
    assert planning.plan(TODAY).revived > 0
    smtp_server.messages.clear()
    with time_machine.travel(NOW + 2 * QUIET + datetime.timedelta(seconds=2), tick=False):
        sweep()
    text = by_recipient(smtp_server)[owner.email].get_body(("plain",)).get_content()
    assert "Share intelligence on terrorist groups" in text
    assert "before the 10th meeting" in text.lower() or "10th meeting" in text


def test_a_reminder_counting_down_to_a_session_moved_since_its_plan_is_not_sent(due_today, smtp_server, tenth, owner2):
    """Between two plans, a send finds a reminder whose session has moved: it is withdrawn, not sent with its old
    countdown; the next plan plans the new date's, and moving the session back brings it back."""
    tenth.start_date = D + datetime.timedelta(days=40)
    tenth.save()
    sweep()
    assert owner2.email not in by_recipient(smtp_server)  # their only reminder counted down to the old date
    old = scheduled_rows(owner2, anchor_date=D).exclude(last_error=outbox.STALE).get()
    assert old.state == Reminder.State.SKIPPED
    assert old.last_error.startswith(delivery.WITHDRAWN) and "moved" in old.last_error

    tenth.start_date = D
    tenth.save()
    assert planning.plan(TODAY).revived >= 1
    sweep()
    assert "Joint training programmes" in by_recipient(smtp_server)[owner2.email].get_body(("plain",)).get_content()


@pytest.mark.parametrize("follow_up", [TODAY + datetime.timedelta(days=20), None], ids=["moved", "cleared"])
def test_a_reminder_of_a_follow_up_date_changed_since_its_plan_is_not_sent(due_today, smtp_server, owner, follow_up):
    commitment = due_today[0]  # overdue by three days: its overdue reminder is due today
    commitment.follow_up_date = follow_up
    commitment.save_versioned(commitment.version)
    sweep()
    overdue = scheduled_rows(owner, commitment=commitment, reason=R.OVERDUE).get()
    assert overdue.state == Reminder.State.SKIPPED
    assert overdue.last_error.startswith(delivery.WITHDRAWN)


def test_a_nudge_to_agree_a_date_already_agreed_since_its_plan_is_not_sent(group, meeting, coordinator, smtp_server):
    tba = MeetingFactory(group=group, number=10, status=Meeting.Status.PLANNED, start_date=None, end_date=None)
    day = datetime.date(2025, 10, 1) + datetime.timedelta(days=45)  # the 9th (the meeting fixture) ended 1 October
    with time_machine.travel(datetime.datetime.combine(day, datetime.time(10)), tick=False):
        planning.plan(day)
        nudge = Reminder.objects.get(reason=R.DATE_TO_BE_AGREED, state=Reminder.State.PENDING)
        tba.status, tba.start_date = Meeting.Status.SCHEDULED, day + datetime.timedelta(days=90)
        tba.save()
        sweep()
    nudge.refresh_from_db()
    assert nudge.state == Reminder.State.SKIPPED
    assert smtp_server.messages == []


def test_a_handover_notice_to_someone_who_left_is_withdrawn(meeting, owner, owner2, coordinator, group, smtp_server):
    commitment = CommitmentFactory(meeting=meeting, owner=owner, title="Joint research on radicalization")
    Reminder.objects.all().delete()
    group.memberships.get(user=owner).delete()  # posted out: then the coordinator hands their commitments over
    commitment.owner = owner2
    commitment.save_versioned(commitment.version, user=coordinator)
    with time_machine.travel(NOW + QUIET, tick=False):
        sweep()
    assert set(by_recipient(smtp_server)) == {owner2.email}


def assigned(meeting, owner, coordinator) -> Commitment:
    """A new commitment the coordinator gives `owner`: its notice is pending."""
    commitment = CommitmentFactory(meeting=meeting, owner=None, title="Joint research on radicalization")
    commitment.owner = owner
    commitment.save_versioned(commitment.version, user=coordinator)
    return commitment


def assigned_then_closed(meeting, owner, coordinator) -> Commitment:
    """A commitment given `owner` and dropped before they heard: the sending withdraws the notice."""
    commitment = assigned(meeting, owner, coordinator)
    commitment.status = Commitment.Status.DROPPED
    commitment.save_versioned(commitment.version, user=coordinator)
    return commitment


def assigned_by_the_coordinator_and_withdrawn(meeting, owner, coordinator, group) -> Commitment:
    """A commitment assigned to `owner`, who left the group before the notice went: the sender withdrew it."""
    commitment = assigned(meeting, owner, coordinator)
    group.memberships.get(user=owner).delete()
    with time_machine.travel(NOW + QUIET + datetime.timedelta(seconds=1), tick=False):
        assert sweep().withdrawn == 1
    return commitment


def notices(user, commitment):
    return Reminder.objects.filter(recipient=user, commitment=commitment, reason=R.ASSIGNED)


def test_an_assignment_withdrawn_while_its_owner_was_out_of_the_group_is_sent_when_they_are_back(
    meeting, owner, coordinator, group, smtp_server
):
    commitment = assigned_by_the_coordinator_and_withdrawn(meeting, owner, coordinator, group)
    assert smtp_server.messages == []

    MembershipFactory(group=group, user=owner)
    with time_machine.travel(NOW + 2 * QUIET, tick=False):
        assert planning.plan(TODAY).revived == 1
        sweep()
    text = by_recipient(smtp_server)[owner.email].get_body(("plain",)).get_content()
    assert "Joint research on radicalization" in text and "new: assigned to you" in text
    assert list(notices(owner, commitment).values_list("state", flat=True)) == [Reminder.State.SENT]


def test_a_withdrawn_assignment_no_longer_true_when_its_owner_is_back_stays_withdrawn(
    meeting, owner, owner2, coordinator, group, smtp_server
):
    """Handed to someone else meanwhile (and, for the second commitment, handed back: that new notice is the one
    that goes, once)."""
    commitment = assigned_by_the_coordinator_and_withdrawn(meeting, owner, coordinator, group)
    commitment.owner = owner2
    commitment.save_versioned(commitment.version, user=coordinator)
    MembershipFactory(group=group, user=owner)
    with time_machine.travel(NOW + 2 * QUIET, tick=False):
        assert planning.plan(TODAY).revived == 0
        sweep()
    assert owner.email not in by_recipient(smtp_server)  # never told it was theirs: not told it was taken off them
    assert notices(owner, commitment).get().state == Reminder.State.SKIPPED

    commitment.owner = owner
    commitment.save_versioned(commitment.version, user=coordinator)
    smtp_server.messages.clear()
    with time_machine.travel(NOW + 4 * QUIET, tick=False):
        planning.plan(TODAY)
        sweep()
    text = by_recipient(smtp_server)[owner.email].get_body(("plain",)).get_content()
    assert text.count("new: assigned to you") == 1
    assert sorted(notices(owner, commitment).values_list("state", flat=True)) == [
        Reminder.State.SENT,
        Reminder.State.SKIPPED,
    ]


def retry(login, superuser, ids) -> str:
    response = login(superuser).post(
        reverse("admin:commitments_reminder_changelist"), {"action": "retry", "_selected_action": ids}, follow=True
    )
    return response.content.decode()


def test_a_retry_does_not_send_again_a_notice_a_later_one_replaced(
    meeting, owner, owner2, coordinator, group, smtp_server, login, superuser, django_capture_on_commit_callbacks
):
    """The first notice failed (the server refused the address), the commitment was handed away and back (announced
    by the later notice): the first is not right to send, and a retry says so instead of sending the news again."""
    commitment = assigned(meeting, owner, coordinator)
    smtp_server.answer("550 5.1.1 No such user")
    with time_machine.travel(NOW + QUIET + datetime.timedelta(seconds=1), tick=False):
        assert sweep().failed == 1
    for step, new_owner in enumerate((owner2, owner), start=2):  # each announced before the next
        with time_machine.travel(NOW + step * QUIET, tick=False):
            commitment.owner = new_owner
            commitment.save_versioned(commitment.version, user=coordinator)
        with time_machine.travel(NOW + (step + 1) * QUIET, tick=False):
            sweep()
    with time_machine.travel(NOW + 4 * QUIET, tick=False):
        earlier, later = notices(owner, commitment).order_by("pk")
        assert (earlier.state, later.state) == (Reminder.State.FAILED, Reminder.State.SENT)
        smtp_server.messages.clear()
        with django_capture_on_commit_callbacks(execute=True):
            page = retry(login, superuser, [earlier.pk])
        sweep()
    assert smtp_server.messages == []
    assert "None of the selected reminders will be sent again." in page and "will be sent again shortly" not in page
    assert "Not sent again, no longer right to send: 1 (a later notice about the commitment replaced it)." in page
    earlier.refresh_from_db()
    assert earlier.state == Reminder.State.SKIPPED
    assert earlier.last_error == f"{delivery.WITHDRAWN}a later notice about the commitment replaced it"


def test_a_notice_withdrawn_unsent_is_cancelled_when_the_commitment_is_handed_on_and_a_retry_leaves_it(
    meeting, owner, owner2, coordinator, group, smtp_server, login, superuser, django_capture_on_commit_callbacks
):
    commitment = assigned_by_the_coordinator_and_withdrawn(meeting, owner, coordinator, group)
    MembershipFactory(group=group, user=owner)
    for step, new_owner in enumerate((owner2, owner), start=2):
        with time_machine.travel(NOW + step * QUIET, tick=False):
            commitment.owner = new_owner
            commitment.save_versioned(commitment.version, user=coordinator)
        with time_machine.travel(NOW + (step + 1) * QUIET, tick=False):
            sweep()
    earlier, later = notices(owner, commitment).order_by("pk")
    assert (earlier.state, earlier.last_error) == (Reminder.State.SKIPPED, planning.CHANGED_AGAIN)
    assert later.state == Reminder.State.SENT
    assert [m["To"] for m in smtp_server.messages].count(owner.email) == 1  # the later notice; no handover
    smtp_server.messages.clear()
    with time_machine.travel(NOW + 4 * QUIET, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            page = retry(login, superuser, [earlier.pk])
        sweep()
    assert (
        "None of the selected reminders will be sent again." in page
        and "will be sent again shortly" not in page
        and "1 that the rules no longer call for" in page
    )
    assert smtp_server.messages == []


def test_a_retry_of_reminders_still_not_right_to_send_says_why_as_of_now(
    due_today, smtp_server, owner, group, login, superuser, django_capture_on_commit_callbacks
):
    """Withdrawn when its recipient was out of the group; by the retry, the group was made inactive too: the retry
    leaves it, with the reason of now, and says so."""
    group.memberships.get(user=owner).delete()
    sweep()
    withdrawn = list(scheduled_rows(owner, last_error__startswith=delivery.WITHDRAWN).values_list("pk", flat=True))
    assert withdrawn
    group.is_active = False
    group.save()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        page = retry(login, superuser, withdrawn)
    assert "None of the selected reminders will be sent again." in page and "will be sent again shortly" not in page
    assert f"Not sent again, no longer right to send: {len(withdrawn)} (the working group is no longer active)." in page
    assert [c for c in callbacks if getattr(c, "func", None) is queueing.enqueue] == []
    assert set(Reminder.objects.filter(pk__in=withdrawn).values_list("state", "last_error")) == {
        (Reminder.State.SKIPPED, f"{delivery.WITHDRAWN}the working group is no longer active")
    }


def test_a_retry_leaving_reminders_for_several_reasons_counts_each(
    due_today, smtp_server, owner, owner2, group, login, superuser, django_capture_on_commit_callbacks
):
    group.memberships.get(user=owner).delete()
    due_today[2].change_status(Commitment.Status.DONE, user=owner2)
    sweep()
    withdrawn = Reminder.objects.filter(last_error__startswith=delivery.WITHDRAWN)
    left = withdrawn.filter(recipient=owner).count()
    assert left > 0 and withdrawn.filter(recipient=owner2).count() == 1
    smtp_server.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        page = retry(login, superuser, list(withdrawn.values_list("pk", flat=True)))
    sweep()
    assert (
        f"Not sent again, no longer right to send: {left + 1} (the commitment was closed or changed owner since: 1; "
        f"the recipient is no longer a member of the working group: {left})." in page
    )
    assert smtp_server.messages == []


def test_an_assignment_withdrawn_because_the_commitment_closed_is_sent_if_it_is_reopened(
    meeting, owner, coordinator, smtp_server
):
    commitment = assigned_then_closed(meeting, owner, coordinator)
    with time_machine.travel(NOW + QUIET + datetime.timedelta(seconds=1), tick=False):
        assert sweep().withdrawn == 1
        assert planning.plan(TODAY).revived == 0  # still closed
    commitment.status = Commitment.Status.OPEN
    commitment.save_versioned(commitment.version, user=coordinator)
    with time_machine.travel(NOW + 2 * QUIET, tick=False):
        assert planning.plan(TODAY).revived == 1
        sweep()
    assert "new: assigned to you" in by_recipient(smtp_server)[owner.email].get_body(("plain",)).get_content()


def test_an_owner_given_a_closed_commitment_is_told_once_it_is_reopened_and_one_who_never_heard_hears_nothing(
    meeting, owner, owner2, coordinator, smtp_server
):
    """Given to owner, closed before they heard (withdrawn), given to owner2 while closed, then reopened: owner2 is
    told it is theirs; owner, who never heard it was theirs, is not told it was taken off them."""
    commitment = assigned_then_closed(meeting, owner, coordinator)
    with time_machine.travel(NOW + QUIET + datetime.timedelta(seconds=1), tick=False):
        assert sweep().withdrawn == 1
        commitment.owner = owner2
        commitment.save_versioned(commitment.version, user=coordinator)
    with time_machine.travel(NOW + 3 * QUIET, tick=False):
        sweep()
        assert smtp_server.messages == []  # closed: not announced
        commitment.status = Commitment.Status.OPEN
        commitment.save_versioned(commitment.version, user=coordinator)
        planning.plan(TODAY)
        sweep()
    assert set(by_recipient(smtp_server)) == {owner2.email}
    text = by_recipient(smtp_server)[owner2.email].get_body(("plain",)).get_content()
    assert "Joint research on radicalization" in text and "new: assigned to you" in text


def test_someone_told_a_commitment_was_theirs_is_told_when_it_is_handed_on(
    meeting, owner, owner2, coordinator, smtp_server
):
    commitment = assigned(meeting, owner, coordinator)
    with time_machine.travel(NOW + QUIET + datetime.timedelta(seconds=1), tick=False):
        sweep()
        commitment.owner = owner2
        commitment.save_versioned(commitment.version, user=coordinator)
    smtp_server.messages.clear()
    with time_machine.travel(NOW + 3 * QUIET, tick=False):
        sweep()
    assert set(by_recipient(smtp_server)) == {owner.email, owner2.email}


def test_a_coordinator_who_stepped_down_gets_no_summary(due_today, smtp_server, coordinator, group):
    membership = group.memberships.get(user=coordinator)
    membership.role = "member"
    membership.save()
    sweep()
    assert coordinator.email not in by_recipient(smtp_server)
    summary = scheduled_rows(coordinator, reason=R.SESSION_SUMMARY).exclude(last_error=outbox.STALE).get()
    assert summary.last_error == f"{delivery.WITHDRAWN}the recipient no longer coordinates the working group"


def test_the_summary_names_commitments_whose_owner_left(due_today, smtp_server, coordinator, owner2, group):
    group.memberships.get(user=owner2).delete()
    Reminder.objects.all().delete()
    planning.plan(TODAY)
    sweep()
    message = by_recipient(smtp_server)[coordinator.email]
    text = message.get_body(("plain",)).get_content()
    left = text[text.index("Owner not in the group (1):") :]
    assert "Joint training programmes" in left.splitlines()[1]
    html = message.get_body(("html",)).get_content()
    assert "Owner not in the group (1)" in html


def test_subjects_are_plain_text(meeting, owner, group, smtp_server):
    group.short_name = "Trade & Investment <JWG>"
    group.save()
    Reminder.objects.all().delete()
    CommitmentFactory(meeting=meeting, owner=owner, title="Ports & customs")
    with time_machine.travel(NOW.replace(hour=10), tick=False):
        sweep()
    [message] = smtp_server.messages
    assert message["Subject"].startswith("[Trade & Investment <JWG>] ")
    assert "Ports &amp; customs" in message.get_body(("html",)).get_content()  # bodies stay escaped


def test_every_digest_meets_the_mail_standards(due_today, smtp_server, owner):
    sweep()
    message = by_recipient(smtp_server)[owner.email]
    for part in message.walk():
        assert part.defects == [], part.get_content_type()
    subject = str(message["Subject"])
    assert subject == subject.strip()  # not folded right after "Subject:"
    assert message["Date"].datetime.utcoffset() == datetime.timedelta(hours=5, minutes=30)  # TIME_ZONE's offset
    assert message["Auto-Submitted"] == "auto-generated"  # no out-of-office replies
    assert message["X-Auto-Response-Suppress"] == "All"
    html = message.get_body(("html",)).get_content()
    assert f"<title>{subject}</title>" in html
    (calendar,) = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert calendar.get_param("method") == "PUBLISH"
    assert calendar.get_filename() == "meeting-10.ics"
    assert "METHOD:PUBLISH" in calendar.get_content()
    import vobject  # a reader other than the library that wrote it

    event = vobject.readOne(calendar.get_content()).vevent
    assert (event.dtstart.value, event.summary.value) == (D, "10th meeting of the " + owner.working_groups.get().name)


def test_a_sweep_that_outlasts_the_claim_timeout_keeps_the_claims_it_makes_late(
    due_today, smtp_server, settings, monkeypatch
):
    """A claim is dated when it is made, not when the sweep began: a second worker starting while the first is
    still sending (its first batch was slow) takes back none of the first worker's fresh claims."""
    later = time_machine.travel(NOW + datetime.timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT + 1), tick=False)
    built = []
    build_digest = delivery.build_digest

    def slowly(*args):
        built.append(args[0])
        if len(built) == 1:
            later.start()  # the first batch took longer than the claim timeout
        elif len(built) == 2:
            delivery.send_due(timezone.now(), batch_size=1)  # another worker's sweep, mid-way through the second batch
        return build_digest(*args)

    monkeypatch.setattr(delivery, "build_digest", slowly)
    try:
        report = delivery.send_due(NOW, batch_size=1)
    finally:
        later.stop()
    assert report.recovered == 0
    assert sorted(by_recipient(smtp_server)) == sorted(message["To"] for message in smtp_server.messages)  # once each
    assert len(smtp_server.messages) == 3


def test_reminders_the_plan_no_longer_calls_for_say_what_may_have_changed(due_today, owner, group):
    owner.is_active = False
    owner.save()
    planning.plan(TODAY)
    superseded = scheduled_rows(owner, state=Reminder.State.SKIPPED, last_error__startswith=planning.SUPERSEDED)
    assert superseded.exists()
    assert "their account was closed" in superseded.first().last_error

    group.is_active = False
    group.save()
    assert planning.plan(TODAY).superseded > 0
    inactive = Reminder.objects.exclude(recipient=owner).filter(last_error__startswith=planning.SUPERSEDED)
    assert set(inactive.values_list("last_error", flat=True)) == {
        f"{planning.SUPERSEDED}the working group is no longer active"
    }
