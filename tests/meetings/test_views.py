import datetime

import lxml.html
import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.validators import UniqueTogetherValidator

from commitments.models import Category
from meetings.forms import latest_record_id
from meetings.models import Meeting
from tests.conftest import member_of
from tests.factories import (
    EMPTY_ROWS,
    AgendaTopicFactory,
    CommitmentFactory,
    MeetingFactory,
    MembershipFactory,
    ParticipantFactory,
)


@pytest.fixture
def meetings(group, other_group):
    return {
        "eighth": MeetingFactory(
            group=group, number=8, city="New Delhi", start_date=datetime.date(2019, 7, 16), end_date=None
        ),
        "ninth": MeetingFactory(group=group, number=9, host_country="UZ", city="Tashkent"),
        "tenth": MeetingFactory(group=group, number=10, status="planned", start_date=None, end_date=None, city=""),
        "other": MeetingFactory(group=other_group, number=1, host_country="JP", city="Tokyo"),
    }


def listed(client, query, meetings) -> set[str]:
    response = client.get(reverse("meetings:list") + query)
    assert response.status_code == 200
    by_pk = {m.pk: name for name, m in meetings.items()}
    return {by_pk[m.pk] for m in response.context["object_list"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"eighth", "ninth", "tenth"}),
        ("?host_country=UZ", {"ninth"}),
        ("?status=planned", {"tenth"}),
        ("?status=held", {"eighth", "ninth"}),
        ("?year=2019", {"eighth"}),
        ("?year=2025", {"ninth"}),
        ("?group=GROUP", {"eighth", "ninth", "tenth"}),
    ],
)
def test_each_meeting_filter_narrows_the_list(login, member, meetings, group, query, expected):
    assert listed(login(member), query.replace("GROUP", str(group.pk)), meetings) == expected


def test_another_groups_meetings_are_never_listed(login, member, meetings, other_group):
    assert listed(login(member), f"?group={other_group.pk}", meetings) == set()


@pytest.mark.parametrize(
    "query", ["?year=2019&year=2025", "?status=held&status=planned", "?host_country=IN&host_country=UZ"]
)
def test_a_filter_that_takes_one_value_refuses_several(login, member, meetings, query):
    """?year=2019&year=2025 used to filter by the last year alone, as if the first had not been asked."""
    response = login(member).get(reverse("meetings:list") + query)
    assert list(response.context["object_list"]) == []
    assert "Choose one value only." in response.content.decode()
    api = login(member).get(reverse("api:meeting-list") + query)
    assert api.status_code == 400
    assert "Choose one value only." in str(api.json())


def test_a_bad_year_is_an_error_not_a_crash(login, member, meetings):
    response = login(member).get(reverse("meetings:list") + "?year=abc")
    assert response.status_code == 200
    assert list(response.context["object_list"]) == []
    assert "Enter a whole number." in response.content.decode()
    # Said above the form as well, as the commitment list says it: the empty list is explained at a glance.
    document = lxml.html.fromstring(response.content)
    [alert] = document.find_class("alert-danger")
    assert alert.get("role") == "alert"
    assert "Some filters could not be applied" in alert.text_content()
    assert "Year: Enter a whole number." in alert.text_content()


def test_a_year_is_a_whole_number(login, member, meetings):
    """?year=2025.5 was taken, and listed the meetings of 2025."""
    response = login(member).get(reverse("meetings:list") + "?year=2025.5")
    assert list(response.context["object_list"]) == []
    assert "Year: Enter a whole number." in response.content.decode()
    api = login(member).get(reverse("api:meeting-list") + "?year=2025.5")
    assert api.status_code == 400
    assert api.json() == {"year": ["Enter a whole number."]}
    assert login(member).get(reverse("api:meeting-list") + "?year=2025").json()["count"] == 1
    for written in ["2025.0", "2_025", "\uff12\uff10\uff12\uff15", "\u0662\u0660\u0662\u0665", "1899", "2101"]:
        # taken as 2025 (Python's int() reads them so), or outside the years a date may have
        answer = login(member).get(reverse("api:meeting-list"), {"year": written})
        assert answer.status_code == 400, written
    assert login(member).get(reverse("api:meeting-list") + "?year=2100").status_code == 200
    schema = login(member).get("/api/schema/?format=json").json()
    [year] = [p for p in schema["paths"]["/api/v1/meetings/"]["get"]["parameters"] if p["name"] == "year"]
    assert year["schema"] == {"type": "integer", "minimum": 1900, "maximum": 2100}  # as a generated client types it


