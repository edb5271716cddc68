"""Attachments: which files are kept, how they are checked and stored, and the text that search reads from them.

A file is recognised by its content (libmagic), never by its name: a program named "report.pdf" is a program;
and it is kept only under a name of its kind (text named "agenda.js" would run on Windows). Its size is
bounded by UPLOAD_MAX_BYTES, its kind by ATTACHMENT_TYPES; the same file (by SHA-256) is kept once per
meeting, commitment or progress update. The bytes live in the "attachments" storage and are only ever read
back through the download view, which applies the rules of the meeting or commitment they belong to. Their
text is read after the upload, by a task (commitments/attachment_text.py).
"""

import hashlib
import logging
import pathlib
from dataclasses import dataclass

import magic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import FileResponse, Http404
from django.utils import timezone

from commitments import exports
from commitments.models import Attachment, Commitment, ProgressUpdate
from commitments.tasks import read_attachment_text
from config.display import plain_line
from config.queueing import enqueue_on_commit
from config.security import security_event
from config.uploads import check_size
from meetings.dates import spell_date
from meetings.models import Meeting


# The kinds of file kept, by the type libmagic recognises, and how a page names them. ATTACHMENT_TYPES may narrow
# the list; a type outside it is refused whatever its name says.
@dataclass(frozen=True)
class Kind:
    label: str
    extensions: tuple[str, ...]  # the names it is kept under: the first is the one a refusal suggests


KINDS = {
    "application/pdf": Kind("PDF", (".pdf",)),
    "application/msword": Kind("Word document", (".doc", ".dot")),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": Kind("Word document", (".docx",)),
    "application/vnd.ms-excel": Kind("Excel workbook", (".xls",)),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": Kind("Excel workbook", (".xlsx",)),
    "application/vnd.ms-powerpoint": Kind("PowerPoint presentation", (".ppt", ".pps")),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": Kind(
        "PowerPoint presentation", (".pptx",)
    ),
    "application/vnd.oasis.opendocument.text": Kind("OpenDocument text", (".odt",)),
    "application/vnd.oasis.opendocument.spreadsheet": Kind("OpenDocument spreadsheet", (".ods",)),
    "application/vnd.oasis.opendocument.presentation": Kind("OpenDocument presentation", (".odp",)),
    "image/png": Kind("PNG image", (".png",)),
    "image/jpeg": Kind("JPEG image", (".jpg", ".jpeg")),
    "image/gif": Kind("GIF image", (".gif",)),
    "image/webp": Kind("WebP image", (".webp",)),
    "image/tiff": Kind("TIFF image", (".tif", ".tiff")),
    # A CSV file or a saved e-mail may read as plain text.
    "text/plain": Kind("plain text", (".txt", ".csv", ".log", ".eml")),
    "text/csv": Kind("CSV text", (".csv", ".txt")),
    "message/rfc822": Kind("e-mail", (".eml",)),
    "application/vnd.ms-outlook": Kind("Outlook message", (".msg",)),
}
# How a refusal names what the file was found to be: by its type, else by a word in it.
REFUSED_KINDS = {
    "text/html": "a web page (HTML)",
    "application/xhtml+xml": "a web page (XHTML)",
    "image/svg+xml": "an SVG image, which can hold scripts",
    "application/x-dosexec": "a Windows program",
    "application/vnd.microsoft.portable-executable": "a Windows program",
    "text/x-msdos-batch": "a script",
    "text/x-shellscript": "a script",
    "text/x-script.python": "a script",
    "text/javascript": "a script",
    "application/javascript": "a script",
}
REFUSED_WORDS = {"executable": "a program", "sharedlib": "a program", "mach-binary": "a program", "script": "a script"}

# What the CSP of a download adds: a file opened in the browser all the same runs nothing, as in a sandbox.
DOWNLOAD_POLICY = {"sandbox": True}
SNIFFED = 2 * 2**20  # the bytes libmagic reads: enough for the parts list of an Office file


def allowed_types() -> list[str]:
    """ATTACHMENT_TYPES, or every kind listed in KINDS; never one that KINDS does not list."""
    return [kind for kind in settings.ATTACHMENT_TYPES or KINDS if kind in KINDS]


def kind_label(content_type: str) -> str:
    kind = KINDS.get(content_type)
    return kind.label if kind else content_type


def refused_kind(content_type: str) -> str:
    """ "a Windows program": what a refused file was found to be, in words."""
    if content_type in REFUSED_KINDS:
        return REFUSED_KINDS[content_type]
    word = next((word for word in REFUSED_WORDS if word in content_type), None)
    return REFUSED_WORDS[word] if word else f"a file of type {content_type}"


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


@dataclass(frozen=True)
class Checked:
    """A file that passed the checks, with what they found: ready to be stored."""

    uploaded: UploadedFile
    name: str
    content_type: str
    sha256: str


def check(uploaded) -> Checked:
    """The file if it may be kept; ValidationError naming the file and what is wrong otherwise."""
    name = file_name(uploaded)
    check_size(uploaded, name)
    if uploaded.size == 0:
        raise ValidationError(f"“{name}” is empty.", code="empty")
    content_type = recognise(uploaded)
    if content_type not in allowed_types():
        kept = ", ".join(sorted({kind_label(kind) for kind in allowed_types()}, key=str.casefold))
        raise ValidationError(
            f"“{name}” is {refused_kind(content_type)}, which is not kept here whatever its name says. "
            f"Attach one of: {kept}.",
            code="type",
            params={"name": name, "type": content_type},
        )
    extensions = KINDS[content_type].extensions
    if pathlib.PurePosixPath(name).suffix.lower() not in extensions:
        raise ValidationError(
            f"“{name}” holds {KINDS[content_type].label}: attach it with its extension ({', '.join(extensions)}), "
            f"e.g. as “{pathlib.PurePosixPath(name).stem}{extensions[0]}”.",
            code="extension",
            params={"name": name, "type": content_type},
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
    except IntegrityError:
        forget_bytes(attachments)
        raise ValidationError(
            f"One of these files was attached to this {target._meta.verbose_name} meanwhile."
        ) from None
    except BaseException:
        forget_bytes(attachments)
        raise
    # Once their rows are committed, the files are kept whatever befalls the request: the tasks are queued outside
    # the block that forgets the bytes of what was not saved.
    for attachment in attachments:
        enqueue_on_commit(read_attachment_text, attachment.pk)
    return attachments


def forget_bytes(attachments) -> None:
    for attachment in attachments:
        if attachment.file.name:
            attachment.file.storage.delete(attachment.file.name)


def remove(request, attachment: Attachment) -> None:
    """A coordinator's deletion, logged: the history keeps who, when, the name and the hash; the bytes go once
    the deletion is committed (commitments/signals.py, as for an attachment deleted with what it belongs to)."""
    attachment._history_user = request.user
    attachment.delete()
    security_event(request, "attachment deleted", attachment=attachment.pk, sha256=attachment.sha256)


def log_refused(request, errors) -> None:
    """A file refused for what it is (a program named as a PDF) goes to the security log."""
    for error in errors:
        if error.code in ("type", "extension"):
            security_event(request, "attachment refused", logging.WARNING, reason=error.code, **error.params)


def deleted_from_meeting(meeting):
    """The history records of the files deleted from a meeting, newest first, with who attached and who deleted
    them (a commitment's are in its change history)."""
    records = Attachment.history.filter(history_type="-", meeting_id=meeting.pk)
    return records.select_related("history_user", "uploaded_by").order_by("-history_date")


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
