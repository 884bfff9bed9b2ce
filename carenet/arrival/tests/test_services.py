"""Arrival use cases (CHK-1..5, CHK-3 SMS, BKG-5 lifting, SMS-1, SMS-2): reception's check-in, "refused: late" and
no-show; the no-show sweep; the SMS check-in question and the reply TAK; lifting a no-show block."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from carenet.accounts.models import User
from carenet.arrival import selectors
from carenet.arrival import services as arrival
from carenet.arrival.services import ArrivalRefused
from carenet.booking.errors import BookingRefused
from carenet.booking.models import Appointment, NoShowBlockLift
from carenet.booking.services import appointment_book
from carenet.booking.tests.factories import NOW, AppointmentFactory, PatientFactory, UserFactory, World
from carenet.core.errors import NotFound, PermissionDenied, ValidationFailed
from carenet.messaging.models import InboundMessage, OutboundMessage
from carenet.messaging.services import inbound_receive
from carenet.network.models import Clinician
from carenet.network.tests.factories import FacilityFactory
from carenet.scheduling.models import Mode, Slot

pytestmark = pytest.mark.django_db
Status = Appointment.Status

#: A visit at 10:00 on NOW's day (Monday 2 March 2026, Warsaw).
START = NOW + dt.timedelta(hours=2)


def visit(world: World, *, starts_at: dt.datetime = START, **fields: Any) -> Appointment:
    slot_fields = {key: fields.pop(key) for key in ("facility", "room", "mode", "services") if key in fields}
    slot = world.slot(starts_at=starts_at, **slot_fields)
    service = fields.pop("service", world.consult)
    fields.setdefault("patient", world.patient)
    appointment: Appointment = AppointmentFactory(slot=slot, service=service, **fields)
    Slot.objects.filter(pk=slot.pk).update(is_free=False)
    return appointment


def at(minutes: float) -> dt.datetime:
    return START + dt.timedelta(minutes=minutes)


# --- Reception (CHK-1, CHK-2, CHK-5) ----------------------------------------------------------------------------


def test_reception_checks_in_and_records_who_how_and_when(world: World) -> None:
    """CHK-2."""
    appointment = visit(world)
    arrival.appointment_check_in(
        appointment_id=appointment.pk, channel="reception", actor=world.receptionist, now=at(-20)
    )
    appointment.refresh_from_db()
    assert appointment.status == Status.CHECKED_IN
    assert (appointment.check_in_channel, appointment.checked_in_by, appointment.checked_in_at) == (
        "reception",
        world.receptionist,
        at(-20),
    )


def test_double_check_in_is_refused_with_a_code(world: World) -> None:
    appointment = visit(world)
    arrival.appointment_check_in(appointment_id=appointment.pk, channel="reception", actor=world.admin, now=at(-5))
    with pytest.raises(ArrivalRefused) as caught:
        arrival.appointment_check_in(
            appointment_id=appointment.pk, channel="reception", actor=world.receptionist, now=at(-4)
        )
    assert caught.value.code == "already_checked_in"
    appointment.refresh_from_db()
    assert appointment.checked_in_by == world.admin


@pytest.mark.parametrize(
    ("status", "code"), [(Status.CANCELLED, "appointment_cancelled"), (Status.NO_SHOW, "appointment_no_show")]
)
def test_cancelled_or_no_show_visit_is_not_checked_in(world: World, status: str, code: str) -> None:
    appointment = visit(world, status=status)
    with pytest.raises(ArrivalRefused) as caught:
        arrival.appointment_check_in(
            appointment_id=appointment.pk, channel="reception", actor=world.receptionist, now=at(-5)
        )
    assert caught.value.code == code
    appointment.refresh_from_db()
    assert appointment.status == status and appointment.checked_in_at is None


def test_receptionist_of_another_facility_and_other_roles_cannot_check_in(world: World) -> None:
    appointment = visit(world)
    elsewhere = UserFactory(role=User.Role.RECEPTIONIST, facility=FacilityFactory())
    with pytest.raises(NotFound):
        arrival.appointment_check_in(appointment_id=appointment.pk, channel="reception", actor=elsewhere, now=at(-5))
    for role in (User.Role.CLINICIAN, User.Role.COORDINATOR, User.Role.CALL_CENTRE, User.Role.PATIENT):
        with pytest.raises(PermissionDenied):
            arrival.appointment_check_in(
                appointment_id=appointment.pk, channel="reception", actor=UserFactory(role=role), now=at(-5)
            )
    with pytest.raises(NotFound):
        arrival.appointment_refuse_late(actor=elsewhere, appointment_id=appointment.pk, now=at(15))
    with pytest.raises(NotFound):
        arrival.appointment_mark_no_show(actor=elsewhere, appointment_id=appointment.pk, now=at(15))
    appointment.refresh_from_db()
    assert appointment.status == Status.BOOKED


def test_refused_late_only_from_10_minutes_after_the_start(world: World) -> None:
    """CHK-1."""
    appointment = visit(world)
    with pytest.raises(ArrivalRefused) as caught:
        arrival.appointment_refuse_late(actor=world.receptionist, appointment_id=appointment.pk, now=at(9))
    assert caught.value.code == "not_late_yet"
    appointment.refresh_from_db()
    assert appointment.status == Status.BOOKED
    arrival.appointment_refuse_late(actor=world.receptionist, appointment_id=appointment.pk, now=at(10))
    appointment.refresh_from_db()
    assert appointment.status == Status.REFUSED_LATE
    assert (appointment.outcome_recorded_by, appointment.outcome_recorded_at) == (world.receptionist, at(10))


def test_reception_records_a_no_show_only_after_the_start(world: World) -> None:
    """CHK-5."""
    appointment = visit(world)
    with pytest.raises(ArrivalRefused) as caught:
        arrival.appointment_mark_no_show(actor=world.receptionist, appointment_id=appointment.pk, now=at(-1))
    assert caught.value.code == "visit_not_started"
    arrival.appointment_mark_no_show(actor=world.receptionist, appointment_id=appointment.pk, now=at(1))
    appointment.refresh_from_db()
    assert appointment.status == Status.NO_SHOW and appointment.outcome_recorded_by == world.receptionist


# --- The no-show sweep (CHK-5) ------------------------------------------------------------------------------------


def test_sweep_makes_ended_booked_visits_no_shows_and_nothing_else(world: World) -> None:
    """CHK-5: booked at the end → no-show; checked in, refused, cancelled, not ended → untouched; idempotent."""
    missed = visit(world)
    checked = visit(world, status=Status.CHECKED_IN, starts_at=START + dt.timedelta(minutes=15))
    refused = visit(world, status=Status.REFUSED_LATE, starts_at=START + dt.timedelta(minutes=30))
    cancelled = visit(world, status=Status.CANCELLED, starts_at=START + dt.timedelta(minutes=45))
    running = visit(world, starts_at=at(50))
    assert arrival.no_shows_record(now=at(60)) == 1
    assert arrival.no_shows_record(now=at(60)) == 0
    states = {a.pk: a.status for a in Appointment.objects.all()}
    assert states == {
        missed.pk: Status.NO_SHOW,
        checked.pk: Status.CHECKED_IN,
        refused.pk: Status.REFUSED_LATE,
        cancelled.pk: Status.CANCELLED,
        running.pk: Status.BOOKED,
    }
    missed.refresh_from_db()
    assert missed.outcome_recorded_at == at(60) and missed.outcome_recorded_by is None


def test_sweep_in_small_batches(world: World) -> None:
    for number in range(5):
        visit(world, starts_at=START + dt.timedelta(minutes=15 * number))
    assert arrival.no_shows_record(now=at(200), batch_size=2) == 5


def test_sweep_leaves_phone_and_video_consultations_alone(world: World) -> None:
    """CHK-2, CHK-5: a remote consultation has no arrival to confirm, so it never becomes a no-show (nor a BKG-5
    block) — two finished phone consultations in one specialty leave the patient free to book."""
    phone_visits = [
        visit(world, facility=None, room=None, mode=mode, starts_at=NOW - dt.timedelta(days=days))
        for mode, days in ((Mode.PHONE, 10), (Mode.VIDEO, 3))
    ]
    in_person = visit(world, starts_at=NOW - dt.timedelta(days=1))
    assert arrival.no_shows_record(now=NOW) == 1
    assert {a.pk: a.status for a in Appointment.objects.all()} == {
        phone_visits[0].pk: Status.BOOKED,
        phone_visits[1].pk: Status.BOOKED,
        in_person.pk: Status.NO_SHOW,
    }
    with pytest.raises(ArrivalRefused) as caught:
        arrival.appointment_mark_no_show(actor=world.admin, appointment_id=phone_visits[0].pk, now=NOW)
    assert caught.value.code == "not_at_facility"
    assert book(world).status == Status.BOOKED


def test_two_swept_no_shows_block_the_specialty_until_30_days_after_the_second(world: World) -> None:
    """CHK-5 feeds BKG-5: the sweep's no-shows (not rows written as no-shows) refuse the next booking of that
    specialty, and the patient's block ends 30 days after the second no-show."""
    first = visit(world, starts_at=NOW - dt.timedelta(days=12))
    second = visit(world, starts_at=NOW - dt.timedelta(days=2))
    assert book(world).status == Status.BOOKED  # both still "booked": nothing counts yet
    assert arrival.no_shows_record(now=NOW) == 2
    with pytest.raises(BookingRefused) as caught:
        book(world)
    assert caught.value.code == "no_show_block"
    blocks = selectors.no_show_blocks(patients=[world.patient], now=NOW)
    assert [block.until for block in blocks] == [second.slot.starts_at.astimezone(dt.UTC) + dt.timedelta(days=30)]
    assert first.pk in {a.pk for block in blocks for a in block.no_shows}