def test_the_meeting_page_shows_participants_agenda_outcome_and_commitments_by_category(login, member, meetings, owner):
    ninth = meetings["ninth"]
    ninth.outcome_summary = "The two sides agreed to strengthen cooperation."
    ninth.save()
    ParticipantFactory(
        meeting=ninth, name="Dr. Vinod J Bahade", role="co_chair", title="Joint Secretary (Counter Terrorism)"
    )
    AgendaTopicFactory(meeting=ninth, title="Terror financing")
    CommitmentFactory(meeting=ninth, title="Joint research", category=Category.objects.get(slug="research"))
    CommitmentFactory(meeting=ninth, title="Share intelligence", owner=owner)

    content = login(member).get(ninth.get_absolute_url()).content.decode()
    for text in [
        "9th meeting of the",
        "Tashkent, Uzbekistan",
        "30 September–1 October 2025",
        "Dr. Vinod J Bahade",
        "Co-chair",
        "Terror financing",
        "The two sides agreed to strengthen cooperation.",
    ]:
        assert text in content
    assert (
        content.index("Information sharing")
        < content.index("Share intelligence")
        < content.index("Research")
        < content.index("Joint research")
    )


def test_a_coordinator_creates_a_meeting(login, coordinator, group):
    response = login(coordinator).post(
        reverse("meetings:create"),
        {
            "group": group.pk,
            "number": 10,
            "status": "scheduled",
            "host_country": "IN",
            "city": "New Delhi",
            "start_date": "2027-03-12",
            "end_date": "2027-03-13",
            **EMPTY_ROWS,
        },
    )
    meeting = Meeting.objects.get(number=10)
    assert response.url == meeting.get_absolute_url()
    assert meeting.history.first().history_user == coordinator


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_date": "2027-03-11"}, "end_date", "The end date cannot be before the start date."),
        ({"host_country": "FR"}, "host_country", "The host must be one of the working group's countries"),
        ({"status": "scheduled", "start_date": "", "end_date": ""}, "start_date", "needs a start date"),
        ({"number": 9}, "__all__", "already has a meeting with this number"),
        ({"start_date": "12 Brumaire"}, "start_date", "Enter a valid date."),
    ],
)
def test_bad_meeting_input_is_refused_with_a_clear_message(
    login, coordinator, group, meetings, changes, field, message
):
    data = {
        "group": group.pk,
        "number": 11,
        "status": "scheduled",
        "host_country": "IN",
        "city": "New Delhi",
        "start_date": "2027-03-12",
        "end_date": "2027-03-13",
        **EMPTY_ROWS,
        **changes,
    }
    before = Meeting.objects.count()
    response = login(coordinator).post(reverse("meetings:create"), data)
    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors[field])
    assert Meeting.objects.count() == before


def test_a_coordinator_cannot_create_a_meeting_for_another_group(login, coordinator, other_group):
    response = login(coordinator).post(
        reverse("meetings:create"),
        {
            "group": other_group.pk,
            "number": 5,
            "status": "planned",
            "host_country": "IN",
        },
    )
    assert "group" in response.context["form"].errors
    assert not Meeting.objects.filter(group=other_group).exists()


def test_a_coordinator_sets_the_date_of_the_tenth_meeting(login, coordinator, meetings):
    tenth = meetings["tenth"]
    response = login(coordinator).post(
        reverse("meetings:edit", args=[tenth.pk]),
        {
            "group": tenth.group_id,
            "number": 10,
            "status": "scheduled",
            "host_country": "IN",
            "city": "New Delhi",
            "start_date": "2027-03-12",
            "opened": latest_record_id(tenth),
            **EMPTY_ROWS,
        },
    )
    assert response.status_code == 302
    tenth.refresh_from_db()
    assert tenth.summary == "10th meeting, New Delhi, 12 March 2027"


