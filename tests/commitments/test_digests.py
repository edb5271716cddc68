"""What a digest says, read as its recipient reads it, from a real SMTP server: each commitment once with all
its reasons, subjects that count only what they say, the date to post an update by, the brief's link, and
owner changes announced together once the person entering them has paused."""

import datetime
import email
import email.policy
import io
import re

import lxml.html
import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse, set_script_prefix
from django.utils import timezone

from commitments.models import Commitment, Reminder
from commitments.reminders import delivery, planning
from commitments.templatetags.tracker import person
from tests.commitments.conftest import NOW, TODAY, D
from tests.factories import CommitmentFactory, MembershipFactory

R = Reminder.Reason
QUIET = datetime.timedelta(minutes=10)  # REMINDER_QUIET_PERIOD_SECONDS by default
TAGS = re.compile(r"\[([^\]]+)\]")


def sweep(at: datetime.datetime = NOW) -> delivery.SendReport:
    with time_machine.travel(at, tick=False):
        return delivery.send_due(timezone.now())


def plan(day: datetime.date = TODAY) -> None:
    with time_machine.travel(NOW + (day - TODAY), tick=False):
        planning.plan(day)


def at(moment: datetime.datetime):
    return time_machine.travel(moment, tick=False)


def digest_to(server, user):
    [message] = [message for message in server.messages if message["To"] == user.email]
    return message


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def html(message) -> str:
    return message.get_body(("html",)).get_content()


def rows(text: str) -> dict[str, list[str]]:
    """The commitments a text part lists ("* title"), in order, each with the tags of its next line."""
    listed, lines = {}, text.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("* "):
            title = line[2:]
            assert title not in listed, f"{title} listed twice"
            listed[title] = TAGS.findall(lines[number + 1])
    return listed


def prose(text: str) -> str:
    """The text with its lines joined, as a reader reads wrapped lines."""
    return " ".join(text.split())


def give(commitment: Commitment, owner, by, **changes) -> None:
    """Save a new owner (and other changes) as a user's edit does."""
    commitment.refresh_from_db()
    commitment.owner = owner
    for name, value in changes.items():
        setattr(commitment, name, value)
    commitment.save_versioned(commitment.version, user=by)


@pytest.fixture
def owners_week(tenth, meeting, owner, coordinator):
    """Three commitments of `owner` a week before the 10th meeting: one overdue and just handed to them, one due
    in a week, one without a date."""
    with at(NOW - datetime.timedelta(days=30)):
        overdue = CommitmentFactory(
            meeting=meeting, owner=coordinator, title="Share intelligence", follow_up_date=TODAY - datetime.timedelta(3)
        )
        soon = CommitmentFactory(
            meeting=meeting, owner=owner, title="Joint training", follow_up_date=TODAY + datetime.timedelta(7)
        )
        undated = CommitmentFactory(meeting=meeting, owner=owner, title="Joint research", follow_up_date=None)
    Reminder.objects.all().delete()
    with at(NOW - datetime.timedelta(minutes=20)):
        give(overdue, owner, by=coordinator)
    plan()
    return overdue, soon, undated


# --- One row per commitment ----------------------------------------------------------------------------------


def test_a_commitment_is_listed_once_with_all_its_reasons_by_follow_up_date(owners_week, owner, smtp_server):
    sweep()
    message = digest_to(smtp_server, owner)
    assert rows(plain(message)) == {
        "Share intelligence": ["overdue since 2 Mar", "new: assigned to you", "before the 10th meeting"],
        "Joint training": ["due in 7 days", "before the 10th meeting"],
        "Joint research": ["before the 10th meeting"],
    }
    body = html(message)
    for title in ("Share intelligence", "Joint training", "Joint research"):
        assert body.count(f">{title}</a>") == 1
    assert body.index("Share intelligence") < body.index("Joint training") < body.index("Joint research")


