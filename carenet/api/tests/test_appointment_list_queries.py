"""``GET /appointments`` at network scale (issue 5, B4): the list is read on the appointments and their slots only and
what an item shows is attached by primary key — a fixed number of queries whatever the history, the same items in
the same order (planned earliest first, the family in turn; history latest first, ACC-4; holds never)."""

from __future__ import annotations

import datetime as dt
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from carenet.accounts.models import Patient
from carenet.api.tests.conftest import World, visit_day
from carenet.api.tests.factories import make_slot
from carenet.booking.models import Appointment, Channel
from carenet.core import clock

Status = Appointment.Status


def visit(world: World, patient: Patient, *, days: int, status: str = Status.COMPLETED) -> Appointment:
    """A visit ``days`` from today (negative: in the past) at 7:00, written directly (a fixture)."""
    slot = make_slot(
        starts_at=clock.at_warsaw(clock.today() + dt.timedelta(days=days), dt.time(7)),
        clinician=world.slots[0].clinician,
        facility=world.facility,
        specialty=world.service.specialty,
        services=[world.service],
        is_free=False,
    )
    return Appointment.objects.create(
        patient=patient, slot=slot, service=world.service, channel=Channel.MOBILE, booked_by=patient.user, status=status
    )


def listed(world: World, **params: str) -> tuple[list[int], list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = world.client("patient_a").get("/api/v1/appointments", params)
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]], [q["sql"] for q in queries.captured_queries]


def test_the_history_costs_the_same_queries_with_2_and_40_visits_latest_first(world: World) -> None:
    first = [visit(world, world.patient_a, days=-day) for day in (1, 2)]
    listed(world, upcoming="false")  # the token's first use of the day is written down
    ids, small = listed(world, upcoming="false")
    assert ids == [appointment.pk for appointment in first]
    more = [visit(world, world.patient_a, days=-day) for day in range(3, 41)]
    visit(world, world.patient_a, days=-41, status=Status.EXPIRED)
    ids, large = listed(world, upcoming="false")
    assert ids == [appointment.pk for appointment in first + more]
    assert len(large) == len(small), large


def test_planned_visits_of_the_family_in_turn_earliest_first_and_joined_with_the_slot_only(world: World) -> None:
    later = visit(world, world.patient_a, days=5, status=Status.BOOKED)
    childs = visit(world, world.child_a, days=4, status=Status.BOOKED)
    assert world.booked is not None and world.held is not None
    ids, statements = listed(world)
    assert ids == [world.booked.pk, later.pk, childs.pk]  # patient A's (no hold), then the child's
    lists = [sql for sql in statements if '"booking_appointment"."patient_id" = ' in sql]
    assert len(lists) == 2, lists
    for sql in lists:
        assert set(re.findall(r'JOIN "(\w+)"', sql)) <= {"scheduling_slot"}, sql
    assert len([sql for sql in statements if 'FROM "scheduling_slot"' in sql]) == 1


def test_an_item_shows_the_patient_service_clinician_and_facility(world: World) -> None:
    assert world.booked is not None
    booked = Appointment.objects.select_related("patient", "slot__clinician", "slot__facility").get(pk=world.booked.pk)
    [item] = world.client("patient_a").get("/api/v1/appointments").json()["results"]
    assert (item["id"], item["patient_name"]) == (booked.pk, booked.patient.full_name)
    assert item["service"]["code"] == world.service.code
    assert item["slot"]["clinician"]["id"] == booked.slot.clinician_id
    assert item["slot"]["facility"] == {
        "id": world.facility.pk,
        "name": world.facility.name,
        "address": world.facility.address,
        "city": "Warszawa",
    }
    assert item["slot"]["starts_at"].startswith(visit_day().isoformat())
