"""``/slots``: the search for free slots (SCH-2, SCH-3, SCH-4, NET-2, NET-3) with the caller's coverage (PKG-4)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from carenet.accounts.models import Patient, User
from carenet.accounts.permissions import Action, Actor
from carenet.api.access import access_patient, request_actor
from carenet.api.auth import USER_AUTH
from carenet.api.schemas import (
    ClinicianOut,
    ErrorOut,
    FacilityOut,
    InvalidInputOut,
    SlotOut,
    SlotPageOut,
)
from carenet.booking.offers import Offer, offers_for
from carenet.core import clock
from carenet.core.validation import DbId, SaneDate, Text
from carenet.coverage.selectors import partner_facility_ids_allowed
from carenet.network.models import Clinician, Facility
from carenet.network.policies import VisitLanguage
from carenet.scheduling import search
from carenet.web.reads import What, record_reads

router = Router(tags=["slots"], auth=USER_AUTH)


class SlotSearchIn(Schema):
    specialty: Text | None = Field(None, max_length=100, description="A specialty code, e.g. internal-medicine.")
    service: Text | None = Field(None, max_length=100, description="A service code; its specialty is implied.")
    city_id: DbId | None = Field(None, description="Narrows in-person visits; phone and video are nationwide.")
    facility_id: DbId | None = None
    clinician_id: DbId | None = None
    date_from: SaneDate | None = Field(None, description="Default: today.")
    date_to: SaneDate | None = Field(None, description=f"At most {search.MAX_RANGE_DAYS} days after date_from.")
    time_of_day: Text | None = Field(None, max_length=20, description="morning, afternoon or evening (Warsaw time).")
    hour_from: int | None = Field(None, description="Starting at or after this hour (0-24, Warsaw time).")
    hour_to: int | None = Field(None, description="Starting before this hour (0-24, Warsaw time).")
    language: VisitLanguage | None = Field(None, description="A language the clinician speaks, e.g. en.")
    mode: Text | None = Field(None, max_length=20, description="in_person, phone or video.")
    sort: Text = Field(search.DEFAULT_SORT, max_length=20, description="starts_at (earliest first) or -starts_at.")
    page: int = Field(1, description=f"1 to {search.MAX_PAGE}.")
    page_size: int = Field(search.DEFAULT_PAGE_SIZE, description=f"1 to {search.MAX_PAGE_SIZE}.")
    patient_id: DbId | None = Field(
        None, description="Whose coverage to show: a child of the caller, or (call centre, reception) a patient."
    )


def coverage_patient(*, actor: User, who: Actor, patient_id: int | None) -> Patient | None:
    """Whose coverage the results show: a patient's own (or their child's); for staff the patient named, if any."""
    if who.grant(Action.PORTAL_USE) is not None or patient_id is not None:
        return access_patient(actor=actor, patient_id=patient_id)
    return None


@router.get(
    "/slots",
    response={200: SlotPageOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: InvalidInputOut},
    summary="Search free slots",
)
def slot_list(request: HttpRequest, filters: Query[SlotSearchIn]) -> SlotPageOut:
    """SCH-2: free slots, earliest first, each with what the patient's package says about it and how to prepare;
    partner facilities to phone are listed apart (NET-2). Errors: `range_too_long`, `dates_reversed`, `bad_page`,
    `bad_page_size`, `unknown_sort`, `unknown_mode`, `unknown_time_of_day`, `unknown_specialty`, `unknown_service`,
    `specialty_or_service_required` (422); `patient_not_found` (404); `role_not_allowed` (403)."""
    actor, who = request_actor(request)
    now = clock.now()
    values = filters.model_dump(exclude={"patient_id"})
    query = search.SlotQuery(**values)
    patient = coverage_patient(actor=actor, who=who, patient_id=filters.patient_id)
    if patient is not None:  # the answer shows what the patient's package says: a read of their data
        record_reads(request, patient_ids=[patient.pk], what=What.API_LIST, reference="coverage")
    # PKG-2: the partners the patient's contract allows, asked only when the search lists partners (a city or a
    # facility named, NET-2): a nationwide or a clinician's search costs no query for it (issue 16).
    lists_partners = query.city_id is not None or query.facility_id is not None
    allowed = (
        partner_facility_ids_allowed(patient=patient, day=clock.local(now).date())
        if patient is not None and lists_partners
        else None
    )
    page = search.slot_search(query=query, now=now, allowed_partner_ids=allowed)
    offers = offers_for(patient=patient, slots=page.slots, now=now, service=page.service)
    # The whole page validated in one call from plain values (issue 16): pydantic's core walks the tree at once,
    # where building six models a slot in Python cost about a tenth of a search's CPU; the same schema, the same answer.
    return SlotPageOut.model_validate(
        {
            "results": [slot_fields(offer) for offer in offers],
            "page": page.page,
            "page_size": page.page_size,
            "has_next": page.has_next,
            "partners": [vars(partner) for partner in page.partners],
        }
    )


def clinician_fields(clinician: Clinician | search.ClinicianRow) -> dict[str, Any]:
    """A clinician as every answer shows them: the plain values of :class:`ClinicianOut`."""
    return {"id": clinician.pk, "name": f"{clinician.first_name} {clinician.last_name}", "title": clinician.title or ""}


def facility_fields(facility: Facility | search.FacilityRow | None) -> dict[str, Any] | None:
    """A facility as every answer shows it: the plain values of :class:`FacilityOut` (None: a remote visit)."""
    if facility is None:
        return None
    return {"id": facility.pk, "name": facility.name, "address": facility.address, "city": facility.city.name}


def clinician_out(clinician: Clinician | search.ClinicianRow) -> ClinicianOut:
    return ClinicianOut(**clinician_fields(clinician))


def facility_out(facility: Facility | search.FacilityRow | None) -> FacilityOut | None:
    fields = facility_fields(facility)
    return None if fields is None else FacilityOut(**fields)


def slot_fields(offer: Offer) -> dict[str, Any]:
    """One result of the search as the plain values of :class:`SlotOut` (validated with the page)."""
    slot, decision = offer.slot, offer.coverage
    coverage: dict[str, Any] = {"status": offer.status.value, "kind": None}
    if decision is not None:
        coverage = {
            "status": offer.status.value,
            "kind": decision.kind.value,
            "price": decision.price,
            "price_to_pay": decision.price_to_pay,
            "limit": decision.limit,
            "used": decision.used,
            "left": decision.left,
            "discount_percent": decision.discount_percent,
            "requires_referral": decision.requires_referral,
        }
    service, specialty = offer.service, slot.specialty
    return {
        "id": slot.pk,
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
        "mode": slot.mode,
        "specialty": {"code": specialty.code, "name": specialty.name, "name_en": specialty.name_en},
        "clinician": clinician_fields(slot.clinician),
        "facility": facility_fields(slot.facility),
        "room": slot.room.number if slot.room is not None else None,
        "service": None
        if not service
        else {
            "id": service.pk,
            "code": service.code,
            "name": service.name,
            "kind": service.kind,
            "name_en": service.name_en,
        },
        "coverage": coverage,
        "preparation": offer.preparation,
        "preparation_en": offer.preparation_en,
    }


def slot_out(offer: Offer) -> SlotOut:
    """One result as its model (other answers that list slots, e.g. a consultation line's alternatives)."""
    return SlotOut.model_validate(slot_fields(offer))