def test_the_new_meeting_form_preselects_the_group_proposes_the_next_number_and_offers_its_countries(
    login, coordinator, meetings, group
):
    form = login(coordinator).get(reverse("meetings:create")).context["form"]
    assert form["group"].value() == group.pk
    assert form["number"].value() == 11  # the group has met 8, 9 and 10 times
    assert [code for code, _ in form.fields["host_country"].choices] == ["", "IN", "UZ"]


def test_a_coordinator_of_two_groups_picks_the_group_and_is_offered_the_countries_of_both(
    login, coordinator, meetings, other_group
):
    MembershipFactory(group=other_group, user=coordinator, role="coordinator")
    form = login(coordinator).get(reverse("meetings:create")).context["form"]
    assert form["group"].value() is None
    assert form["number"].value() is None
    assert {code for code, _ in form.fields["host_country"].choices} == {"", "IN", "UZ", "JP"}


def test_a_meetings_edit_form_offers_the_countries_of_its_group(login, coordinator, meetings):
    form = login(coordinator).get(reverse("meetings:edit", args=[meetings["ninth"].pk])).context["form"]
    assert [name for _, name in form.fields["host_country"].choices] == ["---------", "India", "Uzbekistan"]


def rows(prefix: str, rows: list[dict], initial: int = 0, opened: list[dict] = ()) -> dict:
    """A formset's posted rows, with the values the page was opened with (its hidden initial values)."""
    data = {f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": initial}
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    for index, row in enumerate(opened):
        data.update({f"initial-{prefix}-{index}-{key}": value for key, value in row.items() if key != "id"})
    return data


def meeting_data(meeting, **changes) -> dict:
    data = {
        "group": meeting.group_id,
        "number": meeting.number,
        "status": meeting.status,
        "host_country": meeting.host_country.code,
        "city": meeting.city,
        "start_date": meeting.start_date.isoformat() if meeting.start_date else "",
        "end_date": meeting.end_date.isoformat() if meeting.end_date else "",
        "opened": latest_record_id(meeting),
        **rows("participants", []),
        **rows("agenda_topics", []),
    }
    return {**data, **changes}


def test_participants_and_agenda_are_entered_on_the_meetings_edit_page(login, coordinator, meetings):
    ninth = meetings["ninth"]
    client = login(coordinator)
    page = client.get(reverse("meetings:edit", args=[ninth.pk]))
    assert {"participants", "agenda_topics"} <= {formset.prefix for formset in page.context["formsets"]}
    data = meeting_data(
        ninth,
        **rows(
            "participants",
            [
                {
                    "name": "Vinay Kumar",
                    "title": "Joint Secretary (CT)",
                    "country": "IN",
                    "role": "co_chair",
                    "order": 1,
                },
                {"name": "Bakhtiyor Ibragimov", "country": "UZ", "role": "co_chair", "order": 2},
            ],
        ),
        **rows("agenda_topics", [{"order": 1, "title": "Exchange of views on the terrorist threat"}]),
    )
    response = client.post(reverse("meetings:edit", args=[ninth.pk]), data)
    assert response.status_code == 302, response.context and response.context.get("formsets")
    assert [(p.name, p.role) for p in ninth.participants.all()] == [
        ("Vinay Kumar", "co_chair"),
        ("Bakhtiyor Ibragimov", "co_chair"),
    ]
    assert [t.title for t in ninth.agenda_topics.all()] == ["Exchange of views on the terrorist threat"]


def test_a_bad_row_saves_nothing_and_says_why(login, coordinator, meetings):
    ninth = meetings["ninth"]
    data = meeting_data(
        ninth, city="Samarkand", **rows("participants", [{"name": "", "country": "IN", "role": "co_chair", "order": 1}])
    )
    data["participants-0-title"] = "Joint Secretary"
    response = login(coordinator).post(reverse("meetings:edit", args=[ninth.pk]), data)
    assert response.status_code == 422
    assert '<a href="#id_participants-0-name" class="alert-link">Participant 1, Name: This field is required.</a>' in (
        response.content.decode()
    )
    ninth.refresh_from_db()
    assert ninth.city == "Tashkent"
    assert not ninth.participants.exists()


def test_a_participant_host_country_is_one_of_the_groups(login, coordinator, meetings):
    form = login(coordinator).get(reverse("meetings:edit", args=[meetings["ninth"].pk])).context["formsets"][0].forms[0]
    assert [code for code, _ in form.fields["country"].choices] == ["", "IN", "UZ"]


def test_another_meetings_row_cannot_be_named(login, coordinator, meetings):
    theirs = ParticipantFactory(meeting=meetings["eighth"], name="Someone")
    ninth = meetings["ninth"]
    data = meeting_data(
        ninth, **rows("participants", [{"id": theirs.pk, "name": "Renamed", "country": "IN", "role": "delegate"}], 1)
    )
    response = login(coordinator).post(reverse("meetings:edit", args=[ninth.pk]), data)
    assert response.status_code == 422
    theirs.refresh_from_db()
    assert (theirs.name, theirs.meeting) == ("Someone", meetings["eighth"])


def test_the_co_chairs_of_the_previous_session_are_copied_on_request(login, coordinator, meetings):
    ParticipantFactory(meeting=meetings["ninth"], name="Vinay Kumar", country="IN", role="co_chair", title="JS (CT)")
    ParticipantFactory(meeting=meetings["ninth"], name="Bakhtiyor Ibragimov", country="UZ", role="co_chair")
    ParticipantFactory(meeting=meetings["ninth"], name="A delegate", country="IN", role="delegate")
    tenth = meetings["tenth"]
    client = login(coordinator)
    page = client.get(reverse("meetings:edit", args=[tenth.pk]))
    assert "Copy the co-chairs of the 9th meeting" in page.content.decode()
    copied = client.get(reverse("meetings:edit", args=[tenth.pk]) + "?copy_co_chairs=1").context["formsets"][0]
    assert [(f.initial.get("name"), f.initial.get("role")) for f in copied.extra_forms[:2]] == [
        ("Vinay Kumar", "co_chair"),
        ("Bakhtiyor Ibragimov", "co_chair"),
    ]
    assert copied.extra_forms[0].initial["title"] == "JS (CT)"


def delegate_row(meeting) -> dict:
    """A delegate of the meeting, and the row its page posts for them."""
    delegate = ParticipantFactory(meeting=meeting, name="Vinay Kumar", title="Director", country="IN", order=1)
    return {
        "id": delegate.pk,
        "name": "Vinay Kumar",
        "title": "Director",
        "country": "IN",
        "role": "delegate",
        "order": 1,
    }


def test_a_meeting_saved_by_a_colleague_meanwhile_is_merged_not_overwritten(login, coordinator, group, meetings):
    tenth = meetings["tenth"]
    row = delegate_row(tenth)
    tab_b = meeting_data(tenth, venue="Hyderabad House", **rows("participants", [row], 1, [row]))
    colleague = member_of(group, "colleague", "coordinator")
    colleague.first_name, colleague.last_name = "Meera", "Krishnan"
    colleague.save()
    tab_a = meeting_data(
        tenth,
        status="scheduled",
        start_date="2027-01-19",
        end_date="2027-01-20",
        **rows("participants", [{**row, "title": "Joint Secretary (CT)"}], 1, [row]),
    )
    assert login(colleague).post(reverse("meetings:edit", args=[tenth.pk]), tab_a).status_code == 302

    refused = login(coordinator).post(reverse("meetings:edit", args=[tenth.pk]), tab_b)
    assert refused.status_code == 422
    form = refused.context["form"]
    assert "Meera Krishnan saved this meeting at " in form.non_field_errors()[0]
    assert (form.data["start_date"], form.data["status"], form.data["venue"]) == (
        "2027-01-19",
        "scheduled",
        "Hyderabad House",
    )
    participants = refused.context["formsets"][0]
    assert participants.forms[0].initial["title"] == "Joint Secretary (CT)"  # the rows as they are now
    assert refused.context["unsaved_rows"] == []  # the user had not changed the rows

    now = {**row, "title": "Joint Secretary (CT)"}
    again = {**form.data.dict(), **rows("participants", [now], 1, [now])}
    assert login(coordinator).post(reverse("meetings:edit", args=[tenth.pk]), again).status_code == 302
    tenth.refresh_from_db()
    assert (tenth.start_date, tenth.status, tenth.venue) == (datetime.date(2027, 1, 19), "scheduled", "Hyderabad House")
    assert tenth.participants.get().title == "Joint Secretary (CT)"


def test_row_changes_refused_for_a_colleagues_save_are_listed(login, coordinator, group, meetings):
    tenth = meetings["tenth"]
    row = delegate_row(tenth)
    tab_b = meeting_data(tenth, **rows("participants", [{**row, "title": "Additional Secretary"}], 1, [row]))
    colleague = member_of(group, "colleague", "coordinator")
    tab_a = meeting_data(tenth, **rows("participants", [{**row, "DELETE": "on"}], 1, [row]))
    assert login(colleague).post(reverse("meetings:edit", args=[tenth.pk]), tab_a).status_code == 302

    refused = login(coordinator).post(reverse("meetings:edit", args=[tenth.pk]), tab_b)
    assert refused.context["unsaved_rows"] == [
        "Participant “Vinay Kumar” (no longer there: deleted meanwhile): Title “Additional Secretary”"
    ]
    assert "Your changes to the rows, not saved" in refused.content.decode()
    assert not tenth.participants.exists()


def test_a_row_that_is_gone_says_so(login, coordinator, meetings):
    theirs = ParticipantFactory(meeting=meetings["eighth"], name="Someone")
    ninth = meetings["ninth"]
    data = meeting_data(
        ninth, **rows("participants", [{"id": theirs.pk, "name": "Renamed", "country": "IN", "role": "delegate"}], 1)
    )
    content = login(coordinator).post(reverse("meetings:edit", args=[ninth.pk]), data).content.decode()
    assert "Not saved: check the participant and agenda rows marked below." in content
    assert "Participant 1: This row is no longer there" in content


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"status": "scheduled", "start_date": "2020-01-01", "end_date": "2020-01-02"},
            "1 January 2020 is in the past",
        ),
        ({"status": "planned", "start_date": "2020-01-01", "end_date": "", "dates": "provisional"}, "is in the past"),
        ({"status": "held", "start_date": "2099-05-01", "end_date": ""}, "A held meeting has taken place"),
    ],
)
def test_meeting_dates_that_cannot_be_are_refused(login, coordinator, meetings, changes, message):
    tenth = meetings["tenth"]
    response = login(coordinator).post(reverse("meetings:edit", args=[tenth.pk]), meeting_data(tenth, **changes))
    assert response.status_code == 422
    assert message in response.context["form"].errors["start_date"][0]
    tenth.refresh_from_db()
    assert tenth.start_date is None


