"""The rules of input at the edge (issue 10): pure, no database."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import TypeAdapter, ValidationError

from carenet.core.validation import (
    MAX_DB_ID,
    DbId,
    SaneDate,
    Text,
    ascii_digits,
    db_id_or_none,
    text_cleaned,
    text_problem,
)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("Zażółć gęślą jaźń", None),
        ("two\nlines\tand a tab\r", None),
        ("a\x00b", "nul"),
        ("bell\x07", "control"),
        ("escape\x1b[0m", "control"),
        ("c1\x85", "control"),
        ("lone \ud800 surrogate", "control"),
    ],
)
def test_text_problem(value: str, problem: str | None) -> None:
    assert text_problem(value) == problem


def test_text_cleaned_keeps_what_people_type() -> None:
    assert text_cleaned("TAK\x00\x07 ok\nżółw") == "TAK ok\nżółw"


def test_ascii_digits_only() -> None:
    assert ascii_digits("0123456789")
    assert not ascii_digits("٣٣٣")  # Arabic-Indic: str.isdigit says yes
    assert not ascii_digits("²")
    assert not ascii_digits("")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1),
        (str(MAX_DB_ID), MAX_DB_ID),
        (str(MAX_DB_ID + 1), None),
        ("0", None),
        ("-1", None),
        ("٣", None),
        ("1e3", None),
        (7, 7),
        (True, None),
        (None, None),
    ],
)
def test_db_id_or_none(raw: object, expected: int | None) -> None:
    assert db_id_or_none(raw) == expected


def test_the_pydantic_types_refuse_what_the_rules_refuse() -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Text).validate_python("a\x00")
    assert TypeAdapter(Text).validate_python("Łódź") == "Łódź"
    with pytest.raises(ValidationError):
        TypeAdapter(DbId).validate_python(MAX_DB_ID + 1)
    with pytest.raises(ValidationError):
        TypeAdapter(DbId).validate_python(0)
    with pytest.raises(ValidationError):  # JSON true is not slot 1
        TypeAdapter(DbId).validate_json("true")
    assert TypeAdapter(DbId).validate_json("7") == 7
    assert TypeAdapter(DbId).validate_python("7") == 7  # query parameters arrive as text
    with pytest.raises(ValidationError):
        TypeAdapter(SaneDate).validate_python("9999-12-31")
    assert TypeAdapter(SaneDate).validate_python("2026-12-04") == dt.date(2026, 12, 4)