def test_check_in_after_the_sweep_is_refused(world: World) -> None:
    """A check-in racing the sweep: whichever locks first wins; the loser changes nothing."""
    appointment = visit(world)
    arrival.no_shows_record(now=at(15))
    with pytest.raises(ArrivalRefused):
        arrival.appointment_check_in(
            appointment_id=appointment.pk, channel="reception", actor=world.receptionist, now=at(14)
        )
    appointment.refresh_from_db()
    assert appointment.status == Status.NO_SHOW


# --- The SMS question (CHK-3, SMS-1) ----------------------------------------------------------------------------


def questions(now: dt.datetime) -> list[OutboundMessage]:
    arrival.checkin_questions_enqueue(now=now)
    return list(OutboundMessage.objects.filter(purpose="checkin-question").order_by("id"))


def test_question_sent_once_15_minutes_before_an_eligible_visit(world: World) -> None:
    appointment = visit(world)
    assert questions(at(-16)) == []
    sent = questions(at(-15))
    assert [message.key for message in sent] == [f"checkin-question:appointment:{appointment.pk}"]
    assert sent[0].recipient == world.patient.mobile and "TAK" in sent[0].body
    assert arrival.checkin_questions_enqueue(now=at(-10)) == 0
    assert len(questions(at(-5))) == 1
    appointment.refresh_from_db()
    assert appointment.checkin_asked_at == at(-15)