def test_each_digests_parts_are_divided_by_a_boundary_of_its_own(owners_week, owner, coordinator, smtp_server):
    """The boundaries are made by the app (not searched for by the generator): each message has its own, in no
    part's text, and a strict parser finds every part."""
    sweep()
    boundaries = []
    for raw in smtp_server.handler.raw:
        message = email.message_from_bytes(raw, policy=email.policy.strict)
        for part in message.walk():
            if part.is_multipart():
                boundary = part.get_boundary()
                boundaries.append(boundary)
                assert all(
                    boundary not in str(child.get_content()) for child in part.iter_parts() if not child.is_multipart()
                )
        assert {"text/plain", "text/html"} <= {part.get_content_type() for part in message.walk()}
    assert len(boundaries) >= 2 and len(set(boundaries)) == len(boundaries)


def test_each_line_links_to_its_commitment_also_under_a_path_prefix(owners_week, owner, smtp_server, settings):
    """The lines' addresses are built from the route once, not reversed line by line: they stay right when the
    site is served under a path of its own."""
    commitment = Commitment.objects.filter(owner=owner).order_by("pk").first()
    sweep()
    assert (
        f"  Open: {settings.SITE_URL}/commitments/{commitment.pk}/" in plain(digest_to(smtp_server, owner)).splitlines()
    )
    smtp_server.messages.clear()
    Reminder.objects.update(state=Reminder.State.PENDING)
    set_script_prefix("/tracker/")
    try:
        sweep()
    finally:
        set_script_prefix("/")
    lines = plain(digest_to(smtp_server, owner)).splitlines()
    assert f"  Open: {settings.SITE_URL}/tracker/commitments/{commitment.pk}/" in lines


def test_the_session_leads_the_message_with_the_date_to_post_an_update_by(owners_week, owner, smtp_server):
    sweep()
    text = plain(digest_to(smtp_server, owner))
    lead = prose(text[: text.index("* ")])
    assert "The 10th meeting of the India–Uzbekistan JWG-CT: New Delhi, 12 March 2027, in 7 days." in lead
    assert "Please post an update on each of your 3 commitments below by 9 March 2027" in lead  # D − 3 days
    assert "meeting-10.ics" in lead  # the attached calendar file is named


def test_a_session_lead_over_more_commitments_than_are_listed_says_how_many_are(tenth, meeting, owner, smtp_server):
    with at(NOW - datetime.timedelta(days=30)):
        for n in range(60):
            CommitmentFactory(meeting=meeting, owner=owner, title=f"Commitment {n:02}", follow_up_date=None)
    Reminder.objects.all().delete()
    plan()
    sweep()
    message = digest_to(smtp_server, owner)
    text, page = plain(message), html(message)
    assert len(rows(text)) == 50
    said = "Please post an update on each of your 60 commitments (the first 50 are listed below) by 9 March 2027"
    for part in (prose(text[: text.index("* ")]), prose(lxml.html.fromstring(page).text_content())):
        assert said in part


def test_the_update_by_date_is_the_groups_setting(owners_week, owner, group, smtp_server):
    group.brief_days_before = 5
    group.save()
    sweep()
    assert "by 7 March 2027" in prose(plain(digest_to(smtp_server, owner)))


@pytest.mark.parametrize(
    ("brief_days_before", "days_ahead"),
    [(3, 1), (20, 7)],  # the day before the session; the brief prepared 20 days ahead of a session 7 days away
)
def test_once_the_brief_is_being_prepared_everyone_is_asked_for_today(
    tenth, meeting, owner, coordinator, group, smtp_server, brief_days_before, days_ahead
):
    group.brief_days_before = brief_days_before
    group.save()
    CommitmentFactory(meeting=meeting, owner=owner, title="Joint training", follow_up_date=None)
    Reminder.objects.all().delete()
    day = D - datetime.timedelta(days=days_ahead)
    plan(day)
    sweep(NOW + (day - TODAY))
    to_owner = prose(plain(digest_to(smtp_server, owner)))
    assert "Please post an update on your commitment below today: the brief for the meeting is being prepared." in (
        to_owner
    )
    assert "by 9 March" not in to_owner
    summary = prose(plain(digest_to(smtp_server, coordinator)))  # the coordinators are told the same
    assert "Owners are asked to post their updates today." in summary
    assert "were asked" not in summary


