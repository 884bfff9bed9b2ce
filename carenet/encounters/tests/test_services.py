"""Closing a visit and recording calls (CHK-5, TEL-1): only the visit's own clinician, within the rules, once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.core.errors import NotFound, PermissionDenied, ValidationFailed
from carenet.encounters import services
from carenet.encounters.models import CallAttempt
from carenet.encounters.services import EncounterRefused
from carenet.encounters.tests.helpers import visit_of
from carenet.scheduling.models import Mode
from tests.cast import Cast

pytestmark = pytest.mark.django_db

Status = Appointment.Status


def _state(visit: Appointment) -> tuple[str, object, object]:
    visit.refresh_from_db()
    return visit.status, visit.outcome_recorded_at, visit.outcome_recorded_by_id


def test_the_visits_clinician_completes_it_once(cast: Cast) -> None:
    start = cast.visit.slot.starts_at
    with pytest.raises(EncounterRefused) as early:
        services.visit_complete(
            actor=cast.users["clinician_with"], appointment_id=cast.visit.pk, now=start - dt.timedelta(minutes=16)
        )
    assert early.value.code == "visit_not_started" and _state(cast.visit)[0] == Status.BOOKED
    services.visit_complete(
        actor=cast.users["clinician_with"], appointment_id=cast.visit.pk, now=start - dt.timedelta(minutes=15)
    )
    done = _state(cast.visit)
    assert done == (Status.COMPLETED, start - dt.timedelta(minutes=15), cast.users["clinician_with"].pk)
    with pytest.raises(EncounterRefused) as again:
        services.visit_complete(actor=cast.users["clinician_with"], appointment_id=cast.visit.pk, now=start)
    assert again.value.code == "already_completed" and _state(cast.visit) == done


def test_only_the_visits_own_clinician_closes_it(cast: Cast) -> None:
    start = cast.visit.slot.starts_at
    # clinician_without has no relationship with Anna: the visit does not exist for her.
    with pytest.raises(NotFound):
        services.visit_complete(actor=cast.users["clinician_without"], appointment_id=cast.visit.pk, now=start)
    # Once she has seen Anna she may read the visit, but closing it stays its own clinician's.
    visit_of(
        cast.patient,
        cast.clinician_without,
        cast.consult,
        start - dt.timedelta(days=30),
        facility=cast.here,
        status=Status.COMPLETED,
    )
    with pytest.raises(PermissionDenied):
        services.visit_complete(actor=cast.users["clinician_without"], appointment_id=cast.visit.pk, now=start)
    with pytest.raises(PermissionDenied):
        services.visit_no_show(actor=cast.users["clinician_without"], appointment_id=cast.visit.pk, now=start)
    for role in ("receptionist_here", "call_centre", "admin", "patient"):
        with pytest.raises(PermissionDenied):
            services.visit_complete(actor=cast.users[role], appointment_id=cast.visit.pk, now=start)
    assert _state(cast.visit) == (Status.BOOKED, None, None)


def test_a_cancelled_visit_is_never_closed(cast: Cast) -> None:
    Appointment.objects.filter(pk=cast.visit.pk).update(status=Status.CANCELLED)
    start = cast.visit.slot.starts_at
    for close in (services.visit_complete, services.visit_no_show):
        with pytest.raises(EncounterRefused) as refused:
            close(actor=cast.users["clinician_with"], appointment_id=cast.visit.pk, now=start + dt.timedelta(hours=1))
        assert refused.value.code == "appointment_cancelled"
    assert _state(cast.visit)[0] == Status.CANCELLED


def test_the_clinician_records_a_no_show_from_the_start_through_the_arrival_service(cast: Cast) -> None:
    start = cast.visit.slot.starts_at
    with pytest.raises(EncounterRefused) as early:
        services.visit_no_show(
            actor=cast.users["clinician_with"], appointment_id=cast.visit.pk, now=start - dt.timedelta(minutes=1)
        )
    assert early.value.code == "visit_not_started"
    services.visit_no_show(actor=cast.users["clinician_with"], appointment_id=cast.visit.pk, now=start)
    recorded = _state(cast.visit)
    assert recorded == (Status.NO_SHOW, start, cast.users["clinician_with"].pk)
    with pytest.raises(EncounterRefused) as again:
        services.visit_no_show(actor=cast.users["clinician_with"], appointment_id=cast.visit.pk, now=start)
    assert again.value.code == "appointment_no_show" and _state(cast.visit) == recorded


def test_a_remote_visit_is_completed_too(cast: Cast) -> None:
    start = clock.now() + dt.timedelta(hours=1)
    video = visit_of(cast.patient, cast.clinician_with, cast.consult, start, mode=Mode.VIDEO)
    services.visit_complete(actor=cast.users["clinician_with"], appointment_id=video.pk, now=start)
    assert _state(video)[0] == Status.COMPLETED


def test_a_phone_consultation_called_is_completed(cast: Cast) -> None:
    start = clock.now() + dt.timedelta(hours=1)
    phone = visit_of(cast.patient, cast.clinician_with, cast.consult, start, mode=Mode.PHONE)
    clinician = cast.users["clinician_with"]
    with pytest.raises(EncounterRefused) as early:
        services.call_record(
            actor=clinician, appointment_id=phone.pk, outcome="called", now=start - dt.timedelta(minutes=16)
        )
    assert early.value.code == "visit_not_started" and not CallAttempt.objects.exists()
    services.call_record(actor=clinician, appointment_id=phone.pk, outcome="call_again", note="zajęte", now=start)
    attempt = services.call_record(
        actor=clinician, appointment_id=phone.pk, outcome="called", now=start + dt.timedelta(minutes=3)
    )
    assert attempt.by == clinician and attempt.outcome == "called"
    assert _state(phone) == (Status.COMPLETED, start + dt.timedelta(minutes=3), clinician.pk)
    assert list(CallAttempt.objects.values_list("outcome", "note")) == [("call_again", "zajęte"), ("called", "")]
    with pytest.raises(EncounterRefused) as again:
        services.call_record(actor=clinician, appointment_id=phone.pk, outcome="called", now=start)
    assert again.value.code == "already_completed" and CallAttempt.objects.count() == 2


def test_a_phone_consultation_not_reached_twice_may_be_closed_as_a_no_show(cast: Cast) -> None:
    start = clock.now() + dt.timedelta(hours=1)
    phone = visit_of(cast.patient, cast.clinician_with, cast.consult, start, mode=Mode.PHONE)
    clinician = cast.users["clinician_with"]
    services.call_record(actor=clinician, appointment_id=phone.pk, outcome="not_reached", now=start)
    with pytest.raises(EncounterRefused) as once:
        services.visit_no_show(actor=clinician, appointment_id=phone.pk, now=start + dt.timedelta(minutes=5))
    assert once.value.code == "not_reached_too_few" and _state(phone)[0] == Status.BOOKED
    services.call_record(
        actor=clinician, appointment_id=phone.pk, outcome="not_reached", now=start + dt.timedelta(minutes=10)
    )
    services.visit_no_show(actor=clinician, appointment_id=phone.pk, now=start + dt.timedelta(minutes=11))
    assert _state(phone)[0] == Status.NO_SHOW


def test_calls_are_refused_outside_the_rules_and_store_nothing(cast: Cast) -> None:
    start = clock.now() + dt.timedelta(hours=1)
    phone = visit_of(cast.patient, cast.clinician_with, cast.consult, start, mode=Mode.PHONE)
    clinician = cast.users["clinician_with"]
    with pytest.raises(EncounterRefused) as in_person:
        services.call_record(actor=clinician, appointment_id=cast.visit.pk, outcome="called", now=start)
    assert in_person.value.code == "not_a_phone_consultation"
    next_day = clock.at_warsaw(clock.local(start).date() + dt.timedelta(days=1), dt.time(0, 1))
    with pytest.raises(EncounterRefused) as over:
        services.call_record(actor=clinician, appointment_id=phone.pk, outcome="not_reached", now=next_day)
    assert over.value.code == "call_day_over"
    for outcome, note in (("maybe", ""), ("called", "a\x00b"), ("called", "x" * 301)):
        with pytest.raises(ValidationFailed):
            services.call_record(actor=clinician, appointment_id=phone.pk, outcome=outcome, note=note, now=start)
    with pytest.raises(NotFound):
        services.call_record(
            actor=cast.users["clinician_without"], appointment_id=phone.pk, outcome="called", now=start
        )
    with pytest.raises(PermissionDenied):
        services.call_record(
            actor=cast.users["receptionist_here"], appointment_id=phone.pk, outcome="called", now=start
        )
    assert not CallAttempt.objects.exists() and _state(phone)[0] == Status.BOOKED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_complete_the_visit_once() -> None:
    """The row lock: two "completed" at the same moment — one wins, the other says it is done already."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from tests.cast import build_cast

    cast = build_cast()
    start = cast.visit.slot.starts_at

    def complete() -> str:
        try:
            services.visit_complete(actor=cast.users["clinician_with"], appointment_id=cast.visit.pk, now=start)
            return "ok"
        except EncounterRefused as refused:
            return refused.code
        finally:
            connection.close()

    with time_machine.travel(start, tick=True), ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(lambda _: complete(), range(2)))
    assert results == ["already_completed", "ok"]
