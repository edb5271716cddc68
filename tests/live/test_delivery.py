"""Reminders delivered by a real worker to a real SMTP server: once, after retries, despite a crash."""

import re
import time
from collections import Counter

from commitments.models import Commitment, Reminder
from commitments.reminders import planning
from commitments.reminders.tasks import sweep_reminders
from meetings.models import Meeting, Membership, WorkingGroup
from tests.factories import CommitmentFactory, MeetingFactory, MembershipFactory, UserFactory, WorkingGroupFactory
from tests.live.conftest import BATCH_SIZE, CLAIM_TIMEOUT, QUIET_PERIOD, wait_for

RECOVERY_INTERVAL = 2  # seconds between beat's runs of send_reminders, here


def expected_recipients() -> set[str]:
    """Owners of open commitments of the JWG-CT, and its coordinators (their summary)."""
    group = WorkingGroup.objects.get(slug="india-uzbekistan-jwg-ct")
    owners = Commitment.objects.of_group(group).open().exclude(owner=None).values_list("owner__email", flat=True)
    return set(owners) | set(group.coordinators.values_list("email", flat=True))


def received(smtp) -> Counter:
    return Counter(message["To"] for message in smtp.messages)


def report(name: str, expected: set, got: Counter) -> None:
    duplicates = sum(count - 1 for count in got.values() if count > 1)
    print(f"\n{name}: digests expected {len(expected)}, received {sum(got.values())}, duplicates {duplicates}")
    for email in sorted(address for address, count in got.items() if count > 1):  # what the outbox says of them
        print(email, list(Reminder.objects.filter(recipient__email=email).values_list("state", "last_error")))


def test_one_digest_per_owner_and_a_second_sweep_sends_nothing(session_in_a_week, workers, smtp_live):
    workers()
    expected = expected_recipients()
    sweep_reminders.delay()
    wait_for(lambda: set(received(smtp_live)) == expected, what="a digest for every owner")

    for message in smtp_live.messages:
        text = " ".join(message.get_body(("plain",)).get_content().split())  # long titles wrap
        owned = Commitment.objects.open().filter(
            owner__email=message["To"], meeting__group__slug="india-uzbekistan-jwg-ct"
        )
        for title in owned.values_list("title", flat=True):
            assert title in text
    sweep_reminders.delay()
    time.sleep(5)
    got = received(smtp_live)
    report("one digest per owner, swept twice", expected, got)
    assert set(got.values()) == {1}
    assert not Reminder.objects.filter(state__in=[Reminder.State.PENDING, Reminder.State.SENDING]).exists()


def test_a_temporary_failure_is_delivered_after_a_retry(session_in_a_week, workers, smtp_live):
    smtp_live.answer("451 4.3.0 Mailbox busy, try again later")
    workers()
    expected = expected_recipients()
    sweep_reminders.delay()
    wait_for(lambda: set(received(smtp_live)) == expected, what="every digest, the refused one retried")
    retried = Reminder.objects.filter(state=Reminder.State.SENT, attempts=2)
    # The server accepts a batch's digests before the worker records them: wait for the record too.
    wait_for(retried.exists, what="the retried digest recorded as sent")
    assert "451" not in retried.first().last_error  # cleared once it went through
    report("451 then 250", expected, received(smtp_live))
    assert set(received(smtp_live).values()) == {1}


def test_a_permanent_failure_is_marked_failed(session_in_a_week, workers, smtp_live):
    smtp_live.answer("550 5.1.1 Mailbox unavailable")
    workers()
    expected = expected_recipients()
    sweep_reminders.delay()
    wait_for(lambda: len(received(smtp_live)) == len(expected) - 1, what="every other digest")
    wait_for(lambda: Reminder.objects.filter(state=Reminder.State.FAILED).exists(), what="the failure recorded")
    failed = Reminder.objects.filter(state=Reminder.State.FAILED).first()
    assert "550" in failed.last_error
    assert failed.recipient.email not in received(smtp_live)


def test_a_worker_killed_mid_batch_loses_nothing(session_in_a_week, workers, smtp_live):
    smtp_live.handler.delay = 0.7  # a slow server, so the kill lands in the middle of the batch
    expected = expected_recipients()
    first = workers("first")
    sweep_reminders.delay()
    wait_for(lambda: len(smtp_live.messages) >= 1, what="the first digest")
    first.kill()
    in_flight = Reminder.objects.filter(state=Reminder.State.SENDING).count()
    assert in_flight > 0, "the worker should have died with claimed rows"

    smtp_live.handler.delay = 0
    time.sleep(CLAIM_TIMEOUT + 1)  # the claims of the dead worker expire
    workers("second")
    sweep_reminders.delay()
    wait_for(lambda: set(received(smtp_live)) == expected, what="every digest after the restart")
    wait_for(lambda: not Reminder.objects.filter(state__in=["pending", "sending"]).exists(), what="an empty outbox")
    got = received(smtp_live)
    report("SIGKILL mid-batch, restarted", expected, got)
    # The guarantee: only digests the server accepted before their batch was recorded may go out
    # twice, at most one batch of them; the first worker died in its first batch.
    assert sum(count - 1 for count in got.values()) <= BATCH_SIZE


