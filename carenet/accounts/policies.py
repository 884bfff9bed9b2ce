"""Pure rules about people: PESEL (ACC-1), Polish mobile numbers (ACC-2) and ages. No Django imports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.pl import pesel as stdnum_pesel

from carenet.core.phones import InvalidPhoneNumber, is_polish_mobile, normalize_phone


class PeselProblem(StrEnum):
    FORMAT = "pesel_format"
    CHECKSUM = "pesel_checksum"
    BIRTH_DATE = "pesel_birth_date"
    FUTURE = "pesel_future_birth_date"


class PhoneProblem(StrEnum):
    FORMAT = "phone_format"
    NOT_MOBILE = "phone_not_mobile"
    NOT_POLISH = "phone_not_polish"


@dataclass(frozen=True)
class PeselFacts:
    pesel: str
    birth_date: dt.date
    sex: str  # "F" or "M"


class InvalidPesel(ValueError):
    def __init__(self, problem: PeselProblem):
        super().__init__(problem.value)
        self.problem = problem


class InvalidPhone(ValueError):
    def __init__(self, problem: PhoneProblem):
        super().__init__(problem.value)
        self.problem = problem


def parse_pesel(raw: str, *, today: dt.date) -> PeselFacts:
    """ACC-1: a PESEL is 11 digits with a valid checksum encoding a real birth date (not in the future).

    Returns the birth date and sex it encodes; raises :class:`InvalidPesel` naming the problem.
    """
    number = (raw or "").strip().replace(" ", "")
    if len(number) != 11 or not number.isdigit():
        raise InvalidPesel(PeselProblem.FORMAT)
    try:
        stdnum_pesel.validate(number)
    except InvalidChecksum as exc:
        raise InvalidPesel(PeselProblem.CHECKSUM) from exc
    except InvalidComponent as exc:
        raise InvalidPesel(PeselProblem.BIRTH_DATE) from exc
    except (InvalidFormat, InvalidLength) as exc:  # pragma: no cover - guarded by the digit check above
        raise InvalidPesel(PeselProblem.FORMAT) from exc
    birth_date = stdnum_pesel.get_birth_date(number)
    if birth_date > today:
        raise InvalidPesel(PeselProblem.FUTURE)
    sex = "F" if stdnum_pesel.get_gender(number) == "F" else "M"
    return PeselFacts(pesel=number, birth_date=birth_date, sex=sex)


def normalize_mobile(raw: str) -> str:
    """ACC-2: a Polish mobile number in E.164 (+48XXXXXXXXX); accepts spaces, dashes, 0048 and +48 prefixes.

    Raises :class:`InvalidPhone` for anything that is not a valid Polish mobile number.
    """
    try:
        e164 = normalize_phone(raw)
    except InvalidPhoneNumber as exc:
        raise InvalidPhone(PhoneProblem.FORMAT) from exc
    if not e164.startswith("+48"):
        raise InvalidPhone(PhoneProblem.NOT_POLISH)
    if not is_polish_mobile(e164):
        raise InvalidPhone(PhoneProblem.NOT_MOBILE)
    return e164
