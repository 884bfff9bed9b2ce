"""Coverage reads (PKG-3..6): a tier's matrix, the active enrolment, the year's use, the decision, the E-Karta.

The rules live in :mod:`carenet.coverage.policies`; this module only gathers their inputs from the database.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, QuerySet, Subquery

from carenet.accounts.models import Patient
from carenet.core.baked import BakedQuery, BoundQuery
from carenet.core.clock import at_warsaw
from carenet.core.clock import now as clock_now
from carenet.core.dates import age_on
from carenet.core.kept import KeptUnderToken
from carenet.coverage.models import MATRIX_VERSION_ROW, BenefitItem, Enrolment, MatrixVersion, RosterEntry
from carenet.coverage.policies import (
    CoverageDecision,
    CoverageItem,
    EcardStatus,
    ItemRule,
    ServiceFacts,
    decide_coverage,
    ecard_number_valid,
    ecard_status,
    ecard_verify_signature,
    enrolment_year,
    not_entitled,
)
from carenet.network.models import Facility, FacilityPrice, Service

#: PKG-5: appointment statuses that use up a unit of an annual limit. A cancelled booking gives its unit back; a
#: no-show does not. (A late refusal, ``refused_late``, is not counted.) Values of ``booking.Appointment.Status``,
#: kept here as strings because coverage sits below booking and does not import it.
LIMIT_USING_STATUSES = ("booked", "checked_in", "completed", "no_show")

#: The matrix as this process last read it under its token (:func:`matrix_version`): each tier's items, the pregnancy
#: services and the catalogue's services. A request whose token differs starts afresh.
_MATRIX = KeptUnderToken()
#: Where :func:`matrix_version` keeps the token for the rest of the transaction it was read in.
_TOKEN_ON_BLOCK = "_carenet_matrix_token"  # noqa: S105 - an attribute name, not a secret


def matrix_version() -> int:
    """PERF (issue 16): the coverage matrix's current token (:class:`MatrixVersion`; 0 before the first change) —
    one query by primary key, read once per transaction: inside ``transaction.atomic()`` the token read first is
    kept on that block, so a booking decides its coverage and its pregnancy rules on one reading of the matrix."""
    kept = _token_kept_on_block()
    if kept is not None:
        return kept
    found = _MATRIX_TOKEN.rows(row=MATRIX_VERSION_ROW)
    return _token_read((found[0][0] if found else 0) or 0)


def matrix_token_column() -> Subquery:
    """PERF (issue 16): the matrix's token as a column of another read (a scalar subquery by primary key; NULL
    before the first change), so a request that reads something else anyway needs no statement of its own for it
    (a page of offers reads it with the patient's enrolments). Hand what it read to :func:`matrix_version_read`."""
    return Subquery(MatrixVersion.objects.filter(pk=MATRIX_VERSION_ROW).values("token")[:1])


def matrix_version_read(token: int | None) -> int:
    """:func:`matrix_version` for a token read by another statement (:func:`matrix_token_column`): the same answer
    — inside a transaction the token read first in it, kept on the block."""
    kept = _token_kept_on_block()
    if kept is not None:
        return kept
    return _token_read(token or 0)


def _token_kept_on_block() -> int | None:
    block = connection.atomic_blocks[-1] if connection.atomic_blocks else None
    kept = getattr(block, _TOKEN_ON_BLOCK, None) if block is not None else None
    return int(kept) if kept is not None else None


def _token_read(token: int) -> int:
    if connection.atomic_blocks:
        setattr(connection.atomic_blocks[-1], _TOKEN_ON_BLOCK, token)
    return token


def _matrix_token(_shape: None, *, row: int) -> QuerySet[MatrixVersion, Any]:
    return MatrixVersion.objects.filter(pk=row).order_by("pk").values_list("token")[:1]


#: The token's read (every search and booking), compiled once per process (issue 16).
_MATRIX_TOKEN = BakedQuery(MatrixVersion, _matrix_token)


def matrix_changed() -> None:
    """The matrix changed (loader, back office, any save of a tier, benefit, item, service or specialty): a new
    token, so every process reads the matrix again on its next request. This process forgets its copy at once."""
    token = secrets.randbits(62) + 1
    updated = MatrixVersion.objects.filter(pk=MATRIX_VERSION_ROW).update(token=token, changed_at=clock_now())
    if not updated:
        MatrixVersion.objects.update_or_create(pk=MATRIX_VERSION_ROW, defaults={"token": token})
    for block in connection.atomic_blocks:
        if hasattr(block, _TOKEN_ON_BLOCK):
            delattr(block, _TOKEN_ON_BLOCK)
    coverage_items_cache_clear()


def coverage_items_for_tier(*, tier_code: str, version: int | None = None) -> list[CoverageItem]:
    """Every benefit item of a tier as pure :class:`CoverageItem` rows, in table order (PKG-1).

    Cached per process under the matrix's token (``version``, else :func:`matrix_version` is read): a request costs
    the token's read, and the items' query only after a change of the matrix anywhere.
    """
    token = matrix_version() if version is None else version
    return list(_MATRIX.get(token, ("items", tier_code), lambda: _tier_items(tier_code)))


def _tier_items(tier_code: str) -> tuple[CoverageItem, ...]:
    rows = (
        BenefitItem.objects.filter(benefit__tiers__code=tier_code)
        .order_by("benefit__position", "benefit__code", "id")
        .values_list(
            "benefit__code",
            "service__code",
            "specialty__code",
            "other_services",
            "min_age",
            "max_age",
            "rule",
            "annual_limit",
            "limit_pool",
            "discount_percent",
            "without_referral",
        )
    )
    return tuple(
        CoverageItem(
            benefit_code=benefit_code,
            service_code=service_code,
            specialty_code=specialty_code,
            other_services=other_services,
            min_age=min_age,
            max_age=max_age,
            rule=ItemRule(rule),
            annual_limit=annual_limit,
            limit_pool=limit_pool or None,
            discount_percent=discount_percent,
            without_referral=without_referral,
        )
        for (
            benefit_code,
            service_code,
            specialty_code,
            other_services,
            min_age,
            max_age,
            rule,
            annual_limit,
            limit_pool,
            discount_percent,
            without_referral,
        ) in rows
    )


def coverage_items_cache_clear() -> None:
    """Forget this process's copy of the matrix (the next request reads it again)."""
    _MATRIX.clear()


#: BKG-7: the group of the coverage matrix's pregnancy-care benefit (seed row 30); its items name the pregnancy
#: services — the one place that says which services a pregnancy is led with.
PREGNANCY_BENEFIT_GROUP = "pregnancy"


def pregnancy_service_ids(*, version: int | None = None) -> frozenset[int]:
    """BKG-7: the catalogue services of the pregnancy-care benefit, whatever the tier; cached with the matrix under
    its token (``version``, else :func:`matrix_version` is read)."""
    token = matrix_version() if version is None else version
    return _MATRIX.get(
        token,
        "pregnancy",
        lambda: frozenset(
            BenefitItem.objects.filter(benefit__group=PREGNANCY_BENEFIT_GROUP, service__isnull=False).values_list(
                "service_id", flat=True
            )
        ),
    )


def catalogue_services(service_ids: Iterable[int], *, version: int | None = None) -> dict[int, Service]:
    """PERF (issue 16): the catalogue's services by id, with their specialty — the services a page of search results
    offers. Kept per process with the matrix under its token (``version``, else :func:`matrix_version` is read): a
    save or delete of any service or specialty writes a new token. An id missing from the copy (a service added
    without a save, as a bulk load does) is read from the database. The instances are shared: read them, never
    change them."""
    token = matrix_version() if version is None else version
    cached = _MATRIX.get(
        token, "services", lambda: {service.pk: service for service in Service.objects.select_related("specialty")}
    )
    wanted = set(service_ids)
    found = {pk: cached[pk] for pk in wanted if pk in cached}
    if len(found) < len(wanted):
        missing = wanted - found.keys()
        found.update(
            {service.pk: service for service in Service.objects.select_related("specialty").filter(pk__in=missing)}
        )
    return found


def enrolment_active_on(*, patient: Patient, day: dt.date) -> Enrolment | None:
    """PKG-3: the patient's enrolment in force on ``day`` — from its activation date through its last paid day.

    If several are in force (two programmes), the highest tier wins, then the latest activation. Every booking and
    coverage decision asks it: the statement is compiled once per process (issue 16), only the patient and the day
    change.
    """
    return _ENROLMENT_IN_FORCE.first(patient_id=patient.pk, day=day)


def _enrolment_in_force(_shape: None, *, patient_id: int, day: dt.date) -> QuerySet[Enrolment]:
    return (
        Enrolment.objects.filter(patient_id=patient_id, activated_on__lte=day, paid_through__gte=day)
        .select_related("tier")
        .order_by("-tier__rank", "-activated_on", "-id")[:1]
    )


_ENROLMENT_IN_FORCE = BakedQuery(Enrolment, _enrolment_in_force)


def package_in_force_of_login(*, day: dt.date, user_ref: Any) -> Exists:
    """ACC-7 as part of a query that reads a login (``user_ref``: an ``OuterRef`` to a user id): whether the login's
    own patient record has a package in force on ``day``. True settles ACC-7 for the request without a query of its
    own (issue 16); false still asks :func:`package_active_for`, since a child's package also opens the portal."""
    return Exists(Enrolment.objects.filter(patient__user_id=user_ref, activated_on__lte=day, paid_through__gte=day))


def package_active_for(*, patient_ids: Iterable[int], day: dt.date) -> bool:
    """ACC-7: whether any of these patients (an account holder and the children they act for) has a package in
    force on ``day`` (PKG-3: from its activation through its last paid day). One query."""
    ids = sorted(set(patient_ids))
    if not ids:
        return False
    return Enrolment.objects.filter(patient_id__in=ids, activated_on__lte=day, paid_through__gte=day).exists()


def limit_use_for(*, enrolment: Enrolment, day: dt.date) -> dict[str, int]:
    """PKG-5: units used per limit pool in the enrolment year containing ``day`` (by the visit's start)."""
    start, end = enrolment_year(enrolment.activated_on, day)
    rows = (
        enrolment.appointments.filter(
            status__in=LIMIT_USING_STATUSES,
            slot__starts_at__gte=at_warsaw(start, dt.time.min),
            slot__starts_at__lt=at_warsaw(end, dt.time.min),
        )
        .exclude(limit_pool="")
        .values("limit_pool")
        .annotate(used=Count("id"))
        .values_list("limit_pool", "used")
    )
    return dict(rows)


def service_facts(service: Service) -> ServiceFacts:
    """The facts coverage needs about a ``network.Service``."""
    return ServiceFacts(
        code=service.code,
        kind=service.kind,
        specialty_code=service.specialty.code if service.specialty is not None else None,
        requires_referral=service.requires_referral,
        min_age=service.min_age,
        max_age=service.max_age,
    )


def service_price(*, service: Service, facility: Facility | None = None) -> Decimal:
    """PKG-4: the price a patient pays when the package does not cover the service: the facility's price list,
    else the catalogue's base price."""
    if facility is not None:
        listed = _FACILITY_PRICE.rows(facility_id=facility.pk, service_id=service.pk)
        if listed:
            return listed[0][0]
    return service.base_price


def _facility_price(_shape: None, *, facility_id: int, service_id: int) -> QuerySet[FacilityPrice, Any]:
    return (
        FacilityPrice.objects.filter(facility_id=facility_id, service_id=service_id)
        .order_by("pk")
        .values_list("price")[:1]
    )


#: A booking's price list read (PKG-4), compiled once per process (issue 16).
_FACILITY_PRICE = BakedQuery(FacilityPrice, _facility_price)


def coverage_for(
    *, patient: Patient, service: Service, day: dt.date, facility: Facility | None = None
) -> CoverageDecision:
    """PKG-4: how the patient's package covers ``service`` on ``day`` (at ``facility``'s prices, if given).

    Without an enrolment in force on the day this does not raise: it answers NOT_COVERED at the full price with
    ``entitled=False``, so every front door can offer the paid visit (PKG-4) or explain why (PKG-3).
    """
    return coverage_and_enrolment(patient=patient, service=service, day=day, facility=facility)[0]


def coverage_and_enrolment(
    *, patient: Patient, service: Service, day: dt.date, facility: Facility | None = None
) -> tuple[CoverageDecision, Enrolment | None]:
    """:func:`coverage_for` and the enrolment in force on ``day`` it was decided on (PKG-3, PKG-4), for a booking
    that records both (one read of the enrolment, not two). The year's use of the annual limits (PKG-5) is read
    only when the tier's items for the service have a limit or a once-a-year rule."""
    facts = service_facts(service)
    price = service_price(service=service, facility=facility)
    enrolment = enrolment_active_on(patient=patient, day=day)
    if enrolment is None:
        return not_entitled(service=facts, price=price), None
    decision = decide_coverage(
        items=coverage_items_for_tier(tier_code=enrolment.tier.code),
        service=facts,
        age=age_on(patient.birth_date, day),
        used_by_pool=LimitUse(enrolment=enrolment, day=day),
        price=price,
    )
    return decision, enrolment


class LimitUse(Mapping[str, int]):
    """PKG-5: the units used per limit pool in an enrolment year (:func:`limit_use_for`), read from the database the
    first time the coverage rules look at it — a decision on a service without a limit nor a once-a-year rule costs
    no query for it (a booking's, and a page of search results', issue 16)."""

    def __init__(self, *, enrolment: Enrolment, day: dt.date) -> None:
        self._enrolment, self._day = enrolment, day
        self._use: dict[str, int] | None = None

    def _loaded(self) -> dict[str, int]:
        if self._use is None:
            self._use = limit_use_for(enrolment=self._enrolment, day=self._day)
        return self._use

    def __getitem__(self, pool: str) -> int:
        return self._loaded()[pool]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


def partner_facility_ids_allowed(*, patient: Patient, day: dt.date) -> BoundQuery:
    """PKG-2: the ids of the partner facilities the contracts of the patient's enrolments in force on ``day`` allow
    — a query not yet built: the search reads it as a subquery of its list of partners (issue 16: one query, not
    two; the patient and the day are values of its compiled statement); iterate it for the ids themselves."""
    return BoundQuery(build=_partner_ids_allowed, values=(("patient_id", patient.pk), ("day", day)))


def _partner_ids_allowed(*, patient_id: int, day: dt.date) -> QuerySet[Any, int]:
    from carenet.coverage.models import Contract

    return Contract.partner_facilities.through.objects.filter(
        contract__enrolments__patient=patient_id,
        contract__enrolments__activated_on__lte=day,
        contract__enrolments__paid_through__gte=day,
    ).values_list("facility_id", flat=True)


class EcardRefusal:
    """PKG-6: why a card does not prove entitlement (the ``reason`` of :class:`EcardCheck`)."""

    UNKNOWN_NUMBER = "unknown_number"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    NOT_YET_ACTIVE = "not_yet_active"


@dataclass(frozen=True, slots=True)
class EcardCheck:
    """PKG-6: everything a verification may reveal — valid or not (and why), whose card (first name and the
    last name's initial), its tier and the last valid day. Nothing more: no PESEL, no address, no visits."""

    valid: bool
    reason: str | None = None
    holder: str | None = None
    tier: str | None = None
    valid_until: dt.date | None = None
    tier_en: str = ""  # the tier's English name (BEY-5)
    #: Whose card it is — never shown; the door records the check as a read of that patient's data.
    patient_id: int | None = None


def ecard_for_patient(*, patient: Patient, day: dt.date) -> Enrolment | None:
    """PKG-6: the enrolment whose E-Karta the patient shows: the one in force on ``day``, else the latest one."""
    active = enrolment_active_on(patient=patient, day=day)
    if active is not None:
        return active
    return (
        Enrolment.objects.filter(patient=patient)
        .select_related("tier")
        .order_by("-paid_through", "-activated_on", "-id")
        .first()
    )


def ecard_holder_label(*, first_name: str, last_name: str) -> str:
    """The holder as a verification shows them: "Anna K." (first name, the last name's initial)."""
    initial = last_name.strip()[:1]
    return f"{first_name} {initial}." if initial else first_name


def ecard_verify(*, number: str, signature: str | None, day: dt.date) -> EcardCheck:
    """PKG-6: reception's or a partner facility's check of a card, typed (``signature=None``) or scanned from its
    QR code (the signature must then be the card's own: a forged code is refused as ``bad_signature``).

    A number that is malformed or belongs to no card answers ``unknown_number`` and reveals nothing else.
    """
    number = number.strip()
    if not ecard_number_valid(number):
        return EcardCheck(valid=False, reason=EcardRefusal.UNKNOWN_NUMBER)
    if signature is not None and not ecard_verify_signature(number, signature.strip(), settings.CARENET_ECARD_SECRET):
        return EcardCheck(valid=False, reason=EcardRefusal.BAD_SIGNATURE)
    enrolment = (
        Enrolment.objects.filter(ecard_number=number)
        .select_related("tier")
        .only(
            "activated_on", "paid_through", "tier__name", "tier__name_en", "patient__first_name", "patient__last_name"
        )
        .select_related("patient")
        .first()
    )
    if enrolment is None:
        return EcardCheck(valid=False, reason=EcardRefusal.UNKNOWN_NUMBER)
    status = ecard_status(activated_on=enrolment.activated_on, paid_through=enrolment.paid_through, day=day)
    return EcardCheck(
        valid=status == EcardStatus.VALID,
        reason=None if status == EcardStatus.VALID else str(status),
        holder=ecard_holder_label(first_name=enrolment.patient.first_name, last_name=enrolment.patient.last_name),
        tier=enrolment.tier.name,
        tier_en=enrolment.tier.name_en,
        valid_until=enrolment.paid_through,
        patient_id=enrolment.patient_id,
    )


# --- "Twój pakiet medyczny" (PKG-7) ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PackageItemLine:
    """What a benefit covers under one rule, for the patient's age: "covered: cardiology, dermatology …"."""

    rule: str
    annual_limit: int | None
    discount_percent: int | None
    without_referral: bool
    targets: tuple[str, ...]
    other_services: bool = False


@dataclass(frozen=True, slots=True)
class PackageBenefit:
    code: str
    group: str
    title: str
    text: str
    scope_count: int | None
    lines: tuple[PackageItemLine, ...]


@dataclass(frozen=True, slots=True)
class PackageLimit:
    """PKG-5: one annual limit of the package in the current enrolment year."""

    pool: str
    benefit_title: str
    targets: tuple[str, ...]
    limit: int
    used: int
    once_a_year: bool

    @property
    def left(self) -> int:
        return max(self.limit - self.used, 0)


@dataclass(frozen=True, slots=True)
class PackageOverview:
    """PKG-7: a patient's package — the enrolment, what it covers at their age, the limits used and left this
    enrolment year, and the partner facilities their contract allows (NET-2: booked by phone or on the spot)."""

    patient: Patient
    enrolment: Enrolment
    age: int
    year_start: dt.date | None
    year_end: dt.date | None
    benefits: tuple[PackageBenefit, ...]
    limits: tuple[PackageLimit, ...]
    partners: tuple[Facility, ...]


def _target_name(item: BenefitItem) -> str:
    from carenet.core.catalogue import localized

    if item.specialty is not None:
        return localized(item.specialty)
    if item.service is not None:
        return localized(item.service)
    return ""


def package_overview(*, patient: Patient, day: dt.date) -> PackageOverview | None:
    """PKG-7: the package the patient has on ``day`` (the one in force, else their latest) and what it covers for
    their age on that day. A constant number of queries: the enrolment, the tier's benefits and items, the year's
    use of every limit at once (one grouped query, PKG-5), the partner facilities."""
    enrolment = ecard_for_patient(patient=patient, day=day)
    if enrolment is None:
        return None
    enrolment = Enrolment.objects.select_related("tier", "contract").get(pk=enrolment.pk)
    age = age_on(patient.birth_date, day)
    items = (
        BenefitItem.objects.filter(benefit__tiers=enrolment.tier_id)
        .select_related("benefit", "service", "specialty")
        .order_by("benefit__position", "benefit__code", "id")
    )
    by_benefit: dict[int, list[BenefitItem]] = {}
    benefits: dict[int, Any] = {}
    for item in items:
        if (item.min_age is not None and age < item.min_age) or (item.max_age is not None and age >= item.max_age):
            continue
        by_benefit.setdefault(item.benefit_id, []).append(item)
        benefits[item.benefit_id] = item.benefit
    package_benefits: list[PackageBenefit] = []
    pools: dict[str, tuple[BenefitItem, list[str]]] = {}
    for benefit_id, benefit_items in by_benefit.items():
        grouped: dict[tuple[Any, ...], list[BenefitItem]] = {}
        for item in benefit_items:
            key = (item.rule, item.annual_limit, item.discount_percent, item.without_referral, item.other_services)
            grouped.setdefault(key, []).append(item)
            if item.rule in (ItemRule.ANNUAL_LIMIT, ItemRule.ONCE_A_YEAR) and item.limit_pool:
                pools.setdefault(item.limit_pool, (item, []))[1].append(_target_name(item))
        lines = tuple(
            PackageItemLine(
                rule=rule,
                annual_limit=limit,
                discount_percent=percent,
                without_referral=waived,
                other_services=other,
                targets=tuple(sorted({_target_name(item) for item in grouped_items if not item.other_services})),
            )
            for (rule, limit, percent, waived, other), grouped_items in grouped.items()
        )
        benefit = benefits[benefit_id]
        package_benefits.append(
            PackageBenefit(
                code=benefit.code,
                group=benefit.group,
                title=benefit.title,
                text=benefit.text,
                scope_count=benefit.scope_count,
                lines=lines,
            )
        )
    year_start = year_end = None
    use: dict[str, int] = {}
    if enrolment.activated_on <= day:
        year_start, year_end = enrolment_year(enrolment.activated_on, min(day, enrolment.paid_through))
        use = limit_use_for(enrolment=enrolment, day=min(day, enrolment.paid_through))
    limits = tuple(
        PackageLimit(
            pool=pool,
            benefit_title=item.benefit.title,
            targets=tuple(sorted(set(names))),
            limit=item.annual_limit or 1,
            used=use.get(pool, 0),
            once_a_year=item.rule == ItemRule.ONCE_A_YEAR,
        )
        for pool, (item, names) in pools.items()
    )
    partners = tuple(
        enrolment.contract.partner_facilities.filter(is_active=True)
        .select_related("city")
        .order_by("city__name", "name")
    )
    return PackageOverview(
        patient=patient,
        enrolment=enrolment,
        age=age,
        year_start=year_start,
        year_end=(year_end - dt.timedelta(days=1)) if year_end else None,
        benefits=tuple(package_benefits),
        limits=limits,
        partners=partners,
    )


# --- The roster of a contract (PKG-8) ----------------------------------------------------------------------------


def roster_entries(*, contract_id: int, search: str = "") -> QuerySet[RosterEntry]:
    """PKG-8: the people of a contract's roster, by last name — with whether each has a portal account
    (``registered``) and nothing else about them: no visits, no medical data."""
    from django.db.models import Exists, OuterRef

    registered = Patient.objects.filter(pesel=OuterRef("pesel"), user__isnull=False)
    entries = RosterEntry.objects.filter(contract_id=contract_id)
    search = search.strip()
    if search:
        entries = entries.filter(last_name__icontains=search) | entries.filter(pesel__endswith=search)
    return (
        entries.select_related("tier").annotate(registered=Exists(registered)).order_by("last_name", "first_name", "id")
    )


@dataclass(frozen=True, slots=True)
class ScopeRow:
    """One benefit of a contract's packages and whether each of the contract's tiers includes it."""

    title: str
    included: tuple[bool, ...]


def contract_package_scope(*, contract_id: int) -> tuple[list[Any], list[ScopeRow]]:
    """PKG-8: the package scope the contract's people have — its tiers and, per benefit of any of them, which tiers
    include it (the programme's table, no person in it). Three queries."""
    from carenet.coverage.models import Benefit, Tier

    tiers = list(Tier.objects.filter(contracts=contract_id).order_by("rank"))
    links = set(Benefit.tiers.through.objects.filter(tier__in=tiers).values_list("benefit_id", "tier_id"))
    benefits = Benefit.objects.filter(pk__in={benefit for benefit, _tier in links}).order_by("position", "code")
    rows = [
        ScopeRow(title=benefit.title, included=tuple((benefit.pk, tier.pk) in links for tier in tiers))
        for benefit in benefits
    ]
    return tiers, rows
