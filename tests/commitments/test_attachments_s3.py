"""Attachments kept in an S3-compatible store (ATTACHMENT_STORAGE=s3), against a real S3 server on a loopback
port (moto's): the settings read from the environment, then an upload, a download and a deletion through it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils.functional import empty
from moto.server import ThreadedMotoServer

from commitments.models import ATTACHMENT_STORAGE, Attachment

BASE_DIR = Path(__file__).resolve().parents[2]
BUCKET = "tracker-attachments"


@pytest.fixture
def s3_server():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    yield endpoint
    server.stop()


def settings_from(**environ) -> subprocess.CompletedProcess:
    """STORAGES["attachments"] as the settings read it from these variables, in a fresh interpreter."""
    env = {"PATH": os.environ["PATH"], "ENV_FILE": "", "LOG_LEVEL": "WARNING", "SECRET_KEY": "x" * 50, **environ}
    code = (
        "import django, json, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup(); "
        "from django.conf import settings; print(json.dumps(settings.STORAGES['attachments']))"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True)


def test_an_unknown_store_is_an_error_not_a_guess():
    result = settings_from(ATTACHMENT_STORAGE="S3 please")
    assert result.returncode != 0
    assert "ATTACHMENT_STORAGE is 'S3 please': use files (the default) or s3." in result.stderr


def test_files_go_to_an_s3_store_and_come_back_through_the_rules(
    client, commitment, owner, coordinator, s3_server, django_capture_on_commit_callbacks
):
    read = settings_from(
        ATTACHMENT_STORAGE="s3",
        ATTACHMENT_S3_BUCKET=BUCKET,
        ATTACHMENT_S3_ENDPOINT_URL=s3_server,
        ATTACHMENT_S3_REGION="us-east-1",
        ATTACHMENT_S3_ACCESS_KEY="tracker",
        ATTACHMENT_S3_SECRET_KEY="secret",
    )
    assert read.returncode == 0, read.stderr
    store = json.loads(read.stdout)
    assert store["BACKEND"] == "storages.backends.s3.S3Storage"
    assert store["OPTIONS"]["default_acl"] == "private"
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id="tracker",
        aws_secret_access_key="secret",
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket=BUCKET)

    with override_settings(STORAGES={**settings.STORAGES, "attachments": store}):
        ATTACHMENT_STORAGE._wrapped = empty
        try:
            client.force_login(owner)
            content = b"Joint training syllabus, second draft\n"
            response = client.post(
                reverse("commitments:attach", args=[commitment.pk]),
                {"attach-files": [SimpleUploadedFile("syllabus.txt", content)]},
            )
            assert response.status_code == 302
            attachment = Attachment.objects.get()
            [stored] = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
            assert stored["Key"] == attachment.file.name
            assert s3.get_object(Bucket=BUCKET, Key=stored["Key"])["Body"].read() == content
            assert s3.get_object_acl(Bucket=BUCKET, Key=stored["Key"])["Grants"][0]["Permission"] == "FULL_CONTROL"

            downloaded = client.get(attachment.get_absolute_url())
            assert downloaded.status_code == 200
            assert b"".join(downloaded.streaming_content) == content

            client.force_login(coordinator)
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(reverse("attachment-delete", args=[attachment.pk]))
            assert response.status_code == 302
            assert s3.list_objects_v2(Bucket=BUCKET).get("Contents", []) == []
        finally:
            ATTACHMENT_STORAGE._wrapped = empty