# --- Honest subjects ---------------------------------------------------------------------------------------------


def test_the_subject_counts_the_commitments_before_the_session(owners_week, owner, smtp_server):
    sweep()
    message = digest_to(smtp_server, owner)
    assert message["Subject"] == "[India–Uzbekistan JWG-CT] 10th meeting in 7 days: 3 of your commitments"
    tagged = [tags for tags in rows(plain(message)).values() if "before the 10th meeting" in tags]
    assert len(tagged) == 3


def test_without_a_session_overdue_commitments_lead_the_subject(meeting, owner, smtp_server):
    with at(NOW - datetime.timedelta(days=30)):
        for title, days in (("Late one", -3), ("Late two", -10), ("Soon", 7)):
            CommitmentFactory(
                meeting=meeting, owner=owner, title=title, follow_up_date=TODAY + datetime.timedelta(days)
            )
    Reminder.objects.all().delete()
    plan()
    sweep()
    message = digest_to(smtp_server, owner)
    assert message["Subject"] == "[India–Uzbekistan JWG-CT] 2 overdue commitments"
    listed = rows(plain(message))
    assert [title for title, tags in listed.items() if any(tag.startswith("overdue") for tag in tags)] == [
        "Late two",
        "Late one",
    ]
    assert listed["Soon"] == ["due in 7 days"]


def test_a_commitment_due_soon_is_named_in_the_subject(meeting, owner, smtp_server):
    with at(NOW - datetime.timedelta(days=30)):
        CommitmentFactory(meeting=meeting, owner=owner, title="Soon", follow_up_date=TODAY + datetime.timedelta(1))
    Reminder.objects.all().delete()
    plan()
    sweep()
    assert digest_to(smtp_server, owner)["Subject"] == "[India–Uzbekistan JWG-CT] 1 commitment due tomorrow"


def test_a_coordinators_digest_says_summary_and_links_to_the_brief(owners_week, tenth, coordinator, smtp_server):
    sweep()
    message = digest_to(smtp_server, coordinator)
    assert message["Subject"] == "[India–Uzbekistan JWG-CT] 10th meeting in 7 days: summary"
    text = prose(plain(message))
    assert (
        rows(plain(message)) == {}
    )  # owns nothing: no commitments of their own listed: no commitments of their own listed
    assert f"The brief for the meeting: http://127.0.0.1:8000/meetings/{tenth.pk}/brief/" in text
    assert "Owners are asked to post their updates by 9 March 2027." in text
    assert f'href="http://127.0.0.1:8000/meetings/{tenth.pk}/brief/"' in html(message)


def test_a_coordinator_who_owns_commitments_is_told_both(owners_week, meeting, coordinator, smtp_server):
    with at(NOW - datetime.timedelta(days=30)):
        CommitmentFactory(meeting=meeting, owner=coordinator, title="Coordinate in the UN", follow_up_date=None)
    Reminder.objects.filter(reason=R.ASSIGNED).delete()  # entered by the coordinator: no news to them
    plan()
    sweep()
    message = digest_to(smtp_server, coordinator)
    assert message["Subject"] == "[India–Uzbekistan JWG-CT] 10th meeting in 7 days: summary and 1 of your commitments"
    assert rows(plain(message)) == {"Coordinate in the UN": ["before the 10th meeting"]}


# --- Owner changes, announced together ---------------------------------------------------------------------------


