"""What reminders are due, for whom: pure rules over (today, data), and the planning that records them
in the outbox (also the notices that follow an event: a commitment assigned or handed over).

A *series* is the sequence of reminders about one thing for one recipient:
- before a home-hosted session on D: D−L for each of the group's lead days L (30, 14, 7, 1);
- around a follow-up date F: F−7 and F−1 ("due soon"), then F+1, F+8, F+15 … ("overdue");
- while the next home-hosted session has no agreed date: every 30 days after the last session
  (to the group's coordinators).

On any day only the latest reminder of a series that has come due is *current*: it is sent,
late if need be. Earlier ones that were never sent are *stale* and recorded as skipped, so
a worker that was down for three days sends one reminder per series, not a burst.
"""

import contextlib
import datetime
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, groupby
from operator import attrgetter

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from commitments.models import Commitment, NotificationPreference, Reminder, ReminderPlan, open_q
from commitments.reminders import outbox
from commitments.reminders.outbox import SUPERSEDED, WITHDRAWN
from meetings.models import Meeting, Membership, WorkingGroup, is_member

Reason = Reminder.Reason

NO_LONGER_CALLED_FOR = (
    "no longer called for (a date moved, the commitment was closed or changed owner, or the recipient left the group "
    "or their account was closed)"
)
GROUP_INACTIVE = "the working group is no longer active"
CLOSED = "the commitment is closed"
CHANGED_AGAIN = "cancelled: the commitment changed owner again before it was announced"
DUE_SOON_LEADS = (7, 1)
OVERDUE_EVERY = 7
BATCH = 2000


@dataclass(frozen=True)
class Planned:
    """A reminder the rules call for (state pending) or record as stale (state skipped)."""

    recipient_id: int
    reason: str
    anchor_date: datetime.date
    lead_days: int
    commitment_id: int | None = None
    meeting_id: int | None = None
    stale: bool = False

    @property
    def planned_for(self) -> datetime.date:
        return self.anchor_date - datetime.timedelta(days=self.lead_days)

    @property
    def key(self) -> tuple:
        return (self.recipient_id, self.reason, self.commitment_id, self.meeting_id, self.anchor_date, self.lead_days)


# --- The rules: pure functions ---------------------------------------------------------------


def current_and_stale(points: list[tuple[str, int]]) -> tuple[tuple[str, int] | None, list[tuple[str, int]]]:
    """Of a series' points that have come due (oldest first), the last is current, the others stale."""
    if not points:
        return None, []
    return points[-1], points[:-1]


def pre_session_points(session_date: datetime.date, lead_days: Iterable[int], today: datetime.date):
    """(reason, lead) of the pre-session reminders due by today; none once the session has begun."""
    if today > session_date:
        return []
    leads = sorted(set(lead_days), reverse=True)
    return [(Reason.PRE_SESSION, lead) for lead in leads if session_date - datetime.timedelta(days=lead) <= today]


def follow_up_points(follow_up: datetime.date, today: datetime.date) -> list[tuple[str, int]]:
    """(reason, lead) of the due-soon and overdue reminders due by today, oldest first."""
    points = [(Reason.DUE_SOON, lead) for lead in DUE_SOON_LEADS if follow_up - datetime.timedelta(days=lead) <= today]
    days_late = (today - follow_up).days
    if days_late >= 1:
        points += [(Reason.OVERDUE, -after) for after in range(1, days_late + 1, OVERDUE_EVERY)]
    return points


def date_tba_points(last_session: datetime.date, today: datetime.date, every: int) -> list[tuple[str, int]]:
    """(reason, lead) of the nudges to agree a date: every `every` days after the last session."""
    days = (today - last_session).days
    return [(Reason.DATE_TO_BE_AGREED, -after) for after in range(every, days + 1, every)]


def series(recipient_id: int, points, anchor: datetime.date, **about) -> Iterator[Planned]:
    current, stale = current_and_stale(points)
    for reason, lead in stale:
        yield Planned(recipient_id, reason, anchor, lead, stale=True, **about)
    if current:
        yield Planned(recipient_id, current[0], anchor, current[1], **about)


@dataclass
class GroupFacts:
    """What the rules need to know of a working group on a day."""

    group_id: int
    lead_days: list[int]
    coordinator_ids: list[int]
    session_id: int | None = None  # the next home-hosted session with a firm date
    session_date: datetime.date | None = None
    tba_session_id: int | None = None  # else the next one whose date is to be agreed
    last_session_date: datetime.date | None = None


