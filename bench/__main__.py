"""`python -m bench` (`make bench`): measure the pages, the search, the reminder sweep and the import; print tables,
write results.json.

`python -m bench pages`, `search`, `sweep`, `imports` or `directory` measures one part and prints it, writing nothing.

SQLite (var/bench.sqlite3) by default; PostgreSQL when DATABASE_URL is set, in a database of its
own (tracker_bench, or the name in BENCH_DATABASE, created beside the one named). DEBUG is off.
Each page figure is the median of REPEATS requests after WARM_UP, in this one process, through the
whole middleware stack; each download's, of DOWNLOAD_REPEATS after one.
"""

import datetime
import email
import email.policy
import gc
import json
import logging
import os
import platform
import resource
import smtplib
import statistics
import sys
import time
from multiprocessing import get_context
from pathlib import Path

from bench.load import load, load_table

BENCH_DIR = Path(__file__).resolve().parent
PYTHON_GC = gc.get_threshold()  # before the pages set the web process's (config/startup.py)
BASE_DIR = BENCH_DIR.parent
WARM_UP, REPEATS = 3, 15
DOWNLOAD_REPEATS = 3


def configure() -> str:
    """The environment of a production-like process, before Django starts; returns the database label."""
    database = os.environ.get("DATABASE_URL", "")
    if database.startswith("postgres"):
        base, _, _ = database.rpartition("/")
        name = os.environ.get("BENCH_DATABASE") or "tracker_bench" + scale_suffix("_")  # or a name of one's own
        os.environ["DATABASE_URL"] = f"{base}/{name}"
        ensure_postgres_database(database, name)
        label = "PostgreSQL"
    else:
        (BASE_DIR / "var").mkdir(exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{BASE_DIR / 'var' / ('bench' + scale_suffix('-') + '.sqlite3')}"
        label = "SQLite"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "ENV_FILE": "",
            "DEBUG": "false",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "benchmark-only-" + "x" * 40,
            "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "false",
            "CELERY_BROKER_URL": "memory://",
            "LOG_LEVEL": "ERROR",
        }
    )
    return label


def scale_suffix(separator: str) -> str:
    scale = int(os.environ.get("BENCH_SCALE") or 1)
    return f"{separator}x{scale}" if scale > 1 else ""


