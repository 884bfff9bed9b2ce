"""Typed booking errors with stable codes and Polish/English messages (STYLE rule 2).

The API maps them by ``status_code`` (422 refused, 409 lost to another booking or an expired hold); a page shows
``message`` as a form error. Messages are lazy: they are translated in the language active when shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

from carenet.booking.policies import ActorProblem, Refusal, RefusalCode
from carenet.core.clock import local
from carenet.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationFailed

REFUSAL_MESSAGES: dict[RefusalCode, Promise] = {
    RefusalCode.SLOT_IN_PAST: _("This time has already passed; please choose a later one."),
    RefusalCode.FACILITY_PARTNER: _(
        "Partner facilities are booked by phone or in person there, not through CareNet. Phone: %(phone)s."
    ),
    RefusalCode.FACILITY_CLOSED: _(
        "The facility is closed at that time; please choose another facility or a teleconsultation."
    ),
    RefusalCode.NO_ENTITLEMENT: _("The patient's package is not active on that day, so the visit cannot be booked."),
    RefusalCode.AGE_NOT_ALLOWED: _("This service is not available at the patient's age."),
    RefusalCode.PREGNANCY_CARE_ELSEWHERE: _(
        "Pregnancy visits are booked at the facility where your pregnancy is led, or by telemedicine. If that "
        "facility cannot see you, file a request on the portal's page “Pregnancy care” "
        "or call %(phone)s: our coordinators will arrange a visit."
    ),
    RefusalCode.NO_SHOW_BLOCK: _(
        "After two missed visits in this specialty within 30 days, booking it is blocked until %(until)s."
    ),
    RefusalCode.LEVEL_ONE_CAP: _(
        "A basic (level I) account may have at most %(limit)s active bookings made in the portal. Confirm your "
        "identity to book more, or call the call centre."
    ),
    RefusalCode.LEVEL_TWO_REQUIRED: _(
        "Rehabilitation is booked in the portal once your identity is confirmed (level II); or call the call centre."
    ),
    RefusalCode.OCCUPATIONAL_REFERRAL_REQUIRED: _(
        "Occupational medicine exams need the employer's referral: the employer's name, NIP and the referral number."
    ),
    RefusalCode.REFERRAL_REQUIRED: _(
        "This service needs a valid referral from a network clinician, not yet used for another visit."
    ),
    RefusalCode.LIMIT_USED: _(
        "The annual limit for this service is used up (%(limit)s a year). You can book it as a paid visit for "
        "%(price)s PLN."
    ),
    RefusalCode.PRICE_NOT_ACCEPTED: _(
        "Your package does not cover this service in full; please accept the price of %(price)s PLN to book it."
    ),
    RefusalCode.APPOINTMENT_NOT_ACTIVE: _("This appointment is not booked any more, so it cannot be cancelled."),
    RefusalCode.LEVEL_ONE_NOT_PORTAL: _(
        "A basic (level I) account can cancel here only visits booked in the portal; please call the call centre: "
        "%(phone)s."
    ),
}

#: ``slot_in_past`` reads differently when cancelling.
CANCEL_IN_PAST_MESSAGE = _("This visit has already started or passed, so it cannot be cancelled.")


def _format(message: Promise, params: Mapping[str, str]) -> str:
    return str(message) % params if params else str(message)


_lazy_format = lazy(_format, str)


def _message_params(refusal: Refusal) -> dict[str, str]:
    params = dict(refusal.params)
    params.setdefault("phone", settings.CARENET_CALL_CENTRE_PHONE)
    if "until" in params:
        params["until"] = local(dt.datetime.fromisoformat(params["until"])).strftime("%d.%m.%Y %H:%M")
    params.setdefault("limit", "")
    params.setdefault("price", "")
    return params


class BookingRefused(ApplicationError):
    """BKG-3 / CXL-1: the booking (or cancellation) breaks a rule; ``code`` says which (a :class:`RefusalCode`)."""

    status_code = 422
    default_code = "booking_refused"

    @classmethod
    def from_refusal(cls, refusal: Refusal, *, cancelling: bool = False) -> BookingRefused:
        message: Promise = REFUSAL_MESSAGES[refusal.code]
        if cancelling and refusal.code is RefusalCode.SLOT_IN_PAST:
            message = CANCEL_IN_PAST_MESSAGE
        details: dict[str, Any] = dict(refusal.params)
        return cls(_lazy_format(message, _message_params(refusal)), code=refusal.code.value, details=details)


class SlotUnavailable(Conflict):
    """BKG-2: another booking holds the slot (the unique constraint said so, or the row we locked did)."""

    default_code = "slot_taken"

    def __init__(self, message: str | Promise | None = None, **kwargs: Any) -> None:
        super().__init__(message or _("This time has just been taken; please choose another one."), **kwargs)


class HoldExpired(Conflict):
    """FHIR $confirm after the hold ran out: the slot was released; the patient has to choose again."""

    default_code = "hold_expired"

    def __init__(self, message: str | Promise | None = None, **kwargs: Any) -> None:
        super().__init__(message or _("The reservation of this time has expired; please choose it again."), **kwargs)


class NotHeld(Conflict):
    """$confirm of an appointment that is not a hold (already booked, cancelled)."""

    default_code = "appointment_not_held"

    def __init__(self, message: str | Promise | None = None, **kwargs: Any) -> None:
        super().__init__(message or _("This appointment is not a reservation waiting for confirmation."), **kwargs)


def actor_error(problem: ActorProblem) -> ApplicationError:
    """The error for an actor who may not act: 404 (they may not know it exists), or 403."""
    if problem is ActorProblem.NOT_FOUND:
        return NotFound(_("No such patient or appointment."), code="not_found")
    if problem is ActorProblem.CHANNEL_NOT_ALLOWED:
        return PermissionDenied(_("Your role does not book or cancel through this channel."), code=problem.value)
    return PermissionDenied(_("You may not book or cancel this appointment."), code=problem.value)


def slot_not_found() -> NotFound:
    return NotFound(_("There is no such slot."), code="slot_not_found")


def appointment_not_found() -> NotFound:
    return NotFound(_("There is no such appointment."), code="not_found")


def service_not_offered() -> ValidationFailed:
    return ValidationFailed(_("This service is not offered in the chosen slot."), code="service_not_offered")
