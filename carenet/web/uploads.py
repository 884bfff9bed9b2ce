"""How much of a request's files the server takes in (FIL-1): at most the largest file a patient may send.

The files of a multipart form do not count against ``DATA_UPLOAD_MAX_MEMORY_SIZE``: without a limit of their own,
any page (a login page too, with only a CSRF cookie) would write a file of any size to the temporary folder before a
view could refuse it. :class:`UploadLimitHandler`, the first of ``FILE_UPLOAD_HANDLERS``, passes on at most
``CARENET_FILE_MAX_BYTES`` + 1 bytes of all the files of one request — one byte over, so the upload is still refused
as "too large" by its service — and drops the rest unread by anything else.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest


class UploadLimitHandler(FileUploadHandler):
    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = int(settings.CARENET_FILE_MAX_BYTES) + 1
        self.passed = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        room = self.limit - self.passed
        if room <= 0:
            return None  # the handlers after this one never see it
        kept = raw_data[:room]
        self.passed += len(kept)
        return kept

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file
