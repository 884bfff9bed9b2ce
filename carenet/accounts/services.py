"""State changes about people. Every door (back office, consoles, registration) goes through these."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from carenet.accounts import policies
from carenet.accounts.models import Patient, User
from carenet.core import clock
from carenet.core.dates import age_on
from carenet.core.errors import Conflict, ValidationFailed

PESEL_MESSAGES = {
    policies.PeselProblem.FORMAT: _("A PESEL number has exactly 11 digits."),
    policies.PeselProblem.CHECKSUM: _("This PESEL number is invalid: its check digit does not match."),
    policies.PeselProblem.BIRTH_DATE: _("This PESEL number does not encode a real date of birth."),
    policies.PeselProblem.FUTURE: _("This PESEL number encodes a date of birth in the future."),
}
PHONE_MESSAGES = {
    policies.PhoneProblem.FORMAT: _("This is not a valid phone number."),
    policies.PhoneProblem.NOT_MOBILE: _("Please give a mobile phone number: we send text messages to it."),
    policies.PhoneProblem.NOT_POLISH: _("Please give a Polish mobile number (+48)."),
}


def pesel_check(raw: str) -> policies.PeselFacts:
    """ACC-1: the PESEL's facts, or a :class:`ValidationFailed` that says what is wrong."""
    try:
        return policies.parse_pesel(raw, today=clock.today())
    except policies.InvalidPesel as exc:
        raise ValidationFailed(PESEL_MESSAGES[exc.problem], code=exc.problem.value) from exc


def mobile_check(raw: str) -> str:
    """ACC-2: the mobile number in E.164, or a :class:`ValidationFailed` that says what is wrong."""
    try:
        return policies.normalize_mobile(raw)
    except policies.InvalidPhone as exc:
        raise ValidationFailed(PHONE_MESSAGES[exc.problem], code=exc.problem.value) from exc


def patient_create(
    *,
    first_name: str,
    last_name: str,
    pesel: str,
    mobile: str,
    email: str = "",
    guardian: Patient | None = None,
    user: User | None = None,
) -> Patient:
    """Record a patient. PESEL gives the birth date and sex; an adult needs a mobile number (ACC-2)."""
    facts = pesel_check(pesel)
    first_name, last_name = first_name.strip(), last_name.strip()
    if not first_name or not last_name:
        raise ValidationFailed(_("First and last name are required."), code="name_required")
    adult = age_on(facts.birth_date, clock.today()) >= 18
    if mobile.strip():
        mobile = mobile_check(mobile)
    elif adult or guardian is None:
        raise ValidationFailed(_("A mobile phone number is required."), code="phone_required")
    try:
        with transaction.atomic():
            return Patient.objects.create(
                first_name=first_name,
                last_name=last_name,
                pesel=facts.pesel,
                birth_date=facts.birth_date,
                sex=facts.sex,
                mobile=mobile,
                email=email.strip(),
                guardian=guardian,
                user=user,
            )
    except IntegrityError as exc:
        raise Conflict(_("A patient with this PESEL number already exists."), code="pesel_taken") from exc
