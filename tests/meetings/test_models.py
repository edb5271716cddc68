import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from meetings.dates import format_date_range
from meetings.fields import LeadDaysFormField
from meetings.models import Meeting, Membership, WorkingGroup
from tests.constraints import assert_violates
from tests.factories import MeetingFactory, MembershipFactory, ParticipantFactory, UserFactory, WorkingGroupFactory

TODAY = datetime.date(2026, 11, 28)


# --- Working groups -------------------------------------------------------------


def test_a_group_needs_a_partner_country(db):
    WorkingGroupFactory(partner_countries=["UZ"])  # valid
    assert_violates("workinggroup_has_partner", lambda: WorkingGroupFactory(partner_countries=[]))


def test_the_home_country_cannot_also_be_a_partner(db):
    group = WorkingGroupFactory.build(home_country="IN", partner_countries=["IN", "UZ"])
    with pytest.raises(ValidationError) as excinfo:
        group.full_clean()
    assert "India is the home country" in str(excinfo.value.message_dict["partner_countries"])
    WorkingGroupFactory.build(home_country="IN", partner_countries=["UZ"]).full_clean()


def test_a_new_group_is_reminded_30_14_7_and_1_days_before_a_session(db):
    assert WorkingGroupFactory().reminder_lead_days == [30, 14, 7, 1]


@pytest.mark.parametrize(
    ("typed", "cleaned"),
    [("30, 14, 7, 1", [30, 14, 7, 1]), ("1,7,14", [14, 7, 1]), ("60", [60]), ("", [])],
)
def test_lead_days_are_typed_as_a_comma_separated_list(typed, cleaned):
    assert LeadDaysFormField(required=False).clean(typed) == cleaned


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("30, fourteen", "whole numbers of days"),
        ("0, 7", "between 1 and 365"),
        ("-1", "between 1 and 365"),
        ("400", "between 1 and 365"),
        ("7, 7", "must not repeat"),
    ],
)
def test_bad_lead_days_are_refused_with_a_clear_message(typed, error):
    with pytest.raises(ValidationError) as excinfo:
        LeadDaysFormField().clean(typed)
    assert error in " ".join(excinfo.value.messages)


def test_lead_days_are_validated_on_the_model(db):
    group = WorkingGroupFactory.build(reminder_lead_days=[30, "x"])
    with pytest.raises(ValidationError) as excinfo:
        group.full_clean()
    assert "reminder_lead_days" in excinfo.value.message_dict


@pytest.mark.parametrize(("days", "valid"), [(0, True), (3, True), (90, True), (91, False), (-1, False)])
def test_the_days_before_a_session_when_the_brief_is_prepared(db, days, valid):
    group = WorkingGroupFactory.build(brief_days_before=days)
    if valid:
        group.full_clean()
    else:
        with pytest.raises(ValidationError) as excinfo:
            group.full_clean()
        assert "brief_days_before" in excinfo.value.message_dict


def test_owners_are_asked_for_updates_by_the_day_the_brief_is_prepared(group):
    meeting = MeetingFactory(group=group, status="scheduled", start_date=datetime.date(2027, 3, 12), end_date=None)
    assert meeting.updates_due == datetime.date(2027, 3, 9)
    group.brief_days_before = 0
    assert meeting.updates_due == datetime.date(2027, 3, 12)
    assert MeetingFactory(group=group, status="planned", start_date=None, end_date=None).updates_due is None


def test_a_user_joins_a_group_once(group):
    user = UserFactory()
    MembershipFactory(group=group, user=user)
    assert_violates(
        "membership_one_per_user_and_group",
        lambda: MembershipFactory(group=group, user=user, role=Membership.Role.COORDINATOR),
    )


def test_membership_role_must_be_known(group):
    assert_violates("membership_role_valid", lambda: MembershipFactory(group=group, role="chair"))


def test_coordinators_are_the_members_with_that_role(group, coordinator, member):
    assert list(group.coordinators) == [coordinator]


# --- Meetings --------------------------------------------------------------------


def test_meeting_numbers_are_unique_within_a_group(group, other_group):
    MeetingFactory(group=group, number=9)
    MeetingFactory(group=other_group, number=9)  # another group may have its own 9th
    assert_violates("meeting_number_unique_in_group", lambda: MeetingFactory(group=group, number=9))


