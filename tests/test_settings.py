"""Deploy values come from the environment, with safe defaults."""

import datetime
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.utils.formats import date_format

BASE_DIR = Path(__file__).resolve().parent.parent


def in_fresh_django(code: str, timeout: float | None = None, **environ) -> subprocess.CompletedProcess:
    """Run `code` after Django's setup, in a fresh interpreter with only these variables set (stopped, and the test
    failed, after `timeout` seconds)."""
    env = {"PATH": os.environ["PATH"], "ENV_FILE": "", "LOG_LEVEL": "WARNING", **environ}
    setup = "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup(); "
    command = [sys.executable, "-c", setup + code]
    return subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout)


def manage(*arguments: str, **environ) -> subprocess.CompletedProcess:
    """manage.py with these arguments, in a fresh interpreter with only these variables set."""
    env = {"PATH": os.environ["PATH"], "ENV_FILE": "", **environ}
    command = [sys.executable, "manage.py", *arguments]
    return subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True)


def django_settings(**environ) -> subprocess.CompletedProcess:
    """Load the settings in a fresh interpreter with only these variables set."""
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.DATABASES['default'].get('CONN_MAX_AGE'), s.TIME_ZONE)"
    )
    return in_fresh_django(code, **environ)


def test_without_a_secret_key_production_refuses_to_start():
    env = {"PATH": os.environ["PATH"], "ENV_FILE": "", "LOG_LEVEL": "WARNING"}
    result = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_the_web_process_sets_what_it_loaded_aside_from_the_garbage_collector():
    """What starting loads (modules, apps, URLs) is frozen out of the collector's full collections, and young
    objects are collected less often: a page makes tens of thousands."""
    env = {"PATH": os.environ["PATH"], "ENV_FILE": "", "LOG_LEVEL": "WARNING", "SECRET_KEY": "x" * 50}
    code = "import gc, config.wsgi; print(gc.get_freeze_count() > 50_000, gc.get_threshold()[0])"
    result = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "10000"]


def test_without_a_secret_key_the_worker_stops_at_once():
    env = {"PATH": os.environ["PATH"], "ENV_FILE": "", "LOG_LEVEL": "WARNING", "CELERY_BROKER_URL": "memory://"}
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Cannot start the worker: SECRET_KEY is not set" in result.stderr


def test_offline_commands_need_no_secret_key():
    result = manage("makemigrations", "--check", "--dry-run", LOG_LEVEL="WARNING")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_debug_is_off_unless_set_and_sqlite_is_the_default():
    result = django_settings(SECRET_KEY="x" * 50)
    assert result.stdout.split() == ["False", "django.db.backends.sqlite3", "0", "Asia/Kolkata"]


def test_debug_runs_without_a_secret_key():
    assert django_settings(DEBUG="true").returncode == 0


def test_postgresql_connections_are_persistent():
    result = django_settings(SECRET_KEY="x" * 50, DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres")
    assert result.stdout.split()[1:3] == ["django.db.backends.postgresql", "60"]


def test_a_query_of_more_than_65535_parameters_runs_on_postgresql():
    """A brief of 70,000 commitments names them all; a handover may name as many. Parameters bound by the server
    (prepared statements) stop at 65,535, and Django's PostgreSQL backend batches nothing for that limit."""
    code = (
        "from django.db import connection; cursor = connection.cursor(); "
        "cursor.execute('SELECT count(*) FROM (VALUES (1)) v(n) WHERE n IN (' + ', '.join(['%s'] * 70_000) + ')', "
        "list(range(70_000))); print(cursor.fetchone()[0])"
    )
    result = in_fresh_django(code, SECRET_KEY="x" * 50, DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"


def test_a_malformed_boolean_is_an_error_not_a_guess():
    result = django_settings(SECRET_KEY="x" * 50, DEBUG="perhaps")
    assert result.returncode != 0


def test_dates_read_the_british_way():
    assert date_format(datetime.date(2025, 9, 30)) == "30 September 2025"


def make_run_commands(*arguments: str, **environ) -> list[str]:
    """What `make run` would run (make -n: printed, not run)."""
    env = {"PATH": os.environ["PATH"], **environ}
    result = subprocess.run(
        [shutil.which("make"), "-n", "run", *arguments],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in result.stdout.splitlines() if "manage.py send_reminders" in line or "honcho" in line]


def test_make_run_links_to_the_address_it_serves():
    commands = make_run_commands("PORT=8103")
    assert len(commands) == 2
    assert all("SITE_URL=http://127.0.0.1:8103 " in command for command in commands)


def test_make_run_keeps_a_site_url_set_by_the_operator():
    commands = make_run_commands("PORT=8103", SITE_URL="https://commitments.intranet.example")
    assert all("SITE_URL=https://commitments.intranet.example " in command for command in commands)


def test_a_number_setting_out_of_its_bounds_stops_the_start_with_its_reason():
    for value, reason in [
        ("25", "REMINDER_SEND_HOUR must be from 0 to 23, not 25"),
        ("nine", "must be a whole number"),
    ]:
        result = django_settings(DEBUG="true", REMINDER_SEND_HOUR=value)
        assert result.returncode != 0
        assert reason in result.stderr
    assert django_settings(DEBUG="true", REMINDER_SEND_HOUR="0").returncode == 0


def test_the_pdf_library_logs_no_progress_lines_at_the_default_level():
    """WeasyPrint tells each step of each PDF at INFO: some 70 lines a brief, which would drown the app's own log."""
    code = (
        "import logging; print(logging.getLogger('weasyprint.progress').isEnabledFor(logging.INFO), "
        "logging.getLogger('security').isEnabledFor(logging.INFO))"
    )
    result = in_fresh_django(code, LOG_LEVEL="INFO", SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["False", "True"]  # after the log lines of starting


def test_a_command_that_writes_data_to_standard_output_writes_nothing_else_there():
    """Logs go to standard output, and at the default level a library logged a line there as Django started:
    `manage.py spectacular > schema.json` (how an integrator takes the schema for a client) wrote no JSON."""
    result = manage("spectacular", "--format", "openapi-json", DEBUG="true", SECRET_KEY="x" * 50)  # logging at INFO
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["info"]["title"] == "Commitments tracker API"


def test_tasks_go_to_and_workers_take_the_queue_named_in_celery_queue():
    """Two installations sharing one Redis keep their tasks apart by their queue's name."""
    code = (
        "from config.celery import app; from commitments.reminders.tasks import send_reminders; "
        "print(app.conf.task_default_queue, app.amqp.router.route({}, send_reminders.name)['queue'].name)"
    )
    named = in_fresh_django(code, SECRET_KEY="x" * 50, CELERY_QUEUE="tracker-staging")
    assert named.stdout.split() == ["tracker-staging", "tracker-staging"], named.stderr
    default = in_fresh_django(code, SECRET_KEY="x" * 50)
    assert default.stdout.split() == ["celery", "celery"], default.stderr
