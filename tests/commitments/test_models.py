import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from commitments.models import Category, Commitment, ProgressUpdate, StaleVersionError
from tests.constraints import assert_violates
from tests.factories import CommitmentFactory, MeetingFactory, ProgressUpdateFactory

TODAY = datetime.date(2026, 11, 28)
DAY = datetime.timedelta(days=1)


def test_the_five_categories_are_seeded_in_order(db):
    assert list(Category.objects.values_list("name", flat=True)) == [
        "Information sharing",
        "Joint training and capacity building",
        "Research",
        "Multilateral coordination",
        "Other",
    ]


# --- Constraints ----------------------------------------------------------------------


def test_a_commitment_needs_a_title(meeting):
    CommitmentFactory(meeting=meeting, title="Share intelligence")
    blank = CommitmentFactory.build(meeting=meeting, title="")
    with pytest.raises(ValidationError) as excinfo:
        blank.full_clean()
    assert "title" in excinfo.value.message_dict
    assert_violates("commitment_title_not_blank", blank.save)


@pytest.mark.parametrize(
    ("field", "value", "constraint"),
    [
        ("status", "postponed", "commitment_status_valid"),
        ("responsible_side", "both", "commitment_side_valid"),
        ("priority", 9, "commitment_priority_valid"),
        ("version", 0, "commitment_version_positive"),
    ],
)
def test_commitment_fields_only_take_known_values(meeting, field, value, constraint):
    commitment = CommitmentFactory.build(meeting=meeting, **{field: value})
    with pytest.raises(ValidationError):
        commitment.full_clean()
    assert_violates(constraint, commitment.save)


def test_closing_a_commitment_stamps_it_and_reopening_clears_the_stamp(commitment):
    assert commitment.closed_at is None
    commitment.status = Commitment.Status.DONE
    commitment.save_versioned(commitment.version)
    assert commitment.closed_at is not None
    commitment.status = Commitment.Status.OPEN
    commitment.save_versioned(commitment.version)
    assert commitment.closed_at is None


def test_the_database_refuses_a_closed_commitment_without_a_closing_time(commitment):
    def bypass_save():
        Commitment.objects.filter(pk=commitment.pk).unrecorded_update(status=Commitment.Status.DONE)

    assert_violates("commitment_closed_at_matches_status", bypass_save)


def test_a_progress_update_needs_text(commitment, owner):
    ProgressUpdateFactory(commitment=commitment, author=owner, text="Met the counterpart.")
    assert_violates(
        "progressupdate_text_not_blank", lambda: ProgressUpdateFactory(commitment=commitment, author=owner, text="")
    )


def test_a_progress_update_only_sets_a_known_status(commitment, owner):
    assert_violates(
        "progressupdate_new_status_valid",
        lambda: ProgressUpdateFactory(commitment=commitment, author=owner, new_status="finished"),
    )


# --- Query vocabulary --------------------------------------------------------------------


@pytest.fixture
def mix(meeting, owner):
    """Commitments of every status and follow-up date around TODAY."""
    return {
        "overdue": CommitmentFactory(meeting=meeting, follow_up_date=TODAY - DAY),
        "overdue_in_progress": CommitmentFactory(
            meeting=meeting, follow_up_date=TODAY - 30 * DAY, status=Commitment.Status.IN_PROGRESS
        ),
        "due_today": CommitmentFactory(meeting=meeting, follow_up_date=TODAY),
        "due_in_7": CommitmentFactory(meeting=meeting, follow_up_date=TODAY + 7 * DAY),
        "due_in_8": CommitmentFactory(meeting=meeting, follow_up_date=TODAY + 8 * DAY),
        "no_date": CommitmentFactory(meeting=meeting, follow_up_date=None),
        "done_late": CommitmentFactory(meeting=meeting, follow_up_date=TODAY - DAY, status=Commitment.Status.DONE),
        "dropped": CommitmentFactory(meeting=meeting, follow_up_date=TODAY + DAY, status=Commitment.Status.DROPPED),
    }


def names(mix, queryset):
    by_pk = {commitment.pk: name for name, commitment in mix.items()}
    return {by_pk[pk] for pk in queryset.values_list("pk", flat=True)}


def test_open_means_open_or_in_progress(mix):
    assert names(mix, Commitment.objects.open()) == {
        "overdue",
        "overdue_in_progress",
        "due_today",
        "due_in_7",
        "due_in_8",
        "no_date",
    }
    assert names(mix, Commitment.objects.closed()) == {"done_late", "dropped"}


def test_overdue_means_open_and_past_its_follow_up_date(mix):
    assert names(mix, Commitment.objects.overdue(TODAY)) == {"overdue", "overdue_in_progress"}
    assert mix["overdue"].is_overdue(TODAY)
    assert not mix["done_late"].is_overdue(TODAY)
    assert not mix["due_today"].is_overdue(TODAY)


