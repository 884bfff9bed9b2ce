"""NET-3, SMS-1, SMS-3, PKG-5, BKG-4: a closure cancels the booked visits inside it in its own transaction, tells
each patient once, and a one-tap rebooking keeps the referral and the annual-limit unit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from carenet.accounts.models import User
from carenet.booking.errors import BookingRefused, SlotUnavailable
from carenet.booking.models import Appointment
from carenet.booking.services import appointment_book
from carenet.booking.tests.factories import NOW, PatientFactory, UserFactory, World
from carenet.clinical.models import Referral
from carenet.clinical.services import referral_issue
from carenet.closures import services
from carenet.closures.models import ClosureNotice
from carenet.closures.selectors import alternatives, call_list, closure_detail
from carenet.core import clock
from carenet.core.clock import at_warsaw
from carenet.core.errors import ApplicationError, NotFound
from carenet.messaging.backends import SendResult
from carenet.messaging.models import OutboundMessage
from carenet.messaging.services import outbox_dispatch_due
from carenet.network.models import FacilityClosure
from carenet.network.tests.factories import CityFactory, FacilityFactory
from carenet.scheduling.models import Mode, Slot

pytestmark = pytest.mark.django_db
Status = Appointment.Status
DAY = dt.date(2026, 3, 3)


def coordinator() -> User:
    return UserFactory(username="koordynator", role=User.Role.COORDINATOR, is_staff=True)


def book(world: World, slot: Slot, patient: Any = None, **kwargs: Any) -> Appointment:
    patient = patient or world.patient
    return appointment_book(actor=patient.user, patient=patient, slot_id=slot.pk, channel="portal", now=NOW, **kwargs)


def close(world: World, *, actor: User | None = None, **kwargs: Any) -> services.ClosureDone:
    kwargs.setdefault("starts_at", at_warsaw(DAY, dt.time(0)))
    kwargs.setdefault("ends_at", at_warsaw(DAY + dt.timedelta(days=1), dt.time(0)))
    kwargs.setdefault("reason", "Kwarantanna lekarza")
    return services.closure_create(actor=actor or coordinator(), facility_id=world.facility.pk, now=NOW, **kwargs)


def test_a_closure_cancels_the_booked_visits_inside_it_and_keeps_their_slots_closed(world: World) -> None:
    inside = book(world, world.slot())
    other = world.enrol()
    inside_too = book(world, world.slot(), patient=other)
    after = book(world, world.slot(starts_at=at_warsaw(DAY + dt.timedelta(days=2), dt.time(9))))
    free = world.slot()
    done = close(world)
    assert (done.cancelled, done.patients, done.messages) == (2, 2, 2)
    for visit in (inside, inside_too):
        visit.refresh_from_db()
        assert visit.status == Status.CANCELLED
        assert visit.cancel_channel == "closure"
        assert visit.cancelled_by is not None and visit.cancelled_by.username == "koordynator"
    after.refresh_from_db()
    assert after.status == Status.BOOKED
    # The clinic is closed: neither the cancelled visits' times nor the free one are offered to anybody.
    assert not Slot.objects.filter(pk__in=[inside.slot_id, inside_too.slot_id, free.pk], is_free=True).exists()
    notices = ClosureNotice.objects.filter(closure=done.closure).order_by("appointment__slot__starts_at")
    assert [n.appointment_id for n in notices] == [inside.pk, inside_too.pk]
    assert [n.patient_id for n in notices] == [world.patient.pk, other.pk]
    message = OutboundMessage.objects.get(key=f"closure:{done.closure.pk}:patient:{world.patient.pk}")
    assert "Kwarantanna" not in message.body  # the reason is on the page; the SMS says it is closed
    assert "CareNet Centrum Medyczne Mokotów" in message.body and "03.03 10:00" in message.body
    assert f"/{notices[0].pk}/" in message.body
    with pytest.raises(BookingRefused) as caught:
        book(world, world.slot(starts_at=at_warsaw(DAY, dt.time(15))))
    assert caught.value.code == "facility_closed"


def test_a_patient_with_three_visits_gets_one_sms_naming_them(world: World) -> None:
    for _ in range(3):
        book(world, world.slot())
    done = close(world)
    messages = OutboundMessage.objects.filter(purpose="closure")
    assert done.cancelled == 3 and messages.count() == 1
    body = messages.get().body
    assert body.count("Konsultacja internisty") == 3
    assert OutboundMessage.objects.filter(purpose="reminder").count() == 0


def test_the_cancellation_belongs_to_the_closures_transaction(world: World) -> None:
    visit = book(world, world.slot())
    with pytest.raises(RuntimeError), transaction.atomic():
        close(world)
        raise RuntimeError("the coordinator's request died")
    visit.refresh_from_db()
    assert visit.status == Status.BOOKED
    assert not FacilityClosure.objects.exists() and not ClosureNotice.objects.exists()
    assert not OutboundMessage.objects.filter(purpose="closure").exists()


def test_a_clinicians_closure_cancels_only_their_visits(world: World) -> None:
    from carenet.network.tests.factories import ClinicianFactory

    colleague = ClinicianFactory(last_name="Zielińska")
    colleague.specialties.add(world.specialty)
    colleague.facilities.add(world.facility)
    mine = book(world, world.slot())
    theirs = book(world, world.slot(clinician=colleague), patient=world.enrol())
    remote = book(world, world.slot(facility=None, room=None, mode=Mode.PHONE), patient=world.enrol())
    close(world, clinician_id=world.clinician.pk)
    statuses = dict(Appointment.objects.values_list("pk", "status"))
    assert statuses[mine.pk] == Status.CANCELLED
    assert statuses[theirs.pk] == Status.BOOKED
    assert statuses[remote.pk] == Status.BOOKED  # a quarantined doctor may still consult by phone


def test_refusals_change_nothing(world: World) -> None:
    visit = book(world, world.slot())
    patient_user = world.patient.user
    assert patient_user is not None
    cases: list[tuple[dict[str, Any], str]] = [
        ({"reason": "  "}, "reason_missing"),
        ({"reason": "x" * 201}, "reason_too_long"),
        ({"ends_at": at_warsaw(DAY, dt.time(0))}, "ends_before_start"),
        ({"starts_at": NOW - dt.timedelta(days=3), "ends_at": NOW - dt.timedelta(days=2)}, "already_ended"),
        ({"ends_at": at_warsaw(DAY, dt.time(0)) + dt.timedelta(days=400)}, "closure_too_long"),
        ({"actor": patient_user}, "forbidden"),
        ({"actor": world.operator}, "forbidden"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ApplicationError) as caught:
            close(world, **kwargs)
        assert caught.value.code == code
    visit.refresh_from_db()
    assert visit.status == Status.BOOKED
    assert not FacilityClosure.objects.exists()


def test_rebooking_keeps_the_referral_and_the_limit_unit(world: World) -> None:
    """PKG-5, BKG-4: the physiotherapy limit is 2 a year and both are used, one by the visit the closure cancels;
    the lab visit used a referral. Rebooking from the alternatives is not refused for either."""
    book(world, world.slot(services=[world.physio]))
    physio = book(world, world.slot(services=[world.physio]))  # the limit is used up now
    referral = referral_issue(clinician=world.clinician, patient=world.patient, service=world.lab, now=NOW)
    lab = book(world, world.slot(services=[world.lab]), service_id=world.lab.pk, referral_id=referral.pk)
    # physio and lab are on 3 March; the first physio visit too — close only from 10:15 on.
    close(world, starts_at=physio.slot.starts_at)
    elsewhere = FacilityFactory(city=world.facility.city, name="CareNet Centrum Medyczne Wola")
    for service in (world.physio, world.lab):
        notice = ClosureNotice.objects.get(appointment__service=service)
        slot = world.slot(
            facility=elsewhere,
            room=None,
            services=[service],
            starts_at=at_warsaw(DAY + dt.timedelta(days=3), dt.time(9 if service == world.physio else 10)),
        )
        assert [a.slot.pk for a in alternatives(notice=notice, now=NOW).in_person] == [slot.pk]
        new = services.closure_rebook(
            actor=world.patient.user,
            notice_id=notice.pk,
            slot_id=slot.pk,
            channel="portal",
            now=NOW,  # type: ignore[arg-type]
        )
        notice.refresh_from_db()
        assert notice.rebooked == new and new.status == Status.BOOKED
        assert new.service == service and new.price == 0
    assert Appointment.objects.get(rebooked_after_closure__appointment=physio).limit_pool == "physio"
    referral.refresh_from_db()
    assert referral.used_by == Appointment.objects.get(rebooked_after_closure__appointment=lab)


def test_rebooking_a_taken_slot_is_refused_and_changes_nothing(world: World) -> None:
    visit = book(world, world.slot())
    close(world)
    notice = ClosureNotice.objects.get(appointment=visit)
    elsewhere = FacilityFactory(city=world.facility.city)
    slot = world.slot(facility=elsewhere, room=None, starts_at=at_warsaw(DAY + dt.timedelta(days=4), dt.time(9)))
    book(world, slot, patient=world.enrol())
    with pytest.raises(SlotUnavailable):
        services.closure_rebook(
            actor=world.patient.user, notice_id=notice.pk, slot_id=slot.pk, channel="portal", now=NOW
        )  # type: ignore[arg-type]
    notice.refresh_from_db()
    assert notice.rebooked is None
    # Nobody else's notice, and a second rebooking of the same visit, are refused too.
    stranger = world.enrol()
    free = world.slot(facility=elsewhere, room=None, starts_at=at_warsaw(DAY + dt.timedelta(days=4), dt.time(10)))
    with pytest.raises(NotFound):
        services.closure_rebook(actor=stranger.user, notice_id=notice.pk, slot_id=free.pk, channel="portal", now=NOW)  # type: ignore[arg-type]
    services.closure_rebook(actor=world.patient.user, notice_id=notice.pk, slot_id=free.pk, channel="portal", now=NOW)  # type: ignore[arg-type]
    again = world.slot(facility=elsewhere, room=None, starts_at=at_warsaw(DAY + dt.timedelta(days=4), dt.time(11)))
    with pytest.raises(ApplicationError) as caught:
        services.closure_rebook(
            actor=world.patient.user, notice_id=notice.pk, slot_id=again.pk, channel="portal", now=NOW
        )  # type: ignore[arg-type]
    assert caught.value.code == "already_rebooked"
    assert Slot.objects.get(pk=again.pk).is_free


def test_alternatives_are_the_nearest_facilities_and_telemedicine_earliest_first(world: World) -> None:
    visit = book(world, world.slot())
    close(world)
    notice = ClosureNotice.objects.get(appointment=visit)
    world.facility.latitude, world.facility.longitude = 52.19, 21.02
    world.facility.save()
    near = FacilityFactory(city=world.facility.city, latitude=52.23, longitude=21.0)
    far = FacilityFactory(city=CityFactory(name="Kraków"), latitude=50.06, longitude=19.94)
    later = at_warsaw(DAY + dt.timedelta(days=5), dt.time(9))
    far_slot = world.slot(facility=far, room=None, starts_at=later - dt.timedelta(days=2))
    near_slot = world.slot(facility=near, room=None, starts_at=later)
    phone = world.slot(facility=None, room=None, mode=Mode.PHONE, starts_at=later + dt.timedelta(hours=1))
    world.slot(
        facility=world.partner, room=None, starts_at=later - dt.timedelta(days=3)
    )  # partners are booked by phone (NET-2)
    found = alternatives(notice=notice, now=NOW)
    assert [a.slot.pk for a in found.in_person] == [near_slot.pk, far_slot.pk]
    assert found.in_person[0].distance_km is not None and found.in_person[0].distance_km < 10
    assert [a.slot.pk for a in found.remote] == [phone.pk]


def test_reopening_restores_nothing_silently(world: World) -> None:
    visit = book(world, world.slot())
    later = world.slot(starts_at=at_warsaw(DAY, dt.time(18)))
    done = close(world)
    assert not Slot.objects.get(pk=later.pk).is_free
    services.closure_reopen(actor=coordinator_again(), closure_id=done.closure.pk, now=at_warsaw(DAY, dt.time(12)))
    visit.refresh_from_db()
    assert visit.status == Status.CANCELLED
    assert Slot.objects.get(pk=later.pk).is_free  # after the reopening: bookable again
    assert not Slot.objects.get(pk=visit.slot_id).is_free  # before it: still closed
    with pytest.raises(ApplicationError) as caught:
        services.closure_reopen(actor=coordinator_again(), closure_id=done.closure.pk, now=at_warsaw(DAY, dt.time(13)))
    assert caught.value.code == "already_reopened"


def coordinator_again() -> User:
    return User.objects.get(username="koordynator")


def test_the_call_list_and_the_figures(world: World) -> None:
    first = book(world, world.slot())
    second = book(world, world.slot(), patient=world.enrol())
    third = book(world, world.slot(), patient=world.enrol())
    done = close(world)
    assert call_list(now=NOW + dt.timedelta(hours=23)) == []
    day_later = NOW + dt.timedelta(hours=25)
    notice = ClosureNotice.objects.get(appointment=first)
    elsewhere = FacilityFactory(city=world.facility.city)
    slot = world.slot(facility=elsewhere, room=None, starts_at=at_warsaw(DAY + dt.timedelta(days=4), dt.time(9)))
    services.closure_rebook(actor=world.patient.user, notice_id=notice.pk, slot_id=slot.pk, channel="portal", now=NOW)  # type: ignore[arg-type]
    operator = UserFactory(username="infolinia-2", role=User.Role.CALL_CENTRE)
    called = ClosureNotice.objects.get(appointment=second)
    services.closure_call_record(actor=operator, notice_id=called.pk, note="Oddzwoni jutro", now=day_later)
    assert [n.appointment_id for n in call_list(now=day_later)] == [third.pk, second.pk]
    figures = closure_detail(closure_id=done.closure.pk)
    assert (figures.moved, figures.rebooked, figures.called, figures.to_call) == (3, 1, 1, 1)  # type: ignore[attr-defined]
    with pytest.raises(ApplicationError):
        services.closure_call_record(actor=world.patient.user, notice_id=called.pk, note="", now=day_later)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        services.closure_call_record(actor=operator, notice_id=notice.pk, note="", now=day_later)  # rebooked


class DedupingGateway:
    """A gateway that refuses a key it already has (as SMSAPI does with idempotency keys)."""

    name = "gateway"

    def __init__(self, *, die_after: int | None = None) -> None:
        self.delivered: dict[str, int] = {}
        self.die_after = die_after

    def send(self, *, to: str, text: str, idempotency_key: str) -> SendResult:
        if self.die_after is not None and len(self.delivered) >= self.die_after:
            raise SystemExit("worker killed")
        duplicate = idempotency_key in self.delivered
        self.delivered[idempotency_key] = self.delivered.get(idempotency_key, 0) + (0 if duplicate else 1)
        return SendResult(provider_message_id=idempotency_key, status="QUEUE", duplicate=duplicate)


def test_the_closure_sms_goes_once_even_when_the_worker_dies_mid_batch(
    world: World, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """SMS-3: a worker takes the batch, the gateway takes two messages and the worker dies before recording them;
    when the lease expires another worker sends the batch — every patient has exactly one SMS."""
    settings.CARENET_OUTBOX_LEASE_SECONDS = 60
    patients = [world.enrol() for _ in range(5)]
    for patient in patients:
        book(world, world.slot(), patient=patient)
        book(world, world.slot(), patient=patient)
    close(world)
    gateway = DedupingGateway(die_after=2)
    monkeypatch.setattr("carenet.messaging.services.get_sms_backend", lambda: gateway)
    monkeypatch.setattr("carenet.messaging.services._mark_sent_many", lambda messages, now: None)  # killed: no record
    OutboundMessage.objects.exclude(purpose="closure").delete()
    started = clock.now() + dt.timedelta(seconds=1)
    with pytest.raises(SystemExit):
        outbox_dispatch_due(now=started)
    assert len(gateway.delivered) == 2
    monkeypatch.undo()
    gateway.die_after = None
    monkeypatch.setattr("carenet.messaging.services.get_sms_backend", lambda: gateway)
    outbox_dispatch_due(now=started + dt.timedelta(seconds=61))
    rows = OutboundMessage.objects.filter(purpose="closure")
    assert rows.count() == 5 and set(rows.values_list("status", flat=True)) == {OutboundMessage.Status.SENT}
    assert sorted(gateway.delivered.values()) == [1] * 5
    assert {row.patient_id for row in rows} == {p.pk for p in patients}
    assert PatientFactory is not None and Referral is not None
