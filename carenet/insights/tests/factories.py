"""A small network with a known history for the dashboard's figures (BEY-4): two cities, two specialties, slots
and bookings placed by hand so every figure has an answer a person can count."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from carenet.accounts.models import Patient, User
from carenet.accounts.tests.factories import PatientFactory, UserFactory
from carenet.booking.models import Appointment
from carenet.booking.tests.factories import AppointmentFactory
from carenet.feedback.models import VisitRating
from carenet.insights.policies import Period
from carenet.network.models import City, Clinician, Facility, Service, Specialty
from carenet.scheduling.models import Mode, Schedule, Slot
from carenet.scheduling.tests.factories import (
    CityFactory,
    ClinicianFactory,
    FacilityFactory,
    ScheduleFactory,
    ServiceFactory,
    SpecialtyFactory,
)

#: Tuesday 10 March 2026, 11:00 in Warsaw.
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 10)
#: 1–10 March 2026 (Warsaw days).
PERIOD = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 10))


@dataclass
class Line:
    """One specialty at one facility (or by phone when ``facility`` is None): its clinician, schedule, service."""

    specialty: Specialty
    facility: Facility | None
    clinician: Clinician
    schedule: Schedule
    service: Service
    minutes: int = 0  # the next slot's offset, so that no two slots of a clinician start together


@dataclass
class FiguresWorld:
    warsaw: City
    krakow: City
    cardiology: Specialty
    dermatology: Specialty
    mokotow: Facility
    kazimierz: Facility
    lines: dict[str, Line] = field(default_factory=dict)
    patient: Patient | None = None
    staff: User | None = None

    def slot(self, line: str, starts_at: dt.datetime, *, free: bool = True) -> Slot:
        ln = self.lines[line]
        return Slot.objects.create(
            schedule=ln.schedule,
            clinician=ln.clinician,
            facility=ln.facility,
            city=ln.facility.city if ln.facility else None,
            specialty=ln.specialty,
            mode=Mode.IN_PERSON if ln.facility else Mode.PHONE,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=15),
            is_free=free,
        )

    def visit(
        self,
        line: str,
        starts_at: dt.datetime,
        *,
        status: str = Appointment.Status.BOOKED,
        booked_at: dt.datetime | None = None,
        cancel_channel: str = "",
        **extra: Any,
    ) -> Appointment:
        """A booking of a new slot of ``line`` starting at ``starts_at``, made at ``booked_at`` (default: a week
        before the visit); the slot is taken unless the booking was cancelled (or a hold expired)."""
        taken = status not in (Appointment.Status.CANCELLED, Appointment.Status.EXPIRED)
        slot = self.slot(line, starts_at, free=not taken)
        appointment = AppointmentFactory(
            patient=self.patient,
            slot=slot,
            service=self.lines[line].service,
            status=status,
            channel="portal",
            cancel_channel=cancel_channel,
            cancelled_at=starts_at - dt.timedelta(days=1) if status == Appointment.Status.CANCELLED else None,
            hold_expires_at=starts_at if status in ("held", "expired") else None,
            **extra,
        )
        Appointment.objects.filter(pk=appointment.pk).update(created_at=booked_at or starts_at - dt.timedelta(days=7))
        return appointment

    def rate(self, appointment: Appointment, score: int, at: dt.datetime) -> VisitRating:
        assert self.patient is not None
        rating = VisitRating.objects.create(appointment=appointment, patient=self.patient, score=score)
        VisitRating.objects.filter(pk=rating.pk).update(created_at=at)
        return rating


def _line(specialty: Specialty, facility: Facility | None, code: str) -> Line:
    clinician = ClinicianFactory()
    clinician.specialties.add(specialty)
    schedule = ScheduleFactory(
        clinician=clinician,
        facility=facility,
        specialty=specialty,
        mode=Mode.IN_PERSON if facility else Mode.PHONE,
        valid_from=dt.date(2026, 2, 1),
        valid_until=dt.date(2026, 6, 30),
    )
    service = ServiceFactory(code=f"konsultacja-{code}", specialty=specialty)
    schedule.services.add(service)
    return Line(specialty, facility, clinician, schedule, service)


def build_figures_world() -> FiguresWorld:
    warsaw = CityFactory(name="Warszawa")
    krakow = CityFactory(name="Kraków")
    cardiology = SpecialtyFactory(code="kardiologia", name="Kardiologia", name_en="Cardiology")
    dermatology = SpecialtyFactory(code="dermatologia", name="Dermatologia", name_en="Dermatology")
    mokotow = FacilityFactory(city=warsaw, name="CareNet Mokotów")
    kazimierz = FacilityFactory(city=krakow, name="CareNet Kazimierz")
    world = FiguresWorld(warsaw, krakow, cardiology, dermatology, mokotow, kazimierz)
    world.lines = {
        "cardio-waw": _line(cardiology, mokotow, "cardio-waw"),
        "cardio-krk": _line(cardiology, kazimierz, "cardio-krk"),
        "derma-waw": _line(dermatology, mokotow, "derma-waw"),
        "cardio-phone": _line(cardiology, None, "cardio-phone"),
    }
    world.patient = PatientFactory()
    world.staff = UserFactory(username="figures-desk", role=User.Role.CALL_CENTRE)
    return world
