"""The reminder rules over a table of days, and the planning that records them in the outbox."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from commitments.models import Commitment, NotificationPreference, Reminder, ReminderPlan
from commitments.reminders import delivery, planning
from meetings.models import Meeting
from tests.factories import CommitmentFactory, MeetingFactory, MembershipFactory

D = datetime.date(2027, 3, 12)  # the 10th meeting, in New Delhi
F = datetime.date(2027, 1, 15)  # a follow-up date
DAY = datetime.timedelta(days=1)
R = Reminder.Reason


# --- The pure rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "current", "stale"),
    [
        (D - 31 * DAY, None, []),
        (D - 30 * DAY, 30, []),
        (D - 29 * DAY, 30, []),  # a missed day-30 reminder is still sent late
        (D - 14 * DAY, 14, [30]),
        (D - 8 * DAY, 14, [30]),
        (D - 7 * DAY, 7, [30, 14]),
        (D - 1 * DAY, 1, [30, 14, 7]),
        (D, 1, [30, 14, 7]),  # the day of the session: the last one still goes out
        (D + 1 * DAY, None, []),  # after it began: nothing
    ],
)
def test_pre_session_reminders_at_each_lead_day(today, current, stale):
    got_current, got_stale = planning.current_and_stale(planning.pre_session_points(D, [30, 14, 7, 1], today))
    assert (got_current[1] if got_current else None) == current
    assert [lead for _, lead in got_stale] == stale


@pytest.mark.parametrize(
    ("today", "current"),
    [
        (F - 8 * DAY, None),
        (F - 7 * DAY, (R.DUE_SOON, 7)),
        (F - 2 * DAY, (R.DUE_SOON, 7)),
        (F - 1 * DAY, (R.DUE_SOON, 1)),
        (F, (R.DUE_SOON, 1)),
        (F + 1 * DAY, (R.OVERDUE, -1)),
        (F + 7 * DAY, (R.OVERDUE, -1)),
        (F + 8 * DAY, (R.OVERDUE, -8)),
        (F + 15 * DAY, (R.OVERDUE, -15)),
        (F + 20 * DAY, (R.OVERDUE, -15)),
    ],
)
def test_follow_up_reminders_before_and_after_the_date(today, current):
    got_current, _ = planning.current_and_stale(planning.follow_up_points(F, today))
    assert got_current == current


def test_the_date_nudge_comes_every_30_days_after_the_last_session():
    last = datetime.date(2025, 10, 1)
    assert planning.date_tba_points(last, last + 29 * DAY, 30) == []
    assert planning.date_tba_points(last, last + 30 * DAY, 30) == [(R.DATE_TO_BE_AGREED, -30)]
    assert planning.date_tba_points(last, last + 61 * DAY, 30)[-1] == (R.DATE_TO_BE_AGREED, -60)


# --- Planning against the database ------------------------------------------------------------------


@pytest.fixture
def tenth(group):
    return MeetingFactory(
        group=group, number=10, host_country="IN", status=Meeting.Status.SCHEDULED, start_date=D, end_date=D + DAY
    )


def plan_on(day: datetime.date) -> planning.PlanReport:
    with time_machine.travel(datetime.datetime.combine(day, datetime.time(10)), tick=False):
        return planning.plan(day)


def outbox(state=Reminder.State.PENDING) -> set[tuple]:
    """The scheduled reminders in a state (assignment notices, which follow events, left out)."""
    rows = Reminder.objects.filter(state=state, reason__in=R.scheduled())
    return set(rows.values_list("recipient__username", "reason", "lead_days"))


def test_owners_and_coordinators_are_reminded_before_the_session(tenth, meeting, owner, coordinator):
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=None)
    plan_on(D - 7 * DAY)
    assert outbox() == {("owner", R.PRE_SESSION, 7), ("coordinator", R.SESSION_SUMMARY, 7)}
    assert outbox(Reminder.State.SKIPPED) == {
        ("owner", R.PRE_SESSION, 30),
        ("owner", R.PRE_SESSION, 14),
        ("coordinator", R.SESSION_SUMMARY, 30),
        ("coordinator", R.SESSION_SUMMARY, 14),
    }


def test_planning_twice_plans_nothing_new(tenth, meeting, owner, coordinator):
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=D - 3 * DAY)
    plan_on(D - 7 * DAY)
    count = Reminder.objects.count()
    report = plan_on(D - 7 * DAY)
    assert Reminder.objects.count() == count
    assert report.superseded == 0


def test_the_day_before_and_after_a_lead_day(tenth, meeting, owner):
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=None)
    plan_on(D - 15 * DAY)
    assert outbox() == {("owner", R.PRE_SESSION, 30)}
    plan_on(D - 14 * DAY)
    assert outbox() == {("owner", R.PRE_SESSION, 14)}
    assert ("owner", R.PRE_SESSION, 30) in outbox(Reminder.State.SKIPPED)  # superseded before it went out
    plan_on(D - 13 * DAY)
    assert outbox() == {("owner", R.PRE_SESSION, 14)}


def test_a_session_whose_date_is_to_be_agreed_reminds_no_owner(group, meeting, owner, coordinator):
    MeetingFactory(group=group, number=10, status=Meeting.Status.PLANNED, start_date=None, end_date=None)
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=None)
    plan_on(datetime.date(2025, 10, 1) + 45 * DAY)  # the 9th (the meeting fixture) ended 1 October 2025
    assert outbox() == {("coordinator", R.DATE_TO_BE_AGREED, -30)}


def test_reminders_follow_a_moved_session(tenth, meeting, owner):
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=None)
    plan_on(D - 7 * DAY)
    tenth.start_date, tenth.end_date = D + 7 * DAY, None
    tenth.save()
    plan_on(D - 7 * DAY)
    pending = Reminder.objects.get(state=Reminder.State.PENDING, reason=R.PRE_SESSION)
    assert (pending.anchor_date, pending.lead_days) == (D + 7 * DAY, 14)
    old = Reminder.objects.get(anchor_date=D, lead_days=7)
    assert old.state == Reminder.State.SKIPPED
    assert "superseded" in old.last_error


def test_a_session_moved_and_moved_back_before_its_reminders_went_reminds_as_before(tenth, meeting, owner):
    """A superseded reminder that the rules call for again goes out: its row, which holds its place in the outbox,
    is pending again (a new one of the same reminder would be refused as already planned)."""
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=None)
    plan_on(D - 7 * DAY)
    tenth.start_date, tenth.end_date = D + 7 * DAY, None
    tenth.save()
    plan_on(D - 7 * DAY)
    assert ("owner", R.PRE_SESSION, 7) in outbox(Reminder.State.SKIPPED)
    tenth.start_date = D
    tenth.save()
    report = plan_on(D - 7 * DAY)
    assert ("owner", R.PRE_SESSION, 7) in outbox()
    assert Reminder.objects.get(anchor_date=D, lead_days=7, recipient=owner).last_error == ""
    assert report.revived >= 1


def test_someone_who_left_the_group_and_came_back_before_the_reminder_went_is_reminded(tenth, meeting, owner, group):
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=None)
    plan_on(D - 7 * DAY)
    membership = owner.memberships.get(group=group)
    role = membership.role
    membership.delete()
    plan_on(D - 7 * DAY)
    assert ("owner", R.PRE_SESSION, 7) in outbox(Reminder.State.SKIPPED)
    MembershipFactory(group=group, user=owner, role=role)
    plan_on(D - 7 * DAY)
    assert ("owner", R.PRE_SESSION, 7) in outbox()


def test_a_cancelled_session_reminds_nobody(tenth, meeting, owner, coordinator):
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=None)
    tenth.status = Meeting.Status.CANCELLED
    tenth.save()
    plan_on(D - 7 * DAY)
    assert outbox() == set()


def test_a_partner_hosted_session_reminds_nobody(group, meeting, owner):
    MeetingFactory(group=group, number=10, host_country="UZ", status="scheduled", start_date=D, end_date=None)
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=None)
    plan_on(D - 7 * DAY)
    assert outbox() == set()


@pytest.mark.parametrize("status", [Commitment.Status.DONE, Commitment.Status.DROPPED])
def test_done_and_dropped_commitments_are_not_reminded(tenth, meeting, owner, status):
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=D - 20 * DAY, status=status)
    plan_on(D - 7 * DAY)
    assert outbox() == set()


def test_closing_a_commitment_withdraws_its_pending_reminders(tenth, meeting, owner):
    commitment = CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=None)
    plan_on(D - 7 * DAY)
    commitment.change_status(Commitment.Status.DONE, user=owner)
    plan_on(D - 7 * DAY)
    assert outbox() == set()


def test_a_commitment_without_owner_reminds_only_the_coordinators(tenth, meeting, coordinator):
    CommitmentFactory(meeting=meeting, owner=None, follow_up_date=D - 20 * DAY)
    plan_on(D - 7 * DAY)
    assert outbox() == {("coordinator", R.SESSION_SUMMARY, 7)}


def test_follow_up_and_overdue_reminders(meeting, owner):
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=F)
    plan_on(F - 7 * DAY)
    assert outbox() == {("owner", R.DUE_SOON, 7)}
    plan_on(F + 1 * DAY)
    assert outbox() == {("owner", R.OVERDUE, -1)}
    plan_on(F + 8 * DAY)
    assert outbox() == {("owner", R.OVERDUE, -8)}


def test_catch_up_after_three_days_down_sends_the_latest_only(meeting, owner):
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=F)
    plan_on(F - 3 * DAY)  # the 7-day reminder is planned
    # down for three days: F−1 and F+1 both came due meanwhile
    report = plan_on(F + 1 * DAY)
    assert outbox() == {("owner", R.OVERDUE, -1)}
    assert outbox(Reminder.State.SKIPPED) == {("owner", R.DUE_SOON, 7), ("owner", R.DUE_SOON, 1)}
    assert (report.current, report.stale, report.superseded) == (1, 2, 1)


def test_a_user_who_turned_off_overdue_reminders_gets_none(meeting, owner):
    NotificationPreference.objects.create(user=owner, overdue=False)
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=F)
    plan_on(F - 1 * DAY)
    assert outbox() == {("owner", R.DUE_SOON, 1)}
    plan_on(F + 1 * DAY)
    assert outbox() == set()
    assert not Reminder.objects.filter(reason=R.OVERDUE).exists()


def test_pre_session_reminders_cannot_be_turned_off(tenth, meeting, owner):
    NotificationPreference.objects.create(user=owner, overdue=False, due_soon=False)
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=D - 30 * DAY)
    plan_on(D - 7 * DAY)
    assert outbox() == {("owner", R.PRE_SESSION, 7)}


def test_inactive_groups_and_users_get_nothing(tenth, meeting, group, owner):
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=None)
    owner.is_active = False
    owner.save()
    plan_on(D - 7 * DAY)
    assert outbox() == set()
    owner.is_active, group.is_active = True, False
    owner.save()
    group.save()
    plan_on(D - 7 * DAY)
    assert outbox() == set()


# --- Re-planning: what a plan of the same day does when little or nothing changed ----------------------------


def outbox_writes(queries) -> list[str]:
    table = Reminder._meta.db_table
    return [q["sql"] for q in queries if table in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")]


def test_a_replan_with_nothing_changed_writes_nothing_and_reads_a_constant_few(
    tenth, meeting, owner, coordinator, other_group, django_assert_max_num_queries
):
    for n in range(5):
        CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=D - n * DAY)
    first = plan_on(D - 7 * DAY)
    assert first.groups == 2 and first.added > 0
    before = set(Reminder.objects.values_list("pk", "state", "last_error"))
    with CaptureQueriesContext(connection) as queries:
        report = plan_on(D - 7 * DAY)
    assert outbox_writes(queries) == []
    assert (report.groups, report.added, report.superseded) == (0, 0, 0)
    # The groups' facts (3), members, preferences, commitments' versions, last plans, the inactive groups' rows: 9
    assert len(queries) <= 9
    assert set(Reminder.objects.values_list("pk", "state", "last_error")) == before


def test_a_change_replans_the_group_it_belongs_to_and_no_other(tenth, meeting, owner, other_group):
    commitment = CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=None)
    elsewhere = MeetingFactory(group=other_group, number=3)
    CommitmentFactory(meeting=elsewhere, follow_up_date=D)
    plan_on(D - 7 * DAY)
    commitment.follow_up_date = D
    commitment.save_versioned(commitment.version, user=owner)
    report = plan_on(D - 7 * DAY)
    assert report.groups == 1
    assert ("owner", R.DUE_SOON, 7) in outbox()


@pytest.mark.parametrize(
    "change",
    [
        "session moved",
        "member left",
        "owner deactivated",
        "overdue turned off",
        "commitment deleted",
        "commitment added",
    ],
)
def test_every_input_of_a_plan_makes_the_next_plan_of_the_day_look_again(change, tenth, meeting, owner, coordinator):
    commitment = CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=D - 9 * DAY)
    plan_on(D - 7 * DAY)
    if change == "session moved":
        tenth.start_date, tenth.end_date = D + 30 * DAY, D + 31 * DAY
        tenth.save()
    elif change == "member left":
        owner.memberships.get().delete()
    elif change == "owner deactivated":
        owner.is_active = False
        owner.save()
    elif change == "overdue turned off":
        NotificationPreference.objects.create(user=owner, overdue=False)
    elif change == "commitment deleted":
        commitment.reminders.all().delete()
        commitment.delete()
    elif change == "commitment added":
        CommitmentFactory(meeting=meeting, owner=coordinator, follow_up_date=None)
    assert plan_on(D - 7 * DAY).groups == 1


def test_reminders_deleted_in_the_admin_are_planned_again_if_still_due(tenth, meeting, owner, admin_client):
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=None)
    plan_on(D - 7 * DAY)
    pending = Reminder.objects.get(state=Reminder.State.PENDING, recipient=owner, reason=R.PRE_SESSION)
    response = admin_client.post(
        "/admin/commitments/reminder/", {"action": "delete_selected", "_selected_action": [pending.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert ("owner", R.PRE_SESSION, 7) not in outbox()
    plan_on(D - 7 * DAY)
    assert ("owner", R.PRE_SESSION, 7) in outbox()


def test_a_sent_reminder_cannot_be_deleted_so_it_never_goes_out_twice(tenth, meeting, owner, admin_client):
    """The outbox's sent rows are the record that keeps a reminder from being sent again: deleted, the next plan
    would find it due and send it a second time."""
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=None)
    plan_on(D - 7 * DAY)
    sent = Reminder.objects.get(state=Reminder.State.PENDING, recipient=owner, reason=R.PRE_SESSION)
    sent.state, sent.sent_at = Reminder.State.SENT, timezone.now()
    sent.save()
    response = admin_client.post(
        "/admin/commitments/reminder/", {"action": "delete_selected", "_selected_action": [sent.pk], "post": "yes"}
    )
    assert response.status_code == 403
    assert admin_client.get(f"/admin/commitments/reminder/{sent.pk}/delete/").status_code == 403
    assert Reminder.objects.filter(pk=sent.pk, state=Reminder.State.SENT).exists()
    plan_on(D - 7 * DAY)
    assert ("owner", R.PRE_SESSION, 7) not in outbox()


def test_a_sweep_is_planned_once_its_last_group_is(tenth, meeting, owner, other_group):
    sweep = timezone.now()
    ids = planning.active_group_ids()
    assert len(ids) == 2
    planning.plan(D - 7 * DAY, group_ids=ids[:1], sweep=sweep)
    assert not planning.sweep_planned(sweep, len(ids))
    planning.plan(D - 7 * DAY, group_ids=ids[1:], sweep=sweep)  # nothing changed there since: still recorded
    assert planning.sweep_planned(sweep, len(ids))
    assert not planning.sweep_planned(sweep + DAY, len(ids))


def test_overlapping_sweeps_start_the_sending_once_every_group_is_planned_by_one_or_a_later(
    tenth, meeting, other_group
):
    """Two sweeps at once plan each group in turn, in any order; each group's record names the last sweep that planned
    it. The earlier sweep's last group finds every group planned by it or by the later one: the sending starts."""
    first, second = timezone.now(), timezone.now() + datetime.timedelta(seconds=1)
    one, two = planning.active_group_ids()
    planning.plan(D - 7 * DAY, group_ids=[one], sweep=first)
    planning.plan(D - 7 * DAY, group_ids=[one], sweep=second)
    planning.plan(D - 7 * DAY, group_ids=[two], sweep=second)
    assert planning.sweep_planned(second, 2)
    planning.plan(D - 7 * DAY, group_ids=[two], sweep=first)  # the first sweep's last group, finishing last
    assert planning.sweep_planned(first, 2)


