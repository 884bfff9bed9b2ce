"""The coverage rules without a database (PKG-4, PKG-5): ages, enrolment years, and how a decision is reached."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from carenet.core.dates import age_on
from carenet.coverage.policies import (
    CoverageDecision,
    CoverageItem,
    CoverageKind,
    ItemRule,
    ServiceFacts,
    decide_coverage,
    discounted_price,
    enrolment_year,
    not_entitled,
)

D = dt.date
PRICE = Decimal("200.00")

# A small hand-made tier: each item is written for one scenario below.
CARDIO_ADULTS = CoverageItem(benefit_code="specialists", specialty_code="cardiology", min_age=18)
GYN_GIRLS = CoverageItem(benefit_code="specialists", specialty_code="gynaecology", min_age=16, max_age=18)
GLUCOSE_COVERED = CoverageItem(benefit_code="diagnostics", service_code="glucose")
GLUCOSE_PANEL = CoverageItem(
    benefit_code="lab-panel",
    service_code="glucose",
    rule=ItemRule.ONCE_A_YEAR,
    limit_pool="lab-panel-glucose",
    without_referral=True,
)
CYTOLOGY_PANEL = CoverageItem(
    benefit_code="lab-panel",
    service_code="cytology",
    rule=ItemRule.ONCE_A_YEAR,
    limit_pool="lab-panel-cytology",
    without_referral=True,
)
PSYCHOLOGY_3 = CoverageItem(
    benefit_code="psych-3", specialty_code="psychology", rule=ItemRule.ANNUAL_LIMIT, annual_limit=3, limit_pool="psy"
)
PSYCHIATRY_3 = CoverageItem(
    benefit_code="psych-3", specialty_code="psychiatry", rule=ItemRule.ANNUAL_LIMIT, annual_limit=3, limit_pool="psy"
)
FILLING_ONCE = CoverageItem(
    benefit_code="dental", service_code="filling", rule=ItemRule.ONCE_A_YEAR, limit_pool="dental-filling"
)
FILLING_15 = CoverageItem(benefit_code="dental", service_code="filling", rule=ItemRule.DISCOUNT, discount_percent=15)
XRAY_10 = CoverageItem(benefit_code="dental", service_code="tooth-xray", rule=ItemRule.DISCOUNT, discount_percent=10)
XRAY_15 = CoverageItem(benefit_code="dental-2", service_code="tooth-xray", rule=ItemRule.DISCOUNT, discount_percent=15)
OTHERS_10 = CoverageItem(benefit_code="others", other_services=True, rule=ItemRule.DISCOUNT, discount_percent=10)
TIER = (
    CARDIO_ADULTS,
    GYN_GIRLS,
    GLUCOSE_COVERED,
    GLUCOSE_PANEL,
    CYTOLOGY_PANEL,
    PSYCHOLOGY_3,
    PSYCHIATRY_3,
    FILLING_ONCE,
    FILLING_15,
    XRAY_10,
    XRAY_15,
)
TIER_WITH_DISCOUNT = (*TIER, OTHERS_10)

CARDIOLOGY = ServiceFacts(code="consult-cardiology", kind="consultation", specialty_code="cardiology")
CARDIO_ECHO = ServiceFacts(code="echo", kind="imaging", specialty_code="cardiology", requires_referral=True)
GYNAECOLOGY = ServiceFacts(code="consult-gynaecology", kind="consultation", specialty_code="gynaecology")
GLUCOSE = ServiceFacts(code="glucose", kind="lab", requires_referral=True)
CYTOLOGY = ServiceFacts(code="cytology", kind="lab", requires_referral=True)
PSYCHOLOGY = ServiceFacts(code="consult-psychology", kind="consultation", specialty_code="psychology")
PSYCHIATRY = ServiceFacts(code="consult-psychiatry", kind="consultation", specialty_code="psychiatry")
FILLING = ServiceFacts(code="filling", kind="dental")
TOOTH_XRAY = ServiceFacts(code="tooth-xray", kind="dental")
IMPLANT = ServiceFacts(code="implant", kind="dental")
MRI = ServiceFacts(code="mri", kind="imaging", requires_referral=True)
INSURANCE = ServiceFacts(code="travel-insurance", kind="other")
PAEDIATRICS = ServiceFacts(code="consult-paediatrics", kind="consultation", specialty_code="paediatrics", max_age=18)


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (D(2000, 6, 15), D(2018, 6, 14), 17),
        (D(2000, 6, 15), D(2018, 6, 15), 18),  # the birthday itself counts
        (D(2000, 6, 15), D(2000, 6, 15), 0),
        (D(2000, 12, 31), D(2001, 1, 1), 0),
        (D(2004, 2, 29), D(2022, 2, 27), 17),
        (D(2004, 2, 29), D(2022, 2, 28), 18),  # art. 112 k.c.: 28 February in a common year
        (D(2004, 2, 29), D(2024, 2, 28), 19),  # leap year: the birthday is 29 February
        (D(2004, 2, 29), D(2024, 2, 29), 20),
    ],
)
def test_age_on_counts_whole_years_pkg4(birth: dt.date, day: dt.date, age: int) -> None:
    assert age_on(birth, day) == age


def test_age_on_refuses_a_day_before_birth() -> None:
    with pytest.raises(ValueError, match="birth"):
        age_on(D(2000, 1, 2), D(2000, 1, 1))


@pytest.mark.parametrize(
    ("activated", "day", "start", "end"),
    [
        (D(2025, 3, 10), D(2025, 3, 10), D(2025, 3, 10), D(2026, 3, 10)),  # activation day opens year one
        (D(2025, 3, 10), D(2026, 3, 9), D(2025, 3, 10), D(2026, 3, 10)),  # its last day
        (D(2025, 3, 10), D(2026, 3, 10), D(2026, 3, 10), D(2027, 3, 10)),  # the anniversary opens year two
        (D(2025, 3, 10), D(2027, 1, 1), D(2026, 3, 10), D(2027, 3, 10)),  # not the calendar year
        (D(2024, 1, 1), D(2024, 12, 31), D(2024, 1, 1), D(2025, 1, 1)),
        (D(2024, 2, 29), D(2024, 2, 29), D(2024, 2, 29), D(2025, 3, 1)),
        (D(2024, 2, 29), D(2025, 2, 28), D(2024, 2, 29), D(2025, 3, 1)),  # 28 Feb still belongs to year one
        (D(2024, 2, 29), D(2025, 3, 1), D(2025, 3, 1), D(2026, 3, 1)),
        (D(2024, 2, 29), D(2028, 2, 28), D(2027, 3, 1), D(2028, 2, 29)),  # leap year: renews on 29 February
        (D(2024, 2, 29), D(2028, 2, 29), D(2028, 2, 29), D(2029, 3, 1)),
        (D(2023, 2, 28), D(2024, 2, 28), D(2024, 2, 28), D(2025, 2, 28)),
    ],
)
def test_enrolment_year_runs_from_the_activation_date_pkg5(
    activated: dt.date, day: dt.date, start: dt.date, end: dt.date
) -> None:
    assert enrolment_year(activated, day) == (start, end)


def test_enrolment_year_covers_every_day_exactly_once_around_a_leap_day_pkg5() -> None:
    activated = D(2024, 2, 29)
    day, years = activated, set()
    while day < D(2029, 3, 5):
        start, end = enrolment_year(activated, day)
        assert start <= day < end
        years.add((start, end))
        day += dt.timedelta(days=1)
    ordered = sorted(years)
    assert all(prev[1] == nxt[0] for prev, nxt in itertools.pairwise(ordered))
    assert len(ordered) == 6


def test_enrolment_year_refuses_a_day_before_activation() -> None:
    with pytest.raises(ValueError, match="activation"):
        enrolment_year(D(2025, 3, 10), D(2025, 3, 9))


def _decide(
    service: ServiceFacts,
    *,
    age: int = 40,
    used: dict[str, int] | None = None,
    items: tuple[CoverageItem, ...] = TIER,
    price: Decimal = PRICE,
) -> CoverageDecision:
    return decide_coverage(items=items, service=service, age=age, used_by_pool=used or {}, price=price)


@pytest.mark.parametrize(
    ("case", "service", "age", "used", "items", "kind", "benefit", "to_pay"),
    [
        ("specialty item covers its consultation", CARDIOLOGY, 40, {}, TIER, "covered", "specialists", "0.00"),
        ("adult band excludes a 17-year-old", CARDIOLOGY, 17, {}, TIER, "not_covered", None, "200.00"),
        ("adult band includes the 18th birthday", CARDIOLOGY, 18, {}, TIER, "covered", "specialists", "0.00"),
        ("specialty item ignores non-consultations", CARDIO_ECHO, 40, {}, TIER, "not_covered", None, "200.00"),
        ("gynaecology 16–18: 15 not covered", GYNAECOLOGY, 15, {}, TIER, "not_covered", None, "200.00"),
        ("gynaecology 16–18: 16 covered", GYNAECOLOGY, 16, {}, TIER, "covered", "specialists", "0.00"),
        ("gynaecology 16–18: 17 covered", GYNAECOLOGY, 17, {}, TIER, "covered", "specialists", "0.00"),
        ("gynaecology 16–18: 18 not in band", GYNAECOLOGY, 18, {}, TIER, "not_covered", None, "200.00"),
        ("panel once a year beats covered-with-referral", GLUCOSE, 40, {}, TIER, "once_a_year", "lab-panel", "0.00"),
        (
            "panel used: covered with a referral",
            GLUCOSE,
            40,
            {"lab-panel-glucose": 1},
            TIER,
            "covered",
            "diagnostics",
            "0.00",
        ),
        ("panel only: first use", CYTOLOGY, 40, {}, TIER, "once_a_year", "lab-panel", "0.00"),
        ("panel only: used up", CYTOLOGY, 40, {"lab-panel-cytology": 1}, TIER, "not_covered", None, "200.00"),
        ("shared limit: 2 of 3 used", PSYCHIATRY, 30, {"psy": 2}, TIER, "within_limit", "psych-3", "0.00"),
        ("shared limit: 3 of 3 used", PSYCHIATRY, 30, {"psy": 3}, TIER, "not_covered", None, "200.00"),
        (
            "limit used: falls to the other-services discount",
            PSYCHOLOGY,
            30,
            {"psy": 3},
            TIER_WITH_DISCOUNT,
            "discounted",
            "others",
            "180.00",
        ),
        ("once a year before its discount", FILLING, 30, {}, TIER, "once_a_year", "dental", "0.00"),
        ("once a year used: its discount", FILLING, 30, {"dental-filling": 1}, TIER, "discounted", "dental", "170.00"),
        ("highest discount wins", TOOTH_XRAY, 30, {}, TIER, "discounted", "dental-2", "170.00"),
        ("no item, no general discount", MRI, 30, {}, TIER, "not_covered", None, "200.00"),
        ("no item: general discount", MRI, 30, {}, TIER_WITH_DISCOUNT, "discounted", "others", "180.00"),
        ("general discount excludes dentistry", IMPLANT, 30, {}, TIER_WITH_DISCOUNT, "not_covered", None, "200.00"),
        (
            "general discount excludes programme benefits",
            INSURANCE,
            30,
            {},
            TIER_WITH_DISCOUNT,
            "not_covered",
            None,
            "200.00",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and " " in value else None,
)
def test_decide_coverage_precedence_pkg4(
    case: str,
    service: ServiceFacts,
    age: int,
    used: dict[str, int],
    items: tuple[CoverageItem, ...],
    kind: str,
    benefit: str | None,
    to_pay: str,
) -> None:
    decision = _decide(service, age=age, used=used, items=items)
    assert (decision.kind.value, decision.benefit_code, decision.price_to_pay) == (kind, benefit, Decimal(to_pay))
    assert decision.price == PRICE


def test_covered_beats_every_other_rule_pkg4() -> None:
    items = (
        CoverageItem(benefit_code="d", service_code="mri", rule=ItemRule.DISCOUNT, discount_percent=50),
        CoverageItem(benefit_code="l", service_code="mri", rule=ItemRule.ANNUAL_LIMIT, annual_limit=2, limit_pool="m"),
        CoverageItem(benefit_code="o", service_code="mri", rule=ItemRule.ONCE_A_YEAR, limit_pool="o"),
        CoverageItem(benefit_code="c", service_code="mri", without_referral=True),
    )
    decision = _decide(MRI, items=items)
    assert (decision.kind, decision.benefit_code, decision.requires_referral) == (CoverageKind.COVERED, "c", False)


@pytest.mark.parametrize(
    ("used", "kind", "benefit", "left"),
    [
        ({}, CoverageKind.ONCE_A_YEAR, "o", 1),
        ({"o": 1}, CoverageKind.WITHIN_LIMIT, "l", 2),
        ({"o": 1, "m": 1}, CoverageKind.WITHIN_LIMIT, "l", 1),
        ({"o": 1, "m": 2}, CoverageKind.DISCOUNTED, "d", 0),
    ],
)
def test_exhausted_rules_fall_through_in_order_pkg4_pkg5(
    used: dict[str, int], kind: CoverageKind, benefit: str, left: int
) -> None:
    items = (
        CoverageItem(benefit_code="d", service_code="mri", rule=ItemRule.DISCOUNT, discount_percent=20),
        CoverageItem(benefit_code="l", service_code="mri", rule=ItemRule.ANNUAL_LIMIT, annual_limit=2, limit_pool="m"),
        CoverageItem(benefit_code="o", service_code="mri", rule=ItemRule.ONCE_A_YEAR, limit_pool="o"),
    )
    decision = _decide(MRI, items=items, used=used)
    assert (decision.kind, decision.benefit_code, decision.left) == (kind, benefit, left)


def test_within_limit_reports_used_left_and_the_pool_to_use_pkg4() -> None:
    decision = _decide(PSYCHOLOGY, used={"psy": 1})
    assert (decision.limit, decision.used, decision.left, decision.limit_pool) == (3, 1, 2, "psy")
    assert decision.bookable_without_payment


def test_an_exhausted_limit_is_reported_but_not_used_again_pkg5() -> None:
    decision = _decide(PSYCHOLOGY, used={"psy": 4}, items=TIER_WITH_DISCOUNT)
    assert (decision.kind, decision.limit, decision.used, decision.left) == (CoverageKind.DISCOUNTED, 3, 4, 0)
    assert decision.limit_pool is None
    assert not decision.bookable_without_payment


def test_once_a_year_without_referral_waives_the_referral_pkg4() -> None:
    first = _decide(GLUCOSE)
    again = _decide(GLUCOSE, used={"lab-panel-glucose": 1})
    assert (first.requires_referral, first.limit_pool, first.left) == (False, "lab-panel-glucose", 1)
    assert (again.requires_referral, again.limit_pool, again.left) == (True, None, 0)


def test_age_outside_the_service_range_does_not_fit() -> None:
    items = (CoverageItem(benefit_code="primary", specialty_code="paediatrics"),)
    child, adult = _decide(PAEDIATRICS, age=17, items=items), _decide(PAEDIATRICS, age=18, items=items)
    assert (child.kind, child.age_fits) == (CoverageKind.COVERED, True)
    assert (adult.kind, adult.age_fits, adult.price_to_pay) == (CoverageKind.NOT_COVERED, False, PRICE)
    assert not adult.bookable_without_payment


def test_not_entitled_is_a_full_price_decision_pkg3() -> None:
    decision = not_entitled(service=MRI, price=PRICE)
    assert (decision.kind, decision.entitled, decision.price_to_pay) == (CoverageKind.NOT_COVERED, False, PRICE)
    assert decision.requires_referral
    assert not decision.bookable_without_payment


@pytest.mark.parametrize(
    ("price", "percent", "expected"),
    [("350.00", 10, "315.00"), ("99.99", 15, "84.99"), ("0.05", 30, "0.04"), ("1234.55", 30, "864.19")],
)
def test_discounted_price_rounds_half_up_to_the_grosz(price: str, percent: int, expected: str) -> None:
    assert discounted_price(Decimal(price), percent) == Decimal(expected)


@pytest.mark.parametrize(
    ("kind", "entitled", "age_fits", "free"),
    [
        (CoverageKind.COVERED, True, True, True),
        (CoverageKind.WITHIN_LIMIT, True, True, True),
        (CoverageKind.ONCE_A_YEAR, True, True, True),
        (CoverageKind.DISCOUNTED, True, True, False),
        (CoverageKind.NOT_COVERED, True, True, False),
        (CoverageKind.COVERED, False, True, False),
        (CoverageKind.COVERED, True, False, False),
    ],
)
def test_bookable_without_payment(kind: CoverageKind, entitled: bool, age_fits: bool, free: bool) -> None:
    decision = CoverageDecision(kind=kind, price=PRICE, price_to_pay=PRICE, entitled=entitled, age_fits=age_fits)
    assert decision.bookable_without_payment is free
