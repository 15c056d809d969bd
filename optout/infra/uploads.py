"""Uploads read in memory only, never into a temporary file (the look-up by picture).

Django's default handlers put any upload over FILE_UPLOAD_MAX_MEMORY_SIZE
(2.5 MB) into a temporary file on disk. A view that promises to keep nothing
swaps them, before anything reads the body, for `MemoryOnlyUploadHandler`:
every file in memory, at most `max_bytes` in all, and the rest of an upload
over it skipped. Since CsrfViewMiddleware reads the body before the view
runs, such a view is `csrf_exempt` and checks the token itself, after the
swap (`csrf_protect` on an inner view).
"""

import io
from typing import Any, Literal

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers, StopUpload
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError

# Room for the multipart framing and the form's other fields around the file.
FRAMING_BYTES = 64 * 1024


class MemoryOnlyUploadHandler(FileUploadHandler):
    """Every uploaded file into a BytesIO; `exceeded` once the files pass `max_bytes`."""

    def __init__(self, request: HttpRequest, *, max_bytes: int) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes
        self.received = 0
        self.exceeded = False
        self.file: io.BytesIO | None = None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.file = io.BytesIO()
        raise StopFutureHandlers

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.exceeded = True
            if self.file is not None:
                self.file.close()  # its bytes go now; Django closes it again, harmlessly
            # Drop what was read, read the rest of the body into nothing, keep no file.
            raise StopUpload(connection_reset=False)
        if self.file is not None and not self.exceeded:
            self.file.write(raw_data)

    def file_complete(self, file_size: int) -> InMemoryUploadedFile | None:
        if self.file is None or self.exceeded:
            return None
        self.file.seek(0)
        return InMemoryUploadedFile(
            file=self.file,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


class UploadRefused(Exception):
    """Why an upload gave no file: too large, missing, or a body that is no form."""

    def __init__(self, kind: Literal["too_large", "missing", "malformed"]) -> None:
        super().__init__(kind)
        self.kind = kind


def upload_read(request: HttpRequest, *, field: str, max_bytes: int) -> bytes:
    """The bytes of the file in `field`, read in memory only; raises UploadRefused.

    Call before anything reads the body; a body that declares more than
    `max_bytes` of file is refused unread.
    """
    if declared_too_large(request, max_bytes=max_bytes):
        raise UploadRefused("too_large")
    handler = uploads_in_memory(request, max_bytes=max_bytes)
    try:
        upload = request.FILES.get(field)
    except (MultiPartParserError, SuspiciousOperation, BadRequest, OSError) as broken:
        # A form that does not parse, too many fields, or a client gone mid-upload.
        raise UploadRefused("malformed") from broken
    if handler.exceeded:
        raise UploadRefused("too_large")
    if upload is None:
        raise UploadRefused("missing")
    try:
        return upload.read()
    finally:
        upload.close()


def uploads_in_memory(request: HttpRequest, *, max_bytes: int) -> MemoryOnlyUploadHandler:
    """Make `request` read its files in memory only; call before anything reads the body."""
    handler = MemoryOnlyUploadHandler(request, max_bytes=max_bytes)
    request.upload_handlers = [handler]
    return handler


def declared_too_large(request: HttpRequest, *, max_bytes: int) -> bool:
    """The body says, before it is read, that it is larger than `max_bytes` of file."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > max_bytes + FRAMING_BYTES
