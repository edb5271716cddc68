"""The outbox writer's SQL of its own (COPY on PostgreSQL, one executemany on SQLite) against the ORM's bulk_create:
the same rows, the same count, and rows already there left as they are."""

import datetime

import pytest
from django.db import IntegrityError, connection
from django.utils import timezone

from commitments.models import NotificationPreference, Reminder
from commitments.reminders import outbox, planning
from tests.factories import CommitmentFactory, MeetingFactory, MembershipFactory, UserFactory

D = datetime.date(2027, 3, 12)
DAY = datetime.timedelta(days=1)
TODAY = D - 7 * DAY
COLUMNS = [
    "recipient_id", "reason", "commitment_id", "meeting_id", "anchor_date", "lead_days", "planned_for", "state",
    "attempts", "last_error", "message_id", "sent_at", "claim_token", "claimed_at", "next_attempt_at",
]  # fmt: skip


@pytest.fixture
def due(tenth, meeting, group, coordinator):
    """Every kind of planned reminder: current and stale, about commitments and about the session."""
    for n in range(30):
        owner = UserFactory(username=f"desk{n}")
        MembershipFactory(group=group, user=owner)
        if n % 7 == 0:
            NotificationPreference.objects.create(user=owner, overdue=False)
        follow_up = None if n % 5 == 0 else TODAY + (n - 15) * 3 * DAY
        CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=follow_up)
    Reminder.objects.all().delete()  # the assignment notices: not planning's
    planned = list(planning.due_reminders(TODAY))
    assert {p.stale for p in planned} == {True, False}
    assert {p.reason for p in planned} >= {"pre_session", "session_summary", "due_soon", "overdue"}
    return planned


def known_rows() -> float:
    """How many rows the planner believes the outbox holds (-1 or 0 before its first analysis)."""
    with connection.cursor() as cursor:
        cursor.execute(outbox.SIZE, [outbox.TABLE])
        return cursor.fetchone()[0]


def rows() -> list[tuple]:
    return sorted(Reminder.objects.values_list(*COLUMNS), key=repr)


def test_the_sql_writer_writes_what_the_orm_writes(due):
    started = timezone.now()
    assert outbox.insert(iter(due)) == len(due)  # a generator is enough
    written = rows()
    assert Reminder.objects.filter(created_at__lt=started).count() == 0
    Reminder.objects.all().delete()
    assert outbox.insert_with_orm(due) == len(due)
    assert rows() == written
    assert len(written) == len(due)


def test_rows_already_in_the_outbox_are_left_as_they_are(due):
    outbox.insert(due[:10])
    first = Reminder.objects.order_by("pk").first()
    first.state, first.sent_at, first.message_id = Reminder.State.SENT, timezone.now(), "<sent@example.org>"
    first.save()
    before = {row.pk: (row.state, row.message_id) for row in Reminder.objects.all()}
    assert outbox.insert(due) == len(due) - 10
    assert outbox.insert(due) == 0
    after = {row.pk: (row.state, row.message_id) for row in Reminder.objects.filter(pk__in=before)}
    assert after == before
    assert outbox.insert_with_orm(due) == 0


def test_nothing_is_written_when_a_row_breaks_a_rule(due, meeting):
    broken = planning.Planned(due[0].recipient_id, "no such reason", TODAY, 0, commitment_id=due[0].commitment_id)
    with pytest.raises(IntegrityError):
        outbox.insert([*due, broken])
    assert Reminder.objects.count() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner's statistics: PostgreSQL")
def test_a_large_addition_gives_the_planner_the_outboxs_new_size_at_once(
    due, monkeypatch, django_capture_on_commit_callbacks
):
    """Without it the sending's batches were planned for an outbox of a few rows and read every pending row of the
    day, each batch, until autovacuum came by."""

    monkeypatch.setattr(outbox, "ANALYZE_AFTER", len(due) // 2)
    before = known_rows()  # none (-1) in a new database; what an earlier test's analysis left, if any
    with django_capture_on_commit_callbacks(execute=True):
        outbox.added(outbox.insert(due[:5]))  # a few: left to autovacuum
    assert known_rows() == before
    with django_capture_on_commit_callbacks(execute=True):
        outbox.added(outbox.insert(due))
    assert known_rows() == Reminder.objects.count() == len(due)
    with connection.cursor() as cursor:  # what the planner learnt: every row pending or skipped as stale
        cursor.execute(
            "SELECT most_common_vals::text FROM pg_stats WHERE tablename = %s AND attname = 'state'", [outbox.TABLE]
        )
        assert set(cursor.fetchone()[0].strip("{}").split(",")) == {"pending", "skipped"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner's statistics: PostgreSQL")
def test_a_plan_of_many_small_groups_gives_the_planner_the_outboxs_new_size(
    due, other_group, monkeypatch, django_capture_on_commit_callbacks
):
    """A plan writes group by group: a first plan of the day over many groups, each adding fewer rows than
    ANALYZE_AFTER, left the planner an outbox of a few rows, and the query of the due recipients then ran for
    minutes (an anti-join planned as a loop over every pending row for each)."""
    tenth = MeetingFactory(group=other_group, number=10, status="scheduled", start_date=D, end_date=None)
    for n in range(30):
        owner = UserFactory(username=f"analyst{n}")
        MembershipFactory(group=other_group, user=owner)
        CommitmentFactory(meeting=tenth, owner=owner, follow_up_date=TODAY + (n - 15) * DAY)
    Reminder.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        outbox.added(outbox.insert(due[:5]))  # a few: left to autovacuum
    Reminder.objects.all().delete()
    other = len(list(planning.due_reminders(TODAY))) - len(due)
    monkeypatch.setattr(outbox, "ANALYZE_AFTER", max(len(due), other) + 1)
    added_by_group = []
    insert = outbox.insert
    monkeypatch.setattr(outbox, "insert", lambda rows: added_by_group.append(insert(rows)) or added_by_group[-1])
    with django_capture_on_commit_callbacks(execute=True):
        report = planning.plan(TODAY)
    assert len(added_by_group) == 2 and report.added == sum(added_by_group)
    assert max(added_by_group) < outbox.ANALYZE_AFTER <= report.added  # each group below, the plan above
    assert known_rows() == Reminder.objects.count() == report.added
