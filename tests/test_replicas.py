"""Searches and read-only pages on a real streaming replica (issue 16, PERF), a booking on the primary (BKG-2),
read-your-writes after a booking, the fallback when the replica is down, and that a refused request changes nothing.

Real parts: the PostgreSQL test server and its streaming replica (scripts/pg-replica-up), in `make test`'s
PostgreSQL run (``-m replica``). The test data is committed (``transaction=True``) and each test waits until the
replica has replayed the primary's WAL up to that point before it reads there."""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import connections
from django.test import AsyncClient, Client
from django.test.utils import CaptureQueriesContext

from carenet.booking.models import Appointment
from carenet.core import clock, replicas
from carenet.portal.tests.booking_world import World, build_world, url

pytestmark = [
    pytest.mark.replica,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "replica_1"]),
]

ROOT = Path(__file__).resolve().parent.parent
SLOT_TABLE = '"scheduling_slot"'
APPOINTMENT_TABLE = '"booking_appointment"'


def sql(alias: str, query: str, *params: Any) -> Any:
    with connections[alias].cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchone()[0]


def caught_up(timeout: float = 15.0) -> None:
    """Wait until the replica has replayed everything the primary had written when this was called."""
    lsn = sql("default", "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + timeout
    while not sql("replica_1", "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", lsn):
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.02)


@pytest.fixture
def replica() -> Iterator[str]:
    """``replica_1`` pointed at the real replica's copy of this test database (in the rest of the suite the alias is
    a mirror of the primary's test database)."""
    connection = connections["replica_1"]
    mirror = connection.settings_dict
    configured = settings.DATABASES["replica_1"]
    connection.close()
    connection.settings_dict = {
        **mirror,
        "HOST": configured["HOST"],
        "PORT": configured["PORT"],
        "OPTIONS": configured.get("OPTIONS", {}),
        "NAME": connections["default"].settings_dict["NAME"],
    }
    replicas._down_until.clear()
    try:
        assert sql("replica_1", "SELECT pg_is_in_recovery()") is True  # a standby, not the primary again
        assert sql("default", "SELECT pg_is_in_recovery()") is False
        yield "replica_1"
    finally:
        connection.close()
        connection.settings_dict = mirror
        replicas._down_until.clear()


@pytest.fixture
def world(replica: str) -> World:
    world = build_world()
    caught_up()
    return world


def patient_client(world: World, who: str = "patient_a") -> Client:
    client = Client()
    client.force_login(getattr(world, who).user)
    return client


def served(alias: str, captured: CaptureQueriesContext, table: str) -> bool:
    return any(table in query["sql"] for query in captured.captured_queries)


def request_on_both(call: Any) -> tuple[Any, CaptureQueriesContext, CaptureQueriesContext]:
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica_1"]) as standby,
    ):
        response = call()
    return response, primary, standby


def test_the_slot_search_is_served_by_the_replica(world: World) -> None:
    client = patient_client(world)
    answer, primary, standby = request_on_both(lambda: client.get("/api/v1/slots", world.search_params()))
    assert answer.status_code == 200
    assert {row["id"] for row in answer.json()["results"]} >= {slot.pk for slot in world.slots}
    assert served("replica_1", standby, SLOT_TABLE)
    assert not served("default", primary, SLOT_TABLE)
    # The portal's search page too, HTMX results and all.
    page, primary, standby = request_on_both(lambda: client.get(url("portal:search"), world.search_params()))
    assert page.status_code == 200
    assert url("portal:book", world.slots[0].pk) in page.content.decode()
    assert served("replica_1", standby, SLOT_TABLE) and not served("default", primary, SLOT_TABLE)
    # Served over ASGI (make demo's server) the decision reaches the view as well.
    asgi = AsyncClient()
    asgi.force_login(world.patient_a.user)
    answer, primary, standby = request_on_both(lambda: async_to_sync(asgi.get)("/api/v1/slots", world.search_params()))
    assert answer.status_code == 200 and served("replica_1", standby, SLOT_TABLE)
    assert not served("default", primary, SLOT_TABLE)


