"""Booking rules: who may act, when a booking or a cancellation is refused (BKG-1..6, CXL-1, ACC-3, NET-2, NET-3,
PKG-4, PKG-5).

Pure Python, no Django: the service gathers every fact into :class:`BookingFacts` (or :class:`CancelFacts`) and
these functions answer with the first :class:`Refusal` in a documented order, or ``None``. Numbers (the level I cap,
the no-show window) arrive in :class:`BookingLimits`, filled from settings by the service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from carenet.accounts import permissions
from carenet.accounts.permissions import Action, Actor, Scope
from carenet.pregnancy.policies import led_elsewhere

#: BKG-1: the channels (one definition, in the permission table's module).
Channel = permissions.Channel

#: Channels where patients act for themselves (ACC-3 applies there).
PATIENT_CHANNELS = frozenset({Channel.PORTAL, Channel.MOBILE})


class Stage(StrEnum):
    """A hold checks everything but payment and documents; the booking (or the confirmation of a hold) checks all."""

    HOLD = "hold"
    BOOK = "book"


class RefusalCode(StrEnum):
    """Stable codes of booking and cancellation refusals (the API returns them; messages are in ``errors``)."""

    SLOT_IN_PAST = "slot_in_past"
    FACILITY_PARTNER = "facility_partner"
    FACILITY_CLOSED = "facility_closed"
    NO_ENTITLEMENT = "no_entitlement"
    AGE_NOT_ALLOWED = "age_not_allowed"
    NO_SHOW_BLOCK = "no_show_block"
    LEVEL_ONE_CAP = "level_one_cap"
    OCCUPATIONAL_REFERRAL_REQUIRED = "occupational_referral_required"
    REFERRAL_REQUIRED = "referral_required"
    LIMIT_USED = "limit_used"
    PRICE_NOT_ACCEPTED = "price_not_accepted"
    APPOINTMENT_NOT_ACTIVE = "appointment_not_active"
    LEVEL_ONE_NOT_PORTAL = "level_one_not_portal"
    LEVEL_TWO_REQUIRED = "level_two_required"
    PREGNANCY_CARE_ELSEWHERE = "pregnancy_care_elsewhere"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a booking or a cancellation is refused; ``params`` feed the message (a date, a price, a limit)."""

    code: RefusalCode
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BookingLimits:
    """The administrator's numbers (settings "Booking" block)."""

    level_one_max_portal_bookings: int = 10  # ACC-3
    no_show_count: int = 2  # BKG-5
    no_show_window: dt.timedelta = dt.timedelta(days=30)  # BKG-5
    no_show_block: dt.timedelta = dt.timedelta(days=30)  # BKG-5


@dataclass(frozen=True, slots=True)
class BookingFacts:
    """Everything the booking rules need, gathered by the service in its transaction.

    ``no_show_times``: the starts of the patient's no-show visits in the slot's specialty (BKG-5).
    ``active_portal_bookings``: the patient's upcoming held/booked visits made through the portal or mobile app,
    not counting the one being decided (ACC-3). ``limit_exhausted``: the coverage fell through an annual limit
    that is used up (PKG-5). ``price_to_pay`` is what the patient pays when the package does not pay it all.
    """

    now: dt.datetime
    slot_starts_at: dt.datetime
    slot_ends_at: dt.datetime
    channel: str
    facility_is_partner: bool = False
    facility_closed: bool = False
    patient_level: int = 2
    active_portal_bookings: int = 0
    no_show_times: tuple[dt.datetime, ...] = ()
    entitled: bool = True
    age_fits: bool = True
    bookable_without_payment: bool = True
    price_to_pay: Decimal = Decimal("0")
    limit_exhausted: bool = False
    limit: int | None = None
    requires_referral: bool = False
    referral_valid: bool = False
    occupational: bool = False
    occupational_data: bool = False
    price_accepted: bool = False
    rehabilitation: bool = False
    # BKG-7: the service is a pregnancy service, the facilities where the patient's pregnancy is led on the visit
    # day (empty: nowhere), the slot's facility and whether the visit is remote (phone, video).
    pregnancy_service: bool = False
    pregnancy_facility_ids: frozenset[int] = frozenset()
    slot_facility_id: int | None = None
    remote: bool = False
    stage: Stage = Stage.BOOK
    limits: BookingLimits = field(default_factory=BookingLimits)


