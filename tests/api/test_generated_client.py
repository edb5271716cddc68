"""A client generated from the published schema (/api/schema/) by openapi-python-client, as an integrator would:
every module of it imports, and it runs a real workflow against a live server as an owner and as a coordinator.
Any drift between the schema and the API fails here: the client parses each answer by the status code and the
type the schema documents, and raises on any status the schema does not document."""

import importlib
import io
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.management import call_command

from commitments.models import Commitment
from tests.factories import CommitmentFactory, api_token

PACKAGE = "tracker_client"


@pytest.fixture
def generated(live_server, transactional_db, tmp_path, settings):
    """The client package, generated from the schema the live server publishes, importable."""
    settings.ALLOWED_HOSTS = ["*"]
    call_command("seed_demo", password="demo-password-for-tests", stdout=io.StringIO())
    token = api_token(get_user_model().objects.get(username="member"))
    schema = requests.get(f"{live_server.url}/api/schema/?format=json", headers=auth(token), timeout=30)
    assert schema.status_code == 200, schema.text
    (tmp_path / "schema.json").write_bytes(schema.content)
    (tmp_path / "config.yaml").write_text(f"package_name_override: {PACKAGE}\npost_hooks: []\n")
    generator = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(  # the pinned generator, on the schema just fetched
        [generator, "generate", "--path", "schema.json", "--config", "config.yaml", "--meta", "none"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path))
    yield importlib.import_module(PACKAGE)
    sys.path.remove(str(tmp_path))
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def auth(token: str) -> dict:
    return {"Authorization": f"Token {token}"}


@pytest.fixture
def client_of(generated, live_server):
    """The generated client of a user of the demo data, closed after the test: a client left open keeps its
    connection to the live server, and the server's thread keeps the database open."""
    module = importlib.import_module(f"{PACKAGE}.client")
    users = {user.username: user for user in get_user_model().objects.all()}
    opened = []

    def client_of(username: str):
        client = module.AuthenticatedClient(
            base_url=live_server.url, token=api_token(users[username]), prefix="Token", raise_on_unexpected_status=True
        )
        opened.append(client)
        return client

    yield client_of
    for client in opened:
        client.get_httpx_client().close()


def test_every_module_of_the_generated_client_imports(generated):
    modules = [module.name for module in pkgutil.walk_packages(generated.__path__, f"{PACKAGE}.")]
    failures = []
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as error:  # every failure is listed, not the first
            failures.append(f"{name}: {type(error).__name__}: {error}")
    print(f"generated client: {len(modules)} modules, {len(failures)} that do not import")
    assert len(modules) > 30
    assert failures == []


