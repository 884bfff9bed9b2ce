"""The authorization matrix (STYLE rule 8, SEC): every endpoint × every role, with the expected status written out.

The world (see ``conftest.py``): patient A has a booked visit (``booked``, slot 0) and a hold (``held``, slot 1) at
``facility``, both made in the mobile app. Slot 2 is free. Requests name patient A, or A's appointments.

A denied request (any 4xx) must change nothing: appointments, their statuses, the slots' ``is_free``, the outbox.
Another patient's appointment, or a body naming another patient, answers 404 — never 403 — so nobody learns it
exists. Roles that never act for patients (clinician, coordinator) get 403 ``role_not_allowed`` on patient
endpoints; a receptionist books only at their own facility (403) and sees only its visits (404).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from carenet.api.tests.conftest import ROLES, World
from carenet.booking.models import Appointment
from carenet.messaging.models import OutboundMessage
from carenet.scheduling.models import Slot

# Columns: anonymous, patient A, patient B, level I patient, clinician (no relation), receptionist of another
# facility, receptionist of the facility, call-centre operator, coordinator, administrator.
EXPECTED = """
endpoint          anon  pat_a  pat_b  lvl_1  clin  rcp_oth  rcp_fac  oper  coord  admin
search            401   200    200    200    200   200      200      200   200    200
search_for_a      401   200    404    404    403   200      200      200   403    200
list_for_a        401   200    404    404    403   200      200      200   403    200
detail            401   200    404    404    404   404      200      200   404    200
book_for_a        401   201    404    404    403   403      201      201   403    201
hold_for_a        401   201    404    404    403   403      201      201   403    201
confirm_hold      401   200    404    404    403   404      403      403   403    200
reschedule        401   200    404    404    403   404      200      200   403    200
cancel            401   200    404    404    403   404      200      200   403    200
own_history       401   200    200    403    403   422      422      422   403    422
history_for_a     401   200    404    404    403   200      200      200   403    200
"""


def _table() -> dict[str, dict[str, int]]:
    lines = [line.split() for line in EXPECTED.strip().splitlines()]
    header, rows = lines[0][1:], lines[1:]
    assert len(header) == len(ROLES)
    return {row[0]: dict(zip(ROLES, map(int, row[1:]), strict=True)) for row in rows}


TABLE = _table()

Request = Callable[[Client, World], Any]

REQUESTS: dict[str, Request] = {
    "search": lambda c, w: c.get("/api/v1/slots", {"specialty": "interna"}),
    "search_for_a": lambda c, w: c.get("/api/v1/slots", {"specialty": "interna", "patient_id": w.patient_a.pk}),
    "list_for_a": lambda c, w: c.get("/api/v1/appointments", {"patient_id": w.patient_a.pk}),
    "detail": lambda c, w: c.get(f"/api/v1/appointments/{w.booked.pk}"),
    "book_for_a": lambda c, w: c.post(
        "/api/v1/appointments",
        {"slot_id": w.slots[2].pk, "patient_id": w.patient_a.pk},
        content_type="application/json",
    ),
    "hold_for_a": lambda c, w: c.post(
        "/api/v1/appointments/hold",
        {"slot_id": w.slots[2].pk, "patient_id": w.patient_a.pk},
        content_type="application/json",
    ),
    "confirm_hold": lambda c, w: c.post(
        f"/api/v1/appointments/{w.held.pk}/confirm", {}, content_type="application/json"
    ),
    "reschedule": lambda c, w: c.post(
        f"/api/v1/appointments/{w.booked.pk}/reschedule",
        {"new_slot_id": w.slots[2].pk},
        content_type="application/json",
    ),
    "cancel": lambda c, w: c.post(f"/api/v1/appointments/{w.booked.pk}/cancel"),
    # ACC-4: visit history is a level II feature (403 level_two_required for a level I patient's own history).
    "own_history": lambda c, w: c.get("/api/v1/appointments", {"upcoming": "false"}),
    "history_for_a": lambda c, w: c.get("/api/v1/appointments", {"patient_id": w.patient_a.pk, "upcoming": "false"}),
}
assert set(REQUESTS) == set(TABLE)


def state() -> tuple[Any, ...]:
    """Everything a denied request must leave as it was."""
    return (
        sorted(Appointment.objects.values_list("pk", "status", "slot_id", "patient_id")),
        sorted(Slot.objects.values_list("pk", "is_free")),
        OutboundMessage.objects.count(),
    )


CASES = [(endpoint, role, TABLE[endpoint][role]) for endpoint in TABLE for role in ROLES]


@pytest.mark.parametrize(("endpoint", "role", "expected"), CASES, ids=[f"{e}-{r}" for e, r, _ in CASES])
def test_authorization_matrix(world: World, endpoint: str, role: str, expected: int) -> None:
    before = state()

    response = REQUESTS[endpoint](world.client(role), world)

    assert response.status_code == expected, response.content
    body = response.json()
    if expected >= 400:
        assert set(body) >= {"code", "message"}
        assert state() == before, "a denied request changed something"
    if expected == 404:
        assert str(world.patient_a.pk) not in response.content.decode() or endpoint.startswith("search")


def test_a_list_never_shows_another_patients_visits(world: World) -> None:
    for role in ("patient_b", "level_one"):
        body = world.client(role).get("/api/v1/appointments").json()
        assert body == {"results": []}, role
    mine = world.client("patient_a").get("/api/v1/appointments").json()["results"]
    assert [item["id"] for item in mine] == [world.booked.pk]


def test_the_receptionist_of_another_facility_sees_none_of_its_visits(world: World) -> None:
    body = world.client("receptionist_other").get("/api/v1/appointments", {"patient_id": world.patient_a.pk}).json()
    assert body == {"results": []}


@pytest.mark.parametrize("role", ["patient_b", "level_one"])
def test_a_body_naming_another_patient_is_404_and_books_nothing(world: World, role: str) -> None:
    before = state()
    for patient in (world.patient_a, world.child_a):
        response = world.client(role).post(
            "/api/v1/appointments",
            {"slot_id": world.slots[3].pk, "patient_id": patient.pk},
            content_type="application/json",
        )
        assert response.status_code == 404
    assert state() == before


def test_a_guardian_books_for_their_child(world: World) -> None:
    response = world.client("patient_a").post(
        "/api/v1/appointments",
        {"slot_id": world.slots[3].pk, "patient_id": world.child_a.pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["patient_id"] == world.child_a.pk
    family = world.client("patient_a").get("/api/v1/appointments").json()["results"]
    assert {item["patient_id"] for item in family} == {world.patient_a.pk, world.child_a.pk}
