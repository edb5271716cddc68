"""A save that queues a task once it commits, while the broker refuses connections: the save stands and is answered
as saved, the failure is logged, and beat's periodic tasks do the queued work later.

The Celery app is pointed at a loopback port nobody listens on, so each queueing meets a real refused connection.
The tests commit (transactional_db), so that the tasks are queued inside the request, as in production.
"""

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from redis import Redis
from redis.exceptions import RedisError
from rest_framework.test import APIClient

from commitments import attachments
from commitments.categories import ensure_default_categories
from commitments.models import Attachment, Category, Commitment, Reminder
from commitments.reminders.tasks import send_reminders
from commitments.tasks import READ_AFTER, read_unread_attachments
from config import queueing
from config.celery import app
from meetings.models import Membership
from tests.commitments.test_views import commitment_form_data
from tests.factories import CommitmentFactory, MeetingFactory, MembershipFactory, UserFactory, WorkingGroupFactory
from tests.test_settings import BASE_DIR, in_fresh_django

pytestmark = pytest.mark.django_db(transaction=True)


def point_celery_at(monkeypatch, port: int) -> None:
    """From here on, Celery's broker is the Redis at this loopback port, in a process that has not met it failing."""
    url = f"redis://127.0.0.1:{port}/0"
    monkeypatch.setenv("CELERY_BROKER_URL", url)  # Celery reads it before its configuration
    monkeypatch.setattr(app.conf, "broker_url", url)
    monkeypatch.setattr(app, "_pool", None)  # the connections and producers of the broker set above
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    monkeypatch.setattr(queueing, "failed_at", None)


@contextlib.contextmanager
def listener_that_never_answers():
    """A broker that has hung: a loopback port that takes every connection and writes nothing back. Yields the port
    and the connections taken."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        taken = []

        def take_and_say_nothing():
            while True:
                try:
                    taken.append(listener.accept()[0])
                except OSError:  # the listener closed
                    return

        threading.Thread(target=take_and_say_nothing, daemon=True).start()
        try:
            yield listener.getsockname()[1], taken
        finally:
            for connection in taken:
                connection.close()


@pytest.fixture
def broker_down(monkeypatch, caplog):
    """From here on (ask for it after the data it should not touch), the broker refuses connections."""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    point_celery_at(monkeypatch, port)
    caplog.set_level(logging.WARNING, logger="config.queueing")
    return caplog


@pytest.fixture
def broker_hung(monkeypatch):
    """From here on, the broker takes connections and never answers."""
    with listener_that_never_answers() as (port, _):
        point_celery_at(monkeypatch, port)
        yield


@pytest.fixture
def people():
    """A coordinator, an owner and a successor, and the owner's commitment (people["commitment"])."""
    ensure_default_categories(Category)  # a test that commits starts from empty tables
    group = WorkingGroupFactory()
    people = {}
    for name, role in [("coordinator", Membership.Role.COORDINATOR), ("owner", "member"), ("successor", "member")]:
        people[name] = UserFactory(username=name, is_staff=name == "coordinator")
        MembershipFactory(group=group, user=people[name], role=role)
    people["commitment"] = CommitmentFactory(meeting=MeetingFactory(group=group), owner=people["owner"])
    return people


def logged(caplog, task: str) -> bool:
    return any(task in record.getMessage() and record.levelno == logging.ERROR for record in caplog.records)


def test_a_broker_that_refuses_costs_a_save_no_wait(broker_down):
    """A refused connection is an answer: one attempt, not the transport's retries for four seconds and more."""
    started = time.perf_counter()
    queueing.enqueue(send_reminders, (), {})
    assert time.perf_counter() - started < 2
    assert logged(broker_down, "send_reminders")


def test_after_a_failure_the_broker_is_tried_again_once_its_pause_is_over(broker_down, monkeypatch):
    queueing.enqueue(send_reminders, (), {})
    queueing.enqueue(send_reminders, (), {})
    assert [r.getMessage().split(":")[0] for r in broker_down.records] == [
        "Could not queue commitments.reminders.tasks.send_reminders",
        "Did not queue commitments.reminders.tasks.send_reminders",
    ]
    monkeypatch.setattr(queueing, "failed_at", time.monotonic() - queueing.PAUSE_AFTER_FAILURE - 1)
    queueing.enqueue(send_reminders, (), {})
    assert broker_down.records[-1].getMessage().startswith("Could not queue")


