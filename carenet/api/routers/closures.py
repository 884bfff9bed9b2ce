"""``/closure-notices``: NET-3 in the app — the visits a facility's closure cancelled, each with its alternatives
(the same service at the nearest open facilities, and by telemedicine, earliest first), and the one-tap rebooking
(the closures service, which books through the booking service: every rule of BKG-3, the referral carried over).

A patient sees their own and their children's notices; the rebooking answers the new visit. A notice one may not
act for answers 404 ``not_found``, as one that does not exist.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from carenet.accounts.permissions import Action
from carenet.api.access import channel_for, family_of, request_actor, role_not_allowed
from carenet.api.auth import USER_AUTH
from carenet.api.idempotency import Answer, idempotent
from carenet.api.routers.appointments import IDEMPOTENCY_KEY, READ_ERRORS, WRITE_ERRORS, _reloaded
from carenet.api.routers.slots import clinician_out, facility_out
from carenet.api.schemas import AppointmentOut, ClinicianOut, FacilityOut, Out, ServiceOut
from carenet.closures import selectors, services
from carenet.closures.models import ClosureNotice
from carenet.core import clock
from carenet.core.validation import DbId, Text
from carenet.web.reads import What, record_reads

router = Router(tags=["closures"], auth=USER_AUTH)


class AlternativeOut(Out):
    slot_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    mode: str
    clinician: ClinicianOut
    facility: FacilityOut | None = None
    distance_km: float | None = Field(None, description="From the closed facility; none for telemedicine.")


class CancelledVisitOut(Out):
    appointment_id: int
    starts_at: dt.datetime
    service: ServiceOut
    clinician: ClinicianOut


class ClosureNoticeOut(Out):
    id: int
    patient_id: int
    patient_name: str
    facility: FacilityOut
    reason: str
    closed_from: dt.datetime
    closed_until: dt.datetime
    cancelled_visit: CancelledVisitOut
    referral_carried_over: bool
    rebooked_appointment_id: int | None = None
    in_person: list[AlternativeOut] = Field(default_factory=list, description="Nearest open facilities first.")
    telemedicine: list[AlternativeOut] = Field(default_factory=list, description="Phone and video, earliest first.")


class ClosureNoticeListOut(Out):
    results: list[ClosureNoticeOut]


class RebookIn(Schema):
    slot_id: DbId = Field(..., description="One of the notice's alternatives (any free slot the rules allow).")


def _alternative(item: selectors.Alternative) -> AlternativeOut:
    slot = item.slot
    return AlternativeOut(
        slot_id=slot.pk,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        mode=slot.mode,
        clinician=clinician_out(slot.clinician),
        facility=facility_out(slot.facility),
        distance_km=round(item.distance_km, 1) if item.distance_km is not None else None,
    )


def notice_out(notice: ClosureNotice, *, now: dt.datetime) -> ClosureNoticeOut:
    visit, closure = notice.appointment, notice.closure
    service = visit.service
    found = selectors.alternatives(notice=notice, now=now) if notice.rebooked_id is None else None
    facility = facility_out(closure.facility)
    assert facility is not None
    return ClosureNoticeOut(
        id=notice.pk,
        patient_id=notice.patient_id,
        patient_name=notice.patient.full_name,
        facility=facility,
        reason=closure.reason,
        closed_from=closure.starts_at,
        closed_until=min(closure.ends_at, closure.reopened_at) if closure.reopened_at else closure.ends_at,
        cancelled_visit=CancelledVisitOut(
            appointment_id=visit.pk,
            starts_at=visit.slot.starts_at,
            service=ServiceOut(
                id=service.pk, code=service.code, name=service.name, kind=service.kind, name_en=service.name_en
            ),
            clinician=clinician_out(visit.slot.clinician),
        ),
        referral_carried_over=notice.referral_id is not None,
        rebooked_appointment_id=notice.rebooked_id,
        in_person=[_alternative(item) for item in found.in_person] if found else [],
        telemedicine=[_alternative(item) for item in found.remote] if found else [],
    )


@router.get(
    "/closure-notices", response={200: ClosureNoticeListOut, **READ_ERRORS}, summary="Visits cancelled by closures"
)
def closure_notice_list(request: HttpRequest) -> ClosureNoticeListOut:
    """NET-3: the caller's and their children's visits cancelled because a facility closed, not rebooked first,
    each with its alternatives. Patients only (403 `role_not_allowed` for staff: they use the consoles)."""
    _actor, who = request_actor(request)
    if who.grant(Action.PORTAL_USE) is None:
        raise role_not_allowed()
    family = family_of(actor=who)
    notices = selectors.notices_for_patients(patient_ids=[person.pk for person in family])
    record_reads(request, patient_ids=[notice.patient_id for notice in notices], what=What.API_LIST)
    now = clock.now()
    return ClosureNoticeListOut(results=[notice_out(notice, now=now) for notice in notices])


@router.post(
    "/closure-notices/{int:notice_id}/rebook",
    response={201: AppointmentOut, **WRITE_ERRORS},
    summary="Rebook a visit a closure cancelled",
)
def closure_notice_rebook(
    request: HttpRequest, notice_id: DbId, payload: RebookIn, idempotency_key: Text | None = IDEMPOTENCY_KEY
) -> Status:
    """One tap: book the slot for the cancelled visit's patient with its service (where the slot offers it) and its
    referral; the annual-limit unit came back with the cancellation (PKG-5). Refusals: 404 `not_found`,
    `slot_not_found`; 409 `slot_taken`, `already_rebooked`; 422 the booking's own codes (`facility_closed`,
    `no_entitlement`, `limit_used`, `referral_required`, …)."""
    actor, who = request_actor(request)

    def run() -> Answer:
        appointment = services.closure_rebook(
            actor=actor, notice_id=notice_id, slot_id=payload.slot_id, channel=channel_for(request, who)
        )
        return 201, _reloaded(appointment)

    return idempotent(request, user=actor, key=idempotency_key, run=run)
