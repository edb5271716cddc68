"""Demo data: the India–Uzbekistan JWG on Counter Terrorism, its 8th–10th meetings and the Tashkent commitments."""

import datetime
import secrets

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from commitments import attachments
from commitments.attachment_text import read_text
from commitments.categories import ensure_default_categories
from commitments.models import Attachment, Category, Commitment, ProgressUpdate
from commitments.reminders.signals import owner_changes_unannounced
from meetings.models import AgendaTopic, Meeting, Membership, Participant, WorkingGroup

SEED_REASON = "demo data (seed_demo)"

# username, first name, last name, role in the CT group, role in the other group, superuser
ACCOUNTS = [
    ("admin", "Site", "Administrator", None, None, True),
    ("coordinator", "Meera", "Krishnan", Membership.Role.COORDINATOR, None, False),
    ("owner", "Arjun", "Mehta", Membership.Role.MEMBER, None, False),
    ("owner2", "Priya", "Nair", Membership.Role.MEMBER, None, False),
    ("member", "Rohan", "Das", Membership.Role.MEMBER, None, False),
    ("outsider", "Kavita", "Rao", None, Membership.Role.MEMBER, False),
]

NINTH_AGENDA = [
    "Threat environment",
    "Radicalization",
    "Extremist propaganda",
    "Terror financing",
    "Terrorists' use of technology",
    "Organised crime–terrorism nexus",
    "Cross-border terrorism",
    "Condemnation of the terrorist attack in Pahalgam on 22 April 2025",
    "Multilateral cooperation (UN, SCO-RATS, EAG)",
]

NINTH_OUTCOME = (
    "The two sides reviewed the threat environment, including radicalization, extremist propaganda, "
    "terror financing, terrorists' use of technology, the nexus between organised crime and terrorism, "
    "and cross-border terrorism. Uzbekistan condemned the terrorist attack in Pahalgam on 22 April 2025. "
    "They agreed to strengthen cooperation through intelligence sharing, joint training programmes for "
    "law enforcement and security personnel, joint research on the drivers of radicalization and the "
    "exchange of best practices, and to coordinate in the UN, SCO-RATS and the EAG. The 10th meeting will "
    "be held in India on dates to be agreed through diplomatic channels."
)

NOTE_VERBALE = (
    "The Embassy of the Republic of Uzbekistan presents its compliments to the Ministry of External Affairs and "
    "has the honour to inform that the points of contact for the exchange of information on terrorist groups "
    "have been designated. The first exchange was held on 3 November 2025."
)

# title, category slug, owner username, side, lead agency, paragraph, follow-up (days from seeding), status, priority
TASHKENT_COMMITMENTS = [
    (
        "Share intelligence on terrorist groups and their movements",
        "information-sharing",
        "owner",
        Commitment.Side.JOINT,
        "Ministry of External Affairs (CT Division)",
        "para 4",
        -10,
        Commitment.Status.IN_PROGRESS,
        Commitment.Priority.HIGH,
    ),
    (
        "Organise joint training programmes for law enforcement and security personnel",
        "joint-training",
        "owner2",
        Commitment.Side.HOME,
        "Ministry of Home Affairs",
        "para 5",
        6,
        Commitment.Status.OPEN,
        Commitment.Priority.HIGH,
    ),
    (
        "Launch joint research on the drivers of radicalization",
        "research",
        "owner",
        Commitment.Side.JOINT,
        "Ministry of External Affairs (Policy Planning and Research)",
        "para 6",
        25,
        Commitment.Status.OPEN,
        Commitment.Priority.NORMAL,
    ),
    (
        "Exchange best practices in countering radicalization and extremist propaganda",
        "joint-training",
        None,
        Commitment.Side.JOINT,
        "",
        "para 6",
        40,
        Commitment.Status.OPEN,
        Commitment.Priority.NORMAL,
    ),
    (
        "Coordinate positions in the UN, SCO-RATS and the EAG",
        "multilateral-coordination",
        "owner2",
        Commitment.Side.HOME,
        "Ministry of External Affairs (UNP Division)",
        "para 7",
        13,
        Commitment.Status.IN_PROGRESS,
        Commitment.Priority.NORMAL,
    ),
    (
        "Cooperate on countering terror financing through new technologies",
        "information-sharing",
        "owner",
        Commitment.Side.JOINT,
        "Financial Intelligence Unit – India",
        "para 8",
        -3,
        Commitment.Status.OPEN,
        Commitment.Priority.HIGH,
    ),
    (
        "Propose dates for the 10th meeting in India through diplomatic channels",
        "other",
        "coordinator",
        Commitment.Side.HOME,
        "Ministry of External Affairs (CT Division)",
        "para 9",
        14,
        Commitment.Status.OPEN,
        Commitment.Priority.NORMAL,
    ),
]


