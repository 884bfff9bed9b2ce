"""Holes found reviewing online consultations' queue, state and races (TEL-2, PKG-4, issue 13): each test fails
without its fix."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from carenet.accounts.selectors import actor_for_user
from carenet.booking.models import Appointment
from carenet.consultations import chat, selectors, services
from carenet.consultations.models import Consultation
from carenet.consultations.tests.factories import (
    NOW,
    ConsultationFactory,
    ConsultationWorld,
    LineFactory,
    build_consultation_world,
)
from carenet.core import clock
from carenet.core.clock import at_warsaw
from carenet.core.errors import ApplicationError
from carenet.coverage.models import Enrolment
from carenet.scheduling.models import Mode, Slot
from tests.cast import Cast, with_consultation

pytestmark = pytest.mark.django_db
Status = Consultation.Status


@pytest.fixture
def cw(db: None) -> ConsultationWorld:
    return build_consultation_world()


def _start(cw: ConsultationWorld, *, now: dt.datetime = NOW) -> Consultation:
    assert cw.patient.user is not None
    return services.consultation_start(
        actor=cw.patient.user, patient_id=cw.patient.pk, line_code="interna", mode="chat", channel="portal", now=now
    )


def test_a_line_switched_off_while_patients_wait_lets_them_go_instead_of_keeping_them_forever(
    cw: ConsultationWorld,
) -> None:
    """Take reads only active lines' duties: a patient waiting in a line switched off would wait forever, since the
    sweep counted its duties as staffing it."""
    doctor = cw.on_duty()
    consultation = _start(cw)
    cw.internal.is_active = False
    cw.internal.save(update_fields=["is_active"])
    later = NOW + dt.timedelta(minutes=5)
    with pytest.raises(ApplicationError) as caught:  # nobody can take it: no duty of an active line
        services.consultation_take_next(actor=doctor, now=later)
    assert caught.value.code == "not_on_duty"
    assert services.consultations_close_unstaffed(now=later) == 1
    consultation.refresh_from_db()
    assert consultation.status == Status.LEFT and selectors.left_reason(consultation) == "duty_ended"


def test_a_patient_whose_package_lapsed_while_waiting_is_not_made_a_paid_visit_and_the_queue_moves_on(
    cw: ConsultationWorld,
) -> None:
    """PKG-4: coverage is decided again when the clinician takes the patient (after midnight: the enrolment paid
    through yesterday). The visit was written not covered, with a price nobody accepted."""
    doctor = cw.on_duty(starts_at=NOW - dt.timedelta(hours=1), ends_at=NOW + dt.timedelta(days=1))
    evening = at_warsaw(dt.date(2026, 3, 2), dt.time(23, 50))
    Enrolment.objects.filter(patient=cw.patient).update(paid_through=dt.date(2026, 3, 2))
    first = _start(cw, now=evening)
    second_patient = cw.adult()
    assert second_patient.user is not None
    second = services.consultation_start(
        actor=second_patient.user,
        patient_id=second_patient.pk,
        line_code="interna",
        mode="chat",
        channel="portal",
        now=evening + dt.timedelta(minutes=1),
    )
    after_midnight = at_warsaw(dt.date(2026, 3, 3), dt.time(0, 5))
    taken = services.consultation_take_next(actor=doctor, now=after_midnight)
    assert taken is not None and taken.pk == second.pk
    first.refresh_from_db()
    assert first.status == Status.LEFT and first.appointment_id is None
    assert selectors.left_reason(first) == "not_covered_any_more"
    assert not Appointment.objects.filter(patient=cw.patient).exists()
    assert Slot.objects.filter(schedule__isnull=True).count() == 1


def test_a_guardian_waiting_for_themself_and_a_child_finds_both_consultations_on_the_lines_page(cast: Cast) -> None:
    """TEL-2: each member of a family may wait once; the lines page showed only the latest, so a guardian who left
    the waiting page never found the other one's room when a clinician took it."""
    line = LineFactory(code="polozna-przeglad")
    own = ConsultationFactory(line=line, patient=cast.guardian, requested_by=cast.guardian.user)
    child = ConsultationFactory(
        line=line, patient=cast.child, requested_by=cast.guardian.user, queued_at=clock.now() + dt.timedelta(seconds=1)
    )
    html = cast.client("guardian").get(reverse("portal:consultations")).content.decode()
    for consultation in (own, child):
        assert f'href="{reverse("portal:consultation", args=[consultation.pk])}"' in html