def test_a_group_planned_by_another_sweep_meanwhile_is_recorded_not_refused(tenth, meeting, monkeypatch):
    """Two planners of one group may both find it never planned; the second records its plan over the first's,
    rather than failing on the key the first just wrote (the failing task left its sweep unsent)."""
    first, second = timezone.now(), timezone.now() + datetime.timedelta(seconds=1)
    [group_id] = planning.active_group_ids()
    planning.plan(D - 7 * DAY, group_ids=[group_id], sweep=first)
    monkeypatch.setattr(ReminderPlan.objects, "in_bulk", lambda ids: {})  # read before the first one's write
    planning.plan(D - 7 * DAY, group_ids=[group_id], sweep=second, every_group=True)
    assert ReminderPlan.objects.get(group_id=group_id).sweep == second
    assert planning.sweep_planned(second, 1)


# --- When they go out: the send hour, in TIME_ZONE --------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "local_time", "sends"),
    [
        ("Asia/Kolkata", "08:59", False),
        ("Asia/Kolkata", "09:00", True),
        # 28 March 2027: the clocks go forward in London; 09:00 BST is 08:00 UTC.
        ("Europe/London", "08:59", False),
        ("Europe/London", "09:00", True),
    ],
)
def test_reminders_go_out_from_nine_local_time_even_on_a_daylight_saving_day(
    settings, tz, local_time, sends, meeting, owner
):
    settings.TIME_ZONE = tz
    day = datetime.date(2027, 3, 28)
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=day + DAY)
    plan_on(day)
    hour, minute = map(int, local_time.split(":"))
    now = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))
    assert Reminder.objects.filter(delivery.due(now), reason=R.DUE_SOON).exists() is sends


