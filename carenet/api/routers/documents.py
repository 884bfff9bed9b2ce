"""``/referrals``, ``/prescriptions``, ``/recommendations``, ``/sick-leaves``: a patient's clinical documents for the
mobile app (ACC-4, CLN-1, CLN-3, CLN-5, CLN-6) — the current versions, newest first, a page at a time.

A patient reads their own documents and their children's (``patient_id`` picks one of them; anyone else's answers
404, as a patient that does not exist); it is level II (403 ``level_two_required``) and needs an active package
(403 ``package_inactive``, ACC-7). A clinician reads the documents of a patient they have a visit with (the table's
``MEDICAL_RECORD_VIEW``), never those made at a partner facility (CLN-6). Other roles answer 403
``role_not_allowed``. Every answer that lists documents records the read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action, Scope
from carenet.accounts.policies import Feature
from carenet.accounts.selectors import patient_feature_check
from carenet.api.access import request_actor, role_not_allowed
from carenet.api.auth import USER_AUTH
from carenet.api.schemas import ErrorOut, InvalidInputOut, Out
from carenet.booking import selectors as booking_selectors
from carenet.clinical import selectors as clinical_selectors
from carenet.clinical.models import Prescription, Recommendation, Referral, SickLeave
from carenet.clinical.policies import ReferralStatus, referral_status
from carenet.core import clock
from carenet.core.errors import NotFound, ValidationFailed
from carenet.core.validation import DbId
from carenet.web.reads import What, record_reads

router = Router(tags=["documents"], auth=USER_AUTH)

READ_ERRORS: dict[int, type] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: InvalidInputOut}
MAX_PAGE_SIZE = 50
MAX_PAGE = 1000
_M = TypeVar("_M", bound=Model)
Document = Referral | Prescription | SickLeave | Recommendation


class DocumentListIn(Schema):
    patient_id: DbId | None = Field(
        None,
        description="Default: the caller and their children. A patient may name one of them; a clinician must name "
        "a patient they have a visit with.",
    )
    page: int = Field(1, ge=1, le=MAX_PAGE, description=f"1 to {MAX_PAGE}.")
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE, description=f"1 to {MAX_PAGE_SIZE}.")


class IssuerOut(Out):
    clinician_id: int | None = None
    name: str = Field(..., description="The clinician, or for an employer's referral the employer.")
    title: str = Field("", description="The clinician's title (lek., dr n. med. …).")
    facility_id: int | None = None
    facility_name: str | None = None


class DocumentOut(Out):
    id: int
    patient_id: int
    patient_name: str
    issued_at: dt.datetime
    issued_by: IssuerOut
    corrects_id: int | None = Field(
        None, description="The earlier version this one corrects (CLN-5): issued_at is the date of the correction."
    )


class ReferralOut(DocumentOut):
    service_id: int
    service_code: str
    service_name: str
    service_name_en: str = Field("", description="The service's English name (BEY-5); empty when it has none.")
    source: str = Field(..., description="network (a clinician's) or employer (occupational medicine).")
    valid_until: dt.date
    status: str = Field(..., description="active, used or expired.")
    national_id: str = Field("", description="The e-referral's key on the national platform.")
    access_code: str = Field("", description="The 4-digit access code of the e-referral.")
    used_by_appointment_id: int | None = Field(None, description="The visit booked with it (status used).")
    bookable: bool = Field(..., description="Active and for a bookable service: book it with referral_id.")
    note: str = ""


class DrugOut(Out):
    id: int
    code: str
    name: str
    form: str
    strength: str
    pack: str


class PrescriptionOut(DocumentOut):
    drug: DrugOut
    dose: str
    quantity: int = Field(..., description="Packs.")
    reimbursement: str = Field(..., description="100%, 50%, 30%, R (lump sum) or B (free).")
    access_code: str = Field(..., description="The 4-digit code a pharmacy asks for (SMS-1).")
    national_id: str = Field(..., description="The e-prescription's key.")
    valid_until: dt.date = Field(..., description="The last day it can be filled.")


class SpecialtyRefOut(Out):
    code: str
    name: str
    name_en: str = Field("", description="The English name (BEY-5); empty when the catalogue has none.")


class ExamOut(Out):
    id: int
    code: str
    name: str
    name_en: str = Field("", description="The English name (BEY-5); empty when the catalogue has none.")


class RecommendationOut(DocumentOut):
    text: str
    in_person_visit: bool
    in_person_specialty: SpecialtyRefOut | None = None
    exams: list[ExamOut]


class SickLeaveOut(DocumentOut):
    starts_on: dt.date
    ends_on: dt.date
    days: int
    reason_code: str = Field("", description="The letter code of the reason's category (A–E), or empty.")
    indication: str = Field(..., description="1: must stay in bed; 2: may walk.")
    national_id: str = Field(..., description="The e-ZLA series and number.")
    employer_nip: str


class ReferralPageOut(Out):
    results: list[ReferralOut]
    page: int
    page_size: int
    has_next: bool


class PrescriptionPageOut(Out):
    results: list[PrescriptionOut]
    page: int
    page_size: int
    has_next: bool


class RecommendationPageOut(Out):
    results: list[RecommendationOut]
    page: int
    page_size: int
    has_next: bool


class SickLeavePageOut(Out):
    results: list[SickLeaveOut]
    page: int
    page_size: int
    has_next: bool


def _whose(request: HttpRequest, *, patient_id: int | None, feature: Feature) -> tuple[list[int], bool]:
    """The patients whose documents the caller may read, and whether partner documentation is hidden (CLN-6)."""
    user, actor = request_actor(request)  # ACC-7: 403 package_inactive
    scope = actor.scope(Action.MEDICAL_RECORD_VIEW)
    if scope is None:
        raise role_not_allowed()
    if scope is Scope.OWN:
        family = actor.family_ids
        if patient_id is not None and patient_id not in family:
            raise NotFound(_("No such patient."), code="patient_not_found")
        patient_feature_check(user=user, feature=feature)  # ACC-4, after access: someone else's is 404
        return ([patient_id] if patient_id is not None else sorted(family)), False
    if patient_id is None:
        raise ValidationFailed(_("Name the patient (patient_id)."), code="patient_id_required")
    patient = booking_selectors.access_patient(actor=user, patient_id=patient_id, action=Action.MEDICAL_RECORD_VIEW)
    return [patient.pk], True


def _page(documents: QuerySet[_M], filters: DocumentListIn) -> tuple[list[_M], bool]:
    start = (filters.page - 1) * filters.page_size
    found = list(documents[start : start + filters.page_size + 1])
    return found[: filters.page_size], len(found) > filters.page_size


def _issuer(document: Document) -> IssuerOut:
    clinician, facility = document.issued_by, document.facility
    if clinician is None:  # an employer's referral (BKG-6)
        name, title = getattr(document, "employer_name", ""), ""
    else:
        name, title = f"{clinician.first_name} {clinician.last_name}", clinician.title or ""
    return IssuerOut(
        clinician_id=clinician.pk if clinician is not None else None,
        name=name,
        title=title,
        facility_id=facility.pk if facility is not None else None,
        facility_name=facility.name if facility is not None else None,
    )


def _common(document: Document, patient: Patient) -> dict[str, Any]:
    return {
        "id": document.pk,
        "patient_id": patient.pk,
        "patient_name": patient.full_name,
        "issued_at": document.issued_at,
        "issued_by": _issuer(document),
        "corrects_id": document.supersedes_id,
    }


def referral_out(referral: Referral, *, today: dt.date) -> ReferralOut:
    service = referral.service
    status = referral_status(used=referral.used_by_id is not None, valid_until=referral.valid_until, today=today)
    return ReferralOut(
        **_common(referral, referral.patient),
        service_id=service.pk,
        service_code=service.code,
        service_name=service.name,
        service_name_en=service.name_en,
        source=referral.source,
        valid_until=referral.valid_until,
        status=status,
        national_id=referral.national_id,
        access_code=referral.access_code,
        used_by_appointment_id=referral.used_by_id,
        bookable=status is ReferralStatus.ACTIVE and service.is_bookable,
        note=referral.note,
    )


def prescription_out(prescription: Prescription) -> PrescriptionOut:
    drug = prescription.drug
    return PrescriptionOut(
        **_common(prescription, prescription.patient),
        drug=DrugOut(
            id=drug.pk, code=drug.code, name=drug.name, form=drug.form, strength=drug.strength, pack=drug.pack
        ),
        dose=prescription.dose,
        quantity=prescription.quantity,
        reimbursement=prescription.reimbursement,
        access_code=prescription.access_code,
        national_id=prescription.national_id,
        valid_until=prescription.valid_until,
    )


def recommendation_out(recommendation: Recommendation) -> RecommendationOut:
    specialty = recommendation.in_person_specialty
    return RecommendationOut(
        **_common(recommendation, recommendation.patient),
        text=recommendation.text,
        in_person_visit=recommendation.in_person_visit,
        in_person_specialty=SpecialtyRefOut(code=specialty.code, name=specialty.name, name_en=specialty.name_en)
        if specialty
        else None,
        exams=[
            ExamOut(id=exam.pk, code=exam.code, name=exam.name, name_en=exam.name_en)
            for exam in recommendation.exams.all()
        ],
    )


def sick_leave_out(leave: SickLeave) -> SickLeaveOut:
    return SickLeaveOut(
        **_common(leave, leave.patient),
        starts_on=leave.starts_on,
        ends_on=leave.ends_on,
        days=(leave.ends_on - leave.starts_on).days + 1,
        reason_code=leave.reason_code,
        indication=leave.indication,
        national_id=leave.national_id,
        employer_nip=leave.employer_nip,
    )


def _listed(
    request: HttpRequest,
    filters: DocumentListIn,
    *,
    feature: Feature,
    what: What,
    documents: Callable[[list[int], bool], QuerySet[_M]],
) -> tuple[list[_M], bool]:
    """One page of the documents the caller may read; the read of those patients' documents is recorded."""
    patient_ids, network_only = _whose(request, patient_id=filters.patient_id, feature=feature)
    found, has_next = _page(documents(patient_ids, network_only), filters)
    record_reads(request, patient_ids=patient_ids, what=what)
    return found, has_next


