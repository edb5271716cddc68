"""Attachments: files kept with meetings, commitments and progress updates, behind the same rules as what they
belong to. Uploaded through the pages (plain and htmx) and the API; read back through the download view only."""

import datetime
import hashlib
import io
import logging

import docx
import lxml.html
import pytest
import time_machine
import weasyprint
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse, set_script_prefix
from rest_framework.test import APIClient

from commitments import attachments
from commitments.models import Attachment, AttachmentQuerySet, Commitment, Reminder
from commitments.tasks import read_attachment_text
from tests.commitments.conftest import NOW, TODAY
from tests.commitments.test_digests import digest_to, plain, plan, sweep
from tests.conftest import ATTACHMENT_DIR
from tests.factories import CommitmentFactory, MeetingFactory, api_token
from tests.office import convert
from tests.readers import csv_rows, pdf_pages

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def pdf(text: str = "Record of Discussions of the 9th meeting") -> bytes:
    """A real PDF with text in it, laid out by WeasyPrint."""
    return weasyprint.HTML(string=f"<p>{text}</p>").write_pdf()


def word(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    table = document.add_table(rows=1, cols=1)
    table.rows[0].cells[0].text = "Cell: SCO-RATS liaison"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files() -> list:
    return [path for path in ATTACHMENT_DIR.rglob("*") if path.is_file()] if ATTACHMENT_DIR.exists() else []


def attach_to_commitment(client, commitment, *files):
    return client.post(reverse("commitments:attach", args=[commitment.pk]), {"attach-files": list(files)})


@pytest.fixture
def restricted(meeting, owner, granted):
    commitment = CommitmentFactory(meeting=meeting, owner=owner, restricted=True, title="Crypto wallet tracing")
    commitment.access_granted_to.add(granted)
    return commitment


# --- Through the pages ---------------------------------------------------------------------------------------


def test_a_coordinator_attaches_the_agreed_record_to_the_meeting_and_members_download_it(
    client, meeting, coordinator, member, caplog
):
    client.force_login(coordinator)
    content = pdf()
    response = client.post(
        reverse("meetings:attach", args=[meeting.pk]), {"attach-files": [upload("Record of Discussions.pdf", content)]}
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.meeting, attachment.commitment, attachment.name) == (meeting, None, "Record of Discussions.pdf")
    assert attachment.content_type == "application/pdf"
    assert (attachment.size, attachment.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert "Record of Discussions" not in attachment.file.name  # stored under a random name

    client.force_login(member)
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Record of Discussions.pdf" in page
    assert f'href="/attachments/{attachment.pk}/"' in page
    with caplog.at_level(logging.INFO, logger="security"):
        response = client.get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Record of Discussions.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert any(
        "attachment download" in record.getMessage() and "user=member" in record.getMessage()
        for record in caplog.records
    )


def test_members_may_not_attach_to_a_meeting(client, meeting, member):
    client.force_login(member)
    response = client.post(reverse("meetings:attach", args=[meeting.pk]), {"attach-files": [upload("a.pdf", pdf())]})
    assert response.status_code == 403
    assert not Attachment.objects.exists()


def test_an_owner_attaches_to_their_commitment_and_a_member_may_not(client, commitment, owner, member):
    client.force_login(owner)
    response = attach_to_commitment(client, commitment, upload("Note verbale.docx", word("Note verbale of 3 Nov")))
    assert response.status_code == 302
    assert Attachment.objects.get().content_type == DOCX
    assert "Note verbale.docx" in client.get(commitment.get_absolute_url()).content.decode()

    client.force_login(member)
    assert attach_to_commitment(client, commitment, upload("other.txt", b"Some notes\n")).status_code == 403
    assert Attachment.objects.count() == 1


def test_several_files_at_once_and_a_name_with_folders_and_direction_controls(client, commitment, coordinator):
    client.force_login(coordinator)
    files = [
        upload("..\\..\\windows\\agenda.txt", b"Agenda of the workshop\n"),
        upload("photo\u202egnp.txt", b"plain words, reading as a PNG image\n"),
        upload("Протокол заседания.pdf", pdf("Protocol")),
    ]
    assert attach_to_commitment(client, commitment, *files).status_code == 302
    names = sorted(Attachment.objects.values_list("name", flat=True))
    assert names == sorted(["agenda.txt", "photognp.txt", "Протокол заседания.pdf"])  # no direction override
    cyrillic = Attachment.objects.get(name="Протокол заседания.pdf")
    disposition = client.get(cyrillic.get_absolute_url())["Content-Disposition"]
    assert disposition.startswith("attachment; filename=\"file.pdf\"; filename*=utf-8''%D0%9F")


@pytest.mark.parametrize(
    ("name", "content", "found"),
    [
        ("record.pdf", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "a web page (HTML)"),
        ("chart.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "an SVG image"),
        ("report.pdf", b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00" + b"\x00" * 400, "a Windows program"),
        ("minutes.docx", b"#!/bin/sh\nrm -rf /\n", "a script"),
        ("notes.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + b"\x02\x00\x3e\x00" + b"\x00" * 200, "a program"),
    ],
)
def test_a_refused_kind_disguised_by_its_name_is_refused_and_nothing_is_kept(
    client, commitment, coordinator, name, content, found
):
    client.force_login(coordinator)
    before = stored_files()
    response = attach_to_commitment(client, commitment, upload(name, content, "application/pdf"))
    assert response.status_code == 422
    page = response.content.decode()
    assert f"“{name}” is {found}" in page
    assert "Not attached" in page
    assert not Attachment.objects.exists()
    assert stored_files() == before


def test_one_bad_file_among_several_keeps_none_of_them(client, commitment, coordinator):
    client.force_login(coordinator)
    response = attach_to_commitment(
        client, commitment, upload("good.pdf", pdf()), upload("bad.pdf", b"<html><body>x</body></html>")
    )
    assert response.status_code == 422
    assert not Attachment.objects.exists()


def test_a_file_one_byte_over_25_mb_is_refused_with_the_limit_in_words(client, commitment, coordinator):
    client.force_login(coordinator)
    assert settings.UPLOAD_MAX_BYTES == 25 * 1024 * 1024
    too_large = b"a" * (settings.UPLOAD_MAX_BYTES + 1)
    response = attach_to_commitment(client, commitment, upload("minutes.txt", too_large))
    assert response.status_code == 422
    assert "“minutes.txt” is 26,214,401 bytes: a file may be up to 25 MB (26,214,400 bytes)." in (
        response.content.decode()
    )
    assert not Attachment.objects.exists()


def test_a_file_of_exactly_25_mb_is_kept(client, commitment, coordinator):
    client.force_login(coordinator)
    response = attach_to_commitment(client, commitment, upload("minutes.txt", b"a" * settings.UPLOAD_MAX_BYTES))
    assert response.status_code == 302
    assert Attachment.objects.get().size == settings.UPLOAD_MAX_BYTES


def test_an_empty_file_is_refused(client, commitment, coordinator):
    client.force_login(coordinator)
    response = attach_to_commitment(client, commitment, upload("empty.pdf", b""))
    assert response.status_code == 422
    assert not Attachment.objects.exists()


def test_the_same_file_twice_on_one_commitment_is_refused_but_another_commitment_may_have_it(
    client, meeting, commitment, coordinator
):
    client.force_login(coordinator)
    content = pdf()
    assert attach_to_commitment(client, commitment, upload("record.pdf", content)).status_code == 302
    response = attach_to_commitment(client, commitment, upload("record (copy).pdf", content))
    assert response.status_code == 422
    assert "“record (copy).pdf” is already attached to this commitment (as “record.pdf”" in response.content.decode()
    other = CommitmentFactory(meeting=meeting)
    assert attach_to_commitment(client, other, upload("record.pdf", content)).status_code == 302
    response = attach_to_commitment(client, other, upload("a.txt", b"same\n"), upload("b.txt", b"same\n"))
    assert "“b.txt” and “a.txt” are the same file." in response.content.decode()
    assert Attachment.objects.count() == 2


def test_progress_posted_with_files_plain_and_through_htmx(client, commitment, owner):
    client.force_login(owner)
    url = reverse("commitments:progress", args=[commitment.pk])
    response = client.post(url, {"text": "Workshop report received.", "files": [upload("report.pdf", pdf())]})
    assert response.status_code == 302
    update = commitment.progress_updates.get()
    assert update.attachments.get().name == "report.pdf"
    assert update.attachments.get().commitment == commitment

    response = client.post(
        url,
        {"text": "Photos of the training.", "files": [upload("photo.txt", b"caption\n")]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    fragment = response.content.decode()
    assert "photo.txt" in fragment and "report.pdf" in fragment
    assert Attachment.objects.filter(progress_update__isnull=False).count() == 2
    # The page's Attachments section is replaced too (out of band), listing the new file with its update.
    [section] = lxml.html.fromstring(f"<div>{fragment}</div>").xpath('//section[@id="attachments"]')
    assert section.get("data-hx-swap-oob") == "true"
    assert "photo.txt" in section.text_content() and "with the progress update of" in section.text_content()


def test_a_refused_file_posts_no_progress_update(client, commitment, owner):
    client.force_login(owner)
    url = reverse("commitments:progress", args=[commitment.pk])
    response = client.post(url, {"text": "See the attached.", "files": [upload("x.pdf", b"<html>x</html>")]})
    assert response.status_code == 422
    assert not commitment.progress_updates.exists()
    assert not Attachment.objects.exists()


# --- Need to know ------------------------------------------------------------------------------------------


@pytest.fixture
def secret_files(client, restricted, owner):
    """A file on the restricted commitment, and one on a progress update of it."""
    client.force_login(owner)
    attach_to_commitment(client, restricted, upload("wallets.txt", b"Wallet list for the exchange\n"))
    client.post(
        reverse("commitments:progress", args=[restricted.pk]),
        {"text": "Traced.", "files": [upload("trace.txt", b"Tracing notes\n")]},
    )
    client.logout()
    return list(Attachment.objects.order_by("pk"))


@pytest.mark.parametrize("persona", ["member", "outsider"])
def test_those_who_may_not_read_the_commitment_get_404_for_its_files(client, secret_files, request, persona):
    client.force_login(request.getfixturevalue(persona))
    for attachment in secret_files:
        assert client.get(attachment.get_absolute_url()).status_code == 404
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(request.getfixturevalue(persona))}")
    assert api.get("/api/v1/attachments/").json()["count"] == 0
    for attachment in secret_files:
        assert api.get(f"/api/v1/attachments/{attachment.pk}/").status_code == 404
        assert api.get(f"/api/v1/attachments/{attachment.pk}/download/").status_code == 404


@pytest.mark.parametrize("persona", ["granted", "coordinator", "superuser"])
def test_those_who_may_read_the_commitment_get_its_files(client, secret_files, request, persona):
    client.force_login(request.getfixturevalue(persona))
    for attachment in secret_files:
        assert client.get(attachment.get_absolute_url()).status_code == 200


def test_an_outsider_gets_404_for_a_meeting_file(client, meeting, coordinator, outsider):
    client.force_login(coordinator)
    client.post(reverse("meetings:attach", args=[meeting.pk]), {"attach-files": [upload("agenda.txt", b"Agenda\n")]})
    client.force_login(outsider)
    assert client.get(Attachment.objects.get().get_absolute_url()).status_code == 404


def test_the_deletion_address_opened_as_a_page_links_to_the_files_place_for_those_who_see_it_only(
    client, meeting, coordinator, outsider
):
    """Opened with GET it answers 405 with a link to the meeting's page; for someone who may not see the file, or a
    file that is gone, a 404 that names nothing."""
    client.force_login(coordinator)
    client.post(reverse("meetings:attach", args=[meeting.pk]), {"attach-files": [upload("agenda.txt", b"Agenda\n")]})
    url = reverse("attachment-delete", args=[Attachment.objects.get().pk])
    response = client.get(url)
    assert response.status_code == 405
    assert f'href="{meeting.get_absolute_url()}"' in response.content.decode()
    client.force_login(outsider)
    hidden = client.get(url)
    assert hidden.status_code == 404 and "agenda" not in hidden.content.decode()
    assert client.get(reverse("attachment-delete", args=[999999])).status_code == 404


def test_mail_never_names_or_links_the_files_of_a_restricted_commitment(tenth, meeting, owner, client, smtp_server):
    """The owner's digest a week before the follow-up date of a restricted commitment with files."""
    with time_machine.travel(NOW - datetime.timedelta(days=30), tick=False):
        restricted = CommitmentFactory(
            meeting=meeting, owner=owner, restricted=True, follow_up_date=TODAY + datetime.timedelta(days=7)
        )
    client.force_login(owner)
    attach_to_commitment(client, restricted, upload("wallets.txt", b"Wallet list\n"))
    Reminder.objects.all().delete()
    plan()
    sweep()
    message = digest_to(smtp_server, owner)
    whole = message.as_string()
    assert restricted.reference in plain(message)  # the digest is about it
    assert "wallets" not in whole and "/attachments/" not in whole
    kinds = {part.get_content_type() for part in message.walk() if not part.is_multipart()}
    assert kinds <= {"text/plain", "text/html", "text/calendar"}


# --- Deleting -----------------------------------------------------------------------------------------------


def test_a_coordinator_deletes_a_file_the_bytes_go_and_the_history_keeps_who_when_name_and_hash(
    client, commitment, owner, coordinator, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    attach_to_commitment(client, commitment, upload("draft.txt", b"Draft MoU text\n"))
    attachment = Attachment.objects.get()
    path = ATTACHMENT_DIR / attachment.file.name
    assert path.exists()
    url = reverse("attachment-delete", args=[attachment.pk])
    assert client.post(url).status_code == 403  # owners add, coordinators delete

    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    assert response["Location"].endswith(f"{commitment.get_absolute_url()}#attachments")
    assert not Attachment.objects.exists()
    assert not path.exists()
    deleted = Attachment.history.filter(history_type="-").get()
    assert (deleted.name, deleted.sha256, deleted.history_user) == (
        "draft.txt",
        hashlib.sha256(b"Draft MoU text\n").hexdigest(),
        coordinator,
    )


def test_the_commitment_page_tells_who_attached_and_who_deleted_which_file(client, commitment, owner, coordinator):
    client.force_login(owner)
    attach_to_commitment(client, commitment, upload("draft.txt", b"Draft MoU text\n"))
    client.force_login(coordinator)
    client.post(reverse("attachment-delete", args=[Attachment.objects.get().pk]))
    history = client.get(commitment.get_absolute_url()).content.decode().split('id="history-heading"')[1]
    sha = hashlib.sha256(b"Draft MoU text\n").hexdigest()
    deleted = history.index(f"deleted the file “draft.txt” from it (SHA-256 {sha})")
    attached = history.index("attached “draft.txt” to it")
    assert deleted < attached  # newest first


def test_the_files_of_a_deleted_commitment_go_with_it(
    client, commitment, coordinator, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    attach_to_commitment(client, commitment, upload("draft.txt", b"Draft\n"))
    path = ATTACHMENT_DIR / Attachment.objects.get().file.name
    with django_capture_on_commit_callbacks(execute=True):
        Commitment.objects.filter(pk=commitment.pk).delete()
    assert not path.exists()


# --- The text, for search ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("record.pdf", None, "Record of Discussions of the 9th meeting"),
        ("note.docx", word("Note verbale on crypto exchanges"), "Note verbale on crypto exchanges Cell: SCO-RATS"),
        ("minutes.txt", "Réunion à Tachkent\n".encode("cp1252"), "Réunion à Tachkent"),
        (
            "letter.eml",
            b"From: a@mea.gov.in\nTo: b@mfa.uz\nSubject: Joint training dates\nDate: Mon, 3 Nov 2025 10:00:00 +0530\n"
            b"Content-Type: text/plain; charset=utf-8\n\nThe training will be held in Hyderabad.\n",
            "Joint training dates The training will be held in Hyderabad.",
        ),
    ],
)
def test_the_text_of_pdf_word_text_and_mail_is_read_for_search(client, commitment, coordinator, name, content, words):
    client.force_login(coordinator)
    attach_to_commitment(client, commitment, upload(name, content or pdf()))
    attachment = Attachment.objects.get()
    read_attachment_text(attachment.pk)
    attachment.refresh_from_db()
    assert words in attachment.text
    assert attachment.text_read_at is not None
    assert attachment.history.count() == 1  # reading the text is no change of anyone's


def test_a_damaged_pdf_stays_attached_without_text(client, commitment, coordinator):
    client.force_login(coordinator)
    attach_to_commitment(client, commitment, upload("broken.pdf", b"%PDF-1.7\n1 0 obj <</Type /Catalog>>\n"))
    attachment = Attachment.objects.get()
    read_attachment_text(attachment.pk)
    attachment.refresh_from_db()
    assert (attachment.text, attachment.text_read_at is not None) == ("", True)


def test_reading_the_text_of_a_file_deleted_meanwhile_does_nothing(db):
    read_attachment_text(987654)  # no error


# --- The brief ---------------------------------------------------------------------------------------------------


@pytest.fixture
def brief_with_a_file(client, group, coordinator, owner):
    """The 10th meeting's brief, of a commitment agreed at the 9th with a file its owner attached: (the 10th
    meeting, the commitment, the file), the coordinator logged in."""
    ninth = MeetingFactory(group=group, number=9, status="held", start_date="2025-09-30", end_date="2025-10-01")
    tenth = MeetingFactory(group=group, number=10, host_country="IN", status="planned", start_date=None, end_date=None)
    commitment = CommitmentFactory(meeting=ninth, owner=owner, title="Joint training")
    client.force_login(owner)
    attach_to_commitment(client, commitment, upload("syllabus.txt", b"Syllabus\n"))
    client.force_login(coordinator)
    return tenth, commitment, Attachment.objects.get()


def test_the_brief_lists_each_commitments_files_with_dates_and_links(client, brief_with_a_file):
    tenth, _, attachment = brief_with_a_file
    page = client.get(reverse("meetings:brief", args=[tenth.pk])).content.decode()
    assert f'<a href="/attachments/{attachment.pk}/">syllabus.txt</a>' in page
    # Each file read back by a reader other than the library that wrote it.
    [row] = csv_rows(client.get(reverse("meetings:brief-download", args=[tenth.pk, "csv"])).content)
    assert row["Attachments"].startswith("syllabus.txt (")
    word = client.get(reverse("meetings:brief-download", args=[tenth.pk, "docx"])).content
    in_libreoffice = " ".join(pdf_pages(convert(word, "docx", "pdf")))
    assert "Attached: syllabus.txt (" in " ".join(in_libreoffice.split())
    printed = " ".join(pdf_pages(client.get(reverse("meetings:brief-download", args=[tenth.pk, "pdf"])).content))
    assert "Attached: syllabus.txt (" in " ".join(printed.split())


# --- Queries ------------------------------------------------------------------------------------------------------


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_pages_and_the_api_list_run_as_many_queries_for_one_file_as_for_many(
    client, meeting, commitment, owner, coordinator
):
    """The commitment's page (its files, its journal's files), the meeting's page and the API's list."""

    def add(n: int) -> None:
        for i in range(Attachment.objects.count(), Attachment.objects.count() + n):
            update = commitment.post_progress(author=owner, text=f"Step {i}")
            for target in (commitment, update, meeting):
                checked = attachments.check(upload(f"file{i}.txt", f"{target} {i}\n".encode()))
                attachments.attach(target, [checked], user=owner if target != meeting else coordinator)

    client.force_login(coordinator)
    api = APIClient()
    api.force_authenticate(coordinator)
    urls = [commitment.get_absolute_url(), meeting.get_absolute_url(), "/api/v1/attachments/"]
    add(1)
    client.get("/")
    one = [queries(client, url) for url in urls[:2]]
    with CaptureQueriesContext(connection) as api_one:
        api.get(urls[2])
    add(9)
    many = [queries(client, url) for url in urls[:2]]
    with CaptureQueriesContext(connection) as api_many:
        api.get(urls[2])
    assert one == many
    assert len(api_one) == len(api_many)


def test_pages_listing_files_do_not_read_the_text_read_from_them(client, meeting, commitment, owner, coordinator):
    """The text read from a file for search may run to megabytes, and no page shows it: the commitment's page (its
    files and its journal's) and the meeting's page list the files without it, as does the API's list of files."""
    update = commitment.post_progress(author=owner, text="Report received.")
    for target in (commitment, update, meeting):
        attachments.attach(target, [attachments.check(upload("report.txt", b"Report\n"))], user=coordinator)
    Attachment.objects.with_text("Report " * 100_000)
    client.force_login(coordinator)
    api = APIClient()
    api.force_authenticate(coordinator)
    pages = [(commitment.get_absolute_url(), client), (meeting.get_absolute_url(), client)]
    for url, reader in [*pages, ("/api/v1/attachments/", api)]:
        with CaptureQueriesContext(connection) as read:
            page = reader.get(url).content.decode()
        assert "report.txt" in page
        selected = [query["sql"].split(" FROM ")[0] for query in read.captured_queries]
        assert not [sql for sql in selected if '"commitments_attachment"."text"' in sql], url


def test_a_file_posted_while_the_page_is_read_is_listed_with_its_update(client, commitment, owner, monkeypatch):
    """The journal and the files are read by two queries: a progress update posted with a file between them is not
    in the journal yet, and its file is listed with its date."""
    listed = AttachmentQuerySet.listed

    def posted_meanwhile(queryset):
        update = commitment.post_progress(author=owner, text="Posted meanwhile.")
        attachments.attach(update, [attachments.check(upload("late.txt", b"Late\n"))], user=owner)
        return listed(queryset)

    monkeypatch.setattr(AttachmentQuerySet, "listed", posted_meanwhile)
    client.force_login(owner)
    page = client.get(commitment.get_absolute_url()).content.decode()
    listed_files = page.split('id="attachments-heading"')[1].split("</section>")[0]
    assert "late.txt" in listed_files and "the progress update of" in listed_files
    assert "Posted meanwhile." not in page


# --- Found by an outside tester -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("Agenda.js", b'var shell = WScript.CreateObject("WScript.Shell");\n'),
        ("Agenda.vbs", b'MsgBox "hello"\n'),
        ("Setup.ps1", b"Get-ChildItem C:\\\n"),
        ("Run.bat", b"dir\n"),
        ("notes.exe", b"Just some notes\n"),
        ("notes", b"Notes without an extension\n"),
        ("record.docx", None),  # a PDF named as a Word document
    ],
)
def test_a_name_whose_extension_is_not_of_the_kind_found_is_refused(client, commitment, coordinator, name, content):
    """Text that Windows would run by its extension is not kept under that name: the extension must be one of
    the kind the content is."""
    client.force_login(coordinator)
    response = attach_to_commitment(client, commitment, upload(name, content or pdf()))
    assert response.status_code == 422
    page = response.content.decode()
    assert f"“{name}” holds " in page and "attach it with its extension" in page
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("content", "found"),
    [
        (b"MZ\x90\x00" + b"\x00" * 56 + b"\x80\x00\x00\x00" + b"\x00" * 64 + b"PE\x00\x00L\x01" + b"\x00" * 300, None),
        (b"@echo off\r\ndel *.*\r\n", "a script"),
    ],
)
def test_refusals_name_programs_and_scripts_in_words(client, commitment, coordinator, content, found):
    client.force_login(coordinator)
    page = attach_to_commitment(client, commitment, upload("report.pdf", content)).content.decode()
    assert "a file of type" not in page
    if found:
        assert f"is {found}" in page


def test_the_commitments_attachments_list_its_progress_updates_files_too(client, commitment, owner):
    client.force_login(owner)
    client.post(
        reverse("commitments:progress", args=[commitment.pk]),
        {"text": "Report received.", "files": [upload("report.txt", b"Report\n")]},
    )
    page = client.get(commitment.get_absolute_url()).content.decode()
    listed = page.split('id="attachments-heading"')[1].split("</section>")[0]
    assert "report.txt" in listed
    assert "the progress update of" in listed
    # which of the day's updates: a link to it in the journal
    update = commitment.progress_updates.get()
    [link] = lxml.html.fromstring(listed).xpath('//a[starts-with(text(), "the progress update of")]/@href')
    assert link == f"#update-{update.pk}" and f'id="update-{update.pk}"' in page


def test_an_upload_too_large_in_all_tells_an_htmx_page_why(client, commitment, owner):
    client.force_login(owner)
    body = b"x" * (settings.UPLOAD_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.generic(
        "POST",
        reverse("commitments:progress", args=[commitment.pk]),
        body,
        content_type="multipart/form-data; boundary=xyz",
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 413
    assert response["HX-Retarget"] == "#messages"
    assert response["HX-Reswap"] == "innerHTML"
    assert "a file may be up to 25 MB" in response.content.decode()
    assert 'id="messages"' in client.get(commitment.get_absolute_url()).content.decode()


def test_a_deletion_through_the_api_is_in_the_security_log(commitment, owner, coordinator, caplog):
    checked = attachments.check(upload("notes.txt", b"Notes\n"))
    [attachment] = attachments.attach(commitment, [checked], user=owner)
    api = APIClient()
    api.force_authenticate(coordinator)
    with caplog.at_level(logging.INFO, logger="security"):
        assert api.delete(f"/api/v1/attachments/{attachment.pk}/").status_code == 204
    assert any(
        "attachment deleted" in r.getMessage() and f"sha256={attachment.sha256}" in r.getMessage()
        for r in caplog.records
    )


def test_a_refused_kind_and_a_refused_size_are_in_the_security_log(client, commitment, coordinator, caplog):
    client.force_login(coordinator)
    with caplog.at_level(logging.INFO, logger="security"):
        attach_to_commitment(client, commitment, upload("report.pdf", b"<html><body>x</body></html>"))
        client.generic(
            "POST",
            reverse("commitments:attach", args=[commitment.pk]),
            b"x" * (settings.UPLOAD_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
            content_type="multipart/form-data; boundary=xyz",
        )
    messages = [r.getMessage() for r in caplog.records]
    assert any("attachment refused" in m and "type=text/html" in m and "user=coordinator" in m for m in messages)
    assert any("refused" in m and "status=413" in m for m in messages)


def test_a_meetings_deleted_file_is_recorded_on_its_page(client, meeting, coordinator, owner, member, group):
    """Who attached it and when, who deleted it and when, and its SHA-256 (as a commitment's change history says)."""
    membership = group.memberships.get(user=owner)
    membership.role = "coordinator"
    membership.save()
    client.force_login(owner)
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC), tick=False):
        client.post(reverse("meetings:attach", args=[meeting.pk]), {"attach-files": [upload("notes.txt", b"Notes\n")]})
    client.force_login(coordinator)
    with time_machine.travel(datetime.datetime(2026, 11, 3, 9, 0, tzinfo=datetime.UTC), tick=False):
        client.post(reverse("attachment-delete", args=[Attachment.objects.get().pk]))
    client.force_login(member)
    page = lxml.html.fromstring(client.get(meeting.get_absolute_url()).content)
    [record] = [" ".join(li.text_content().split()) for li in page.xpath("//details//li")]
    sha256 = hashlib.sha256(b"Notes\n").hexdigest()
    assert record == (
        f"“notes.txt”, attached by {owner.get_full_name()} on 2 November 2026, 14:30 IST, deleted by "
        f"{coordinator.get_full_name()} on 3 November 2026, 14:30 IST (SHA-256 {sha256})"
    )


def test_two_files_in_one_api_upload_are_refused_not_one_dropped(commitment, owner):
    api = APIClient()
    api.force_authenticate(owner)
    response = api.post(
        "/api/v1/attachments/",
        {"commitment": commitment.pk, "file": [upload("a.txt", b"A\n"), upload("b.txt", b"B\n")]},
        format="multipart",
    )
    assert response.status_code == 400
    assert "one file" in str(response.json())
    assert not Attachment.objects.exists()


@pytest.mark.parametrize("with_update", [["meeting"], ["commitment"], ["meeting", "commitment"], []])
def test_an_api_upload_names_one_place_or_an_update_with_its_own_commitment(commitment, owner, with_update):
    """Exactly one meeting, commitment or progress update; an update may come with its own commitment, and anything
    else named beside it is refused, not dropped."""
    update = commitment.post_progress(author=owner, text="Report received.")
    others = {
        "meeting": commitment.meeting_id,
        "commitment": CommitmentFactory(meeting=commitment.meeting, owner=owner).pk,
    }
    api = APIClient()
    api.force_authenticate(owner)
    sent = {
        "progress_update": update.pk,
        "file": upload("a.txt", b"A\n"),
        **{name: others[name] for name in with_update},
    }
    response = api.post("/api/v1/attachments/", sent, format="multipart")
    if with_update:
        assert response.status_code == 400 and "Name one meeting" in str(response.json())
        assert not Attachment.objects.exists()
    else:
        assert response.status_code == 201 and Attachment.objects.get().progress_update == update
    own = api.post(
        "/api/v1/attachments/",
        {"progress_update": update.pk, "commitment": commitment.pk, "file": upload("b.txt", b"B\n")},
        format="multipart",
    )
    assert own.status_code == 201


def test_the_briefs_links_follow_the_path_the_site_is_served_under(client, brief_with_a_file):
    """The lines' links, to commitments and to files, are written from routes looked up once per page: under a path
    of its own (the script prefix a request under it sets) they lead there, and at the root again afterwards."""
    tenth, commitment, attachment = brief_with_a_file
    path = reverse("meetings:brief", args=[tenth.pk])
    set_script_prefix("/tracker/")
    try:
        under = client.get(path).content.decode()
    finally:
        set_script_prefix("/")
    assert f'<a href="/tracker/commitments/{commitment.pk}/">Joint training</a>' in under
    assert f'<a href="/tracker/attachments/{attachment.pk}/">syllabus.txt</a>' in under
    at_root = client.get(path + "?live=1").content.decode()
    assert f'<a href="/commitments/{commitment.pk}/">Joint training</a>' in at_root
    assert f'<a href="/attachments/{attachment.pk}/">syllabus.txt</a>' in at_root
    assert "/tracker/commitments/" not in at_root and "/tracker/attachments/" not in at_root


def test_a_frozen_brief_names_a_deleted_file_without_linking_it(client, brief_with_a_file):
    tenth, _, attachment = brief_with_a_file
    client.post(reverse("meetings:brief-freeze", args=[tenth.pk]))
    client.post(reverse("attachment-delete", args=[attachment.pk]))
    page = client.get(reverse("meetings:brief", args=[tenth.pk])).content.decode()
    assert "syllabus.txt" in page
    assert f"/attachments/{attachment.pk}/" not in page
    assert 'syllabus.txt <span class="text-body-secondary">(' in page and "; deleted since)" in page


def test_stored_files_are_readable_by_their_owner_and_group_only(commitment, owner):
    checked = attachments.check(upload("notes.txt", b"Notes\n"))
    [attachment] = attachments.attach(commitment, [checked], user=owner)
    mode = (ATTACHMENT_DIR / attachment.file.name).stat().st_mode & 0o777
    assert mode & 0o007 == 0, oct(mode)


def test_each_delete_control_names_its_file(client, commitment, owner, coordinator):
    checked = attachments.check(upload("notes.txt", b"Notes\n"))
    attachments.attach(commitment, [checked], user=owner)
    client.force_login(coordinator)
    page = client.get(commitment.get_absolute_url()).content.decode()
    assert '<summary class="text-danger">Delete<span class="visually-hidden"> “notes.txt”</span>…</summary>' in page
