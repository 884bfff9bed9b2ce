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
