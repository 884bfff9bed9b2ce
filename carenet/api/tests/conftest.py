"""The API tests' world: one facility's internist with free slots, patients of every kind and staff of every role,
each with a bearer token; patient A has a booked visit and a hold."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from carenet.accounts.models import Patient, User
from carenet.api.auth import token_issue
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
from carenet.booking import services
from carenet.booking.models import Appointment, Channel
from carenet.core import clock
from carenet.coverage.selectors import coverage_items_cache_clear
from carenet.scheduling.models import Schedule, Slot

ROLES = (
    "anonymous",
    "patient_a",
    "patient_b",
    "level_one",
    "clinician",
    "receptionist_other",
    "receptionist_facility",
    "operator",
    "coordinator",
    "admin",
)


@dataclass
class World:
    facility: Any
    other_facility: Any
    service: Any
    slots: list[Slot]
    patient_a: Patient
    child_a: Patient
    patient_b: Patient
    level_one: Patient
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    booked: Appointment | None = None
    held: Appointment | None = None

    def client(self, role: str) -> Client:
        if role == "anonymous":
            return Client()
        return Client(headers={"Authorization": f"Bearer {self.tokens[role]}"})


@pytest.fixture(autouse=True)
def _fresh_matrix_cache():
    coverage_items_cache_clear()
    yield
    coverage_items_cache_clear()


def visit_day() -> dt.date:
    return clock.today() + dt.timedelta(days=3)


@pytest.fixture
def world(db) -> World:
    city = CityFactory(name="Warszawa")
    facility = FacilityFactory(city=city)
    other_facility = FacilityFactory(city=city)
    interna = SpecialtyFactory(code="interna")
    service = ServiceFactory(code="konsultacja-interna", specialty=interna, preparation="Zabierz wyniki badań.")
    clinician = ClinicianFactory()
    schedule = Schedule.objects.create(
        clinician=clinician,
        facility=facility,
        specialty=interna,
        valid_from=visit_day(),
        valid_until=visit_day(),
        start_time=dt.time(8),
        end_time=dt.time(16),
    )
    schedule.services.set([service])
    slots = [
        make_slot(
            starts_at=clock.at_warsaw(visit_day(), dt.time(9)) + dt.timedelta(minutes=15 * i),
            clinician=clinician,
            facility=facility,
            specialty=interna,
            schedule=schedule,
        )
        for i in range(6)
    ]
    patient_a = PatientFactory(first_name="Anna")
    child_a = PatientFactory(user=None, guardian=patient_a, birth_date=dt.date(2016, 4, 1), first_name="Kasia")
    patient_b = PatientFactory(first_name="Bartek")
    level_one = PatientFactory(first_name="Lena", account_level=Patient.Level.BASIC)
    enrolment = EnrolmentFactory(patient=patient_a)
    for patient in (child_a, patient_b, level_one):
        EnrolmentFactory(patient=patient, tier=enrolment.tier, contract=enrolment.contract)
    benefit(enrolment.tier, "interna", specialty=interna)

    world = World(
        facility=facility,
        other_facility=other_facility,
        service=service,
        slots=slots,
        patient_a=patient_a,
        child_a=child_a,
        patient_b=patient_b,
        level_one=level_one,
    )
    world.users = {
        "patient_a": patient_a.user,
        "patient_b": patient_b.user,
        "level_one": level_one.user,
        "clinician": UserFactory(username="clinician", role=User.Role.CLINICIAN),
        "receptionist_other": UserFactory(username="recep-other", role=User.Role.RECEPTIONIST, facility=other_facility),
        "receptionist_facility": UserFactory(username="recep", role=User.Role.RECEPTIONIST, facility=facility),
        "operator": UserFactory(username="operator", role=User.Role.CALL_CENTRE),
        "coordinator": UserFactory(username="coordinator", role=User.Role.COORDINATOR),
        "admin": UserFactory(username="admin", role=User.Role.ADMIN, is_staff=True, is_superuser=True),
    }
    ClinicianFactory(user=world.users["clinician"])  # a clinician with no relation to these patients
    now = clock.now()
    world.tokens = {role: token_issue(user=user, name=role, now=now)[0] for role, user in world.users.items()}
    world.booked = services.appointment_book(
        actor=patient_a.user, patient=patient_a, slot_id=slots[0].pk, channel=Channel.MOBILE
    )
    world.held = services.appointment_hold(
        actor=patient_a.user, patient=patient_a, slot_id=slots[1].pk, channel=Channel.MOBILE
    )
    return world
