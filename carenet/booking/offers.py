"""Search results as offers to one patient (SCH-2, SCH-4, PKG-4): each free slot with what the patient's package says
about it — covered, within a limit (n left), once a year, discounted, paid (price), needs a referral, not entitled,
age not allowed — and the service's preparation instructions.

A page of results costs a constant number of queries: the patient's enrolments over the page's days (one query),
the matrix's token (one; the tier's matrix and the catalogue's services are cached under it), the year's use per
enrolment year on the page (one query each, a 90-day page spans at most two — and only when a service on the page
has a limit or a once-a-year rule), and the price list of every (service, facility) pair on the page (one query).
The pure :func:`decide_coverage` then runs once per distinct (service, facility, enrolment year, age), not once per
slot. The enrolments' and the prices' statements are baked (:mod:`carenet.core.baked`, issue 16).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db.models import Q, QuerySet

from carenet.accounts.models import Patient
from carenet.booking.models import Appointment
from carenet.booking.policies import BookingFacts, Refusal, Stage, level_one_cap_applies, refusal_for
from carenet.booking.selectors import active_portal_bookings_count, no_show_times
from carenet.booking.services import booking_limits, slot_is_remote
from carenet.clinical.models import Referral
from carenet.clinical.policies import ReferralFacts, ReferralSource, referral_usable
from carenet.core.baked import BakedQuery
from carenet.core.clock import local
from carenet.core.dates import age_on
from carenet.coverage.models import Enrolment
from carenet.coverage.policies import CoverageDecision, CoverageKind, decide_coverage, enrolment_year, not_entitled
from carenet.coverage.selectors import (
    LimitUse,
    catalogue_services,
    coverage_items_for_tier,
    matrix_token_column,
    matrix_version,
    matrix_version_read,
    pregnancy_service_ids,
    service_facts,
)
from carenet.network.models import FacilityPrice, Service
from carenet.pregnancy.selectors import pregnancy_facility_ids
from carenet.scheduling.models import Slot
from carenet.scheduling.search import SlotRow


class OfferStatus(StrEnum):
    """The one-word answer a result row shows (SCH-2), most important first."""

    NOT_ENTITLED = "not_entitled"
    AGE_NOT_ALLOWED = "age_not_allowed"
    REFERRAL_REQUIRED = "referral_required"
    COVERED = "covered"
    WITHIN_LIMIT = "within_limit"
    ONCE_A_YEAR = "once_a_year"
    DISCOUNTED = "discounted"
    PAID = "paid"
    #: No patient to decide for (a staff member searching without one), or the slot offers no service.
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Offer:
    #: A search result's row (:class:`carenet.scheduling.search.SlotRow`), or a slot read on its own.
    slot: Slot | SlotRow
    service: Service | None
    coverage: CoverageDecision | None
    status: OfferStatus

    @property
    def preparation(self) -> str:
        """SCH-4: how to prepare for the exam (empty for most consultations)."""
        return self.service.preparation if self.service is not None else ""

    @property
    def preparation_en(self) -> str:
        """SCH-4, BEY-5: the same in English (empty when the catalogue has no English text)."""
        return self.service.preparation_en if self.service is not None else ""


def slot_service(
    slot: Slot | SlotRow, *, service: Service | None = None, catalogue: Mapping[int, Service] | None = None
) -> Service | None:
    """The service a slot is offered for: the one searched for, else its schedule's consultation in the slot's
    specialty, else the schedule's first service. Reads a search row's ``service_ids`` in ``catalogue``
    (:func:`carenet.coverage.selectors.catalogue_services`) or a slot's prefetched ``schedule.services``."""
    if service is not None:
        return service
    if slot.schedule_id is None:  # an on-demand consultation's time (TEL-2) is never offered
        return None
    if isinstance(slot, SlotRow):
        catalogue = catalogue or {}
        services = [catalogue[pk] for pk in slot.service_ids if pk in catalogue]  # ids in order
    else:
        assert slot.schedule is not None
        services = sorted(slot.schedule.services.all(), key=lambda candidate: candidate.pk)
    for candidate in services:
        if candidate.kind == Service.Kind.CONSULTATION and candidate.specialty_id == slot.specialty_id:
            return candidate
    return services[0] if services else None


