"""The statements every booking runs, compiled once per process (issue 16, carenet/core/baked.py): each baked read
answers exactly what the ORM's query answers — the enrolment in force (PKG-3), the facility's price (PKG-4), the
matrix's token, the no-shows (BKG-5), the schedule's services, the patient's lock, the dispatch hint (SMS-3) — and
a booking still writes the same appointment and the same audit entry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from carenet.booking import selectors, services
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.coverage import selectors as coverage
from carenet.coverage.models import MatrixVersion
from carenet.coverage.tests.factories import EnrolmentFactory, TierFactory
from carenet.messaging import services as messaging
from carenet.network.models import FacilityPrice
from carenet.scheduling.models import Schedule

from .factories import NOW, AppointmentFactory, PatientFactory, World

pytestmark = pytest.mark.django_db
Status = Appointment.Status


def _baked(query: Any) -> None:
    assert query._plans and all(plan is not None for plan in query._plans.values()), "run through the ORM, not baked"


def test_the_enrolment_in_force_is_the_orms_on_every_day(world: World) -> None:
    """PKG-3: the highest tier, then the latest activation, from activation through the last paid day."""
    patient = world.patient
    better = TierFactory(rank=world.tier.rank + 1)
    EnrolmentFactory(patient=patient, tier=better, activated_on=dt.date(2026, 6, 1), paid_through=dt.date(2026, 6, 30))
    EnrolmentFactory(
        patient=patient, tier=world.tier, activated_on=dt.date(2027, 1, 1), paid_through=dt.date(2027, 3, 1)
    )
    nobody = PatientFactory()
    for who in (patient, nobody):
        for day in (dt.date(2025, 12, 31), dt.date(2026, 1, 1), dt.date(2026, 6, 15), dt.date(2026, 7, 1),
                    dt.date(2027, 2, 1), dt.date(2027, 3, 2)):  # fmt: skip
            orm = coverage._enrolment_in_force(None, patient_id=who.pk, day=day).first()
            got = coverage.enrolment_active_on(patient=who, day=day)
            assert (got and (got.pk, got.tier.code, got.activated_on, got.paid_through)) == (
                orm and (orm.pk, orm.tier.code, orm.activated_on, orm.paid_through)
            ), (who, day)
    _baked(coverage._ENROLMENT_IN_FORCE)


def test_the_price_the_token_the_services_and_the_no_shows_are_the_orms(world: World) -> None:
    slot = world.slot(services=[world.consult, world.paid, world.lab])
    FacilityPrice.objects.create(facility=world.facility, service=world.paid, price=Decimal("199.50"))
    for service, expected in ((world.paid, Decimal("199.50")), (world.physio, Decimal(120))):
        assert coverage.service_price(service=service, facility=world.facility) == expected
    _baked(coverage._FACILITY_PRICE)

    assert coverage.matrix_version() == (MatrixVersion.objects.values_list("token", flat=True).first() or 0)
    coverage.matrix_changed()
    assert coverage.matrix_version() == MatrixVersion.objects.get().token
    _baked(coverage._MATRIX_TOKEN)

    offered = services._OFFERED_SERVICES.rows(schedule_id=slot.schedule_id)
    assert sorted(row[0] for row in offered) == sorted(
        Schedule.services.through.objects.filter(schedule_id=slot.schedule_id).values_list("service_id", flat=True)
    )
    _baked(services._OFFERED_SERVICES)

    patient = world.patient
    for days in (2, 9, 40):
        missed = world.slot(starts_at=NOW - dt.timedelta(days=days))
        AppointmentFactory(patient=patient, slot=missed, service=world.consult, status=Status.NO_SHOW)
    for since in (NOW - dt.timedelta(days=5), NOW - dt.timedelta(days=60), NOW):
        orm = tuple(
            Appointment.objects.filter(
                patient=patient,
                status=Status.NO_SHOW,
                slot__specialty_id=world.specialty.pk,
                slot__starts_at__gte=since,
                slot__schedule__isnull=False,
            )
            .order_by("slot__starts_at")
            .values_list("slot__starts_at", flat=True)
        )
        got = selectors.no_show_times(patient=patient, specialty_id=world.specialty.pk, since=since)
        assert got == orm and all(isinstance(start, dt.datetime) and start.tzinfo for start in got)
    assert (
        selectors.no_show_times(
            patient=patient, specialty_id=world.other_specialty.pk, since=NOW - dt.timedelta(days=60)
        )
        == ()
    )
    _baked(selectors._NO_SHOWS)

    with transaction.atomic():
        assert services._PATIENT_LOCK.rows(patient_id=patient.pk) == [(patient.pk,)]
        assert services._PATIENT_LOCK.rows(patient_id=patient.pk + 10_000) == []
    _baked(services._PATIENT_LOCK)


def test_the_dispatch_hint_sees_what_the_task_queues_ready_sees() -> None:
    from carenet.messaging.tasks import dispatch_outbox

    path = dispatch_outbox.module_path

    def orm() -> bool:
        return DBTaskResult.objects.ready().filter(task_path=path).exists()

    assert messaging._hint_waiting(dispatch_outbox) is orm() is False
    dispatch_outbox.enqueue()
    assert messaging._hint_waiting(dispatch_outbox) is orm() is True
    DBTaskResult.objects.update(run_after=clock.now() + dt.timedelta(minutes=5))  # not due yet
    assert messaging._hint_waiting(dispatch_outbox) is orm() is False
    DBTaskResult.objects.update(run_after=clock.now() - dt.timedelta(seconds=1))
    assert messaging._hint_waiting(dispatch_outbox) is orm() is True
    _baked(messaging._hint_waiting_query())


def test_a_booking_writes_the_audit_entry_django_auditlog_writes(world: World) -> None:
    """The audit entry of a booking is the library's own: every column of the appointment, from nothing to its
    value, with its text, the content type and the booking's actor context."""
    assert world.patient.user is not None
    appointment = services.appointment_book(
        actor=world.patient.user, patient=world.patient, slot_id=world.slot().pk, channel="mobile", now=NOW
    )
    entry = LogEntry.objects.get_for_object(appointment).get()
    stored = Appointment.objects.get(pk=appointment.pk)
    assert entry.action == LogEntry.Action.CREATE
    assert entry.content_type == ContentType.objects.get_for_model(Appointment)
    assert (entry.object_pk, entry.object_id, entry.object_repr) == (str(stored.pk), stored.pk, str(stored))
    expected = model_instance_diff(None, appointment)
    assert expected is not None
    assert entry.changes_dict == {name: list(change) for name, change in expected.items()}
    assert set(entry.changes_dict) == {field.name for field in Appointment._meta.concrete_fields}
    assert entry.changes_dict["status"] == ["None", "booked"]
    assert entry.changes_dict["enrolment"] == ["None", str(stored.enrolment_id)]
    assert entry.serialized_data is None