def test_ten_assignments_in_a_row_send_one_message_per_owner_after_a_pause(
    meeting, owner, owner2, coordinator, smtp_server
):
    with at(NOW - datetime.timedelta(days=30)):
        commitments = [
            CommitmentFactory(meeting=meeting, owner=None, title=f"Commitment {n}", follow_up_date=None)
            for n in range(10)
        ]
    start = NOW - datetime.timedelta(hours=1)
    minutes = [start + datetime.timedelta(minutes=n) for n in range(10)]
    for minute, commitment in zip(minutes, commitments, strict=True):
        with at(minute):  # one a minute, as a coordinator enters them
            give(commitment, owner if commitment in commitments[1::2] else owner2, by=coordinator)
        sweep(minute + datetime.timedelta(seconds=30))  # the hourly sweep, or a task enqueued earlier
    assert smtp_server.messages == []  # still entering
    for minute in minutes:
        sweep(minute + QUIET + datetime.timedelta(seconds=1))  # the send task each change enqueued
    assert sorted(message["To"] for message in smtp_server.messages) == sorted([owner.email, owner2.email])
    for user in (owner, owner2):
        message = digest_to(smtp_server, user)
        assert message["Subject"] == "[India–Uzbekistan JWG-CT] 5 commitments assigned to you"
        assert list(rows(plain(message)).values()) == [["new: assigned to you"]] * 5


def test_a_closed_commitment_is_not_announced_as_assigned(commitment, member, coordinator, smtp_server):
    """Not while it is closed: its notices are recorded withdrawn, and go if it is reopened (test_notifications)."""
    Reminder.objects.all().delete()
    give(commitment, member, by=coordinator, status=Commitment.Status.DONE)
    assert set(Reminder.objects.values_list("state", "last_error")) == {
        (Reminder.State.SKIPPED, "withdrawn: the commitment is closed")
    }

    closed_later = CommitmentFactory(meeting=commitment.meeting, owner=None)
    with at(NOW - QUIET * 2):
        give(closed_later, member, by=coordinator)
        closed_later.change_status(Commitment.Status.DONE, user=coordinator)  # before the notice went out
    sweep()
    assert smtp_server.messages == []
    assert set(Reminder.objects.values_list("state", flat=True)) == {Reminder.State.SKIPPED}


def test_a_commitment_handed_back_the_same_day_is_announced_again(commitment, owner, member, coordinator, smtp_server):
    Reminder.objects.all().delete()
    for minutes_ago, new_owner in ((60, member), (40, owner), (20, member)):
        with at(NOW - datetime.timedelta(minutes=minutes_ago)):
            give(commitment, new_owner, by=coordinator)
        sweep(NOW - datetime.timedelta(minutes=minutes_ago) + QUIET)

    def subjects(user) -> list[str]:
        return [message["Subject"].split("] ")[1] for message in smtp_server.messages if message["To"] == user.email]

    assert subjects(member) == [
        "1 commitment assigned to you",
        "1 commitment handed over to someone else",
        "1 commitment assigned to you",
    ]
    assert subjects(owner) == [
        "1 commitment handed over to someone else",
        "1 commitment assigned to you",
        "1 commitment handed over to someone else",
    ]


def test_a_change_undone_before_the_pause_ends_announces_nothing(commitment, owner, member, coordinator, smtp_server):
    Reminder.objects.all().delete()
    with at(NOW - QUIET * 2):
        give(commitment, member, by=coordinator)
        give(commitment, owner, by=coordinator)  # the wrong row: put back at once
    sweep()
    assert smtp_server.messages == []
    assert not Reminder.objects.filter(state=Reminder.State.PENDING).exists()


def test_a_handover_notice_names_the_new_owner(commitment, owner, member, coordinator, smtp_server):
    Reminder.objects.all().delete()
    with at(NOW - QUIET * 2):
        give(commitment, member, by=coordinator)
    sweep()
    message = digest_to(smtp_server, owner)
    assert message["Subject"] == "[India–Uzbekistan JWG-CT] 1 commitment handed over to someone else"
    assert f"{commitment.title} — now with {person(member)}" in prose(plain(message))
    assert rows(plain(message)) == {}  # not among the owner's own commitments
    lines = plain(message).splitlines()
    named = next(number for number, line in enumerate(lines) if line.startswith(f"- {commitment.title}"))
    after = next(line for line in lines[named + 1 :] if not line.startswith("    "))  # past the name's wrapped lines
    assert after == f"  Open: {commitment.address(commitment.pk)}"  # the link right below


