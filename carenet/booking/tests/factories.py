"""A small bookable network for the booking tests: one own centre with a room, a partner facility, a clinician,
a tier whose matrix covers a consultation, a lab test (with a referral), a limited procedure (2 a year) and an
occupational exam, a paid exam, and patients enrolled on it."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import factory

from carenet.accounts.models import Patient, User
from carenet.accounts.tests.factories import PatientFactory, UserFactory
from carenet.booking.models import Appointment
from carenet.core.clock import at_warsaw
from carenet.coverage.models import Rule, Tier
from carenet.coverage.tests.factories import BenefitFactory, BenefitItemFactory, EnrolmentFactory, TierFactory
from carenet.network.models import Clinician, Facility, Room, Service, Specialty
from carenet.network.tests.factories import (
    CityFactory,
    ClinicianFactory,
    FacilityFactory,
    RoomFactory,
    ServiceFactory,
    SpecialtyFactory,
)
from carenet.scheduling.models import Mode, Schedule, Slot
from carenet.scheduling.tests.factories import ScheduleFactory

__all__ = ["NOW", "AppointmentFactory", "PatientFactory", "UserFactory", "World", "build_world"]

#: Monday 2 March 2026, 08:00 in Warsaw: every test passes this (or a time derived from it) as ``now``.
NOW = at_warsaw(dt.date(2026, 3, 2), dt.time(8))


@dataclass
class World:
    tier: Tier
    facility: Facility
    partner: Facility
    room: Room
    specialty: Specialty
    other_specialty: Specialty
    consult: Service
    other_consult: Service
    lab: Service
    physio: Service
    occupational: Service
    paid: Service
    clinician: Clinician
    patient: Patient
    operator: User
    receptionist: User
    admin: User
    _minutes: itertools.count = field(default_factory=lambda: itertools.count(0, 15))

    def next_start(self) -> dt.datetime:
        """Tuesday 3 March 2026 from 10:00 Warsaw, 15 minutes apart (distinct for the clinician)."""
        return at_warsaw(dt.date(2026, 3, 3), dt.time(10)) + dt.timedelta(minutes=next(self._minutes))

    def slot(
        self,
        *,
        starts_at: dt.datetime | None = None,
        facility: Facility | str | None = "own",
        room: Room | str | None = "own",
        mode: str = Mode.IN_PERSON,
        specialty: Specialty | None = None,
        services: list[Service] | None = None,
        clinician: Clinician | None = None,
    ) -> Slot:
        place = self.facility if facility == "own" else facility
        assert place is None or isinstance(place, Facility)
        chosen_room = (self.room if place == self.facility else None) if room == "own" else room
        assert chosen_room is None or isinstance(chosen_room, Room)
        specialty = specialty or self.specialty
        if services is None:
            services = [self.consult] if specialty == self.specialty else [self.other_consult]
        starts_at = starts_at or self.next_start()
        schedule: Schedule = ScheduleFactory(
            clinician=clinician or self.clinician,
            facility=place,
            room=chosen_room,
            mode=mode,
            specialty=specialty,
        )
        schedule.services.set(services)
        return Slot.objects.create(
            schedule=schedule,
            clinician=schedule.clinician,
            facility=place,
            city=place.city if place is not None else None,
            room=chosen_room,
            specialty=specialty,
            mode=mode,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=15),
        )

    def enrol(self, patient: Patient | None = None, **fields: Any) -> Patient:
        patient = patient or PatientFactory(**fields)
        EnrolmentFactory(patient=patient, tier=self.tier)
        return patient


def build_world() -> World:
    city = CityFactory(name="Warszawa")
    facility = FacilityFactory(city=city, name="CareNet Centrum Medyczne Mokotów", address="ul. Puławska 10")
    partner = FacilityFactory(city=city, partner=True, phone="+48 22 555 00 11")
    room = RoomFactory(facility=facility, number="12")
    specialty = SpecialtyFactory(code="interna", name="Choroby wewnętrzne")
    other_specialty = SpecialtyFactory(code="dermatologia", name="Dermatologia")
    occupational_specialty = SpecialtyFactory(code="medycyna-pracy", name="Medycyna pracy")
    consult = ServiceFactory(code="konsultacja-interna", name="Konsultacja internisty", specialty=specialty)
    other_consult = ServiceFactory(
        code="konsultacja-dermatologia", name="Konsultacja dermatologa", specialty=other_specialty
    )
    lab = ServiceFactory(
        code="morfologia",
        name="Morfologia krwi",
        kind=Service.Kind.LAB,
        specialty=None,
        requires_referral=True,
        preparation="Na czczo, rano. Zabierz dokument tożsamości.",
    )
    physio = ServiceFactory(
        code="masaz", name="Masaż leczniczy", kind=Service.Kind.PROCEDURE, specialty=None, base_price=Decimal(120)
    )
    occupational = ServiceFactory(
        code="badanie-medycyny-pracy",
        name="Badanie medycyny pracy",
        specialty=occupational_specialty,
        occupational=True,
    )
    paid = ServiceFactory(
        code="usg-tarczycy", name="USG tarczycy", kind=Service.Kind.IMAGING, specialty=None, base_price=Decimal(180)
    )
    tier = TierFactory()
    benefit = BenefitFactory(tiers=[tier])
    BenefitItemFactory(benefit=benefit, specialty=specialty)
    BenefitItemFactory(benefit=benefit, specialty=other_specialty)
    BenefitItemFactory(benefit=benefit, service=lab)
    BenefitItemFactory(benefit=benefit, service=occupational)
    BenefitItemFactory(benefit=benefit, service=physio, rule=Rule.ANNUAL_LIMIT, annual_limit=2, limit_pool="physio")
    clinician = ClinicianFactory(first_name="Jan", last_name="Kowalski", title="lek.")
    clinician.specialties.add(specialty, other_specialty)
    clinician.facilities.add(facility)
    world = World(
        tier=tier,
        facility=facility,
        partner=partner,
        room=room,
        specialty=specialty,
        other_specialty=other_specialty,
        consult=consult,
        other_consult=other_consult,
        lab=lab,
        physio=physio,
        occupational=occupational,
        paid=paid,
        clinician=clinician,
        patient=PatientFactory(first_name="Anna", last_name="Nowak"),
        operator=UserFactory(username="operator", role=User.Role.CALL_CENTRE),
        receptionist=UserFactory(username="recepcja", role=User.Role.RECEPTIONIST, facility=facility),
        admin=UserFactory(username="admin", role=User.Role.ADMIN, is_staff=True, is_superuser=True),
    )
    world.enrol(world.patient)
    return world


class AppointmentFactory(factory.django.DjangoModelFactory):
    """A stored appointment (history: no-shows, past visits); bookings in tests go through the services."""

    class Meta:
        model = Appointment

    status = Appointment.Status.BOOKED
    channel = "portal"