@dataclass(frozen=True)
class CommitmentFacts:
    commitment_id: int
    group_id: int
    owner_id: int | None
    follow_up_date: datetime.date | None


def reminders_for_group(group: GroupFacts, today: datetime.date) -> Iterator[Planned]:
    """The coordinators' reminders: the summary before a session, or the nudge to agree its date."""
    if group.session_date:
        points = [
            (Reason.SESSION_SUMMARY, lead) for _, lead in pre_session_points(group.session_date, group.lead_days, today)
        ]
        for coordinator_id in group.coordinator_ids:
            yield from series(coordinator_id, points, group.session_date, meeting_id=group.session_id)
    elif group.tba_session_id and group.last_session_date:
        points = date_tba_points(group.last_session_date, today, settings.REMINDER_DATE_TBA_EVERY_DAYS)
        for coordinator_id in group.coordinator_ids:
            yield from series(coordinator_id, points, group.last_session_date, meeting_id=group.tba_session_id)


def reminders_for_commitment(
    commitment: CommitmentFacts, group: GroupFacts, today: datetime.date, opted_out: set[tuple[int, str]]
) -> Iterator[Planned]:
    """An open commitment's reminders to its owner: before the session, and around its follow-up date."""
    owner = commitment.owner_id
    if owner is None:
        return
    if group.session_date:
        yield from series(
            owner,
            pre_session_points(group.session_date, group.lead_days, today),
            group.session_date,
            commitment_id=commitment.commitment_id,
            meeting_id=group.session_id,
        )
    if commitment.follow_up_date:
        # The series is decided first: a turned-off overdue reminder does not bring back a stale due-soon one.
        points = follow_up_points(commitment.follow_up_date, today)
        for planned in series(owner, points, commitment.follow_up_date, commitment_id=commitment.commitment_id):
            if (owner, planned.reason) not in opted_out:
                yield planned


# --- Reading the facts ---------------------------------------------------------------------------


def active_group_ids() -> list[int]:
    return list(WorkingGroup.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))


def group_facts(today: datetime.date, group_ids=None) -> dict[int, GroupFacts]:
    """Facts of the active working groups (those of group_ids, or all), in a constant number of queries."""
    groups = {}
    active = WorkingGroup.objects.filter(is_active=True).order_by("pk")
    if group_ids is not None:
        active = active.filter(pk__in=group_ids)
    for group in active.with_upcoming_home_sessions(today):
        facts = groups[group.pk] = GroupFacts(group.pk, group.reminder_lead_days, [])
        session = group.upcoming_home_session
        if session and session.status == Meeting.Status.SCHEDULED:
            facts.session_id, facts.session_date = session.pk, session.start_date
        elif session:
            facts.tba_session_id = session.pk
    for group_id, user_id in (
        Membership.objects.filter(group__in=groups, role=Membership.Role.COORDINATOR, user__is_active=True)
        .values_list("group_id", "user_id")
        .order_by("user_id")
    ):
        groups[group_id].coordinator_ids.append(user_id)
    last_sessions = (
        Meeting.objects.filter(group__in=groups, status=Meeting.Status.HELD, start_date__lte=today)
        .values("group_id")
        .annotate(last=Max(Coalesce("end_date", "start_date")))
        .order_by()
    )
    for row in last_sessions:
        groups[row["group_id"]].last_session_date = row["last"]
    return groups


def active_members(group_ids) -> dict[int, list[int]]:
    """The active members of each group, by user id: the owners whose commitments are reminded."""
    members = {group_id: [] for group_id in group_ids}
    for group_id, user_id in (
        Membership.objects.filter(group__in=group_ids, user__is_active=True)
        .values_list("group_id", "user_id")
        .order_by("group_id", "user_id")
    ):
        members[group_id].append(user_id)
    return members


def opted_out_reasons() -> set[tuple[int, str]]:
    """(user id, reason) for the optional reminders users turned off."""
    opted_out = set()
    for user_id, due_soon, overdue in NotificationPreference.objects.filter(
        Q(due_soon=False) | Q(overdue=False)
    ).values_list("user_id", "due_soon", "overdue"):
        if not due_soon:
            opted_out.add((user_id, Reason.DUE_SOON))
        if not overdue:
            opted_out.add((user_id, Reason.OVERDUE))
    return opted_out


