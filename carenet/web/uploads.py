"""How much of a request's files the server takes in (FIL-1): at most the largest file a patient may send.

The files of a multipart form do not count against ``DATA_UPLOAD_MAX_MEMORY_SIZE``: without a limit of their own,
any page (a login page too, with only a CSRF cookie) would write a file of any size to the temporary folder before a
view could refuse it. :class:`UploadLimitHandler`, the first of ``FILE_UPLOAD_HANDLERS``, passes on at most
``CARENET_FILE_MAX_BYTES`` + 1 bytes of each file of one request — one byte over, so the upload is still refused
as "too large" by its service — and of at most ``CARENET_CLAIM_MAX_FILES`` files (the most a form takes at once: an
insurance claim's documents, FBK-3); whatever comes beyond is dropped unread by anything else (a file past the count
arrives empty, and its form refuses the count).
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest


class UploadLimitHandler(FileUploadHandler):
    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = int(settings.CARENET_FILE_MAX_BYTES) + 1
        self.max_files = max(1, int(settings.CARENET_CLAIM_MAX_FILES))
        self.files = 0
        self.passed = 0

    def new_file(self, *args: object, **kwargs: object) -> None:
        super().new_file(*args, **kwargs)  # type: ignore[arg-type]
        self.files += 1
        self.passed = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        room = self.limit - self.passed if self.files <= self.max_files else 0
        if room <= 0:
            return None  # the handlers after this one never see it
        kept = raw_data[:room]
        self.passed += len(kept)
        return kept

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file
