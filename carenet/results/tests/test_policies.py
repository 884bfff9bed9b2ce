"""The rules of results coming in (CLN-3, issue 12): ranges, out-of-range marks, PESEL, names, orders, kinds,
statuses. No database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carenet.results import policies

D = Decimal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.0-16.0", (D("12.0"), D("16.0"))),
        ("3,5 - 5,0", (D("3.5"), D("5.0"))),
        ("<5", (None, D(5))),
        ("<=5", (None, D(5))),
        (">40", (D(40), None)),
        ("≥ 40", (D(40), None)),
        ("-2-2", (D(-2), D(2))),
        ("16-12", (None, None)),
        ("ujemny", (None, None)),
        ("", (None, None)),
        ("<1e999", (None, None)),
    ],
)
def test_reference_ranges(text: str, expected: tuple[Decimal | None, Decimal | None]) -> None:
    assert policies.parse_range(text) == expected


@pytest.mark.parametrize(
    ("flag", "value", "low", "high", "out"),
    [
        ("", D("13.5"), D(12), D(16), False),
        ("", D("11.9"), D(12), D(16), True),
        ("", D("16.1"), D(12), D(16), True),
        ("", D(231), None, D(190), True),
        ("", D(30), D(45), None, True),
        ("N", D(14), D(12), D(16), False),
        ("H", D(14), D(12), D(16), True),  # the laboratory's flag wins
        ("ll", None, None, None, True),
        ("A", None, None, None, True),
        ("", None, D(12), D(16), False),
    ],
)
def test_out_of_range(flag: str, value: Decimal | None, low: Decimal | None, high: Decimal | None, out: bool) -> None:
    assert policies.out_of_range(flag=flag, value=value, low=low, high=high) is out


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5.2", D("5.2")), ("5,2", D("5.2")), ("-1", D(-1)), (".5", D(".5")), ("<5", None), ("NaN", None),
     ("1" * 13, None), ("1e5", None), ("0.0000001", D("0.000000")), ("", None)],
)  # fmt: skip
def test_numbers(text: str, expected: Decimal | None) -> None:
    assert policies.number(text) == expected


@given(st.text(max_size=40))
def test_numbers_and_ranges_never_raise(text: str) -> None:
    value = policies.number(text)
    assert value is None or abs(value) < D(10) ** 12
    policies.parse_range(text)


def test_the_pesel_is_the_typed_identifier_else_any_valid_one() -> None:
    assert policies.pesel_of((("123", "", "MR"), ("85051700017", "", "PESEL"))) == "85051700017"
    assert policies.pesel_of((("85051700017", "", "NNPOL"),)) == "85051700017"
    assert policies.pesel_of((("85051700017", "&2.16.840.1.113883.3.4424.1.1.616&ISO^PESEL", ""),)) == "85051700017"
    assert policies.pesel_of((("LAB-77", "", "MR"), ("85051700017", "", ""))) == "85051700017"
    assert policies.pesel_of((("85051700016", "", "PESEL"),)) == "85051700016"  # typed but invalid: shown, not matched
    assert not policies.pesel_valid("85051700016")
    assert policies.pesel_of((("12345", "", "MR"),)) == ""


@pytest.mark.parametrize(
    ("sent", "known", "same"),
    [
        ("Wiśniewska", "Wiśniewska", True),
        ("WISNIEWSKA", "Wiśniewska", True),
        ("Łukasik", "Lukasik", True),
        ("Nowak", "Nowak-Kowalska", True),
        ("", "Nowak", True),
        ("Kowalski", "Nowak", False),
        ("Nowakowska", "Nowak", False),
    ],
)
def test_names_match(sent: str, known: str, same: bool) -> None:
    assert policies.names_match(sent, known) is same


def test_order_numbers() -> None:
    assert policies.referral_id_of("CN1234") == 1234
    assert policies.referral_id_of(" cn7 ") == 7
    assert policies.referral_id_of("CN") is None and policies.referral_id_of("X12") is None
    assert policies.referral_id_of("CN" + "9" * 30) is None
    assert policies.order_number_of(42) == "CN42"


def test_kinds_statuses_and_notifications() -> None:
    assert policies.is_imaging(section="RAD", coding_system="", code="")
    assert policies.is_imaging(section="", coding_system="ICD9PL", code="88.761")
    assert not policies.is_imaging(section="HM", coding_system="LN", code="58410-2")
    assert [policies.status_of(s) for s in ("P", "f", "C", "", "X")] == ["P", "F", "C", "F", "F"]
    assert policies.replaces(stored="P", incoming="F") and policies.replaces(stored="F", incoming="C")
    assert not policies.replaces(stored="F", incoming="P") and not policies.replaces(stored="C", incoming="P")
    assert policies.notifies("F") and policies.notifies("C") and not policies.notifies("P")
