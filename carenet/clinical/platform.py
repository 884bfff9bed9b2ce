"""The one interface to the national e-health platform (CLN-5): P1 registers e-prescriptions and e-referrals, ZUS
PUE registers sick leave (e-ZLA). Recommendations are not national documents: they get a local identifier.

A deployment chooses the implementation with ``CARENET_NATIONAL_PLATFORM`` (a dotted path to a class implementing
:class:`NationalPlatform`, built without arguments). The default, :class:`LocalPlatform`, assigns identifiers the
way the real platform does, for development, tests and the demo; production refuses to start on it unless it is
explicitly allowed (``carenet.E010``).

The 4-digit access codes are secrets the patient shows a pharmacy or a registration desk: they come from
:mod:`secrets`, are never logged, and never appear in a ``repr``.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from carenet.clinical.models import Prescription, Referral, SickLeave

#: The dotted path of the local implementation (the production guard compares the setting with it).
LOCAL_PLATFORM = "carenet.clinical.platform.LocalPlatform"

#: P1: the access key of an e-prescription or an e-referral is 44 digits; the patient's access code is 4.
ACCESS_KEY_DIGITS = 44
ACCESS_CODE_DIGITS = 4
#: ZUS: an e-ZLA is numbered with a series of 2 letters and a 7-digit number.
SICK_LEAVE_SERIES_LETTERS = 2
SICK_LEAVE_NUMBER_DIGITS = 7


@dataclass(frozen=True, slots=True)
class Registration:
    """What the platform assigned to a registered document: its identifier and, for P1 documents, the patient's
    access code (left out of ``repr`` so that it never reaches a log)."""

    national_id: str
    access_code: str = field(default="", repr=False)


@runtime_checkable
class NationalPlatform(Protocol):
    """Registers a signed document with the national platform and answers the identifiers it assigned.

    Called inside the transaction that stores the document, before the row is inserted (the document is complete
    but has no primary key yet): if registration fails, nothing is stored. An implementation raises
    :class:`PlatformUnavailable` when the platform refuses or cannot be reached.
    """

    def register_prescription(self, prescription: Prescription) -> Registration: ...

    def register_referral(self, referral: Referral) -> Registration: ...

    def register_sick_leave(self, sick_leave: SickLeave) -> Registration: ...


class PlatformUnavailable(Exception):
    """The national platform did not register the document (refused it or could not be reached)."""


def _digits(count: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(count))


def access_code() -> str:
    """A random 4-digit access code (leading zeros kept)."""
    return _digits(ACCESS_CODE_DIGITS)


def access_key() -> str:
    """A random 44-digit access key, not starting with 0 (as P1's keys)."""
    return secrets.choice("123456789") + _digits(ACCESS_KEY_DIGITS - 1)


def sick_leave_number() -> str:
    """An e-ZLA series and number: two capital letters and seven digits (``ZY1234567``)."""
    series = "".join(secrets.choice(string.ascii_uppercase) for _ in range(SICK_LEAVE_SERIES_LETTERS))
    return series + _digits(SICK_LEAVE_NUMBER_DIGITS)


def recommendation_local_id() -> str:
    """A recommendation is not a national document: CareNet numbers it itself."""
    return f"CN-R-{secrets.token_hex(8).upper()}"


class LocalPlatform:
    """Development, tests and the demo: assigns identifiers shaped like the platform's, registers nothing."""

    def register_prescription(self, prescription: Prescription) -> Registration:
        return Registration(national_id=access_key(), access_code=access_code())

    def register_referral(self, referral: Referral) -> Registration:
        return Registration(national_id=access_key(), access_code=access_code())

    def register_sick_leave(self, sick_leave: SickLeave) -> Registration:
        return Registration(national_id=sick_leave_number())


@cache
def _platform_class(path: str) -> type[NationalPlatform]:
    platform_class: type[NationalPlatform] = import_string(path)
    return platform_class


def national_platform() -> NationalPlatform:
    """The implementation ``CARENET_NATIONAL_PLATFORM`` names (built lazily, each time: settings may change)."""
    return _platform_class(getattr(settings, "CARENET_NATIONAL_PLATFORM", LOCAL_PLATFORM))()
