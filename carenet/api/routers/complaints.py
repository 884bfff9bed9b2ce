"""``/complaints`` and ``/claims``: complaints (reklamacje, FBK-2) and insurance claims (roszczenia, FBK-3) for the
mobile app — the caller's and their children's, filing one, and one case's details. Every change is one call of
:mod:`carenet.complaints.services`.

Patients only (others: 403 ``role_not_allowed``; the consoles handle the staff's side), with an active package (403
``package_inactive``). Someone else's case answers 404, as one that does not exist; a refused filing stores nothing.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from carenet.accounts.models import User
from carenet.accounts.permissions import Action, Actor, Channel
from carenet.api.access import request_actor
from carenet.api.auth import TOKEN, USER_AUTH, auth_method
from carenet.api.idempotency import Answer, idempotent
from carenet.api.routers.appointments import IDEMPOTENCY_KEY
from carenet.api.schemas import ErrorOut, InvalidInputOut, Out
from carenet.complaints import policies, selectors, services
from carenet.complaints.models import Claim, ClaimAttachment, Complaint
from carenet.core.errors import PermissionDenied
from carenet.core.validation import DbId, Text
from carenet.web.reads import What, record_reads

router = Router(tags=["complaints and claims"], auth=USER_AUTH)

READ_ERRORS: dict[int, type] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: InvalidInputOut}
WRITE_ERRORS: dict[int, type] = {**READ_ERRORS, 409: ErrorOut, 413: ErrorOut}


class ComplaintOut(Out):
    id: int
    case_number: str = Field(..., description="E.g. RK/2026/000123: give it when you call about the complaint.")
    patient_id: int
    subject: str
    text: str
    facility_id: int | None = None
    appointment_id: int | None = None
    status: str = Field(..., description="`received`, `in_progress` (being handled) or `answered`.")
    filed_at: dt.datetime
    answer_due_on: dt.date = Field(..., description="FBK-2: the network answers by this day (the statutory time).")
    answer: str | None = None
    answered_at: dt.datetime | None = None


class ComplaintListOut(Out):
    results: list[ComplaintOut] = Field(..., description="The complaints, latest first.")
    answer_days: int = Field(..., description="The statutory time: days from filing to the answer.")


class ComplaintIn(Schema):
    subject: Text = Field(..., min_length=1, max_length=policies.SUBJECT_MAX_CHARS)
    text: Text = Field(..., min_length=1, max_length=policies.TEXT_MAX_CHARS, description="What happened.")
    patient_id: DbId | None = Field(None, description="Default: the caller. A guardian may name their child.")
    facility_id: DbId | None = Field(None, description="The facility the complaint is about (optional).")
    appointment_id: DbId | None = Field(None, description="The person's visit it is about (optional).")


class ClaimDocumentOut(Out):
    id: int
    name: str
    content_type: str = Field(..., description="image/jpeg, image/png or application/pdf (checked by content).")
    size: int
    sha256: str


class ClaimOut(Out):
    id: int
    case_number: str = Field(..., description="E.g. RS/2026/000045.")
    patient_id: int
    subject: str
    description: str
    status: str = Field(..., description="`submitted`, `under_review`, `accepted` or `rejected`.")
    filed_at: dt.datetime
    decision: str | None = Field(None, description="The decision's text, once accepted or rejected.")
    decided_at: dt.datetime | None = None
    documents: list[ClaimDocumentOut]


class ClaimListOut(Out):
    results: list[ClaimOut] = Field(..., description="The claims, latest first.")
    max_files: int = Field(..., description="At most this many documents per claim.")
    max_bytes: int = Field(..., description="The largest document accepted, in bytes.")


def _patient_actor(request: HttpRequest, action: Action) -> tuple[User, Actor]:
    user, actor = request_actor(request)
    if not actor.is_patient or not actor.can(action):
        raise PermissionDenied(_("Complaints and claims here are the patients' own."), code="role_not_allowed")
    return user, actor


def _door(request: HttpRequest) -> Channel:
    return Channel.MOBILE if auth_method(request) == TOKEN else Channel.PORTAL


def complaint_out(row: Complaint) -> ComplaintOut:
    answered = row.status == Complaint.Status.ANSWERED
    return ComplaintOut(
        id=row.pk,
        case_number=row.case_number,
        patient_id=row.patient_id,
        subject=row.subject,
        text=row.text,
        facility_id=row.facility_id,
        appointment_id=row.appointment_id,
        status=row.status,
        filed_at=row.filed_at,
        answer_due_on=row.answer_due_on,
        answer=row.answer if answered else None,
        answered_at=row.answered_at if answered else None,
    )


def _document_out(row: ClaimAttachment) -> ClaimDocumentOut:
    return ClaimDocumentOut(
        id=row.pk, name=row.original_name, content_type=row.content_type, size=row.size, sha256=row.sha256
    )


def claim_out(row: Claim) -> ClaimOut:
    decided = row.decided_at is not None
    return ClaimOut(
        id=row.pk,
        case_number=row.case_number,
        patient_id=row.patient_id,
        subject=row.subject,
        description=row.description,
        status=row.status,
        filed_at=row.filed_at,
        decision=row.decision if decided else None,
        decided_at=row.decided_at,
        documents=[_document_out(document) for document in row.attachments.all()],
    )


@router.get("/complaints", response={200: ComplaintListOut, **READ_ERRORS}, summary="My complaints")
def complaint_list(request: HttpRequest) -> ComplaintListOut:
    """FBK-2: the caller's and their children's complaints, with their status, answer date and answer."""
    _user, actor = _patient_actor(request, Action.COMPLAINT_VIEW)
    rows = selectors.complaints_of_patients(patient_ids=actor.family_ids)
    record_reads(request, patient_ids=[row.patient_id for row in rows], what=What.API_LIST, reference="complaints")
    return ComplaintListOut(
        results=[complaint_out(row) for row in rows], answer_days=settings.CARENET_COMPLAINT_ANSWER_DAYS
    )


@router.post("/complaints", response={201: ComplaintOut, **WRITE_ERRORS}, summary="File a complaint")
def complaint_file(
    request: HttpRequest, payload: ComplaintIn, idempotency_key: Text | None = IDEMPOTENCY_KEY
) -> Status:
    """FBK-2: file a complaint; it gets its case number and answer date at once. Refusals: 422 `subject_empty`,
    `subject_too_long`, `text_empty`, `text_too_long`, `text_invalid`, `facility_not_found`; 404
    `patient_not_found`, `visit_not_found`; 403 `role_not_allowed`, `package_inactive`."""
    user, actor = _patient_actor(request, Action.COMPLAINT_FILE)

    def run() -> Answer:
        row = services.complaint_file(
            actor=actor,
            patient_id=payload.patient_id or actor.patient_id or 0,
            subject=payload.subject,
            text=payload.text,
            facility_id=payload.facility_id,
            appointment_id=payload.appointment_id,
            door=_door(request),
        )
        return 201, complaint_out(row)

    return idempotent(request, user=user, key=idempotency_key, run=run)


@router.get("/complaints/{complaint_id}", response={200: ComplaintOut, **READ_ERRORS}, summary="A complaint")
def complaint_detail(request: HttpRequest, complaint_id: DbId) -> ComplaintOut:
    """One complaint of the caller or of their child (404 `complaint_not_found` for anyone else's)."""
    _user, actor = _patient_actor(request, Action.COMPLAINT_VIEW)
    row = selectors.access_complaint(actor=actor, complaint_id=complaint_id)
    record_reads(request, patient_ids=[row.patient_id], what=What.API_DETAIL, reference=row.case_number)
    return complaint_out(row)


@router.get("/claims", response={200: ClaimListOut, **READ_ERRORS}, summary="My insurance claims")
def claim_list(request: HttpRequest) -> ClaimListOut:
    """FBK-3: the caller's and their children's claims, with their documents, status and decision."""
    _user, actor = _patient_actor(request, Action.CLAIM_VIEW)
    rows = selectors.claims_of_patients(patient_ids=actor.family_ids)
    record_reads(request, patient_ids=[row.patient_id for row in rows], what=What.API_LIST, reference="claims")
    return ClaimListOut(
        results=[claim_out(row) for row in rows],
        max_files=settings.CARENET_CLAIM_MAX_FILES,
        max_bytes=settings.CARENET_FILE_MAX_BYTES,
    )


@router.post("/claims", response={201: ClaimOut, **WRITE_ERRORS}, summary="Submit an insurance claim")
def claim_file(
    request: HttpRequest,
    documents: File[list[UploadedFile] | None] = None,
    subject: Form[str] = "",
    description: Form[str] = "",
    patient_id: Form[DbId | None] = None,
    idempotency_key: Text | None = IDEMPOTENCY_KEY,
) -> Status:
    """FBK-3: submit a claim (multipart/form-data: ``subject``, ``description``, 1–5 ``documents`` — JPG, PNG or PDF of
    at most 8 MB each, checked by content and disarmed —, ``patient_id`` for a child). Refusals: 422
    `subject_empty`, `subject_too_long`, `text_empty`, `text_too_long`, `text_invalid`, `attachment_missing`,
    `too_many_attachments`, `file_empty`, `file_too_large`, `file_type`, `image_bomb`, `image_broken`, `pdf_active`,
    `pdf_encrypted`, `pdf_broken`; 413 `payload_too_large`; 404 `patient_not_found`; 403 `role_not_allowed`,
    `package_inactive`."""
    user, actor = _patient_actor(request, Action.CLAIM_FILE)

    def run() -> Answer:
        row = services.claim_file(
            actor=actor,
            patient_id=patient_id or actor.patient_id or 0,
            subject=subject,
            description=description,
            uploads=list(documents or []),
            door=_door(request),
        )
        return 201, claim_out(selectors.access_claim(actor=actor, claim_id=row.pk))

    return idempotent(request, user=user, key=idempotency_key, run=run)


@router.get("/claims/{claim_id}", response={200: ClaimOut, **READ_ERRORS}, summary="An insurance claim")
def claim_detail(request: HttpRequest, claim_id: DbId) -> ClaimOut:
    """One claim of the caller or of their child (404 `claim_not_found` for anyone else's)."""
    _user, actor = _patient_actor(request, Action.CLAIM_VIEW)
    row = selectors.access_claim(actor=actor, claim_id=claim_id)
    record_reads(request, patient_ids=[row.patient_id], what=What.API_DETAIL, reference=row.case_number)
    return claim_out(row)