@pytest.mark.parametrize("use_json", [False, True])
def test_a_new_records_audit_changes_are_the_librarys_for_every_kind_of_field(
    world: World, use_json: bool, settings: Any
) -> None:
    """Issue 16: CareNet's creation entry computes django-auditlog's own diff — dates, decimals, foreign keys, empty
    values, choices — for an appointment, a patient, a facility, a referral; as text, or as JSON values."""
    from auditlog.registry import auditlog as registry

    from carenet.clinical.models import Referral
    from carenet.core.audit import creation_changes

    settings.AUDITLOG_STORE_JSON_CHANGES = use_json
    assert world.patient.user is not None
    appointment = services.appointment_book(
        actor=world.patient.user, patient=world.patient, slot_id=world.slot().pk, channel="mobile", now=NOW
    )
    referral = Referral.objects.create(
        patient=world.patient,
        service=world.occupational,
        source=Referral.Source.EMPLOYER,
        issued_at=NOW,
        valid_until=dt.date(2026, 6, 2),
        employer_name="Zakład Ślusarski",
        employer_referral_number="MP/1",
    )
    for instance in (appointment, world.patient, world.facility, referral, world.patient.enrolments.get()):
        assert registry.contains(type(instance))
        expected = model_instance_diff(None, instance, use_json_for_changes=use_json)
        assert creation_changes(instance) == expected, type(instance)


def _columns(row: Any, *, leave_out: tuple[str, ...]) -> dict[str, Any]:
    return {
        field.attname: getattr(row, field.attname)
        for field in type(row)._meta.concrete_fields
        if field.attname not in leave_out
    }


def test_a_prepared_insert_stores_what_save_stores_with_its_audit_entry(world: World) -> None:
    """Issue 16 (carenet.core.inserts.insert_new): an appointment written by the prepared statement has the columns
    ``save()`` gives it — ``created_at`` from its ``auto_now_add``, the primary key read back — and its audit entry
    is the library's own, with the actor and the address of the request's context."""
    from auditlog.context import set_actor

    from carenet.core.inserts import insert_new

    assert world.patient.user is not None
    actor = world.patient.user
    made = []
    for write in (lambda row: row.save(force_insert=True), insert_new):
        row = Appointment(
            patient=world.patient,
            slot=world.slot(),
            service=world.consult,
            status=Status.BOOKED,
            channel="mobile",
            booked_by=actor,
            price=Decimal("12.50"),
            limit_pool="",
            coverage_kind="package",
        )
        with set_actor(actor, remote_addr="192.0.2.7"):
            write(row)
        assert row.pk is not None and row._state.adding is False and row.created_at is not None
        made.append(row)
    saved, inserted = (Appointment.objects.get(pk=row.pk) for row in made)
    leave_out = ("id", "slot_id", "created_at")
    assert _columns(inserted, leave_out=leave_out) == _columns(saved, leave_out=leave_out)
    assert inserted.created_at == made[1].created_at

    entries = [LogEntry.objects.get_for_object(row).get() for row in made]
    assert entries[1].actor_id == actor.pk and entries[1].remote_addr == "192.0.2.7"
    leave_out = ("id", "object_pk", "object_id", "object_repr", "changes", "changes_text", "timestamp", "cid")
    assert _columns(entries[1], leave_out=leave_out) == _columns(entries[0], leave_out=leave_out)
    assert entries[1].object_pk == str(inserted.pk) and entries[1].object_repr == str(made[1])
    changes = [
        {k: v for k, v in entry.changes_dict.items() if k not in ("id", "slot", "created_at")} for entry in entries
    ]
    assert changes[0] == changes[1]


