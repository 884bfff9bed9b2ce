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