def test_question_only_for_eligible_visits(world: World) -> None:
    """CHK-3: no surcharge, adult, doctor consultation or a selected exam, in person at a facility."""
    visit(world, price=Decimal("80.00"))
    visit(world, starts_at=at(2), patient=world.enrol(PatientFactory(child=True, mobile="+48501999001")))
    nurse = Clinician.objects.create(first_name="Ola", last_name="Pielęgniarka", kind=Clinician.Kind.NURSE)
    nurse_slot = world.slot(starts_at=at(4), clinician=nurse)
    AppointmentFactory(patient=world.patient, slot=nurse_slot, service=world.consult)
    visit(world, starts_at=at(6), services=[world.paid], service=world.paid)  # imaging, not selected
    visit(world, starts_at=at(8), mode=Mode.PHONE, facility=None)
    assert arrival.checkin_questions_enqueue(now=at(-5)) == 0
    world.paid.self_check_in = True
    world.paid.save()
    assert arrival.checkin_questions_enqueue(now=at(-5)) == 1


def test_question_claimed_by_another_run_is_not_sent_again(world: World) -> None:
    """Two runs at once: the conditional UPDATE of ``checkin_asked_at`` lets only one send."""
    appointment = visit(world)
    Appointment.objects.filter(pk=appointment.pk).update(checkin_asked_at=at(-14))
    assert questions(at(-10)) == []


