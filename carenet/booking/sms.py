"""Cancelling by SMS (CXL-1, CXL-2, SMS-2): the reply NIE, and the number that answers a numbered list.

Registered in :class:`carenet.booking.apps.BookingConfig`; the handlers run inside the inbound transaction of
:func:`carenet.messaging.services.inbound_receive`, and their replies are keyed by the inbound message. When a visit
is cancelled, the cancellation service writes the cancellation confirmation to the outbox (key
``cancellation:appointment:<id>``) to the same phone: that SMS is the answer, so the handler adds no second one.

Priority 150: after handlers of a specific pending conversation (default 100, e.g. a waiting-list offer answered
NIE), before the generic fallback.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from carenet.accounts.models import Patient
from carenet.booking import policies, selectors, services
from carenet.booking.models import Appointment, SmsCancelPrompt
from carenet.core import clock
from carenet.core.errors import ApplicationError
from carenet.messaging import inbound
from carenet.messaging.policies import ReplyKind

PRIORITY = 150
#: At most this many visits are listed in one SMS (the list must stay readable on a phone).
MAX_LISTED = 9

# Replies (Polish when sent: see _polish).
UNKNOWN_SENDER = gettext_noop(
    "CareNet: we do not recognise this phone number, so nothing was cancelled. To cancel a visit, "
    "call the call centre: %(phone)s."
)
NO_UPCOMING = gettext_noop("CareNet: you have no upcoming visits to cancel. Call centre: %(phone)s.")
LIST_HEAD = gettext_noop("CareNet: you have several upcoming visits. Reply with the number of the visit to cancel:")
NO_PENDING_LIST = gettext_noop(
    "CareNet: no list of visits is waiting for your answer. To cancel a visit, reply NIE to its "
    "confirmation SMS or call the call centre: %(phone)s."
)
OUT_OF_RANGE = gettext_noop("CareNet: please reply with a number from 1 to %(count)s.")


def register() -> None:
    inbound.register("booking-cancel-no", is_no, handle_no, priority=PRIORITY)
    inbound.register("booking-cancel-choice", is_choice, handle_choice, priority=PRIORITY)


def is_no(context: inbound.InboundContext) -> bool:
    return context.reply.kind == ReplyKind.NO


def is_choice(context: inbound.InboundContext) -> bool:
    return context.reply.kind == ReplyKind.CHOICE


def _polish(message: str, **params: object) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(message) % {"phone": settings.CARENET_CALL_CENTRE_PHONE, **params}


def _visits_for_phone(patients: list[Patient], now: dt.datetime) -> list[Appointment]:
    seen: dict[int, Appointment] = {}
    for patient in patients:
        for visit in selectors.upcoming_for_sms_cancel(patient=patient, now=now):
            seen.setdefault(visit.pk, visit)
    return sorted(seen.values(), key=lambda visit: (visit.slot.starts_at, visit.pk))


def _phone_owner(patients: list[Patient], visit: Appointment) -> Patient:
    """The patient of this phone the visit belongs to: its own patient, or the guardian of a child."""
    for patient in patients:
        if visit.patient_id == patient.pk or visit.patient.guardian_id == patient.pk:
            return patient
    raise LookupError("the visit is not this phone's")


def _cancel(patients: list[Patient], visit: Appointment, now: dt.datetime) -> inbound.HandlerResult:
    owner = _phone_owner(patients, visit)
    try:
        services.appointment_cancel_by_sms(patient=owner, appointment_id=visit.pk, now=now)
    except ApplicationError as error:
        with translation.override(settings.LANGUAGE_CODE):
            reason = str(error.message)
        return inbound.HandlerResult(
            outcome=f"cancel refused ({error.code}) for appointment {visit.pk}",
            replies=[f"CareNet: {reason}"],
            patient=owner,
        )
    return inbound.HandlerResult(outcome=f"cancelled appointment {visit.pk}", patient=owner)


def _line(number: int, visit: Appointment) -> str:
    when = clock.local(visit.slot.starts_at).strftime("%d.%m %H:%M")
    return f"{number}) {when} {visit.service.name} ({visit.patient.first_name})"


def handle_no(context: inbound.InboundContext) -> inbound.HandlerResult:
    """CXL-2: one upcoming visit → cancel it; several → a numbered list to answer; none or an unknown phone → a
    helpful answer, nothing changed."""
    patients = selectors.patients_for_phone(phone=context.sender)
    if not patients:
        return inbound.HandlerResult(
            outcome="NIE from an unknown number",
            replies=[_polish(UNKNOWN_SENDER)],
        )
    visits = _visits_for_phone(patients, context.now)
    if not visits:
        return inbound.HandlerResult(
            outcome="NIE without upcoming visits",
            replies=[_polish(NO_UPCOMING)],
            patient=patients[0],
        )
    if len(visits) == 1:
        return _cancel(patients, visits[0], context.now)
    listed = visits[:MAX_LISTED]
    SmsCancelPrompt.objects.create(
        phone=context.sender,
        patient=patients[0],
        appointment_ids=[visit.pk for visit in listed],
        created_at=context.now,
        expires_at=context.now + dt.timedelta(hours=settings.CARENET_SMS_CANCEL_PROMPT_HOURS),
    )
    head = _polish(LIST_HEAD)
    body = "\n".join([head, *(_line(number, visit) for number, visit in enumerate(listed, 1))])
    return inbound.HandlerResult(outcome=f"listed {len(listed)} visits", replies=[body], patient=patients[0])


def handle_choice(context: inbound.InboundContext) -> inbound.HandlerResult:
    """CXL-2: a number answering the latest list sent to this phone cancels the visit at that position."""
    choice = context.reply.choice or 0
    prompt = (
        SmsCancelPrompt.objects.select_for_update()
        .filter(phone=context.sender, answered_at__isnull=True, expires_at__gt=context.now)
        .order_by("-created_at", "-id")
        .first()
    )
    if prompt is None:
        return inbound.HandlerResult(
            outcome="number without a pending list",
            replies=[_polish(NO_PENDING_LIST)],
        )
    ids = [int(value) for value in prompt.appointment_ids]
    appointment_id = policies.chosen_appointment(ids, choice)
    if appointment_id is None:
        return inbound.HandlerResult(
            outcome=f"number {choice} out of range",
            replies=[_polish(OUT_OF_RANGE, count=len(ids))],
            patient=prompt.patient,
        )
    patients = selectors.patients_for_phone(phone=context.sender)
    visit = Appointment.objects.select_related("patient", "slot", "service").filter(pk=appointment_id).first()
    if visit is None or not patients:
        return inbound.HandlerResult(outcome="listed visit vanished", replies=[], patient=prompt.patient)
    with transaction.atomic():
        prompt.answered_at = context.now
        prompt.save(update_fields=["answered_at"])
    return _cancel(patients, visit, context.now)