def test_a_booking_is_made_on_the_primary_and_the_patient_sees_it_at_once(world: World, settings: Any) -> None:
    settings.CARENET_REPLICA_MAX_LAG_SECONDS = 600  # the replica held back below still serves, to show it is behind
    client = patient_client(world)
    assert client.get(url("portal:visits")).status_code == 200
    sql("replica_1", "SELECT pg_wal_replay_pause()")  # the replica falls behind: it will not see the booking
    try:
        page = url("portal:book", world.slots[0].pk) + "?service=konsultacja-interna"
        response, primary, standby = request_on_both(lambda: client.post(page))
        appointment = Appointment.objects.using("default").get()
        assert response.status_code == 302 and response.url == url("portal:visit", appointment.pk)
        assert served("default", primary, APPOINTMENT_TABLE) and not standby.captured_queries
        assert replicas.PIN_COOKIE in response.cookies
        assert not Appointment.objects.using("replica_1").exists()  # not there yet
        # Read-your-writes: "Moje wizyty" right after the booking comes from the primary and shows it.
        visits, primary, standby = request_on_both(lambda: client.get(url("portal:visits")))
        assert url("portal:visit", appointment.pk) in visits.content.decode()
        assert served("default", primary, APPOINTMENT_TABLE) and not served("replica_1", standby, APPOINTMENT_TABLE)
        # Without the marker (another browser of the same patient) the page is the replica's, still behind:
        # proof that the page does read from the replica and that the marker is what sends this one to the primary.
        elsewhere = patient_client(world)
        stale, primary, standby = request_on_both(lambda: elsewhere.get(url("portal:visits")))
        assert stale.status_code == 200 and url("portal:visit", appointment.pk) not in stale.content.decode()
        assert served("replica_1", standby, APPOINTMENT_TABLE)
        # Within the lag budget only: a replica whose replay is further behind than that is not used at all.
        settings.CARENET_REPLICA_MAX_LAG_SECONDS = 0
        current, primary, standby = request_on_both(lambda: elsewhere.get(url("portal:visits")))
        assert url("portal:visit", appointment.pk) in current.content.decode()
        assert served("default", primary, APPOINTMENT_TABLE) and not served("replica_1", standby, APPOINTMENT_TABLE)
        settings.CARENET_REPLICA_MAX_LAG_SECONDS = 600
        # Once the pin has run out the patient's own browser reads from the replica again.
        pin_over = clock.now() + dt.timedelta(seconds=replicas.pin_seconds() + 1)
        with time_machine.travel(pin_over, tick=True):
            later, primary, standby = request_on_both(lambda: client.get(url("portal:visits")))
        assert later.status_code == 200 and served("replica_1", standby, APPOINTMENT_TABLE)
    finally:
        sql("replica_1", "SELECT pg_wal_replay_resume()")
    caught_up()
    assert Appointment.objects.using("replica_1").get().pk == appointment.pk


def test_a_refused_booking_and_a_write_to_a_read_route_change_nothing(world: World) -> None:
    taken = world.slots[0]
    page = url("portal:book", taken.pk) + "?service=konsultacja-interna"
    assert patient_client(world, "patient_b").post(page).status_code == 302  # patient B books it first
    before = list(Appointment.objects.using("default").values_list("pk", "slot_id", "patient_id", "status"))
    client = patient_client(world)
    refused, _, standby = request_on_both(lambda: client.post(page))
    assert refused.status_code == 422 and not standby.captured_queries  # answered by the primary, slot taken
    # A POST to the search answers 405 and changes nothing either.
    assert client.post("/api/v1/slots", world.search_params()).status_code == 405
    after = list(Appointment.objects.using("default").values_list("pk", "slot_id", "patient_id", "status"))
    assert after == before
    caught_up()
    assert list(Appointment.objects.using("replica_1").values_list("pk", "slot_id", "patient_id", "status")) == before


def replica_script(name: str, *args: str) -> str:
    result = subprocess.run([str(ROOT / "scripts" / name), *args], capture_output=True, text=True, check=True)
    return result.stdout.strip()


def test_a_replica_that_is_down_is_skipped_and_the_search_still_answers(world: World) -> None:
    primary_port = str(connections["default"].settings_dict["PORT"])
    replica_port = str(settings.DATABASES["replica_1"]["PORT"])
    client = patient_client(world)
    assert client.get("/api/v1/slots", world.search_params()).status_code == 200  # a connection to the replica kept
    before = Appointment.objects.using("default").count()
    replica_script("pg-replica-down", primary_port)
    try:
        with CaptureQueriesContext(connections["default"]) as primary:
            answer = client.get("/api/v1/slots", world.search_params())
        assert answer.status_code == 200
        assert {row["id"] for row in answer.json()["results"]} >= {slot.pk for slot in world.slots}
        assert served("default", primary, SLOT_TABLE)
        assert "replica_1" in replicas._down_until  # not tried again for a few seconds
        page = client.get(url("portal:visits"))
        assert page.status_code == 200
    finally:
        replica_script("pg-replica-up", primary_port, replica_port)
    assert Appointment.objects.using("default").count() == before
    replicas._down_until.clear()  # the few seconds are over
    caught_up()
    answer, primary, standby = request_on_both(lambda: client.get("/api/v1/slots", world.search_params()))
    assert answer.status_code == 200 and served("replica_1", standby, SLOT_TABLE)
    assert not served("default", primary, SLOT_TABLE)
