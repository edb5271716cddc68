"""The size rule of uploaded files, one for every form and endpoint that takes a file."""

from django.conf import settings
from django.core.exceptions import ValidationError


def multipart_body_limit() -> int:
    """The longest body with files: the largest file and a form's worth of other fields."""
    return settings.UPLOAD_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def largest_file() -> str:
    """ "25 MB": how a page names UPLOAD_MAX_BYTES."""
    limit = settings.UPLOAD_MAX_BYTES
    return f"{limit / 2**20:.3g} MB" if limit >= 2**20 else f"{limit:,} bytes"


def check_size(uploaded, name: str) -> None:
    """A file larger than UPLOAD_MAX_BYTES is refused with its name and the limit."""
    if uploaded.size > settings.UPLOAD_MAX_BYTES:
        limit = f"{largest_file()} ({settings.UPLOAD_MAX_BYTES:,} bytes)"
        raise ValidationError(f"“{name}” is {uploaded.size:,} bytes: a file may be up to {limit}.", code="size")
