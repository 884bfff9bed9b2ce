"""Phone numbers in E.164, for every door that takes one (registration, consoles, the SMS gateway). Pure Python."""

from __future__ import annotations

import functools
import re

import phonenumbers


class InvalidPhoneNumber(ValueError):
    """Not a number an SMS can be sent to."""


@functools.lru_cache(maxsize=8192)
def normalize_phone(raw: str, *, region: str = "PL") -> str:
    """A phone number in E.164 ('+48500100200'); Polish numbers may be written nationally ('500 100 200').

    Gateways report senders without the plus ('48500100200'); that form is accepted too. The answers for the
    numbers met last are kept (every booking's confirmation normalises its patient's number: issue 16); a number
    refused is refused again each time.
    """
    candidate = (raw or "").strip()
    if not candidate:
        raise InvalidPhoneNumber("empty phone number")
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    attempts = [candidate]
    digits = re.sub(r"\D", "", candidate)
    if not candidate.startswith("+") and len(digits) > 9:
        attempts.append("+" + digits)
    for attempt in attempts:
        try:
            number = phonenumbers.parse(attempt, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise InvalidPhoneNumber(f"not a valid phone number: {raw!r}")


def phone_or_none(raw: str, *, region: str = "PL") -> str | None:
    """Like :func:`normalize_phone`, but None for anything that is not a valid number."""
    try:
        return normalize_phone(raw, region=region)
    except InvalidPhoneNumber:
        return None


def is_polish_mobile(e164: str) -> bool:
    """Whether an E.164 number is a Polish mobile number (ACC-2: the first password is sent to it by SMS)."""
    number = phonenumbers.parse(e164, "PL")
    return number.country_code == 48 and phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def may_be_mobile(e164: str) -> bool:
    """Whether an E.164 number of any country can receive an SMS: a mobile, or a number its plan does not tell from
    a landline (ACC-8: a patient's foreign mobile)."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
