"""ACC-1 / ACC-2: PESEL and mobile number rules, without a database."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.accounts import policies
from carenet.accounts.policies import InvalidPesel, InvalidPhone, PeselProblem, PhoneProblem
from carenet.core.dates import age_on

TODAY = dt.date(2026, 11, 22)


@pytest.mark.parametrize(
    ("pesel", "birth_date", "sex"),
    [
        ("44051401359", dt.date(1944, 5, 14), "M"),  # 20th century, odd serial digit → male
        ("02270803624", dt.date(2002, 7, 8), "F"),  # 21st century: month + 20
        ("90090515836", dt.date(1990, 9, 5), "M"),
    ],
)
def test_acc1_valid_pesel_gives_birth_date_and_sex(pesel: str, birth_date: dt.date, sex: str) -> None:
    facts = policies.parse_pesel(pesel, today=TODAY)
    assert (facts.birth_date, facts.sex) == (birth_date, sex)


@pytest.mark.parametrize(
    ("pesel", "problem"),
    [
        ("4405140135", PeselProblem.FORMAT),  # 10 digits
        ("4405140135a", PeselProblem.FORMAT),
        ("", PeselProblem.FORMAT),
        ("44051401358", PeselProblem.CHECKSUM),  # last digit changed
        ("44133101357", PeselProblem.BIRTH_DATE),  # right check digit, but month 13 does not exist
    ],
)
def test_acc1_invalid_pesel_names_the_problem(pesel: str, problem: PeselProblem) -> None:
    with pytest.raises(InvalidPesel) as caught:
        policies.parse_pesel(pesel, today=TODAY)
    assert caught.value.problem is problem


def test_acc1_birth_date_in_the_future_is_refused() -> None:
    from stdnum.pl.pesel import calc_check_digit

    body = "2632310000"  # 31 December 2026: after "today"
    with pytest.raises(InvalidPesel) as caught:
        policies.parse_pesel(body + calc_check_digit(body), today=TODAY)
    assert caught.value.problem is PeselProblem.FUTURE


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("600 100 200", "+48600100200"),
        ("+48 600-100-200", "+48600100200"),
        ("0048600100200", "+48600100200"),
        ("792123456", "+48792123456"),
    ],
)
def test_acc2_mobile_numbers_normalise_to_e164(raw: str, e164: str) -> None:
    assert policies.normalize_mobile(raw) == e164


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("12345", PhoneProblem.FORMAT),
        ("not a phone", PhoneProblem.FORMAT),
        ("22 100 20 30", PhoneProblem.NOT_MOBILE),  # Warsaw landline
        ("+49 1512 3456789", PhoneProblem.NOT_POLISH),  # German mobile
    ],
)
def test_acc2_bad_mobile_numbers_are_refused(raw: str, problem: PhoneProblem) -> None:
    with pytest.raises(InvalidPhone) as caught:
        policies.normalize_mobile(raw)
    assert caught.value.problem is problem


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (dt.date(2008, 11, 22), dt.date(2026, 11, 22), 18),
        (dt.date(2008, 11, 23), dt.date(2026, 11, 22), 17),
        # Art. 112 of the Civil Code: a 29 February birthday falls on 28 February in a common year.
        (dt.date(2008, 2, 29), dt.date(2026, 2, 27), 17),
        (dt.date(2008, 2, 29), dt.date(2026, 2, 28), 18),
    ],
)
def test_age_on_counts_completed_years(birth: dt.date, day: dt.date, age: int) -> None:
    assert age_on(birth, day) == age
