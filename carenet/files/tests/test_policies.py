"""The rules of "Twoje pliki" without a database (FIL-1, FIL-2)."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.files.policies import (
    FileRefusal,
    add_months,
    delete_after,
    description_refusal,
    shown_name,
    stored_count_refusal,
)

UTC = dt.UTC


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("abcd", FileRefusal.DESCRIPTION_TOO_SHORT),
        ("   abcd   ", FileRefusal.DESCRIPTION_TOO_SHORT),
        ("abcde", None),
        ("😷😷😷😷😷", None),  # an emoji is one character
        ("x" * 75, None),
        ("x" * 76, FileRefusal.DESCRIPTION_TOO_LONG),
        (" " + "x" * 75 + " ", None),
        ("zmiana\x00na ręce", FileRefusal.DESCRIPTION_INVALID),
        ("zmiana\tna ręce", FileRefusal.DESCRIPTION_INVALID),
        ("zmiana \u202ena ręce", FileRefusal.DESCRIPTION_INVALID),
        ("", FileRefusal.DESCRIPTION_TOO_SHORT),
    ],
)
def test_the_description_has_5_to_75_characters_without_control_characters(
    text: str, refusal: FileRefusal | None
) -> None:
    assert description_refusal(text) == refusal


def test_at_most_five_files_are_stored() -> None:
    assert stored_count_refusal(stored=4, max_stored=5) is None
    assert stored_count_refusal(stored=5, max_stored=5) is FileRefusal.TOO_MANY_FILES


@pytest.mark.parametrize(
    ("uploaded", "deleted"),
    [
        (dt.datetime(2026, 11, 20, 10, tzinfo=UTC), dt.datetime(2027, 2, 20, 10, tzinfo=UTC)),
        (dt.datetime(2026, 11, 30, 10, tzinfo=UTC), dt.datetime(2027, 2, 28, 10, tzinfo=UTC)),
        (dt.datetime(2027, 11, 30, 10, tzinfo=UTC), dt.datetime(2028, 2, 29, 10, tzinfo=UTC)),
        (dt.datetime(2026, 1, 31, 23, 59, tzinfo=UTC), dt.datetime(2026, 4, 30, 23, 59, tzinfo=UTC)),
        (dt.datetime(2026, 10, 15, 0, tzinfo=UTC), dt.datetime(2027, 1, 15, 0, tzinfo=UTC)),
    ],
)
def test_a_file_is_deleted_three_calendar_months_after_its_upload(uploaded: dt.datetime, deleted: dt.datetime) -> None:
    assert delete_after(uploaded_at=uploaded, keep_months=3) == deleted


def test_three_calendar_months_are_not_ninety_days() -> None:
    uploaded = dt.datetime(2026, 12, 1, tzinfo=UTC)
    assert add_months(uploaded, 3) - uploaded == dt.timedelta(days=90)
    uploaded = dt.datetime(2026, 5, 1, tzinfo=UTC)
    assert add_months(uploaded, 3) - uploaded == dt.timedelta(days=92)


@pytest.mark.parametrize(
    ("sent", "content_type", "shown"),
    [
        ("IMG_5229.JPEG", "image/jpeg", "IMG_5229.jpg"),
        ("skan.pdf", "image/jpeg", "skan.jpg"),
        ("../../etc/passwd.png", "image/png", "passwd.png"),
        ("C:\\Users\\x\\zdjęcie.png", "image/png", "zdjęcie.png"),
        ("a\x00b.png", "image/png", "ab.png"),
        ("\u202egnp.exe", "image/png", "gnp.png"),
        ("", "application/pdf", "plik.pdf"),
        ("...", "application/pdf", "plik.pdf"),
        ("<script>.png", "image/png", "script.png"),
        ("zmiana 😷.png", "image/png", "zmiana.png"),
    ],
)
def test_the_shown_name_is_cleaned_and_has_the_extension_of_the_content(
    sent: str, content_type: str, shown: str
) -> None:
    assert shown_name(sent, content_type=content_type) == shown


def test_a_long_name_is_cut_keeping_its_extension() -> None:
    name = shown_name("x" * 500 + ".png", content_type="image/png")
    assert len(name) == 100 and name.endswith(".png")
