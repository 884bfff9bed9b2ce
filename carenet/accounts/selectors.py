"""Reads of people: finding a patient for the call centre and reception, and whom a patient may act for."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import Patient
from carenet.core.dates import age_on
from carenet.core.errors import ValidationFailed

#: The shortest text a patient search accepts: shorter prefixes match half the roster.
MIN_QUERY_LENGTH = 3
MAX_FIND_LIMIT = 100
#: Children a guardian acts for are those under this age on the day (SPEC "People and roles").
ADULT_AGE = 18


def _name_part(word: str) -> str:
    """Names are stored capitalised ("Nowak", "Kowalska-Nowak"); a prefix typed in any case matches them."""
    return word[:1].upper() + word[1:].lower()


def patient_find(*, query: str, limit: int = 20, offset: int = 0) -> list[Patient]:
    """Patients matching a PESEL, a mobile number or a name, for the call-centre and reception consoles.

    Every branch is an indexed prefix lookup (PESEL is unique, mobile and (last name, first name) are indexed):
    digits search PESEL and mobile numbers, words search "last first" or "first last" name prefixes.
    """
    text = " ".join(query.split())
    if len(text.replace(" ", "")) < MIN_QUERY_LENGTH:
        raise ValidationFailed(
            _("Type at least %(count)d characters.") % {"count": MIN_QUERY_LENGTH}, code="query_too_short"
        )
    if not 1 <= limit <= MAX_FIND_LIMIT or offset < 0:
        raise ValidationFailed(_("The page is out of range."), code="bad_page")
    digits = "".join(ch for ch in text if ch.isdigit())
    condition: Q
    if digits and not any(ch.isalpha() for ch in text):
        condition = Q(pesel__startswith=digits)
        national = digits[2:] if digits.startswith("48") and len(digits) == 11 else digits
        condition |= Q(mobile__startswith="+48" + national)
        if text.startswith("+"):
            condition |= Q(mobile__startswith="+" + digits)
    else:
        words = [_name_part(word) for word in text.split(" ") if word]
        if len(words) == 1:
            condition = Q(last_name__startswith=words[0])
        else:
            first, second = words[0], " ".join(words[1:])
            condition = Q(last_name__startswith=first, first_name__startswith=second) | Q(
                first_name__startswith=first, last_name__startswith=second
            )
    patients = Patient.objects.filter(condition).select_related("guardian").order_by("last_name", "first_name", "id")
    return list(patients[offset : offset + limit])


def patients_acting_for(*, patient: Patient, today: dt.date) -> list[Patient]:
    """Whom a logged-in patient may book for: themself, then their children under 18 (SPEC, People and roles)."""
    children = [
        child
        for child in Patient.objects.filter(guardian=patient).order_by("birth_date", "id")
        if age_on(child.birth_date, today) < ADULT_AGE
    ]
    return [patient, *children]