def offer_status(decision: CoverageDecision | None) -> OfferStatus:
    if decision is None:
        return OfferStatus.UNKNOWN
    if not decision.entitled:
        return OfferStatus.NOT_ENTITLED
    if not decision.age_fits:
        return OfferStatus.AGE_NOT_ALLOWED
    if decision.requires_referral:
        return OfferStatus.REFERRAL_REQUIRED
    return {
        CoverageKind.COVERED: OfferStatus.COVERED,
        CoverageKind.WITHIN_LIMIT: OfferStatus.WITHIN_LIMIT,
        CoverageKind.ONCE_A_YEAR: OfferStatus.ONCE_A_YEAR,
        CoverageKind.DISCOUNTED: OfferStatus.DISCOUNTED,
        CoverageKind.NOT_COVERED: OfferStatus.PAID,
    }[decision.kind]


def offers_for(
    *, patient: Patient | None, slots: Sequence[Slot | SlotRow], now: dt.datetime, service: Service | None = None
) -> list[Offer]:
    """SCH-2, PKG-4: annotate each slot with the patient's coverage for its service (``service`` when the search
    named one). Without a patient the offers carry no coverage (status ``unknown``). ``now`` is accepted for the
    symmetry of front doors; the decision depends on the visit's day, not on today."""
    del now
    version: int | None = None  # the matrix's token, read once for the page (issue 16)
    enrolments: list[Enrolment] = []
    days = [local(slot.starts_at).date() for slot in slots] if patient is not None else []
    if patient is not None and slots:
        # PKG-3: the enrolments in force over the page's days, with the matrix's token read in the same statement
        enrolments = _ENROLMENTS.all(patient_id=patient.pk, first_day=min(days), last_day=max(days))
        if enrolments:
            version = matrix_version_read(enrolments[0].matrix_token)  # type: ignore[attr-defined]
    catalogue: dict[int, Service] = {}
    if service is None and any(isinstance(slot, SlotRow) for slot in slots):
        if version is None:
            version = matrix_version()
        catalogue = catalogue_services(
            {pk for slot in slots if isinstance(slot, SlotRow) for pk in slot.service_ids}, version=version
        )
    services = [slot_service(slot, service=service, catalogue=catalogue) for slot in slots]
    if patient is None or not slots:
        return [
            Offer(slot=slot, service=svc, coverage=None, status=OfferStatus.UNKNOWN)
            for slot, svc in zip(slots, services, strict=True)
        ]
    prices = _prices(
        pairs={(svc.pk, slot.facility_id) for svc, slot in zip(services, slots, strict=True) if svc is not None}
    )
    use_by_year: dict[tuple[int, dt.date], LimitUse] = {}
    decisions: dict[tuple[int, int | None, int | None, dt.date | None, int], CoverageDecision] = {}
    offers: list[Offer] = []
    for slot, svc, day in zip(slots, services, days, strict=True):
        if svc is None:
            offers.append(Offer(slot=slot, service=None, coverage=None, status=OfferStatus.UNKNOWN))
            continue
        enrolment = next((e for e in enrolments if e.activated_on <= day <= e.paid_through), None)
        year_start = enrolment_year(enrolment.activated_on, day)[0] if enrolment is not None else None
        age = age_on(patient.birth_date, day)
        key = (svc.pk, slot.facility_id, enrolment.pk if enrolment else None, year_start, age)
        decision = decisions.get(key)
        if decision is None:
            price = prices.get((svc.pk, slot.facility_id), svc.base_price)
            if enrolment is None or year_start is None:
                decision = not_entitled(service=service_facts(svc), price=price)
            else:
                year_key = (enrolment.pk, year_start)
                if year_key not in use_by_year:
                    use_by_year[year_key] = LimitUse(enrolment=enrolment, day=day)
                decision = decide_coverage(
                    items=coverage_items_for_tier(tier_code=enrolment.tier.code, version=version),
                    service=service_facts(svc),
                    age=age,
                    used_by_pool=use_by_year[year_key],
                    price=price,
                )
            decisions[key] = decision
        offers.append(Offer(slot=slot, service=svc, coverage=decision, status=offer_status(decision)))
    return offers