def no_show_block_until(
    no_show_times: Iterable[dt.datetime], *, count: int, window: dt.timedelta, block: dt.timedelta
) -> dt.datetime | None:
    """BKG-5: the end of the latest block caused by ``count`` no-shows within ``window`` (in one specialty); the
    block runs for ``block`` from the no-show that completes the series. ``None`` when no series ever formed.
    """
    times = sorted(no_show_times)
    until: dt.datetime | None = None
    for index in range(count - 1, len(times)):
        first, last = times[index - count + 1], times[index]
        if last - first <= window:
            candidate = last + block
            until = candidate if until is None or candidate > until else until
    return until


def level_one_cap_applies(*, patient_level: int, channel: str) -> bool:
    """ACC-3: the cap on active portal bookings concerns level I accounts booking in the portal or the app only
    (so the service counts those bookings only then)."""
    return patient_level == 1 and channel in PATIENT_CHANNELS


def refusal_for(facts: BookingFacts) -> Refusal | None:
    """BKG-3: the first reason the booking is refused, or ``None``. The order (first wins):

    1. ``slot_in_past`` — the slot has started (BKG-3);
    2. ``facility_partner`` — partner facilities are never booked through CareNet, on any channel (NET-2);
    3. ``facility_closed`` — the facility is closed at the slot's time (NET-3);
    4. ``no_entitlement`` — no enrolment in force on the visit day (PKG-3, BKG-3);
    5. ``age_not_allowed`` — the patient's age on the visit day is outside the service's range (PKG-4);
       ``pregnancy_care_elsewhere`` — a pregnancy service in person at a facility where the patient's pregnancy is
       not led, while it is led at another (BKG-7; telemedicine is not restricted);
    6. ``no_show_block`` — two no-shows within 30 days in the slot's specialty block it for 30 days (BKG-5);
    7. ``level_one_cap`` — a level I account has 10 active portal bookings; portal and mobile only (ACC-3);
       ``level_two_required`` — a level I account books rehabilitation in the portal or the app (ACC-4);
    8. ``occupational_referral_required`` — an occupational exam without the employer's referral data (BKG-6);
    9. ``referral_required`` — the service needs a valid network referral and none is given (BKG-4);
    10. ``limit_used`` — the annual limit is used up and the paid price was not accepted (PKG-5);
    11. ``price_not_accepted`` — not covered (or discounted) and the price was not accepted (PKG-4).

    Facts of the slot come first (nothing the patient can change), then the patient's entitlement and blocks, then
    what the patient can still supply (documents, accepting the price). A hold (:attr:`Stage.HOLD`) stops after 7:
    documents and the price are asked for at confirmation.
    """
    if facts.slot_starts_at <= facts.now:
        return Refusal(RefusalCode.SLOT_IN_PAST)
    if facts.facility_is_partner:
        return Refusal(RefusalCode.FACILITY_PARTNER)
    if facts.facility_closed:
        return Refusal(RefusalCode.FACILITY_CLOSED)
    if not facts.entitled:
        return Refusal(RefusalCode.NO_ENTITLEMENT)
    if not facts.age_fits:
        return Refusal(RefusalCode.AGE_NOT_ALLOWED)
    if led_elsewhere(
        pregnancy_service=facts.pregnancy_service,
        led_facility_ids=facts.pregnancy_facility_ids,
        slot_facility_id=facts.slot_facility_id,
        remote=facts.remote,
    ):
        return Refusal(RefusalCode.PREGNANCY_CARE_ELSEWHERE)
    limits = facts.limits
    blocked_until = no_show_block_until(
        facts.no_show_times, count=limits.no_show_count, window=limits.no_show_window, block=limits.no_show_block
    )
    if blocked_until is not None and facts.now < blocked_until:
        return Refusal(RefusalCode.NO_SHOW_BLOCK, {"until": blocked_until.isoformat()})
    if (
        level_one_cap_applies(patient_level=facts.patient_level, channel=facts.channel)
        and facts.active_portal_bookings >= limits.level_one_max_portal_bookings
    ):
        return Refusal(RefusalCode.LEVEL_ONE_CAP, {"limit": str(limits.level_one_max_portal_bookings)})
    if facts.rehabilitation and facts.patient_level < 2 and facts.channel in PATIENT_CHANNELS:
        return Refusal(RefusalCode.LEVEL_TWO_REQUIRED)
    if facts.stage is Stage.HOLD:
        return None
    if facts.occupational:
        if not facts.occupational_data:
            return Refusal(RefusalCode.OCCUPATIONAL_REFERRAL_REQUIRED)
    elif facts.requires_referral and not facts.referral_valid:
        return Refusal(RefusalCode.REFERRAL_REQUIRED)
    if not facts.bookable_without_payment and facts.price_to_pay > 0 and not facts.price_accepted:
        price = {"price": f"{facts.price_to_pay:.2f}"}
        if facts.limit_exhausted:
            return Refusal(RefusalCode.LIMIT_USED, {**price, "limit": str(facts.limit or 0)})
        return Refusal(RefusalCode.PRICE_NOT_ACCEPTED, price)
    return None


