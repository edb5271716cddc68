import datetime
import io

from django.contrib.auth import get_user_model
from django.core.management import call_command

from commitments.models import Commitment, ProgressUpdate
from meetings.models import AgendaTopic, Meeting, Membership, Participant, WorkingGroup

MODELS = [get_user_model(), WorkingGroup, Membership, Meeting, Participant, AgendaTopic, Commitment, ProgressUpdate]


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seeding_twice_gives_the_same_data(db):
    first_output = seed()
    first = counts()
    second_output = seed()
    assert counts() == first
    assert first["Commitment"] >= 7
    assert "passwords are shown this once" in first_output
    assert "passwords are shown this once" not in second_output
    assert "Demo accounts exist already" in second_output


def test_it_records_the_three_sessions_of_the_india_uzbekistan_jwg(db):
    seed()
    group = WorkingGroup.objects.get(slug="india-uzbekistan-jwg-ct")
    eighth, ninth, tenth = group.meetings.order_by("number")
    assert eighth.summary == "8th meeting, New Delhi, 16 July 2019"
    assert ninth.summary == "9th meeting, Tashkent, 30 September–1 October 2025"
    assert (eighth.status, ninth.status) == (Meeting.Status.HELD, Meeting.Status.HELD)
    assert tenth.summary == "10th meeting, India, date to be agreed"
    assert tenth.status == Meeting.Status.PLANNED
    assert Meeting.objects.next_home_hosted(group, datetime.date(2026, 11, 28)) is None

    co_chairs = ninth.participants.filter(role=Participant.Role.CO_CHAIR)
    assert [p.name for p in co_chairs] == ["Dr. Vinod J Bahade", "Gulomjon Pirimkulov"]
    assert co_chairs[0].title == "Joint Secretary (Counter Terrorism)"
    topics = list(ninth.agenda_topics.values_list("title", flat=True))
    assert len(topics) == 9
    assert "Condemnation of the terrorist attack in Pahalgam on 22 April 2025" in topics


def test_the_tashkent_commitments_span_at_least_four_categories(db):
    seed()
    tashkent = Commitment.objects.filter(meeting__number=9, meeting__group__slug="india-uzbekistan-jwg-ct")
    assert tashkent.count() >= 6
    assert tashkent.values("category").distinct().count() >= 4
    titles = " ".join(tashkent.values_list("title", flat=True))
    for words in ["intelligence", "training", "radicalization", "SCO-RATS", "terror financing"]:
        assert words in titles
    assert tashkent.without_owner().count() == 1


def test_each_role_has_a_demo_account(db):
    seed("--password", "a-known-demo-password")
    User = get_user_model()
    assert User.objects.get(username="admin").is_superuser
    group = WorkingGroup.objects.get(slug="india-uzbekistan-jwg-ct")
    assert list(group.coordinators.values_list("username", flat=True)) == ["coordinator"]
    assert Commitment.objects.filter(owner__username="owner").exists()
    assert Commitment.objects.filter(owner__username="owner2").exists()
    assert group.memberships.filter(user__username="member", role=Membership.Role.MEMBER).exists()
    outsider = User.objects.get(username="outsider")
    assert not WorkingGroup.objects.visible_to(outsider).filter(pk=group.pk).exists()
    assert WorkingGroup.objects.visible_to(outsider).count() == 1
    for user in User.objects.all():
        assert user.check_password("a-known-demo-password")
