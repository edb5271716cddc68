"""Concurrent use through the API, each request in its own thread and database connection.

On PostgreSQL (CI) the requests really overlap; on SQLite the writers queue for the file's lock.
Either way no save is lost: of two saves of the same version exactly one lands and the other is
refused with 412, and every progress update posted at the same time is kept.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from commitments.categories import ensure_default_categories
from commitments.models import Category, Commitment, ProgressUpdate
from tests.factories import CommitmentFactory

RACES = 50
THREADS, UPDATES_EACH = 20, 10


def in_own_connection(function):
    """Run in a worker thread, closing the thread's database connection afterwards."""

    def run(*args):
        try:
            return function(*args)
        finally:
            connection.close()

    return run


@pytest.fixture
def shared(transactional_db, meeting, owner, coordinator, superuser):
    """Committed rows, visible to the threads' connections (a transactional test starts from empty tables)."""
    ensure_default_categories(Category)
    return {
        "commitment": CommitmentFactory(meeting=meeting, owner=owner),
        "editors": [coordinator, superuser],
        "posters": [owner, coordinator],
    }


def test_of_two_simultaneous_saves_one_lands_and_the_other_is_refused(shared):
    commitment = shared["commitment"]
    url = f"/api/v1/commitments/{commitment.pk}/"
    barrier = threading.Barrier(2)

    @in_own_connection
    def save(user, title, version):
        client = APIClient()
        client.force_authenticate(user)
        barrier.wait()
        return client.patch(url, {"title": title, "version": version}, format="json").status_code

    refused = lost = 0
    with ThreadPoolExecutor(max_workers=2) as pool:
        for race in range(RACES):
            version = Commitment.objects.get(pk=commitment.pk).version
            titles = [f"Race {race}: the coordinator's title", f"Race {race}: the superuser's title"]
            statuses = list(pool.map(save, shared["editors"], titles, [version, version]))
            current = Commitment.objects.get(pk=commitment.pk)
            assert sorted(statuses) == [200, 412], statuses
            refused += statuses.count(412)
            winner = titles[statuses.index(200)]
            lost += current.title != winner or current.version != version + 1
    history = Commitment.history.filter(id=commitment.pk).count()
    print(f"{RACES} races of two simultaneous saves: {refused} refused, {lost} lost")
    assert (refused, lost) == (RACES, 0)
    assert history == 1 + RACES  # created, then one record per landed save


def test_simultaneous_progress_updates_all_land(shared):
    commitment = shared["commitment"]
    url = f"/api/v1/commitments/{commitment.pk}/progress-updates/"

    @in_own_connection
    def post_many(thread: int):
        client = APIClient()
        client.force_authenticate(shared["posters"][thread % 2])
        statuses = []
        for n in range(UPDATES_EACH):
            # Every fifth one also moves the status, taking the commitment's row lock.
            new_status = ("in_progress", "open")[n % 2] if n % 5 == 0 else ""
            data = {"text": f"Thread {thread}, update {n}", "new_status": new_status}
            statuses.append(client.post(url, data, format="json").status_code)
        return statuses

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        statuses = [status for thread in pool.map(post_many, range(THREADS)) for status in thread]
    rows = ProgressUpdate.objects.filter(commitment=commitment).count()
    print(f"{THREADS} threads × {UPDATES_EACH} progress updates: {statuses.count(201)} answered 201, {rows} rows")
    assert statuses == [201] * THREADS * UPDATES_EACH
    assert rows == THREADS * UPDATES_EACH
    current = Commitment.objects.get(pk=commitment.pk)
    assert current.history.count() == current.version  # every status change recorded, none lost


def test_an_import_confirmed_twice_at_once_imports_once(shared, group, coordinator):
    """A double click on *Import*: of two confirmations of the same preview, one imports and the other is
    refused, and each row is imported once."""
    from django.test import Client

    from commitments import importing

    data = "Commitment,Working group,Agreed at,Category\n" + "".join(
        f"Item {n},{group.short_name},9,Research\n" for n in range(200)
    )

    @in_own_connection
    def confirm(path, digest, barrier):
        client = Client()
        client.force_login(coordinator)
        barrier.wait()
        return client.post(path, {"digest": digest}).status_code

    for _ in range(5):
        upload = importing.upload(data.encode(), "items.csv", "commitments", coordinator)
        arguments = (f"/commitments/import/{upload.pk}/", importing.preview(upload, coordinator).digest)
        barrier = threading.Barrier(2)
        with ThreadPoolExecutor(max_workers=2) as pool:
            both = [pool.submit(confirm, *arguments, barrier) for _ in range(2)]
            answers = sorted(future.result() for future in both)
        assert answers == [302, 409]  # the second: "imported already"
        assert Commitment.objects.filter(title="Item 0").count() == 1
        Commitment.objects.filter(title__startswith="Item ").delete()
