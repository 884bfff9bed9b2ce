"""The patient's clinical documents in the portal (ACC-4, CLN-1, CLN-3, CLN-5, CLN-6; seeds 002–004: "Leczenie",
"Leki", "Skierowania", "Zalecenia"): referrals with a "book" action, e-prescriptions with the codes a pharmacy
asks for, recommendations and sick leave — the patient's own and their children's, current versions only.

Each page is for level II (a level I account gets the explanation of how to confirm its identity, never the data)
and records the read of the person whose documents it shows. Reads go through :mod:`carenet.clinical.selectors`;
documents made at a partner facility are the patient's own and are shown to them (CLN-6 hides them from network
clinicians only).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from carenet.accounts import selectors as account_selectors
from carenet.accounts.models import Patient
from carenet.accounts.policies import Feature
from carenet.clinical import selectors as clinical_selectors
from carenet.clinical.models import Referral
from carenet.clinical.policies import ReferralStatus, referral_status
from carenet.core import clock
from carenet.web.access import level_two_required, patient_required
from carenet.web.reads import What, record_reads

DOCUMENTS_PER_PAGE = 20


def _family_and_whose(request: HttpRequest) -> tuple[list[Patient], Patient]:
    """The patient and the children they act for, and whose documents to show (``?who=``; the patient by default,
    and the patient too for an id that is not one of the family — nobody else's documents are ever read)."""
    me: Patient = request.patient  # type: ignore[attr-defined]
    family = account_selectors.patients_acting_for(patient=me, today=clock.today())
    whose = next((person for person in family if str(person.pk) == request.GET.get("who")), me)
    return family, whose


def _page(request: HttpRequest, documents: QuerySet[Any]) -> Page[Any]:
    page = Paginator(documents, DOCUMENTS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    return page


def _context(family: list[Patient], whose: Patient, page: Page[Any], **extra: Any) -> dict[str, Any]:
    return {"family": family, "whose": whose, "page": page, **extra}


def search_url(*, specialty_code: str, patient: Patient, me: Patient, **extra: str) -> str:
    """The visit search for a specialty (and a service, a referral …), for ``patient``: the search runs at once."""
    query = {"specialty": specialty_code, **extra}
    if patient.pk != me.pk:
        query["for_whom"] = str(patient.pk)
    return reverse("portal:search") + "?" + urlencode(query)


@dataclass(frozen=True, slots=True)
class ReferralRow:
    referral: Referral
    status: ReferralStatus
    book_url: str | None


def _referral_rows(referrals: list[Referral], *, me: Patient, whose: Patient, today: dt.date) -> list[ReferralRow]:
    rows = []
    for referral in referrals:
        status = referral_status(used=referral.used_by_id is not None, valid_until=referral.valid_until, today=today)
        service = referral.service
        book = None
        # CLN-1: an active referral for a service booked in a schedule opens the search with the referral chosen.
        if status is ReferralStatus.ACTIVE and service.is_bookable and service.specialty is not None:
            book = search_url(
                specialty_code=service.specialty.code,
                patient=whose,
                me=me,
                service=service.code,
                referral=str(referral.pk),
            )
        rows.append(ReferralRow(referral=referral, status=status, book_url=book))
    return rows


@require_GET
@patient_required
def treatment(request: HttpRequest) -> HttpResponse:
    """ "Leczenie": where the patient's documents are — referrals, medicines, recommendations, sick leave."""
    me: Patient = request.patient  # type: ignore[attr-defined]
    allowed = account_selectors.patient_may_use(patient=me, feature=Feature.REFERRALS)
    return render(request, "portal/documents/treatment.html", {"documents_allowed": allowed})


@require_GET
@level_two_required(Feature.REFERRALS)
def referrals(request: HttpRequest) -> HttpResponse:
    """ "Skierowania" (CLN-1): every referral of the chosen person, newest first, with its status; an active one has
    a "book" action, a used one links to its visit."""
    me: Patient = request.patient  # type: ignore[attr-defined]
    family, whose = _family_and_whose(request)
    found = clinical_selectors.referral_list(patient_ids=[whose.pk]).select_related("service__specialty")
    page = _page(request, found)
    page.object_list = _referral_rows(list(page.object_list), me=me, whose=whose, today=clock.today())
    record_reads(request, patient_ids=[whose.pk], what=What.REFERRALS)
    return render(request, "portal/documents/referrals.html", _context(family, whose, page))


@require_GET
@level_two_required(Feature.E_PRESCRIPTIONS)
def prescriptions(request: HttpRequest) -> HttpResponse:
    """ "Leki" (CLN-5, SMS-1): the chosen person's e-prescriptions, newest first, with the 4-digit access code and
    the prescription's key a pharmacy asks for."""
    family, whose = _family_and_whose(request)
    page = _page(request, clinical_selectors.prescription_list(patient_ids=[whose.pk]))
    record_reads(request, patient_ids=[whose.pk], what=What.PRESCRIPTIONS)
    context = _context(family, whose, page, today=clock.today())
    return render(request, "portal/documents/prescriptions.html", context)


@require_GET
@level_two_required(Feature.RECOMMENDATIONS)
def recommendations(request: HttpRequest) -> HttpResponse:
    """ "Zalecenia" (CLN-3, CLN-5): the clinicians' recommendations — an in-person visit links to the search for
    its specialty, exams to do are listed."""
    me: Patient = request.patient  # type: ignore[attr-defined]
    family, whose = _family_and_whose(request)
    page = _page(request, clinical_selectors.recommendation_list(patient_ids=[whose.pk]))
    rows = []
    for recommendation in page.object_list:
        specialty = recommendation.in_person_specialty
        link = None
        if recommendation.in_person_visit and specialty is not None:
            link = search_url(specialty_code=specialty.code, patient=whose, me=me)
        rows.append((recommendation, link))
    page.object_list = rows
    record_reads(request, patient_ids=[whose.pk], what=What.RECOMMENDATIONS)
    return render(request, "portal/documents/recommendations.html", _context(family, whose, page))


@require_GET
@level_two_required(Feature.SICK_LEAVE)
def sick_leaves(request: HttpRequest) -> HttpResponse:
    """ "Zwolnienia" (e-ZLA, CLN-5): from, to, the number of days, the reason's code, the certificate's series and
    number and the employer's NIP."""
    family, whose = _family_and_whose(request)
    page = _page(request, clinical_selectors.sick_leave_list(patient_ids=[whose.pk]))
    page.object_list = [(leave, (leave.ends_on - leave.starts_on).days + 1) for leave in page.object_list]
    record_reads(request, patient_ids=[whose.pk], what=What.SICK_LEAVE)
    return render(request, "portal/documents/sick_leaves.html", _context(family, whose, page))