@router.get("/referrals", response={200: ReferralPageOut, **READ_ERRORS}, summary="List referrals")
def referral_list(request: HttpRequest, filters: Query[DocumentListIn]) -> ReferralPageOut:
    """CLN-1: referrals, newest first, with their status (active / used / expired); an active one is booked with
    `POST /appointments` and its `referral_id`. Errors: 403 `level_two_required`, `package_inactive`,
    `role_not_allowed`; 404 `patient_not_found`; 422 `patient_id_required`."""
    found, has_next = _listed(
        request,
        filters,
        feature=Feature.REFERRALS,
        what=What.REFERRALS,
        documents=lambda ids, network_only: clinical_selectors.referral_list(
            patient_ids=ids, network_only=network_only
        ),
    )
    today = clock.today()
    return ReferralPageOut(
        results=[referral_out(referral, today=today) for referral in found],
        page=filters.page,
        page_size=filters.page_size,
        has_next=has_next,
    )


@router.get("/prescriptions", response={200: PrescriptionPageOut, **READ_ERRORS}, summary="List e-prescriptions")
def prescription_list(request: HttpRequest, filters: Query[DocumentListIn]) -> PrescriptionPageOut:
    """CLN-5, SMS-1: e-prescriptions, newest first, with the 4-digit access code and the key. Errors as for
    `/referrals`."""
    found, has_next = _listed(
        request,
        filters,
        feature=Feature.E_PRESCRIPTIONS,
        what=What.PRESCRIPTIONS,
        documents=lambda ids, network_only: clinical_selectors.prescription_list(
            patient_ids=ids, network_only=network_only
        ),
    )
    return PrescriptionPageOut(
        results=[prescription_out(prescription) for prescription in found],
        page=filters.page,
        page_size=filters.page_size,
        has_next=has_next,
    )


