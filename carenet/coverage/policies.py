"""Coverage rules: what a patient's package pays for (PKG-1, PKG-3, PKG-4, PKG-5) and the E-Karta (PKG-6).

Pure Python, no Django: the coverage matrix arrives as :class:`CoverageItem` rows (one per ``BenefitItem`` of the
patient's tier), the service as :class:`ServiceFacts`, the annual use as counts per limit pool, and
:func:`decide_coverage` answers with a :class:`CoverageDecision`. Dates are passed in; nothing here reads a clock.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from carenet.core.dates import anniversary


class ItemRule(StrEnum):
    """How a benefit item covers its target (PKG-4); the values of ``coverage.models.Rule``."""

    COVERED = "covered"
    ANNUAL_LIMIT = "annual_limit"
    ONCE_A_YEAR = "once_a_year"
    DISCOUNT = "discount"


class CoverageKind(StrEnum):
    """The answer to "does my package pay for this?" (PKG-4)."""

    COVERED = "covered"
    WITHIN_LIMIT = "within_limit"
    ONCE_A_YEAR = "once_a_year"
    DISCOUNTED = "discounted"
    NOT_COVERED = "not_covered"


#: Services a specialty item covers are that specialty's consultations (``network.Service.Kind.CONSULTATION``).
CONSULTATION_KIND = "consultation"

#: PKG-1, seed row "Rabat 10% na pozostałe usługi … (z wyłączeniem stomatologii)": the general discount on other
#: services never applies to dentistry, nor to programme benefits of kind "other" (travel insurance, VIP carer,
#: hospital coordination, second opinion, consilium), which are not services the network sells.
OTHER_SERVICES_EXCLUDED_KINDS = frozenset({"dental", "other"})

#: Units of a once-a-year item per enrolment year.
ONCE_A_YEAR_UNITS = 1

_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class CoverageItem:
    """One ``BenefitItem`` of a tier: what it targets, for which ages, under which rule (PKG-1).

    Exactly one target: ``service_code``, ``specialty_code`` (the specialty's consultations) or ``other_services``.
    The age band is ``min_age`` inclusive, ``max_age`` exclusive (adults: ``min_age=18``; children: ``max_age=18``).
    """

    benefit_code: str
    service_code: str | None = None
    specialty_code: str | None = None
    other_services: bool = False
    min_age: int | None = None
    max_age: int | None = None
    rule: ItemRule = ItemRule.COVERED
    annual_limit: int | None = None
    limit_pool: str | None = None
    discount_percent: int | None = None
    without_referral: bool = False

    def fits_age(self, age: int) -> bool:
        return _in_band(age, self.min_age, self.max_age)

    def targets(self, service: ServiceFacts) -> bool:
        """True when the item names the service, or its specialty and the service is a consultation (PKG-4)."""
        if self.other_services:
            return False
        if self.service_code is not None:
            return self.service_code == service.code
        return (
            self.specialty_code is not None
            and service.kind == CONSULTATION_KIND
            and service.specialty_code == self.specialty_code
        )


@dataclass(frozen=True, slots=True)
class ServiceFacts:
    """What coverage needs to know about a catalogue service."""

    code: str
    kind: str
    specialty_code: str | None = None
    requires_referral: bool = False
    min_age: int | None = None
    max_age: int | None = None


@dataclass(frozen=True, slots=True)
class CoverageDecision:
    """PKG-4: covered, within an annual limit (used / left), once a year, discounted (percent) or not covered.

    ``limit_pool`` is the pool a booking under this decision uses up (within-limit and once-a-year decisions only).
    ``limit``, ``used`` and ``left`` describe that pool; when a pool was exhausted and the decision fell through to
    a lesser rule, they describe the exhausted pool (``left == 0``) and ``limit_pool`` is ``None``.
    ``entitled`` is ``False`` when the patient has no active enrolment on the day (PKG-3); ``age_fits`` is
    ``False`` when the patient's age is outside the service's own age range.
    """

    kind: CoverageKind
    price: Decimal
    price_to_pay: Decimal
    benefit_code: str | None = None
    limit: int | None = None
    used: int | None = None
    left: int | None = None
    discount_percent: int | None = None
    requires_referral: bool = False
    limit_pool: str | None = None
    age_fits: bool = True
    entitled: bool = True

    @property
    def bookable_without_payment(self) -> bool:
        """The package pays the whole price: covered, within a limit with units left, or the once-a-year use."""
        return (
            self.entitled
            and self.age_fits
            and self.kind in {CoverageKind.COVERED, CoverageKind.WITHIN_LIMIT, CoverageKind.ONCE_A_YEAR}
        )

    @property
    def limit_exhausted(self) -> bool:
        """PKG-5: the annual limit this service falls under is used up (the decision fell through to a lesser rule,
        ``left == 0`` with no pool to use): what the booking refuses and the search hides, from one reading."""
        return self.left == 0 and self.limit_pool is None and self.limit is not None


@dataclass(frozen=True, slots=True)
class _PoolState:
    item: CoverageItem
    limit: int
    used: int

    @property
    def left(self) -> int:
        return max(self.limit - self.used, 0)


def enrolment_year(activated_on: dt.date, day: dt.date) -> tuple[dt.date, dt.date]:
    """The enrolment year containing ``day`` as a half-open range ``[start, end)`` (PKG-5).

    Annual limits count per enrolment year from the activation date, not per calendar year. An enrolment
    activated on 29 February renews on 1 March in common years (and on 29 February in leap years), so every day
    belongs to exactly one enrolment year and no year loses the last day of February.
    """
    if day < activated_on:
        raise ValueError("the day precedes the activation date")
    start = anniversary(activated_on, day.year, leap_day_moves_to=(3, 1))
    if start > day:
        start = anniversary(activated_on, day.year - 1, leap_day_moves_to=(3, 1))
    return start, anniversary(activated_on, start.year + 1, leap_day_moves_to=(3, 1))


def decide_coverage(
    *,
    items: Iterable[CoverageItem],
    service: ServiceFacts,
    age: int,
    used_by_pool: Mapping[str, int],
    price: Decimal,
) -> CoverageDecision:
    """Decide how the tier's ``items`` cover ``service`` for a patient of ``age`` (PKG-4, PKG-5).

    An item applies when it names the service (or the service's specialty, for a consultation) and the age is in
    its band. Among the applicable items the patient gets the best one, in this order:

    1. covered, with no referral needed (the service needs none, or the item waives it);
    2. once a year, while the year's use is not taken (a used one falls through) — the lab panel without referral
       ranks here, above the same test covered only with a referral;
    3. covered with a referral;
    4. within an annual limit with units left (an exhausted limit falls through; ``used``/``left`` are reported);
    5. the highest discount named for the service;
    6. the tier's discount on other services (never for dentistry or programme benefits);
    7. not covered, at the full price.

    ``used_by_pool`` counts the units already used in the enrolment year per limit pool (PKG-5: cancelled
    bookings are not counted, no-shows are). A service whose own age range excludes the patient is not covered and
    the decision says ``age_fits=False``.
    """
    price = Decimal(price)
    if not _in_band(age, service.min_age, service.max_age):
        return CoverageDecision(
            kind=CoverageKind.NOT_COVERED,
            price=price,
            price_to_pay=price,
            requires_referral=service.requires_referral,
            age_fits=False,
        )

    all_items = tuple(items)
    matches = [item for item in all_items if item.targets(service) and item.fits_age(age)]
    exhausted: _PoolState | None = None

    covered = [item for item in matches if item.rule is ItemRule.COVERED]
    for item in covered:
        if not _needs_referral(item, service):
            return _granted(CoverageKind.COVERED, item, service, price)

    for item in _of_rule(matches, ItemRule.ONCE_A_YEAR):
        if covered and _needs_referral(item, service):
            continue  # covered with a referral anyway: no reason to spend the once-a-year use
        state = _pool_state(item, ONCE_A_YEAR_UNITS, used_by_pool)
        if state.left > 0:
            return _granted(CoverageKind.ONCE_A_YEAR, item, service, price, state)
        exhausted = exhausted or state

    if covered:
        return _with_exhausted(_granted(CoverageKind.COVERED, covered[0], service, price), exhausted)

    limited = [
        _pool_state(item, item.annual_limit or 0, used_by_pool) for item in _of_rule(matches, ItemRule.ANNUAL_LIMIT)
    ]
    for state in sorted(limited, key=lambda state: -state.left):
        if state.left > 0:
            return _granted(CoverageKind.WITHIN_LIMIT, state.item, service, price, state)
        exhausted = exhausted or state

    discount = _best_discount(_of_rule(matches, ItemRule.DISCOUNT))
    if discount is None and service.kind not in OTHER_SERVICES_EXCLUDED_KINDS:
        general = [item for item in all_items if item.other_services and item.fits_age(age)]
        discount = _best_discount(_of_rule(general, ItemRule.DISCOUNT))
    if discount is not None:
        percent = discount.discount_percent or 0
        decision = CoverageDecision(
            kind=CoverageKind.DISCOUNTED,
            benefit_code=discount.benefit_code,
            discount_percent=percent,
            price=price,
            price_to_pay=discounted_price(price, percent),
            requires_referral=_needs_referral(discount, service),
        )
        return _with_exhausted(decision, exhausted)

    decision = CoverageDecision(
        kind=CoverageKind.NOT_COVERED, price=price, price_to_pay=price, requires_referral=service.requires_referral
    )
    return _with_exhausted(decision, exhausted)


def not_entitled(*, service: ServiceFacts, price: Decimal) -> CoverageDecision:
    """PKG-3: no active enrolment on the day — the service is bookable only as paid, at the full price."""
    price = Decimal(price)
    return CoverageDecision(
        kind=CoverageKind.NOT_COVERED,
        price=price,
        price_to_pay=price,
        requires_referral=service.requires_referral,
        entitled=False,
    )


def discounted_price(price: Decimal, percent: int) -> Decimal:
    """The price after a percentage discount, rounded half-up to the grosz."""
    return (Decimal(price) * (_HUNDRED - Decimal(percent)) / _HUNDRED).quantize(_CENT, rounding=ROUND_HALF_UP)


def _in_band(age: int, min_age: int | None, max_age: int | None) -> bool:
    return (min_age is None or age >= min_age) and (max_age is None or age < max_age)


def _needs_referral(item: CoverageItem, service: ServiceFacts) -> bool:
    return service.requires_referral and not item.without_referral


def _of_rule(items: Sequence[CoverageItem], rule: ItemRule) -> list[CoverageItem]:
    return [item for item in items if item.rule is rule]


def _best_discount(items: Sequence[CoverageItem]) -> CoverageItem | None:
    return max(items, key=lambda item: item.discount_percent or 0, default=None)


def _pool_state(item: CoverageItem, limit: int, used_by_pool: Mapping[str, int]) -> _PoolState:
    used = used_by_pool.get(item.limit_pool, 0) if item.limit_pool else 0
    return _PoolState(item=item, limit=limit, used=used)


def _granted(
    kind: CoverageKind,
    item: CoverageItem,
    service: ServiceFacts,
    price: Decimal,
    state: _PoolState | None = None,
) -> CoverageDecision:
    return CoverageDecision(
        kind=kind,
        benefit_code=item.benefit_code,
        price=price,
        price_to_pay=Decimal("0.00"),
        requires_referral=_needs_referral(item, service),
        limit=state.limit if state else None,
        used=state.used if state else None,
        left=state.left if state else None,
        limit_pool=item.limit_pool if state else None,
    )


def _with_exhausted(decision: CoverageDecision, exhausted: _PoolState | None) -> CoverageDecision:
    if exhausted is None:
        return decision
    return replace(decision, limit=exhausted.limit, used=exhausted.used, left=0, limit_pool=None)


# --- E-Karta (PKG-6) -------------------------------------------------------------------------------------------


#: An E-Karta number: ten digits, the last a Luhn check digit.
ECARD_NUMBER_LENGTH = 10


class EcardStatus(StrEnum):
    """PKG-6: whether a card proves entitlement on a day."""

    VALID = "valid"
    NOT_YET_ACTIVE = "not_yet_active"
    EXPIRED = "expired"


def luhn_check_digit(digits: str) -> int:
    """The Luhn check digit to append to ``digits`` (the E-Karta number's last digit, PKG-6)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def ecard_number_valid(number: str) -> bool:
    """PKG-6: ten ASCII digits whose last is the Luhn check digit of the first nine."""
    return (
        len(number) == ECARD_NUMBER_LENGTH
        and number.isascii()
        and number.isdigit()
        and luhn_check_digit(number[:-1]) == int(number[-1])
    )


def ecard_status(*, activated_on: dt.date, paid_through: dt.date, day: dt.date) -> EcardStatus:
    """PKG-6 (PKG-3): valid from the activation date through the last paid day, both inclusive; invalid before
    (not yet active) and from the day after the last paid day (expired)."""
    if day < activated_on:
        return EcardStatus.NOT_YET_ACTIVE
    if day > paid_through:
        return EcardStatus.EXPIRED
    return EcardStatus.VALID


def ecard_sign(number: str, secret: str) -> str:
    """PKG-6: the signature a card's QR code carries with its number (HMAC-SHA256, base64url without padding), so
    a QR code with another number or a made-up signature is refused."""
    digest = hmac.new(secret.encode(), f"ecard:{number}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def ecard_verify_signature(number: str, signature: str, secret: str) -> bool:
    """PKG-6: true only when ``signature`` is the card's own (compared in constant time). A signature is ASCII:
    anything else is simply not the card's (``hmac.compare_digest`` refuses non-ASCII text)."""
    if not secret or not signature.isascii():
        return False
    return hmac.compare_digest(ecard_sign(number, secret), signature)