def test_an_assignment_notice_is_due_from_its_day_only(meeting, owner):
    """Sent at once on its day; acting as of an earlier day (send_reminders --today) does not send it."""
    with time_machine.travel(datetime.datetime(2026, 11, 29, 1, tzinfo=datetime.UTC), tick=False):  # 06:30 local
        CommitmentFactory(meeting=meeting, owner=owner)
    assigned = Reminder.objects.filter(reason=R.ASSIGNED)
    assert assigned.get().planned_for == datetime.date(2026, 11, 29)
    before = timezone.make_aware(datetime.datetime(2026, 11, 22, 9, 30))
    assert not assigned.filter(delivery.due(before)).exists()
    # Before the send hour: once the quiet period after it has passed.
    on_the_day = timezone.make_aware(datetime.datetime(2026, 11, 29, 7, 0))
    assert assigned.filter(delivery.due(on_the_day)).exists()


def test_a_groups_earlier_reminders_are_found_through_its_commitments_and_sessions(
    tenth, meeting, owner, coordinator, other_group
):
    """A re-plan looks among a group's pending reminders for those no longer called for. Asked as one query with an OR
    between a commitment's group and a session's, the database read the whole outbox for each group: the first
    sweep of a day, over 60 groups and 100,000 reminders, spent 10 s there, and more as the outbox grew."""
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=D - 3 * DAY)
    elsewhere = MeetingFactory(group=other_group, number=3, status=Meeting.Status.SCHEDULED, start_date=D, end_date=D)
    MembershipFactory(group=other_group, user=owner)
    CommitmentFactory(meeting=elsewhere, owner=owner, follow_up_date=D - 3 * DAY)
    plan_on(D - 7 * DAY)
    pending = Reminder.objects.filter(state=Reminder.State.PENDING, reason__in=R.scheduled())
    theirs = pending.filter(commitment__meeting__group=meeting.group) | pending.filter(
        commitment=None, meeting__group=meeting.group
    )
    assert {row.reason for row in theirs} >= {R.PRE_SESSION, R.SESSION_SUMMARY}  # about a commitment, and the session
    assert pending.exclude(pk__in=theirs).exists()  # the other group's

    planned = planning.planned_earlier(meeting.group_id, Reminder.objects.order_by("pk").last().pk)
    assert sorted(row[0] for queryset in planned for row in queryset) == sorted(theirs.values_list("pk", flat=True))
    for queryset in planned:  # each a lookup the database can answer through the group's commitments or meetings
        sql = str(queryset.query)
        assert " OR " not in sql and re.search(r'"(commitment|meeting)_id" IN \(SELECT', sql), sql


def test_a_first_plan_into_an_empty_outbox_looks_for_nothing_earlier_to_supersede(tenth, meeting, owner, coordinator):
    CommitmentFactory(meeting=meeting, owner=owner, follow_up_date=D - 3 * DAY)
    Reminder.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        report = plan_on(D - 7 * DAY)
    assert report.added > 0
    reads = [query["sql"] for query in queries if re.match(r'SELECT .* FROM "commitments_reminder"( |$)', query["sql"])]
    assert not [sql for sql in reads if '"commitments_reminder"."id" <= ' in sql], reads