@router.get("/recommendations", response={200: RecommendationPageOut, **READ_ERRORS}, summary="List recommendations")
def recommendation_list(request: HttpRequest, filters: Query[DocumentListIn]) -> RecommendationPageOut:
    """CLN-3, CLN-5: recommendations, newest first: text, an in-person visit recommended (with its specialty),
    exams to do. Errors as for `/referrals`."""
    found, has_next = _listed(
        request,
        filters,
        feature=Feature.RECOMMENDATIONS,
        what=What.RECOMMENDATIONS,
        documents=lambda ids, network_only: clinical_selectors.recommendation_list(
            patient_ids=ids, network_only=network_only
        ),
    )
    return RecommendationPageOut(
        results=[recommendation_out(recommendation) for recommendation in found],
        page=filters.page,
        page_size=filters.page_size,
        has_next=has_next,
    )


@router.get("/sick-leaves", response={200: SickLeavePageOut, **READ_ERRORS}, summary="List sick leave (e-ZLA)")
def sick_leave_list(request: HttpRequest, filters: Query[DocumentListIn]) -> SickLeavePageOut:
    """CLN-5: sick leave certificates (e-ZLA), newest first. Errors as for `/referrals`."""
    found, has_next = _listed(
        request,
        filters,
        feature=Feature.SICK_LEAVE,
        what=What.SICK_LEAVE,
        documents=lambda ids, network_only: clinical_selectors.sick_leave_list(
            patient_ids=ids, network_only=network_only
        ),
    )
    return SickLeavePageOut(
        results=[sick_leave_out(leave) for leave in found],
        page=filters.page,
        page_size=filters.page_size,
        has_next=has_next,
    )
