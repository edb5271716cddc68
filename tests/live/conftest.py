"""Live tests: a real Celery worker process on the real broker, a real SMTP server, committed data.

The broker is CELERY_BROKER_URL (Redis in CI), or the filesystem queue under var/ when it is unset; the queue is
this test process's own (tests/conftest.py), so that these tests run beside the others. The worker opens the test
database that pytest-django created for this process.
"""

import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from meetings.models import Meeting
from tests.conftest import ATTACHMENT_DIR
from tests.smtp import SMTPServer

BASE_DIR = Path(__file__).resolve().parents[2]
CLAIM_TIMEOUT = 3  # seconds before a claim of a dead worker is taken back
BATCH_SIZE = 5  # recipients per batch: the most digests a killed worker can leave unrecorded
QUIET_PERIOD = 3  # seconds without a new owner change before a recipient's notices go out


def database_url() -> str:
    """The URL of the test database, for the worker process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """A `celery worker` process of its own, killable like any other."""

    def __init__(self, name: str, smtp: SMTPServer, environ: dict[str, str] | None = None, beat: bool = False):
        self.name, self.smtp, self.environ, self.beat = name, smtp, environ or {}, beat
        self.node = f"{name}-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"  # one of each per test process
        self.log = BASE_DIR / "test-artifacts" / f"worker-{self.node}.log"
        self.process = None

    def start(self) -> "Worker":
        self.log.parent.mkdir(exist_ok=True)
        env = {
            **os.environ,
            "ENV_FILE": "",
            "DATABASE_URL": database_url(),
            "EMAIL_URL": self.smtp.url,
            "REMINDER_SEND_HOUR": "0",
            "REMINDER_RETRY_BASE_SECONDS": "1",
            "REMINDER_CLAIM_TIMEOUT_SECONDS": str(CLAIM_TIMEOUT),
            "REMINDER_BATCH_SIZE": str(BATCH_SIZE),
            "REMINDER_QUIET_PERIOD_SECONDS": str(QUIET_PERIOD),
            "ATTACHMENT_DIR": str(ATTACHMENT_DIR),
            **self.environ,
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{self.node}@%h",
            *(["--beat", f"--schedule={self.log.with_suffix('.beat')}"] if self.beat else []),
        ]
        self.offset = self.log.stat().st_size if self.log.exists() else 0  # the log is kept across tests
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_for(lambda: "ready." in self.output(), timeout=60, what=f"worker {self.name} to start")
        return self

    def output(self) -> str:
        """What this worker process has logged."""
        with open(self.log, "rb") as log:
            log.seek(self.offset)
            return log.read().decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL to the worker and its pool: no chance to clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for(condition, timeout: float = 60, what: str = "a condition", interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def smtp_live():
    server = SMTPServer().start()
    yield server
    server.stop()
    assert server.handler.defects == []


@pytest.fixture
def workers(smtp_live, transactional_db):
    celery_app.control.purge()  # messages left by earlier tests' commits
    started = []

    def start(name: str = "live", beat: bool = False, **environ: str) -> Worker:
        worker = Worker(name, smtp_live, environ, beat).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def session_in_a_week(transactional_db):
    """The demo data with the 10th meeting fixed a week from today: everyone has a reminder due."""
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    today = timezone.localdate()
    tenth = Meeting.objects.get(number=10, group__slug="india-uzbekistan-jwg-ct")
    tenth.status, tenth.start_date, tenth.city = (
        Meeting.Status.SCHEDULED,
        today + datetime.timedelta(days=7),
        "New Delhi",
    )
    tenth.save()
    return today