def ensure_postgres_database(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')  # a fixed name, not input


def log(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


def prepare_database() -> None:
    from django.core.management import call_command
    from django.db import connection

    from bench import data

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # hashed names, as in production
    if data.stored_fingerprint() == data.fingerprint():
        log("reusing the benchmark database")
        analyze()
        return
    log("building the benchmark database")
    call_command("flush", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_recipe")
    from commitments.categories import ensure_default_categories
    from commitments.models import Category

    ensure_default_categories(Category)
    started = time.perf_counter()
    data.build(log)
    data.store_fingerprint(data.fingerprint())
    analyze()
    log(f"built in {time.perf_counter() - started:.0f} s")


def analyze() -> None:
    """PostgreSQL: fresh planner statistics, as autovacuum gathers them soon after a bulk load.

    Without them the planner sees the tables as they were before the load and scans them whole.
    SQLite gathers none unless told to, and an application on it does not: it is left as it is.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# --- Pages ---------------------------------------------------------------------------------------


FLOOR_URL = "/bench/floor/"


def measure(
    client, url: str, warm_up: int = WARM_UP, repeats: int = REPEATS, before=None, floor: list | None = None
) -> tuple[float, int]:
    """The median time of a page and its queries; `before` runs ahead of each request, untimed. With `floor` (a
    list), the floor is requested before each of the page's requests and its times added to the list: a ratio of
    medians taken in the same seconds, which this machine's drift (a fifth within minutes) moves together."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    before = before or (lambda: None)
    for _ in range(warm_up):
        before()
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    timings = []
    for _ in range(repeats):
        before()
        if floor is not None:
            started = time.perf_counter()
            client.get(FLOOR_URL)
            floor.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    before()
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(timings), len(queries)


def page_urls() -> dict[str, str]:
    """The pages measured: the benchmark coordinator's, of the group with 500 commitments."""
    from bench import data
    from commitments.models import Commitment
    from meetings.models import Meeting

    detail = Commitment.objects.filter(meeting__group__slug="jwg-0").order_by("pk").first()
    meeting = Meeting.objects.filter(group__slug="jwg-0").order_by("number").first()
    brief = Meeting.objects.get(group__slug="jwg-0", number=data.MEETINGS_PER_GROUP + 1)
    return {
        "dashboard": "/",
        "commitment list": "/commitments/",
        "commitment list, mine overdue": "/commitments/?owner=mine&overdue=true",
        "commitment list, text search": "/commitments/?q=financing+item",
        "commitment detail (50 updates)": f"/commitments/{detail.pk}/",
        "meeting detail": f"/meetings/{meeting.pk}/",
        "brief (500 commitments)": f"/meetings/{brief.pk}/brief/",
        "API commitment list (50)": "/api/v1/commitments/?page_size=50",
        "API commitment detail": f"/api/v1/commitments/{detail.pk}/",
    }


def pages(floor_only: bool = False) -> tuple[float, dict]:
    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings

    from bench import data
    from commitments.data_version import data_changed
    from config.startup import set_aside_what_starting_loaded

    user = get_user_model().objects.get(username=data.USERNAME)
    urls = page_urls()
    set_aside_what_starting_loaded()  # as the web process does once loaded (config/wsgi.py)

    with override_settings(ROOT_URLCONF="bench.urls"):
        client = Client()
        client.force_login(user)
        floor_ms, _ = measure(client, FLOOR_URL)
        results = {}
        if floor_only:
            return round(floor_ms, 3), results
        floors = []
        for name, url in urls.items():
            # The brief is kept built and rendered until the data changes: measured both ways.
            fresh = data_changed if name.startswith("brief") else None
            results[name] = against_floor(client, url, floors, before=fresh)
            log(f"{name}: {results[name]['ms']:.1f} ms, {results[name]['queries']} queries")
        name = "brief (500 commitments), cached"
        results[name] = against_floor(client, urls["brief (500 commitments)"], floors)
        log(f"{name}: {results[name]['ms']:.1f} ms, {results[name]['queries']} queries")
    return round(statistics.median(floors), 3), results


def against_floor(client, url: str, floors: list, before=None) -> dict:
    """A page's median, and its ratio to the floor's median over the same seconds (its times added to `floors`)."""
    alongside = []
    ms, queries = measure(client, url, before=before, floor=alongside)
    floors.extend(alongside)
    return {"ms": round(ms, 2), "ratio": round(ms / statistics.median(alongside), 1), "queries": queries}


def peers() -> dict:
    """Django's own pages over the same rows, measured the same way: the admin's changelist of 50 commitments."""
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings

    from bench import data
    from commitments.models import Commitment

    client_user = get_user_model().objects.get(username=data.USERNAME)
    changelist = admin.site._registry[Commitment]
    per_page, changelist.list_per_page = changelist.list_per_page, 50
    try:
        with override_settings(ROOT_URLCONF="bench.urls"):
            client = Client()
            client.force_login(client_user)
            measured = against_floor(client, "/admin/commitments/commitment/", [])
    finally:
        changelist.list_per_page = per_page
    log(f"admin changelist (50): {measured['ms']:.1f} ms, {measured['queries']} queries")
    return {"admin changelist (50)": measured}


# Queries as staff type them: words of progress notes and their sources, a spelling variant, part of a country's
# name, a typo, an agency, a city, a word of attachments' text, a phrase.
SEARCHES = [
    "note verbale",
    "radicalisation",
    "Uzbek",
    "intellgence",
    "Ministry of Home Affairs",
    "Tashkent",
    "hawala",
    '"mutual legal assistance"',
]


def searches(floor_ms: float) -> dict:
    """The search page for each of SEARCHES (the best hits of each kind, with their counts), and its median."""
    from urllib.parse import urlencode

    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings

    from bench import data
    from commitments import search

    user = get_user_model().objects.get(username=data.USERNAME)
    results = {}
    with override_settings(ROOT_URLCONF="bench.urls"):
        client = Client()
        client.force_login(user)
        for text in SEARCHES:
            url = "/search/?" + urlencode({"q": text})
            ms, queries = measure(client, url)
            hits = " / ".join(f"{group.count:,}" for group in search.overview(user, text))
            results[text] = {"ms": round(ms, 2), "ratio": round(ms / floor_ms, 1), "queries": queries, "hits": hits}
            log(f"search {text}: {ms:.1f} ms, {queries} queries, {hits} hits")
    return results


def search_table(database: str, floor_ms: float, results: dict) -> str:
    median = statistics.median(r["ms"] for r in results.values())
    lines = [
        f"Search page ({database}; target: a median of 50 ms). Hits: commitments / progress updates / meetings / "
        "participants / attachments.",
        "",
        "| search | ms (median) | × floor | SQL queries | hits |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(f"| {text} | {r['ms']:.2f} | {r['ratio']} | {r['queries']} | {r['hits']} |" for text, r in results.items()),
        f"| median of the {len(results)} searches | {median:.2f} | {median / floor_ms:.1f} | | |",
    ]
    return "\n".join(lines)


def downloads(floor_ms: float) -> dict:
    """The files, after the sweep: a forked sweep process would count the memory of laying out PDFs as its own."""
    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings

    from bench import data
    from commitments.models import Commitment
    from meetings.models import Meeting

    user = get_user_model().objects.get(username=data.USERNAME)
    brief = Meeting.objects.get(group__slug="jwg-0", number=data.MEETINGS_PER_GROUP + 1)
    visible = Commitment.objects.visible_to(user).count()
    urls = {  # files take seconds, not milliseconds: fewer repeats
        "brief as Word (500 commitments)": f"/meetings/{brief.pk}/brief.docx",
        "brief as PDF (500 commitments)": f"/meetings/{brief.pk}/brief.pdf",
        "brief as CSV (500 commitments)": f"/meetings/{brief.pk}/brief.csv",
        f"export as XLSX ({visible:,} commitments)": "/commitments/export.xlsx",
        f"export as CSV ({visible:,} commitments)": "/commitments/export.csv",
    }
    with override_settings(ROOT_URLCONF="bench.urls"):
        client = Client()
        client.force_login(user)
        results = {}
        for name, url in urls.items():
            ms, queries = measure(client, url, warm_up=1, repeats=DOWNLOAD_REPEATS)
            results[name] = {"ms": round(ms, 2), "ratio": round(ms / floor_ms, 1), "queries": queries}
            log(f"{name}: {ms:.1f} ms, {queries} queries")
    return results


# --- Imports -----------------------------------------------------------------------------------------


IMPORT_ROWS = 50_000


def import_file(extension: str) -> bytes:
    """A file of IMPORT_ROWS new commitments of the benchmark coordinator's group, as staff would fill one."""
    import csv
    import io

    from commitments.models import Category
    from meetings.models import Membership

    categories = [category.name for category in Category.objects.all()]
    owners = list(Membership.objects.filter(group__slug="jwg-0").values_list("user__email", flat=True))
    headings = ["Commitment", "Description", "Working group", "Agreed at", "Category", "Owner", "Lead agency",
                "Agreed record", "Follow-up date", "Status", "Priority"]  # fmt: skip
    rows = [
        [
            f"Imported commitment {n}",
            "Exchange of information on terrorist financing networks and their couriers, " * 2,
            "JWG 0",
            f"{n % 20 + 1}th meeting",
            categories[n % len(categories)],
            owners[n % len(owners)] or "",
            "Ministry of Home Affairs",
            f"para {n % 40 + 1}",
            datetime.date(2027, 1, 1) + datetime.timedelta(days=n % 365),
            ("Open", "In progress", "Done")[n % 3],
            ("High", "Normal", "Low")[n % 3],
        ]
        for n in range(IMPORT_ROWS)
    ]
    if extension == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(headings)
        writer.writerows(
            [[value.isoformat() if hasattr(value, "isoformat") else value for value in row] for row in rows]
        )
        return out.getvalue().encode()
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(headings)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def imports() -> dict:
    """The preview of a 50,000-row file (CSV and Excel), and its import, undone afterwards."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from bench import data
    from commitments import importing

    user = get_user_model().objects.get(username=data.USERNAME)
    results = {}
    for extension in ("csv", "xlsx"):
        content = import_file(extension)
        with transaction.atomic():
            upload = importing.upload(content, f"bench.{extension}", "commitments", user)
            started = time.perf_counter()
            preview = importing.preview(upload, user)
            digest = preview.digest
            preview_s = time.perf_counter() - started
            if not preview.valid or preview.counts["new"] != IMPORT_ROWS:
                raise SystemExit(f"the benchmark's file did not preview as new: {preview.problems} {preview.counts}")
            log(f"preview of {IMPORT_ROWS:,} rows ({extension}, {len(content) / 1e6:.1f} MB): {preview_s:.1f} s")
            result = {"MB": round(len(content) / 1e6, 1), "preview_s": round(preview_s, 1)}
            if extension == "csv":
                started = time.perf_counter()
                importing.run(upload, user, digest)
                result["import_s"] = round(time.perf_counter() - started, 1)
                log(f"import of {IMPORT_ROWS:,} rows: {result['import_s']} s")
            transaction.set_rollback(True)  # the benchmark's data stays as built
        results[extension] = result
    return results


def import_table(results: dict) -> str:
    lines = [
        f"Import of {IMPORT_ROWS:,} new commitments (target: the preview in under 30 s).",
        "",
        "| file | MB | preview (s) | rows/s | import (s) | rows/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for extension, r in results.items():
        imported = f"{r['import_s']} | {IMPORT_ROWS / r['import_s']:,.0f}" if "import_s" in r else "— | —"
        lines.append(
            f"| {extension.upper()} | {r['MB']} | {r['preview_s']} | {IMPORT_ROWS / r['preview_s']:,.0f} | {imported} |"
        )
    return "\n".join(lines)


# --- The reminder sweep --------------------------------------------------------------------------------


class QueryCounter:
    """Counts the queries run inside it, keeping none of their text (a sweep runs thousands)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __len__(self) -> int:
        return self.count


def counting(counter: QueryCounter):
    from django.db import connection

    return connection.execute_wrapper(counter)


def time_outbox_writes(rows, day) -> float:
    """The floor of planning's writes: one outbox row per reminder due, written the fastest way the database has
    (COPY on PostgreSQL, one executemany on SQLite), then removed."""
    import datetime

    from django.db import connection, transaction
    from django.utils import timezone

    from commitments.models import Reminder

    ops = connection.ops
    now, planned_for = timezone.now(), day
    due = day + datetime.timedelta(days=7)
    values = [
        (owner, "due_soon", pk, follow_up, 7, planned_for, "pending", 0, "", "", now)
        for pk, _, owner, follow_up in rows
        if owner and follow_up == due
    ]
    columns = "recipient_id, reason, commitment_id, anchor_date, lead_days, planned_for, state, attempts, "
    columns += "last_error, message_id, created_at"
    table = Reminder._meta.db_table
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
        else:
            values = [
                (*v[:3], ops.adapt_datefield_value(v[3]), v[4], ops.adapt_datefield_value(v[5]), *v[6:10], now)
                for v in values
            ]
            placeholders = ", ".join(["%s"] * 11)
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", values)  # noqa: S608
    seconds = time.perf_counter() - started
    Reminder.objects.all().delete()
    return seconds


class Sink:
    """An SMTP server in a process of its own (so that it takes no CPU time from the senders' process), serving
    connections in parallel, keeping what it accepts until taken."""

    def __init__(self):
        context = get_context("fork")
        self.commands, theirs = context.Pipe()
        self.process = context.Process(target=self.serve, args=(theirs,), daemon=True)
        self.process.start()
        self.port = self.commands.recv()  # ready, listening on this port

    def serve(self, commands) -> None:
        from tests import smtp

        class Keep:
            def __init__(self):
                self.raw = []

            async def handle_DATA(self, server, session, envelope):
                self.raw.append(envelope.content)
                return "250 OK"

        handler = Keep()
        port, controller = smtp.serve(handler)
        commands.send(port)
        while (command := commands.recv()) != "stop":
            if command == "take":
                commands.send(handler.raw)
                handler.raw = []
            elif command == "cpu":
                commands.send(process_cpu_s())
        controller.stop()

    def take(self) -> list[bytes]:
        self.commands.send("take")
        return self.commands.recv()

    def cpu_s(self) -> float:
        """The CPU seconds the server has used so far."""
        self.commands.send("cpu")
        return self.commands.recv()

    def stop(self) -> None:
        self.commands.send("stop")
        self.process.join()


def process_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def database_cpu_s() -> float:
    """The CPU seconds this connection's PostgreSQL server process has used so far (it runs on this machine: its
    /proc entry); 0 on SQLite, whose work is done in this process."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime: fields 14 and 15


class CPU:
    """The CPU seconds each process of a send used: this one (the sender), the database's, the SMTP server's."""

    def __init__(self, sink: "Sink"):
        self.sink = sink
        self.started = (process_cpu_s(), database_cpu_s(), sink.cpu_s())

    def per_message_ms(self, messages: int) -> dict:
        now = (process_cpu_s(), database_cpu_s(), self.sink.cpu_s())
        used = [(after - before) * 1000 / max(messages, 1) for before, after in zip(self.started, now, strict=True)]
        return dict(zip(("sender", "database", "smtp_server"), (round(ms, 2) for ms in used), strict=True))


def send_in_processes(batches: list[list[int]], now, processes: int) -> float:
    """Send the batches with several processes taking them in turn from one queue, as Celery workers take the
    sweep's sending tasks; the seconds until the last is done."""
    from django.db import connections

    from commitments.reminders import delivery

    connections.close_all()  # each process opens its own
    context = get_context("fork")
    queue = context.Queue()
    for batch in batches:
        queue.put(batch)
    for _ in range(processes):
        queue.put(None)

    def work():
        while (batch := queue.get()) is not None:
            delivery.send_to(batch, now)
        connections.close_all()

    started = time.perf_counter()
    workers = [context.Process(target=work) for _ in range(processes)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started


def send_again() -> None:
    """Make the digests just sent due again: the same digests for the next measurement."""
    from commitments.models import Reminder

    Reminder.objects.filter(state=Reminder.State.SENT).update(
        state=Reminder.State.PENDING, attempts=0, sent_at=None, message_id="", claim_token=None
    )


def planning_floors(out) -> None:
    """In a child process of its own (the rows it holds would count in the sweep's peak memory): one read of the
    open commitments, and the fastest write of their reminders."""
    import django

    django.setup()
    from bench import data
    from commitments.models import Commitment, Reminder

    Reminder.objects.all().delete()
    started = time.perf_counter()
    rows = list(Commitment.objects.open().values_list("pk", "meeting__group_id", "owner_id", "follow_up_date"))
    plan_floor = time.perf_counter() - started
    out.send((plan_floor, time_outbox_writes(rows, data.SWEEP_DAY)))


def sweep(out) -> None:
    """In a child process, so that its peak memory is its own: plan, plan again, then send to a local SMTP server
    in this process, and in two processes sharing the batches."""
    import datetime

    import django

    gc.unfreeze()  # a worker's collector, as Python sets it: the pages measured before set the web process's
    gc.set_threshold(*PYTHON_GC)
    django.setup()
    from django.conf import settings
    from django.utils import timezone

    from bench import data
    from commitments.models import Commitment, Reminder, ReminderPlan
    from commitments.reminders import delivery, planning

    Reminder.objects.all().delete()
    ReminderPlan.objects.all().delete()
    day = data.SWEEP_DAY
    now = timezone.make_aware(datetime.datetime.combine(day, datetime.time(settings.REMINDER_SEND_HOUR, 30)))
    plan_floor, write_floor = in_child(planning_floors)

    plan_queries = QueryCounter()
    with counting(plan_queries):
        started = time.perf_counter()
        report = planning.plan(day)
        plan_s = time.perf_counter() - started
    replan_queries = QueryCounter()
    with counting(replan_queries):
        started = time.perf_counter()
        replanned = planning.plan(day)
        replan_s = time.perf_counter() - started
    if replanned.added or replanned.groups:
        raise SystemExit(f"a re-plan with nothing changed planned {replanned}")
    # The first sweep of the next day plans every group again (the day is one of a plan's inputs), among the rows
    # planned the day before: nothing is new, nothing superseded.
    next_day_queries = QueryCounter()
    with counting(next_day_queries):
        started = time.perf_counter()
        next_day = planning.plan(day + datetime.timedelta(days=1))
        next_day_s = time.perf_counter() - started
    if next_day.added or next_day.superseded or next_day.revived or next_day.groups != report.groups:
        raise SystemExit(f"the next day's plan of the same data planned {next_day}")
    due = Reminder.objects.filter(state=Reminder.State.PENDING).count()
    digests = Reminder.objects.filter(state=Reminder.State.PENDING).values("recipient").distinct().count()

    sink = Sink()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", sink.port, False
    send_queries = QueryCounter()
    with counting(send_queries):
        cpu = CPU(sink)
        started = time.perf_counter()
        sent = delivery.send_due(now)
        send_s = time.perf_counter() - started
        send_cpu = cpu.per_message_ms(sent.digests)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    raw = sink.take()
    size = statistics.mean(len(message) for message in raw[:200])
    for message in raw:  # every digest reads as a strict parser reads it
        parsed = email.message_from_bytes(message, policy=email.policy.strict)
        if any(part.defects for part in parsed.walk()):
            raise SystemExit(f"the digest to {parsed['To']} has defects")

    # The floor: the same messages, already built, sent with plain smtplib over one connection.
    cpu = CPU(sink)
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
        for message in raw:
            smtp.sendmail("bench@example.org", ["owner@example.org"], message)
    send_floor = time.perf_counter() - started
    floor_cpu = cpu.per_message_ms(len(raw))
    received = len(raw)
    del raw
    sink.take()

    in_processes = {}
    for processes in (2, 4) if data.SCALE > 1 else (2,):  # make bench-scale: four too
        send_again()
        delivery.prepare(now)
        seconds = send_in_processes(delivery.batches(now), now, processes)
        in_processes[processes] = (round(seconds, 2), len(sink.take()))
    sink.stop()
    out.send(
        {
            "commitments": Commitment.objects.open().filter(follow_up_date=day + datetime.timedelta(days=7)).count(),
            "reminders": due,
            "digests": digests,
            "sent": received,
            "sent_by_2_workers": in_processes[2][1],
            "report": sent.digests,
            "plan_current": report.current,
            "plan_s": round(plan_s, 2),
            "plan_floor_s": round(plan_floor, 2),
            "plan_write_floor_s": round(plan_floor + write_floor, 2),
            "plan_queries": len(plan_queries),
            "replan_s": round(replan_s, 3),
            "replan_queries": len(replan_queries),
            "next_day_plan_s": round(next_day_s, 2),
            "next_day_plan_queries": len(next_day_queries),
            "send_s": round(send_s, 2),
            "send_floor_s": round(send_floor, 2),
            "send_cpu_ms": send_cpu,  # per digest
            "send_floor_cpu_ms": floor_cpu,
            "send_2_workers_s": in_processes[2][0],
            **({"send_4_workers_s": in_processes[4][0]} if 4 in in_processes else {}),
            "message_kb": round(size / 1024, 1),
            "send_queries": len(send_queries),
            "queries": len(plan_queries) + len(send_queries),
            "peak_mb": round(peak_mb, 1),
        }
    )


def in_child(target):
    """What target(out) sends, run in a forked process of its own."""
    from django.db import connections

    connections.close_all()  # the child opens its own
    context = get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=target, args=(sender,))
    child.start()
    sender.close()  # the child's end only: recv() then fails at once if the child dies
    try:
        result = receiver.recv()
    except EOFError:
        child.join()
        raise SystemExit(f"{target.__name__} ended without a result (exit code {child.exitcode})") from None
    child.join()
    return result


def run_sweep() -> dict:
    return in_child(sweep)


# --- Directory login -----------------------------------------------------------------------------------

DIRECTORY_ACCOUNTS = 1000
LOGINS = 20


def directory() -> dict:
    """Directory login against a real slapd holding DIRECTORY_ACCOUNTS people: a login through the directory
    against a local one (the median of LOGINS), and the periodic check of every account against its floor, one
    python-ldap search per account over one connection (the check finds each entry by its id, then reads it with
    django-auth-ldap as a login does)."""
    import shutil
    import tempfile

    import ldap
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings

    import config.settings
    from config import directory as login
    from config.models import DirectoryAccount
    from tests.conftest import directory_environment
    from tests.directory import PEOPLE, SERVICE_DN, SERVICE_PASSWORD, USER_FILTER, Directory

    home = Path(tempfile.mkdtemp(prefix="bench-directory-"))
    server = Directory(home / "slapd")
    server.start()
    users = get_user_model().objects
    try:
        server.populate()
        names = [f"bench-dir-{n:04}" for n in range(DIRECTORY_ACCOUNTS)]
        for name in names:
            server.add_user(name, "bench-directory-pw", "Bench", name, f"{name}@example.org")
        os.environ.update(directory_environment(server))
        values = config.settings.directory_settings()
        backends = [*settings.AUTHENTICATION_BACKENDS, "config.directory.DirectoryBackend"]
        local = users.create_user("bench-local", password="bench-local-password")  # noqa: S106
        with override_settings(**values, AUTHENTICATION_BACKENDS=backends):

            def login_ms(username: str, password: str) -> tuple[float, int]:
                timings, queries = [], QueryCounter()
                for _ in range(LOGINS + 1):
                    client = Client()
                    started = time.perf_counter()
                    with counting(queries):
                        response = client.post("/accounts/login/", {"username": username, "password": password})
                    if response.status_code != 302:
                        raise SystemExit(f"the login of {username} answered {response.status_code}")
                    timings.append((time.perf_counter() - started) * 1000)
                return statistics.median(timings[1:]), len(queries) // (LOGINS + 1)

            local_ms, local_queries = login_ms(local.username, "bench-local-password")
            directory_ms, directory_queries = login_ms(names[0], "bench-directory-pw")
            with server.connection() as connection:  # the entries' ids, which the check finds them by
                found = connection.search_s(PEOPLE, ldap.SCOPE_ONELEVEL, "(uid=bench-dir-*)", ["uid", "entryUUID"])
            entry_ids = {attrs["uid"][0].decode(): attrs["entryUUID"][0].decode() for _, attrs in found}
            for name in names[1:]:  # the accounts the check goes through, as first logins would have made them
                user = users.create_user(name, email=f"{name}@example.org")
                DirectoryAccount.objects.create(
                    user=user, dn=f"uid={name},{PEOPLE}", entry_id=entry_ids[name], synced_at=local.date_joined
                )
            queries = QueryCounter()
            with counting(queries):
                started = time.perf_counter()
                report = login.check_accounts()
                check_s = time.perf_counter() - started

        started = time.perf_counter()
        connection = ldap.initialize(server.uri)
        connection.simple_bind_s(SERVICE_DN, SERVICE_PASSWORD)
        for name in names:
            connection.search_s(PEOPLE, ldap.SCOPE_SUBTREE, USER_FILTER % {"user": name})
        connection.unbind_s()
        floor_s = time.perf_counter() - started
    finally:
        users.filter(username__startswith="bench-dir-").delete()
        users.filter(username="bench-local").delete()
        server.stop()
        shutil.rmtree(home, ignore_errors=True)
    return {
        "accounts": report.checked,
        "deactivated": len(report.deactivated),
        "check_s": round(check_s, 2),
        "check_floor_s": round(floor_s, 2),
        "check_queries": len(queries),
        "login_ms": round(directory_ms, 1),
        "login_queries": directory_queries,
        "local_login_ms": round(local_ms, 1),
        "local_login_queries": local_queries,
    }


def directory_table(results: dict) -> str:
    lines = [
        f"Directory login (OpenLDAP slapd on this machine, {results['accounts']:,} directory accounts).",
        "",
        "| | time | floor | × floor | SQL queries |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| login through the directory (median of {LOGINS}) | {results['login_ms']} ms | "
        f"{results['local_login_ms']} ms (a local account's login) | "
        f"{results['login_ms'] / results['local_login_ms']:.1f} | {results['login_queries']} |",
        f"| check of every account ({results['deactivated']} deactivated) | {results['check_s']} s | "
        f"{results['check_floor_s']} s (one search per account, one connection) | "
        f"{results['check_s'] / max(results['check_floor_s'], 0.001):.1f} | {results['check_queries']} |",
    ]
    return "\n".join(lines)


# --- Report --------------------------------------------------------------------------------------------


def page_table(database: str, floor_ms: float, results: dict) -> str:
    lines = [
        f"Database: {database}. Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}.",
        "",
        "| page | ms (median) | × floor | SQL queries |",
        "| --- | ---: | ---: | ---: |",
        f"| floor: login-required constant view, requested before each of a page's | {floor_ms:.2f} | 1.0 | — |",
        *(f"| {name} | {r['ms']:.2f} | {r['ratio']} | {r['queries']} |" for name, r in results.items()),
    ]
    return "\n".join(lines)


def sweep_table(swept: dict) -> str:
    def ratio(value, floor):
        return f"{value / max(floor, 0.001):.1f}"

    lines = [
        f"Reminder sweep: {swept['commitments']:,} open commitments of {swept['digests']:,} owners due the same day "
        f"({swept['reminders']:,} reminders, {swept['sent']:,} digests sent).",
        "",
        "| sweep | seconds | floor (s) | × floor | SQL queries |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| planning | {swept['plan_s']} | {swept['plan_write_floor_s']} (one values_list read, then the fastest "
        f"bulk write of its {swept['reminders']:,} rows) | {ratio(swept['plan_s'], swept['plan_write_floor_s'])} "
        f"| {swept['plan_queries']} |",
        f"| planning again, nothing changed | {swept['replan_s']} | {swept['plan_floor_s']} (the read alone) | "
        f"{ratio(swept['replan_s'], swept['plan_floor_s'])} | {swept['replan_queries']} |",
        f"| planning the next day, every group again, nothing new | {swept['next_day_plan_s']} | "
        f"{swept['plan_write_floor_s']} (as for planning) | "
        f"{ratio(swept['next_day_plan_s'], swept['plan_write_floor_s'])} | {swept['next_day_plan_queries']} |",
        f"| sending (SMTP, aiosmtpd) | {swept['send_s']} | {swept['send_floor_s']} (plain smtplib, one connection) | "
        f"{ratio(swept['send_s'], swept['send_floor_s'])} | {swept['send_queries']} |",
        f"| sending in two processes sharing the batches | {swept['send_2_workers_s']} | {swept['send_s']} "
        f"(one process) | {ratio(swept['send_2_workers_s'], swept['send_s'])} | |",
        *(
            [
                f"| sending in four processes | {swept['send_4_workers_s']} | {swept['send_s']} (one process) | "
                f"{ratio(swept['send_4_workers_s'], swept['send_s'])} | |"
            ]
            if "send_4_workers_s" in swept
            else []
        ),
        f"| (the floor sends the same {swept['sent']:,} digests, {swept['message_kb']} KB on average, "
        "already built) | | | | |",
        f"| peak memory of the sweep process | {swept['peak_mb']} MB | | | |",
        "",
        "| CPU per digest (ms) | sender | database | SMTP server | all |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(
            f"| {name} | {cpu['sender']} | {cpu['database']} | {cpu['smtp_server']} | {sum(cpu.values()):.2f} |"
            for name, cpu in (
                ("sending", swept["send_cpu_ms"]),
                ("the floor (smtplib, the digests already built)", swept["send_floor_cpu_ms"]),
            )
        ),
    ]
    return "\n".join(lines)


def main() -> None:
    database = configure()
    sys.path.insert(0, str(BASE_DIR))
    import django

    part = sys.argv[1] if len(sys.argv) > 1 else "all"
    if part not in ("all", "pages", "search", "sweep", "imports", "directory", "load", "scale"):
        raise SystemExit("usage: python -m bench [pages|search|sweep|imports|directory|load|scale]")
    django.setup()
    logging.getLogger("security").setLevel(logging.WARNING)  # the benchmark's own logins and downloads
    started = time.perf_counter()
    prepare_database()
    if part == "pages":
        floor_ms, results = pages()
        peered = {f"peer: {name}": r for name, r in peers().items()}
        print(page_table(database, floor_ms, results | peered | downloads(floor_ms)))
        return
    if part == "search":
        floor_ms, _ = pages(floor_only=True)
        print(search_table(database, floor_ms, searches(floor_ms)))
        return
    if part == "sweep":
        print(sweep_table(run_sweep()))
        return
    if part == "imports":
        print(import_table(imports()))
        return
    if part == "directory":
        print(directory_table(directory()))
        return
    if part == "load":
        print(load_table(load(page_urls(), log)))
        return
    if part == "scale":  # make bench-scale: the pages and the sweep over BENCH_SCALE times the sweep's data
        floor_ms, results = pages()
        print(page_table(database, floor_ms, results) + "\n\n" + sweep_table(run_sweep()))
        return
    floor_ms, results = pages()
    peered = peers()
    searched = searches(floor_ms)
    swept = run_sweep()
    downloaded = downloads(floor_ms)
    imported = imports()
    logins = directory()
    loaded = load(page_urls(), log)
    shown = results | {f"peer: {name}": r for name, r in peered.items()} | downloaded
    tables = [page_table(database, floor_ms, shown), search_table(database, floor_ms, searched)]
    tables += [sweep_table(swept), import_table(imported), directory_table(logins), load_table(loaded)]
    print("\n\n".join(tables))
    keys = (
        "plan_s", "plan_write_floor_s", "replan_s", "plan_floor_s", "send_s", "send_floor_s", "send_2_workers_s",
        "queries", "peak_mb",
    )  # fmt: skip
    output = {
        "database": database,
        "floor_ms": floor_ms,
        "pages": results | downloaded,
        "peers": peered,
        "search": searched,
        "sweep": {**{key: swept[key] for key in keys}, "detail": swept},
        "imports": imported,
        "directory": logins,
        "load": loaded,
    }
    (BENCH_DIR / "results.json").write_text(json.dumps(output, indent=2) + "\n")
    log(f"finished in {time.perf_counter() - started:.0f} s; bench/results.json written")


if __name__ == "__main__":
    main()
