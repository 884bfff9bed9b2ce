"""Referral rules (CLN-1, BKG-4, BKG-6), without a database."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.clinical.policies import (
    ReferralFacts,
    ReferralSource,
    ReferralStatus,
    add_months,
    default_valid_until,
    referral_status,
    referral_usable,
)


@pytest.mark.parametrize(
    ("issued", "until"),
    [
        (dt.date(2026, 3, 2), dt.date(2026, 6, 2)),
        (dt.date(2026, 11, 30), dt.date(2027, 2, 28)),  # the 30th becomes the last day of a shorter month
        (dt.date(2027, 11, 30), dt.date(2028, 2, 29)),
        (dt.date(2026, 12, 31), dt.date(2027, 3, 31)),
    ],
)
def test_default_validity_is_three_months(issued: dt.date, until: dt.date) -> None:
    """CLN-1: valid 3 months unless the clinician sets another term."""
    assert default_valid_until(issued) == until


def test_add_months_across_years() -> None:
    assert add_months(dt.date(2020, 1, 31), 13) == dt.date(2021, 2, 28)


@pytest.mark.parametrize(
    ("used", "today", "status"),
    [
        (False, dt.date(2026, 6, 2), ReferralStatus.ACTIVE),
        (False, dt.date(2026, 6, 3), ReferralStatus.EXPIRED),
        (True, dt.date(2026, 6, 3), ReferralStatus.USED),
        (True, dt.date(2026, 3, 3), ReferralStatus.USED),
    ],
)
def test_referral_status(used: bool, today: dt.date, status: ReferralStatus) -> None:
    assert referral_status(used=used, valid_until=dt.date(2026, 6, 2), today=today) is status


BASE = ReferralFacts(
    patient_id=1,
    service_id=10,
    source=ReferralSource.NETWORK,
    valid_until=dt.date(2026, 6, 2),
    issued_on=dt.date(2026, 3, 2),
    used_by_id=None,
)


@pytest.mark.parametrize(
    ("changes", "usable"),
    [
        ({}, True),
        ({"patient_id": 2}, False),
        ({"service_id": 11}, False),
        ({"source": ReferralSource.EMPLOYER}, False),  # BKG-4: a network clinician's referral is needed
        ({"valid_until": dt.date(2026, 3, 1)}, False),
        ({"issued_on": dt.date(2026, 3, 5)}, False),
        ({"used_by_id": 7}, False),
        ({"used_by_id": 99}, True),  # used by the very appointment being confirmed or moved
    ],
)
def test_referral_usable(changes: dict[str, object], usable: bool) -> None:
    from dataclasses import replace

    facts = replace(BASE, **changes)  # type: ignore[arg-type]
    assert (
        referral_usable(
            facts,
            patient_id=1,
            service_id=10,
            today=dt.date(2026, 3, 3),
            source=ReferralSource.NETWORK,
            for_appointment_id=99,
        )
        is usable
    )


# --- Issuing signed documents (CLN-5) ---------------------------------------------------------------------------


def test_a_prescription_is_valid_30_days_and_at_most_365() -> None:
    from carenet.clinical.policies import prescription_valid_until

    assert prescription_valid_until(dt.date(2026, 11, 20)) == dt.date(2026, 12, 19)
    assert prescription_valid_until(dt.date(2026, 11, 20), days=365) == dt.date(2027, 11, 19)
    for days in (0, 366):
        with pytest.raises(ValueError):
            prescription_valid_until(dt.date(2026, 11, 20), days=days)


@pytest.mark.parametrize(
    ("quantity", "dose", "refused"),
    [
        (1, "d", None),
        (99, "d" * 200, None),
        (0, "d", "prescription_quantity"),
        (100, "d", "prescription_quantity"),
        (True, "d", "prescription_quantity"),
        (1, "", "prescription_dose"),
        (1, "d" * 201, "prescription_dose"),
    ],
)
def test_prescription_limits(quantity: int, dose: str, refused: str | None) -> None:
    from carenet.clinical.policies import prescription_refusal

    assert prescription_refusal(dose=dose, quantity=quantity) == refused


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "nip", "refused"),
    [
        (dt.date(2026, 11, 17), dt.date(2026, 11, 17), "5260250995", None),
        (dt.date(2026, 11, 16), dt.date(2026, 11, 17), "5260250995", "sick_leave_backdated"),
        (dt.date(2026, 11, 21), dt.date(2026, 11, 20), "5260250995", "sick_leave_order"),
        (dt.date(2026, 11, 20), dt.date(2027, 5, 20), "5260250995", None),  # 182 days
        (dt.date(2026, 11, 20), dt.date(2027, 5, 21), "5260250995", "sick_leave_too_long"),
        (dt.date(2026, 12, 1), dt.date(2026, 12, 5), "1234567890", "employer_nip"),
        (dt.date(2026, 12, 1), dt.date(2026, 12, 5), "526025099", "employer_nip"),
    ],
)
def test_sick_leave_rules(starts_on: dt.date, ends_on: dt.date, nip: str, refused: str | None) -> None:
    from carenet.clinical.policies import sick_leave_refusal

    today = dt.date(2026, 11, 20)
    assert sick_leave_refusal(starts_on=starts_on, ends_on=ends_on, employer_nip=nip, today=today) == refused


def test_a_correction_is_of_the_same_patient_by_the_same_clinician_of_a_current_version() -> None:
    from carenet.clinical.policies import CorrectionFacts, correction_refusal

    facts = CorrectionFacts(patient_id=1, issued_by_id=7, already_corrected=False)
    assert correction_refusal(facts, patient_id=1, clinician_id=7) is None
    assert correction_refusal(facts, patient_id=2, clinician_id=7) == "correction_other_patient"
    assert correction_refusal(facts, patient_id=1, clinician_id=8) == "correction_other_clinician"
    corrected = CorrectionFacts(patient_id=1, issued_by_id=7, already_corrected=True)
    assert correction_refusal(corrected, patient_id=1, clinician_id=7) == "correction_already_corrected"