class Command(BaseCommand):
    help = (
        "Load demo data: the 8th, 9th and 10th meetings of the India–Uzbekistan JWG on Counter Terrorism, "
        "the commitments agreed in Tashkent, a second demo group and one account per role. "
        "Idempotent: what exists is left as it is. New accounts get a generated password, printed once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", help="Set this password on every demo account (new or existing).")

    @transaction.atomic
    def handle(self, *args, password: str | None = None, **options):
        today = timezone.localdate()
        ensure_default_categories(Category)
        users, passwords = self.seed_accounts(password)
        ct_group, other_group = self.seed_groups(users)
        with owner_changes_unannounced():  # demo owners are nobody's news
            self.seed_ct_meetings(ct_group, users, today)
            self.seed_other_group_meetings(other_group, users, today)

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {WorkingGroup.objects.count()} working groups, {Meeting.objects.count()} meetings, "
                f"{Commitment.objects.count()} commitments."
            )
        )
        if passwords:
            self.stdout.write("Demo accounts (passwords are shown this once):")
            for username, account_password in passwords.items():
                self.stdout.write(f"  {username:<12} {account_password}")
        else:
            self.stdout.write("Demo accounts exist already; set new passwords with --password.")

    def seed_accounts(self, password: str | None):
        User = get_user_model()
        users, passwords = {}, {}
        for username, first_name, last_name, ct_role, _, is_superuser in ACCOUNTS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "last_name": last_name,
                    "email": f"{username}@example.org",
                    # The admin panel is for superusers and coordinators; everyone else uses the web UI.
                    "is_staff": is_superuser or ct_role == Membership.Role.COORDINATOR,
                    "is_superuser": is_superuser,
                },
            )
            if created or password:
                passwords[username] = password or secrets.token_urlsafe(12)
                user.set_password(passwords[username])
                user.save()
            users[username] = user
        return users, passwords

    def seed_groups(self, users):
        ct_group = self.create(
            WorkingGroup,
            slug="india-uzbekistan-jwg-ct",
            defaults={
                "name": "India–Uzbekistan Joint Working Group on Counter Terrorism",
                "short_name": "India–Uzbekistan JWG-CT",
                "home_country": "IN",
                "partner_countries": ["UZ"],
                "description": "Bilateral forum on counter-terrorism cooperation between India and Uzbekistan.",
            },
        )
        other_group = self.create(
            WorkingGroup,
            slug="demo-jwg-cyber",
            defaults={
                "name": "India–Japan Joint Working Group on Cyber Security (demo)",
                "short_name": "India–Japan JWG-Cyber (demo)",
                "home_country": "IN",
                "partner_countries": ["JP"],
                "description": "A second, unrelated group, to show that each group sees only its own data.",
            },
        )
        for username, _, _, ct_role, other_role, _ in ACCOUNTS:
            for group, role in ((ct_group, ct_role), (other_group, other_role)):
                if role:
                    self.create(Membership, group=group, user=users[username], defaults={"role": role})
        return ct_group, other_group

    def seed_ct_meetings(self, group, users, today):
        eighth = self.create(
            Meeting,
            group=group,
            number=8,
            defaults={
                "host_country": "IN",
                "city": "New Delhi",
                "start_date": datetime.date(2019, 7, 16),
                "status": Meeting.Status.HELD,
                "outcome_summary": "The two sides reviewed the threat environment and their cooperation.",
            },
        )
        ninth = self.create(
            Meeting,
            group=group,
            number=9,
            defaults={
                "host_country": "UZ",
                "city": "Tashkent",
                "start_date": datetime.date(2025, 9, 30),
                "end_date": datetime.date(2025, 10, 1),
                "status": Meeting.Status.HELD,
                "outcome_summary": NINTH_OUTCOME,
                "record_reference": "Record of Discussions of the 9th meeting",
            },
        )
        self.create(Meeting, group=group, number=10, defaults={"host_country": "IN", "status": Meeting.Status.PLANNED})

        co_chairs = [
            ("Dr. Vinod J Bahade", "Joint Secretary (Counter Terrorism)", "Ministry of External Affairs", "IN"),
            (
                "Gulomjon Pirimkulov",
                "Head of Department for Cooperation with South Asia, Middle East and Africa",
                "Ministry of Foreign Affairs of Uzbekistan",
                "UZ",
            ),
        ]
        for order, (name, title, organisation, country) in enumerate(co_chairs, start=1):
            self.create(
                Participant,
                meeting=ninth,
                name=name,
                defaults={
                    "title": title,
                    "organisation": organisation,
                    "country": country,
                    "role": Participant.Role.CO_CHAIR,
                    "order": order,
                },
            )
        for order, title in enumerate(NINTH_AGENDA, start=1):
            self.create(AgendaTopic, meeting=ninth, title=title, defaults={"order": order})

        categories = {category.slug: category for category in Category.objects.all()}
        self.create(
            Commitment,
            meeting=eighth,
            title="Exchange assessments of the regional terrorist threat",
            defaults={
                "category": categories["information-sharing"],
                "owner": users["owner"],
                "responsible_side": Commitment.Side.JOINT,
                "lead_agency": "Ministry of External Affairs (CT Division)",
                "follow_up_date": datetime.date(2020, 1, 15),
                "status": Commitment.Status.DONE,
            },
        )
        for title, category, owner, side, lead_agency, paragraph, days, status, priority in TASHKENT_COMMITMENTS:
            commitment, created = self.create_with_flag(
                Commitment,
                meeting=ninth,
                title=title,
                defaults={
                    "category": categories[category],
                    "owner": users[owner] if owner else None,
                    "responsible_side": side,
                    "lead_agency": lead_agency,
                    "partner_counterpart": "Ministry of Foreign Affairs of Uzbekistan",
                    "record_paragraph": paragraph,
                    "follow_up_date": today + datetime.timedelta(days=days),
                    "status": status,
                    "priority": priority,
                    "created_by": users["coordinator"],
                },
            )
            if created and status == Commitment.Status.IN_PROGRESS:
                update = self.create(
                    ProgressUpdate,
                    commitment=commitment,
                    author=users[owner],
                    defaults={
                        "text": "Points of contact designated on both sides; first exchange held.",
                        "source": "Note verbale of the Embassy of Uzbekistan, 3 November 2025",
                    },
                )
                self.attach(update, users[owner], "Note verbale 3 November 2025.txt", NOTE_VERBALE)
        if not ninth.attachments.exists():
            self.attach(ninth, users["coordinator"], "Record of Discussions, 9th meeting (summary).txt", NINTH_OUTCOME)

    def attach(self, target, user, name: str, text: str) -> None:
        """A demo file, its text read at once (the worker would read it again, to the same effect)."""
        checked = attachments.check(SimpleUploadedFile(name, f"{text}\n".encode()))
        for attachment in attachments.attach(target, [checked], user=user):
            Attachment.objects.filter(pk=attachment.pk).with_text(read_text(attachment))

    def seed_other_group_meetings(self, group, users, today):
        first = self.create(
            Meeting,
            group=group,
            number=1,
            defaults={
                "host_country": "JP",
                "city": "Tokyo",
                "start_date": datetime.date(2025, 3, 10),
                "end_date": datetime.date(2025, 3, 11),
                "status": Meeting.Status.HELD,
            },
        )
        self.create(
            Commitment,
            meeting=first,
            title="Exchange information on cyber incidents affecting critical infrastructure",
            defaults={
                "category": Category.objects.get(slug="information-sharing"),
                "owner": users["outsider"],
                "responsible_side": Commitment.Side.JOINT,
                "follow_up_date": today + datetime.timedelta(days=20),
            },
        )

    def create(self, model, defaults=None, **lookup):
        return self.create_with_flag(model, defaults=defaults, **lookup)[0]

    def create_with_flag(self, model, defaults=None, **lookup):
        """Create the row unless it exists; an existing row is left as users may have edited it."""
        existing = model.objects.filter(**lookup).first()
        if existing:
            return existing, False
        obj = model(**lookup, **(defaults or {}))
        obj._change_reason = SEED_REASON
        obj.full_clean()
        obj.save()
        return obj, True
