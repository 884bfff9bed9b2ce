""" "Moje wizyty" at network scale (issue 5, B4): the lists are read on the appointments and their slots only, and
what the rows show is attached by primary key — a fixed number of queries whatever the history, and the same rows
in the same order as before (ACC-3: planned visits; ACC-4: the visit history; holds are never listed)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from carenet.accounts.models import Patient
from carenet.api.tests.factories import make_slot
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.portal.tests.booking_world import World, booked, build_world, url
from carenet.scheduling.models import Mode, Slot

pytestmark = pytest.mark.django_db

Status = Appointment.Status

#: The tables a page query of the visit lists may name besides ``booking_appointment``.
LIST_JOINS = {"scheduling_slot"}
#: Relations a row shows, read by primary key after the page is chosen — never joined to the appointments.
DETAIL_TABLES = ('"accounts_patient"', '"network_facility"', '"network_clinician"', '"network_city"', '"network_room"')


@pytest.fixture
def world() -> World:
    return build_world()


def patient_client(world: World) -> Client:
    client = Client()
    client.force_login(world.patient_a.user)
    return client


def past_slot(world: World, *, days_ago: int, hour: int = 9) -> Slot:
    return make_slot(
        starts_at=clock.at_warsaw(clock.today() - dt.timedelta(days=days_ago), dt.time(hour)),
        clinician=world.slots[0].clinician,
        facility=world.centre,
        specialty=world.slots[0].specialty,
        services=[world.consultation],
    )


def history(world: World, patient: Patient, *, days: range) -> list[Appointment]:
    """Completed visits, one a day ``days`` ago, latest first."""
    return [booked(patient, past_slot(world, days_ago=day), status=Status.COMPLETED) for day in sorted(days)]


def get_visits(client: Client, **params: Any) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("portal:visits"), params)
    assert response.status_code == 200
    return response, [query["sql"] for query in queries.captured_queries]


def list_statements(statements: list[str]) -> list[str]:
    """The page's reads of the visit lists: the appointments of one patient (``patient_id = …``)."""
    return [
        sql
        for sql in statements
        if 'FROM "booking_appointment"' in sql and '"booking_appointment"."patient_id" = ' in sql
    ]


def test_the_page_costs_the_same_queries_with_2_and_40_past_visits(world: World) -> None:
    """B4: the query count does not grow with the history, on the first page and on a later one."""
    booked(world.patient_a, world.slots[0])
    booked(world.child, world.slots[1])
    history(world, world.patient_a, days=range(1, 3))
    client = patient_client(world)
    client.get(url("portal:visits"))  # sessions, caches
    _response, small = get_visits(client)
    history(world, world.patient_a, days=range(3, 41))
    response, large = get_visits(client)
    assert len(response.context["past_page"].object_list) == 10
    assert len(large) == len(small), large
    _response, later = get_visits(client, page=3)
    assert len(later) == len(small), later


def test_planned_earliest_first_past_latest_first_holds_never(world: World) -> None:
    """ACC-3/ACC-4: planned visits of the patient and of the children they act for, earliest first; the visit
    history of the chosen person, latest first, with cancelled ones; holds and expired holds in neither list."""
    mine_late = booked(world.patient_a, world.other_slot)  # 12:00
    mine_early = booked(world.patient_a, world.slots[1])  # 9:15
    by_phone = booked(  # a teleconsultation: no facility, no room
        world.patient_a,
        make_slot(
            starts_at=clock.at_warsaw(world.day, dt.time(16)),
            clinician=world.slots[0].clinician,
            specialty=world.slots[0].specialty,
            services=[world.consultation],
            mode=Mode.PHONE,
        ),
    )
    childs = booked(world.child, world.slots[0])  # 9:00
    booked(world.patient_a, world.slots[2], status=Status.HELD, hold_expires_at=clock.now() + dt.timedelta(minutes=5))
    cancelled = booked(world.patient_a, world.paid_slot, status=Status.CANCELLED)  # upcoming slot, cancelled
    completed = booked(world.patient_a, past_slot(world, days_ago=3), status=Status.COMPLETED)
    missed = booked(world.patient_a, past_slot(world, days_ago=10), status=Status.NO_SHOW)
    booked(world.patient_a, past_slot(world, days_ago=1), status=Status.EXPIRED)
    childs_past = booked(world.child, past_slot(world, days_ago=5), status=Status.COMPLETED)

    response, _statements = get_visits(patient_client(world))

    planned = [appointment for appointment, _cancellable in response.context["planned"]]
    assert planned == [childs, mine_early, mine_late, by_phone]
    assert [appointment.patient for appointment in planned] == [world.child] + [world.patient_a] * 3
    assert planned[-1].slot.facility is None and planned[-1].slot.room is None
    assert list(response.context["past_page"]) == [cancelled, completed, missed]
    html = response.content.decode()
    assert world.consultation.name in html and world.ultrasound.name in html
    assert "Lekarska" in html and world.centre.name in html and world.other_centre.name in html
    assert "By phone: the clinician calls you" in html  # a remote visit: never a clinic address
    childs_history, _statements = get_visits(patient_client(world), who=world.child.pk)
    assert list(childs_history.context["past_page"]) == [childs_past]


def test_the_list_queries_join_the_slot_only(world: World) -> None:
    """B4: filtering, ordering, counting and paging read ``booking_appointment`` ⨝ ``scheduling_slot``; the
    patient, service, clinician, facility, city, room and who booked come by primary key, the slots in one query."""
    booked(world.patient_a, world.slots[0])
    booked(world.child, world.slots[1])
    history(world, world.patient_a, days=range(1, 13))

    _response, statements = get_visits(patient_client(world), page=2)

    lists = list_statements(statements)
    # the planned visits of the patient and of the child, the history's count, its page
    assert len(lists) == 4, lists
    assert any("ORDER BY" in sql and "LIMIT" in sql for sql in lists)
    assert any("COUNT(" in sql and "LIMIT" not in sql for sql in lists)  # the history counted (grouped by the patient)
    for sql in lists:
        assert set(re.findall(r'JOIN "(\w+)"', sql)) <= LIST_JOINS, sql
    for sql in statements:
        if 'FROM "booking_appointment"' in sql:
            assert not [table for table in DETAIL_TABLES if table in sql], sql
    slot_reads = [sql for sql in statements if 'FROM "scheduling_slot"' in sql]
    assert len(slot_reads) == 1, slot_reads  # the slots of both lists, with their details, by primary key
    assert '"booking_appointment"' not in slot_reads[0] and " ORDER BY " not in slot_reads[0]


def test_without_closure_notices_the_page_asks_for_them_on_the_notices_alone(world: World) -> None:
    """Issue 16: a family with no visit cancelled by a closure (the usual case) costs one narrow query on the notices
    (no join of the nine tables a notice shows); the page's count stays flat with the history."""
    booked(world.patient_a, world.slots[0])
    history(world, world.patient_a, days=range(1, 21))
    client = patient_client(world)
    client.get(url("portal:visits"))  # sessions, caches
    _response, statements = get_visits(client)
    notices = [sql for sql in statements if 'FROM "closures_closurenotice"' in sql]
    assert len(notices) == 1, notices
    assert "JOIN" not in notices[0], notices
    # issue 16: whom the patient acts for read once; no booked-by read; the login read with its device (a guardian:
    # the family in a query of its own)
    assert len(statements) == 13, statements
