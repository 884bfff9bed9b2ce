"""CHK-2, CHK-5 under real concurrency: many check-ins of one visit at once act once; a check-in racing the
no-show sweep ends in exactly one of the two outcomes; the check-in question job run concurrently sends once."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import pytest

from carenet.arrival import services as arrival
from carenet.arrival.services import ArrivalRefused
from carenet.booking.models import Appointment, CheckInAttempt, CheckInUndo
from carenet.booking.tests.factories import NOW, AppointmentFactory, World, build_world
from carenet.core.testing import run_in_threads
from carenet.encounters.services import visit_complete
from carenet.messaging.models import OutboundMessage

Status = Appointment.Status
START = NOW + dt.timedelta(hours=2)


def _visit(world: World) -> Appointment:
    appointment: Appointment = AppointmentFactory(
        patient=world.patient, slot=world.slot(starts_at=START), service=world.consult
    )
    return appointment


def _double_check_in(clients: int) -> None:
    world = build_world()
    appointment = _visit(world)

    def client(number: int) -> None:
        arrival.appointment_check_in(
            appointment_id=appointment.pk,
            channel="reception",
            actor=world.receptionist,
            now=START - dt.timedelta(minutes=5),
        )

    errors = run_in_threads(clients, client)
    assert len(errors) == clients - 1
    assert all(isinstance(error, ArrivalRefused) and error.code == "already_checked_in" for error in errors)
    assert Appointment.objects.get(pk=appointment.pk).status == Status.CHECKED_IN


def _check_in_versus_sweep() -> None:
    world = build_world()
    appointment = _visit(world)

    def client(number: int) -> None:
        if number == 0:
            arrival.no_shows_record(now=START + dt.timedelta(minutes=15))
        else:
            with contextlib.suppress(ArrivalRefused):
                arrival.appointment_check_in(
                    appointment_id=appointment.pk,
                    channel="reception",
                    actor=world.receptionist,
                    now=START + dt.timedelta(minutes=14),
                )

    assert run_in_threads(2, client) == []
    final = Appointment.objects.get(pk=appointment.pk)
    assert final.status in (Status.CHECKED_IN, Status.NO_SHOW)
    assert (final.status == Status.CHECKED_IN) == (final.checked_in_at is not None)


def _questions_once(runs: int) -> None:
    world = build_world()
    appointment = _visit(world)
    errors = run_in_threads(runs, lambda _: arrival.checkin_questions_enqueue(now=START - dt.timedelta(minutes=10)))
    assert errors == []
    assert OutboundMessage.objects.filter(key=f"checkin-question:appointment:{appointment.pk}").count() == 1


@pytest.mark.django_db(transaction=True)
def test_sqlite_double_check_in_acts_once(sqlite_file_database: object) -> None:
    _double_check_in(10)


@pytest.mark.django_db(transaction=True)
def test_sqlite_check_in_versus_sweep(sqlite_file_database: object) -> None:
    _check_in_versus_sweep()


@pytest.mark.django_db(transaction=True)
def test_sqlite_question_job_run_concurrently_sends_once(sqlite_file_database: object) -> None:
    _questions_once(5)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_double_check_in_acts_once() -> None:
    _double_check_in(20)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_check_in_versus_sweep() -> None:
    _check_in_versus_sweep()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_question_job_run_concurrently_sends_once() -> None:
    _questions_once(10)


def _attempts_limit(clients: int) -> None:
    build_world()

    def client(number: int) -> None:
        arrival.page_confirm_arrival(
            phone="+48600100200",
            pesel="85010100000",
            premises_code="000000",
            device=f"ip:10.0.0.{number}",
            address=f"10.0.0.{number}",
            now=NOW,
        )

    assert run_in_threads(clients, client) == []
    assert CheckInAttempt.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_sqlite_check_in_page_limit_holds_under_concurrency(sqlite_file_database: object) -> None:
    """CHK-4: at most 5 attempts per phone an hour, however many arrive at once."""
    _attempts_limit(10)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_check_in_page_limit_holds_under_concurrency() -> None:
    _attempts_limit(20)


def _address_limit(clients: int) -> None:
    build_world()

    def client(number: int) -> None:
        arrival.page_confirm_arrival(
            phone=f"+486001002{number:02d}",
            pesel="85010100000",
            premises_code="000000",
            device=f"cookie:{number}",
            address="10.0.0.1",
            now=NOW,
        )

    assert run_in_threads(clients, client) == []
    assert CheckInAttempt.objects.filter(address="10.0.0.1", wrong_code=True).count() == 3


@pytest.mark.django_db(transaction=True)
def test_sqlite_wrong_codes_per_address_limit_holds_under_concurrency(
    sqlite_file_database: object, settings: Any
) -> None:
    """CHK-4: rotating devices and phones from one address, at most the address's wrong-code allowance is used."""
    settings.CARENET_CHECKIN_WRONG_CODES_PER_ADDRESS_PER_HOUR = 3
    _address_limit(8)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_wrong_codes_per_address_limit_holds_under_concurrency(settings: Any) -> None:
    settings.CARENET_CHECKIN_WRONG_CODES_PER_ADDRESS_PER_HOUR = 3
    _address_limit(12)


# --- Issue 14: undoing a check-in while the clinician completes the visit ---------------------------------------


def _undo_versus_complete() -> None:
    from tests.cast import build_cast

    cast = build_cast()
    visit = cast.visit
    now = visit.slot.starts_at - dt.timedelta(minutes=5)
    Appointment.objects.filter(pk=visit.pk).update(
        status=Status.CHECKED_IN,
        checked_in_at=now - dt.timedelta(minutes=2),
        checked_in_by=cast.users["receptionist_here"],
        check_in_channel="reception",
    )

    def client(number: int) -> None:
        if number == 0:
            arrival.appointment_check_in_undo(actor=cast.users["receptionist_here"], appointment_id=visit.pk, now=now)
        else:
            visit_complete(actor=cast.users["clinician_with"], appointment_id=visit.pk, now=now)

    errors = run_in_threads(2, client)
    final = Appointment.objects.get(pk=visit.pk)
    undone = CheckInUndo.objects.filter(appointment=visit).count()
    # One consistent state: the clinician completed the visit, and either the undo came first (recorded, the
    # check-in gone) or it came second and was refused (the check-in kept).
    assert final.status == Status.COMPLETED
    if undone:
        assert errors == [] and final.checked_in_at is None and final.check_in_channel == ""
    else:
        assert len(errors) == 1 and isinstance(errors[0], ArrivalRefused) and errors[0].code == "not_checked_in"
        assert final.checked_in_at is not None


@pytest.mark.django_db(transaction=True)
def test_sqlite_undo_versus_the_clinician_completing(sqlite_file_database: object) -> None:
    _undo_versus_complete()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_undo_versus_the_clinician_completing() -> None:
    _undo_versus_complete()
