"""Attachments: which files are kept, how they are checked and stored, and the text that search reads from them.

A file is recognised by its content (libmagic), never by its name: a program named "report.pdf" is a program.
Its size is bounded by UPLOAD_MAX_BYTES, its kind by ATTACHMENT_TYPES; the same file (by SHA-256) is kept once
per meeting, commitment or progress update. The bytes live in the "attachments" storage and are only ever read
back through the download view, which applies the rules of the meeting or commitment they belong to. Their text
is read after the upload, by a task (commitments/attachment_text.py).
"""

import hashlib
import pathlib

import magic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import FileResponse, Http404
from django.utils import timezone

from commitments import exports
from commitments.models import Attachment, Commitment, ProgressUpdate
from commitments.tasks import read_attachment_text
from config.display import plain_line
from config.security import security_event
from config.uploads import check_size
from meetings.dates import spell_date
from meetings.models import Meeting

# The kinds of file kept, by the type libmagic recognises, and how a page names them. ATTACHMENT_TYPES may narrow
# the list; a type outside it is refused whatever its name says.
KINDS = {
    "application/pdf": "PDF",
    "application/msword": "Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.ms-excel": "Excel workbook",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel workbook",
    "application/vnd.ms-powerpoint": "PowerPoint presentation",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint presentation",
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet",
    "application/vnd.oasis.opendocument.presentation": "OpenDocument presentation",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
    "image/tiff": "TIFF image",
    "text/plain": "plain text",
    "text/csv": "CSV text",
    "message/rfc822": "e-mail",
    "application/vnd.ms-outlook": "Outlook message",
}
# How a refusal names what the file was found to be.
REFUSED_KINDS = {
    "text/html": "a web page (HTML)",
    "image/svg+xml": "an SVG image, which can hold scripts",
    "application/x-dosexec": "a Windows program",
    "application/x-executable": "a program",
    "application/x-sharedlib": "a program",
    "application/x-mach-binary": "a program",
    "application/x-pie-executable": "a program",
    "text/x-shellscript": "a script",
    "text/x-script.python": "a script",
    "text/javascript": "a script",
    "application/javascript": "a script",
}
# What the CSP of a download adds: a file opened in the browser all the same runs nothing, as in a sandbox.
DOWNLOAD_POLICY = {"sandbox": True}
SNIFFED = 2 * 2**20  # the bytes libmagic reads: enough for the parts list of an Office file


def allowed_types() -> list[str]:
    """ATTACHMENT_TYPES, or every kind listed in KINDS; never a refused kind, whatever the setting says."""
    return [kind for kind in settings.ATTACHMENT_TYPES or KINDS if kind not in REFUSED_KINDS]


def kind_label(content_type: str) -> str:
    return KINDS.get(content_type, content_type)


def file_name(uploaded) -> str:
    """The name a file is listed and downloaded under: the name it was sent with, on one plain line, without
    folders, at most 255 characters with its extension kept."""
    name = plain_line(pathlib.PurePosixPath(str(uploaded.name).replace("\\", "/")).name) or "file"
    if len(name) > 255:
        suffix = pathlib.PurePosixPath(name).suffix[:20]
        name = name[: 255 - len(suffix)] + suffix
    return name


def recognise(uploaded) -> str:
    """The file's type, read from its first bytes."""
    uploaded.seek(0)
    head = uploaded.read(SNIFFED)
    uploaded.seek(0)
    return magic.from_buffer(head, mime=True)


def digest(uploaded) -> str:
    sha = hashlib.sha256()
    uploaded.seek(0)
    for chunk in uploaded.chunks():
        sha.update(chunk)
    uploaded.seek(0)
    return sha.hexdigest()


class Checked:
    """A file that passed the checks, with what they found: ready to be stored."""

    def __init__(self, uploaded, name: str, content_type: str, sha256: str):
        self.uploaded, self.name, self.content_type, self.sha256 = uploaded, name, content_type, sha256


