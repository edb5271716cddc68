"""The benchmark's database, built with bulk inserts and reused while its recipe is unchanged.

Pages: 50 working groups of 10 members, 1,000 held meetings, 500 users, 20,000 commitments
(500 in the first group, whose next session is planned), 100,000 progress updates (50 on one
commitment) and 2,000 attachments whose text has been read (some 3 KB each, for the search).
Sweep: 10 more groups whose 5,000 owners hold 100,000 open commitments, all with the follow-up
date SWEEP_DAY + 7, so that each is due a reminder on SWEEP_DAY. The page data is dated so that
the planner finds nothing of it due on SWEEP_DAY.
"""

import datetime
import hashlib
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from commitments.models import Attachment, Category, Commitment, ProgressUpdate
from meetings.models import Meeting, Membership, WorkingGroup

RECIPE = 4  # raise when the data below changes: the next run rebuilds
GROUPS, MEMBERS, MEETINGS_PER_GROUP = 50, 10, 20
COMMITMENTS, BIG_GROUP_COMMITMENTS, UPDATES, DETAIL_UPDATES = 20_000, 500, 100_000, 50
ATTACHMENTS = 2_000  # on every tenth commitment of the pages' groups
# `make bench-scale` (BENCH_SCALE=10): ten times the sweep's groups, owners and commitments, in a database of its own.
SCALE = int(os.environ.get("BENCH_SCALE") or 1)
SWEEP_GROUPS, SWEEP_OWNERS, SWEEP_COMMITMENTS = 10 * SCALE, 5_000 * SCALE, 100_000 * SCALE
SWEEP_DAY = datetime.date(2026, 1, 5)
BATCH = 5_000
USERNAME = "bench-coordinator"  # coordinator of the first group, member of two others, owner of some


def fingerprint() -> str:
    migrations = MigrationRecorder.Migration.objects.order_by("app", "name").values_list("app", "name")
    recipe = f"{RECIPE}:{SCALE}:{list(migrations)}"
    return hashlib.sha256(recipe.encode()).hexdigest()[:16]


def stored_fingerprint() -> str | None:
    with connection.cursor() as cursor:
        if "bench_recipe" not in connection.introspection.table_names(cursor):
            return None
        cursor.execute("SELECT value FROM bench_recipe")
        row = cursor.fetchone()
    return row[0] if row else None