@pytest.mark.django_db(transaction=True)
def test_a_prepared_insert_the_database_refuses_is_an_integrity_error_that_ends_the_transaction(world: World) -> None:
    """BKG-2: a second active appointment in a slot is refused by the database as with ``save()``; the transaction
    is marked for rollback, so nothing after it is written, and no audit entry remains."""
    from django.db import IntegrityError

    from carenet.core.inserts import insert_new

    slot = world.slot()
    AppointmentFactory(patient=world.patient, slot=slot, service=world.consult)
    other = PatientFactory()
    entries = LogEntry.objects.count()
    second = Appointment(patient=other, slot=slot, service=world.consult, status=Status.BOOKED)
    with pytest.raises(IntegrityError), transaction.atomic():
        try:
            insert_new(second)
        finally:
            assert transaction.get_connection().needs_rollback
    assert Appointment.objects.filter(slot=slot).count() == 1
    assert LogEntry.objects.count() == entries


def test_a_prepared_update_changes_the_one_row_named(world: World) -> None:
    """``update_row`` is ``filter(pk=…).update(…)``: one row, the count of rows changed, no other row touched."""
    from carenet.core.inserts import update_row
    from carenet.scheduling.models import Slot

    first, second = world.slot(), world.slot(starts_at=NOW + dt.timedelta(days=3))
    assert update_row(Slot, first.pk, is_free=False) == 1
    assert update_row(Slot, 10**12, is_free=False) == 0
    assert dict(Slot.objects.filter(pk__in=[first.pk, second.pk]).values_list("pk", "is_free")) == {
        first.pk: False,
        second.pk: True,
    }


def test_the_recent_choices_count_the_latest_bookings_only(world: World) -> None:
    """SCH-2, issue 16: "Your recent choices" are the specialties most booked among the patient's latest
    RECENT_BOOKINGS bookings (ties: the latest first) — many old visits of another specialty do not outweigh them,
    holds and expired holds are not bookings, and the statement is baked."""
    patient = world.patient
    old, recent = world.specialty, world.other_specialty
    created = NOW - dt.timedelta(days=400)
    for n in range(selectors.RECENT_BOOKINGS):  # older: the first specialty, many times
        visit = AppointmentFactory(patient=patient, slot=world.slot(starts_at=created + dt.timedelta(hours=n)),
                                   service=world.consult, status=Status.COMPLETED)  # fmt: skip
        Appointment.objects.filter(pk=visit.pk).update(created_at=created + dt.timedelta(hours=n))
    assert selectors.specialty_codes_most_booked(patient=patient) == [old.code]
    for n in range(3):  # newer: the other specialty, three times
        slot = world.slot(starts_at=NOW + dt.timedelta(days=n + 1), specialty=recent)
        AppointmentFactory(patient=patient, slot=slot, service=world.consult, status=Status.BOOKED)
    AppointmentFactory(patient=patient, slot=world.slot(starts_at=NOW + dt.timedelta(days=9), specialty=recent),
                       service=world.consult, status=Status.HELD, hold_expires_at=NOW)  # fmt: skip
    # 47 old + 3 new in the window: the old specialty still leads; the new one is second
    assert selectors.specialty_codes_most_booked(patient=patient) == [old.code, recent.code]
    assert selectors.specialty_codes_most_booked(patient=patient, limit=1) == [old.code]
    for n in range(47):  # the window now holds 50 new bookings of the other specialty only
        slot = world.slot(starts_at=NOW + dt.timedelta(days=20, hours=n), specialty=recent)
        AppointmentFactory(patient=patient, slot=slot, service=world.consult, status=Status.BOOKED)
    assert selectors.specialty_codes_most_booked(patient=patient) == [recent.code]
    _baked(selectors._MOST_BOOKED)


@pytest.mark.django_db(transaction=True)
def test_an_insert_unless_present_skips_only_a_known_key() -> None:
    """Issue 16: the one-statement insert answers "already there" for a known unique key only; a row that breaks a
    NOT NULL constraint is an IntegrityError on SQLite as on PostgreSQL (not skipped as ``OR IGNORE`` would)."""
    from django.db import IntegrityError

    from carenet.core.inserts import insert_unless_present
    from carenet.messaging.models import OutboundMessage

    def message(key: str, body: str | None) -> OutboundMessage:
        return OutboundMessage(key=key, purpose="t", channel="sms", recipient="+48500100200", body=body)

    assert insert_unless_present(message("k-1", "first")) is True
    assert insert_unless_present(message("k-1", "again")) is False
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_unless_present(message("k-2", None))
    assert list(OutboundMessage.objects.values_list("key", "body")) == [("k-1", "first")]
