"""The text of an attached file is read by a real Celery worker after the upload commits, for search."""

import io

import docx
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from commitments.models import Attachment
from tests.factories import CommitmentFactory, MeetingFactory, MembershipFactory, UserFactory, WorkingGroupFactory
from tests.live.conftest import wait_for


def test_a_worker_reads_the_words_of_an_uploaded_word_file(workers, client):
    group = WorkingGroupFactory()
    owner = UserFactory(username="owner")
    MembershipFactory(group=group, user=owner)
    commitment = CommitmentFactory(meeting=MeetingFactory(group=group), owner=owner)
    document = docx.Document()
    document.add_paragraph("Joint research on the drivers of radicalization: terms of reference.")
    content = io.BytesIO()
    document.save(content)
    workers()
    client.force_login(owner)
    response = client.post(
        reverse("commitments:attach", args=[commitment.pk]),
        {"attach-files": [SimpleUploadedFile("terms.docx", content.getvalue())]},
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    wait_for(lambda: Attachment.objects.get().text_read_at is not None, timeout=60, what="the text to be read")
    assert "drivers of radicalization" in Attachment.objects.get(pk=attachment.pk).text