# --- The reply TAK (CHK-3, SMS-2) --------------------------------------------------------------------------------

_ids = iter(range(1, 100_000))


def sms(sender: str, text: str, *, message_id: str | None = None) -> InboundMessage:
    return inbound_receive(
        provider="smsapi",
        provider_message_id=message_id or f"MO-arrival-{next(_ids)}",
        sender=sender,
        recipient="48799000000",
        text=text,
        received_at=NOW,
    )


def reply_to(message: InboundMessage) -> str:
    return OutboundMessage.objects.get(key=f"reply:{message.pk}").body


def test_tak_in_the_window_checks_in_and_answers_with_the_room(world: World, time_machine: Any) -> None:
    appointment = visit(world)
    time_machine.move_to(at(-15), tick=False)
    arrival.checkin_questions_enqueue(now=at(-15))
    time_machine.move_to(at(-8), tick=False)
    message = sms(world.patient.mobile, "  Tak, jestem na miejscu!")
    appointment.refresh_from_db()
    assert appointment.status == Status.CHECKED_IN and appointment.check_in_channel == "sms"
    assert message.handler == "checkin-yes"
    assert "12" in reply_to(message)


def test_tak_delivered_three_times_acts_once(world: World, time_machine: Any) -> None:
    """SMS-3: the same webhook three times → one check-in, one reply."""
    appointment = visit(world)
    time_machine.move_to(at(-10), tick=False)
    arrival.checkin_questions_enqueue(now=at(-10))
    for _ in range(3):
        sms(world.patient.mobile, "TAK", message_id="MO-same")
    assert InboundMessage.objects.count() == 1
    assert OutboundMessage.objects.filter(purpose="sms-reply").count() == 1
    appointment.refresh_from_db()
    assert appointment.status == Status.CHECKED_IN


def test_tak_without_a_room_says_go_to_reception(world: World, time_machine: Any) -> None:
    appointment = visit(world, room=None)
    time_machine.move_to(at(-10), tick=False)
    arrival.checkin_questions_enqueue(now=at(-10))
    message = sms(world.patient.mobile, "tąk")
    appointment.refresh_from_db()
    assert appointment.status == Status.CHECKED_IN
    assert "reception" in reply_to(message) or "recepcji" in reply_to(message)


def test_tak_after_the_start_changes_nothing(world: World, time_machine: Any) -> None:
    appointment = visit(world)
    time_machine.move_to(at(-10), tick=False)
    arrival.checkin_questions_enqueue(now=at(-10))
    time_machine.move_to(at(3), tick=False)
    message = sms(world.patient.mobile, "TAK")
    appointment.refresh_from_db()
    assert appointment.status == Status.BOOKED
    assert message.outcome.startswith("check-in too_late")
    assert reply_to(message)


def test_tak_with_nothing_asked_gets_a_helpful_answer(world: World, time_machine: Any) -> None:
    appointment = visit(world)  # not asked yet
    time_machine.move_to(at(-30), tick=False)
    message = sms(world.patient.mobile, "tak")
    assert message.handler == "checkin-yes-nothing"
    assert reply_to(message)
    unknown = sms("+48600000999", "TAK")
    assert unknown.handler == "fallback" and reply_to(unknown)
    appointment.refresh_from_db()
    assert appointment.status == Status.BOOKED


def test_tak_answers_already_confirmed(world: World, time_machine: Any) -> None:
    appointment = visit(world)
    time_machine.move_to(at(-10), tick=False)
    arrival.checkin_questions_enqueue(now=at(-10))
    sms(world.patient.mobile, "TAK")
    second = sms(world.patient.mobile, "TAK")
    assert second.outcome.startswith("check-in already_checked_in")
    appointment.refresh_from_db()
    assert appointment.check_in_channel == "sms"


