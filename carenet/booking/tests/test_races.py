"""BKG-2 / REL under real concurrency: many clients racing for few slots get exactly one booking per slot; every
loser gets SlotUnavailable (409), nobody gets anything else — no "database is locked", no 5xx.

PostgreSQL: 200 threads for 20 slots. SQLite: 50 threads for 5 slots, on a file database (WAL, BEGIN IMMEDIATE,
busy timeout), see the ``sqlite_file_database`` fixture.
"""

from __future__ import annotations

import contextlib
from collections import Counter

import pytest

from carenet.accounts.models import User
from carenet.booking.errors import SlotUnavailable
from carenet.booking.models import Appointment
from carenet.booking.services import appointment_book, appointment_cancel
from carenet.core.testing import run_in_threads
from carenet.scheduling.models import Slot

from .factories import NOW, PatientFactory, UserFactory, World, build_world


def race(world: World, *, clients: int, slots: int) -> None:
    operator = UserFactory(username="race-operator", role=User.Role.CALL_CENTRE)
    targets = [world.slot() for _ in range(slots)]
    patients = [world.enrol() for _ in range(clients)]

    def client(number: int) -> None:
        appointment_book(
            actor=operator,
            patient=patients[number],
            slot_id=targets[number % slots].pk,
            channel="call_centre",
            now=NOW,
        )

    errors = run_in_threads(clients, client)
    kinds = Counter(type(error).__name__ for error in errors)
    assert kinds == Counter({"SlotUnavailable": clients - slots}), [
        repr(e) for e in errors if not isinstance(e, SlotUnavailable)
    ]
    booked = Appointment.objects.filter(status=Appointment.Status.BOOKED)
    assert booked.count() == slots
    assert sorted(booked.values_list("slot_id", flat=True)) == sorted(slot.pk for slot in targets)
    assert not Slot.objects.filter(pk__in=[slot.pk for slot in targets], is_free=True).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_200_clients_for_20_slots() -> None:
    race(build_world(), clients=200, slots=20)


@pytest.mark.django_db(transaction=True)
def test_sqlite_50_clients_for_5_slots(sqlite_file_database: object) -> None:
    race(build_world(), clients=50, slots=5)


@pytest.mark.django_db(transaction=True)
def test_sqlite_cancel_and_rebook_race(sqlite_file_database: object) -> None:
    """CXL-1 under load: a cancelled slot is free at once; of 20 clients waiting for it exactly one gets it."""
    _cancel_and_rebook(build_world(), clients=20)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_cancel_and_rebook_race() -> None:
    _cancel_and_rebook(build_world(), clients=50)


def _cancel_and_rebook(world: World, *, clients: int) -> None:
    operator = UserFactory(username="race-operator", role=User.Role.CALL_CENTRE)
    slot = world.slot()
    first = appointment_book(actor=operator, patient=world.patient, slot_id=slot.pk, channel="call_centre", now=NOW)
    patients = [world.enrol(PatientFactory()) for _ in range(clients)]

    def client(number: int) -> None:
        if number == 0:
            appointment_cancel(actor=operator, appointment_id=first.pk, channel="call_centre", now=NOW)
            return
        with contextlib.suppress(SlotUnavailable):
            appointment_book(actor=operator, patient=patients[number], slot_id=slot.pk, channel="call_centre", now=NOW)

    assert run_in_threads(clients, client) == []
    active = Appointment.objects.filter(slot=slot, status__in=Appointment.ACTIVE_STATUSES)
    assert active.count() <= 1
    assert Slot.objects.get(pk=slot.pk).is_free is (active.count() == 0)
