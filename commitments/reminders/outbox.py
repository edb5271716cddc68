"""Writing planned reminders to the outbox: the one place with SQL of its own, because planning writes a row per
reminder due and the ORM's bulk_create spends most of a plan preparing their parameters.

`insert(rows)` adds the rows that are not there yet and returns how many it added; a row already planned (the
outbox's unique constraints) is left as it is, so a plan run twice writes nothing the second time. PostgreSQL:
the rows are streamed with COPY into a temporary table, then one INSERT … SELECT … ON CONFLICT DO NOTHING, and a
plan that added many rows (`added`) is followed by ANALYZE of the outbox (the sending's queries are planned on it
at once); SQLite: one executemany of INSERT … ON CONFLICT DO NOTHING. `insert_with_orm` is the same with bulk_create,
which tests/commitments/test_outbox.py compares it with on both databases.
"""

from collections.abc import Iterable, Iterator
from itertools import islice

from django.db import connection, transaction
from django.utils import timezone

from commitments.models import Reminder

COLUMNS = (
    "recipient_id", "reason", "commitment_id", "meeting_id", "anchor_date", "lead_days", "planned_for", "state",
    "attempts", "last_error", "message_id", "created_at",
)  # fmt: skip
# How the reason of a skipped reminder begins. Stale: never sent, a later one of its series was due when planned.
# Superseded (by a plan) and withdrawn (by the batch that claimed it): the rules stopped calling for it, and the
# next plan makes it pending again if they call for it once more (planning.reconcile).
STALE = "stale: a later reminder of the same series was due"
SUPERSEDED = "superseded: "
WITHDRAWN = "withdrawn: "
CHUNK = 5000


def batched(rows: Iterable, size: int) -> Iterator[list]:
    """The rows in lists of `size` (itertools.batched, from Python 3.12)."""
    rows = iter(rows)
    while chunk := list(islice(rows, size)):
        yield chunk


def values(planned, created_at) -> tuple:
    """A planning.Planned as an outbox row, its values in the order of COLUMNS: pending, or skipped when stale."""
    state, error = (Reminder.State.SKIPPED, STALE) if planned.stale else (Reminder.State.PENDING, "")
    return (
        planned.recipient_id, planned.reason, planned.commitment_id, planned.meeting_id, planned.anchor_date,
        planned.lead_days, planned.planned_for, state, 0, error, "", created_at,
    )  # fmt: skip


# The statements, from the model's own names (never input).
TABLE, NAMES = Reminder._meta.db_table, ", ".join(COLUMNS)
CREATE = f"CREATE TEMPORARY TABLE planned_reminder ON COMMIT DROP AS SELECT {NAMES} FROM {TABLE} WITH NO DATA"  # noqa: S608  # nosec B608
COPY = f"COPY planned_reminder ({NAMES}) FROM STDIN"
MOVE = f"INSERT INTO {TABLE} ({NAMES}) SELECT {NAMES} FROM planned_reminder ON CONFLICT DO NOTHING"  # noqa: S608  # nosec B608
SIZE = "SELECT reltuples FROM pg_class WHERE oid = %s::regclass"  # the table's; -1 before its first analysis
ANALYZE = f"ANALYZE {TABLE}"
ANALYZE_AFTER, GROWTH = 10_000, 0.2  # rows added at once, and against the rows the planner knows of
INSERT = f"INSERT INTO {TABLE} ({NAMES}) VALUES ({', '.join(['%s'] * len(COLUMNS))}) ON CONFLICT DO NOTHING"  # noqa: S608  # nosec B608


def insert(rows: Iterable) -> int:
    """Add the planned reminders not yet in the outbox; how many were added. Streams: rows may be a generator."""
    created_at = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TABLE IF EXISTS pg_temp.planned_reminder")  # one plan per transaction, or more
            cursor.execute(CREATE)
            # Chunk by chunk: the rows may come from a query on this connection, which cannot run inside a COPY.
            for chunk in batched(rows, CHUNK):
                with cursor.copy(COPY) as copy:
                    for planned in chunk:
                        copy.write_row(values(planned, created_at))
            cursor.execute(MOVE)
            return cursor.rowcount
        added = 0
        for chunk in batched(_adapted(rows, created_at), CHUNK):
            cursor.executemany(INSERT, chunk)
            added += cursor.rowcount
        return added


def added(count: int) -> None:
    """After a plan added `count` rows (all its groups together: each may add few), give PostgreSQL's planner the
    outbox's new picture when the addition is large, as autovacuum would only later. Without it the sending's
    queries were planned for an outbox of a few rows: its batches read every pending row of the day (1,000,000:
    0.9 s a batch instead of 0.06), and the query of the due recipients ran for minutes. Analysed once the rows are
    committed: inside the transaction, the sample missed them."""
    if connection.vendor != "postgresql" or count < ANALYZE_AFTER:
        return  # SQLite keeps no statistics unless asked, and plans without them
    with connection.cursor() as cursor:
        cursor.execute(SIZE, [TABLE])
        known = cursor.fetchone()[0]
    if count >= GROWTH * known:
        transaction.on_commit(analyze)


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute(ANALYZE)


def _adapted(rows: Iterable, created_at) -> Iterator[tuple]:
    """SQLite's parameters: dates and times as the database backend writes them."""
    ops = connection.ops
    created_at = ops.adapt_datetimefield_value(created_at)
    for planned in rows:
        value = list(values(planned, created_at))
        value[4], value[6] = ops.adapt_datefield_value(value[4]), ops.adapt_datefield_value(value[6])
        yield tuple(value)


def insert_with_orm(rows: Iterable) -> int:
    """What insert() does, through the ORM: the reference it is tested against."""
    before = Reminder.objects.count()
    for chunk in batched(rows, CHUNK):
        created_at = timezone.now()
        chunk = [Reminder(**dict(zip(COLUMNS, values(planned, created_at), strict=True))) for planned in chunk]
        Reminder.objects.bulk_create(chunk, ignore_conflicts=True)
    return Reminder.objects.count() - before