def test_meetings_are_numbered_from_one(group):
    MeetingFactory(group=group, number=1)
    assert_violates("meeting_number_positive", lambda: MeetingFactory(group=group, number=0))


def test_meeting_status_must_be_known(group):
    assert_violates("meeting_status_valid", lambda: MeetingFactory(group=group, status="postponed"))


@pytest.mark.parametrize("status", [Meeting.Status.SCHEDULED, Meeting.Status.HELD])
def test_a_scheduled_or_held_meeting_needs_a_start_date(group, status):
    meeting = MeetingFactory.build(group=group, status=status, start_date=None, end_date=None)
    with pytest.raises(ValidationError) as excinfo:
        meeting.full_clean()
    assert "needs a start date" in excinfo.value.message_dict["start_date"][0]
    assert_violates("meeting_firm_status_has_date", meeting.save)


@pytest.mark.parametrize("status", [Meeting.Status.PLANNED, Meeting.Status.CANCELLED])
def test_a_planned_or_cancelled_meeting_may_have_no_date(group, status):
    meeting = MeetingFactory.build(group=group, status=status, start_date=None, end_date=None)
    meeting.full_clean()
    meeting.save()


def test_a_meeting_cannot_end_before_it_starts(group):
    meeting = MeetingFactory.build(
        group=group, start_date=datetime.date(2025, 10, 1), end_date=datetime.date(2025, 9, 30)
    )
    with pytest.raises(ValidationError) as excinfo:
        meeting.full_clean()
    assert excinfo.value.message_dict["end_date"] == ["The end date cannot be before the start date."]
    assert_violates("meeting_ends_after_start", meeting.save)
    MeetingFactory(group=group, start_date=datetime.date(2025, 9, 30), end_date=datetime.date(2025, 9, 30))


def test_the_host_must_be_one_of_the_groups_countries(group):
    meeting = MeetingFactory.build(group=group, host_country="FR")
    with pytest.raises(ValidationError) as excinfo:
        meeting.full_clean()
    assert excinfo.value.message_dict["host_country"] == [
        "The host must be one of the working group's countries: India, Uzbekistan."
    ]
    MeetingFactory.build(group=group, number=3, host_country="UZ").full_clean()


def test_participant_role_must_be_known(meeting):
    ParticipantFactory(meeting=meeting, role="co_chair")
    assert_violates("participant_role_valid", lambda: ParticipantFactory(meeting=meeting, role="guest"))


def test_a_meeting_reads_as_its_number_place_and_dates(group):
    tenth = MeetingFactory(
        group=group, number=10, city="", status=Meeting.Status.PLANNED, start_date=None, end_date=None
    )
    ninth = MeetingFactory(group=group, number=9, host_country="UZ", city="Tashkent")
    assert tenth.summary == "10th meeting, India, date to be agreed"
    assert ninth.summary == "9th meeting, Tashkent, 30 September–1 October 2025"
    assert str(ninth) == "India–Uzbekistan JWG-CT: 9th meeting"


@pytest.mark.parametrize(
    ("start", "end", "text"),
    [
        (None, None, "date to be agreed"),
        (datetime.date(2019, 7, 16), None, "16 July 2019"),
        (datetime.date(2019, 7, 16), datetime.date(2019, 7, 16), "16 July 2019"),
        (datetime.date(2025, 10, 1), datetime.date(2025, 10, 2), "1–2 October 2025"),
        (datetime.date(2025, 9, 30), datetime.date(2025, 10, 1), "30 September–1 October 2025"),
        (datetime.date(2025, 12, 31), datetime.date(2026, 1, 1), "31 December 2025–1 January 2026"),
    ],
)
def test_date_ranges_read_the_british_way(start, end, text):
    assert format_date_range(start, end) == text


# --- Next home-hosted session ----------------------------------------------------------


