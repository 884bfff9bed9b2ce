"""``/appointments``: a patient's visits and the booking use cases (BKG-1..6, CXL-1), each one service call.

Every write accepts an ``Idempotency-Key`` header (see :mod:`carenet.api.idempotency`). Naming another patient, or
an appointment one may not see, answers 404 — the same as something that does not exist.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Header, Query, Router, Schema, Status

from carenet.accounts.permissions import Action, Actor
from carenet.accounts.policies import Feature
from carenet.accounts.selectors import patient_feature_check
from carenet.api.access import (
    access_patient,
    channel_for,
    family_of,
    may_act_for_patients,
    request_actor,
    role_not_allowed,
)
from carenet.api.auth import USER_AUTH
from carenet.api.idempotency import HEADER, Answer, idempotent
from carenet.api.routers.slots import clinician_out, facility_out
from carenet.api.schemas import (
    AppointmentListOut,
    AppointmentOut,
    AppointmentSlotOut,
    BookIn,
    ConfirmIn,
    ErrorOut,
    HoldIn,
    InvalidInputOut,
    OccupationalIn,
    RescheduleIn,
    ServiceOut,
)
from carenet.booking import policies as booking_policies
from carenet.booking import selectors, services
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.core.validation import DbId, Text
from carenet.web.reads import What, record_reads

router = Router(tags=["appointments"], auth=USER_AUTH)

READ_ERRORS: dict[int, type] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: InvalidInputOut}
WRITE_ERRORS: dict[int, type] = {**READ_ERRORS, 409: ErrorOut}
IDEMPOTENCY_KEY = Header(
    None,
    alias=HEADER,
    description="Any unique string (a UUID). A retry with the same key and body replays the first answer (a retry "
    "sent while the first is still running waits for it); the same key with another body answers 422 "
    "idempotency_key_reused.",
)


class AppointmentListIn(Schema):
    patient_id: DbId | None = Field(
        None, description="Default: the caller and their children. Staff (call centre, reception) must name one."
    )
    upcoming: bool = Field(True, description="Planned visits (true) or past ones (false).")


def appointment_out(appointment: Appointment) -> AppointmentOut:
    slot, service = appointment.slot, appointment.service
    return AppointmentOut(
        id=appointment.pk,
        status=appointment.status,
        patient_id=appointment.patient_id,
        patient_name=appointment.patient.full_name,
        slot=AppointmentSlotOut(
            id=slot.pk,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            mode=slot.mode,
            clinician=clinician_out(slot.clinician),
            facility=facility_out(slot.facility),
            room=slot.room.number if slot.room is not None else None,
        ),
        service=ServiceOut(
            id=service.pk, code=service.code, name=service.name, kind=service.kind, name_en=service.name_en
        ),
        channel=appointment.channel,
        price=appointment.price,
        coverage_kind=appointment.coverage_kind,
        hold_expires_at=appointment.hold_expires_at,
        created_at=appointment.created_at,
        cancelled_at=appointment.cancelled_at,
        rescheduled_from_id=appointment.rescheduled_from_id,
        preparation=service.preparation,
        preparation_en=service.preparation_en,
    )


def _reloaded(appointment: Appointment) -> AppointmentOut:
    """The answer of a write, from the service's own appointment: what it does not carry yet is read by primary
    key (a booking carries it all — the slot was read with its details under its lock — and costs no query; a
    seven-table reload cost milliseconds of planning, B3)."""
    return appointment_out(selectors.appointment_details_load([appointment])[0])


def occupational_of(data: OccupationalIn | None) -> services.OccupationalReferral | None:
    return services.OccupationalReferral(**data.model_dump()) if data is not None else None


def _require_acting_role(actor: Actor) -> None:
    if not may_act_for_patients(actor):
        raise role_not_allowed()


@router.get("/appointments", response={200: AppointmentListOut, **READ_ERRORS}, summary="List visits")
def appointment_list(request: HttpRequest, filters: Query[AppointmentListIn]) -> AppointmentListOut:
    """A patient's planned (or past) visits: their own and their children's; staff name the patient. A
    receptionist sees the visits at their own facility. Past visits are visit history: a level I patient gets 403
    `level_two_required` (ACC-4)."""
    actor, who = request_actor(request)
    now = clock.now()
    if who.grant(Action.PORTAL_USE) is not None and filters.patient_id is None:
        patients = family_of(actor=who)
    else:
        patients = [access_patient(actor=actor, patient_id=filters.patient_id)]
    if not filters.upcoming:  # ACC-4: visit history is for level II (403 level_two_required), after access (404)
        patient_feature_check(user=actor, feature=Feature.VISIT_HISTORY)
    found: list[Appointment] = []
    for patient in patients:
        # The same visibility as one appointment's (a receptionist sees the visits at their facility).
        found.extend(
            selectors.appointment_list_visible(actor=actor, patient=patient, upcoming=filters.upcoming, now=now)
        )
    record_reads(request, patient_ids=[appointment.patient_id for appointment in found], what=What.API_LIST)
    # What the answer shows is read by primary key for every listed visit at once (issue 5, B4).
    return AppointmentListOut(results=[appointment_out(a) for a in selectors.appointment_details_load(found)])


@router.get("/appointments/{int:appointment_id}", response={200: AppointmentOut, **READ_ERRORS}, summary="One visit")
def appointment_detail(request: HttpRequest, appointment_id: DbId) -> AppointmentOut:
    """One visit the caller may see (404 `appointment_not_found` otherwise). A visit that is history — ended, or
    no longer upcoming (cancelled, no-show, refused …) — answers a level I patient 403 `level_two_required`
    (ACC-4)."""
    actor, _who = request_actor(request)
    appointment = selectors.access_appointment(actor=actor, appointment_id=appointment_id)
    if booking_policies.appointment_is_history(
        status=appointment.status, ends_at=appointment.slot.ends_at, now=clock.now()
    ):  # ACC-4: history is for level II
        patient_feature_check(user=actor, feature=Feature.VISIT_HISTORY)
    record_reads(request, patient_ids=[appointment.patient_id], what=What.API_DETAIL, reference=appointment.pk)
    return _reloaded(appointment)


@router.post("/appointments", response={201: AppointmentOut, **WRITE_ERRORS}, summary="Book a slot")
def appointment_book(request: HttpRequest, payload: BookIn, idempotency_key: Text | None = IDEMPOTENCY_KEY) -> Status:
    """BKG-3: book a free slot for the caller, their child, or (staff) the patient named. Refusals: 422
    `no_entitlement`, `limit_used`, `referral_required`, `level_one_cap`, `no_show_block`, `facility_partner`,
    `facility_closed`, `slot_in_past`, `price_not_accepted`, `age_not_allowed`, `occupational_referral_required`;
    404 `slot_not_found`, `patient_not_found`; 409 `slot_taken`."""
    actor, who = request_actor(request)

    def run() -> Answer:
        _require_acting_role(who)
        patient = access_patient(actor=actor, patient_id=payload.patient_id)
        appointment = services.appointment_book(
            actor=actor,
            patient=patient,
            slot_id=payload.slot_id,
            service_id=payload.service_id,
            channel=channel_for(request, who),
            accept_price=payload.accept_price,
            referral_id=payload.referral_id,
            occupational=occupational_of(payload.occupational),
        )
        return 201, _reloaded(appointment)

    return idempotent(request, user=actor, key=idempotency_key, run=run)


@router.post("/appointments/hold", response={201: AppointmentOut, **WRITE_ERRORS}, summary="Hold a slot")
def appointment_hold(request: HttpRequest, payload: HoldIn, idempotency_key: Text | None = IDEMPOTENCY_KEY) -> Status:
    """Hold a free slot for a few minutes (status `held`, `hold_expires_at`) while the patient confirms."""
    actor, who = request_actor(request)

    def run() -> Answer:
        _require_acting_role(who)
        patient = access_patient(actor=actor, patient_id=payload.patient_id)
        appointment = services.appointment_hold(
            actor=actor,
            patient=patient,
            slot_id=payload.slot_id,
            service_id=payload.service_id,
            channel=channel_for(request, who),
        )
        return 201, _reloaded(appointment)

    return idempotent(request, user=actor, key=idempotency_key, run=run)


@router.post(
    "/appointments/{int:appointment_id}/confirm",
    response={200: AppointmentOut, **WRITE_ERRORS},
    summary="Confirm a hold",
)
def appointment_confirm(
    request: HttpRequest, appointment_id: DbId, payload: ConfirmIn, idempotency_key: Text | None = IDEMPOTENCY_KEY
) -> Status:
    """Turn a hold into a booking (409 `hold_expired` when too late; the booking refusals apply)."""
    actor, who = request_actor(request)

    def run() -> Answer:
        _require_acting_role(who)
        appointment = services.appointment_confirm(
            actor=actor,
            appointment_id=appointment_id,
            accept_price=payload.accept_price,
            referral_id=payload.referral_id,
            occupational=occupational_of(payload.occupational),
        )
        return 200, _reloaded(appointment)

    return idempotent(request, user=actor, key=idempotency_key, run=run)


@router.post(
    "/appointments/{int:appointment_id}/reschedule",
    response={200: AppointmentOut, **WRITE_ERRORS},
    summary="Move a visit to another slot",
)
def appointment_reschedule(
    request: HttpRequest, appointment_id: DbId, payload: RescheduleIn, idempotency_key: Text | None = IDEMPOTENCY_KEY
) -> Status:
    """Take the new slot, then release the old one, in one step: the answer is the new appointment."""
    actor, who = request_actor(request)

    def run() -> Answer:
        _require_acting_role(who)
        appointment = services.appointment_reschedule(
            actor=actor,
            appointment_id=appointment_id,
            new_slot_id=payload.new_slot_id,
            channel=channel_for(request, who),
            accept_price=payload.accept_price,
            referral_id=payload.referral_id,
        )
        return 200, _reloaded(appointment)

    return idempotent(request, user=actor, key=idempotency_key, run=run)


@router.post(
    "/appointments/{int:appointment_id}/cancel",
    response={200: AppointmentOut, **WRITE_ERRORS},
    summary="Cancel a visit",
)
def appointment_cancel(
    request: HttpRequest, appointment_id: DbId, idempotency_key: Text | None = IDEMPOTENCY_KEY
) -> Status:
    """CXL-1: cancel a visit; the slot is free for others at once."""
    actor, who = request_actor(request)

    def run() -> Answer:
        _require_acting_role(who)
        appointment = services.appointment_cancel(
            actor=actor, appointment_id=appointment_id, channel=channel_for(request, who)
        )
        return 200, _reloaded(appointment)

    return idempotent(request, user=actor, key=idempotency_key, run=run)
