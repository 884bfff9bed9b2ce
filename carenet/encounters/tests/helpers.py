"""Test helpers: a visit of a patient with a clinician at a given time, in any mode (no booking rules)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from carenet.accounts.models import Patient
from carenet.booking.models import Appointment, Channel
from carenet.network.models import Clinician, Facility, Room, Service
from carenet.scheduling.models import Mode, Slot
from carenet.scheduling.tests.factories import ScheduleFactory


def visit_of(
    patient: Patient,
    clinician: Clinician,
    service: Service,
    starts_at: dt.datetime,
    *,
    mode: str = Mode.IN_PERSON,
    facility: Facility | None = None,
    room: Room | None = None,
    minutes: int = 15,
    **fields: Any,
) -> Appointment:
    if mode != Mode.IN_PERSON:
        facility = room = None
    schedule = ScheduleFactory(
        clinician=clinician,
        facility=facility,
        room=room,
        mode=mode,
        specialty=service.specialty,
        valid_from=starts_at.date() - dt.timedelta(days=1),
        valid_until=starts_at.date() + dt.timedelta(days=1),
    )
    schedule.services.set([service])
    slot = Slot.objects.create(
        schedule=schedule,
        clinician=clinician,
        facility=facility,
        city=facility.city if facility is not None else None,
        room=room,
        specialty=service.specialty,
        mode=mode,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=minutes),
        is_free=False,
    )
    values: dict[str, Any] = {"status": Appointment.Status.BOOKED, "channel": Channel.PORTAL} | fields
    return Appointment.objects.create(patient=patient, slot=slot, service=service, price=Decimal("0"), **values)