def test_what_a_killed_worker_claimed_is_sent_by_beat_within_the_claim_timeout_and_one_interval(
    session_in_a_week, workers, smtp_live
):
    smtp_live.handler.delay = 0.7
    expected = expected_recipients()
    first = workers("first")
    sweep_reminders.delay()
    wait_for(lambda: len(smtp_live.messages) >= 1, what="the first digest")
    first.kill()
    assert Reminder.objects.filter(state=Reminder.State.SENDING).exists()
    killed_at = time.monotonic()

    smtp_live.handler.delay = 0
    workers("second", beat=True, REMINDER_RECOVERY_SECONDS=str(RECOVERY_INTERVAL))  # no sweep asked for: beat's
    bound = CLAIM_TIMEOUT + RECOVERY_INTERVAL + 30  # plus the worker's start and the sending
    wait_for(lambda: set(received(smtp_live)) == expected, timeout=bound, what="every digest, sent by beat")
    got = received(smtp_live)
    report("SIGKILL mid-batch, beat's recovery", expected, got)
    print(f"every digest {time.monotonic() - killed_at:.1f} s after the kill")
    assert sum(count - 1 for count in got.values()) <= BATCH_SIZE


def test_two_workers_sweeping_at_once_send_each_reminder_once(session_in_a_week, workers, smtp_live):
    group = WorkingGroup.objects.get(slug="india-uzbekistan-jwg-ct")
    ninth = group.meetings.get(number=9)
    for n in range(40):
        user = UserFactory(username=f"desk{n}")
        MembershipFactory(group=group, user=user, role=Membership.Role.MEMBER)
        CommitmentFactory(meeting=ninth, owner=user, follow_up_date=None)
    Reminder.objects.all().delete()
    sweep_on_two_workers(workers, smtp_live, expected_recipients(), sweeps=2, name="two workers at once")


def sweep_on_two_workers(workers, smtp, expected: set, sweeps: int, name: str) -> tuple:
    """Start two workers, sweep, and check that every expected recipient got one digest; the two workers."""
    smtp.handler.delay = 0.05
    started = workers("one"), workers("two")
    for _ in range(sweeps):
        sweep_reminders.delay()
    wait_for(lambda: set(received(smtp)) == expected, timeout=120, what="every digest")
    time.sleep(3)
    got = received(smtp)
    report(name, expected, got)
    assert set(got.values()) == {1}
    return started


def test_a_sweep_is_shared_by_two_workers_and_sends_each_digest_once(session_in_a_week, workers, smtp_live):
    """The sweep fans out: a planning task per working group, then a sending task per batch; both workers take
    part, and every owner and coordinator of every group gets one digest."""
    expected = expected_recipients()
    for g in range(3):
        group = WorkingGroupFactory()
        MeetingFactory(group=group, number=1)
        session = MeetingFactory(
            group=group, number=2, status=Meeting.Status.SCHEDULED, start_date=session_in_a_week, end_date=None
        )
        coordinator = UserFactory(username=f"coordinator{g}")
        MembershipFactory(group=group, user=coordinator, role=Membership.Role.COORDINATOR)
        expected.add(coordinator.email)
        for n in range(10):
            owner = UserFactory(username=f"desk{g}-{n}")
            MembershipFactory(group=group, user=owner)
            CommitmentFactory(meeting=session, owner=owner, follow_up_date=None)
            expected.add(owner.email)
    Reminder.objects.all().delete()  # the assignment notices
    one, two = sweep_on_two_workers(workers, smtp_live, expected, sweeps=1, name="a sweep shared by two workers")
    for worker in (one, two):
        log = worker.output()
        print(worker.name, {task: log.count(f"{task}[") for task in ("plan_reminders", "send_batch")})
        assert re.search(r"tasks\.send_batch\[[^]]+\] succeeded", log), f"worker {worker.name} sent no batch"
    planned = " ".join(worker.output() for worker in (one, two))  # a task per group, the demo's two and these three
    assert len(re.findall(r"tasks\.plan_reminders\[[^]]+\] succeeded", planned)) == 5


def test_owner_changes_entered_in_a_row_reach_each_owner_in_one_message(
    session_in_a_week, workers, smtp_live, settings
):
    """The send task each change enqueues runs after the quiet period; only the last one finds the notices due. It
    plans the commitments' group first: the reminder before the session, due today for the commitments just handed
    over, comes in the same message, not at the next hourly sweep."""
    settings.REMINDER_QUIET_PERIOD = QUIET_PERIOD  # the countdown of the tasks this process enqueues
    group = WorkingGroup.objects.get(slug="india-uzbekistan-jwg-ct")
    ninth = group.meetings.get(number=9)
    coordinator = group.coordinators.first()
    desks = [UserFactory(username=f"desk{n}") for n in range(2)]
    for user in desks:
        MembershipFactory(group=group, user=user, role=Membership.Role.MEMBER)
    commitments = [CommitmentFactory(meeting=ninth, owner=None, title=f"Commitment {n}") for n in range(10)]
    planning.plan(session_in_a_week)  # the hour's sweep, before the changes
    workers()
    for n, commitment in enumerate(commitments):
        commitment.owner = desks[n % 2]
        commitment.save_versioned(commitment.version, user=coordinator)
    wait_for(lambda: len(smtp_live.messages) >= 2, what="the notices")
    time.sleep(QUIET_PERIOD + 3)  # every task enqueued has run
    got = received(smtp_live)  # the others' reminders of the day went too, as the sending found them due
    report("ten owner changes in a row", {user.email for user in desks}, got)
    assert {user.email: got[user.email] for user in desks} == {desks[0].email: 1, desks[1].email: 1}
    assert set(got.values()) == {1}
    for message in (message for message in smtp_live.messages if message["To"] in {u.email for u in desks}):
        text = message.get_body(("plain",)).get_content()
        assert text.count("new: assigned to you") == 5 and text.count("before the 10th meeting") == 5, text
