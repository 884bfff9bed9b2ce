"""Pregnancy care rules (BKG-7, BKG-3). Pure Python, no Django.

* Where a pregnancy is led: a :class:`~carenet.pregnancy.models.PregnancyCare` is *open* on a day from its start
  until the day before ``ended_on`` (the day it ended is no longer led there).
* The booking rule: a patient whose pregnancy is led somewhere books a *pregnancy service* (the services of the
  coverage matrix's pregnancy-care benefit, seed row 30 — data, not a code list) in person only at the facilities
  where it is led. Telemedicine visits (phone, video) of a pregnancy service are not restricted: the seeds offer
  pregnant patients a gynaecologist's or midwife's telemedicine advice from home whatever facility leads the
  pregnancy. A patient whose pregnancy is led nowhere in the network books as everyone else.
* A request for pregnancy care elsewhere (name, phone, the facility that failed, the wanted city, in person or
  telemedicine, a note) is checked here; a coordinator resolves it once: with a booking or with a reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from enum import StrEnum

NAME_MAX_LENGTH = 150
NOTE_MAX_LENGTH = 500
REASON_MAX_LENGTH = 500
MODES = ("in_person", "telemedicine")


def care_is_open(*, started_on: dt.date, ended_on: dt.date | None, day: dt.date) -> bool:
    """BKG-7: whether a pregnancy is led at the facility on ``day``."""
    return started_on <= day and (ended_on is None or day < ended_on)


def led_elsewhere(
    *,
    pregnancy_service: bool,
    led_facility_ids: Collection[int],
    slot_facility_id: int | None,
    remote: bool,
) -> bool:
    """BKG-7: a pregnancy service booked in person at a facility where the patient's pregnancy is not led, while it
    is led somewhere (``led_facility_ids`` not empty). Telemedicine and patients without a record are never
    refused by this rule."""
    if not pregnancy_service or remote or not led_facility_ids:
        return False
    return slot_facility_id not in led_facility_ids


class RequestProblem(StrEnum):
    """Stable codes of a refused pregnancy-care request or resolution."""

    NAME_REQUIRED = "pregnancy_name_required"
    NAME_TOO_LONG = "pregnancy_name_too_long"
    PHONE_INVALID = "pregnancy_phone_invalid"
    CITY_REQUIRED = "pregnancy_city_required"
    MODE_INVALID = "pregnancy_mode_invalid"
    NOTE_TOO_LONG = "pregnancy_note_too_long"
    REASON_REQUIRED = "pregnancy_reason_required"
    REASON_TOO_LONG = "pregnancy_reason_too_long"
    ALREADY_RESOLVED = "pregnancy_request_resolved"
    ALREADY_OPEN = "pregnancy_request_already_open"
    CARE_ALREADY_RECORDED = "pregnancy_care_already_recorded"
    CARE_ALREADY_ENDED = "pregnancy_care_ended"
    WRONG_PLACE = "pregnancy_booking_wrong_place"


def request_problem(*, name: str, phone_valid: bool, city_given: bool, mode: str, note: str) -> RequestProblem | None:
    """BKG-7: the first problem of a request as filed (the trimmed texts), or ``None``."""
    if not name:
        return RequestProblem.NAME_REQUIRED
    if len(name) > NAME_MAX_LENGTH:
        return RequestProblem.NAME_TOO_LONG
    if not phone_valid:
        return RequestProblem.PHONE_INVALID
    if not city_given:
        return RequestProblem.CITY_REQUIRED
    if mode not in MODES:
        return RequestProblem.MODE_INVALID
    if len(note) > NOTE_MAX_LENGTH:
        return RequestProblem.NOTE_TOO_LONG
    return None


def decline_problem(*, status: str, reason: str) -> RequestProblem | None:
    """A request is resolved once; declining it needs a reason the patient receives by SMS."""
    if status != "open":
        return RequestProblem.ALREADY_RESOLVED
    if not reason:
        return RequestProblem.REASON_REQUIRED
    if len(reason) > REASON_MAX_LENGTH:
        return RequestProblem.REASON_TOO_LONG
    return None


def booking_place_problem(
    *, mode: str, wanted_city_id: int, slot_city_id: int | None, remote: bool
) -> RequestProblem | None:
    """A request is resolved with a visit where the patient asked for it: in person in the wanted city, or by
    telemedicine (a remote visit)."""
    if mode == "telemedicine":
        return None if remote else RequestProblem.WRONG_PLACE
    if remote or slot_city_id != wanted_city_id:
        return RequestProblem.WRONG_PLACE
    return None
