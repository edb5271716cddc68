"""The words of an attached file, for search: read by a Celery task after the upload (commitments/tasks.py)."""

import email
import email.policy
import io
import logging

import docx
import pypdf

from commitments.models import Attachment

logger = logging.getLogger(__name__)

TEXT_MOST = 200_000  # characters of a file's text kept for search
PDF_PAGES_MOST = 500


def read_text(attachment: Attachment) -> str:
    """The words of a PDF, Word or text file, for search: at most TEXT_MOST characters; "" for other kinds or a
    file that cannot be read (an encrypted PDF)."""
    try:
        with attachment.file.open("rb") as stored:
            text = text_of(stored.read(), attachment.content_type)
    except Exception:  # a damaged or crafted file: it stays attached, unsearched
        logger.warning("The text of attachment %s could not be read", attachment.pk, exc_info=True)
        return ""
    return " ".join(text.split())[:TEXT_MOST]


def text_of(data: bytes, content_type: str) -> str:
    if content_type == "application/pdf":
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            return ""
        return "\n".join(page.extract_text() or "" for page in reader.pages[:PDF_PAGES_MOST])
    if content_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
        document = docx.Document(io.BytesIO(data))
        cells = (cell.text for table in document.tables for row in table.rows for cell in row.cells)
        return "\n".join([*(paragraph.text for paragraph in document.paragraphs), *cells])
    if content_type == "message/rfc822":
        message = email.message_from_bytes(data, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        return f"{message.get('subject', '')}\n{body.get_content() if body else ''}"
    if content_type in ("text/plain", "text/csv"):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return data.decode("cp1252", errors="replace")
    return ""