def store_fingerprint(value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_recipe (value varchar(64))")
        cursor.execute("INSERT INTO bench_recipe (value) VALUES (%s)", [value])


def build(log) -> None:
    """Fill an empty, migrated database."""
    User = get_user_model()
    categories = list(Category.objects.order_by("order"))
    now = timezone.now()

    log("users")
    users = [User(username=USERNAME, first_name="Bench", last_name="Coordinator", is_staff=True)]
    users += [
        User(username=f"member-{n}", first_name="Member", last_name=str(n), email=f"member-{n}@bench.example")
        for n in range(1, GROUPS * MEMBERS)
    ]
    users += [
        User(username=f"owner-{n}", first_name="Owner", last_name=str(n), email=f"owner-{n}@bench.example")
        for n in range(SWEEP_OWNERS)
    ]
    unusable = make_password(None)  # the benchmark logs in directly
    for user in users:
        user.password = unusable
    User.objects.bulk_create(users, batch_size=BATCH)
    users = list(User.objects.order_by("pk"))
    page_users, sweep_owners = users[: GROUPS * MEMBERS], users[GROUPS * MEMBERS :]

    log("working groups and meetings")
    groups = WorkingGroup.objects.bulk_create(
        [
            WorkingGroup(
                name=f"Joint Working Group {n}",
                short_name=f"JWG {n}",
                slug=f"jwg-{n}",
                home_country="IN",
                partner_countries=["UZ"],
            )
            for n in range(GROUPS + SWEEP_GROUPS)
        ]
    )
    groups = list(WorkingGroup.objects.order_by("pk"))
    page_groups, sweep_groups = groups[:GROUPS], groups[GROUPS:]
    memberships = []
    for index, group in enumerate(page_groups):
        for user in page_users[index * MEMBERS : (index + 1) * MEMBERS]:
            memberships.append(Membership(group=group, user=user))
    memberships[0].role = Membership.Role.COORDINATOR  # the benchmark's user, in the first group
    memberships += [Membership(group=page_groups[i], user=page_users[0]) for i in (1, 2)]
    per_sweep_group = SWEEP_OWNERS // SWEEP_GROUPS
    for index, group in enumerate(sweep_groups):
        for user in sweep_owners[index * per_sweep_group : (index + 1) * per_sweep_group]:
            memberships.append(Membership(group=group, user=user))
    Membership.objects.bulk_create(memberships, batch_size=BATCH)

    meetings = []
    for group in groups:
        for number in range(1, MEETINGS_PER_GROUP + 1):
            start = datetime.date(2006 + number // 2, 3 if number % 2 else 10, 10)
            meetings.append(
                Meeting(
                    group=group,
                    number=number,
                    host_country="IN" if number % 2 else "UZ",
                    city="New Delhi" if number % 2 else "Tashkent",
                    start_date=start,
                    end_date=start + datetime.timedelta(days=1),
                    status=Meeting.Status.HELD,
                )
            )
    # The first group's next session, hosted by our side, well after the sweep's reminders.
    meetings.append(
        Meeting(
            group=page_groups[0],
            number=MEETINGS_PER_GROUP + 1,
            host_country="IN",
            city="New Delhi",
            start_date=datetime.date(2027, 6, 1),
            status=Meeting.Status.SCHEDULED,
        )
    )
    Meeting.objects.bulk_create(meetings, batch_size=BATCH)
    meetings_of = {}
    for meeting in Meeting.objects.filter(status=Meeting.Status.HELD).order_by("group_id", "number"):
        meetings_of.setdefault(meeting.group_id, []).append(meeting)

    log("commitments")
    commitments = []
    per_group = [BIG_GROUP_COMMITMENTS] + [(COMMITMENTS - BIG_GROUP_COMMITMENTS) // (GROUPS - 1)] * (GROUPS - 1)
    per_group[-1] += COMMITMENTS - sum(per_group)
    for index, (group, count) in enumerate(zip(page_groups, per_group, strict=True)):
        members = page_users[index * MEMBERS : (index + 1) * MEMBERS]
        if index in (1, 2):
            members = [page_users[0], *members]
        for n in range(count):
            status = (Commitment.Status.OPEN, Commitment.Status.IN_PROGRESS, Commitment.Status.DONE)[n % 3]
            commitments.append(
                Commitment(
                    meeting=meetings_of[group.pk][n % MEETINGS_PER_GROUP],
                    title=f"Share information on item {n} of {group.short_name}",
                    description="Exchange of intelligence on the movements and financing of terrorist groups.",
                    category=categories[n % len(categories)],
                    owner=members[n % len(members)],
                    lead_agency="Ministry of Home Affairs" if n % 2 else "National Investigation Agency",
                    follow_up_date=datetime.date(2026, 3, 1) + datetime.timedelta(days=n % 600),
                    status=status,
                    closed_at=now if status == Commitment.Status.DONE else None,
                )
            )
    for index, group in enumerate(sweep_groups):
        owners = sweep_owners[index * per_sweep_group : (index + 1) * per_sweep_group]
        for n in range(SWEEP_COMMITMENTS // SWEEP_GROUPS):
            commitments.append(
                Commitment(
                    meeting=meetings_of[group.pk][-1],
                    title=f"Follow up item {n} of {group.short_name}",
                    category=categories[n % len(categories)],
                    owner=owners[n % len(owners)],
                    follow_up_date=SWEEP_DAY + datetime.timedelta(days=7),
                )
            )
    Commitment.objects.bulk_create(commitments, batch_size=BATCH)

    log("progress updates")
    page_commitments = list(
        Commitment.objects.filter(meeting__group__in=page_groups)
        .order_by("pk")
        .values_list("pk", "owner_id")[:COMMITMENTS]
    )
    updates = []
    detail_id, detail_owner = page_commitments[0]
    for n in range(DETAIL_UPDATES):
        updates.append(_update(detail_id, detail_owner, n, now))
    for n in range(UPDATES - DETAIL_UPDATES):
        commitment_id, owner_id = page_commitments[1 + n % (len(page_commitments) - 1)]
        updates.append(_update(commitment_id, owner_id, n, now))
    ProgressUpdate.objects.bulk_create(updates, batch_size=BATCH)

    log("attachments")
    attachments = [
        Attachment(
            commitment_id=commitment_id,
            file=f"bench/{n}",  # no bytes: the search reads the text
            name=f"annex-{n}.pdf",
            content_type="application/pdf",
            size=3_000,
            sha256=f"{n:064x}",
            uploaded_by_id=owner_id,
            uploaded_at=now,
            text=f"Annex {n}. " + ANNEX_TEXT * 8,
        )
        for n, (commitment_id, owner_id) in enumerate(page_commitments[::10][:ATTACHMENTS])
    ]
    Attachment.objects.bulk_create(attachments, batch_size=BATCH)


ANNEX_TEXT = (
    "Typologies of cryptocurrency transfers, hawala networks and couriers observed by the financial intelligence "
    "units; the drivers of radicalization online and the answers of the law enforcement agencies. "
    "The points of contact reviewed the list of wanted persons and the requests for mutual legal assistance. "
)


def _update(commitment_id: int, author_id: int, n: int, now) -> ProgressUpdate:
    return ProgressUpdate(
        commitment_id=commitment_id,
        author_id=author_id,
        created_at=now - datetime.timedelta(hours=n),
        text=f"Progress note {n}: points of contact met; the next exchange is scheduled.",
        source="Note verbale" if n % 4 == 0 else "",
    )