def test_an_owner_and_a_coordinator_work_through_the_generated_client(client_of):
    api = importlib.import_module(f"{PACKAGE}.api.commitments")
    models = importlib.import_module(f"{PACKAGE}.models")
    for name in ["commitments_list", "commitments_retrieve", "commitments_partial_update"]:
        importlib.import_module(f"{api.__name__}.{name}")
    importlib.import_module(f"{api.__name__}.commitments_progress_updates_create")
    me_api = importlib.import_module(f"{PACKAGE}.api.me.me_retrieve")
    listing, reading = api.commitments_list, api.commitments_retrieve
    patching, posting = api.commitments_partial_update, api.commitments_progress_updates_create
    users = {user.username: user for user in get_user_model().objects.all()}

    def patch(client, commitment_id: int, etag=None, **fields):
        body = models.PatchedCommitmentRequest(**fields)
        if etag is None:
            return patching.sync_detailed(client=client, id=commitment_id, body=body)
        return patching.sync_detailed(client=client, id=commitment_id, body=body, if_match=etag)

    owner = client_of("owner")
    # My open commitments, from the list and from /me/ (typed items).
    mine = listing.sync(
        client=owner, owner="mine", status=[models.CommitmentStatusEnum.OPEN, models.CommitmentStatusEnum.IN_PROGRESS]
    )
    assert mine.count >= 2
    assert {commitment.owner_label for commitment in mine.results} == {"Arjun Mehta"}
    overdue = listing.sync(client=owner, owner="mine", overdue=True)
    assert 0 < overdue.count < mine.count
    me = me_api.sync(client=owner)
    assert {c.id for c in me.commitments} == {c.id for c in mine.results}
    assert isinstance(me.commitments[0], models.Commitment)
    assert set(me.roles.additional_properties.values()) == {models.RoleEnum.MEMBER}

    # Read one and its ETag; change its status with If-Match.
    target = next(c for c in mine.results if c.follow_up_date)
    read = reading.sync_detailed(client=owner, id=target.id)
    assert read.status_code == 200
    etag = read.headers["ETag"]
    assert etag == f'"{read.parsed.version}"'
    changed = patch(owner, target.id, etag, status=models.CommitmentStatusEnum.IN_PROGRESS)
    assert changed.status_code == 200
    assert changed.parsed.status == models.CommitmentStatusEnum.IN_PROGRESS
    etag = changed.headers["ETag"]

    # Clear its follow-up date (null), saying why.
    cleared = patch(owner, target.id, etag, follow_up_date=None, follow_up_reason="New dates await the partner.")
    assert cleared.status_code == 200, cleared.content
    assert cleared.parsed.follow_up_date is None
    assert Commitment.objects.get(pk=target.id).follow_up_date is None
    etag = cleared.headers["ETag"]

    # Post a progress update that changes the status.
    posted = posting.sync_detailed(
        client=owner,
        id=target.id,
        body=models.ProgressUpdateRequest(text="Exchange completed.", new_status=models.CommitmentStatusEnum.DONE),
    )
    assert posted.status_code == 201
    assert isinstance(posted.parsed, models.ProgressUpdate)
    assert Commitment.objects.get(pk=target.id).status == Commitment.Status.DONE

    # A stale If-Match: 412 with the current state, read as the documented type; none at all: 428.
    stale = patch(owner, target.id, etag, status=models.CommitmentStatusEnum.OPEN)
    assert stale.status_code == 412
    assert isinstance(stale.parsed, models.StaleVersion)
    assert stale.parsed.current.status == models.CommitmentStatusEnum.DONE
    assert stale.headers["ETag"] == f'"{stale.parsed.current.version}"'
    missing = patch(owner, target.id, status=models.CommitmentStatusEnum.OPEN)
    assert missing.status_code == 428
    assert isinstance(missing.parsed, models.Detail)

    # An owner may not edit the title: 403.
    current = reading.sync_detailed(client=owner, id=target.id)
    refused = patch(owner, target.id, current.headers["ETag"], title="A title of my own")
    assert refused.status_code == 403
    assert Commitment.objects.get(pk=target.id).title != "A title of my own"

    # A coordinator revokes the grants of a restricted commitment with [].
    restricted = CommitmentFactory(
        meeting=Commitment.objects.get(pk=target.id).meeting, owner=users["owner"], restricted=True
    )
    restricted.access_granted_to.add(users["member"])
    coordinator = client_of("coordinator")
    read = reading.sync_detailed(client=coordinator, id=restricted.pk)
    assert read.parsed.access_granted_to == [users["member"].pk]
    revoked = patch(coordinator, restricted.pk, read.headers["ETag"], access_granted_to=[])
    assert revoked.status_code == 200
    assert revoked.parsed.access_granted_to == []
    assert not restricted.access_granted_to.exists()
    # The coordinator hands owner2's open commitments to the owner, in one step; a second time there are none.
    handovers = importlib.import_module(f"{PACKAGE}.api.handovers.handovers_create")
    group = Commitment.objects.get(pk=target.id).meeting.group
    body = models.HandoverRequest(group=group.pk, officer=users["owner2"].pk, successor=users["owner"].pk)
    moved = handovers.sync_detailed(client=coordinator, body=body)
    assert moved.status_code == 201 and isinstance(moved.parsed, models.Handover)
    assert moved.parsed.commitments and not Commitment.objects.open().filter(owner=users["owner2"]).exists()
    again = handovers.sync_detailed(client=coordinator, body=body)
    assert again.status_code == 400 and isinstance(again.parsed, models.Error)


def test_an_owner_attaches_a_file_and_a_colleague_downloads_it_through_the_generated_client(client_of):
    """Multipart upload, the list by commitment, the download's bytes, a refused kind (400) and a coordinator's
    deletion (204), all typed as the schema says."""
    api = f"{PACKAGE}.api.attachments"
    creating = importlib.import_module(f"{api}.attachments_create")
    listing = importlib.import_module(f"{api}.attachments_list")
    downloading = importlib.import_module(f"{api}.attachments_download_retrieve")
    deleting = importlib.import_module(f"{api}.attachments_destroy")
    models = importlib.import_module(f"{PACKAGE}.models")
    types = importlib.import_module(f"{PACKAGE}.types")
    users = {user.username: user for user in get_user_model().objects.all()}

    commitment = Commitment.objects.filter(owner=users["owner"], restricted=False).first()
    content = b"Agreed minutes of the expert-level consultations\n"
    owner = client_of("owner")

    def body(name: str, data: bytes):
        return models.AttachmentRequest(
            commitment=commitment.pk, file=types.File(payload=io.BytesIO(data), file_name=name, mime_type="text/plain")
        )

    created = creating.sync_detailed(client=owner, body=body("minutes.txt", content))
    assert created.status_code == 201, created.content
    assert isinstance(created.parsed, models.Attachment)
    assert (created.parsed.name, created.parsed.content_type, created.parsed.size) == (
        "minutes.txt",
        "text/plain",
        len(content),
    )
    refused = creating.sync_detailed(client=owner, body=body("minutes.pdf", b"<html><body>x</body></html>"))
    assert refused.status_code == 400

    member = client_of("member")
    listed = listing.sync(client=member, commitment=commitment.pk)
    assert [attachment.name for attachment in listed.results] == ["minutes.txt"]
    downloaded = downloading.sync_detailed(client=member, id=created.parsed.id)
    assert downloaded.status_code == 200
    assert downloaded.content == content
    assert downloaded.headers["Content-Disposition"] == 'attachment; filename="minutes.txt"'

    assert deleting.sync_detailed(client=owner, id=created.parsed.id).status_code == 403
    assert deleting.sync_detailed(client=client_of("coordinator"), id=created.parsed.id).status_code == 204
    assert listing.sync(client=member, commitment=commitment.pk).count == 0