# --- Visit history (ACC-4) -------------------------------------------------------------------------------------

#: Statuses of a visit still to come (a hold, a booked visit, a patient checked in); any other status is history.
UPCOMING_STATUSES = frozenset({"held", "booked", "checked_in"})


def appointment_is_history(*, status: str, ends_at: dt.datetime, now: dt.datetime) -> bool:
    """ACC-4: a visit is visit history (level II) once it has ended, or as soon as it is no longer upcoming —
    cancelled, a no-show, refused as late, an expired hold, completed — even before its time."""
    return ends_at <= now or status not in UPCOMING_STATUSES


# --- Cancelling (CXL-1, ACC-3) --------------------------------------------------------------------------------

#: Statuses a cancellation can act on: a hold (released) or a booked visit.
CANCELLABLE_STATUSES = frozenset({"held", "booked"})


@dataclass(frozen=True, slots=True)
class CancelFacts:
    now: dt.datetime
    status: str
    slot_starts_at: dt.datetime
    channel: str
    patient_level: int
    booked_channel: str


def cancel_refusal(facts: CancelFacts) -> Refusal | None:
    """CXL-1: the first reason a cancellation is refused, in this order:

    1. ``appointment_not_active`` — not a hold or a booked visit (already cancelled, checked in, past …);
    2. ``slot_in_past`` — the visit has started;
    3. ``level_one_not_portal`` — in the portal or the mobile app a level I patient manages only the visits booked
       there (ACC-3, CXL-1). The SMS reply NIE and the call centre cancel any visit.
    """
    if facts.status not in CANCELLABLE_STATUSES:
        return Refusal(RefusalCode.APPOINTMENT_NOT_ACTIVE)
    if facts.slot_starts_at <= facts.now:
        return Refusal(RefusalCode.SLOT_IN_PAST)
    if facts.patient_level == 1 and facts.channel in PATIENT_CHANNELS and facts.booked_channel not in PATIENT_CHANNELS:
        return Refusal(RefusalCode.LEVEL_ONE_NOT_PORTAL)
    return None


# --- Who may act (BKG-1, SEC) ---------------------------------------------------------------------------------


class ActorProblem(StrEnum):
    NOT_FOUND = "not_found"  # the actor may not know the patient or the visit exists
    CHANNEL_NOT_ALLOWED = "channel_not_allowed"  # the actor's role does not use that channel
    FORBIDDEN = "forbidden"  # the role may not book or cancel (clinician, coordinator), or not at that facility


def actor_problem(
    actor: Actor, *, action: Action, patient_id: int, channel: str, slot_facility_id: int | None
) -> ActorProblem | None:
    """Whether ``actor`` may ``action`` (book or cancel) for the patient through ``channel`` at the slot's facility,
    as the permission table says (:mod:`carenet.accounts.permissions`).

    A patient acts for themselves and their children (portal, mobile); anyone else's patient does not exist for
    them. A call-centre operator acts for any patient (call centre, staff chat); a receptionist only at their own
    facility's slots (reception); an administrator anywhere. Clinicians and coordinators do not book.
    """
    grant = actor.grant(action)
    if grant is None:
        return ActorProblem.FORBIDDEN
    if grant.scope is Scope.OWN and patient_id not in actor.family_ids:
        return ActorProblem.NOT_FOUND
    if channel not in grant.channels:
        return ActorProblem.CHANNEL_NOT_ALLOWED
    if grant.scope is Scope.FACILITY and (slot_facility_id is None or slot_facility_id != actor.facility_id):
        return ActorProblem.FORBIDDEN
    if grant.scope is Scope.RELATED:
        return ActorProblem.FORBIDDEN
    return None


# --- Reading the SMS numbered list (CXL-2) ----------------------------------------------------------------------


def chosen_appointment(appointment_ids: Sequence[int], choice: int) -> int | None:
    """The appointment at position ``choice`` (1-based) of a numbered list, or ``None`` if out of range."""
    if 1 <= choice <= len(appointment_ids):
        return appointment_ids[choice - 1]
    return None


def shorten(text: str, limit: int) -> str:
    """SCH-4 in an SMS: the preparation text on one line, cut at a word boundary to ``limit`` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: max(limit - 1, 0)].rsplit(" ", 1)[0].rstrip(",;:.")
    return f"{cut}…"
