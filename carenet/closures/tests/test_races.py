"""NET-3 under real concurrency: bookings into a facility racing with its closure. Whoever wins each slot's lock,
no visit is left booked inside the closure — a booking that committed first is cancelled by the closure; one that
waited behind it is refused (closed, or the slot taken) — and nobody gets any other error.

PostgreSQL: the booking that waited for a slot's lock sees the closure through the slot row the closure changed
(its own snapshot predates the closure). SQLite: writers queue (BEGIN IMMEDIATE) on a file database."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import transaction

from carenet.accounts.models import User
from carenet.booking.errors import BookingRefused, SlotUnavailable
from carenet.booking.models import Appointment
from carenet.booking.services import appointment_book
from carenet.booking.tests.factories import NOW, UserFactory, World, build_world
from carenet.closures.models import ClosureNotice
from carenet.closures.services import closure_create
from carenet.core.clock import at_warsaw
from carenet.core.testing import run_in_threads


def race(world: World, *, bookings: int, rounds: int) -> None:
    operator = UserFactory(username="race-operator", role=User.Role.CALL_CENTRE)
    coordinator = UserFactory(username="race-coordinator", role=User.Role.COORDINATOR)
    for day_number in range(rounds):
        day = dt.date(2026, 3, 3) + dt.timedelta(days=day_number)
        _round(world, operator=operator, coordinator=coordinator, day=day, bookings=bookings)


def _round(world: World, *, operator: User, coordinator: User, day: dt.date, bookings: int) -> None:
    slots = [world.slot(starts_at=at_warsaw(day, dt.time(9)) + dt.timedelta(minutes=15 * n)) for n in range(bookings)]
    patients = [world.enrol() for _ in range(bookings)]

    def client(number: int) -> None:
        if number == bookings:
            closure_create(
                actor=coordinator,
                facility_id=world.facility.pk,
                starts_at=at_warsaw(day, dt.time(0)),
                ends_at=at_warsaw(day + dt.timedelta(days=1), dt.time(0)),
                reason="Kwarantanna",
                now=NOW,
            )
            return
        appointment_book(
            actor=operator, patient=patients[number], slot_id=slots[number].pk, channel="call_centre", now=NOW
        )

    errors = run_in_threads(bookings + 1, client)
    unexpected = [
        repr(error)
        for error in errors
        if not isinstance(error, SlotUnavailable)
        and not (isinstance(error, BookingRefused) and error.code == "facility_closed")
    ]
    assert unexpected == []
    inside = Appointment.objects.filter(slot__in=slots)
    assert not inside.filter(status__in=Appointment.ACTIVE_STATUSES).exists()
    cancelled = inside.filter(status=Appointment.Status.CANCELLED)
    # Every booking that won is cancelled by the closure, with its notice; every other one was refused.
    assert cancelled.count() + len(errors) == bookings
    assert ClosureNotice.objects.filter(appointment__in=cancelled).count() == cancelled.count()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_bookings_racing_a_closure() -> None:
    race(build_world(), bookings=30, rounds=3)


@pytest.mark.django_db(transaction=True)
def test_sqlite_bookings_racing_a_closure(sqlite_file_database: object) -> None:
    race(build_world(), bookings=10, rounds=2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_a_booking_waiting_behind_the_closure_is_refused() -> None:
    """The closure holds the slots' locks; a booking of one of them waits, with a snapshot taken before the closure
    committed. When the closure commits, the booking must still see it (through the slot row it took)."""
    world = build_world()
    operator = UserFactory(username="race-operator", role=User.Role.CALL_CENTRE)
    coordinator = UserFactory(username="race-coordinator", role=User.Role.COORDINATOR)
    day = dt.date(2026, 3, 3)
    slot = world.slot(starts_at=at_warsaw(day, dt.time(9)))
    patient = world.enrol()
    closed = threading.Event()
    booking_started = threading.Event()

    def client(number: int) -> None:
        if number == 0:
            with transaction.atomic():
                closure_create(
                    actor=coordinator,
                    facility_id=world.facility.pk,
                    starts_at=at_warsaw(day, dt.time(0)),
                    ends_at=at_warsaw(day + dt.timedelta(days=1), dt.time(0)),
                    reason="Kwarantanna",
                    now=NOW,
                )
                closed.set()
                booking_started.wait(10)
                time.sleep(0.5)  # let the booking reach the slot's lock and wait there
            return
        closed.wait(10)
        booking_started.set()
        appointment_book(actor=operator, patient=patient, slot_id=slot.pk, channel="call_centre", now=NOW)

    errors = run_in_threads(2, client)
    assert [getattr(error, "code", repr(error)) for error in errors] == ["facility_closed"]
    assert not Appointment.objects.filter(slot=slot, status__in=Appointment.ACTIVE_STATUSES).exists()
