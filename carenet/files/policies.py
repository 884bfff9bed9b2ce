"""The rules of "Twoje pliki" (FIL-1, FIL-2) as pure functions: the description, how many files a patient keeps,
when a file is deleted, the name a file is shown under, and the stable codes of every refusal.

No Django here: the services pass in the limits from the settings and ``now``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from enum import StrEnum

from carenet.core.names import CONTROL_CHARACTERS, NAME_MAX_CHARS, clean_file_name

#: The version of the terms of "Twoje pliki" a patient accepts before their first upload (FIL-1); a new version
#: asks every patient again.
TERMS_VERSION = "2026-12"

DESCRIPTION_MIN_CHARS = 5
DESCRIPTION_MAX_CHARS = 75

#: The formats a patient may upload (FIL-1), by their checked content type, with the extension a download gets.
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


class FileRefusal(StrEnum):
    """Why an upload or a deletion was refused: the stable codes of the API (FIL-1, FIL-2)."""

    FILE_MISSING = "file_missing"
    FILE_EMPTY = "file_empty"
    FILE_TOO_LARGE = "file_too_large"
    FILE_TYPE = "file_type"
    IMAGE_BOMB = "image_bomb"
    IMAGE_BROKEN = "image_broken"
    PDF_ACTIVE = "pdf_active"
    PDF_ENCRYPTED = "pdf_encrypted"
    PDF_BROKEN = "pdf_broken"
    DESCRIPTION_TOO_SHORT = "description_too_short"
    DESCRIPTION_TOO_LONG = "description_too_long"
    DESCRIPTION_INVALID = "description_invalid"
    TERMS_NOT_ACCEPTED = "terms_not_accepted"
    TOO_MANY_FILES = "too_many_files"


def description_cleaned(text: str) -> str:
    """The description as stored: without the spaces around it."""
    return text.strip()


def description_refusal(text: str) -> FileRefusal | None:
    """FIL-1: 5–75 characters after stripping (an emoji is one character); no NUL or control characters."""
    if CONTROL_CHARACTERS.search(text):
        return FileRefusal.DESCRIPTION_INVALID
    length = len(description_cleaned(text))
    if length < DESCRIPTION_MIN_CHARS:
        return FileRefusal.DESCRIPTION_TOO_SHORT
    if length > DESCRIPTION_MAX_CHARS:
        return FileRefusal.DESCRIPTION_TOO_LONG
    return None


def stored_count_refusal(*, stored: int, max_stored: int) -> FileRefusal | None:
    """FIL-1: at most ``max_stored`` (5) files stored at once — one must be deleted before another is added."""
    return FileRefusal.TOO_MANY_FILES if stored >= max_stored else None


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """``moment`` plus calendar months (FIL-2: 20 November + 3 months = 20 February; 30 November + 3 months = the last
    day of February), at the same time of day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def delete_after(*, uploaded_at: dt.datetime, keep_months: int) -> dt.datetime:
    """FIL-2: a file is deleted automatically ``keep_months`` (3) calendar months after its upload."""
    return add_months(uploaded_at, keep_months)


def shown_name(name: str, *, content_type: str) -> str:
    """The name a file is listed and downloaded under: the last part of what the browser sent (no folders, no
    drive letters), without control or direction characters, letters, digits and ``.-_`` and spaces kept, with the
    extension of its checked content (a JPEG sent as ``x.pdf`` becomes ``x.jpg``), at most 100 characters."""
    extension = EXTENSIONS[content_type]
    cleaned = clean_file_name(name, default="").strip(" ._")
    stem = cleaned.rsplit(".", 1)[0] if "." in cleaned else cleaned
    stem = stem.strip(" ._")[: NAME_MAX_CHARS - len(extension) - 1] or "plik"
    return f"{stem}.{extension}"