def test_an_owner_changed_through_the_api_is_saved_and_answered_as_saved(people, broker_down):
    commitment = people["commitment"]
    api = APIClient()
    api.force_authenticate(people["coordinator"])
    response = api.patch(
        f"/api/v1/commitments/{commitment.pk}/",
        {"owner": people["successor"].pk},
        format="json",
        HTTP_IF_MATCH=f'"{commitment.version}"',
    )
    assert response.status_code == 200, response.content
    assert Commitment.objects.get(pk=commitment.pk).owner == people["successor"]
    assert Reminder.objects.filter(recipient=people["successor"], state=Reminder.State.PENDING).exists()
    assert logged(broker_down, "send_reminders")


def test_an_owner_changed_in_the_form_is_saved_and_answered_as_saved(people, broker_down, client):
    commitment = people["commitment"]
    client.force_login(people["coordinator"])
    response = client.post(
        reverse("commitments:edit", args=[commitment.pk]),
        commitment_form_data(commitment, owner=people["successor"].pk),
    )
    assert response.status_code == 302
    assert Commitment.objects.get(pk=commitment.pk).owner == people["successor"]
    assert logged(broker_down, "send_reminders")


def test_the_admins_retry_is_recorded_and_answered_as_done(people, broker_down, client):
    failed = Reminder.objects.filter(recipient=people["owner"])
    assert failed.update(state=Reminder.State.FAILED, last_error="550 No such user")
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    ids = list(failed.values_list("pk", flat=True))
    response = client.post(
        reverse("admin:commitments_reminder_changelist"), {"action": "retry", "_selected_action": ids}, follow=True
    )
    assert response.status_code == 200
    assert f"{len(ids)} reminder(s) will be sent again shortly." in response.content.decode()
    assert set(Reminder.objects.filter(pk__in=ids).values_list("state", flat=True)) == {Reminder.State.PENDING}
    assert logged(broker_down, "send_reminders")


