"""Check-in by SMS (CHK-3, SMS-1, SMS-2): the reply TAK to the check-in question.

Registered in :class:`carenet.arrival.apps.ArrivalConfig`; the handlers run inside the inbound transaction of
:func:`carenet.messaging.services.inbound_receive`, and their replies are keyed by the inbound message.

TAK answering a check-in question comes first (priority 10); a patient's TAK nobody else takes (no question asked,
no waiting-list offer …) gets a helpful answer last (900); an unknown number's TAK the generic fallback.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from carenet.arrival import policies, services
from carenet.arrival import selectors as arrival_selectors
from carenet.booking import selectors as booking_selectors
from carenet.core import clock
from carenet.messaging import inbound
from carenet.messaging.policies import ReplyKind

CHECKIN_PRIORITY = 10
CHECKIN_NOTHING_PRIORITY = 900

ARRIVAL_CONFIRMED = gettext_noop("CareNet: your arrival is confirmed. %(where)s")
ARRIVAL_ALREADY = gettext_noop("CareNet: your arrival was already confirmed. %(where)s")
ARRIVAL_TOO_EARLY = gettext_noop(
    "CareNet: arrival can be confirmed from 15 minutes before the visit (from %(opens)s). Please reply TAK then."
)
ARRIVAL_TOO_LATE = gettext_noop(
    "CareNet: your visit started at %(starts)s, so it cannot be confirmed by SMS any more. Please go to reception."
)
NOTHING_TO_CONFIRM = gettext_noop(
    "CareNet: there is no visit waiting for your confirmation now. We ask about arrival by SMS 15 minutes before "
    "the visit; you can also confirm at reception or on the check-in page. Call centre: %(phone)s."
)


def register() -> None:
    inbound.register("checkin-yes", is_checkin_yes, confirm_arrival, priority=CHECKIN_PRIORITY)
    inbound.register("checkin-yes-nothing", is_patient_yes, nothing_to_confirm, priority=CHECKIN_NOTHING_PRIORITY)


def _polish(message: str, **params: object) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(message) % {"phone": settings.CARENET_CALL_CENTRE_PHONE, **params}


def is_patient_yes(context: inbound.InboundContext) -> bool:
    """TAK from a patient's phone that nothing more specific took (an unknown number gets the generic fallback)."""
    return context.reply.kind == ReplyKind.YES and bool(booking_selectors.patients_for_phone(phone=context.sender))


def is_checkin_yes(context: inbound.InboundContext) -> bool:
    """TAK from a phone that was asked about a visit starting around now."""
    if context.reply.kind != ReplyKind.YES or not context.sender:
        return False
    return bool(
        arrival_selectors.checkin_visits_for_phone(
            phone=context.sender,
            since=context.now - dt.timedelta(hours=2),
            until=context.now + dt.timedelta(minutes=30),
        )
    )


def confirm_arrival(context: inbound.InboundContext) -> inbound.HandlerResult:
    """CHK-3: TAK in the window checks the visit in (channel SMS) and answers with the room; otherwise it says
    why not and changes nothing. The reply is keyed by the inbound message: a webhook delivered again acts once."""
    result = services.sms_confirm_arrival(phone=context.sender, now=context.now)
    visit = result.appointment
    with translation.override(settings.LANGUAGE_CODE):
        if result.answer is services.SmsAnswer.CHECKED_IN and visit is not None:
            reply = gettext(ARRIVAL_CONFIRMED) % {"where": services.room_answer(visit)}
        elif result.answer is services.SmsAnswer.ALREADY and visit is not None:
            reply = gettext(ARRIVAL_ALREADY) % {"where": services.room_answer(visit)}
        elif result.answer is services.SmsAnswer.TOO_EARLY and visit is not None:
            opens = visit.slot.starts_at - policies.CHECK_IN_LEAD
            reply = gettext(ARRIVAL_TOO_EARLY) % {"opens": clock.local(opens).strftime("%H:%M")}
        elif result.answer is services.SmsAnswer.TOO_LATE and visit is not None:
            reply = gettext(ARRIVAL_TOO_LATE) % {"starts": clock.local(visit.slot.starts_at).strftime("%H:%M")}
        else:
            reply = _polish(NOTHING_TO_CONFIRM)
    outcome = f"check-in {result.answer.value}" + (f" for appointment {visit.pk}" if visit is not None else "")
    return inbound.HandlerResult(outcome=outcome, replies=[reply], patient=result.patient)


def nothing_to_confirm(context: inbound.InboundContext) -> inbound.HandlerResult:
    """TAK with no check-in question (or other conversation) waiting: a helpful answer, nothing changed."""
    patients = booking_selectors.patients_for_phone(phone=context.sender)
    return inbound.HandlerResult(
        outcome="TAK with nothing to confirm",
        replies=[_polish(NOTHING_TO_CONFIRM)],
        patient=patients[0] if patients else None,
    )
