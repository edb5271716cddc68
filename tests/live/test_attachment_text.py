"""The text of an attached file is read by a real Celery worker after the upload commits, for search."""

import io
import os

import docx
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from commitments.models import Attachment, Commitment
from tests.live.conftest import wait_for


def test_a_worker_reads_the_words_of_an_uploaded_word_file(workers, client):
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    commitment = Commitment.objects.filter(owner__username="owner").first()
    document = docx.Document()
    document.add_paragraph("Joint research on the drivers of radicalization: terms of reference.")
    content = io.BytesIO()
    document.save(content)
    workers()
    client.force_login(commitment.owner)
    response = client.post(
        reverse("commitments:attach", args=[commitment.pk]),
        {"attach-files": [SimpleUploadedFile("terms.docx", content.getvalue())]},
    )
    assert response.status_code == 302
    attachment = commitment.attachments.get()
    wait_for(lambda: Attachment.objects.get(pk=attachment.pk).text_read_at is not None, what="the text to be read")
    assert "drivers of radicalization" in Attachment.objects.get(pk=attachment.pk).text