def test_a_scheduled_meeting_whose_day_has_passed_is_still_edited(login, coordinator, group, meetings):
    passed = MeetingFactory(
        group=group, number=11, status="scheduled", start_date=datetime.date(2026, 1, 5), end_date=None
    )
    data = meeting_data(passed, venue="Hyderabad House")
    assert login(coordinator).post(reverse("meetings:edit", args=[passed.pk]), data).status_code == 302


def test_the_api_refuses_a_scheduled_meeting_in_the_past(client, coordinator, meetings):
    from tests.factories import api_token

    tenth = meetings["tenth"]
    response = client.patch(
        reverse("api:meeting-detail", args=[tenth.pk]),
        {"status": "scheduled", "start_date": "2020-01-01"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {api_token(coordinator)}",
    )
    assert response.status_code == 400
    assert "in the past" in response.json()["start_date"][0]


def test_a_participant_is_listed_once(login, coordinator, meetings):
    ninth = meetings["ninth"]
    co_chair = {"name": "Vinay Kumar", "country": "IN", "role": "co_chair", "order": 1}
    data = meeting_data(ninth, **rows("participants", [co_chair, {**co_chair, "name": "vinay  kumar"}]))
    response = login(coordinator).post(reverse("meetings:edit", args=[ninth.pk]), data)
    assert response.status_code == 422
    assert "vinay  kumar is already listed." in response.content.decode()
    assert not ninth.participants.exists()


def test_saving_a_meeting_unchanged_saves_nothing_and_refuses_no_colleague(login, coordinator, group, meetings):
    ninth = meetings["ninth"]
    opened = meeting_data(ninth)
    response = login(coordinator).post(reverse("meetings:edit", args=[ninth.pk]), opened)
    assert response.status_code == 302
    assert latest_record_id(ninth) == opened["opened"]
    colleague = member_of(group, "colleague", "coordinator")
    assert (
        login(colleague).post(reverse("meetings:edit", args=[ninth.pk]), {**opened, "city": "Samarkand"}).status_code
        == 302
    )


def test_a_field_both_changed_on_a_meeting_must_be_chosen(login, coordinator, group, meetings):
    ninth = meetings["ninth"]
    tab_b = meeting_data(ninth, venue="B")
    colleague = member_of(group, "colleague", "coordinator")
    assert (
        login(colleague).post(reverse("meetings:edit", args=[ninth.pk]), meeting_data(ninth, venue="A")).status_code
        == 302
    )
    refused = login(coordinator).post(reverse("meetings:edit", args=[ninth.pk]), tab_b)
    form = refused.context["form"]
    assert [c.name for c in form.conflicts] == ["venue"]
    unchosen = login(coordinator).post(reverse("meetings:edit", args=[ninth.pk]), form.data)
    assert unchosen.status_code == 422
    assert "Choose which value to keep." in unchosen.content.decode()
    ninth.refresh_from_db()
    assert ninth.venue == "A"


@pytest.fixture
def lost_race(monkeypatch):
    """Another request saves the same meeting number between this one's validation and its save: the first check
    of the constraints (the model's, and the API's validator of the pair) finds nothing yet; the database then
    refuses the row."""
    checked = []

    def first_finds_nothing(check):
        def checking(*args, **kwargs):
            checked.append(check.__qualname__)
            if checked.count(check.__qualname__) > 1:
                return check(*args, **kwargs)

        return checking

    monkeypatch.setattr(Meeting, "validate_constraints", first_finds_nothing(Meeting.validate_constraints))
    monkeypatch.setattr(UniqueTogetherValidator, "__call__", first_finds_nothing(UniqueTogetherValidator.__call__))
    return checked


def test_a_meeting_number_taken_meanwhile_is_refused_on_the_form_not_an_error_page(
    login, coordinator, group, meetings, lost_race
):
    data = {"group": group.pk, "number": 9, "status": "planned", "host_country": "IN", **EMPTY_ROWS}
    before = Meeting.objects.count()
    response = login(coordinator).post(reverse("meetings:create"), data)
    assert response.status_code == 422
    assert "already has a meeting with this number" in " ".join(response.context["form"].errors["__all__"])
    assert Meeting.objects.count() == before and lost_race.count("Model.validate_constraints") == 2


def test_a_meeting_number_taken_meanwhile_is_refused_by_the_api_with_a_400(coordinator, group, meetings, lost_race):
    api = APIClient()
    api.force_authenticate(coordinator)
    body = {"group": group.pk, "number": 9, "status": "planned", "host_country": "IN"}
    before = Meeting.objects.count()
    response = api.post(reverse("api:meeting-list"), body, format="json")
    assert response.status_code == 400, response.content[:300]
    assert "already has a meeting with this number" in str(response.json())
    assert Meeting.objects.count() == before and lost_race.count("UniqueTogetherValidator.__call__") == 2


@pytest.mark.parametrize(
    ("listing", "refused"), [("meetings:list", "?year=2025.5"), ("commitments:list", "?meeting=x")]
)
def test_a_list_whose_filter_is_refused_offers_no_export(login, coordinator, meetings, listing, refused):
    """Its export links led to a bare text 400 ("Invalid filter: …"): the list says what to correct instead."""
    applied = lxml.html.fromstring(login(coordinator).get(reverse(listing)).content)
    assert applied.xpath('//a[text()="Export CSV"]') and applied.xpath('//a[text()="Export Excel"]')
    response = login(coordinator).get(reverse(listing) + refused)
    document = lxml.html.fromstring(response.content)
    assert document.find_class("alert-danger"), "the refusal is said above the list"
    assert document.xpath('//a[starts-with(text(), "Export")]') == []


def test_an_export_asked_with_a_refused_filter_says_why_in_text_its_characters_named(login, coordinator, meetings):
    response = login(coordinator).get(reverse("meetings:export", args=["csv"]), {"year": "\u0662\u0660\u0662\u0665"})
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "Enter a whole number." in response.content.decode("utf-8")