def test_a_restricted_commitment_handed_over_is_named_not_linked_to_who_can_no_longer_open_it(
    commitment, owner, member, coordinator, smtp_server, client
):
    """Its previous owner learns it is no longer theirs, by reference, without a link that would answer 404."""
    commitment.restricted = True
    commitment.save_versioned(commitment.version)
    Reminder.objects.all().delete()
    with at(NOW - QUIET * 2):
        give(commitment, member, by=coordinator)
    sweep()
    message = digest_to(smtp_server, owner)
    url = f"/commitments/{commitment.pk}/"
    assert f"Commitment C-{commitment.pk} (restricted)" in plain(message)
    assert url not in plain(message) and url not in html(message)
    client.force_login(owner)
    assert client.get(url).status_code == 404  # what the link would have opened


def test_demo_data_announces_no_assignments(db):
    call_command("seed_demo", stdout=io.StringIO())
    assert not Reminder.objects.exists()


# --- Text-only clients -----------------------------------------------------------------------------------------


def test_the_text_part_fits_a_plain_text_reader(owners_week, owner, smtp_server):
    long_title = "Exchange of information on " + "financing networks and their couriers " * 4
    undated = owners_week[2]
    undated.title = long_title.strip()
    undated.save_versioned(undated.version)
    sweep()
    text = plain(digest_to(smtp_server, owner))
    too_long = [line for line in text.splitlines() if len(line) > 78 and "http" not in line]
    assert too_long == []
    assert prose(long_title) in prose(text)


# --- What outside eyes found ---------------------------------------------------------------------------------


def test_a_new_owners_other_reminders_wait_for_the_pause_too(owners_week, meeting, owner, coordinator, smtp_server):
    """On a reminder day the sweep plans the new owner's session reminder for the commitment at once: it waits with
    the notice, and both arrive in one message."""
    sweep()  # the morning's digests
    with at(NOW - datetime.timedelta(days=30)):
        handed = CommitmentFactory(meeting=meeting, owner=coordinator, title="Counter financing", follow_up_date=None)
    later = NOW + datetime.timedelta(hours=1)
    with at(later):
        give(handed, owner, by=coordinator)
    plan()  # the hourly sweep
    sweep(later + datetime.timedelta(minutes=5))
    assert len([m for m in smtp_server.messages if m["To"] == owner.email]) == 1  # only the morning's
    sweep(later + QUIET)
    to_owner = [message for message in smtp_server.messages if message["To"] == owner.email]
    assert len(to_owner) == 2
    assert rows(plain(to_owner[1])) == {"Counter financing": ["new: assigned to you", "before the 10th meeting"]}


def test_one_digest_that_cannot_be_written_stops_no_other(owners_week, owner, coordinator, smtp_server, monkeypatch):
    real = delivery.build_digest

    def build_digest(recipient, *args, **kwargs):
        if recipient == owner:
            raise ValueError("cannot be written")
        return real(recipient, *args, **kwargs)

    monkeypatch.setattr(delivery, "build_digest", build_digest)
    report = sweep()
    assert [message["To"] for message in smtp_server.messages] == [coordinator.email]
    assert not Reminder.objects.filter(state=Reminder.State.SENDING).exists()
    failed = Reminder.objects.filter(recipient=owner, state=Reminder.State.FAILED)
    assert failed.exists() and "ValueError: cannot be written" in failed.first().last_error
    assert report.failed == failed.count()


def typed(owner, name: tuple[str, str], commitment, title: str) -> None:
    """The owner's name and the commitment's title as someone typed them, then a sweep."""
    owner.first_name, owner.last_name = name
    owner.save()
    commitment.title = title
    commitment.save_versioned(commitment.version)
    sweep()


