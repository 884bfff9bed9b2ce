"""ACC-8: the patient's own contact data ("Twoje dane") and consents ("Twoje zgody") — every door (the portal, the
API, the back office's demo) goes through these services, and every change leaves a history row.

- E-mail and postal address are changed at once; the change is recorded (masked) and, for an e-mail, the OLD
  address is told by e-mail (through the outbox, after commit) so a hijacked session cannot quietly redirect the
  patient's mail. No confirmation link: the e-mail carries no credential in CareNet (logins and passwords go by SMS).
- A new mobile number is confirmed by a six-digit code sent by SMS to that number (:func:`phone_change_request`,
  :func:`phone_change_confirm`); until then the old number stays in use for every SMS. Once confirmed, the OLD
  number gets an SMS saying so. A number that belongs to another patient is refused (``phone_taken``) without
  saying whose; the database's unique constraint on ``Patient.mobile`` decides a race between two patients.
- Consents are decisions recorded as rows (:class:`~carenet.accounts.models.Consent`); messaging code asks
  :func:`carenet.accounts.selectors.consent_refused_patient_ids` before making a notice.
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from carenet.accounts import policies
from carenet.accounts.models import (
    ChangeChannel,
    Consent,
    ConsentKind,
    ContactChange,
    Patient,
    PhoneChange,
    User,
)
from carenet.accounts.services import PHONE_MESSAGES
from carenet.core import clock
from carenet.core.errors import Conflict, ValidationFailed
from carenet.core.validation import text_problem
from carenet.messaging.services import outbox_enqueue

CONTACT_MESSAGES = {
    policies.ContactProblem.POSTCODE: _("A Polish postcode has the form 00-000."),
    policies.ContactProblem.ADDRESS_INCOMPLETE: _(
        "Give the street, the postcode and the city, or leave all three empty."
    ),
}
PHONE_TAKEN_MESSAGE = _("This number cannot be used for your account. If it is yours, please call the call centre.")
CODE_MESSAGES = {
    policies.PhoneCodeOutcome.WRONG: _("The code is wrong. Check the SMS and try again."),
    policies.PhoneCodeOutcome.EXPIRED: _("The code has expired. Ask for a new one."),
    policies.PhoneCodeOutcome.TOO_MANY: _("Too many wrong codes. Ask for a new one."),
}
MAX_STREET, MAX_CITY, MAX_EMAIL = 120, 60, 254


# --- Reads ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentState:
    kind: str
    label: str
    granted: bool
    #: When it was last given or withdrawn; ``None``: never decided (the default applies).
    at: dt.datetime | None


def consent_states(*, patient: Patient) -> list[ConsentState]:
    """ACC-8: each consent of the patient in force now, with when it was given or withdrawn (one indexed read)."""
    current = {row.kind: row for row in Consent.objects.filter(patient=patient, current=True)}
    states = []
    for kind in ConsentKind:
        row = current.get(kind.value)
        granted = row.granted if row is not None else policies.CONSENT_DEFAULTS[policies.ConsentKind(kind.value)]
        states.append(ConsentState(kind=kind.value, label=str(kind.label), granted=granted, at=row.at if row else None))
    return states


def consent_history(*, patient: Patient, limit: int = 50) -> list[Consent]:
    return list(Consent.objects.filter(patient=patient).select_related("by")[:limit])


def contact_history(*, patient: Patient, limit: int = 50) -> list[ContactChange]:
    return list(ContactChange.objects.filter(patient=patient).select_related("by")[:limit])


def phone_change_pending(*, patient: Patient, now: dt.datetime | None = None) -> PhoneChange | None:
    """The change of number waiting for its code (not confirmed, not expired, attempts left), if any."""
    now = now or clock.now()
    return (
        PhoneChange.objects.filter(
            patient=patient,
            confirmed_at__isnull=True,
            expires_at__gt=now,
            attempts__lt=settings.CARENET_PHONE_CODE_ATTEMPTS,
        )
        .order_by("-created_at", "-id")
        .first()
    )


# --- Checks -----------------------------------------------------------------------------------------------------


def _clean_text(value: str, *, limit: int, code: str) -> str:
    """Refused: control characters, pictographs (emoji) and text longer than a postal form's field."""
    if text_problem(value) or len(value) > limit or any(unicodedata.category(ch) in {"So", "Cs", "Co"} for ch in value):
        raise ValidationFailed(
            _("This text is too long or contains characters we cannot store."), code=code, details={"limit": limit}
        )
    return value


