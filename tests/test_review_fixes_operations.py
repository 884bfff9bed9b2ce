"""Review of issue 15 (running the network): defects found in the network's operations, each proved here.

Races use real transactions (``transaction=True``) on a file SQLite database and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator

import pytest
from django.db import connection, transaction

from carenet.accounts.models import User
from carenet.arrival.services import appointment_check_in
from carenet.booking.models import Appointment
from carenet.booking.services import appointment_book
from carenet.booking.tests.conftest import sqlite_file_database  # noqa: F401  (a fixture)
from carenet.booking.tests.factories import NOW, UserFactory, build_world
from carenet.clinical.services import referral_issue
from carenet.closures.models import ClosureNotice
from carenet.closures.selectors import call_list
from carenet.closures.services import ClosureDone, closure_call_record, closure_create, closure_rebook
from carenet.core.clock import at_warsaw
from carenet.coverage.selectors import coverage_items_cache_clear
from carenet.messaging.models import OutboundMessage
from carenet.network.tests.factories import FacilityFactory

Status = Appointment.Status
DAY = dt.date(2026, 3, 3)


@pytest.fixture(autouse=True)
def _fresh_coverage_cache() -> Iterator[None]:
    coverage_items_cache_clear()
    yield
    coverage_items_cache_clear()


def _coordinator(username: str = "koordynator") -> User:
    return UserFactory(username=username, role=User.Role.COORDINATOR, is_staff=True)


def _wait_until_blocked(started: threading.Event) -> None:
    """Until the other thread's statement waits for a row lock (PostgreSQL), or a moment (SQLite queues writers at
    BEGIN, so there is nothing to wait for)."""
    started.wait(10)
    if connection.vendor != "postgresql":
        time.sleep(0.3)
        return
    for _ in range(200):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)


def _closure_racing_a_check_in() -> None:
    """NET-3, CHK-2: reception checks a patient in (its transaction not yet committed) while a coordinator closes
    the facility. The visit the patient arrived for is not cancelled — and so its patient must get no notice and
    no closure SMS ("your visit was cancelled") about it, nor be counted as moved."""
    world = build_world()
    coordinator = _coordinator()
    visit = appointment_book(
        actor=world.operator,
        patient=world.patient,
        slot_id=world.slot(starts_at=at_warsaw(DAY, dt.time(10))).pk,
        channel="call_centre",
        now=NOW,
    )
    arrived_at = at_warsaw(DAY, dt.time(9, 50))
    checked_in = threading.Event()
    closing = threading.Event()
    done: list[ClosureDone] = []
    failures: list[BaseException] = []

    def reception() -> None:
        try:
            with transaction.atomic():
                appointment_check_in(
                    appointment_id=visit.pk, channel="reception", actor=world.receptionist, now=arrived_at
                )
                checked_in.set()
                _wait_until_blocked(closing)
        except BaseException as error:  # noqa: BLE001 - asserted below
            failures.append(error)
            checked_in.set()
        finally:
            connection.close()

    def coordinator_closes() -> None:
        try:
            checked_in.wait(10)
            closing.set()
            done.append(
                closure_create(
                    actor=coordinator,
                    facility_id=world.facility.pk,
                    starts_at=at_warsaw(DAY, dt.time(9)),
                    ends_at=at_warsaw(DAY, dt.time(18)),
                    reason="Awaria zasilania",
                    now=arrived_at,
                )
            )
        except BaseException as error:  # noqa: BLE001 - asserted below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=reception), threading.Thread(target=coordinator_closes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    visit.refresh_from_db()
    assert visit.status == Status.CHECKED_IN
    assert not ClosureNotice.objects.filter(appointment=visit).exists()
    assert not OutboundMessage.objects.filter(purpose="closure").exists()
    assert (done[0].cancelled, done[0].patients, done[0].messages) == (0, 0, 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_a_visit_checked_in_while_the_facility_closes_gets_no_closure_notice() -> None:
    _closure_racing_a_check_in()


@pytest.mark.django_db(transaction=True)
def test_sqlite_a_visit_checked_in_while_the_facility_closes_gets_no_closure_notice(
    sqlite_file_database: object,  # noqa: F811
) -> None:
    _closure_racing_a_check_in()


@pytest.mark.django_db
def test_rebooking_after_a_closure_keeps_a_referral_that_expired_meanwhile() -> None:
    """NET-3, BKG-4: the lab visit held a referral valid until the day the network cancelled it. Two days later the
    patient rebooks from the alternatives: the referral carries over (it was valid for the visit the network
    cancelled) instead of the rebooking being refused as "referral required"."""
    world = build_world()
    referral = referral_issue(
        clinician=world.clinician, patient=world.patient, service=world.lab, valid_until=NOW.date(), now=NOW
    )
    lab = appointment_book(
        actor=world.patient.user,
        patient=world.patient,
        slot_id=world.slot(services=[world.lab]).pk,
        service_id=world.lab.pk,
        referral_id=referral.pk,
        channel="portal",
        now=NOW,
    )
    closure_create(
        actor=_coordinator(),
        facility_id=world.facility.pk,
        starts_at=at_warsaw(DAY, dt.time(0)),
        ends_at=at_warsaw(DAY + dt.timedelta(days=1), dt.time(0)),
        reason="Kwarantanna lekarza",
        now=NOW,
    )
    notice = ClosureNotice.objects.get(appointment=lab)
    elsewhere = FacilityFactory(city=world.facility.city, name="CareNet Centrum Medyczne Wola")
    slot = world.slot(
        facility=elsewhere, room=None, services=[world.lab], starts_at=at_warsaw(DAY + dt.timedelta(days=3), dt.time(9))
    )
    two_days_later = NOW + dt.timedelta(days=2)
    new = closure_rebook(
        actor=world.patient.user, notice_id=notice.pk, slot_id=slot.pk, channel="portal", now=two_days_later
    )
    assert new.status == Status.BOOKED and new.service == world.lab
    referral.refresh_from_db()
    assert referral.used_by == new
    notice.refresh_from_db()
    assert notice.rebooked == new


@pytest.mark.django_db
def test_a_moved_patient_no_sms_reached_is_on_the_call_list_at_once() -> None:
    """NET-3: a patient with no mobile (nor a guardian's) gets no closure SMS: the call centre is their only way of
    hearing that tomorrow's visit is cancelled, so they are on its list at once — not a day later, when the visit is
    past. So is a patient whose SMS failed. A patient the SMS went to appears after the day, as before."""
    world = build_world()
    no_phone = world.enrol(mobile="")
    failed = world.enrol()
    texted = world.enrol()
    visits = {
        patient.pk: appointment_book(
            actor=world.operator, patient=patient, slot_id=world.slot().pk, channel="call_centre", now=NOW
        )
        for patient in (no_phone, failed, texted)
    }
    assert no_phone.contact_mobile is None
    done = closure_create(
        actor=_coordinator(),
        facility_id=world.facility.pk,
        starts_at=at_warsaw(DAY, dt.time(0)),
        ends_at=at_warsaw(DAY + dt.timedelta(days=1), dt.time(0)),
        reason="Awaria zasilania",
        now=NOW,
    )
    assert done.messages == 2
    OutboundMessage.objects.filter(purpose="closure", patient=failed).update(status=OutboundMessage.Status.FAILED)
    hour_later = NOW + dt.timedelta(hours=1)
    assert [notice.appointment_id for notice in call_list(now=hour_later)] == [
        visits[no_phone.pk].pk,
        visits[failed.pk].pk,
    ]
    day_later = NOW + dt.timedelta(hours=25)
    assert {notice.appointment_id for notice in call_list(now=day_later)} == {visit.pk for visit in visits.values()}


@pytest.mark.django_db
def test_a_clinicians_closure_sms_does_not_say_the_facility_is_closed_and_names_several_visits_in_the_plural() -> None:
    """NET-3, SMS-1: when only one clinician's schedule is closed, the facility is open for everybody else — the SMS
    says the clinician does not see patients there, not "placówka … jest zamknięta" (a patient believing it would
    cancel their other visits there). A patient with three visits inside one closure gets one SMS naming them, in
    the plural ("Odwołaliśmy Twoje wizyty"); one visit, the singular."""
    world = build_world()
    three = [
        appointment_book(
            actor=world.operator, patient=world.patient, slot_id=world.slot().pk, channel="call_centre", now=NOW
        )
        for _ in range(3)
    ]
    other = world.enrol()
    appointment_book(actor=world.operator, patient=other, slot_id=world.slot().pk, channel="call_centre", now=NOW)
    closure_create(
        actor=_coordinator(),
        facility_id=world.facility.pk,
        clinician_id=world.clinician.pk,
        starts_at=at_warsaw(DAY, dt.time(0)),
        ends_at=at_warsaw(DAY + dt.timedelta(days=1), dt.time(0)),
        reason="Kwarantanna lekarza",
        now=NOW,
    )
    assert all(visit.closure_notice for visit in three)
    several = OutboundMessage.objects.get(purpose="closure", patient=world.patient).body
    one = OutboundMessage.objects.get(purpose="closure", patient=other).body
    for body in (several, one):
        assert "zamknięta" not in body
        assert str(world.clinician) in body and world.facility.name in body
    assert "Odwołaliśmy Twoje wizyty:" in several and several.count("Konsultacja internisty") == 3
    assert "Odwołaliśmy Twoją wizytę:" in one


@pytest.mark.django_db
def test_the_call_list_keeps_those_still_to_call_when_the_called_fill_its_page() -> None:
    """NET-3: a closure of thousands of visits; the list shows a page of ``limit`` notices. Once the call centre has
    called a page's worth of patients (who stay on the list, not having rebooked), the next ones still to call must
    come first — not be cut off behind the called ones."""
    world = build_world()
    patients = [world.enrol() for _ in range(3)]
    for patient in patients:
        appointment_book(actor=world.operator, patient=patient, slot_id=world.slot().pk, channel="call_centre", now=NOW)
    closure_create(
        actor=_coordinator(),
        facility_id=world.facility.pk,
        starts_at=at_warsaw(DAY, dt.time(0)),
        ends_at=at_warsaw(DAY + dt.timedelta(days=1), dt.time(0)),
        reason="Awaria zasilania",
        now=NOW,
    )
    day_later = NOW + dt.timedelta(hours=25)
    first, second = call_list(now=day_later, limit=2)
    for notice in (first, second):
        closure_call_record(actor=world.operator, notice_id=notice.pk, note="Nie odbiera", now=day_later)
    (still_to_call,) = call_list(now=day_later, limit=1)
    assert still_to_call.called_at is None and still_to_call.patient_id == patients[2].pk
