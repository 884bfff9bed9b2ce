"""Factories for the API, search and offer tests: people, enrolments and free slots."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory

from carenet.accounts.models import Patient, User
from carenet.coverage.models import Benefit, BenefitItem, Contract, Enrolment, Tier
from carenet.coverage.selectors import coverage_items_cache_clear
from carenet.network.models import City, Clinician, Facility, Room, Service, Specialty
from carenet.network.tests.factories import (
    CityFactory,
    ClinicianFactory,
    FacilityFactory,
    RoomFactory,
    ServiceFactory,
    SpecialtyFactory,
)
from carenet.scheduling.models import Mode, Schedule, Slot

__all__ = [
    "CityFactory",
    "ClinicianFactory",
    "EnrolmentFactory",
    "FacilityFactory",
    "PatientFactory",
    "RoomFactory",
    "ServiceFactory",
    "SpecialtyFactory",
    "UserFactory",
    "benefit",
    "make_slot",
]

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    # Its own prefix: carenet.accounts' UserFactory counts "user{n}" from 0 too, and get-or-create on a shared name
    # handed one patient's login to another (an order-dependent IntegrityError under xdist).
    username = factory.Sequence(lambda n: f"api-user{n}")
    role = User.Role.PATIENT
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.save()


def _pesel(n: int) -> str:
    return f"9{n:010d}"[-11:]


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    user = factory.SubFactory(UserFactory)
    first_name = "Anna"
    last_name = factory.Sequence(lambda n: f"Pacjentka{n}")
    pesel = factory.Sequence(_pesel)
    birth_date = dt.date(1985, 5, 17)
    sex = Patient.Sex.FEMALE
    mobile = factory.Sequence(lambda n: f"+48600{n:06d}")
    account_level = Patient.Level.FULL


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tier
        django_get_or_create = ("code",)

    code = "test-tier"
    name = "Test tier"
    rank = 99


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract
        django_get_or_create = ("code",)

    code = "test-contract"
    name = "Test contract"
    kind = Contract.Kind.EMPLOYER
    client_name = "Firma"
    starts_on = dt.date(2020, 1, 1)


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    patient = factory.SubFactory(PatientFactory)
    contract = factory.SubFactory(ContractFactory)
    tier = factory.SubFactory(TierFactory)
    activated_on = dt.date(2020, 1, 1)
    paid_through = dt.date(2099, 12, 31)
    ecard_number = factory.Sequence(lambda n: f"EA{n:010d}")  # not carenet.coverage's "EK{n}": the number is unique


def benefit(tier: Tier, code: str, **item: Any) -> BenefitItem:
    """One benefit of ``tier`` with one item (``service=``, ``specialty=`` or ``other_services=True``, ``rule=``…)."""
    row, _ = Benefit.objects.get_or_create(
        code=code, defaults={"group": "test", "title": code, "text": code, "position": Benefit.objects.count()}
    )
    row.tiers.add(tier)
    created = BenefitItem.objects.create(benefit=row, **item)
    coverage_items_cache_clear()  # the matrix is cached per process, as after an edit in the back office
    return created


def make_slot(
    *,
    starts_at: dt.datetime,
    clinician: Clinician | None = None,
    facility: Facility | None = None,
    specialty: Specialty | None = None,
    services: list[Service] | None = None,
    mode: str = Mode.IN_PERSON,
    city: City | None = None,
    room: Room | None = None,
    minutes: int = 15,
    is_free: bool = True,
    schedule: Schedule | None = None,
) -> Slot:
    """A free slot (with a schedule offering ``services``) at exactly ``starts_at``."""
    specialty = specialty or SpecialtyFactory()
    clinician = clinician or ClinicianFactory()
    if mode == Mode.IN_PERSON and facility is None:
        facility = FacilityFactory()
    if schedule is None:
        schedule = Schedule.objects.create(
            clinician=clinician,
            facility=facility,
            room=room,
            mode=mode,
            specialty=specialty,
            valid_from=starts_at.date() - dt.timedelta(days=1),
            valid_until=starts_at.date() + dt.timedelta(days=1),
            start_time=dt.time(0),
            end_time=dt.time(23, 59),
        )
        schedule.services.set(services or [ServiceFactory(specialty=specialty)])
    return Slot.objects.create(
        schedule=schedule,
        clinician=clinician,
        facility=facility,
        city=city or (facility.city if facility is not None else None),
        room=room,
        specialty=specialty,
        mode=mode,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=minutes),
        is_free=is_free,
    )
