"""``/package``: "Twój pakiet medyczny" for the app (PKG-7) — the tier, contract and dates, what the package covers
at the patient's age, the annual limits used and left this enrolment year, and the partner facilities the contract
allows (NET-2: booked by phone or on the spot, never through the API).

A patient reads their own package and their children's (``patient_id`` names one; anyone else's answers 404
``patient_not_found``); the call centre and administrators name any patient (the read is recorded). Other roles
answer 403 ``role_not_allowed``; a patient without any package 404 ``no_package``.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action, Scope
from carenet.api.access import request_actor, role_not_allowed
from carenet.api.auth import USER_AUTH
from carenet.api.schemas import ErrorOut, InvalidInputOut, Out
from carenet.core import clock
from carenet.core.catalogue import localized
from carenet.core.errors import NotFound, ValidationFailed
from carenet.core.validation import DbId
from carenet.coverage.selectors import package_overview
from carenet.web.reads import What, record_reads

router = Router(tags=["package"], auth=USER_AUTH)


class PackageIn(Schema):
    patient_id: DbId | None = Field(
        None, description="Default: the caller. A patient may name a child they act for; the call centre must name one."
    )


class CoverageLineOut(Out):
    rule: str = Field(..., description="covered, annual_limit, once_a_year or discount.")
    annual_limit: int | None = None
    discount_percent: int | None = None
    without_referral: bool
    other_services: bool = Field(False, description="The line applies to every other service (not dentistry).")
    targets: list[str] = Field(..., description="The specialties' or services' names the line covers.")


class BenefitOut(Out):
    code: str
    group: str
    title: str
    text: str = Field(..., description="The benefit as the programme words it.")
    scope_count: int | None = None
    lines: list[CoverageLineOut]


class LimitOut(Out):
    pool: str
    benefit_title: str
    targets: list[str]
    limit: int
    used: int
    left: int
    once_a_year: bool


class PartnerOut(Out):
    id: int
    name: str
    city: str
    address: str
    postal_code: str
    phone: str
    scope: str
    offers_telemedicine: bool


class PackageOut(Out):
    patient_id: int
    patient_name: str
    tier_code: str
    tier: str
    tier_en: str
    contract: str
    activated_on: dt.date
    paid_through: dt.date
    active: bool = Field(..., description="In force today (from the activation date through the paid-through date).")
    ecard_number: str
    enrolment_year_start: dt.date | None = None
    enrolment_year_end: dt.date | None = Field(None, description="The last day of the current enrolment year.")
    benefits: list[BenefitOut]
    limits: list[LimitOut]
    partner_facilities: list[PartnerOut]


@router.get(
    "/package",
    response={200: PackageOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: InvalidInputOut},
    summary="The patient's package (Twój pakiet medyczny)",
)
def package_detail(request: HttpRequest, query: Query[PackageIn]) -> PackageOut:
    """PKG-7: what the package covers, the limits used and left this enrolment year, the partner facilities."""
    _user, actor = request_actor(request)  # ACC-7: 403 package_inactive
    scope = actor.scope(Action.PACKAGE_VIEW)
    if scope is None:
        raise role_not_allowed()
    patient_id = query.patient_id
    if scope is Scope.OWN:
        patient_id = patient_id if patient_id is not None else actor.patient_id
        if patient_id is None or patient_id not in actor.family_ids:
            raise NotFound(_("No such patient."), code="patient_not_found")
    elif patient_id is None:
        raise ValidationFailed(_("Name the patient (patient_id)."), code="patient_id_required")
    patient = Patient.objects.filter(pk=patient_id).first()
    if patient is None or not actor.reaches(Action.PACKAGE_VIEW, patient_id=patient.pk):
        raise NotFound(_("No such patient."), code="patient_not_found")
    day = clock.today()
    overview = package_overview(patient=patient, day=day)
    if patient.pk != actor.patient_id:
        record_reads(request, patient_ids=[patient.pk], what=What.API_DETAIL, reference="package")
    if overview is None:
        raise NotFound(_("This patient has no package."), code="no_package")
    enrolment = overview.enrolment
    return PackageOut(
        patient_id=patient.pk,
        patient_name=patient.full_name,
        tier_code=enrolment.tier.code,
        tier=enrolment.tier.name,
        tier_en=enrolment.tier.name_en,
        contract=enrolment.contract.name,
        activated_on=enrolment.activated_on,
        paid_through=enrolment.paid_through,
        active=enrolment.activated_on <= day <= enrolment.paid_through,
        ecard_number=enrolment.ecard_number,
        enrolment_year_start=overview.year_start,
        enrolment_year_end=overview.year_end,
        benefits=[
            BenefitOut(
                code=benefit.code,
                group=benefit.group,
                title=benefit.title,
                text=benefit.text,
                scope_count=benefit.scope_count,
                lines=[
                    CoverageLineOut(
                        rule=line.rule,
                        annual_limit=line.annual_limit,
                        discount_percent=line.discount_percent,
                        without_referral=line.without_referral,
                        other_services=line.other_services,
                        targets=list(line.targets),
                    )
                    for line in benefit.lines
                ],
            )
            for benefit in overview.benefits
        ],
        limits=[
            LimitOut(
                pool=limit.pool,
                benefit_title=limit.benefit_title,
                targets=list(limit.targets),
                limit=limit.limit,
                used=limit.used,
                left=limit.left,
                once_a_year=limit.once_a_year,
            )
            for limit in overview.limits
        ],
        partner_facilities=[
            PartnerOut(
                id=facility.pk,
                name=facility.name,
                city=facility.city.name,
                address=facility.address,
                postal_code=facility.postal_code,
                phone=facility.phone,
                scope=localized(facility, "scope"),
                offers_telemedicine=facility.offers_telemedicine,
            )
            for facility in overview.partners
        ],
    )