# --- BKG-5: lifting a block ---------------------------------------------------------------------------------------


def no_show(world: World, days_ago: int) -> Appointment:
    return visit(world, starts_at=NOW - dt.timedelta(days=days_ago), status=Status.NO_SHOW)


def book(world: World, *, now: dt.datetime = NOW) -> Appointment:
    return appointment_book(
        actor=world.operator, patient=world.patient, slot_id=world.slot().pk, channel="call_centre", now=now
    )


def test_lift_lets_the_patient_book_again_and_a_new_pair_blocks_again(world: World) -> None:
    """BKG-5: a lift forgets the no-shows before it; two new ones block again."""
    no_show(world, 20)
    no_show(world, 5)
    with pytest.raises(BookingRefused) as caught:
        book(world)
    assert caught.value.code == "no_show_block"
    blocks = selectors.no_show_blocks(patients=[world.patient], now=NOW)
    assert [(block.specialty, len(block.no_shows)) for block in blocks] == [(world.specialty, 2)]

    lift = arrival.no_show_block_lift(
        actor=world.receptionist,
        patient_id=world.patient.pk,
        specialty_id=world.specialty.pk,
        reason="Pacjent był w szpitalu",
        now=NOW - dt.timedelta(days=1),
    )
    assert (lift.lifted_by, lift.reason) == (world.receptionist, "Pacjent był w szpitalu")
    assert book(world).status == Status.BOOKED
    assert selectors.no_show_blocks(patients=[world.patient], now=NOW) == []

    for hours_ago in (20, 3):
        visit(world, starts_at=NOW - dt.timedelta(hours=hours_ago), status=Status.NO_SHOW)
    with pytest.raises(BookingRefused) as again:
        book(world)
    assert again.value.code == "no_show_block"


def test_lift_needs_a_reason_and_a_staff_role(world: World) -> None:
    kwargs = {"patient_id": world.patient.pk, "specialty_id": world.specialty.pk, "now": NOW}
    with pytest.raises(ValidationFailed) as caught:
        arrival.no_show_block_lift(actor=world.operator, reason="   ", **kwargs)  # type: ignore[arg-type]
    assert caught.value.code == "reason_required"
    for role in (User.Role.CLINICIAN, User.Role.COORDINATOR, User.Role.PATIENT):
        with pytest.raises(PermissionDenied):
            arrival.no_show_block_lift(actor=UserFactory(role=role), reason="ok", **kwargs)  # type: ignore[arg-type]
    assert not NoShowBlockLift.objects.exists()


def test_no_show_count_of_the_last_30_days(world: World) -> None:
    no_show(world, 40)
    no_show(world, 10)
    assert selectors.no_show_count(patients=[world.patient], now=NOW) == 1


def test_no_show_summary_agrees_with_the_count_and_the_blocks_and_reads_less(
    world: World, django_assert_num_queries: Any
) -> None:
    """B4: "Moje wizyty" reads the count and the blocks in one query when there is nothing to lift, two otherwise —
    the same answers as the separate selectors, before and after a lift."""
    with django_assert_num_queries(1):
        assert selectors.no_show_summary(patients=[world.patient], now=NOW) == (0, [])
    no_show(world, 40)
    no_show(world, 20)
    no_show(world, 5)
    for lifted in (False, True):
        with django_assert_num_queries(2):
            summary = selectors.no_show_summary(patients=[world.patient], now=NOW)
        assert summary == (
            selectors.no_show_count(patients=[world.patient], now=NOW),
            selectors.no_show_blocks(patients=[world.patient], now=NOW),
        )
        assert summary[0] == 2
        assert bool(summary[1]) is not lifted
        arrival.no_show_block_lift(
            actor=world.receptionist,
            patient_id=world.patient.pk,
            specialty_id=world.specialty.pk,
            reason="Pacjent był w szpitalu",
            now=NOW - dt.timedelta(days=1),
        )