def email_check(raw: str) -> str:
    email = _clean_text((raw or "").strip(), limit=MAX_EMAIL, code="email_invalid")
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationFailed(_("Please give a valid e-mail address."), code="email_invalid") from exc
    return email


def address_check(*, street: str, postcode: str, city: str) -> tuple[str, str, str]:
    street = _clean_text(street or "", limit=MAX_STREET, code="street_invalid")
    city = _clean_text(city or "", limit=MAX_CITY, code="city_invalid")
    postcode = _clean_text(postcode or "", limit=10, code=policies.ContactProblem.POSTCODE.value)
    try:
        return policies.address_parts(street=street, postcode=postcode, city=city)
    except policies.InvalidContact as exc:
        raise ValidationFailed(CONTACT_MESSAGES[exc.problem], code=exc.problem.value) from exc


def contact_mobile_check(raw: str) -> str:
    raw = _clean_text(raw or "", limit=32, code=policies.PhoneProblem.FORMAT.value)
    try:
        return policies.normalize_contact_mobile(raw)
    except policies.InvalidPhone as exc:
        raise ValidationFailed(PHONE_MESSAGES[exc.problem], code=exc.problem.value) from exc


def _number_taken(*, mobile: str, patient: Patient) -> bool:
    return Patient.objects.filter(mobile=mobile).exclude(pk=patient.pk).exists()


# --- E-mail and address -----------------------------------------------------------------------------------------


