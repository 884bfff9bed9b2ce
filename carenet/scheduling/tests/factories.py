from __future__ import annotations

import datetime as dt
from typing import Any

import factory

from carenet.network.models import Clinician, Facility
from carenet.network.tests.factories import (
    CityFactory,
    ClinicianFactory,
    FacilityFactory,
    RoomFactory,
    ServiceFactory,
    SpecialtyFactory,
)
from carenet.scheduling.models import Mode, Schedule

__all__ = [
    "CityFactory",
    "ClinicianFactory",
    "FacilityFactory",
    "RoomFactory",
    "ScheduleFactory",
    "ServiceFactory",
    "SpecialtyFactory",
    "clinician_at",
]


def clinician_at(*facilities: Facility, specialty_code: str = "interna", **fields: Any) -> Clinician:
    """A clinician working at the given facilities in one specialty (a tiny stand-in catalogue: "interna")."""
    specialty = SpecialtyFactory(code=specialty_code, name=specialty_code.capitalize())
    ServiceFactory(code=f"konsultacja-{specialty_code}", specialty=specialty)
    clinician = ClinicianFactory(**fields)
    clinician.specialties.add(specialty)
    clinician.facilities.add(*facilities)
    return clinician


class ScheduleFactory(factory.django.DjangoModelFactory):
    """A schedule row without slots (use the service to publish one with its slots)."""

    class Meta:
        model = Schedule

    clinician = factory.SubFactory(ClinicianFactory)
    facility = factory.SubFactory(FacilityFactory)
    room = None
    mode = Mode.IN_PERSON
    specialty = factory.SubFactory(SpecialtyFactory)
    valid_from = dt.date(2026, 3, 2)
    valid_until = dt.date(2026, 3, 29)
    weekdays = "12345"
    start_time = dt.time(8)
    end_time = dt.time(14)
    slot_minutes = 15