def test_due_within_counts_today_and_the_last_day(mix):
    assert names(mix, Commitment.objects.due_within(7, TODAY)) == {"due_today", "due_in_7"}


def test_commitments_are_visible_with_their_group(commitment, other_group, member, coordinator, outsider, superuser):
    other = CommitmentFactory(meeting=MeetingFactory(group=other_group, host_country="JP"))
    assert list(Commitment.objects.visible_to(member)) == [commitment]
    assert list(Commitment.objects.visible_to(coordinator)) == [commitment]
    assert list(Commitment.objects.visible_to(outsider)) == [other]
    assert set(Commitment.objects.visible_to(superuser)) == {commitment, other}
    assert not Commitment.objects.visible_to(AnonymousUser()).exists()


def test_the_vocabulary_chains(mix, member):
    assert names(mix, Commitment.objects.visible_to(member).open().overdue(TODAY)) == {"overdue", "overdue_in_progress"}


# --- Versions, status changes and progress ----------------------------------------------


def test_a_save_based_on_the_current_version_raises_it(commitment, coordinator):
    commitment.title = "Share intelligence on terrorist groups and their movements"
    commitment.save_versioned(1, user=coordinator)
    commitment.refresh_from_db()
    assert commitment.version == 2
    assert commitment.title == "Share intelligence on terrorist groups and their movements"


def test_it_refuses_a_stale_edit(commitment, coordinator, owner):
    first = Commitment.objects.get(pk=commitment.pk)
    second = Commitment.objects.get(pk=commitment.pk)
    first.lead_agency = "Ministry of Home Affairs"
    first.save_versioned(first.version, user=coordinator)

    second.lead_agency = "National Investigation Agency"
    with pytest.raises(StaleVersionError):
        second.save_versioned(1, user=owner)

    commitment.refresh_from_db()
    assert commitment.lead_agency == "Ministry of Home Affairs"
    assert commitment.version == 2


def test_history_records_who_changed_what(commitment, coordinator):
    commitment.title = "Joint training programmes"
    commitment.save_versioned(commitment.version, user=coordinator)
    latest = commitment.history.first()
    assert latest.history_user == coordinator
    assert latest.title == "Joint training programmes"
    assert latest.prev_record.title != "Joint training programmes"


def test_changing_status_applies_to_the_current_row(commitment, coordinator, owner):
    stale_copy = Commitment.objects.get(pk=commitment.pk)
    commitment.lead_agency = "Ministry of Home Affairs"
    commitment.save_versioned(commitment.version, user=coordinator)

    assert stale_copy.change_status(Commitment.Status.DONE, user=owner) is True
    commitment.refresh_from_db()
    assert commitment.status == Commitment.Status.DONE
    assert commitment.lead_agency == "Ministry of Home Affairs"  # nothing lost
    assert commitment.version == 3
    assert stale_copy.version == 3
    assert commitment.history.first().history_user == owner
    assert stale_copy.change_status(Commitment.Status.DONE, user=owner) is False


def test_a_progress_update_with_a_new_status_changes_the_commitment(commitment, owner):
    update = commitment.post_progress(
        author=owner,
        text="Training calendar agreed.",
        new_status=Commitment.Status.IN_PROGRESS,
        source="Note verbale of 3 November 2025",
    )
    commitment.refresh_from_db()
    assert commitment.status == Commitment.Status.IN_PROGRESS
    assert list(commitment.progress_updates.all()) == [update]
    assert update.author == owner
    assert update.history.first().history_user == owner


def test_a_progress_update_without_a_status_leaves_the_commitment_alone(commitment, owner):
    commitment.post_progress(author=owner, text="Awaiting the partner's reply.")
    commitment.refresh_from_db()
    assert commitment.status == Commitment.Status.OPEN
    assert commitment.version == 1


def test_a_progress_update_and_its_status_change_land_together_or_not_at_all(commitment, owner, monkeypatch):
    def fail(*args, **kwargs):
        raise StaleVersionError(commitment, 1)

    monkeypatch.setattr(Commitment, "save_versioned", fail)
    with pytest.raises(StaleVersionError):
        commitment.post_progress(author=owner, text="Done.", new_status=Commitment.Status.DONE)

    assert not ProgressUpdate.objects.exists()
    assert Commitment.objects.get(pk=commitment.pk).status == Commitment.Status.OPEN


def test_a_bad_progress_update_saves_nothing(commitment, owner):
    with pytest.raises(ValidationError):
        commitment.post_progress(author=owner, text="", new_status=Commitment.Status.DONE)
    with pytest.raises(ValidationError):
        commitment.post_progress(author=owner, text="Done.", new_status="finished")
    assert not ProgressUpdate.objects.exists()
    assert Commitment.objects.get(pk=commitment.pk).status == Commitment.Status.OPEN
