import datetime

import factory
from django.contrib.auth import get_user_model

from commitments.models import Category, Commitment, ProgressUpdate
from meetings.models import AgendaTopic, Meeting, Membership, Participant, WorkingGroup


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class WorkingGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingGroup

    name = factory.Sequence(lambda n: f"India–Uzbekistan Joint Working Group {n}")
    short_name = factory.Sequence(lambda n: f"JWG {n}")
    slug = factory.Sequence(lambda n: f"jwg-{n}")
    home_country = "IN"
    partner_countries = ["UZ"]


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    group = factory.SubFactory(WorkingGroupFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.MEMBER


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    group = factory.SubFactory(WorkingGroupFactory)
    number = factory.Sequence(lambda n: n + 1)
    host_country = "IN"
    city = "New Delhi"
    status = Meeting.Status.HELD
    start_date = datetime.date(2025, 9, 30)
    end_date = datetime.date(2025, 10, 1)


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    meeting = factory.SubFactory(MeetingFactory)
    name = factory.Faker("name")
    country = "IN"
    role = Participant.Role.DELEGATE


class AgendaTopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgendaTopic

    meeting = factory.SubFactory(MeetingFactory)
    title = factory.Sequence(lambda n: f"Agenda topic {n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    """The five categories exist from the data migration; this fetches them by slug."""

    class Meta:
        model = Category
        django_get_or_create = ["slug"]

    slug = "information-sharing"
    name = factory.LazyAttribute(lambda category: category.slug.replace("-", " ").capitalize())


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commitment

    meeting = factory.SubFactory(MeetingFactory)
    title = factory.Sequence(lambda n: f"Share intelligence on terrorist groups, item {n}")
    category = factory.LazyFunction(lambda: Category.objects.get(slug="information-sharing"))
    follow_up_date = datetime.date(2026, 12, 15)


class ProgressUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressUpdate

    commitment = factory.SubFactory(CommitmentFactory)
    author = factory.SubFactory(UserFactory)
    text = "First exchange held."


# The meeting form's participant and agenda rows, posted empty.
EMPTY_ROWS = {
    "participants-TOTAL_FORMS": 0,
    "participants-INITIAL_FORMS": 0,
    "agenda_topics-TOTAL_FORMS": 0,
    "agenda_topics-INITIAL_FORMS": 0,
}


def new_commitment_data(meeting, owner, **changes) -> dict:
    """What the new-commitment form posts for a commitment of the meeting, owned by `owner`."""
    return {
        "meeting": meeting.pk,
        "title": "Joint research on radicalization",
        "category": 3,
        "owner": owner.pk,
        "responsible_side": "joint",
        "status": "open",
        "priority": 2,
        **changes,
    }


def commitment_form_data(commitment: Commitment, **changes) -> dict:
    """What a commitment's edit form posts when nothing is changed, with `changes` applied."""
    data = {
        "meeting": commitment.meeting_id,
        "title": commitment.title,
        "description": commitment.description,
        "category": commitment.category_id,
        "record_paragraph": commitment.record_paragraph,
        "owner": commitment.owner_id or "",
        "responsible_side": commitment.responsible_side,
        "lead_agency": commitment.lead_agency,
        "partner_counterpart": commitment.partner_counterpart,
        "follow_up_date": commitment.follow_up_date.isoformat() if commitment.follow_up_date else "",
        "status": commitment.status,
        "priority": commitment.priority,
        "expected_version": commitment.version,
        "access_granted_to": [user.pk for user in commitment.access_granted_to.all()] if commitment.pk else [],
    }
    if commitment.restricted:
        data["restricted"] = "on"
    return {**data, **changes}


def api_token(user, days: int = 90) -> str:
    """A new API token of the user's (stored hashed: this is the only time it is readable)."""
    from knox.models import AuthToken

    return AuthToken.objects.create(user=user, expiry=datetime.timedelta(days=days))[1]


def group_page_data(group, removing=()) -> dict:
    """The admin's working group page as posted unchanged, but for the memberships of `removing` ticked DELETE."""
    rows = list(group.memberships.order_by("pk"))
    data = {
        "name": group.name,
        "short_name": group.short_name,
        "slug": group.slug,
        "home_country": group.home_country.code,
        "partner_countries": [country.code for country in group.partner_countries],
        "description": group.description,
        "reminder_lead_days": ", ".join(map(str, group.reminder_lead_days)),
        "brief_days_before": group.brief_days_before,
        "is_active": "on",
        "memberships-TOTAL_FORMS": len(rows),
        "memberships-INITIAL_FORMS": len(rows),
    }
    for index, row in enumerate(rows):
        data |= {
            f"memberships-{index}-id": row.pk,
            f"memberships-{index}-group": group.pk,
            f"memberships-{index}-user": row.user_id,
            f"memberships-{index}-role": row.role,
        }
        if row.user in removing:
            data[f"memberships-{index}-DELETE"] = "on"
    return data