def check(uploaded) -> Checked:
    """The file if it may be kept; ValidationError naming the file and what is wrong otherwise."""
    name = file_name(uploaded)
    check_size(uploaded, name)
    if uploaded.size == 0:
        raise ValidationError(f"“{name}” is empty.", code="empty")
    content_type = recognise(uploaded)
    if content_type not in allowed_types():
        found = REFUSED_KINDS.get(content_type, f"a file of type {content_type}")
        kept = ", ".join(sorted({kind_label(kind) for kind in allowed_types()}, key=str.casefold))
        raise ValidationError(
            f"“{name}” is {found}, which is not kept here whatever its name says. Attach one of: {kept}.",
            code="type",
        )
    return Checked(uploaded, name, content_type, digest(uploaded))


def place_of(target) -> dict:
    """The fields that attach a file to a meeting, a commitment or a progress update."""
    if isinstance(target, Meeting):
        return {"meeting": target}
    if isinstance(target, Commitment):
        return {"commitment": target}
    if isinstance(target, ProgressUpdate):
        return {"commitment_id": target.commitment_id, "progress_update": target}
    raise TypeError(f"Nothing is attached to a {type(target).__name__}.")


def attached_to(target):
    """The attachments of this very object (a commitment's own, not those of its progress updates)."""
    attachments = Attachment.objects.filter(**place_of(target))
    return attachments.filter(progress_update=None) if isinstance(target, Commitment) else attachments


def check_not_attached(target, files: list[Checked]) -> None:
    """The same file is attached once to one object: refused if it already is, or is sent twice."""
    check_distinct(files)
    noun = target._meta.verbose_name
    kept = {a.sha256: a for a in attached_to(target).filter(sha256__in=[f.sha256 for f in files])}
    for checked in files:
        if checked.sha256 in kept:
            earlier = kept[checked.sha256]
            raise ValidationError(
                f"“{checked.name}” is already attached to this {noun} (as “{earlier.name}”, "
                f"{spell_date(timezone.localdate(earlier.uploaded_at))}).",
                code="duplicate",
            )


def check_distinct(files: list[Checked]) -> None:
    """Files sent together are different files."""
    seen = {}
    for checked in files:
        if checked.sha256 in seen:
            raise ValidationError(f"“{checked.name}” and “{seen[checked.sha256]}” are the same file.", code="duplicate")
        seen[checked.sha256] = checked.name


def attach(target, files: list[Checked], *, user) -> list[Attachment]:
    """Store checked files and record them as the target's attachments, all or none. Call it inside the
    transaction of what they come with (a progress update): if that fails, the stored bytes are removed too."""
    check_not_attached(target, files)
    attachments = []
    try:
        with transaction.atomic():
            for checked in files:
                attachment = Attachment(
                    **place_of(target),
                    name=checked.name,
                    content_type=checked.content_type,
                    size=checked.uploaded.size,
                    sha256=checked.sha256,
                    uploaded_by=user,
                )
                attachment.file.save(checked.sha256[:12], checked.uploaded, save=False)
                attachments.append(attachment)
                attachment._history_user = user
                attachment.save()
                read_attachment_text.delay_on_commit(attachment.pk)
    except IntegrityError:
        forget_bytes(attachments)
        raise ValidationError(
            f"One of these files was attached to this {target._meta.verbose_name} meanwhile."
        ) from None
    except BaseException:
        forget_bytes(attachments)
        raise
    return attachments


def forget_bytes(attachments) -> None:
    for attachment in attachments:
        if attachment.file.name:
            attachment.file.storage.delete(attachment.file.name)


def remove(attachment: Attachment, *, user) -> None:
    """A coordinator's deletion: the history keeps who, when, the name and the hash; the bytes go once the
    deletion is committed (models' post_delete, as for an attachment deleted with its meeting or commitment)."""
    attachment._history_user = user
    attachment.delete()


def download(request, attachment: Attachment) -> FileResponse:
    """The bytes, as a download (never shown as a page, whatever they are: the views add the CSP's sandbox),
    logged with who took them."""
    try:
        stored = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is no longer kept.") from None
    response = FileResponse(stored, content_type=attachment.content_type)
    response["Content-Disposition"] = exports.attachment(attachment.name)
    security_event(request, "attachment download", attachment=attachment.pk, sha256=attachment.sha256)
    return response