def test_line_breaks_and_direction_marks_in_names_reach_no_message(owners_week, group, owner, smtp_server):
    group.name = "India–Uzbekistan Joint Working Group\non Counter Terrorism"
    group.short_name = "JWG-CT \u202eTC"
    group.save()
    typed(
        owner,
        ("Arjun\r\nOpen: http://evil.example/", "Mehta"),
        owners_week[2],
        "Joint research\nOpen: http://evil.example/ \u202egnp.exe",
    )
    message = digest_to(smtp_server, owner)
    assert message["Subject"] == "[JWG-CT TC] 10th meeting in 7 days: 3 of your commitments"
    text = plain(message)
    assert not [line for line in text.splitlines() if line.startswith("Open: http://evil")]
    assert "Dear Arjun Open: http://evil.example/ Mehta," in prose(text)
    assert "* Joint research Open: http://evil.example/ gnp.exe" in prose(text)
    for part in message.walk():
        if part.get_content_maintype() == "text":
            assert "\u202e" not in part.get_content()
    [calendar] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert "X-WR-CALNAME:10th meeting of the India–Uzbekistan Joint Working Group on Counter Terrorism" in (
        calendar.get_content().replace("\r\n ", "")
    )


def test_markup_in_titles_and_names_is_text_in_the_html_part_and_as_typed_in_the_text_part(
    owners_week, owner, smtp_server
):
    typed(
        owner,
        ("<b>Arjun</b>", "O'Neil & Mehta"),
        owners_week[2],
        'Joint research <img src=x onerror="alert(1)"> & more',
    )
    message = digest_to(smtp_server, owner)
    assert '* Joint research <img src=x onerror="alert(1)"> & more' in plain(message).splitlines()
    assert "Dear <b>Arjun</b> O'Neil & Mehta," in plain(message)
    document = lxml.html.fromstring(html(message))
    assert not document.xpath("//img | //b")
    assert 'Joint research <img src=x onerror="alert(1)"> & more' in [a.text for a in document.iter("a")]
    assert "Dear <b>Arjun</b> O'Neil & Mehta," in document.text_content()


def test_no_header_is_folded_right_after_its_colon(owners_week, owner, smtp_server, settings):
    settings.SITE_URL = "https://commitments.intranet.ministry.example.gov.in"
    sweep()
    raw = smtp_server.raw[[m["To"] for m in smtp_server.messages].index(owner.email)]
    headers = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in headers  # the headers of the message itself
    empty = [line for line in headers if line[:1] not in b" \t" and line.rstrip().endswith(b":")]
    assert empty == []


def test_the_coordinators_summary_carries_the_sessions_calendar_file(owners_week, coordinator, smtp_server):
    sweep()
    message = digest_to(smtp_server, coordinator)
    assert [part.get_filename() for part in message.iter_attachments()] == ["meeting-10.ics"]


def test_send_reminders_says_why_reminders_were_withdrawn(commitment, member, coordinator, smtp_server):
    Reminder.objects.all().delete()
    with at(NOW - QUIET * 2):
        give(commitment, member, by=coordinator)
        commitment.change_status(Commitment.Status.DONE, user=coordinator)
    out = io.StringIO()
    with at(NOW):
        call_command("send_reminders", stdout=out)
    assert (
        "2 withdrawn since planning (the commitment was closed or changed owner, or the recipient left the group or "
        "their account was closed)" in (out.getvalue())
    )


def test_reminders_of_someone_who_left_say_why_they_were_not_sent(owners_week, owner, group, smtp_server):
    group.memberships.get(user=owner).delete()
    out = io.StringIO()
    with at(NOW):
        call_command("send_reminders", stdout=out)
    assert "5 no longer called for (a date moved, the commitment was closed or changed owner, or the recipient " in (
        prose(out.getvalue())
    )
    left = (
        Reminder.objects.filter(recipient=owner)
        .exclude(state=Reminder.State.SENT)
        .exclude(last_error__startswith="stale")
    )
    assert set(left.values_list("last_error", flat=True)) == {
        "superseded: no longer called for (a date moved, the commitment was closed or changed owner, or the recipient "
        "left the group or their account was closed)",  # planned reminders, found by the planning
        "withdrawn: the recipient is no longer a member of the working group",  # the notice, found by the sender
    }


