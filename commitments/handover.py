"""Handing an officer's open commitments to a successor in one step, as when an officer is posted out.

The page (HandoverView), the admin (a link from the user's page and from a membership being removed) and the
API (POST /api/v1/handovers/) all come here, so the rules are the same everywhere: both officers are members
of the group; the commitments are the officer's, open, of that group. Each commitment is saved with its history
record (by whoever hands over) and a journal line; the owner-change notices batch as any do (reminders
.signals), so the successor and the officer each get one e-mail for the whole handover.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from commitments.models import Commitment, ProgressUpdate
from config.display import person
from meetings.models import WorkingGroup
from meetings.permissions import active_members, coordinated_groups

LARGEST_ID = 2**63 - 1  # a database's largest id: past it, a value names no commitment


def officers(groups):
    """Who may hand over commitments in these groups, by name: their members (an officer already deactivated
    among them), and whoever still owns open commitments there after leaving the group."""
    still_owning = Commitment.objects.filter(meeting__group__in=groups).open().values("owner")
    return (
        get_user_model()
        .objects.filter(Q(memberships__group__in=groups) | Q(pk__in=still_owning))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def successors(groups):
    """Who may take commitments over: the groups' active members, by name."""
    return active_members(groups).order_by("first_name", "last_name", "username")


def officers_group(coordinator, officer_id) -> WorkingGroup | None:
    """Of the groups a coordinator manages, the one where the officer owns open commitments, or else belongs:
    the group a handover of theirs is offered in."""
    groups = coordinated_groups(coordinator)
    owning = groups.filter(meetings__commitments__in=Commitment.objects.open().filter(owner=officer_id))
    return owning.first() or groups.filter(memberships__user=officer_id).first() or groups.first()


def open_commitments(officer, group: WorkingGroup):
    """The officer's open commitments in the group, soonest follow-up first."""
    return (
        Commitment.objects.of_group(group)
        .open()
        .filter(owner=officer)
        .select_related("meeting", "category")
        .order_by("follow_up_date", "pk")
    )


def journal_text(officer, successor) -> str:
    return f"Handed over from {person(officer)} to {person(successor)}."


def refusals(group: WorkingGroup, officer, successor) -> dict[str, list[str]]:
    """Why these two cannot hand over and take over in this group, by field; empty when they can."""
    errors = {}
    if not officers([group]).filter(pk=officer.pk).exists():
        errors["officer"] = [
            f"{person(officer)} is neither a member of the {group.short_name} nor owns anything there."
        ]
    if not successors([group]).filter(pk=successor.pk).exists():
        errors["successor"] = [f"{person(successor)} is not an active member of the {group.short_name}."]
    elif successor.pk == officer.pk:
        errors["successor"] = ["Choose someone other than the officer handing over."]
    return errors


def hand_over(*, group: WorkingGroup, officer, successor, actor, commitment_ids=None) -> list[Commitment]:
    """Move these commitments (all the officer's open ones in the group, if None) from `officer` to
    `successor`, all or none; the commitments moved."""
    errors = refusals(group, officer, successor)
    if commitment_ids is None:
        commitment_ids = open_commitments(officer, group).values_list("pk", flat=True)
    ids = set(commitment_ids)
    if not ids:
        errors["commitments"] = ["Choose at least one commitment to hand over."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        possible = [i for i in ids if 0 < i <= LARGEST_ID]
        commitments = list(open_commitments(officer, group).filter(pk__in=possible).select_for_update(of=("self",)))
        if len(commitments) != len(ids):
            raise ValidationError({"commitments": not_handed_over(ids - {c.pk for c in commitments}, officer, group)})
        for commitment in commitments:
            commitment.owner = successor
            commitment.save_versioned(commitment.version, user=actor)
            update = ProgressUpdate(
                commitment=commitment,
                author=actor,
                text=journal_text(officer, successor),
                handed_over_from=officer,
                handed_over_to=successor,
            )
            update._history_user = actor
            update.save()
    return commitments


def not_handed_over(ids, officer, group: WorkingGroup) -> list[str]:
    """Why each of these commitments cannot be handed over: "C-12 is closed", "C-7 is not Arjun Mehta's"."""
    found = Commitment.objects.select_related("meeting").in_bulk([i for i in ids if 0 < i <= LARGEST_ID])
    reasons = []
    for commitment_id in sorted(ids):
        commitment = found.get(commitment_id)
        if commitment is None or commitment.meeting.group_id != group.pk:
            reasons.append(f"{commitment_id} is no commitment of the {group.short_name}.")
        elif commitment.owner_id != officer.pk:
            reasons.append(f"{commitment.reference} is not {person(officer)}'s.")
        else:
            reasons.append(f"{commitment.reference} is closed.")
    return reasons