def test_a_line_whose_duty_ends_before_the_newcomers_turn_does_not_take_them_in_only_to_let_them_go(
    cw: ConsultationWorld,
) -> None:
    """TEL-2: the only duty ends in 5 minutes, the estimated wait is 12: the patient was admitted with "about 12
    minutes", and the sweep let them go at the end of the duty. A duty that follows on serves them."""
    cw.on_duty(starts_at=NOW - dt.timedelta(hours=2), ends_at=NOW + dt.timedelta(minutes=5))
    assert cw.patient.user is not None
    offer = next(
        offer
        for offer in selectors.lines_for(actor=actor_for_user(cw.patient.user), patient_id=cw.patient.pk, now=NOW)
        if offer.line == cw.internal
    )
    assert offer.state == "busy" and offer.refusal == "wait_too_long"
    with pytest.raises(ApplicationError) as caught:
        _start(cw)
    assert caught.value.code == "wait_too_long"
    assert not Consultation.objects.exists()
    cw.on_duty(starts_at=NOW + dt.timedelta(minutes=5), ends_at=NOW + dt.timedelta(hours=3))
    assert _start(cw).status == Status.WAITING


def test_an_open_room_of_a_booked_video_visit_is_not_joined_the_next_day_nor_after_the_visit_was_cancelled(
    cw: ConsultationWorld,
) -> None:
    """SCH-3: the room opens from 15 minutes before the visit until the end of its day. A room left open (nobody
    ended it) was joined again at any later time — and for a cancelled visit."""
    world = cw.world
    starts = NOW + dt.timedelta(hours=2)
    slot = world.slot(starts_at=starts, facility=None, room=None, mode=Mode.VIDEO)
    visit = Appointment.objects.create(
        patient=world.patient, slot=slot, service=world.consult, channel="portal", status="booked"
    )
    patient = world.patient.user
    assert patient is not None
    room = services.room_for_visit(actor=patient, appointment_id=visit.pk, now=starts)
    assert services.room_for_visit(actor=patient, appointment_id=visit.pk, now=starts + dt.timedelta(hours=1)) == room
    with pytest.raises(ApplicationError) as caught:
        services.room_for_visit(actor=patient, appointment_id=visit.pk, now=starts + dt.timedelta(days=1))
    assert caught.value.code == "room_closed"
    Appointment.objects.filter(pk=visit.pk).update(status=Appointment.Status.CANCELLED)
    with pytest.raises(ApplicationError) as caught:
        services.room_for_visit(actor=patient, appointment_id=visit.pk, now=starts)
    assert caught.value.code == "visit_not_active"


def test_a_booked_video_visits_room_nobody_ended_ends_after_the_visits_day(cw: ConsultationWorld) -> None:
    """SCH-3: the room is open until the end of the visit's day. One nobody ended stayed in progress for good: the
    patient's open page kept its socket and the chat took messages days later."""
    world = cw.world
    starts = NOW + dt.timedelta(hours=2)
    slot = world.slot(starts_at=starts, facility=None, room=None, mode=Mode.VIDEO)
    visit = Appointment.objects.create(
        patient=world.patient, slot=slot, service=world.consult, channel="portal", status="booked"
    )
    patient = world.patient.user
    assert patient is not None
    room = services.room_for_visit(actor=patient, appointment_id=visit.pk, now=starts)
    assert services.rooms_close_after_their_day(now=at_warsaw(dt.date(2026, 3, 2), dt.time(23, 59))) == 0
    next_day = at_warsaw(dt.date(2026, 3, 3), dt.time(0, 1))
    assert services.rooms_close_after_their_day(now=next_day) == 1
    room.refresh_from_db()
    assert room.status == Status.ENDED and room.ended_at == next_day
    with pytest.raises(ApplicationError) as caught:
        chat.chat_post(actor=patient, consultation_id=room.pk, client_id="late", text="Halo?", now=next_day)
    assert caught.value.code == "not_in_progress"
    assert services.rooms_close_after_their_day(now=next_day) == 0


def test_the_clinicians_take_starts_the_visit_when_their_lock_is_held_not_when_the_page_was_asked(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TEL-2: the take reads the clock after locking the clinician, so a visit never starts before the end of their
    previous consultation ended from another tab meanwhile. The console's button passed the time it was pressed."""
    with_consultation(cast)
    assert cast.patient.user is not None
    moment = clock.now()
    with time_machine.travel(moment, tick=False) as traveller:
        waiting = services.consultation_start(
            actor=cast.patient.user, patient_id=cast.patient.pk, line_code="interna", mode="chat", channel="portal"
        )
        lock = services._lock_clinician

        def lock_after_a_wait(clinician_id: int) -> Any:
            traveller.shift(dt.timedelta(seconds=5))  # the other tab's end held the lock this long
            return lock(clinician_id)

        monkeypatch.setattr(services, "_lock_clinician", lock_after_a_wait)
        answer = cast.client("clinician_with").post(reverse("staff:consultation_take_next"))
    assert answer.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == Status.IN_PROGRESS and waiting.appointment is not None
    assert waiting.taken_at == moment + dt.timedelta(seconds=5)
    assert waiting.appointment.slot.starts_at == moment + dt.timedelta(seconds=5)
