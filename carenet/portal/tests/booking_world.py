"""A small network for the booking-page tests: two own centres, covered and paid services, free slots tomorrow, and
the cast of people who open the pages (patients A and B, a level I patient, a child, staff of every role)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils import translation

from carenet.accounts.models import Patient, User
from carenet.api.tests.factories import (
    CityFactory,
    ClinicianFactory,
    EnrolmentFactory,
    FacilityFactory,
    PatientFactory,
    ServiceFactory,
    SpecialtyFactory,
    UserFactory,
    benefit,
    make_slot,
)
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.core.dates import latest_birth_date_of_age
from carenet.network.models import Facility, Service
from carenet.scheduling.models import Slot


def url(name: str, *args: Any) -> str:
    """English URLs, so the tests read the English texts whatever the Polish catalogue holds."""
    with translation.override("en"):
        return reverse(name, args=args)


@dataclass
class World:
    day: dt.date
    centre: Facility
    other_centre: Facility
    consultation: Service
    ultrasound: Service
    slots: list[Slot]
    other_slot: Slot
    paid_slot: Slot
    patient_a: Patient
    patient_b: Patient
    level_one: Patient
    child: Patient
    staff: dict[str, User]

    def search_params(self, **extra: Any) -> dict[str, Any]:
        return {
            "specialty": "interna",
            "date_from": self.day.isoformat(),
            "date_to": (self.day + dt.timedelta(days=6)).isoformat(),
            **extra,
        }


def patient_with_package(tier: Any = None, **fields: Any) -> Patient:
    enrolment = EnrolmentFactory(**({"tier": tier} if tier else {}), patient=PatientFactory(**fields))
    return enrolment.patient  # type: ignore[no-any-return]


def build_world() -> World:
    day = clock.today() + dt.timedelta(days=2)
    city = CityFactory(name="Warszawa")
    centre = FacilityFactory(city=city, name="CareNet Centrum Mokotów")
    other_centre = FacilityFactory(city=city, name="CareNet Centrum Wola")
    interna = SpecialtyFactory(code="interna", name="Choroby wewnętrzne", name_en="Internal medicine")
    consultation = ServiceFactory(code="konsultacja-interna", name="Konsultacja internistyczna", specialty=interna)
    ultrasound = ServiceFactory(
        code="usg-jamy-brzusznej",
        name="USG jamy brzusznej",
        specialty=interna,
        kind=Service.Kind.IMAGING,
        base_price=250,
        preparation="Na czczo, 6 godzin bez jedzenia.",
    )
    doctor = ClinicianFactory(first_name="Ewa", last_name="Lekarska")
    doctor.specialties.add(interna)
    doctor.facilities.add(centre, other_centre)
    slots = [
        make_slot(
            starts_at=clock.at_warsaw(day, dt.time(9, 15 * i)),
            clinician=doctor,
            facility=centre,
            specialty=interna,
            services=[consultation],
        )
        for i in range(3)
    ]
    other_slot = make_slot(
        starts_at=clock.at_warsaw(day, dt.time(12)),
        clinician=doctor,
        facility=other_centre,
        specialty=interna,
        services=[consultation],
    )
    paid_slot = make_slot(
        starts_at=clock.at_warsaw(day, dt.time(14)),
        clinician=doctor,
        facility=centre,
        specialty=interna,
        services=[ultrasound],
    )
    patient_a = patient_with_package(first_name="Anna", last_name="Nowak", birth_date=dt.date(1985, 5, 17))
    tier = patient_a.enrolments.get().tier
    benefit(tier, "interna", specialty=interna)
    patient_b = patient_with_package(tier, first_name="Beata", last_name="Kowalska")
    level_one = patient_with_package(tier, first_name="Ludwik", last_name="Podstawowy", account_level=1)
    child = patient_with_package(
        tier,
        first_name="Kuba",
        last_name="Nowak",
        user=None,
        guardian=patient_a,
        birth_date=latest_birth_date_of_age(8, day),
    )
    staff = {
        "call_centre": UserFactory(
            username="infolinia", role=User.Role.CALL_CENTRE, first_name="Olga", last_name="Operator"
        ),
        "receptionist": UserFactory(username="recepcja", role=User.Role.RECEPTIONIST, facility=centre),
        "other_receptionist": UserFactory(username="recepcja2", role=User.Role.RECEPTIONIST, facility=other_centre),
        "clinician": UserFactory(username="lekarz", role=User.Role.CLINICIAN),
        "coordinator": UserFactory(username="koordynator", role=User.Role.COORDINATOR),
        "admin": UserFactory(username="admin", role=User.Role.ADMIN, is_staff=True, is_superuser=True),
    }
    return World(
        day=day,
        centre=centre,
        other_centre=other_centre,
        consultation=consultation,
        ultrasound=ultrasound,
        slots=slots,
        other_slot=other_slot,
        paid_slot=paid_slot,
        patient_a=patient_a,
        patient_b=patient_b,
        level_one=level_one,
        child=child,
        staff=staff,
    )


def booked(
    patient: Patient, slot: Slot, *, channel: str = "portal", by: User | None = None, **fields: Any
) -> Appointment:
    """A booked visit written directly (a fixture, not the flow under test); the slot is marked taken."""
    appointment = Appointment.objects.create(
        patient=patient,
        slot=slot,
        service=slot.schedule.services.first(),
        channel=channel,
        booked_by=by or patient.user,
        status=fields.pop("status", Appointment.Status.BOOKED),
        **fields,
    )
    Slot.objects.filter(pk=slot.pk).update(is_free=False)
    return appointment