FAKE = "Open: http://evil.example/login"


def test_text_a_user_typed_never_starts_a_line_like_the_messages_own_links(owners_week, tenth, owner, smtp_server):
    """Wrapping may break a long title, city or reason anywhere: what it carries over is indented past the
    messages' own "  Open: …" lines, so that it cannot pass for one. The reason of a date move is one line."""
    tenth.city = "Hyderabad House, New Delhi. " + FAKE
    tenth.save()
    with at(NOW - datetime.timedelta(days=30)):
        for n in range(1, 70, 6):
            CommitmentFactory(meeting=tenth.group.meetings.get(number=9), owner=owner, title="x" * n + " " + FAKE)
    Reminder.objects.filter(reason=R.ASSIGNED).delete()
    soon = owners_week[1]
    soon.follow_up_date = TODAY + datetime.timedelta(days=10)
    soon.save_versioned(soon.version)
    soon.record_date_move(
        author=owner, moved_from=TODAY + datetime.timedelta(days=7), reason="Waiting.\r\n" + FAKE + " \u202egnp.exe"
    )
    plan()
    sweep()
    for message in smtp_server.messages:
        text = plain(message)
        assert not re.search(r"^ {0,3}Open: http://evil", text, re.MULTILINE), text
        assert "\u202e" not in text and "\u202e" not in html(message)
    summary = prose(plain(digest_to(smtp_server, tenth.group.coordinators.first())))
    assert f"(Waiting. {FAKE} gnp.exe)" in summary


def test_the_subject_follows_the_session_the_message_leads_with(owners_week, tenth, owner, other_group, smtp_server):
    """An owner of the JWG-CT who coordinates another group whose session falls on the same day."""
    from meetings.models import Membership
    from tests.factories import MeetingFactory, MembershipFactory

    MembershipFactory(group=other_group, user=owner, role=Membership.Role.COORDINATOR)
    other = MeetingFactory(
        group=other_group, number=2, host_country="IN", city="Delhi", status="scheduled", start_date=D, end_date=None
    )
    plan()
    sweep()
    message = digest_to(smtp_server, owner)
    assert message["Subject"] == "[India–Uzbekistan JWG-CT] 10th meeting in 7 days: 3 of your commitments"
    text = prose(plain(message))
    assert text.index("The 10th meeting of the India–Uzbekistan JWG-CT") < text.index(
        f"stands before the {other.title}"
    )
    assert "The calendar file meeting-2.ics is attached." in text
    assert sorted(part.get_filename() for part in message.iter_attachments()) == ["meeting-10.ics", "meeting-2.ics"]


def test_a_digest_of_several_groups_names_each_commitments_group(
    owners_week, owner, coordinator, other_group, smtp_server
):
    """An owner in two groups gets one message: each commitment in it, and each handed over, says whose it is."""
    from tests.factories import MeetingFactory

    member_of_both = MembershipFactory(group=other_group, user=owner)
    with at(NOW - datetime.timedelta(days=30)):
        cyber = CommitmentFactory(
            meeting=MeetingFactory(group=other_group, number=1),
            owner=owner,
            title="Cyber drill",
            follow_up_date=TODAY + datetime.timedelta(7),
        )
    with at(NOW - datetime.timedelta(minutes=20)):
        give(owners_week[1], coordinator, by=coordinator)  # "Joint training" handed over
    plan()
    sweep()
    text = plain(digest_to(smtp_server, owner)).splitlines()
    assert f"* Cyber drill ({other_group})" in text
    assert f"* Share intelligence ({owners_week[0].meeting.group})" in text
    assert f"- Joint training ({owners_week[1].meeting.group}) — now with {person(coordinator)}" in text
    body = html(digest_to(smtp_server, owner))
    assert f">Cyber drill</a> ({other_group})" in body
    assert member_of_both and cyber


def test_a_digest_of_one_group_names_no_group_by_its_commitments(owners_week, owner, smtp_server):
    sweep()
    text = plain(digest_to(smtp_server, owner))
    assert "* Share intelligence" in text.splitlines()
    assert f"({owners_week[0].meeting.group})" not in text


