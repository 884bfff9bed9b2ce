"""``/me/contact-data`` and ``/me/consents`` (ACC-8): the patient's own contact data and consents, for the mobile app.

Only the caller's own (a patient with an active package, ACC-7: 403 ``package_inactive``); staff roles answer 403
``role_not_allowed``. A new mobile number is confirmed with the code sent to it by SMS: ``POST
/me/contact-data/phone`` sends it, ``POST /me/contact-data/phone/confirm`` checks it; until then the old number stays
in use. Every change is recorded (``history``)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import BaseModel, StrictBool

from carenet.accounts import contact
from carenet.accounts.models import ChangeChannel, Patient, User
from carenet.accounts.permissions import Action, Scope
from carenet.accounts.policies import mask_phone
from carenet.api.access import request_actor, role_not_allowed
from carenet.api.auth import USER_AUTH
from carenet.api.schemas import ErrorOut, InvalidInputOut, Out
from carenet.core.validation import Text

router = Router(tags=["account"], auth=USER_AUTH)

ERRORS: dict[int, type] = {401: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: InvalidInputOut}


class ContactChangeOut(Out):
    at: dt.datetime
    field: str = Field(..., description="mobile, email or address.")
    old_value: str = Field(..., description="Masked.")
    new_value: str = Field(..., description="Masked.")
    channel: str = Field(..., description="portal, api, call_centre, back_office or demo.")


class PendingPhoneOut(Out):
    mobile: str = Field(..., description="The new number waiting for its code, masked.")
    expires_at: dt.datetime


class ContactDataOut(Out):
    mobile: str = Field(..., description="The number in use for every SMS (E.164).")
    pending_phone: PendingPhoneOut | None = Field(None, description="A new number waiting for its code.")
    email: str
    street: str
    postcode: str
    city: str
    history: list[ContactChangeOut] = Field(..., description="Latest first.")


class ContactDataIn(BaseModel):
    """Plain pydantic, not a ninja ``Schema``: a ``Schema`` reads any JSON value by its attributes, so ``[]``, ``"x"``
    or ``5`` passed as "nothing to change" with 200; only a JSON object is a change (422 otherwise)."""

    email: Text | None = Field(None, max_length=254, description="Omitted: unchanged; empty: removed.")
    street: Text | None = Field(None, max_length=120)
    postcode: Text | None = Field(None, max_length=10, description="00-000.")
    city: Text | None = Field(None, max_length=60)


class PhoneChangeIn(Schema):
    mobile: Text = Field(..., min_length=1, max_length=32, description="Polish mobile, or a foreign one in E.164.")


class PhoneCodeIn(Schema):
    code: Text = Field(..., min_length=1, max_length=12)


class ConsentOut(Out):
    kind: str = Field(..., description="sms_notices, email_notices or marketing.")
    granted: bool
    at: dt.datetime | None = Field(None, description="When last given or withdrawn; null: the default applies.")


class ConsentDecisionOut(Out):
    kind: str
    granted: bool
    at: dt.datetime
    channel: str


class ConsentsOut(Out):
    consents: list[ConsentOut]
    history: list[ConsentDecisionOut] = Field(..., description="Latest first.")


class ConsentsIn(BaseModel):
    """A JSON object of JSON booleans only (``"yes"``, ``1`` or ``[]`` are not a decision: 422), see
    :class:`ContactDataIn`."""

    sms_notices: StrictBool | None = Field(
        None, description="Reminders, check-in questions, survey invitations by SMS."
    )
    email_notices: StrictBool | None = None
    marketing: StrictBool | None = None


def _me(request: HttpRequest) -> tuple[User, Patient]:
    user, actor = request_actor(request)  # ACC-7: 403 package_inactive
    if actor.scope(Action.CONTACT_DATA_EDIT) is not Scope.OWN or actor.patient_id is None:
        raise role_not_allowed()
    return user, Patient.objects.get(pk=actor.patient_id)


def _contact_out(patient: Patient) -> ContactDataOut:
    pending = contact.phone_change_pending(patient=patient)
    return ContactDataOut(
        mobile=patient.mobile,
        pending_phone=PendingPhoneOut(mobile=mask_phone(pending.new_mobile), expires_at=pending.expires_at)
        if pending is not None
        else None,
        email=patient.email,
        street=patient.street,
        postcode=patient.postcode,
        city=patient.city,
        history=[
            ContactChangeOut(
                at=row.at, field=row.field, old_value=row.old_value, new_value=row.new_value, channel=row.channel
            )
            for row in contact.contact_history(patient=patient)
        ],
    )


def _consents_out(patient: Patient) -> ConsentsOut:
    return ConsentsOut(
        consents=[
            ConsentOut(kind=state.kind, granted=state.granted, at=state.at)
            for state in contact.consent_states(patient=patient)
        ],
        history=[
            ConsentDecisionOut(kind=row.kind, granted=row.granted, at=row.at, channel=row.channel)
            for row in contact.consent_history(patient=patient)
        ],
    )


@router.get("/me/contact-data", response={200: ContactDataOut, **ERRORS}, summary="Your contact data")
def contact_data(request: HttpRequest) -> ContactDataOut:
    """ACC-8: the number in use, a new one waiting for its code, e-mail, address and the history of changes.
    Errors: 403 `package_inactive`, `role_not_allowed`."""
    _user, patient = _me(request)
    return _contact_out(patient)


@router.patch("/me/contact-data", response={200: ContactDataOut, **ERRORS}, summary="Change your e-mail or address")
def contact_data_update(request: HttpRequest, payload: ContactDataIn) -> ContactDataOut:
    """ACC-8: fields omitted stay as they are; the address is all three parts or none. A changed e-mail is told to
    the old address. Errors: 403 `package_inactive`, `role_not_allowed`; 422 `email_invalid`, `postcode_invalid`,
    `address_incomplete`, `street_invalid`, `city_invalid`."""
    user, patient = _me(request)
    contact.contact_data_update(
        patient=patient,
        by=user,
        email=patient.email if payload.email is None else payload.email,
        street=patient.street if payload.street is None else payload.street,
        postcode=patient.postcode if payload.postcode is None else payload.postcode,
        city=patient.city if payload.city is None else payload.city,
        channel=ChangeChannel.API,
    )
    patient.refresh_from_db()
    return _contact_out(patient)


@router.post(
    "/me/contact-data/phone",
    response={202: PendingPhoneOut, **ERRORS},
    summary="Change your mobile number: send a code to it",
)
def contact_data_phone(request: HttpRequest, payload: PhoneChangeIn) -> Status:
    """ACC-8: a six-digit code goes by SMS to the new number (earlier codes stop working); the old number stays in
    use until it is confirmed. Errors: 403 `package_inactive`, `role_not_allowed`; 409 `phone_taken`; 422
    `phone_format`, `phone_not_mobile`, `phone_unchanged`, `too_many_sms`."""
    _user, patient = _me(request)
    change = contact.phone_change_request(patient=patient, new_mobile=payload.mobile, channel=ChangeChannel.API)
    return Status(202, PendingPhoneOut(mobile=mask_phone(change.new_mobile), expires_at=change.expires_at))


@router.post(
    "/me/contact-data/phone/confirm",
    response={200: ContactDataOut, **ERRORS},
    summary="Confirm your new mobile number with the code",
)
def contact_data_phone_confirm(request: HttpRequest, payload: PhoneCodeIn) -> ContactDataOut:
    """ACC-8: the code from the SMS makes the new number the one in use. Errors: 403 `package_inactive`,
    `role_not_allowed`; 409 `no_phone_change`, `phone_taken`; 422 `code_wrong`, `code_expired`,
    `too_many_attempts`."""
    user, patient = _me(request)
    contact.phone_change_confirm(patient=patient, by=user, code=payload.code)
    patient.refresh_from_db()
    return _contact_out(patient)


@router.get("/me/consents", response={200: ConsentsOut, **ERRORS}, summary="Your consents")
def consents(request: HttpRequest) -> ConsentsOut:
    """ACC-8: SMS notices, e-mail notices and marketing — each in force or not, since when — and the history.
    Errors: 403 `package_inactive`, `role_not_allowed`."""
    _user, patient = _me(request)
    return _consents_out(patient)


@router.put("/me/consents", response={200: ConsentsOut, **ERRORS}, summary="Give or withdraw consents")
def consents_update(request: HttpRequest, payload: ConsentsIn) -> ConsentsOut:
    """ACC-8: the consents named change (null or omitted: unchanged); a decision equal to the state in force records
    nothing. Transactional messages (passwords, codes, booking confirmations, closure notices) are always sent.
    Errors: 403 `package_inactive`, `role_not_allowed`."""
    user, patient = _me(request)
    decisions = {kind: value for kind, value in payload.model_dump().items() if value is not None}
    contact.consents_set(patient=patient, by=user, decisions=decisions, channel=ChangeChannel.API)
    return _consents_out(patient)
