"""Reads of the on-demand queue (TEL-2): lines with their state, positions and waits, the console, alternatives."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carenet.accounts.models import User
from carenet.accounts.selectors import actor_for_user
from carenet.consultations import selectors, services
from carenet.consultations.models import Consultation
from carenet.consultations.tests.factories import NOW, ConsultationFactory, ConsultationWorld, DutyFactory
from carenet.core.errors import NotFound, PermissionDenied
from carenet.scheduling.models import Mode

pytestmark = pytest.mark.django_db


def _start(cw: ConsultationWorld, line: str = "interna", *, at: dt.datetime = NOW) -> Consultation:
    patient = cw.adult()
    assert patient.user is not None
    return services.consultation_start(
        actor=patient.user, patient_id=patient.pk, line_code=line, mode="video", channel="portal", now=at
    )


def test_lines_for_shows_state_wait_and_eligibility(cw: ConsultationWorld) -> None:
    cw.on_duty(cw.internal)
    cw.on_duty(cw.internal)
    for seconds in range(3):
        _start(cw, at=NOW + dt.timedelta(seconds=seconds))
    actor = actor_for_user(cw.patient.user)
    offers = {offer.line.code: offer for offer in selectors.lines_for(actor=actor, patient_id=cw.patient.pk, now=NOW)}
    internal = offers["interna"]
    assert (internal.on_duty, internal.waiting, internal.wait_minutes, internal.state) == (2, 3, 24, "open")
    assert internal.eligible and internal.refusal is None
    assert offers["pediatria"].refusal == "line_not_for_age" and not offers["pediatria"].eligible
    assert offers["polozna"].state == "closed" and offers["polozna"].refusal == "nobody_on_duty"
    assert offers["polozna"].wait_minutes is None
    child = cw.child_of(cw.patient)
    actor = actor_for_user(User.objects.get(pk=cw.patient.user_id))  # a new request: the child is in the family
    child_offers = {offer.line.code: offer for offer in selectors.lines_for(actor=actor, patient_id=child.pk, now=NOW)}
    assert child_offers["interna"].refusal == "line_not_for_age"
    assert child_offers["pediatria"].refusal == "nobody_on_duty"
    with pytest.raises(NotFound):
        selectors.lines_for(actor=actor, patient_id=cw.adult().pk, now=NOW)


def test_positions_and_waits_move_up_when_someone_leaves_or_is_taken(cw: ConsultationWorld) -> None:
    doctor = cw.on_duty()
    first, second, third = (_start(cw, at=NOW + dt.timedelta(seconds=s)) for s in range(3))
    state = selectors.queue_state(third, now=NOW)
    assert state is not None and (state.position, state.ahead, state.wait_minutes) == (3, 2, 36)
    user = second.patient.user
    assert user is not None
    services.consultation_leave(actor=user, consultation_id=second.pk, now=NOW)
    assert selectors.state_json(third, now=NOW) == {
        "type": "state",
        "id": third.pk,
        "status": "waiting",
        "mode": "video",
        "position": 2,
        "wait_minutes": 24,
        "clinician": None,
        "outcome": None,
    }
    taken = services.consultation_take_next(actor=doctor, now=NOW)
    assert taken is not None and taken.pk == first.pk
    assert [s["position"] for s in selectors.line_states(cw.internal, now=NOW)] == [1]
    live = selectors.state_json(taken, now=NOW)
    assert live["status"] == "in_progress" and live["position"] is None and live["clinician"] == str(doctor.clinician)


def test_typical_length_follows_the_lines_history(cw: ConsultationWorld) -> None:
    clinician = cw.on_duty().clinician
    for index in range(6):
        taken = NOW - dt.timedelta(hours=1, minutes=index * 10)
        ConsultationFactory(
            line=cw.internal,
            status=Consultation.Status.ENDED,
            queued_at=taken,
            taken_at=taken,
            ended_at=taken + dt.timedelta(minutes=20),
            clinician=clinician,
        )
    assert selectors.typical_minutes_of([cw.internal, cw.midwifery]) == {cw.internal.pk: 20.0, cw.midwifery.pk: 12.0}


def test_open_consultation_is_the_familys_current_one(cw: ConsultationWorld) -> None:
    cw.on_duty(cw.paediatrics)
    child = cw.child_of(cw.patient)
    assert cw.patient.user is not None
    actor = actor_for_user(cw.patient.user)
    assert selectors.open_consultation(actor=actor) is None
    started = services.consultation_start(
        actor=cw.patient.user, patient_id=child.pk, line_code="pediatria", mode="chat", channel="portal", now=NOW
    )
    found = selectors.open_consultation(actor=actor_for_user(cw.patient.user))
    assert found is not None and found.pk == started.pk
    assert selectors.open_consultation(actor=actor_for_user(cw.adult().user)) is None


def test_console_state_shows_duties_counts_and_the_current_consultation(cw: ConsultationWorld) -> None:
    doctor = cw.on_duty(cw.internal, cw.midwifery)
    _start(cw, at=NOW - dt.timedelta(minutes=10))
    _start(cw, at=NOW - dt.timedelta(minutes=4))
    state = selectors.console_state(actor=actor_for_user(doctor), now=NOW)
    assert state.on_duty and state.current is None and state.waiting == 2
    loads = {load.line.code: load for load in state.lines}
    assert (loads["interna"].waiting, loads["interna"].oldest_wait_minutes, loads["interna"].on_duty) == (2, 10, 1)
    assert loads["polozna"].waiting == 0 and loads["polozna"].oldest_wait_minutes is None
    taken = services.consultation_take_next(actor=doctor, now=NOW)
    state = selectors.console_state(actor=actor_for_user(doctor), now=NOW)
    assert state.current is not None and taken is not None and state.current.pk == taken.pk
    with pytest.raises(PermissionDenied):
        selectors.console_state(actor=actor_for_user(cw.patient.user), now=NOW)


@pytest.mark.parametrize("waiting", [3, 30])
def test_lines_for_and_console_state_cost_the_same_whatever_the_queue(cw: ConsultationWorld, waiting: int) -> None:
    doctors = [cw.on_duty(cw.internal, cw.midwifery) for _ in range(10)]
    for index in range(waiting):
        ConsultationFactory(line=cw.internal, queued_at=NOW - dt.timedelta(seconds=index))
    patient_actor = actor_for_user(cw.patient.user)
    doctor_actor = actor_for_user(doctors[0])
    with CaptureQueriesContext(connection) as lines_queries:
        selectors.lines_for(actor=patient_actor, patient_id=cw.patient.pk, now=NOW)
    with CaptureQueriesContext(connection) as console_queries:
        selectors.console_state(actor=doctor_actor, now=NOW)
    with CaptureQueriesContext(connection) as positions_queries:
        states = selectors.line_states(cw.internal, now=NOW)
    assert len(states) == waiting
    assert len(lines_queries) <= 5
    assert len(console_queries) <= 4
    assert len(positions_queries) <= 3


def test_alternatives_are_the_nearest_free_remote_slots_of_the_lines_specialty(cw: ConsultationWorld) -> None:
    world = cw.world
    later_video = world.slot(starts_at=NOW + dt.timedelta(days=2), facility=None, room=None, mode=Mode.VIDEO)
    sooner_phone = world.slot(starts_at=NOW + dt.timedelta(days=1), facility=None, room=None, mode=Mode.PHONE)
    world.slot(starts_at=NOW + dt.timedelta(hours=5))  # in person: not an alternative
    world.slot(
        starts_at=NOW + dt.timedelta(hours=6),
        facility=None,
        room=None,
        mode=Mode.PHONE,
        specialty=world.other_specialty,
    )
    world.slot(starts_at=NOW - dt.timedelta(hours=1), facility=None, room=None, mode=Mode.VIDEO)  # past
    found = selectors.alternatives(patient_id=cw.patient.pk, line=cw.internal, now=NOW)
    assert [slot.pk for slot in found] == [sooner_phone.pk, later_video.pk]
    assert [
        slot.pk for slot in selectors.alternatives(patient_id=cw.patient.pk, line=cw.internal, now=NOW, limit=1)
    ] == [sooner_phone.pk]


def test_duty_of_an_inactive_line_does_not_count(cw: ConsultationWorld) -> None:
    cw.midwifery.is_active = False
    cw.midwifery.save()
    DutyFactory(line=cw.midwifery)
    assert selectors.on_duty_counts([cw.midwifery.pk], now=NOW) == {}