def open_commitments(group_ids) -> Iterator[CommitmentFacts]:
    """The open commitments of the groups whose owners are active and still members, group by group."""
    rows = (
        Commitment.objects.open()
        .filter(meeting__group__in=group_ids, owner__is_active=True)
        .filter(is_member(OuterRef("owner"), OuterRef("meeting__group")))  # owners who left are not reminded
        .values_list("pk", "meeting__group_id", "owner_id", "follow_up_date")
        .order_by("meeting__group_id", "pk")
    )
    for row in rows.iterator(chunk_size=BATCH):
        yield CommitmentFacts(*row)


def due_reminders(today: datetime.date) -> Iterator[Planned]:
    """Every reminder the rules call for today, current and stale."""
    groups = group_facts(today)
    opted_out = opted_out_reasons()
    for group in groups.values():
        yield from reminders_for_group(group, today)
    for commitment in open_commitments(list(groups)):
        yield from reminders_for_commitment(commitment, groups[commitment.group_id], today, opted_out)


# --- Whether a recorded reminder is still right: asked by the sending (each batch), the retry and the plan ---


def in_an_active_group() -> Q:
    """Whether a reminder is about an active working group: its commitment's, or for a group's own reminders its
    session's."""
    return Q(commitment__isnull=False, commitment__meeting__group__is_active=True) | Q(
        commitment__isnull=True, meeting__group__is_active=True
    )


def account_open() -> Q:
    """Whether a reminder's recipient is an active user."""
    return Q(recipient__is_active=True)


def member_of_its_group() -> Q:
    """Whether a reminder about a commitment goes to a member of the commitment's working group (the others: yes)."""
    return Q(commitment__isnull=True) | Q(is_member(OuterRef("recipient"), OuterRef("commitment__meeting__group")))


def coordinator_of_its_group() -> Q:
    """Whether a group's own reminder (coordinators' summary, date to be agreed) goes to one of its coordinators
    (the others: yes)."""
    return Q(commitment__isnull=False) | Q(
        is_member(OuterRef("recipient"), OuterRef("meeting__group"), Membership.Role.COORDINATOR)
    )


def entitled() -> Q:
    """Whether a reminder's recipient may still have it: an active user still in the commitment's working group,
    or, for a group's own reminders, still one of its coordinators."""
    return account_open() & member_of_its_group() & coordinator_of_its_group()


def latest_notice() -> Q:
    """Whether a notice of an owner change is the latest of its kind about its commitment to its recipient: one given
    again since (a commitment handed away and back) replaces it. Other reminders: yes."""
    later = Reminder.objects.filter(
        recipient=OuterRef("recipient"), commitment=OuterRef("commitment"), reason=OuterRef("reason"),
        pk__gt=OuterRef("pk"),
    )  # fmt: skip
    return ~Q(reason__in=Reason.immediate()) | ~Exists(later)


def still_true() -> Q:
    """Whether what a reminder says about a commitment is still so: the commitment is open, and it is the
    recipient's (for a handover notice: no longer the recipient's)."""
    is_theirs = Q(commitment__owner=F("recipient"))
    about_their_commitment = ~Q(reason=Reason.HANDED_OVER) & is_theirs
    handed_over = Q(reason=Reason.HANDED_OVER) & (Q(commitment__owner__isnull=True) | ~is_theirs)
    return Q(commitment__isnull=True) | (open_q("commitment") & (about_their_commitment | handed_over))


def on_time() -> Q:
    """Whether the date a reminder counts to is still its date: the session's, still scheduled; the commitment's
    follow-up date; for a nudge to agree a session's date, the session still without one."""
    counts_to_a_session = Q(reason__in=[Reason.PRE_SESSION, Reason.SESSION_SUMMARY]) & Q(
        meeting__status=Meeting.Status.SCHEDULED, meeting__start_date=F("anchor_date")
    )
    counts_to_a_follow_up = Q(reason__in=[Reason.DUE_SOON, Reason.OVERDUE], commitment__follow_up_date=F("anchor_date"))
    asks_for_a_date = Q(reason=Reason.DATE_TO_BE_AGREED, meeting__status=Meeting.Status.PLANNED)
    follows_an_event = Q(reason__in=Reason.immediate())
    return follows_an_event | counts_to_a_session | counts_to_a_follow_up | asks_for_a_date


# --- Recording the plan in the outbox --------------------------------------------------------------
#
# A group's plan is recorded with a fingerprint of its inputs: its facts that day, its active members and what
# they turned off, and its commitments' count, highest id and sum of versions (every save raises a commitment's
# version, so any change to one changes the sum; a creation or deletion changes the count or the highest id).
# A plan of the same day with the same inputs has nothing to do: it reads one aggregate and writes nothing. Any
# change plans the group again; what is already in the outbox stays as it is.


