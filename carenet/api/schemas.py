"""Explicit input and output schemas of the API: what a client sends and sees, nothing more (no model dumps)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict

from carenet.core.validation import DbId, Text


class Out(BaseModel):
    """The base of every answer: a plain pydantic model. django-ninja's ``Schema`` wraps each object it validates
    in a ``DjangoGetter`` (Python attribute lookups per field and per nested object) and validates an answer a second
    time when the endpoint returns it; a plain model built once is passed through as it is. On a search page of 20
    slots that was about a fifth of the request's time (B1). Inputs stay ``Schema``."""

    model_config = ConfigDict(from_attributes=True)


class ErrorOut(Out):
    """Every refusal: a stable ``code`` for programs and a translated ``message`` for people."""

    code: str = Field(..., examples=["slot_taken"])
    message: str


class InvalidInputOut(ErrorOut):
    """A request the API could not read (``code`` is ``invalid_input``), with where and why."""

    details: list[dict[str, Any]] = Field(default_factory=list)


# --- Authentication --------------------------------------------------------------------------------------------
class TokenIn(Schema):
    login: Text = Field(..., min_length=1, max_length=150)
    password: Text = Field(..., min_length=1, max_length=256)
    name: Text = Field("", max_length=100, description="What the token is for, e.g. the phone's name.")


class TokenOut(Out):
    token: str = Field(..., description="Send as `Authorization: Bearer <token>`. Shown only once.")
    token_type: str = "bearer"  # noqa: S105 - the scheme name, not a secret
    expires_at: dt.datetime


# --- Slots -----------------------------------------------------------------------------------------------------
class SpecialtyOut(Out):
    code: str
    name: str
    name_en: str = Field("", description="The English name (BEY-5); empty when the catalogue has none.")


class ClinicianOut(Out):
    id: int
    name: str
    title: str


class FacilityOut(Out):
    id: int
    name: str
    address: str
    city: str


class ServiceOut(Out):
    id: int
    code: str
    name: str
    kind: str
    name_en: str = Field("", description="The English name (BEY-5); empty when the catalogue has none.")


class CoverageOut(Out):
    """PKG-4 for this patient and this visit: ``status`` is the one-word answer; the rest explains it."""

    status: str = Field(
        ...,
        description="covered, within_limit, once_a_year, discounted, paid, referral_required, not_entitled, "
        "age_not_allowed or unknown (no patient given)",
    )
    kind: str | None = Field(None, description="The package's rule: covered, within_limit, once_a_year, ...")
    price: Decimal | None = None
    price_to_pay: Decimal | None = None
    limit: int | None = None
    used: int | None = None
    left: int | None = None
    discount_percent: int | None = None
    requires_referral: bool = False


class SlotOut(Out):
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    mode: str
    specialty: SpecialtyOut
    clinician: ClinicianOut
    facility: FacilityOut | None = Field(None, description="None for a remote (phone or video) consultation.")
    room: str | None = None
    service: ServiceOut | None = None
    coverage: CoverageOut
    preparation: str = Field("", description="SCH-4: how to prepare for the exam.")
    preparation_en: str = Field("", description="The same in English (BEY-5); empty when the catalogue has none.")


class PartnerOut(Out):
    """NET-2: not bookable online — phone it."""

    id: int
    name: str
    city: str
    address: str
    phone: str
    scope: str
    offers_telemedicine: bool
    scope_en: str = Field("", description="The scope of services in English (BEY-5); empty when it has none.")


class SlotPageOut(Out):
    results: list[SlotOut]
    page: int
    page_size: int
    has_next: bool
    partners: list[PartnerOut]


# --- Appointments ----------------------------------------------------------------------------------------------
class AppointmentSlotOut(Out):
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    mode: str
    clinician: ClinicianOut
    facility: FacilityOut | None = None
    room: str | None = None


class AppointmentOut(Out):
    id: int
    status: str
    patient_id: int
    patient_name: str
    slot: AppointmentSlotOut
    service: ServiceOut
    channel: str
    price: Decimal
    coverage_kind: str
    hold_expires_at: dt.datetime | None = None
    created_at: dt.datetime
    cancelled_at: dt.datetime | None = None
    rescheduled_from_id: int | None = None
    preparation: str = ""
    preparation_en: str = Field("", description="The preparation in English (BEY-5); empty when there is none.")


class AppointmentListOut(Out):
    results: list[AppointmentOut]


class OccupationalIn(BaseModel):
    """BKG-6: the employer's referral data for an occupational-medicine exam. A plain pydantic model, not a ninja
    ``Schema``: a ``Schema`` reads any object by its attributes, so ``"x"``, ``5``, ``[]`` or ``true`` passed as an
    empty referral and the booking was stored (issue 10); this one takes a JSON object only."""

    employer_name: Text = Field("", max_length=200)
    employer_nip: Text = Field("", max_length=20, description="The employer's tax number (NIP).")
    referral_number: Text = Field("", max_length=60)


class BookIn(Schema):
    slot_id: DbId
    service_id: DbId | None = None
    patient_id: DbId | None = Field(None, description="A child of the caller, or (staff) the patient acted for.")
    accept_price: bool = Field(False, description="PKG-4: the patient accepts the price shown for a paid visit.")
    referral_id: DbId | None = None
    occupational: OccupationalIn | None = None


class HoldIn(Schema):
    slot_id: DbId
    service_id: DbId | None = None
    patient_id: DbId | None = None


class ConfirmIn(Schema):
    accept_price: bool = False
    referral_id: DbId | None = None
    occupational: OccupationalIn | None = None


class RescheduleIn(Schema):
    new_slot_id: DbId
    accept_price: bool = False
    referral_id: DbId | None = None
