"""Valid identifiers for invented people: PESEL numbers, Polish mobile numbers, E-Karta numbers.

The E-Karta check digit is the domain's own (:func:`carenet.coverage.policies.luhn_check_digit`, PKG-6).
"""

from __future__ import annotations

import datetime as dt
import random

from carenet.coverage.policies import luhn_check_digit

PESEL_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
# PESEL encodes the century in the month: +80 for the 1800s, +0 for the 1900s, +20, +40, +60 after that.
CENTURY_MONTH_OFFSET = {1800: 80, 1900: 0, 2000: 20, 2100: 40, 2200: 60}

# Three-digit prefixes of Polish mobile networks (all valid mobile ranges for ``phonenumbers``).
MOBILE_PREFIXES = tuple(
    [str(p) for p in range(500, 510)]
    + [str(p) for p in range(510, 520)]
    + [str(p) for p in range(600, 610)]
    + [str(p) for p in range(660, 670)]
    + [str(p) for p in range(690, 700)]
    + [str(p) for p in range(720, 730)]
    + [str(p) for p in range(780, 790)]
    + [str(p) for p in range(790, 800)]
    + [str(p) for p in range(880, 890)]
)


def pesel_check_digit(first_ten: str) -> int:
    """The PESEL check digit of the first ten digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first_ten, PESEL_WEIGHTS, strict=True))
    return (10 - total % 10) % 10


def pesel(birth_date: dt.date, sex: str, serial: int) -> str:
    """The PESEL of a person born on ``birth_date``, of sex "F" or "M", with a serial number 0–4999.

    Digits: YYMMDD (month shifted by the century), three serial digits, a sex digit (even for women, odd for men),
    the check digit.
    """
    if not 0 <= serial < 5000:
        raise ValueError("serial must be between 0 and 4999")
    century = birth_date.year // 100 * 100
    month = birth_date.month + CENTURY_MONTH_OFFSET[century]
    serial_digits = f"{serial // 5:03d}"
    sex_digit = (serial % 5) * 2 + (1 if sex == "M" else 0)
    first_ten = f"{birth_date.year % 100:02d}{month:02d}{birth_date.day:02d}{serial_digits}{sex_digit}"
    return first_ten + str(pesel_check_digit(first_ten))


def unique_pesel(rng: random.Random, birth_date: dt.date, sex: str, used: set[str]) -> str:
    """A PESEL not yet in ``used`` (which it joins)."""
    while True:
        number = pesel(birth_date, sex, rng.randrange(5000))
        if number not in used:
            used.add(number)
            return number


def mobile(rng: random.Random, used: set[str]) -> str:
    """A Polish mobile number in E.164 (+48 and nine digits) not yet in ``used`` (which it joins)."""
    while True:
        number = f"+48{rng.choice(MOBILE_PREFIXES)}{rng.randrange(1_000_000):06d}"
        if number not in used:
            used.add(number)
            return number


def luhn_valid(number: str) -> bool:
    return number.isdigit() and len(number) >= 2 and luhn_check_digit(number[:-1]) == int(number[-1])


def ecard_number(rng: random.Random, used: set[str]) -> str:
    """A unique E-Karta number: ten digits, the last a Luhn check digit, the first never 0."""
    while True:
        body = str(rng.randrange(100_000_000, 1_000_000_000))
        number = body + str(luhn_check_digit(body))
        if number not in used:
            used.add(number)
            return number