@dataclass
class PlanReport:
    current: int = 0  # reminders due today or earlier and not superseded
    stale: int = 0  # reminders the rules skip: a later one of the same series is due
    superseded: int = 0  # pending reminders NO_LONGER_CALLED_FOR
    revived: int = 0  # superseded or withdrawn reminders called for again, withdrawn notices right again
    added: int = 0  # rows written to the outbox
    groups: int = 0  # groups planned (the others had not changed since their last plan that day)


def commitment_versions(group_ids) -> dict[int, tuple]:
    """(count, highest id, sum of versions) of each group's commitments: one aggregate query."""
    rows = (
        Commitment.objects.filter(meeting__group__in=group_ids)
        .values("meeting__group")
        .annotate(count=Count("pk"), last=Max("pk"), versions=Sum("version"))
        .order_by()
        .values_list("meeting__group", "count", "last", "versions")
    )
    return {group_id: tuple(row) for group_id, *row in rows}


def inputs_of(group: GroupFacts, today, members: list[int], opted_out: set, commitments: tuple | None) -> str:
    """A fingerprint of everything a group's plan depends on."""
    turned_off = sorted(pair for pair in opted_out if pair[0] in set(members))
    rules = (DUE_SOON_LEADS, OVERDUE_EVERY, settings.REMINDER_DATE_TBA_EVERY_DAYS)
    return hashlib.sha256(repr((today, group, members, turned_off, commitments, rules)).encode()).hexdigest()


def planned_alike(last: ReminderPlan | None, today: datetime.date, inputs: str) -> bool:
    return last is not None and (last.day, last.inputs) == (today, inputs)


def plan(
    today: datetime.date, *, group_ids=None, sweep: datetime.datetime | None = None, every_group=False
) -> PlanReport:
    """Record what is due in the outbox for the active groups (those of group_ids, or all), skipping the groups
    that have not changed since their last plan that day, unless every_group. (What is due without recording it:
    due_reminders.)"""
    report = PlanReport()
    groups = group_facts(today, group_ids)
    opted_out = opted_out_reasons()
    members = active_members(list(groups))
    versions = commitment_versions(list(groups))
    inputs = {gid: inputs_of(group, today, members[gid], opted_out, versions.get(gid)) for gid, group in groups.items()}
    last_plans = ReminderPlan.objects.in_bulk(list(groups))
    to_plan = [gid for gid in groups if every_group or not planned_alike(last_plans.get(gid), today, inputs[gid])]
    with transaction.atomic() if to_plan else contextlib.nullcontext():  # nothing to plan: nothing written
        planned_before = (Reminder.objects.aggregate(last=Max("pk"))["last"] or 0) if to_plan else 0
        # One read of every planned group's commitments, group after group (not one each: it would scan them all).
        without = set(to_plan)
        for gid, commitments in groupby(open_commitments(to_plan), key=attrgetter("group_id")):
            plan_group(groups[gid], commitments, today, opted_out, planned_before, report)
            without.remove(gid)
        for gid in sorted(without):  # groups without an open commitment: their coordinators' reminders
            plan_group(groups[gid], (), today, opted_out, planned_before, report)
        # A sweep's groups are all recorded: its last one starts sending. Written over whatever another planner of
        # the group (an overlapping sweep) recorded since it was read, not refused on its key.
        ReminderPlan.objects.bulk_create(
            [
                ReminderPlan(group_id=gid, day=today, inputs=inputs[gid], planned_at=timezone.now(), sweep=sweep)
                for gid in (groups if sweep else to_plan)
            ],
            update_conflicts=True,
            unique_fields=["group"],
            update_fields=["day", "inputs", "planned_at", "sweep"],
        )
        if to_plan and planned_before:
            report.revived += revive_notices(to_plan)
        if group_ids is None:
            report.superseded += skip_inactive_groups()
        outbox.added(report.added)
    return report


def plan_group(group: GroupFacts, commitments, today, opted_out, planned_before: int, report) -> None:
    """Plan one group: add what is due and not yet in the outbox, skip what an earlier plan recorded (rows up to
    planned_before: those added since are current) and is no longer called for."""
    current_keys = set()

    def counted() -> Iterator[Planned]:
        for reminder in chain(
            reminders_for_group(group, today),
            chain.from_iterable(reminders_for_commitment(c, group, today, opted_out) for c in commitments),
        ):
            if reminder.stale:
                report.stale += 1
            else:
                report.current += 1
                current_keys.add(reminder.key)
            yield reminder

    report.groups += 1
    report.added += outbox.insert(counted())
    if planned_before:  # else an empty outbox: nothing planned earlier to supersede
        superseded, revived = reconcile(current_keys, planned_earlier(group.group_id, planned_before))
        report.superseded += superseded
        report.revived += revived