def _enrolments_query(_shape: None, *, patient_id: int, first_day: dt.date, last_day: dt.date) -> QuerySet[Enrolment]:
    """PKG-3: the patient's enrolments in force on any day from ``first_day`` to ``last_day``, with their tier, the
    highest tier first (then the latest activation); each row also carries the coverage matrix's token
    (``matrix_token``, issue 16: no statement of its own for it when the patient has an enrolment)."""
    return (
        Enrolment.objects.filter(patient_id=patient_id, activated_on__lte=last_day, paid_through__gte=first_day)
        .select_related("tier")
        .annotate(matrix_token=matrix_token_column())
        .order_by("-tier__rank", "-activated_on", "-id")
    )


#: PERF (issue 16): the enrolments of a page's days, compiled once per process (~0.5 ms of CPU per search).
_ENROLMENTS: BakedQuery[Enrolment] = BakedQuery(Enrolment, _enrolments_query)


def _prices(*, pairs: set[tuple[int, int | None]]) -> dict[tuple[int, int | None], Decimal]:
    """The facility price list for every (service, facility) on the page, in one query (compiled once per process
    and number of services and facilities: :data:`_PRICES`)."""
    by_service: dict[int, list[int]] = {}
    for service_id, facility_id in sorted((s, f) for s, f in pairs if f is not None):
        by_service.setdefault(service_id, []).append(facility_id)
    if not by_service:
        return {}
    values: dict[str, int] = {}
    for n, (service_id, facility_ids) in enumerate(by_service.items()):
        values[f"service_{n}"] = service_id
        values.update({f"facility_{n}_{m}": facility_id for m, facility_id in enumerate(facility_ids)})
    shape = tuple(len(facility_ids) for facility_ids in by_service.values())
    rows = _PRICES.rows(shape=shape, **values)
    return {(service_id, facility_id): price for service_id, facility_id, price in rows}


def _prices_query(shape: tuple[int, ...], **ids: int) -> QuerySet[FacilityPrice, tuple[Any, ...]]:
    """The prices of ``shape[n]`` facilities of the ``n``-th service (``service_n``, ``facility_n_m``)."""
    condition = Q()
    for n, facilities in enumerate(shape):
        condition |= Q(
            service_id=ids[f"service_{n}"], facility_id__in=[ids[f"facility_{n}_{m}"] for m in range(facilities)]
        )
    return FacilityPrice.objects.filter(condition).values_list("service_id", "facility_id", "price")


#: PERF (issue 16): the page's prices, compiled once per process and shape (how many services, how many facilities
#: each): a search names one service or specialty, so a page has few.
_PRICES: BakedQuery[FacilityPrice] = BakedQuery(FacilityPrice, _prices_query, kept_shapes=64)


# --- Which offers the patient can book, asked before any click (issue 14, BKG-3..5, ACC-3, ACC-4) ----------------


@dataclass(frozen=True)
class Bookability:
    """The booking rules' answer for one offer, asked before the patient clicks (BKG-3).

    ``refusal``: the first refusal the booking service would give even when the patient does everything the
    confirmation step asks — accepts the price, picks a valid referral they hold, types the employer's referral data
    (``None``: it would book). ``referral_ids``: the patient's valid referrals for the offer's service, earliest
    expiry first (BKG-4), to offer on the card and to choose in advance on the confirmation step."""

    refusal: Refusal | None
    referral_ids: tuple[int, ...] = ()


