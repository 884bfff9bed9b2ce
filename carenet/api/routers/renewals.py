"""``/renewals``: "Zamów receptę" in the app (CLN-2, ACC-4 level II): the drugs a patient may order a renewal of,
their orders with the answers, and an order — one service call each.

A patient acts for themself and their children (``patient_id`` defaults to themself); the call centre, reception
and administrators name the patient. A level I patient gets 403 ``level_two_required``; naming a patient one may
not act for answers 404 ``patient_not_found``, as for one that does not exist. Every read is recorded.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Header, Query, Router, Schema, Status

from carenet.accounts.permissions import Action, Actor, Channel
from carenet.api.access import request_actor
from carenet.api.auth import TOKEN, USER_AUTH, auth_method
from carenet.api.idempotency import HEADER, Answer, idempotent
from carenet.api.schemas import ErrorOut, InvalidInputOut, Out
from carenet.clinical.models import Drug
from carenet.core.validation import DbId, Text
from carenet.renewals import selectors, services
from carenet.renewals.models import RenewalRequest
from carenet.renewals.policies import NOTE_MAX_LENGTH
from carenet.web.reads import What, record_reads

router = Router(tags=["renewals"], auth=USER_AUTH)

READ_ERRORS: dict[int, type] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: InvalidInputOut}
WRITE_ERRORS: dict[int, type] = {**READ_ERRORS, 409: ErrorOut}
IDEMPOTENCY_KEY = Header(
    None,
    alias=HEADER,
    description="Any unique string (a UUID). A retry with the same key and body replays the first answer; the same "
    "key with another body answers 422 idempotency_key_reused.",
)


class PatientIn(Schema):
    patient_id: DbId | None = Field(
        None, description="Default: the caller (a patient). Staff (call centre, reception) must name one."
    )


class RenewalIn(Schema):
    patient_id: DbId | None = Field(
        None, description="Default: the caller. A guardian names their child; staff name the patient."
    )
    drug_id: DbId = Field(..., description="A drug from GET /renewals/drugs.")
    note: Text = Field("", max_length=NOTE_MAX_LENGTH, description="An optional note for the doctor.")


class DrugOut(Out):
    id: int
    code: str
    name: str
    form: str
    strength: str
    pack: str


class LastPrescriptionOut(Out):
    id: int
    dose: str
    quantity: int
    issued_at: dt.datetime
    prescriber: str


class RenewableDrugOut(Out):
    drug: DrugOut
    last_prescription: LastPrescriptionOut
    pending_renewal_id: int | None = Field(None, description="The order already waiting for the doctor, if any.")


class RenewableDrugListOut(Out):
    patient_id: int
    results: list[RenewableDrugOut]


class RenewalOut(Out):
    id: int
    patient_id: int
    drug: DrugOut
    status: str = Field(..., description="pending, issued or declined.")
    channel: str
    note: str
    due_at: dt.datetime = Field(..., description="The doctor answers by this time (the service time, CLN-2).")
    created_at: dt.datetime
    decided_at: dt.datetime | None
    decline_reason: str | None = Field(None, description="Why the doctor declined (declined only).")
    prescription_access_code: str | None = Field(
        None, description="The new e-prescription's 4-digit code for the pharmacy (issued only; never to staff)."
    )


class RenewalListOut(Out):
    results: list[RenewalOut]


def drug_out(drug: Drug) -> DrugOut:
    return DrugOut(id=drug.pk, code=drug.code, name=drug.name, form=drug.form, strength=drug.strength, pack=drug.pack)


def renewal_out(request: RenewalRequest, *, show_code: bool = True) -> RenewalOut:
    """``show_code``: the pharmacy code only for who reads the patient's medical record (the patient, a guardian),
    never for staff who order renewals for anyone (CLN-6)."""
    issued = show_code and request.status == RenewalRequest.Status.ISSUED and request.prescription is not None
    return RenewalOut(
        id=request.pk,
        patient_id=request.patient_id,
        drug=drug_out(request.drug),
        status=request.status,
        channel=request.channel,
        note=request.note,
        due_at=request.due_at,
        created_at=request.created_at,
        decided_at=request.decided_at,
        decline_reason=request.decline_reason or None,
        prescription_access_code=request.prescription.access_code if issued and request.prescription else None,
    )


def _patient_ids(actor: Actor, patient_id: int | None) -> list[int]:
    """Whose orders or drugs: the one named (checked by the service's rule), or the caller's family."""
    if patient_id is None:
        if actor.patient_id is None:
            services.renewal_order_check(actor=actor, patient_id=0)  # 403 for roles without the grant
            raise services.patient_id_required()
        services.renewal_order_check(actor=actor, patient_id=actor.patient_id)
        return sorted(actor.family_ids)
    services.renewal_order_check(actor=actor, patient_id=patient_id)
    services.patient_exists(patient_id)
    return [patient_id]


@router.get("/renewals", response={200: RenewalListOut, **READ_ERRORS}, summary="List renewal orders")
def renewal_list(request: HttpRequest, filters: Query[PatientIn]) -> RenewalListOut:
    """CLN-2: the orders of the caller and their children (or of the patient named), newest first, with their
    status, due time, the new prescription's code or the reason of a decline."""
    _user, actor = request_actor(request)
    patient_ids = _patient_ids(actor, filters.patient_id)
    found = selectors.renewal_list(patient_ids=patient_ids)
    record_reads(request, patient_ids=patient_ids, what=What.RENEWALS)
    show_code = actor.can(Action.MEDICAL_RECORD_VIEW)
    return RenewalListOut(results=[renewal_out(item, show_code=show_code) for item in found])


@router.get("/renewals/drugs", response={200: RenewableDrugListOut, **READ_ERRORS}, summary="Drugs that can be renewed")
def renewal_drugs(request: HttpRequest, filters: Query[PatientIn]) -> RenewableDrugListOut:
    """CLN-2: the drugs a CareNet doctor prescribed to the patient before — only these can be ordered — with the
    latest prescription (dose, quantity, who) and any order already waiting."""
    _user, actor = request_actor(request)
    patient_id = filters.patient_id if filters.patient_id is not None else actor.patient_id
    patient_ids = _patient_ids(actor, patient_id)
    drugs = selectors.renewable_drugs(patient_id=patient_ids[0])
    record_reads(request, patient_ids=patient_ids[:1], what=What.PRESCRIPTIONS)
    return RenewableDrugListOut(
        patient_id=patient_ids[0],
        results=[
            RenewableDrugOut(
                drug=drug_out(item.drug),
                last_prescription=LastPrescriptionOut(
                    id=item.last.pk,
                    dose=item.last.dose,
                    quantity=item.last.quantity,
                    issued_at=item.last.issued_at,
                    prescriber=str(item.last.issued_by),
                ),
                pending_renewal_id=item.pending.pk if item.pending is not None else None,
            )
            for item in drugs
        ],
    )


@router.post("/renewals", response={201: RenewalOut, **WRITE_ERRORS}, summary="Order a renewal")
def renewal_order(request: HttpRequest, payload: RenewalIn, idempotency_key: Text | None = IDEMPOTENCY_KEY) -> Status:
    """CLN-2: order a renewal of a drug a CareNet doctor prescribed to the patient before. The answer says by when
    the doctor answers (`due_at`). Refusals: 403 `role_not_allowed`, `level_two_required`; 404 `patient_not_found`;
    422 `renewal_drug_not_prescribed`, `renewal_note_too_long`, `patient_id_required`; 409
    `renewal_already_pending`."""
    user, actor = request_actor(request)
    door = Channel.MOBILE if auth_method(request) == TOKEN else Channel.PORTAL

    def run() -> Answer:
        patient_id = payload.patient_id if payload.patient_id is not None else actor.patient_id
        if patient_id is None:
            services.renewal_order_check(actor=actor, patient_id=0)
            raise services.patient_id_required()
        ordered = services.renewal_request(
            actor=actor, patient_id=patient_id, drug_id=payload.drug_id, note=payload.note, door=door
        )
        return 201, renewal_out(ordered)

    return idempotent(request, user=user, key=idempotency_key, run=run)
