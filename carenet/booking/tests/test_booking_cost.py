"""What one booking costs the database (issue 5, B3) and that the leaner path keeps every rule (BKG-2, BKG-3, PKG-4,
PKG-5, NET-3, ACC-3, SMS-3).

The numbers are SQL statements, counted with the query log: they do not depend on the machine, and each statement
removed here was a round trip, a savepoint or a commit per booking. A new statement on this path has to be worth it.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carenet.booking.errors import SlotUnavailable
from carenet.booking.models import Appointment
from carenet.booking.services import appointment_book
from carenet.messaging.models import OutboundMessage
from carenet.scheduling.models import Slot

from .factories import NOW, AppointmentFactory, World

pytestmark = pytest.mark.django_db
Status = Appointment.Status

#: BEGIN, lock the patient, lock the slot (with its facility, room, clinician, specialty and the closures of its
#: time), the service, the facility's price, the enrolment, the no-shows (BKG-5), insert the appointment, its audit
#: entry, mark the slot taken, the outbox row in a savepoint (3), COMMIT. (It was 30 before issue 5.)
STATEMENTS_OF_A_BOOKING = 15


def _book(world: World, slot: Slot, *, channel: str = "mobile") -> tuple[Appointment, list[str]]:
    patient = world.patient
    assert patient.user is not None
    with CaptureQueriesContext(connection) as captured:
        appointment = appointment_book(actor=patient.user, patient=patient, slot_id=slot.pk, channel=channel, now=NOW)
    return appointment, [query["sql"] for query in captured.captured_queries]


def test_a_booking_costs_a_fixed_number_of_statements(world: World) -> None:
    """B3: a level II patient's booking in the app, history or not: the same statements every time."""
    _book(world, world.slot())  # fills the per-process coverage cache
    _, first = _book(world, world.slot())
    for number in range(5):
        past = world.slot(starts_at=NOW - dt.timedelta(days=3, minutes=15 * number))
        AppointmentFactory(patient=world.patient, slot=past, service=world.consult, status=Status.COMPLETED)
    _, later = _book(world, world.slot())
    assert len(first) == len(later) <= STATEMENTS_OF_A_BOOKING, first


def test_a_booking_reads_nothing_back_that_it_wrote(world: World) -> None:
    """The audit log records the appointment's own columns without reading reverse relations (the visit it was
    rescheduled to, the referral that uses it), and the outbox inserts without reading the key first."""
    _book(world, world.slot())
    _, statements = _book(world, world.slot())
    assert not [sql for sql in statements if 'FROM "clinical_referral"' in sql]
    assert not [sql for sql in statements if sql.startswith("SELECT") and 'FROM "messaging_outboundmessage"' in sql]
    assert not [sql for sql in statements if sql.startswith('SELECT "booking_appointment"."id", "booking_appointment"')]
    # NET-3: the facility's closures are read by the statement that locks the slot, not by one of their own (the
    # refusal itself: test_services.test_closed_facility_is_refused).
    closures = [sql for sql in statements if '"network_facilityclosure"' in sql]
    assert len(closures) == 1 and 'FROM "scheduling_slot"' in closures[0]


def test_the_audit_log_still_records_the_new_appointment(world: World) -> None:
    appointment, _ = _book(world, world.slot())
    entry = LogEntry.objects.get_for_object(appointment).get()
    assert entry.action == LogEntry.Action.CREATE
    assert {"status", "slot", "patient", "channel"} <= set(entry.changes_dict)
    assert "rescheduled_to" not in entry.changes_dict


def test_a_free_flag_that_lies_is_still_refused_by_the_constraint(world: World) -> None:
    """BKG-2: the fast path trusts ``is_free``; if it ever said "free" beside an active booking, the partial unique
    constraint still refuses the second one and nothing changes."""
    slot = world.slot()
    first, _ = _book(world, slot)
    Slot.objects.filter(pk=slot.pk).update(is_free=True)  # a flag out of step with the appointments
    other = world.enrol()
    assert other.user is not None
    with pytest.raises(SlotUnavailable):
        appointment_book(actor=other.user, patient=other, slot_id=slot.pk, channel="mobile", now=NOW)
    assert list(Appointment.objects.filter(slot=slot).values_list("pk", flat=True)) == [first.pk]
    assert OutboundMessage.objects.filter(patient=other).count() == 0


def test_the_portal_cap_is_counted_only_for_level_one_in_the_patients_channels(world: World) -> None:
    """ACC-3: the count of active portal bookings is read only when it can refuse (level I, portal or app)."""
    _book(world, world.slot())
    _, level_two = _book(world, world.slot())
    world.patient.account_level = 1
    world.patient.save(update_fields=["account_level"])
    _, level_one = _book(world, world.slot())
    assert len(level_one) == len(level_two) + 1
    assert any("COUNT(*)" in sql for sql in level_one)


def test_the_slot_lock_is_built_once_and_locks_the_slot_alone(world: World) -> None:
    """PERF (issue 16): the statement that locks the slot is built once per process and each booking filters a copy
    of it (the shared one is never run, so no booking sees another's rows); the lock stays the slot row's alone
    (FOR NO KEY UPDATE OF the slot on PostgreSQL) with its details and the closures in the same statement."""
    from carenet.booking import services

    _book(world, world.slot())
    shared = services._slots_to_lock()
    first_slot, second_slot = world.slot(), world.slot()
    first, first_sql = _book(world, first_slot)
    second, second_sql = _book(world, second_slot)
    assert services._slots_to_lock() is shared and shared._result_cache is None
    assert (first.slot_id, second.slot_id) == (first_slot.pk, second_slot.pk)
    locks = [sql for sql in first_sql + second_sql if 'FROM "scheduling_slot"' in sql and "facilityclosure" in sql]
    assert len(locks) == 2 and re.sub(r"\b\d+\b", "n", locks[0]) == re.sub(r"\b\d+\b", "n", locks[1])
    if connection.vendor == "postgresql":
        assert locks[0].endswith('FOR NO KEY UPDATE OF "scheduling_slot"')
    # The details came with the lock: the SMS and the answer read them without a statement of their own.
    assert second.slot.facility is not None and second.slot.clinician is not None
    assert second.slot.specialty.pk == second_slot.specialty_id and second.slot.facility.city.pk is not None
    # One slot's lock is baked (carenet/core/baked.py): compiled once, run with the slot's id, on the primary.
    assert [plan for plan in services._ONE_SLOT_LOCK._plans.values() if plan is not None]
    assert OutboundMessage.objects.filter(key=f"booking-confirmation:appointment:{second.pk}").exists()
