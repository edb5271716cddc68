"""The audit trail: every change to working groups, memberships, meetings, commitments and progress
updates is recorded with its actor, whichever way it is made, and no code path can skip it."""

import ast
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import ProtectedError
from django.urls import reverse
from rest_framework.test import APIClient

from commitments.models import Commitment, ProgressUpdate
from meetings.models import Meeting, Membership, UnrecordedChangeError, WorkingGroup
from tests.factories import commitment_form_data

BASE_DIR = Path(__file__).resolve().parent.parent
APPS = ["config", "meetings", "commitments"]
AUDITED = [WorkingGroup, Membership, Meeting, Commitment, ProgressUpdate]
BULK_WRITES = {"update", "bulk_update", "unrecorded_update"}
# Bulk writes allowed: on tables that are not audited (the reminder outbox), named by the
# receiver's model or, where the receiver is a parameter, by the function; and the plain UPDATE of
# save_versioned, whose caller saves the object right after (recording it).
NOT_AUDITED = {"Reminder"}
ALLOWED = {
    ("commitments/reminders/delivery.py", "retry_reminders"): "a queryset of Reminder rows from the admin",
    ("commitments/models.py", "save_versioned"): "the version claim, followed by save()",
}
QUERYSET_STARTS = {"objects", "filter", "exclude", "all", "select_for_update"}
RAW_SQL = {"raw", "extra", "execute", "executemany", "RawSQL"}
# The one module allowed SQL of its own: it writes the outbox (not audited), and tests/commitments/test_outbox.py
# compares what it writes with what the ORM writes.
RAW_SQL_ALLOWED = {"commitments/reminders/outbox.py"}


def app_sources():
    for app in APPS:
        for path in sorted((BASE_DIR / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(BASE_DIR).as_posix(), ast.parse(path.read_text())


def chain_root(node: ast.AST) -> str:
    """The name a call chain starts from: "Commitment" in Commitment.objects.filter(...).update(...)."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute | ast.Subscript):
            node = node.value
        else:
            return node.id if isinstance(node, ast.Name) else ""


def is_queryset_chain(node: ast.AST) -> bool:
    """Whether the receiver is built from a manager or queryset method (objects, filter, exclude, …)."""
    while isinstance(node, ast.Call | ast.Attribute):
        if isinstance(node, ast.Attribute) and node.attr in {
            "objects",
            "filter",
            "exclude",
            "all",
            "select_for_update",
        }:
            return True
        node = node.func if isinstance(node, ast.Call) else node.value
    return False


def bulk_writes():
    """(file, function, receiver root, method) of every bulk write on a queryset in the application code."""
    for filename, tree in app_sources():
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            for node in ast.walk(function):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in BULK_WRITES
                    and is_queryset_chain(node.func.value)
                ):
                    yield filename, function.name, chain_root(node.func.value), node.func.attr


def test_no_code_path_bulk_updates_an_audited_table():
    found = sorted(set(bulk_writes()))
    unrecorded = [write for write in found if write[2] not in NOT_AUDITED and (write[0], write[1]) not in ALLOWED]
    print(f"bulk writes on querysets: {len(found)}, on audited tables outside recording helpers: {len(unrecorded)}")
    assert unrecorded == []
    assert ("commitments/models.py", "save_versioned", "Commitment", "unrecorded_update") in found  # the scan works


def test_no_raw_sql_in_the_application():
    calls = [
        (filename, node.lineno)
        for filename, tree in app_sources()
        if filename not in RAW_SQL_ALLOWED
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Attribute) and node.func.attr in RAW_SQL)
            or (isinstance(node.func, ast.Name) and node.func.id in RAW_SQL)
        )
    ]
    assert calls == []


@pytest.mark.parametrize("model", AUDITED, ids=lambda model: model.__name__)
def test_a_bulk_update_of_an_audited_table_is_refused(model, db):
    with pytest.raises(UnrecordedChangeError):
        model.objects.all().update(pk=1)
    with pytest.raises(UnrecordedChangeError):
        model.objects.bulk_update([], ["pk"])


def test_related_managers_refuse_it_too(meeting):
    with pytest.raises(UnrecordedChangeError):
        meeting.commitments.update(title="Changed behind the history's back")


def last_actor(obj) -> str:
    record = obj.history.order_by("-history_date", "-history_id").first()
    return record.history_user.username if record.history_user else record.history_change_reason


def test_every_channel_records_its_actor(client, coordinator, owner, meeting, group, commitment):
    api = APIClient()
    # Web UI
    client.force_login(coordinator)
    client.post(reverse("commitments:edit", args=[commitment.pk]), commitment_form_data(commitment, title="UI"))
    assert last_actor(Commitment.objects.get(pk=commitment.pk)) == "coordinator"
    client.force_login(owner)
    client.post(reverse("commitments:progress", args=[commitment.pk]), {"text": "Posted in the UI"})
    assert last_actor(ProgressUpdate.objects.get(text="Posted in the UI")) == "owner"
    # API, by token as a script would
    api.credentials(HTTP_AUTHORIZATION="Token " + owner_token(owner))
    commitment.refresh_from_db()
    response = api.patch(
        f"/api/v1/commitments/{commitment.pk}/", {"status": "in_progress", "version": commitment.version}
    )
    assert response.status_code == 200
    assert last_actor(Commitment.objects.get(pk=commitment.pk)) == "owner"
    api.post(f"/api/v1/commitments/{commitment.pk}/progress-updates/", {"text": "Posted by API"})
    assert last_actor(ProgressUpdate.objects.get(text="Posted by API")) == "owner"
    # Admin
    coordinator.is_staff = True
    coordinator.save()
    client.force_login(coordinator)
    client.post(
        reverse("admin:commitments_commitment_changelist"),
        {"action": "mark_done", "_selected_action": [commitment.pk]},
    )
    commitment.refresh_from_db()
    assert commitment.status == Commitment.Status.DONE
    assert last_actor(commitment) == "coordinator"
    membership = Membership.objects.get(user=owner)
    client.post(
        reverse("admin:meetings_membership_change", args=[membership.pk]),
        {"group": group.pk, "user": owner.pk, "role": "coordinator"},
    )
    membership.refresh_from_db()
    assert membership.role == "coordinator"
    assert last_actor(membership) == "coordinator"


def owner_token(user) -> str:
    from tests.factories import api_token

    return api_token(user)


def test_commands_record_an_actor_too(db):
    """The command names itself as the reason; a progress update it posts is recorded as its author's."""
    call_command("seed_demo", password="demo-password-for-tests", stdout=io.StringIO())
    for model in AUDITED:
        records = model.history.all()
        assert records.exists(), model
        assert all(record.history_user_id or record.history_change_reason for record in records), model


def test_deleting_an_owner_is_refused_so_no_commitment_changes_unrecorded(commitment):
    """Deleting would set the owner to nothing in one unrecorded UPDATE: accounts are deactivated instead."""
    with pytest.raises(ProtectedError):
        commitment.owner.delete()
    assert Commitment.objects.get(pk=commitment.pk).owner_id == commitment.owner_id