@pytest.fixture
def sessions(group):
    """A group's meetings of every kind around TODAY."""
    day = datetime.timedelta(days=1)
    return {
        "past": MeetingFactory(group=group, number=8, start_date=TODAY - 300 * day, end_date=None),
        "partner_hosted": MeetingFactory(
            group=group,
            number=9,
            host_country="UZ",
            status=Meeting.Status.SCHEDULED,
            start_date=TODAY + 5 * day,
            end_date=None,
        ),
        "cancelled": MeetingFactory(
            group=group, number=10, status=Meeting.Status.CANCELLED, start_date=TODAY + 10 * day, end_date=None
        ),
        "planned": MeetingFactory(
            group=group, number=12, status=Meeting.Status.PLANNED, start_date=None, end_date=None
        ),
        "scheduled": MeetingFactory(
            group=group, number=11, status=Meeting.Status.SCHEDULED, start_date=TODAY + 40 * day, end_date=None
        ),
    }


def test_the_next_home_hosted_session_is_the_earliest_scheduled_one_in_the_home_country(group, sessions):
    assert Meeting.objects.next_home_hosted(group, TODAY) == sessions["scheduled"]


def test_a_session_today_is_still_next(group, sessions):
    sessions["scheduled"].start_date = TODAY
    sessions["scheduled"].save()
    assert Meeting.objects.next_home_hosted(group, TODAY) == sessions["scheduled"]
    assert Meeting.objects.next_home_hosted(group, TODAY + datetime.timedelta(days=1)) is None


def test_a_session_with_no_agreed_date_is_not_next(group):
    MeetingFactory(group=group, number=10, status=Meeting.Status.PLANNED, start_date=None, end_date=None)
    assert Meeting.objects.next_home_hosted(group, TODAY) is None


def test_partner_hosted_cancelled_and_past_sessions_are_never_next(group, sessions):
    sessions["scheduled"].delete()
    assert Meeting.objects.next_home_hosted(group, TODAY) is None


def test_another_groups_session_is_not_next(group, other_group):
    MeetingFactory(group=other_group, number=2, status=Meeting.Status.SCHEDULED, start_date=TODAY, end_date=None)
    assert Meeting.objects.next_home_hosted(group, TODAY) is None


def test_the_upcoming_home_session_falls_back_to_one_whose_date_is_to_be_agreed(group, sessions):
    [group_with_sessions] = WorkingGroup.objects.filter(pk=group.pk).with_upcoming_home_sessions(TODAY)
    assert group_with_sessions.upcoming_home_sessions == [sessions["scheduled"], sessions["planned"]]
    assert group_with_sessions.upcoming_home_session == sessions["scheduled"]

    sessions["scheduled"].delete()
    [group_with_sessions] = WorkingGroup.objects.filter(pk=group.pk).with_upcoming_home_sessions(TODAY)
    assert group_with_sessions.upcoming_home_session.summary == "12th meeting, New Delhi, date to be agreed"


# --- Visibility ------------------------------------------------------------------------


def test_members_and_coordinators_see_their_groups_only(group, other_group, coordinator, member, outsider):
    assert list(WorkingGroup.objects.visible_to(coordinator)) == [group]
    assert list(WorkingGroup.objects.visible_to(member)) == [group]
    assert list(WorkingGroup.objects.visible_to(outsider)) == [other_group]


def test_superusers_see_every_group_and_anonymous_visitors_none(group, other_group, superuser):
    assert set(WorkingGroup.objects.visible_to(superuser)) == {group, other_group}
    assert not WorkingGroup.objects.visible_to(AnonymousUser()).exists()


def test_a_deactivated_member_sees_nothing(group, member):
    member.is_active = False
    assert not WorkingGroup.objects.visible_to(member).exists()


def test_meetings_are_visible_with_their_group(meeting, other_group, member, outsider):
    other_meeting = MeetingFactory(group=other_group, host_country="JP")
    assert list(Meeting.objects.visible_to(member)) == [meeting]
    assert list(Meeting.objects.visible_to(outsider)) == [other_meeting]


def test_coordinated_by_lists_only_the_groups_a_user_manages(group, other_group, coordinator, member, superuser):
    assert list(WorkingGroup.objects.coordinated_by(coordinator)) == [group]
    assert not WorkingGroup.objects.coordinated_by(member).exists()
    assert set(WorkingGroup.objects.coordinated_by(superuser)) == {group, other_group}