def _old_address_notice(*, change: ContactChange, old_email: str, new_email: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        subject = gettext("CareNet: your e-mail address was changed")
        body = gettext(
            "The e-mail address on your CareNet account was changed to %(new)s. If you did not change it, call the "
            "call centre: %(phone)s."
        ) % {"new": policies.mask_email(new_email) or "-", "phone": settings.CARENET_CALL_CENTRE_PHONE}
    outbox_enqueue(
        key=f"email-changed:{change.pk}",
        purpose="email-changed",
        channel="email",
        recipient=old_email,
        subject=subject,
        body=body,
        patient=change.patient,
    )


def contact_data_update(
    *,
    patient: Patient,
    by: User | None,
    email: str,
    street: str,
    postcode: str,
    city: str,
    channel: str = ChangeChannel.PORTAL,
    now: dt.datetime | None = None,
) -> list[ContactChange]:
    """ACC-8: the patient's e-mail and postal address; returns the changes recorded (none when nothing changed).

    Errors (422): ``email_invalid``, ``postcode_invalid``, ``address_incomplete``, ``street_invalid``,
    ``city_invalid``."""
    now = now or clock.now()
    email = email_check(email)
    street, postcode, city = address_check(street=street, postcode=postcode, city=city)
    changes: list[ContactChange] = []
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        old_email = locked.email
        if email != locked.email:
            changes.append(
                ContactChange.objects.create(
                    patient=locked,
                    field=ContactChange.Field.EMAIL,
                    old_value=policies.mask_email(locked.email),
                    new_value=policies.mask_email(email),
                    at=now,
                    by=by,
                    channel=channel,
                )
            )
            locked.email = email
            if locked.user_id is not None:
                User.objects.filter(pk=locked.user_id).update(email=email)
            if old_email:
                _old_address_notice(change=changes[-1], old_email=old_email, new_email=email)
        if (street, postcode, city) != (locked.street, locked.postcode, locked.city):
            changes.append(
                ContactChange.objects.create(
                    patient=locked,
                    field=ContactChange.Field.ADDRESS,
                    old_value=policies.mask_address(street=locked.street, postcode=locked.postcode, city=locked.city),
                    new_value=policies.mask_address(street=street, postcode=postcode, city=city),
                    at=now,
                    by=by,
                    channel=channel,
                )
            )
            locked.street, locked.postcode, locked.city = street, postcode, city
        if changes:
            locked.save(update_fields=["email", "street", "postcode", "city"])
            patient.email, patient.street, patient.postcode, patient.city = email, street, postcode, city
    return changes


# --- The mobile number, confirmed by a code ---------------------------------------------------------------------


def _code_hash(*, patient_id: int, mobile: str, code: str) -> str:
    return salted_hmac("carenet.phone-change", f"{patient_id}:{mobile}:{code}", algorithm="sha256").hexdigest()


def phone_change_request(
    *,
    patient: Patient,
    new_mobile: str,
    channel: str = ChangeChannel.PORTAL,
    now: dt.datetime | None = None,
) -> PhoneChange:
    """ACC-8: text a code to the new number (through the outbox, exactly once); earlier codes stop working.

    Errors: 422 ``phone_format``, ``phone_not_mobile``, ``phone_unchanged``, ``too_many_sms`` (more than
    ``CARENET_PHONE_CODE_SMS_PER_HOUR`` codes for the patient or to the number within an hour); 409 ``phone_taken``
    (another patient's number — whose is never said)."""
    now = now or clock.now()
    mobile = contact_mobile_check(new_mobile)
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        if mobile == locked.mobile:
            raise ValidationFailed(_("This is already your number."), code="phone_unchanged")
        hour_ago = now - dt.timedelta(hours=1)
        per_hour = settings.CARENET_PHONE_CODE_SMS_PER_HOUR
        for sent in (
            PhoneChange.objects.filter(patient=locked, created_at__gt=hour_ago),
            PhoneChange.objects.filter(new_mobile=mobile, created_at__gt=hour_ago),
        ):
            if not policies.phone_code_sms_allowed(
                sent_at=list(sent.values_list("created_at", flat=True)), now=now, per_hour=per_hour
            ):
                raise ValidationFailed(
                    _("We have already sent several codes in the last hour. Please try again later."),
                    code="too_many_sms",
                )
        # After the limit, and counted by it: otherwise "is this number a patient's?" could be asked without end (a
        # taken number sent no code, so it never counted). The attempt is kept as a change that never works — no
        # code, expired at once.
        if _number_taken(mobile=mobile, patient=locked):
            PhoneChange.objects.create(
                patient=locked, new_mobile=mobile, code_hash="", created_at=now, expires_at=now, channel=channel
            )
            change = None
        else:
            change = _phone_code_send(patient=locked, mobile=mobile, channel=channel, now=now)
    if change is None:  # raised after the block: the attempt that never works stays, counted by the limit
        raise Conflict(PHONE_TAKEN_MESSAGE, code="phone_taken")
    return change


def _phone_code_send(*, patient: Patient, mobile: str, channel: str, now: dt.datetime) -> PhoneChange:
    """Earlier codes stop working; a new code's change, and its SMS in the outbox (inside the caller's transaction)."""
    PhoneChange.objects.filter(patient=patient, confirmed_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    code = policies.phone_code_generate(secrets.choice)
    minutes = settings.CARENET_PHONE_CODE_MINUTES
    change = PhoneChange.objects.create(
        patient=patient,
        new_mobile=mobile,
        code_hash=_code_hash(patient_id=patient.pk, mobile=mobile, code=code),
        created_at=now,
        expires_at=now + dt.timedelta(minutes=minutes),
        channel=channel,
    )
    with translation.override(settings.LANGUAGE_CODE):
        body = gettext(
            "CareNet: your code to confirm this phone number is %(code)s. It works for %(minutes)s minutes. If "
            "you did not ask for it, ignore this message."
        ) % {"code": code, "minutes": minutes}
    outbox_enqueue(
        key=f"phone-change:{change.pk}",
        purpose="phone-change-code",
        channel="sms",
        recipient=mobile,
        body=body,
        patient=patient,
        secret=code,
        secret_expires_at=change.expires_at,
    )
    return change


def phone_change_confirm(
    *, patient: Patient, by: User | None, code: str, now: dt.datetime | None = None
) -> ContactChange:
    """ACC-8: the code from the SMS makes the new number the patient's; the change is recorded and the OLD number
    is told by SMS.

    Errors: 409 ``no_phone_change`` (nothing waiting), ``phone_taken`` (another patient took the number
    meanwhile); 422 ``code_wrong`` (counts as an attempt), ``code_expired``, ``too_many_attempts``."""
    now = now or clock.now()
    typed = "".join((code or "").split())
    outcome: policies.PhoneCodeOutcome
    with transaction.atomic():
        change = (
            PhoneChange.objects.select_for_update()
            .filter(patient=patient, confirmed_at__isnull=True)
            .exclude(code_hash="")  # a refused request for another patient's number: counted, never a code
            .order_by("-created_at", "-id")
            .first()
        )
        if change is None:
            raise Conflict(_("No new number is waiting for a code. Give the new number first."), code="no_phone_change")
        matches = (
            typed.isascii()
            and typed.isdigit()
            and len(typed) == 6
            and constant_time_compare(
                change.code_hash, _code_hash(patient_id=patient.pk, mobile=change.new_mobile, code=typed)
            )
        )
        outcome = policies.phone_code_check(
            matches=matches,
            attempts=change.attempts,
            max_attempts=settings.CARENET_PHONE_CODE_ATTEMPTS,
            expires_at=change.expires_at,
            now=now,
        )
        if outcome is policies.PhoneCodeOutcome.WRONG:
            change.attempts += 1
            change.save(update_fields=["attempts"])  # kept: the refusal below is raised after this commits
        elif outcome is policies.PhoneCodeOutcome.OK:
            return _phone_change_apply(change=change, by=by, now=now)
    raise ValidationFailed(CODE_MESSAGES[outcome], code=outcome.value)


def _phone_change_apply(*, change: PhoneChange, by: User | None, now: dt.datetime) -> ContactChange:
    locked = Patient.objects.select_for_update().get(pk=change.patient_id)
    old_mobile = locked.mobile
    if _number_taken(mobile=change.new_mobile, patient=locked):
        raise Conflict(PHONE_TAKEN_MESSAGE, code="phone_taken")
    locked.mobile = change.new_mobile
    try:
        with transaction.atomic():
            locked.save(update_fields=["mobile"])
    except IntegrityError as exc:  # another patient's confirmation committed first (patient_mobile_unique)
        raise Conflict(PHONE_TAKEN_MESSAGE, code="phone_taken") from exc
    change.confirmed_at = now
    change.save(update_fields=["confirmed_at"])
    recorded = ContactChange.objects.create(
        patient=locked,
        field=ContactChange.Field.MOBILE,
        old_value=policies.mask_phone(old_mobile),
        new_value=policies.mask_phone(change.new_mobile),
        at=now,
        by=by,
        channel=change.channel,
    )
    if old_mobile:
        with translation.override(settings.LANGUAGE_CODE):
            body = gettext(
                "CareNet: the phone number on your account was changed to %(new)s; messages go there from now on. "
                "If you did not change it, call the call centre: %(phone)s."
            ) % {"new": policies.mask_phone(change.new_mobile), "phone": settings.CARENET_CALL_CENTRE_PHONE}
        outbox_enqueue(
            key=f"phone-changed:{change.pk}",
            purpose="phone-changed",
            channel="sms",
            recipient=old_mobile,
            body=body,
            patient=locked,
        )
    return recorded


# --- Consents ---------------------------------------------------------------------------------------------------


def consents_set(
    *,
    patient: Patient,
    by: User | None,
    decisions: Mapping[str, bool],
    channel: str = ChangeChannel.PORTAL,
    now: dt.datetime | None = None,
) -> list[Consent]:
    """ACC-8: give or withdraw consents; a decision equal to the state in force records nothing. Returns the new
    rows. Error: 422 ``consent_unknown``."""
    now = now or clock.now()
    kinds = {kind.value for kind in ConsentKind}
    unknown = sorted(set(decisions) - kinds)
    if unknown:
        raise ValidationFailed(_("Unknown consent."), code="consent_unknown", details={"kinds": unknown})
    recorded: list[Consent] = []
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)  # one decision at a time per patient
        current = {row.kind: row for row in Consent.objects.filter(patient=locked, current=True)}
        for kind in ConsentKind:
            if kind.value not in decisions:
                continue
            granted = bool(decisions[kind.value])
            row = current.get(kind.value)
            in_force = row.granted if row else policies.CONSENT_DEFAULTS[policies.ConsentKind(kind.value)]
            if row is not None and row.granted == granted:
                continue
            if row is None and in_force == granted:
                continue
            if row is not None:
                Consent.objects.filter(pk=row.pk).update(current=False)
            recorded.append(
                Consent.objects.create(
                    patient=locked, kind=kind.value, granted=granted, at=now, by=by, channel=channel, current=True
                )
            )
    return recorded