def test_an_upload_is_kept_and_its_text_read_by_the_hourly_task(people, broker_down):
    commitment = people["commitment"]
    api = APIClient()
    api.force_authenticate(people["owner"])
    upload = SimpleUploadedFile("minutes.txt", b"Agreed minutes of the consultations\n", content_type="text/plain")
    response = api.post("/api/v1/attachments/", {"commitment": commitment.pk, "file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    assert logged(broker_down, "read_attachment_text")
    attachment = Attachment.objects.get(pk=response.json()["id"])
    assert attachment.text_read_at is None
    # Within the first minutes the upload's own task may still come: the hourly task leaves it.
    assert read_unread_attachments() == 0
    with time_machine.travel(attachment.uploaded_at + READ_AFTER):
        assert read_unread_attachments() == 1
    attachment.refresh_from_db()
    assert attachment.text == "Agreed minutes of the consultations"
    assert read_unread_attachments() == 0


def assert_queueing_gives_up_within_seconds(port: int) -> None:
    """In a process configured as production is (a Redis broker at this port), a save that queues three tasks (a
    handover of three commitments, three files uploaded together) waits for the broker once, not three times, and
    is answered well within the web server's 30 s."""
    code = (
        "import time; from config.queueing import enqueue; from commitments.reminders.tasks import send_reminders; "
        "started = time.perf_counter(); [enqueue(send_reminders, (), {}) for _ in range(3)]; "
        "print(round(time.perf_counter() - started))"
    )
    result = in_fresh_django(code, timeout=60, SECRET_KEY="x" * 50, CELERY_BROKER_URL=f"redis://127.0.0.1:{port}/0")
    assert result.returncode == 0, result.stderr
    assert (result.stdout + result.stderr).count("Could not queue commitments.reminders.tasks.send_reminders") == 1
    assert (result.stdout + result.stderr).count("Did not queue commitments.reminders.tasks.send_reminders") == 2
    assert int(result.stdout.split()[-1]) <= 10, result.stdout


def test_files_uploaded_together_keep_their_bytes_when_the_request_is_stopped_while_queueing(people, broker_hung):
    """The web server stops a request that runs past its timeout (gunicorn: SIGABRT, and its handler exits). Files
    whose rows are committed keep their bytes, whatever stops the request after the commit: here, while it waits
    for a hung broker to take the task that reads their text."""
    files = [
        attachments.check(SimpleUploadedFile(f"note {n}.txt", f"Note verbale {n}\n".encode(), "text/plain"))
        for n in range(3)
    ]

    def stopped_by_the_web_server(signum, frame):
        sys.exit(1)

    previous = signal.signal(signal.SIGALRM, stopped_by_the_web_server)
    signal.setitimer(signal.ITIMER_REAL, 1)
    try:
        with pytest.raises(SystemExit):
            attachments.attach(people["commitment"], files, user=people["owner"])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    kept = Attachment.objects.filter(commitment=people["commitment"])
    assert kept.count() == 3
    for attachment in kept:
        with attachment.file.open("rb") as stored:
            assert stored.read().startswith(b"Note verbale")


def test_a_broker_host_that_takes_no_connection_holds_a_save_for_seconds_not_minutes():
    """A broker machine that is down may leave connections unanswered rather than refused: the queueing gives up
    after the connect timeout instead of the system's two minutes and more. Against a listener whose queue of
    connections is full."""
    with contextlib.ExitStack() as stack:
        listener = stack.enter_context(socket.socket())
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        for _ in range(3):  # fill its queue: a further connection is left unanswered
            filler = stack.enter_context(socket.socket())
            filler.setblocking(False)
            filler.connect_ex(listener.getsockname())
        assert_queueing_gives_up_within_seconds(listener.getsockname()[1])


def test_a_broker_that_takes_the_connection_but_never_answers_holds_a_save_for_seconds_not_forever():
    """A broker that has hung (stopped, or behind a firewall that now drops its packets) takes the connection and
    then never answers the publish: the queueing gives up after the transport's socket timeout. Against a listener
    that accepts every connection and writes nothing back."""
    with listener_that_never_answers() as (port, taken):
        assert_queueing_gives_up_within_seconds(port)
    assert taken, "the queueing never connected"


def test_a_worker_holding_a_delayed_task_carries_on_when_the_broker_goes_away(tmp_path, monkeypatch):
    """A worker holds a task queued with a delay (the sending after an owner change's quiet period) unacknowledged.
    When the broker goes away meanwhile, the worker tries to put it back through the connection just lost; that
    must not stop the worker: it reconnects once the broker is back, and beat's periodic tasks do the work. A real
    worker process and a Redis of its own, stopped and started again."""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    command = [
        shutil.which("redis-server"),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--save",
        "",
        "--appendonly",
        "no",
    ]

    def start_redis() -> subprocess.Popen:
        redis = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        wait_for(lambda: answers(port))
        return redis

    redis = start_redis()
    log = tmp_path / "worker.log"
    env = {
        "PATH": os.environ["PATH"], "ENV_FILE": "", "SECRET_KEY": "x" * 50, "LOG_LEVEL": "INFO",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/0", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_QUEUE": app.conf.task_default_queue,
    }  # fmt: skip
    with log.open("w") as output:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-c", "1", "--loglevel", "INFO"],
            cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_for(lambda: " ready." in log.read_text())
        point_celery_at(monkeypatch, port)
        send_reminders.apply_async(countdown=600)
        wait_for(lambda: log.read_text().count("received") == 1)
        redis.terminate()
        redis.wait()
        wait_for(lambda: "Connection to broker lost" in log.read_text())
        time.sleep(3)
        assert worker.poll() is None, log.read_text()[-3000:]
        redis = start_redis()
        wait_for(lambda: "Connected to redis" in log.read_text().rsplit("Connection to broker lost", 1)[-1], 30)
        send_reminders.apply_async(countdown=600)
        wait_for(lambda: log.read_text().count("received") >= 2, 30)
        assert "Unrecoverable error" not in log.read_text()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        redis.terminate()
        redis.wait()


def answers(port: int) -> bool:
    try:
        return Redis(port=port, socket_connect_timeout=1).ping()
    except RedisError:
        return False


def wait_for(condition, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.2)