def offers_bookability(
    *,
    patient: Patient,
    offers: Sequence[Offer],
    channel: str,
    now: dt.datetime,
    rescheduling: Appointment | None = None,
) -> list[Bookability]:
    """BKG-3 for a page of offers: the facts the booking service gathers (:func:`carenet.booking.services._facts`),
    read once for the page, then :func:`carenet.booking.policies.refusal_for` for each offer — the same rules in
    the same order, not a second reading of them. Facts of the slot that the search already excludes (a partner
    or a closed facility) are left false; the service decides them again when the patient books.

    Queries, whatever the number of offers and clinicians: the valid referrals (one), the active portal bookings
    (one, for a level I patient in the portal only), the no-shows per distinct specialty on the page (one each;
    a search names one specialty), the pregnancy services (one) and, for a page with pregnancy services, where the
    pregnancy is led on each of its days (BKG-7). ``rescheduling``: the visit being moved does not count towards the
    cap, and the referral it used may be used again."""
    if not offers:
        return []
    limits = booking_limits()
    today = local(now).date()
    exclude_ids = (rescheduling.pk,) if rescheduling is not None else ()
    active = (
        active_portal_bookings_count(patient=patient, now=now, exclude_ids=exclude_ids)
        if level_one_cap_applies(patient_level=patient.account_level, channel=channel)
        else 0
    )
    since = now - limits.no_show_window - limits.no_show_block
    no_shows = {
        specialty_id: no_show_times(patient=patient, specialty_id=specialty_id, since=since)
        for specialty_id in sorted({offer.slot.specialty_id for offer in offers if offer.service is not None})
    }
    referrals = _usable_referrals(patient=patient, today=today, rescheduling=rescheduling)
    # BKG-7: the pregnancy services (one query) and where the pregnancy is led on each day of the page that shows
    # one (one query per such day).
    pregnancy_services = pregnancy_service_ids()
    led_on: dict[dt.date, frozenset[int]] = {}
    for offer in offers:
        if offer.service is not None and offer.service.pk in pregnancy_services:
            day = local(offer.slot.starts_at).date()
            if day not in led_on:
                led_on[day] = pregnancy_facility_ids(patient_id=patient.pk, day=day)
    answers = []
    for offer in offers:
        service, decision = offer.service, offer.coverage
        if service is None or decision is None:
            answers.append(Bookability(refusal=None))
            continue
        source = ReferralSource.EMPLOYER if service.occupational else ReferralSource.NETWORK
        referral_ids = tuple(
            referral.pk
            for referral in referrals
            if referral_usable(
                _referral_facts(referral),
                patient_id=patient.pk,
                service_id=service.pk,
                today=today,
                source=source,
                for_appointment_id=rescheduling.pk if rescheduling is not None else None,
            )
        )
        facts = BookingFacts(
            now=now,
            slot_starts_at=offer.slot.starts_at,
            slot_ends_at=offer.slot.ends_at,
            channel=channel,
            patient_level=patient.account_level,
            active_portal_bookings=active,
            no_show_times=no_shows.get(offer.slot.specialty_id, ()),
            entitled=decision.entitled,
            age_fits=decision.age_fits,
            bookable_without_payment=decision.bookable_without_payment,
            price_to_pay=decision.price_to_pay,
            limit_exhausted=decision.limit_exhausted,
            limit=decision.limit,
            requires_referral=decision.requires_referral,
            referral_valid=bool(referral_ids),
            occupational=service.occupational,
            occupational_data=True,  # typed on the confirmation step (BKG-6)
            price_accepted=True,  # accepted on the confirmation step (PKG-4)
            rehabilitation=service.kind == Service.Kind.REHABILITATION,
            pregnancy_service=service.pk in pregnancy_services,
            pregnancy_facility_ids=led_on.get(local(offer.slot.starts_at).date(), frozenset()),
            slot_facility_id=offer.slot.facility_id,
            remote=slot_is_remote(offer.slot),
            stage=Stage.BOOK,
            limits=limits,
        )
        answers.append(Bookability(refusal=refusal_for(facts), referral_ids=referral_ids))
    return answers


def _usable_referrals(*, patient: Patient, today: dt.date, rescheduling: Appointment | None) -> list[Referral]:
    """The patient's referrals still in force and not replaced by a correction (CLN-5): unused, or used by the visit
    being moved. Whether one fits an offer is :func:`carenet.clinical.policies.referral_usable`'s call."""
    free = Q(used_by__isnull=True)
    if rescheduling is not None:
        free |= Q(used_by_id=rescheduling.pk)
    return list(
        Referral.objects.filter(free, patient=patient, valid_until__gte=today, superseded_by__isnull=True).order_by(
            "valid_until", "id"
        )
    )


def _referral_facts(referral: Referral) -> ReferralFacts:
    return ReferralFacts(
        patient_id=referral.patient_id,
        service_id=referral.service_id,
        source=ReferralSource(referral.source),
        valid_until=referral.valid_until,
        issued_on=local(referral.issued_at).date(),
        used_by_id=referral.used_by_id,
    )