def test_every_automatic_message_names_the_site_in_its_message_id(client, owner, smtp_server, settings):
    settings.SITE_URL = "https://commitments.intranet.example"
    client.post(reverse("password_reset"), {"email": owner.email})
    [message] = smtp_server.messages
    assert message["Message-ID"].endswith("@commitments.intranet.example>")


def test_an_overdue_commitment_without_its_tag_says_so_by_its_date(owners_week, owner, smtp_server):
    """Overdue reminders turned off: the commitment comes for the session, and its date says it is overdue."""
    from commitments.models import NotificationPreference

    NotificationPreference.objects.create(user=owner, overdue=False)
    Reminder.objects.filter(reason=R.OVERDUE).delete()
    sweep()
    text = plain(digest_to(smtp_server, owner))
    assert rows(text)["Share intelligence"] == ["new: assigned to you", "before the 10th meeting"]
    assert "Follow-up date: 2 March 2027 (overdue)." in text
    assert "(overdue)" in html(digest_to(smtp_server, owner))


def test_a_digest_lists_at_most_fifty_commitments_and_links_the_rest(meeting, owner, coordinator, smtp_server):
    """Hundreds of commitments assigned at once (an import, a handover) make one e-mail of a readable size."""
    with at(NOW - datetime.timedelta(days=30)):
        commitments = [
            CommitmentFactory(meeting=meeting, owner=None, title=f"Commitment {n:03}", follow_up_date=None)
            for n in range(120)
        ]
    with at(NOW - QUIET - datetime.timedelta(minutes=1)):
        for commitment in commitments:
            give(commitment, owner, by=coordinator)
    sweep()
    message = digest_to(smtp_server, owner)
    assert message["Subject"] == "[India–Uzbekistan JWG-CT] 120 commitments assigned to you"
    text, page = plain(message), html(message)
    assert len(rows(text)) == 50
    assert page.count("Post an update</a>") == 50
    mine = "/commitments/?owner=mine"
    for part in (prose(text), page):
        assert "and 70 more" in part
        assert mine in part
    assert len(message.as_bytes()) < 100_000


def test_the_coordinators_summary_lists_at_most_fifty_of_each_kind_and_counts_the_rest(
    owners_week, tenth, meeting, coordinator, smtp_server
):
    """A group of hundreds of overdue commitments without an owner (an import of old records) makes a summary of
    a readable size: the counts are whole, the lists the first 50, the brief has them all."""
    with at(NOW - datetime.timedelta(days=30)):
        CommitmentFactory.create_batch(
            120, meeting=meeting, owner=None, follow_up_date=TODAY - datetime.timedelta(days=10)
        )
    sweep()
    message = digest_to(smtp_server, coordinator)
    text, page = prose(plain(message)), html(message)
    assert "Overdue (121):" in text and "Without an owner (120):" in text
    assert "Overdue (121)</h3>" in page
    for part in (text, page):
        assert part.count("and 71 more") == 1  # overdue: 121 − 50
        assert part.count("and 70 more") == 1  # without an owner
    assert len(message.as_bytes()) < 150_000


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (" ".join(f"word{n}" for n in range(60)), "word0 word1"),  # cut after 40 words
        ("会議" * 1000, "会議会議"),  # a script written without spaces
        ("See https://mea.example/" + "Note_verbale" * 100, "See https://mea.example/Note_verbale"),
    ],
)
def test_a_long_last_update_is_quoted_shortened(owners_week, owner, smtp_server, text, kept):
    _, soon, _ = owners_week
    with at(NOW - datetime.timedelta(days=1)):
        soon.post_progress(author=owner, text=text)
    sweep()
    quoted = [line.split(" Open: ")[0] for line in prose(plain(digest_to(smtp_server, owner))).split("Last update: ")]
    [line] = [line for line in quoted if kept in line]
    assert line.endswith("…") and len(line.split(" — ")[1]) <= 321  # 40 words, or 320 characters and "…"
