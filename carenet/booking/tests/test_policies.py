"""The booking rules, table-driven and without a database (BKG-3..6, ACC-3, NET-2, NET-3, PKG-4, PKG-5, CXL-1)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from carenet.accounts.permissions import Action, Actor, Role
from carenet.booking.policies import (
    ActorProblem,
    BookingFacts,
    BookingLimits,
    CancelFacts,
    RefusalCode,
    Stage,
    actor_problem,
    cancel_refusal,
    chosen_appointment,
    no_show_block_until,
    refusal_for,
    shorten,
)

NOW = dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)
START = NOW + dt.timedelta(days=1)
DAY = dt.timedelta(days=1)


def facts(**changes: Any) -> BookingFacts:
    """A booking every rule accepts: a covered visit tomorrow at an own, open centre, level II, portal."""
    base = BookingFacts(
        now=NOW,
        slot_starts_at=START,
        slot_ends_at=START + dt.timedelta(minutes=15),
        channel="portal",
    )
    return dataclasses.replace(base, **changes)


PAYING = {"bookable_without_payment": False, "price_to_pay": Decimal("180.00")}
# BKG-7: a pregnancy visit in person at facility 7 while the pregnancy is led at facility 3.
PREGNANCY_ELSEWHERE: dict[str, Any] = {
    "pregnancy_service": True,
    "pregnancy_facility_ids": frozenset({3}),
    "slot_facility_id": 7,
}

# (what breaks, the code it gives) — one row per refusal code of BKG-3 and friends.
REFUSALS: list[tuple[dict[str, Any], RefusalCode]] = [
    ({"slot_starts_at": NOW}, RefusalCode.SLOT_IN_PAST),
    ({"slot_starts_at": NOW - DAY}, RefusalCode.SLOT_IN_PAST),
    ({"facility_is_partner": True}, RefusalCode.FACILITY_PARTNER),
    (
        {"facility_is_partner": True, "channel": "call_centre"},
        RefusalCode.FACILITY_PARTNER,
    ),
    ({"facility_is_partner": True, "channel": "reception"}, RefusalCode.FACILITY_PARTNER),
    ({"facility_closed": True}, RefusalCode.FACILITY_CLOSED),
    ({"entitled": False}, RefusalCode.NO_ENTITLEMENT),
    ({"age_fits": False}, RefusalCode.AGE_NOT_ALLOWED),
    (PREGNANCY_ELSEWHERE, RefusalCode.PREGNANCY_CARE_ELSEWHERE),  # BKG-7
    ({**PREGNANCY_ELSEWHERE, "channel": "call_centre"}, RefusalCode.PREGNANCY_CARE_ELSEWHERE),
    ({"no_show_times": (NOW - 10 * DAY, NOW - 3 * DAY)}, RefusalCode.NO_SHOW_BLOCK),
    ({"patient_level": 1, "active_portal_bookings": 10}, RefusalCode.LEVEL_ONE_CAP),
    ({"patient_level": 1, "rehabilitation": True}, RefusalCode.LEVEL_TWO_REQUIRED),  # ACC-4
    ({"patient_level": 1, "rehabilitation": True, "channel": "mobile"}, RefusalCode.LEVEL_TWO_REQUIRED),
    ({"patient_level": 1, "active_portal_bookings": 10, "channel": "mobile"}, RefusalCode.LEVEL_ONE_CAP),
    ({"occupational": True}, RefusalCode.OCCUPATIONAL_REFERRAL_REQUIRED),
    ({"requires_referral": True}, RefusalCode.REFERRAL_REQUIRED),
    ({**PAYING, "limit_exhausted": True, "limit": 2}, RefusalCode.LIMIT_USED),
    (PAYING, RefusalCode.PRICE_NOT_ACCEPTED),
]


@pytest.mark.parametrize(
    ("changes", "code"), REFUSALS, ids=[f"{code.value}-{n}" for n, (_, code) in enumerate(REFUSALS)]
)
def test_each_refusal_code(changes: dict[str, Any], code: RefusalCode) -> None:
    refusal = refusal_for(facts(**changes))
    assert refusal is not None
    assert refusal.code is code


def test_every_booking_code_has_a_row() -> None:
    cancel_only = {RefusalCode.APPOINTMENT_NOT_ACTIVE, RefusalCode.LEVEL_ONE_NOT_PORTAL}
    assert {code for _, code in REFUSALS} == set(RefusalCode) - cancel_only


ACCEPTED: list[dict[str, Any]] = [
    {},
    {**PAYING, "price_accepted": True},
    {**PAYING, "limit_exhausted": True, "limit": 2, "price_accepted": True},
    {"requires_referral": True, "referral_valid": True},
    {"occupational": True, "occupational_data": True},
    {"occupational": True, "occupational_data": True, "requires_referral": True},  # the employer's referral counts
    {"patient_level": 1, "active_portal_bookings": 9},
    {"patient_level": 1, "active_portal_bookings": 25, "channel": "call_centre"},
    {"patient_level": 2, "active_portal_bookings": 25},
    {"patient_level": 2, "rehabilitation": True},  # ACC-4: level II books rehabilitation
    {"patient_level": 1, "rehabilitation": True, "channel": "call_centre"},  # staff book it for anyone
    {"no_show_times": (NOW - 40 * DAY, NOW - 35 * DAY)},  # the block of 30 days is over
    {"no_show_times": (NOW - 50 * DAY, NOW - 5 * DAY)},  # 45 days apart: not within 30 days
    {"no_show_times": (NOW - 3 * DAY,)},  # one no-show does not block
    {"bookable_without_payment": False, "price_to_pay": Decimal("0.00")},  # nothing to pay, nothing to accept
    # BKG-7: where the pregnancy is led; by telemedicine anywhere; other services anywhere; led nowhere.
    {**PREGNANCY_ELSEWHERE, "slot_facility_id": 3},
    {**PREGNANCY_ELSEWHERE, "pregnancy_facility_ids": frozenset({3, 7})},
    {**PREGNANCY_ELSEWHERE, "remote": True},
    {**PREGNANCY_ELSEWHERE, "pregnancy_service": False},
    {**PREGNANCY_ELSEWHERE, "pregnancy_facility_ids": frozenset()},
]


@pytest.mark.parametrize("changes", ACCEPTED)
def test_bookings_that_pass(changes: dict[str, Any]) -> None:
    assert refusal_for(facts(**changes)) is None


DOCUMENTED_ORDER = [
    (RefusalCode.SLOT_IN_PAST, {"slot_starts_at": NOW - DAY}),
    (RefusalCode.FACILITY_PARTNER, {"facility_is_partner": True}),
    (RefusalCode.FACILITY_CLOSED, {"facility_closed": True}),
    (RefusalCode.NO_ENTITLEMENT, {"entitled": False}),
    (RefusalCode.AGE_NOT_ALLOWED, {"age_fits": False}),
    (RefusalCode.PREGNANCY_CARE_ELSEWHERE, PREGNANCY_ELSEWHERE),
    (RefusalCode.NO_SHOW_BLOCK, {"no_show_times": (NOW - 10 * DAY, NOW - 3 * DAY)}),
    (RefusalCode.LEVEL_ONE_CAP, {"patient_level": 1, "active_portal_bookings": 10}),
    (RefusalCode.OCCUPATIONAL_REFERRAL_REQUIRED, {"occupational": True}),
    (RefusalCode.REFERRAL_REQUIRED, {"requires_referral": True}),
    (RefusalCode.LIMIT_USED, {**PAYING, "limit_exhausted": True, "limit": 2}),
]


def test_refusals_come_in_the_documented_order() -> None:
    """BKG-3: with every rule broken, fixing the first reason reveals the next, in the order of refusal_for."""
    broken: dict[str, Any] = {}
    for _, changes in DOCUMENTED_ORDER:
        broken.update(changes)
    seen = []
    fixes = {
        RefusalCode.SLOT_IN_PAST: {"slot_starts_at": START},
        RefusalCode.FACILITY_PARTNER: {"facility_is_partner": False},
        RefusalCode.FACILITY_CLOSED: {"facility_closed": False},
        RefusalCode.NO_ENTITLEMENT: {"entitled": True},
        RefusalCode.AGE_NOT_ALLOWED: {"age_fits": True},
        RefusalCode.PREGNANCY_CARE_ELSEWHERE: {"remote": True},
        RefusalCode.NO_SHOW_BLOCK: {"no_show_times": ()},
        RefusalCode.LEVEL_ONE_CAP: {"active_portal_bookings": 0},
        RefusalCode.OCCUPATIONAL_REFERRAL_REQUIRED: {"occupational": False},
        RefusalCode.REFERRAL_REQUIRED: {"referral_valid": True},
        RefusalCode.LIMIT_USED: {"limit_exhausted": False},
        RefusalCode.PRICE_NOT_ACCEPTED: {"price_accepted": True},
    }
    while (refusal := refusal_for(facts(**broken))) is not None:
        seen.append(refusal.code)
        broken.update(fixes[refusal.code])
    assert seen == [code for code, _ in DOCUMENTED_ORDER] + [RefusalCode.PRICE_NOT_ACCEPTED]


def test_a_hold_leaves_documents_and_price_to_the_confirmation() -> None:
    """FHIR $hold: referral, occupational data and the price are asked for at $confirm."""
    later = {"requires_referral": True, "occupational": False, **PAYING, "limit_exhausted": True}
    assert refusal_for(facts(stage=Stage.HOLD, **later)) is None
    assert refusal_for(facts(stage=Stage.HOLD, occupational=True)) is None
    held = refusal_for(facts(stage=Stage.HOLD, patient_level=1, active_portal_bookings=10))
    assert held is not None and held.code is RefusalCode.LEVEL_ONE_CAP


def test_refusal_parameters_feed_the_messages() -> None:
    limit = refusal_for(facts(**PAYING, limit_exhausted=True, limit=2))
    assert limit is not None and limit.params == {"price": "180.00", "limit": "2"}
    cap = refusal_for(facts(patient_level=1, active_portal_bookings=10))
    assert cap is not None and cap.params == {"limit": "10"}
    block = refusal_for(facts(no_show_times=(NOW - 10 * DAY, NOW - 3 * DAY)))
    assert block is not None and block.params == {"until": (NOW + 27 * DAY).isoformat()}


def test_level_one_cap_follows_the_configured_number() -> None:
    """ACC-3: the number lives in settings and arrives through BookingLimits."""
    limits = BookingLimits(level_one_max_portal_bookings=5)
    assert refusal_for(facts(patient_level=1, active_portal_bookings=4, limits=limits)) is None
    assert refusal_for(facts(patient_level=1, active_portal_bookings=5, limits=limits)) is not None


@pytest.mark.parametrize(
    ("offsets", "until"),
    [
        ((), None),
        ((0,), None),
        ((0, 30), 60),  # exactly 30 days apart still counts
        ((0, 31), None),
        ((0, 10, 50), 40),  # the first pair; the second pair (10, 50) is 40 days apart
        ((0, 10, 35), 65),  # two overlapping pairs: the later block wins
    ],
)
def test_no_show_block_until(offsets: tuple[int, ...], until: int | None) -> None:
    """BKG-5: two no-shows within 30 days block the specialty for 30 days from the second."""
    base = NOW - 100 * DAY
    result = no_show_block_until([base + offset * DAY for offset in offsets], count=2, window=30 * DAY, block=30 * DAY)
    assert result == (None if until is None else base + until * DAY)


def cancel(**changes: Any) -> CancelFacts:
    base = CancelFacts(
        now=NOW, status="booked", slot_starts_at=START, channel="portal", patient_level=2, booked_channel="portal"
    )
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({}, None),
        ({"status": "held"}, None),
        ({"status": "cancelled"}, RefusalCode.APPOINTMENT_NOT_ACTIVE),
        ({"status": "checked_in"}, RefusalCode.APPOINTMENT_NOT_ACTIVE),
        ({"status": "no_show", "slot_starts_at": NOW - DAY}, RefusalCode.APPOINTMENT_NOT_ACTIVE),  # order
        ({"slot_starts_at": NOW}, RefusalCode.SLOT_IN_PAST),
        ({"patient_level": 1, "booked_channel": "call_centre"}, RefusalCode.LEVEL_ONE_NOT_PORTAL),
        ({"patient_level": 1, "booked_channel": "reception", "channel": "mobile"}, RefusalCode.LEVEL_ONE_NOT_PORTAL),
        ({"patient_level": 1, "booked_channel": "mobile"}, None),
        ({"patient_level": 1, "booked_channel": "call_centre", "channel": "sms"}, None),  # NIE cancels any visit
        ({"patient_level": 1, "booked_channel": "call_centre", "channel": "call_centre"}, None),
        ({"patient_level": 2, "booked_channel": "call_centre"}, None),
        (
            {"patient_level": 1, "booked_channel": "call_centre", "slot_starts_at": NOW - DAY},
            RefusalCode.SLOT_IN_PAST,
        ),
    ],
)
def test_cancel_refusals(changes: dict[str, Any], code: RefusalCode | None) -> None:
    """CXL-1, ACC-3."""
    refusal = cancel_refusal(cancel(**changes))
    assert (refusal.code if refusal else None) is code


PATIENT = Actor(user_id=1, role=Role.PATIENT, patient_id=10, children_ids=frozenset({11}))
RECEPTION = Actor(user_id=2, role=Role.RECEPTIONIST, facility_id=1)


@pytest.mark.parametrize(
    ("actor", "patient", "channel", "facility", "problem"),
    [
        (PATIENT, 10, "portal", 1, None),
        (PATIENT, 11, "mobile", None, None),
        (PATIENT, 12, "portal", 1, ActorProblem.NOT_FOUND),
        (PATIENT, 10, "call_centre", 1, ActorProblem.CHANNEL_NOT_ALLOWED),
        (Actor(user_id=3, role=Role.CALL_CENTRE), 12, "call_centre", 1, None),
        (Actor(user_id=3, role=Role.CALL_CENTRE), 12, "staff_chat", None, None),
        (Actor(user_id=3, role=Role.CALL_CENTRE), 12, "portal", 1, ActorProblem.CHANNEL_NOT_ALLOWED),
        (RECEPTION, 12, "reception", 1, None),
        (RECEPTION, 12, "reception", 2, ActorProblem.FORBIDDEN),
        (RECEPTION, 12, "reception", None, ActorProblem.FORBIDDEN),
        (RECEPTION, 12, "call_centre", 1, ActorProblem.CHANNEL_NOT_ALLOWED),
        (Actor(user_id=4, role=Role.ADMIN), 12, "reception", 7, None),
        (Actor(user_id=4, role=Role.ADMIN), 12, "sms", 7, ActorProblem.CHANNEL_NOT_ALLOWED),
        (Actor(user_id=5, role=Role.CLINICIAN, clinician_id=3), 12, "reception", 1, ActorProblem.FORBIDDEN),
        (Actor(user_id=6, role=Role.COORDINATOR), 12, "call_centre", 1, ActorProblem.FORBIDDEN),
        (Actor(user_id=7, role=Role.PARTNER_STAFF, facility_id=1), 12, "reception", 1, ActorProblem.FORBIDDEN),
        (Actor(), 12, "portal", 1, ActorProblem.FORBIDDEN),
    ],
)
@pytest.mark.parametrize("action", [Action.APPOINTMENT_BOOK, Action.APPOINTMENT_CANCEL])
def test_who_may_book_and_cancel(
    actor: Actor, patient: int, channel: str, facility: int | None, problem: ActorProblem | None, action: Action
) -> None:
    """BKG-1, SEC: patients for themselves and children, operators for anyone, reception at its facility — as the
    permission table says."""
    assert (
        actor_problem(actor, action=action, patient_id=patient, channel=channel, slot_facility_id=facility) is problem
    )


def test_numbered_list_choice() -> None:
    """CXL-2."""
    assert chosen_appointment([11, 22, 33], 2) == 22
    assert chosen_appointment([11, 22, 33], 0) is None
    assert chosen_appointment([11, 22, 33], 4) is None


def test_preparation_is_shortened_on_a_word_boundary() -> None:
    """SCH-4 in an SMS."""
    assert shorten("  Na czczo,\n rano. ", 50) == "Na czczo, rano."
    short = shorten("Na czczo, rano, zabierz dokument tożsamości i skierowanie", 30)
    assert short.endswith("…") and len(short) <= 30 and " " not in short[-2:]
