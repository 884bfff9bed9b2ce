"""The coverage matrix as loaded from data/matrix.yaml, checked against the seed's table (PKG-1, PKG-4, PKG-5).

Every expectation here is written by hand from seeds/003_… ("ZAKRESY OFERTY PRODUKTOWEJ"), not derived from the
YAML or the engine: the ticks of each row, a representative service per row with its outcome in each of the five
tiers, the specialist lists per tier and age group, the limits, the discounts.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.db.models import Count

from carenet.accounts.models import Patient
from carenet.core.clock import at_warsaw
from carenet.core.errors import ValidationFailed
from carenet.coverage.matrix import DEFAULT_PATH, MatrixLoadResult, matrix_load
from carenet.coverage.models import Benefit, BenefitItem, Contract, Enrolment, Tier
from carenet.coverage.policies import CoverageDecision, CoverageKind, decide_coverage
from carenet.coverage.selectors import (
    coverage_for,
    coverage_items_for_tier,
    enrolment_active_on,
    matrix_version,
    service_facts,
)
from carenet.network.models import City, Clinician, Facility, FacilityPrice, Service, Specialty

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("matrix")]

TIERS = ("podstawowy", "standardowy", "rozszerzony", "kompleksowy", "premium")

# The seed's table, row by row: (benefit code, ticks in P S R K Pr). Written from the seed, not from the YAML.
SEED_ROWS: list[tuple[str, str]] = [
    ("consultations-primary", "xxxxx"),  # interny, medycyny rodzinnej, pediatrii
    ("specialists-11", "x...."),
    ("specialists-17", ".x..."),
    ("specialists-33", "..x.."),
    ("specialists-47", "...x."),
    ("specialists-63", "....x"),
    ("dietitian-3", "...x."),
    ("dietitian-unlimited", "....x"),
    ("psychiatry-psychology-3", "..xxx"),
    ("online-consultations", "xxxxx"),
    ("on-call-primary", ".xx.."),
    ("on-call-extended", "...xx"),
    ("professor-consultations", "....x"),
    ("nursing-procedures-10", "xxxxx"),
    ("procedures-36", "xx..."),
    ("procedures-45", "..x.."),
    ("procedures-76", "...x."),
    ("procedures-94", "....x"),
    ("vaccinations-influenza-tetanus", ".xxxx"),
    ("vaccinations-additional", "...xx"),
    ("lab-panel", "xxxxx"),
    ("diagnostics-52", "x...."),
    ("diagnostics-263", ".x..."),
    ("diagnostics-446", "..x.."),
    ("diagnostics-707", "...x."),
    ("diagnostics-826", "....x"),
    ("allergy-tests-skin", "..x.."),
    ("allergy-tests-patch", "...x."),
    ("allergy-tests-full", "....x"),
    ("pregnancy-care", "...xx"),
    ("preventive-checkup", "..xxx"),
    ("physiotherapy-218", "..x.."),
    ("physiotherapy-220-limited", "...x."),
    ("physiotherapy-220-unlimited", "....x"),
    ("dental-basic", ".xx.."),
    ("dental-extended", "...x."),
    ("dental-premium", "....x"),
    ("home-visits-3", "..xx."),
    ("home-visits-unlimited", "....x"),
    ("home-nursing-10", "....x"),
    ("second-opinion", "..xxx"),
    ("medical-consilium", "...xx"),
    ("travel-insurance", "...x."),
    ("hospital-coordination", "..xxx"),
    ("short-stay-surgery", "...xx"),
    ("vip-carer", "....x"),
    ("sports-medicine", "....x"),
    ("other-services-discount", "..xxx"),
]

# A representative service of each row, the patient's age, and the outcome in P S R K Pr, read from the seed:
# C covered, L within an annual limit, O once a year, N not covered, Dn discounted n% (Rozszerzony and up give 10%
# on everything no row covers, except dentistry and programme benefits). In the tiers the row ticks, the row itself
# must be the one deciding.
PROBES: list[tuple[str, str, int, tuple[str, str, str, str, str]]] = [
    ("consultations-primary", "consult-internal-medicine", 40, ("C", "C", "C", "C", "C")),
    ("consultations-primary", "consult-family-medicine", 18, ("C", "C", "C", "C", "C")),
    ("consultations-primary", "consult-paediatrics", 5, ("C", "C", "C", "C", "C")),
    ("specialists-11", "consult-urology", 40, ("C", "C", "C", "C", "C")),
    ("specialists-11", "consult-ophthalmology", 8, ("C", "C", "C", "C", "C")),
    ("specialists-17", "consult-proctology", 40, ("N", "C", "C", "C", "C")),
    ("specialists-33", "consult-cardiology", 40, ("N", "N", "C", "C", "C")),
    ("specialists-33", "consult-cardiology", 10, ("N", "N", "C", "C", "C")),
    ("specialists-47", "consult-hepatology", 40, ("N", "N", "D10", "C", "C")),
    ("specialists-47", "consult-haematology", 12, ("N", "N", "D10", "C", "C")),
    ("specialists-63", "consult-geriatrics", 70, ("N", "N", "D10", "D10", "C")),
    ("specialists-63", "consult-neonatology", 0, ("N", "N", "D10", "D10", "C")),
    ("dietitian-3", "consult-dietetics", 40, ("N", "N", "D10", "L", "C")),
    ("dietitian-unlimited", "consult-dietetics", 9, ("N", "N", "D10", "L", "C")),
    ("psychiatry-psychology-3", "consult-speech-therapy", 6, ("N", "N", "L", "L", "L")),
    ("psychiatry-psychology-3", "consult-psychiatry", 40, ("N", "N", "L", "L", "L")),
    ("online-consultations", "online-family-medicine", 40, ("C", "C", "C", "C", "C")),
    ("online-consultations", "online-paediatrics", 5, ("C", "C", "C", "C", "C")),
    ("online-consultations", "online-midwifery", 30, ("C", "C", "C", "C", "C")),
    ("on-call-primary", "oncall-paediatrics", 5, ("N", "C", "C", "C", "C")),
    ("on-call-extended", "oncall-orthopaedics", 40, ("N", "N", "D10", "C", "C")),
    ("professor-consultations", "professor-consultation", 50, ("N", "N", "D10", "D10", "C")),
    ("nursing-procedures-10", "nursing-drip", 40, ("C", "C", "C", "C", "C")),
    ("nursing-procedures-10", "nursing-breast-exam", 40, ("C", "C", "C", "C", "C")),
    ("procedures-36", "proc-otolaryngological", 40, ("C", "C", "C", "C", "C")),
    ("procedures-45", "proc-orthopaedic", 40, ("N", "N", "C", "C", "C")),
    ("procedures-76", "proc-fine-needle-biopsy", 40, ("N", "N", "D10", "C", "C")),
    ("procedures-94", "proc-polypectomy", 40, ("N", "N", "D10", "D10", "C")),
    ("vaccinations-influenza-tetanus", "vaccination-influenza", 40, ("N", "C", "C", "C", "C")),
    ("vaccinations-influenza-tetanus", "vaccination-tetanus", 40, ("N", "C", "C", "C", "C")),
    ("vaccinations-additional", "vaccination-tick-borne-encephalitis", 40, ("N", "N", "D10", "C", "C")),
    ("vaccinations-additional", "vaccination-mmr", 3, ("N", "N", "D10", "C", "C")),
    ("lab-panel", "lab-glucose-fasting", 40, ("O", "O", "O", "O", "O")),
    ("lab-panel", "lab-cervical-cytology", 30, ("O", "O", "O", "O", "O")),
    ("diagnostics-52", "usg-abdomen", 40, ("C", "C", "C", "C", "C")),
    ("diagnostics-52", "lab-tumour-markers", 40, ("C", "C", "C", "C", "C")),
    ("diagnostics-263", "mri-head", 40, ("N", "C", "C", "C", "C")),
    ("diagnostics-263", "mammography", 50, ("N", "C", "C", "C", "C")),
    ("diagnostics-446", "holter-ecg", 40, ("N", "N", "C", "C", "C")),
    ("diagnostics-446", "spirometry-bronchodilator", 40, ("N", "N", "C", "C", "C")),
    ("diagnostics-707", "emg", 40, ("N", "N", "D10", "C", "C")),
    ("diagnostics-826", "scintigraphy", 40, ("N", "N", "D10", "D10", "C")),
    ("allergy-tests-skin", "allergy-skin-prick", 30, ("N", "N", "C", "C", "C")),
    ("allergy-tests-patch", "allergy-patch-basic", 30, ("N", "N", "D10", "C", "C")),
    ("allergy-tests-full", "allergy-blood", 30, ("N", "N", "D10", "D10", "C")),
    ("pregnancy-care", "pregnancy-care-visit", 30, ("N", "N", "D10", "C", "C")),
    ("preventive-checkup", "preventive-checkup", 45, ("N", "N", "O", "O", "O")),
    ("physiotherapy-218", "physio-physical", 40, ("N", "N", "L", "L", "C")),
    ("physiotherapy-220-limited", "physio-neurokinesio", 40, ("N", "N", "D10", "L", "L")),
    ("physiotherapy-220-unlimited", "physio-kinesio", 40, ("N", "N", "L", "L", "C")),
    ("dental-basic", "dental-checkup", 30, ("N", "O", "O", "O", "O")),
    ("dental-basic", "dental-surgery", 30, ("N", "D10", "D10", "D15", "C")),
    ("dental-extended", "dental-endodontics", 30, ("N", "N", "N", "D15", "C")),
    ("dental-extended", "dental-pantomogram", 30, ("N", "N", "N", "D10", "C")),
    ("dental-premium", "dental-implantology", 30, ("N", "N", "N", "N", "D10")),
    ("dental-premium", "dental-periodontology", 30, ("N", "N", "N", "N", "D15")),
    ("home-visits-3", "home-visit", 40, ("N", "N", "L", "L", "C")),
    ("home-visits-unlimited", "home-visit", 80, ("N", "N", "L", "L", "C")),
    ("home-nursing-10", "home-nursing-holter", 70, ("N", "N", "D10", "D10", "L")),
    ("second-opinion", "second-opinion", 40, ("N", "N", "C", "C", "C")),
    ("medical-consilium", "medical-consilium", 40, ("N", "N", "N", "D30", "D30")),
    ("travel-insurance", "travel-insurance", 40, ("N", "N", "N", "C", "N")),
    ("hospital-coordination", "hospital-coordination", 40, ("N", "N", "C", "C", "C")),
    ("short-stay-surgery", "short-stay-surgery", 40, ("N", "N", "D10", "D15", "D15")),
    ("short-stay-surgery", "short-stay-surgery", 8, ("N", "N", "D10", "D15", "D15")),
    ("vip-carer", "vip-carer", 40, ("N", "N", "N", "N", "C")),
    ("sports-medicine", "consult-sports-medicine", 25, ("N", "N", "D10", "D10", "C")),
    ("sports-medicine", "sports-fms", 12, ("N", "N", "D10", "D10", "C")),
    ("other-services-discount", "consult-phoniatrics", 10, ("N", "N", "D10", "D10", "D10")),
]

# The specialist rows, copied from the seed entry by entry (Polish genitive, duplicates and slips included).
SEED_SPECIALISTS: dict[str, tuple[int, list[str], list[str]]] = {
    "podstawowy": (
        11,
        ["chirurgii ogólnej", "ginekologii", "laryngologii", "neurologii", "okulistyki", "urologii"],
        ["chirurgii", "ginekologii (od 16 r.ż.)", "laryngologii", "neurologii", "okulistyki"],
    ),
    "standardowy": (
        17,
        [
            "alergologii",
            "chirurgii ogólnej",
            "diabetologii",
            "ginekologii",
            "laryngologii",
            "nefrologii",
            "neurologii",
            "okulistyki",
            "proktologii",
            "pulmonologii",
            "reumatologii",
            "urologii",
        ],
        ["chirurgii", "ginekologii (od 16 r.ż.)", "laryngologii", "neurologii", "okulistyki"],
    ),
    "rozszerzony": (
        33,
        [
            "alergologii",
            "chirurgii ogólnej",
            "dermatologii",
            "diabetologii",
            "endokrynologii",
            "gastroenterologii",
            "ginekologii",
            "hematologii",
            "kardiologii",
            "laryngologii",
            "nefrologii",
            "neurologii",
            "okulistyki",
            "onkologii",
            "ortopedii",
            "pulmonologii",
            "proktologii",
            "reumatologii",
            "urologii",
        ],
        [
            "alergologii",
            "chirurgii",
            "dermatologii",
            "gastroenterologii",
            "ginekologii (od 16 r.ż.)",
            "kardiologii",
            "laryngologii",
            "nefrologii",
            "neurologii",
            "okulistyki",
            "ortopedii",
            "pulmonologii",
            "reumatologii",
            "urologii",
        ],
    ),
    "kompleksowy": (
        47,
        [
            "alergologii",
            "chirurgii ogólnej",
            "dermatologii",
            "diabetologii",
            "endokrynologii",
            "gastroenterologii",
            "ginekologii",
            "ginekologii-endokrynologii",
            "hematologii",
            "kardiologii",
            "laryngologii",
            "nefrologii",
            "neurologii",
            "okulistyki",
            "onkologii",
            "ortopedii",
            "proktologii",
            "pulmonologii",
            "reumatologii",
            "urologii",
            "chirurgii naczyniowej",
            "onkologii",
            "chorób zakaźnych",
            "hepatologii",
            "immunologii",
            "neurochirurgii",
            "rehabilitacji medycznej",
        ],
        [
            "chirurgii",
            "dermatologii",
            "ginekologii (od 16 r.ż.)",
            "neurologii",
            "okulistyki",
            "ortopedii",
            "laryngologii",
            "alergologii",
            "diabetologii",
            "endokrynologii",
            "gastroenterologii",
            "ginekologii (do 16 r.ż)",
            "hematologii",
            "kardiologii",
            "nefrologii",
            "onkologii",
            "pulmonologii",
            "rehabilitacji medycznej",
            "reumatologii",
            "urologii",
        ],
    ),
    "premium": (
        63,
        [
            "alergologii",
            "chirurgii ogólnej",
            "dermatologii",
            "diabetologii",
            "endokrynologii",
            "gastroenterologii",
            "ginekologii",
            "ginekologii endokrynologicznej",
            "hematologii",
            "kardiologii",
            "laryngologii",
            "nefrologii",
            "neurologii",
            "okulistyki",
            "onkologii",
            "ortopedii",
            "proktologii",
            "pulmonologii",
            "reumatologii",
            "urologii",
            "anestezjologii",
            "angiologii",
            "audiologii",
            "balneologii i medycyny fizykalnej",
            "chirurgii naczyniowej",
            "chirurgii onkologicznej",
            "chorób zakaźnych",
            "flebologii",
            "foniatrii",
            "geriatry",
            "ginekologii onkologicznej",
            "hepatologii",
            "hipertensjologii",
            "immunologii",
            "medycyny podróży",
            "neurochirurgii",
            "rehabilitacji medycznej",
        ],
        [
            "chirurgii",
            "dermatologii",
            "ginekologii (od 16 r.ż.)",
            "neurologii",
            "okulistyki",
            "ortopedii",
            "laryngologii",
            "alergologii",
            "anestezjologii",
            "chorób zakaźnych",
            "diabetologii",
            "endokrynologii",
            "gastroenterologii",
            "ginekologii (do 16 r.ż.)",
            "hematologii",
            "immunologii",
            "kardiologii",
            "medycyny podróży",
            "nefrologii",
            "neonatologii",
            "neurochirurgii",
            "onkologii",
            "pulmonologii",
            "lekarza rehabilitacji medycznej",
            "reumatologii",
            "urologii",
        ],
    ),
}
GIRLS_GYNAECOLOGY = "gynaecology from 16"
SEED_NAME_TO_SPECIALTY = {
    "chirurgii ogólnej": "general-surgery",
    "chirurgii": "general-surgery",
    "ginekologii": "gynaecology",
    "ginekologii (od 16 r.ż.)": GIRLS_GYNAECOLOGY,
    # Decided slip (matrix.yaml, row 5): a repeat of the 16+ entry, not gynaecology under 16 (SPEC PKG-1).
    "ginekologii (do 16 r.ż)": GIRLS_GYNAECOLOGY,
    "ginekologii (do 16 r.ż.)": GIRLS_GYNAECOLOGY,
    "laryngologii": "otolaryngology",
    "neurologii": "neurology",
    "okulistyki": "ophthalmology",
    "urologii": "urology",
    "alergologii": "allergology",
    "diabetologii": "diabetology",
    "nefrologii": "nephrology",
    "proktologii": "proctology",
    "pulmonologii": "pulmonology",
    "reumatologii": "rheumatology",
    "dermatologii": "dermatology",
    "endokrynologii": "endocrinology",
    "gastroenterologii": "gastroenterology",
    "hematologii": "haematology",
    "kardiologii": "cardiology",
    "onkologii": "oncology",
    "ortopedii": "orthopaedics",
    "ginekologii-endokrynologii": "gynaecological-endocrinology",
    "ginekologii endokrynologicznej": "gynaecological-endocrinology",
    "chirurgii naczyniowej": "vascular-surgery",
    "chorób zakaźnych": "infectious-diseases",
    "hepatologii": "hepatology",
    "immunologii": "immunology",
    "neurochirurgii": "neurosurgery",
    "rehabilitacji medycznej": "rehabilitation-medicine",
    "lekarza rehabilitacji medycznej": "rehabilitation-medicine",
    "anestezjologii": "anaesthesiology",
    "angiologii": "angiology",
    "audiologii": "audiology",
    "balneologii i medycyny fizykalnej": "balneology",
    "chirurgii onkologicznej": "surgical-oncology",
    "flebologii": "phlebology",
    "foniatrii": "phoniatrics",
    "geriatry": "geriatrics",
    "ginekologii onkologicznej": "gynaecological-oncology",
    "hipertensjologii": "hypertensiology",
    "medycyny podróży": "travel-medicine",
    "neonatologii": "neonatology",
}
# Consultations every tier covers (seed row 1): internists and family doctors for adults, paediatricians for
# children; Premium also covers the dietitian without limit (row 8) and the sports medicine doctor (row 47, "od 6
# … roku życia"), each with the minimum age here.
PRIMARY_ADULTS = {"internal-medicine", "family-medicine"}
PRIMARY_CHILDREN = {"paediatrics"}
EXTRA_COVERED = {"premium": {"dietetics": 0, "sports-medicine": 6}}


def _decision(tier: str, service_code: str, age: int, used: dict[str, int] | None = None) -> CoverageDecision:
    service = Service.objects.select_related("specialty").get(code=service_code)
    return decide_coverage(
        items=coverage_items_for_tier(tier_code=tier),
        service=service_facts(service),
        age=age,
        used_by_pool=used or {},
        price=service.base_price,
    )


def _outcome(decision: CoverageDecision) -> str:
    letters = {
        CoverageKind.COVERED: "C",
        CoverageKind.WITHIN_LIMIT: "L",
        CoverageKind.ONCE_A_YEAR: "O",
        CoverageKind.NOT_COVERED: "N",
    }
    if decision.kind is CoverageKind.DISCOUNTED:
        return f"D{decision.discount_percent}"
    return letters[decision.kind]


# --- the rows and their ticks (PKG-1) ------------------------------------------------------------------------------


def test_pkg1_the_table_has_every_seed_row_in_order() -> None:
    assert list(Benefit.objects.order_by("position").values_list("code", flat=True)) == [c for c, _ in SEED_ROWS]


@pytest.mark.parametrize(("code", "ticks"), SEED_ROWS, ids=[code for code, _ in SEED_ROWS])
def test_pkg1_row_is_ticked_in_the_seed_tiers(code: str, ticks: str) -> None:
    expected = {tier for tier, tick in zip(TIERS, ticks, strict=True) if tick == "x"}
    benefit = Benefit.objects.get(code=code)
    assert set(benefit.tiers.values_list("code", flat=True)) == expected
    assert benefit.items.exists()
    assert benefit.text.strip()


def test_pkg1_every_row_has_a_probe_for_every_tier() -> None:
    assert {code for code, *_ in PROBES} == {code for code, _ in SEED_ROWS}


@pytest.mark.parametrize(
    ("row", "service", "age", "tier", "expected"),
    [
        (row, service, age, tier, outcome)
        for row, service, age, outcomes in PROBES
        for tier, outcome in zip(TIERS, outcomes, strict=True)
    ],
    ids=[f"{row}-{service}-{age}y-{tier}" for row, service, age, _ in PROBES for tier in TIERS],
)
def test_pkg4_each_row_covers_its_service_in_each_tier(
    row: str, service: str, age: int, tier: str, expected: str
) -> None:
    decision = _decision(tier, service, age)
    assert _outcome(decision) == expected
    ticks = dict(SEED_ROWS)[row]
    if ticks[TIERS.index(tier)] == "x":
        assert decision.benefit_code == row
    else:
        assert decision.benefit_code != row


def test_pkg1_tiers_are_named_and_ranked() -> None:
    assert list(Tier.objects.values_list("code", "name", "rank")) == [
        ("podstawowy", "Pakiet Podstawowy", 1),
        ("standardowy", "Pakiet Standardowy", 2),
        ("rozszerzony", "Pakiet Rozszerzony", 3),
        ("kompleksowy", "Pakiet Kompleksowy", 4),
        ("premium", "Pakiet Premium", 5),
    ]


# --- specialist consultations per tier and age group (PKG-1) -------------------------------------------------------


@pytest.mark.parametrize("tier", TIERS)
def test_pkg1_specialist_counts_match_the_seed(tier: str) -> None:
    count, adults, children = SEED_SPECIALISTS[tier]
    assert len(adults) + len(children) == count
    assert Benefit.objects.get(code=f"specialists-{count}").scope_count == count


def _expected_covered(tier: str, age: int) -> set[str]:
    _, adults, children = SEED_SPECIALISTS[tier]
    names = adults if age >= 18 else children
    codes = {SEED_NAME_TO_SPECIALTY[name] for name in names}
    if GIRLS_GYNAECOLOGY in codes:
        codes.discard(GIRLS_GYNAECOLOGY)
        if age >= 16:
            codes.add("gynaecology")
    codes |= PRIMARY_ADULTS if age >= 18 else PRIMARY_CHILDREN
    codes |= {code for code, min_age in EXTRA_COVERED.get(tier, {}).items() if age >= min_age}
    return codes


@pytest.mark.parametrize("age", [5, 15, 16, 17, 18, 40])
@pytest.mark.parametrize("tier", TIERS)
def test_pkg1_covered_consultations_per_tier_and_age_match_the_seed_lists(tier: str, age: int) -> None:
    consultations = Service.objects.filter(kind=Service.Kind.CONSULTATION, specialty__isnull=False)
    covered = {
        service.specialty.code
        for service in consultations.select_related("specialty")
        if service.specialty is not None and _decision(tier, service.code, age).kind is CoverageKind.COVERED
    }
    assert covered == _expected_covered(tier, age)


@pytest.mark.parametrize(
    ("tier", "service", "ages"),
    [
        # ginekologii (od 16 r.ż.) for children in every tier, ginekologii for adults.
        ("podstawowy", "consult-gynaecology", {15: "N", 16: "C", 17: "C", 18: "C"}),
        ("premium", "consult-gynaecology", {15: "D10", 16: "C", 17: "C", 18: "C"}),
        # Urology: adults only in P and S, children too from R up.
        ("podstawowy", "consult-urology", {15: "N", 16: "N", 17: "N", 18: "C"}),
        ("standardowy", "consult-urology", {17: "N", 18: "C"}),
        ("rozszerzony", "consult-urology", {17: "C", 18: "C"}),
        # Paediatrics below 18 only; internal medicine from 18 (the service's own age range).
        ("kompleksowy", "consult-paediatrics", {17: "C", 18: "N"}),
        ("kompleksowy", "consult-internal-medicine", {17: "N", 18: "C"}),
        # Proctology: adults only, every tier that has it.
        ("premium", "consult-proctology", {17: "D10", 18: "C"}),
    ],
)
def test_pkg4_age_bands_around_16_and_18(tier: str, service: str, ages: dict[int, str]) -> None:
    assert {age: _outcome(_decision(tier, service, age)) for age in ages} == ages


def test_pkg4_a_service_outside_its_own_age_range_says_so() -> None:
    decision = _decision("premium", "consult-paediatrics", 30)
    assert (decision.kind, decision.age_fits) == (CoverageKind.NOT_COVERED, False)


# --- annual limits (PKG-1, PKG-5) -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "service", "age", "pool", "limit"),
    [
        # psychiatry / psychology / andrology / sexology / speech therapy: 3 a year together, Rozszerzony and up.
        ("rozszerzony", "consult-psychiatry", 40, "psych-andro-sex-speech", 3),
        ("kompleksowy", "consult-andrology", 40, "psych-andro-sex-speech", 3),
        ("premium", "consult-sexology", 40, "psych-andro-sex-speech", 3),
        ("premium", "consult-speech-therapy", 7, "psych-andro-sex-speech", 3),
        ("rozszerzony", "consult-psychology", 14, "psych-andro-sex-speech", 3),
        # dietitian: 3 a year in Kompleksowy.
        ("kompleksowy", "consult-dietetics", 40, "dietitian", 3),
        # home visits: 3 a year in Rozszerzony and Kompleksowy.
        ("rozszerzony", "home-visit", 40, "home-visit", 3),
        ("kompleksowy", "home-visit", 4, "home-visit", 3),
        # home nursing: 10 a year in Premium.
        ("premium", "home-nursing-injection", 80, "home-nursing", 10),
        ("premium", "home-nursing-catheterisation", 80, "home-nursing", 10),
        # physiotherapy: R 10 physical + 3 kinesio; K 20 + 10 + 3 neurokinesiology; Premium 5 neurokinesiology.
        ("rozszerzony", "physio-physical", 40, "physio-physical", 10),
        ("rozszerzony", "physio-kinesio", 40, "physio-kinesio", 3),
        ("kompleksowy", "physio-physical", 40, "physio-physical", 20),
        ("kompleksowy", "physio-kinesio", 40, "physio-kinesio", 10),
        ("kompleksowy", "physio-neurokinesio", 40, "physio-neurokinesio", 3),
        ("premium", "physio-neurokinesio", 40, "physio-neurokinesio", 5),
    ],
)
def test_pkg5_annual_limit_counts_down_then_runs_out(tier: str, service: str, age: int, pool: str, limit: int) -> None:
    first = _decision(tier, service, age)
    last = _decision(tier, service, age, {pool: limit - 1})
    spent = _decision(tier, service, age, {pool: limit})
    assert (first.kind, first.limit, first.used, first.left, first.limit_pool) == (
        CoverageKind.WITHIN_LIMIT,
        limit,
        0,
        limit,
        pool,
    )
    assert (last.kind, last.left) == (CoverageKind.WITHIN_LIMIT, 1)
    assert spent.kind is not CoverageKind.WITHIN_LIMIT
    assert (spent.limit, spent.used, spent.left, spent.limit_pool) == (limit, limit, 0, None)
    # Rozszerzony and up give 10% off what no row covers (seed row 48).
    assert _outcome(spent) == "D10"


def test_pkg5_the_five_specialties_share_one_pool() -> None:
    used = {"psych-andro-sex-speech": 3}
    codes = ["consult-psychiatry", "consult-psychology", "consult-andrology", "consult-sexology"]
    assert {_decision("kompleksowy", code, 30, used).kind for code in codes} == {CoverageKind.DISCOUNTED}


@pytest.mark.parametrize(
    ("tier", "service", "pool", "used"),
    [
        ("premium", "consult-dietetics", "dietitian", 50),
        ("premium", "home-visit", "home-visit", 50),
        ("premium", "physio-physical", "physio-physical", 100),
        ("premium", "physio-kinesio", "physio-kinesio", 100),
    ],
)
def test_pkg1_premium_has_no_limit_where_the_seed_says_unlimited(tier: str, service: str, pool: str, used: int) -> None:
    assert _decision(tier, service, 40, {pool: used}).kind is CoverageKind.COVERED


# --- the lab panel: once a year, without referral, all tiers (PKG-1, PKG-4) -----------------------------------------

PANEL = [
    ("lab-urinalysis", "lab-panel-urinalysis"),
    ("lab-blood-count", "lab-panel-blood-count"),
    ("lab-cholesterol-total", "lab-panel-cholesterol"),
    ("lab-glucose-fasting", "lab-panel-glucose"),
    ("lab-cervical-cytology", "lab-panel-cytology"),
]


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize(("service", "pool"), PANEL)
def test_pkg4_lab_panel_once_a_year_without_referral(tier: str, service: str, pool: str) -> None:
    decision = _decision(tier, service, 35)
    assert (decision.kind, decision.benefit_code, decision.requires_referral, decision.limit_pool) == (
        CoverageKind.ONCE_A_YEAR,
        "lab-panel",
        False,
        pool,
    )
    assert decision.bookable_without_payment
    again = _decision(tier, service, 35, {pool: 1})
    assert again.kind is not CoverageKind.ONCE_A_YEAR
    assert again.limit_pool is None


@pytest.mark.parametrize(
    ("tier", "service", "expected"),
    [
        # After the free use, a referral route remains: blood and urine tests are in every diagnostics row...
        ("podstawowy", "lab-glucose-fasting", "C"),
        ("premium", "lab-urinalysis", "C"),
        # ...cytology only from the 263-row (Standardowy) up; Podstawowy pays in full.
        ("podstawowy", "lab-cervical-cytology", "N"),
        ("standardowy", "lab-cervical-cytology", "C"),
    ],
)
def test_pkg4_lab_panel_after_its_yearly_use(tier: str, service: str, expected: str) -> None:
    pool = dict(PANEL)[service]
    decision = _decision(tier, service, 35, {pool: 1})
    assert _outcome(decision) == expected
    if expected == "C":
        assert decision.requires_referral


def test_pkg4_preventive_checkup_once_a_year() -> None:
    assert _decision("rozszerzony", "preventive-checkup", 40).kind is CoverageKind.ONCE_A_YEAR
    assert _outcome(_decision("rozszerzony", "preventive-checkup", 40, {"preventive-checkup": 1})) == "D10"


# --- discounts (PKG-1, PKG-4) ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "service", "age", "used", "expected"),
    [
        # Standardowy/Rozszerzony dental row: free check-up/scaling/sandblasting once a year, 10% on the rest named.
        ("standardowy", "dental-scaling", 30, {}, "O"),
        ("standardowy", "dental-scaling", 30, {"dental-scaling": 1}, "N"),
        ("rozszerzony", "dental-conservative", 30, {}, "D10"),
        ("rozszerzony", "dental-paedodontics", 8, {}, "D10"),
        ("standardowy", "dental-xray", 30, {}, "D10"),
        ("rozszerzony", "dental-anaesthesia", 30, {}, "C"),
        # Kompleksowy: conservative and paedodontics once a year, then 15%; prosthetics 10%.
        ("kompleksowy", "dental-conservative", 30, {}, "O"),
        ("kompleksowy", "dental-conservative", 30, {"dental-conservative": 1}, "D15"),
        ("kompleksowy", "dental-sandblasting", 30, {"dental-sandblasting": 1}, "D15"),
        ("kompleksowy", "dental-prosthetics", 30, {}, "D10"),
        ("kompleksowy", "dental-orthodontics", 30, {}, "D10"),
        # Premium: conservative without limit; prosthetics 15%; implantology 10%.
        ("premium", "dental-conservative", 30, {"dental-conservative": 9}, "C"),
        ("premium", "dental-prosthetics", 30, {}, "D15"),
        ("premium", "dental-aesthetic", 30, {}, "D10"),
        # The general 10% excludes dentistry; the duty dentist is never covered (350 zł).
        ("podstawowy", "dental-checkup", 30, {}, "N"),
        ("premium", "dental-duty", 30, {}, "N"),
        ("kompleksowy", "dental-implantology", 30, {}, "N"),
        # Consilium 30%.
        ("kompleksowy", "medical-consilium", 30, {}, "D30"),
        # Short-stay surgery 15% beats the general 10%.
        ("premium", "short-stay-surgery", 30, {}, "D15"),
    ],
)
def test_pkg4_discounts_as_the_seed_words_them(
    tier: str, service: str, age: int, used: dict[str, int], expected: str
) -> None:
    assert _outcome(_decision(tier, service, age, used)) == expected


def test_pkg4_duty_dentist_costs_350_zl_and_discounts_are_priced() -> None:
    assert _decision("premium", "dental-duty", 30).price_to_pay == Decimal("350.00")
    consilium = _decision("premium", "medical-consilium", 50)
    assert consilium.price_to_pay == (consilium.price * Decimal("0.70")).quantize(Decimal("0.01"))


# --- the catalogue ------------------------------------------------------------------------------------------------


def test_catalogue_has_a_consultation_per_specialist_row_specialty() -> None:
    named = set(SEED_NAME_TO_SPECIALTY.values()) - {GIRLS_GYNAECOLOGY}
    with_consultation = set(
        Service.objects.filter(kind=Service.Kind.CONSULTATION, specialty__code__in=named).values_list(
            "specialty__code", flat=True
        )
    )
    assert with_consultation == named


def test_catalogue_preparation_where_an_exam_needs_it() -> None:
    prep = dict(Service.objects.values_list("code", "preparation"))
    assert "czczo" in prep["lab-glucose-fasting"]
    assert "czczo" in prep["lab-cholesterol-total"]
    assert "pęcherz" in prep["usg-abdomen"]


def test_bey5_the_catalogue_speaks_english_too() -> None:
    """BEY-5: every tier, specialty and service has an English name, every preparation an English text."""
    assert list(Tier.objects.values_list("name_en", flat=True)) == [
        "Basic Package",
        "Standard Package",
        "Extended Package",
        "Comprehensive Package",
        "Premium Package",
    ]
    assert not Specialty.objects.filter(name_en="").exists()
    assert not Service.objects.filter(name_en="").exists()
    assert not Service.objects.exclude(preparation="").filter(preparation_en="").exists()
    assert "fasting" in Service.objects.get(code="lab-glucose-fasting").preparation_en.lower()


def test_bey5_english_names_are_optional_and_checked(tmp_path: Path) -> None:
    def edit(data: dict[str, list[dict[str, object]]]) -> None:
        del data["tiers"][0]["name_en"]  # optional: the tier keeps its Polish name only
        data["tiers"][1]["name_en"] = ["Standard"]  # not text
        data["tiers"][2]["name_en"] = "x" * 61  # too long for the field
        next(s for s in data["services"] if s["code"] == "usg-abdomen")["preparation_en"] = 7

    with pytest.raises(ValidationFailed) as error:
        matrix_load(path=_edited_copy(tmp_path, edit))
    problems = error.value.details["errors"]
    assert "tier 'standardowy' has an empty or non-text 'name_en'" in problems
    assert "tier 'rozszerzony' has a 'name_en' longer than 60 characters" in problems
    assert "service 'usg-abdomen' has an empty or non-text 'preparation_en'" in problems
    assert not any("podstawowy" in problem for problem in problems)
    assert Tier.objects.get(code="rozszerzony").name_en == "Extended Package"  # nothing saved


def test_programme_benefits_are_not_bookable() -> None:
    codes = ["travel-insurance", "vip-carer", "hospital-coordination", "second-opinion"]
    rows = Service.objects.filter(code__in=codes).values_list("kind", "is_bookable")
    assert set(rows) == {("other", False)}


def test_every_once_a_year_and_limit_item_has_a_pool() -> None:
    assert not BenefitItem.objects.filter(rule__in=["once_a_year", "annual_limit"], limit_pool="").exists()


# --- the loader -----------------------------------------------------------------------------------------------------


def test_loader_is_idempotent(matrix: MatrixLoadResult) -> None:
    assert (matrix.benefits, matrix.tiers) == (len(SEED_ROWS), 5)
    before = list(BenefitItem.objects.order_by("id").values_list("id", flat=True))
    again = matrix_load()
    assert not again.changed, (again.created, again.updated, again.removed)
    assert list(BenefitItem.objects.order_by("id").values_list("id", flat=True)) == before


def _edited_copy(tmp_path: Path, edit: object) -> Path:
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    edit(data)  # type: ignore[operator]
    path = tmp_path / "matrix.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _benefit(data: dict[str, list[dict[str, object]]], code: str) -> dict[str, object]:
    return next(row for row in data["benefits"] if row["code"] == code)


def test_loader_updates_after_an_edit(tmp_path: Path) -> None:
    def edit(data: dict[str, list[dict[str, object]]]) -> None:
        next(s for s in data["services"] if s["code"] == "mri-head")["base_price"] = 999
        _benefit(data, "dietitian-3")["tiers"] = ["kompleksowy", "rozszerzony"]
        _benefit(data, "home-visits-3")["items"] = [
            {"service": "home-visit", "rule": "annual_limit", "limit": 4, "pool": "home-visit"}
        ]

    result = matrix_load(path=_edited_copy(tmp_path, edit))
    assert result.updated == {"services": 1, "benefit tiers": 1}
    assert (result.created, result.removed) == ({"items": 1}, {"items": 1})
    assert Service.objects.get(code="mri-head").base_price == Decimal("999.00")
    assert _decision("rozszerzony", "consult-dietetics", 40).kind is CoverageKind.WITHIN_LIMIT
    assert _decision("rozszerzony", "home-visit", 40, {"home-visit": 3}).left == 1


def test_loader_rejects_an_unknown_service_and_saves_nothing(tmp_path: Path) -> None:
    def edit(data: dict[str, list[dict[str, object]]]) -> None:
        data["services"].append({"code": "brand-new-exam", "name": "Nowe badanie", "kind": "lab"})
        _benefit(data, "diagnostics-263")["items"].append({"service": "mri-head-x"})  # type: ignore[attr-defined]
        _benefit(data, "lab-panel")["tiers"] = ["podstawowy"]

    counts = (Service.objects.count(), Benefit.objects.count(), BenefitItem.objects.count())
    with pytest.raises(ValidationFailed) as error:
        matrix_load(path=_edited_copy(tmp_path, edit))
    assert "benefit 'diagnostics-263' names unknown service 'mri-head-x'" in str(error.value)
    assert error.value.code == "matrix_invalid"
    assert (Service.objects.count(), Benefit.objects.count(), BenefitItem.objects.count()) == counts
    assert not Service.objects.filter(code="brand-new-exam").exists()
    assert Benefit.objects.get(code="lab-panel").tiers.count() == 5


def test_loader_lists_every_problem(tmp_path: Path) -> None:
    def edit(data: dict[str, list[dict[str, object]]]) -> None:
        data["services"].append(dict(data["services"][0]))  # duplicate code
        _benefit(data, "dietitian-3")["tiers"] = ["gold"]
        _benefit(data, "dietitian-3")["items"] = [{"specialty": "dietetics", "rule": "annual_limit", "limit": 3}]
        _benefit(data, "medical-consilium")["items"] = [{"service": "medical-consilium", "rule": "discount"}]
        _benefit(data, "vip-carer")["items"] = [{"service": "vip-carer", "specialty": "dietetics"}]
        _benefit(data, "dental-basic")["items"] = [{"service": "dental-scaling", "rule": "once_a_year"}]
        _benefit(data, "specialists-11")["includes"] = ["no-such-row"]
        data["benefits"].append(dict(_benefit(data, "lab-panel")))

    with pytest.raises(ValidationFailed) as error:
        matrix_load(path=_edited_copy(tmp_path, edit))
    problems = "\n".join(error.value.details["errors"])
    for expected in [
        "service code 'consult-internal-medicine' is used more than once",
        "benefit 'dietitian-3' names unknown tier 'gold'",
        "an annual limit needs 'limit' and 'pool'",
        "a discount needs a 'percent' between 1 and 100",
        "must name exactly one of service, specialty or other_services",
        "a once-a-year item needs a 'pool'",
        "benefit 'specialists-11' includes unknown benefit 'no-such-row'",
        "benefit code 'lab-panel' is used more than once",
    ]:
        assert expected in problems


def test_loader_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="cannot read"):
        matrix_load(path=tmp_path / "missing.yaml")


def test_load_matrix_command_reports_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from django.core.management import call_command

    path = tmp_path / "copy.yaml"
    shutil.copy(DEFAULT_PATH, path)
    call_command("load_matrix", path=path)
    out = capsys.readouterr().out
    assert f"{len(SEED_ROWS)} benefits" in out and "nothing changed" in out


# --- selectors: enrolment, limits used, prices (PKG-3, PKG-4, PKG-5) ------------------------------------------------


@pytest.fixture
def member() -> Enrolment:
    patient = Patient.objects.create(
        first_name="Anna", last_name="Nowak", pesel="85062512345", birth_date=dt.date(1985, 6, 25), sex="F"
    )
    contract = Contract.objects.create(
        code="acme", name="ACME", kind=Contract.Kind.EMPLOYER, client_name="ACME", starts_on=dt.date(2024, 1, 1)
    )
    return Enrolment.objects.create(
        patient=patient,
        contract=contract,
        tier=Tier.objects.get(code="rozszerzony"),
        activated_on=dt.date(2024, 2, 29),
        paid_through=dt.date(2026, 12, 31),
        ecard_number="EK0000000001",
    )


def _book(enrolment: Enrolment, service_code: str, when: dt.datetime, status: str, pool: str) -> None:
    from carenet.booking.models import Appointment
    from carenet.scheduling.models import Schedule, Slot

    service = Service.objects.get(code=service_code)
    specialty = service.specialty or Specialty.objects.get(code="psychology")
    clinician, _ = Clinician.objects.get_or_create(licence_number="1234567", first_name="Jan", last_name="Lekarz")
    schedule = Schedule.objects.create(
        clinician=clinician,
        mode="phone",
        specialty=specialty,
        valid_from=when.date(),
        valid_until=when.date(),
        start_time=dt.time(8),
        end_time=dt.time(16),
    )
    slot = Slot.objects.create(
        schedule=schedule,
        clinician=clinician,
        specialty=specialty,
        mode="phone",
        starts_at=when,
        ends_at=when + dt.timedelta(minutes=30),
    )
    Appointment.objects.create(
        patient=enrolment.patient,
        slot=slot,
        service=service,
        enrolment=enrolment,
        status=status,
        channel="portal",
        limit_pool=pool,
    )


def test_pkg3_enrolment_active_from_activation_through_the_last_paid_day(member: Enrolment) -> None:
    patient = member.patient
    assert enrolment_active_on(patient=patient, day=dt.date(2024, 2, 28)) is None
    assert enrolment_active_on(patient=patient, day=dt.date(2024, 2, 29)) == member
    assert enrolment_active_on(patient=patient, day=dt.date(2026, 12, 31)) == member
    assert enrolment_active_on(patient=patient, day=dt.date(2027, 1, 1)) is None


def test_pkg3_no_enrolment_means_a_full_price_decision(member: Enrolment) -> None:
    service = Service.objects.get(code="consult-cardiology")
    decision = coverage_for(patient=member.patient, service=service, day=dt.date(2027, 1, 2))
    assert (decision.kind, decision.entitled, decision.price_to_pay) == (
        CoverageKind.NOT_COVERED,
        False,
        service.base_price,
    )


def test_pkg5_limits_count_per_enrolment_year_cancelled_gives_back_no_show_does_not(member: Enrolment) -> None:
    pool = "psych-andro-sex-speech"
    year_one_last_day = at_warsaw(dt.date(2025, 2, 28), dt.time(15))  # activated 29 Feb 2024: year one ends 28 Feb
    _book(member, "consult-psychology", year_one_last_day, "completed", pool)
    _book(member, "consult-psychiatry", at_warsaw(dt.date(2025, 3, 1), dt.time(8)), "no_show", pool)
    _book(member, "consult-psychology", at_warsaw(dt.date(2025, 3, 2), dt.time(8)), "cancelled", pool)
    _book(member, "consult-psychology", at_warsaw(dt.date(2025, 3, 3), dt.time(8)), "booked", pool)
    service = Service.objects.get(code="consult-sexology")

    year_one = coverage_for(patient=member.patient, service=service, day=dt.date(2025, 2, 28))
    year_two = coverage_for(patient=member.patient, service=service, day=dt.date(2025, 3, 1))
    assert (year_one.kind, year_one.used, year_one.left) == (CoverageKind.WITHIN_LIMIT, 1, 2)
    assert (year_two.kind, year_two.used, year_two.left) == (CoverageKind.WITHIN_LIMIT, 2, 1)


def test_pkg4_facility_price_list_beats_the_base_price(member: Enrolment) -> None:
    city = City.objects.create(name="Wrocław")
    facility = Facility.objects.create(
        code="wro-1", name="CareNet Wrocław", kind="own", brand="centre", city=city, address="ul. Testowa 1", phone="1"
    )
    service = Service.objects.get(code="consult-geriatrics")
    FacilityPrice.objects.create(facility=facility, service=service, price=Decimal("310.00"))
    at_facility = coverage_for(patient=member.patient, service=service, day=dt.date(2025, 5, 5), facility=facility)
    anywhere = coverage_for(patient=member.patient, service=service, day=dt.date(2025, 5, 5))
    assert (at_facility.price, at_facility.price_to_pay) == (Decimal("310.00"), Decimal("279.00"))
    assert anywhere.price == service.base_price


def test_coverage_items_for_tier_is_one_query(django_assert_num_queries: object) -> None:
    """The items are one query the first time under the matrix's token, none after (issue 16: per request, only the
    token is read)."""
    token = matrix_version()
    with django_assert_num_queries(1):  # type: ignore[operator]
        items = coverage_items_for_tier(tier_code="premium", version=token)
    with django_assert_num_queries(0):  # type: ignore[operator]
        assert coverage_items_for_tier(tier_code="premium", version=token) == items
    per_benefit = dict(
        Benefit.objects.filter(tiers__code="premium").annotate(n=Count("items")).values_list("code", "n")
    )
    assert len(items) == sum(per_benefit.values())


@pytest.mark.django_db
def test_sch2_the_matrix_gives_every_specialty_its_everyday_name() -> None:
    """Issue 14: the search shows "internista (Choroby wewnętrzne)" — the reviewed file names what patients say."""
    matrix_load()
    internal = Specialty.objects.get(code="internal-medicine")
    assert (internal.patient_name, internal.patient_name_en) == ("internista", "internist")
    assert not Specialty.objects.filter(patient_name="").exists()
    assert not Specialty.objects.filter(patient_name_en="").exists()