def planned_earlier(group_id: int, planned_before: int) -> list:
    """The group's scheduled reminders up to planned_before that are pending, and those revivable, as (pk, state,
    *Planned.key) rows, in four queries: those about its commitments, found through each commitment, and its own
    (about its sessions), through each meeting. As one query with an OR between the two, the database read the whole
    outbox for each group (the first plan of a day, 60 groups among 100,000 reminders: 10 s)."""
    planned = (
        Reminder.objects.filter(reason__in=Reason.scheduled(), pk__lte=planned_before)
        .values_list("pk", "state", "recipient_id", "reason", "commitment_id", "meeting_id", "anchor_date", "lead_days")
        .order_by()
    )
    commitments = Commitment.objects.filter(meeting__group=group_id).values("pk")
    meetings = Meeting.objects.filter(group=group_id).values("pk")
    return [
        rows
        for kept in (
            planned.filter(state=Reminder.State.PENDING),
            planned.filter(revivable()),
        )
        for rows in (kept.filter(commitment__in=commitments), kept.filter(commitment=None, meeting__in=meetings))
    ]


def revivable() -> Q:
    """A scheduled reminder skipped because the rules stopped calling for it: by a plan (superseded) or by the batch
    that claimed it (withdrawn: the sender may notice a change before any plan does). That is, any skipped one but
    the stale, which the rules never called for: asked so, without an OR, the lookup stays one the database answers
    through the group's commitments or meetings."""
    return Q(state=Reminder.State.SKIPPED) & ~Q(last_error=outbox.STALE)


def reconcile(current_keys: set[tuple], planned: list) -> tuple[int, int]:
    """Mark skipped the pending reminders planned (planned_earlier's) that the rules no longer call for, and pending
    again the superseded or withdrawn ones they call for once more (a session moved back, someone back in the
    group, a commitment handed back): a row holds its reminder's place in the outbox, so a new one would be refused
    as planned already. How many of each."""
    obsolete, again = [], []
    for queryset in planned:
        for pk, state, *key in queryset.iterator(chunk_size=BATCH):
            if state == Reminder.State.PENDING and tuple(key) not in current_keys:
                obsolete.append(pk)
            elif state == Reminder.State.SKIPPED and tuple(key) in current_keys:
                again.append(pk)
    superseded = revived = 0
    for start in range(0, len(obsolete), BATCH):
        superseded += Reminder.objects.filter(
            pk__in=obsolete[start : start + BATCH], state=Reminder.State.PENDING
        ).update(state=Reminder.State.SKIPPED, last_error=f"{SUPERSEDED}{NO_LONGER_CALLED_FOR}")
    for start in range(0, len(again), BATCH):
        revived += Reminder.objects.filter(revivable(), pk__in=again[start : start + BATCH]).update(
            state=Reminder.State.PENDING, last_error="", attempts=0, next_attempt_at=None
        )
    return superseded, revived


def revive_notices(group_ids) -> int:
    """Make pending again the notices of owner changes about these groups' commitments that the sender withdrew and
    that are right again: the recipient back in the group (or their account reopened), the commitment open and
    still (for a handover: still not) theirs, and no later notice of the same kind about it (a commitment handed
    away and back was announced again). Those withdrawn reminders are found in the small index of skipped notices.
    How many."""
    withdrawn = Reminder.objects.filter(
        reason__in=Reason.immediate(),
        state=Reminder.State.SKIPPED,
        last_error__startswith=WITHDRAWN,
        commitment__meeting__group__in=group_ids,
    )
    right_again = withdrawn.filter(entitled(), still_true(), latest_notice())
    return right_again.update(state=Reminder.State.PENDING, last_error="", attempts=0, next_attempt_at=None)


def skip_inactive_groups() -> int:
    """Mark skipped the pending scheduled reminders of groups no longer active: no plan calls for them."""
    pending = Reminder.objects.filter(state=Reminder.State.PENDING, reason__in=Reason.scheduled()).exclude(
        in_an_active_group()
    )
    if not pending.exists():  # the usual case, answered without a write
        return 0
    with transaction.atomic():
        return pending.update(state=Reminder.State.SKIPPED, last_error=f"{SUPERSEDED}{GROUP_INACTIVE}")


