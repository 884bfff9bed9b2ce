"""``/pregnancy-requests``: pregnancy care elsewhere in the app (BKG-7): the patient's requests with their status and
answer, and a new request — one service call each.

A patient files for themself (``patient_id`` defaults to themself); the call centre names the patient. Naming a
patient one may not act for answers 404 ``patient_not_found``, as for one that does not exist. Staff reads are
recorded.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Header, Query, Router, Schema, Status

from carenet.accounts.permissions import Action, Actor, Channel
from carenet.api.access import request_actor
from carenet.api.auth import TOKEN, USER_AUTH, auth_method
from carenet.api.idempotency import HEADER, Answer, idempotent
from carenet.api.schemas import ErrorOut, InvalidInputOut, Out
from carenet.core.errors import NotFound, PermissionDenied, ValidationFailed
from carenet.core.validation import DbId, Text
from carenet.pregnancy import selectors, services
from carenet.pregnancy.models import PregnancyRequest
from carenet.pregnancy.policies import NAME_MAX_LENGTH, NOTE_MAX_LENGTH
from carenet.web.reads import What, record_reads

router = Router(tags=["pregnancy"], auth=USER_AUTH)

READ_ERRORS: dict[int, type] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: InvalidInputOut}
WRITE_ERRORS: dict[int, type] = {**READ_ERRORS, 409: ErrorOut}
IDEMPOTENCY_KEY = Header(
    None,
    alias=HEADER,
    description="Any unique string (a UUID). A retry with the same key and body replays the first answer; the same "
    "key with another body answers 422 idempotency_key_reused.",
)


class PatientIn(Schema):
    patient_id: DbId | None = Field(None, description="Default: the caller (a patient). Staff must name one.")


class PregnancyRequestIn(Schema):
    patient_id: DbId | None = Field(None, description="Default: the caller. The call centre names the patient.")
    name: Text = Field(..., max_length=NAME_MAX_LENGTH, description="The patient's name.")
    phone: Text = Field(..., max_length=20, description="A phone the coordinators call or text, e.g. 601 234 567.")
    failed_facility_id: DbId | None = Field(None, description="The facility that could not see the patient.")
    wanted_city_id: DbId = Field(..., description="The city where the patient wants the visit.")
    mode: Literal["in_person", "telemedicine"] = Field(..., description="In person or by telemedicine.")
    note: Text = Field("", max_length=NOTE_MAX_LENGTH, description="An optional note for the coordinators.")


class PregnancyRequestOut(Out):
    id: int
    patient_id: int
    name: str
    phone: str
    failed_facility_id: int | None
    wanted_city_id: int
    wanted_city: str
    mode: str = Field(..., description="in_person or telemedicine.")
    note: str
    channel: str
    status: str = Field(..., description="open, booked (appointment_id) or declined (reason).")
    appointment_id: int | None
    reason: str | None = Field(None, description="Why no visit was arranged (declined only).")
    created_at: dt.datetime
    resolved_at: dt.datetime | None


class PregnancyRequestListOut(Out):
    results: list[PregnancyRequestOut]


def request_out(item: PregnancyRequest) -> PregnancyRequestOut:
    return PregnancyRequestOut(
        id=item.pk,
        patient_id=item.patient_id,
        name=item.name,
        phone=item.phone,
        failed_facility_id=item.failed_facility_id,
        wanted_city_id=item.wanted_city_id,
        wanted_city=item.wanted_city.name,
        mode=item.mode,
        note=item.note,
        channel=item.channel,
        status=item.status,
        appointment_id=item.appointment_id,
        reason=item.reason or None,
        created_at=item.created_at,
        resolved_at=item.resolved_at,
    )


def _patient_id(actor: Actor, patient_id: int | None, *, action: Action) -> int:
    if not actor.can(action):
        raise PermissionDenied(_("Your role does not do this."), code="role_not_allowed")
    if patient_id is None:
        if actor.patient_id is None:
            raise ValidationFailed(_("Name the patient you act for (patient_id)."), code="patient_id_required")
        return actor.patient_id
    if not actor.reaches(action, patient_id=patient_id):
        raise NotFound(_("No such patient."), code="patient_not_found")
    return patient_id


@router.get(
    "/pregnancy-requests", response={200: PregnancyRequestListOut, **READ_ERRORS}, summary="List pregnancy requests"
)
def pregnancy_request_list(request: HttpRequest, filters: Query[PatientIn]) -> PregnancyRequestListOut:
    """BKG-7: the patient's requests for pregnancy care elsewhere, newest first, with their status — the booked
    visit or the reason."""
    _user, actor = request_actor(request)
    patient_id = _patient_id(actor, filters.patient_id, action=Action.PREGNANCY_REQUEST_VIEW)
    found = selectors.pregnancy_request_list(patient_ids=[patient_id])
    record_reads(request, patient_ids=[patient_id], what=What.API_LIST, reference="pregnancy")
    return PregnancyRequestListOut(results=[request_out(item) for item in found])


@router.post(
    "/pregnancy-requests", response={201: PregnancyRequestOut, **WRITE_ERRORS}, summary="Request pregnancy care"
)
def pregnancy_request_file(
    request: HttpRequest, payload: PregnancyRequestIn, idempotency_key: Text | None = IDEMPOTENCY_KEY
) -> Status:
    """BKG-7: when the facility where the pregnancy is led cannot see the patient, a request to the coordinators:
    they arrange a visit (in person in the wanted city or by telemedicine) or answer with a reason, by SMS.
    Refusals: 403 `role_not_allowed`; 404 `patient_not_found`, `facility_not_found`; 422 `pregnancy_name_required`,
    `pregnancy_phone_invalid`, `pregnancy_city_required`, `pregnancy_note_too_long`, `patient_id_required`; 409
    `pregnancy_request_already_open`."""
    user, actor = request_actor(request)
    door = Channel.MOBILE if auth_method(request) == TOKEN else Channel.PORTAL

    def run() -> Answer:
        patient_id = _patient_id(actor, payload.patient_id, action=Action.PREGNANCY_REQUEST_FILE)
        filed = services.pregnancy_request_file(
            actor=actor,
            patient_id=patient_id,
            form=services.RequestForm(
                name=payload.name,
                phone=payload.phone,
                wanted_city_id=payload.wanted_city_id,
                mode=payload.mode,
                failed_facility_id=payload.failed_facility_id,
                note=payload.note,
            ),
            door=door,
        )
        return 201, request_out(filed)

    return idempotent(request, user=user, key=idempotency_key, run=run)