def forget_plans(group_ids=None) -> None:
    """The next plan plans these groups (or all) whatever their inputs: after reminders were deleted by hand (added
    again if still due), or withdrawn by the sender (pending again if the rules call for them once more)."""
    plans = ReminderPlan.objects.all() if group_ids is None else ReminderPlan.objects.filter(group__in=group_ids)
    plans.delete()


def sweep_planned(sweep: datetime.datetime, groups: int) -> bool:
    """Whether every group of a sweep has been planned, by it or by a sweep begun since (overlapping sweeps plan
    each group in turn, and its record names the last): each group's task asks after recording its own plan, so
    the last one to finish finds them all (two finishing together may both find them: sending claims)."""
    return ReminderPlan.objects.filter(sweep__gte=sweep).count() >= groups


# --- Events ------------------------------------------------------------------------------------------------


def record_new_owners(commitments: list[Commitment], actor_id: int | None) -> bool:
    """record_owner_change's rule for commitments created together (an import's, saved in bulk): each one's owner is
    told of the assignment, unless they made it themselves; a closed one's notice is recorded withdrawn, to go if
    it is reopened. New commitments have no notice to cancel. Whether any notice was planned to go."""
    today = timezone.localdate()
    planned = [
        Reminder(
            recipient_id=c.owner_id, reason=Reason.ASSIGNED, commitment=c, anchor_date=today, lead_days=0,
            planned_for=today, **unannounced_while_closed(c),
        )
        for c in commitments
        if c.owner_id and c.owner_id != actor_id
    ]  # fmt: skip
    Reminder.objects.bulk_create(planned, batch_size=1000)
    return any(notice.state == Reminder.State.PENDING for notice in planned)


def unannounced_while_closed(commitment: Commitment) -> dict:
    """The fields of a notice about a closed commitment: withdrawn, until a plan after it is reopened."""
    return {} if commitment.is_open else {"state": Reminder.State.SKIPPED, "last_error": f"{WITHDRAWN}{CLOSED}"}


def record_owner_change(commitment: Commitment, previous_owner_id: int | None, actor_id: int | None) -> bool:
    """Plan the notices of an owner change: the assignment to the new owner, the handover to the previous one
    (not to whoever made the change). A change that undoes one its recipient has not heard of (its notice still
    pending, or withdrawn unsent) cancels that notice instead: someone assigned a commitment and relieved of it
    before hearing of it hears nothing. A closed commitment's notices are recorded withdrawn: the plan after it is
    reopened sends those still right then (revive_notices). Runs in the save's transaction, with the commitment's
    row locked. Whether any notice was planned to go: notices go out once their recipient has had no new one for
    REMINDER_QUIET_PERIOD."""
    today, planned = timezone.localdate(), []
    closed = unannounced_while_closed(commitment)
    for recipient_id, reason, undone in [
        (commitment.owner_id, Reason.ASSIGNED, Reason.HANDED_OVER),
        (previous_owner_id, Reason.HANDED_OVER, Reason.ASSIGNED),
    ]:
        if not recipient_id:
            continue
        if cancel_unheard(commitment, recipient_id, undone) or recipient_id == actor_id:
            continue
        already = Reminder.objects.filter(
            commitment=commitment, recipient_id=recipient_id, reason=reason, state=Reminder.State.PENDING
        )
        if not already.exists():
            planned.append(
                Reminder(
                    recipient_id=recipient_id,
                    reason=reason,
                    commitment=commitment,
                    anchor_date=today,
                    lead_days=0,
                    planned_for=today,
                    **closed,
                )
            )
    Reminder.objects.bulk_create(planned)
    return bool(planned) and not closed


def cancel_unheard(commitment: Commitment, recipient_id: int, reason: str) -> bool:
    """Cancel the latest notice of this kind about the commitment to the recipient if they have not heard it (pending,
    or withdrawn unsent): whether there was one."""
    latest = (
        Reminder.objects.filter(commitment=commitment, recipient_id=recipient_id, reason=reason)
        .order_by("-pk")
        .values_list("pk", "state", "last_error")
        .first()
    )
    if latest is None:
        return False
    pk, state, why = latest
    unheard = state == Reminder.State.PENDING or (state == Reminder.State.SKIPPED and why.startswith(WITHDRAWN))
    if unheard:
        Reminder.objects.filter(pk=pk).update(state=Reminder.State.SKIPPED, last_error=CHANGED_AGAIN)
    return unheard
