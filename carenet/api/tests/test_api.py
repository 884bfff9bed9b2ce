"""The JSON API: tokens, session + CSRF, search, booking flows, error codes, idempotency, the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from django.conf import settings
from django.db import connection
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from carenet.api.auth import token_issue
from carenet.api.idempotency import IN_PROGRESS_TIMEOUT, RETENTION, idempotency_prune
from carenet.api.models import AccessToken, IdempotencyRecord
from carenet.api.tests.conftest import World, visit_day
from carenet.api.tests.factories import PASSWORD, FacilityFactory, make_slot
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.core.testing import run_in_threads
from carenet.messaging.models import OutboundMessage
from carenet.network.models import FacilityClosure


def post(client: Client, path: str, body: dict | None = None, **headers):
    return client.post(path, json.dumps(body or {}), content_type="application/json", headers=headers)


# --- Tokens --------------------------------------------------------------------------------------------------------
def test_a_token_is_issued_for_the_right_password_and_stored_only_as_a_hash(world: World) -> None:
    user = world.users["patient_a"]
    response = post(Client(), "/api/v1/auth/token", {"login": user.username, "password": PASSWORD, "name": "Pixel"})
    assert response.status_code == 201, response.content
    token = response.json()["token"]
    assert response.json()["token_type"] == "bearer"
    assert not AccessToken.objects.filter(key_hash=token).exists()
    mine = Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/appointments")
    assert mine.status_code == 200


def test_a_wrong_password_is_401_with_a_code(world: World) -> None:
    user = world.users["patient_a"]
    response = post(Client(), "/api/v1/auth/token", {"login": user.username, "password": "wrong-password"})
    assert (response.status_code, response.json()["code"]) == (401, "invalid_credentials")


def test_a_revoked_token_no_longer_opens_anything(world: World) -> None:
    client = world.client("patient_a")
    assert client.delete("/api/v1/auth/token").status_code == 204
    response = client.get("/api/v1/appointments")
    assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")


def test_an_expired_or_unknown_token_is_401(world: World) -> None:
    token, _record = token_issue(user=world.users["patient_a"], name="old", now=clock.now() - dt.timedelta(days=400))
    for bearer in (token, "not-a-token"):
        response = Client(headers={"Authorization": f"Bearer {bearer}"}).get("/api/v1/appointments")
        assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")


def test_the_session_works_with_its_csrf_token(world: World) -> None:
    """The portal's HTMX calls: session cookie, and for writes the CSRF token."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["patient_a"])
    assert client.get("/api/v1/appointments").status_code == 200
    refused = post(client, "/api/v1/appointments", {"slot_id": world.slots[2].pk})
    assert (refused.status_code, refused.json()["code"]) == (403, "csrf_failed")
    page = RequestFactory().get("/")
    csrf_value = get_token(page)  # what a portal page embeds; its secret goes in the cookie
    client.cookies[settings.CSRF_COOKIE_NAME] = page.META["CSRF_COOKIE"]
    booked = post(client, "/api/v1/appointments", {"slot_id": world.slots[2].pk}, **{"X-CSRFToken": csrf_value})
    assert booked.status_code == 201, booked.content
    assert booked.json()["channel"] == "portal"


# --- Search --------------------------------------------------------------------------------------------------------
def test_search_shows_coverage_preparation_and_partners_to_phone(world: World) -> None:
    """SCH-2, SCH-4, NET-2, PKG-2: partners of the patient's contract are listed to phone; others are not."""
    partner = FacilityFactory(city=world.facility.city, partner=True, phone="+48 22 555 00 00")
    FacilityFactory(city=world.facility.city, partner=True, phone="+48 22 555 99 99")  # not in the contract
    world.patient_a.enrolments.get().contract.partner_facilities.add(partner)
    make_slot(starts_at=clock.at_warsaw(visit_day(), dt.time(9)), facility=partner, specialty=world.service.specialty)
    body = world.client("patient_a").get("/api/v1/slots", {"specialty": "interna", "city_id": world.facility.city_id})
    assert body.status_code == 200, body.content
    data = body.json()
    assert [slot["id"] for slot in data["results"]] == [slot.pk for slot in world.slots[2:]]
    first = data["results"][0]
    assert first["coverage"]["status"] == "covered"
    assert first["preparation"] == "Zabierz wyniki badań."
    assert first["facility"]["id"] == world.facility.pk
    assert [(p["id"], p["phone"]) for p in data["partners"]] == [(partner.pk, "+48 22 555 00 00")]
    assert data["has_next"] is False


def test_staff_see_coverage_only_for_a_named_patient(world: World) -> None:
    anonymous = world.client("operator").get("/api/v1/slots", {"specialty": "interna"}).json()
    assert {slot["coverage"]["status"] for slot in anonymous["results"]} == {"unknown"}
    named = world.client("operator").get("/api/v1/slots", {"specialty": "interna", "patient_id": world.patient_b.pk})
    assert {slot["coverage"]["status"] for slot in named.json()["results"]} == {"covered"}


def test_closed_facilities_are_not_searched(world: World) -> None:
    FacilityClosure.objects.create(
        facility=world.facility,
        starts_at=clock.at_warsaw(visit_day(), dt.time(0)),
        ends_at=clock.at_warsaw(visit_day(), dt.time(23)),
        reason="ochrona",
    )
    assert world.client("patient_a").get("/api/v1/slots", {"specialty": "interna"}).json()["results"] == []


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"date_from": "2026-13-45"}, "invalid_input"),
        ({"page": "many"}, "invalid_input"),
        ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "dates_reversed"),
        ({"date_from": "2026-03-01", "date_to": "2026-12-01"}, "range_too_long"),
        ({"page": "-1"}, "bad_page"),
        ({"page": "99999999"}, "bad_page"),
        ({"page_size": "500"}, "bad_page_size"),
        ({"sort": "patient__pesel"}, "unknown_sort"),
        ({"mode": "fax"}, "unknown_mode"),
        ({"specialty": "nope"}, "unknown_specialty"),
    ],
)
def test_bad_search_input_is_422_with_a_stable_code(world: World, params: dict, code: str) -> None:
    response = world.client("patient_a").get("/api/v1/slots", {"specialty": "interna", **params})
    assert response.status_code == 422
    assert response.json()["code"] == code


@pytest.mark.parametrize("extra_slots", [0, 30])
def test_a_search_page_costs_constant_queries(world: World, extra_slots: int) -> None:
    for i in range(extra_slots):
        make_slot(
            starts_at=clock.at_warsaw(visit_day(), dt.time(12)) + dt.timedelta(minutes=5 * i),
            facility=world.facility if i % 2 else world.other_facility,
            specialty=world.service.specialty,
            services=[world.service],
        )
    client = world.client("patient_a")
    client.get("/api/v1/slots", {"specialty": "interna"})  # warm the matrix cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/slots", {"specialty": "interna", "page_size": 50})
    assert len(response.json()["results"]) == 4 + extra_slots
    # token, the caller's family (the actor), their package in force (ACC-7), specialty, slots, services,
    # enrolments, year's use, prices (partners: no city → none)
    assert len(queries) <= 10, [q["sql"] for q in queries.captured_queries]


# --- Booking flows -------------------------------------------------------------------------------------------------
def test_book_then_list_then_reschedule_then_cancel(world: World) -> None:
    client = world.client("patient_a")
    booked = post(client, "/api/v1/appointments", {"slot_id": world.slots[2].pk})
    assert booked.status_code == 201, booked.content
    appointment = booked.json()
    assert (appointment["status"], appointment["channel"]) == ("booked", "mobile")
    assert appointment["preparation"] == "Zabierz wyniki badań."
    assert client.get(f"/api/v1/appointments/{appointment['id']}").json()["id"] == appointment["id"]

    moved = post(client, f"/api/v1/appointments/{appointment['id']}/reschedule", {"new_slot_id": world.slots[3].pk})
    assert moved.status_code == 200, moved.content
    assert moved.json()["slot"]["id"] == world.slots[3].pk
    assert moved.json()["rescheduled_from_id"] == appointment["id"]

    cancelled = post(client, f"/api/v1/appointments/{moved.json()['id']}/cancel")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")


def test_hold_then_confirm(world: World) -> None:
    client = world.client("patient_a")
    held = post(client, "/api/v1/appointments/hold", {"slot_id": world.slots[2].pk})
    assert held.status_code == 201, held.content
    assert held.json()["status"] == "held" and held.json()["hold_expires_at"]
    confirmed = post(client, f"/api/v1/appointments/{held.json()['id']}/confirm", {})
    assert (confirmed.status_code, confirmed.json()["status"]) == (200, "booked")


def test_every_write_answers_what_a_read_of_the_visit_answers(world: World) -> None:
    """A write's answer is built from the service's own appointment (no reload): it must say exactly what
    GET /appointments/{id} says right after — the price as stored ("0.00"), the slot, the facility, the times."""
    client = world.client("patient_a")

    def same_as_read(response) -> dict:  # type: ignore[no-untyped-def]
        assert response.status_code in (200, 201), response.content
        assert response.json() == client.get(f"/api/v1/appointments/{response.json()['id']}").json()
        return response.json()

    booked = same_as_read(post(client, "/api/v1/appointments", {"slot_id": world.slots[2].pk}))
    assert booked["price"] == "0.00"
    moved = same_as_read(
        post(client, f"/api/v1/appointments/{booked['id']}/reschedule", {"new_slot_id": world.slots[3].pk})
    )
    held = same_as_read(post(client, "/api/v1/appointments/hold", {"slot_id": world.slots[4].pk}))
    same_as_read(post(client, f"/api/v1/appointments/{held['id']}/confirm", {}))
    same_as_read(post(client, f"/api/v1/appointments/{moved['id']}/cancel"))


def test_a_booking_answer_is_built_without_reading_the_visit_back(world: World) -> None:
    """B3: the booked appointment carries what the answer shows (its slot was read with its details under the lock),
    so after the insert the request only writes — besides the dispatch hint's look at the task queue."""
    client = world.client("patient_a")
    with CaptureQueriesContext(connection) as captured:
        booked = post(client, "/api/v1/appointments", {"slot_id": world.slots[2].pk})
    assert booked.status_code == 201, booked.content
    statements = [query["sql"] for query in captured.captured_queries]
    inserted = next(i for i, sql in enumerate(statements) if sql.startswith('INSERT INTO "booking_appointment"'))
    reads = [sql for sql in statements[inserted:] if sql.startswith("SELECT") and "django_tasks" not in sql]
    assert reads == []


def test_staff_bookings_record_their_channel(world: World) -> None:
    response = post(
        world.client("receptionist_facility"),
        "/api/v1/appointments",
        {"slot_id": world.slots[2].pk, "patient_id": world.patient_b.pk},
    )
    assert response.json()["channel"] == "reception"
    appointment = Appointment.objects.get(pk=response.json()["id"])
    assert appointment.booked_by == world.users["receptionist_facility"]


def test_unknown_slot_is_404_slot_not_found(world: World) -> None:
    response = post(world.client("patient_a"), "/api/v1/appointments", {"slot_id": 999_999})
    assert (response.status_code, response.json()["code"]) == (404, "slot_not_found")


def test_a_taken_slot_is_409_slot_taken(world: World) -> None:
    response = post(world.client("patient_b"), "/api/v1/appointments", {"slot_id": world.slots[0].pk})
    assert (response.status_code, response.json()["code"]) == (409, "slot_taken")


def test_a_malformed_body_is_422_invalid_input(world: World) -> None:
    response = post(world.client("patient_a"), "/api/v1/appointments", {"slot_id": "soon"})
    assert (response.status_code, response.json()["code"]) == (422, "invalid_input")
    assert response.json()["details"][0]["loc"][-1] == "slot_id"


def test_staff_must_name_the_patient(world: World) -> None:
    response = world.client("operator").get("/api/v1/appointments")
    assert (response.status_code, response.json()["code"]) == (422, "patient_id_required")


# --- Idempotency ---------------------------------------------------------------------------------------------------
def test_the_same_key_replays_the_first_answer(world: World) -> None:
    client = world.client("patient_a")
    body = {"slot_id": world.slots[2].pk}
    first = post(client, "/api/v1/appointments", body, **{"Idempotency-Key": "k-1"})
    again = post(client, "/api/v1/appointments", body, **{"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert Appointment.objects.filter(slot=world.slots[2]).count() == 1


def test_the_same_key_with_another_body_is_refused(world: World) -> None:
    client = world.client("patient_a")
    post(client, "/api/v1/appointments", {"slot_id": world.slots[2].pk}, **{"Idempotency-Key": "k-2"})
    other = post(client, "/api/v1/appointments", {"slot_id": world.slots[3].pk}, **{"Idempotency-Key": "k-2"})
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert world.slots[3].appointments.count() == 0


def test_a_refusal_is_replayed_too_and_keys_are_per_user(world: World) -> None:
    taken = {"slot_id": world.slots[0].pk}
    first = post(world.client("patient_b"), "/api/v1/appointments", taken, **{"Idempotency-Key": "k-3"})
    again = post(world.client("patient_b"), "/api/v1/appointments", taken, **{"Idempotency-Key": "k-3"})
    assert (first.status_code, again.status_code, again.json()["code"]) == (409, 409, "slot_taken")
    free = post(
        world.client("level_one"), "/api/v1/appointments", {"slot_id": world.slots[2].pk}, **{"Idempotency-Key": "k-3"}
    )
    assert free.status_code == 201


def test_a_key_still_running_answers_409(world: World) -> None:
    client = world.client("patient_a")
    body = {"slot_id": world.slots[2].pk}
    first = post(client, "/api/v1/appointments", body, **{"Idempotency-Key": "k-4"})
    IdempotencyRecord.objects.filter(key="k-4").update(status_code=None, response_body=None)  # as if still running
    again = post(client, "/api/v1/appointments", body, **{"Idempotency-Key": "k-4"})
    assert first.status_code == 201
    assert (again.status_code, again.json()["code"]) == (409, "idempotency_in_progress")


def test_an_expired_or_abandoned_key_is_taken_over_and_runs_for_real(world: World) -> None:
    """A record older than a day, or a claim without an answer older than the in-progress timeout, belongs to no
    running request: the same key books for real and keeps the new answer (the one record of the key)."""
    client = world.client("patient_a")
    first = post(client, "/api/v1/appointments", {"slot_id": world.slots[2].pk}, **{"Idempotency-Key": "old"})
    IdempotencyRecord.objects.filter(key="old").update(created_at=clock.now() - RETENTION - dt.timedelta(seconds=1))
    second = post(client, "/api/v1/appointments", {"slot_id": world.slots[3].pk}, **{"Idempotency-Key": "old"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json()["id"] != first.json()["id"]
    IdempotencyRecord.objects.filter(key="old").update(
        status_code=None, response_body=None, created_at=clock.now() - IN_PROGRESS_TIMEOUT - dt.timedelta(seconds=1)
    )
    third = post(client, "/api/v1/appointments", {"slot_id": world.slots[4].pk}, **{"Idempotency-Key": "old"})
    assert third.status_code == 201
    assert third.json()["id"] not in (first.json()["id"], second.json()["id"])
    record = IdempotencyRecord.objects.get(key="old")
    assert (record.status_code, record.response_body["id"]) == (201, third.json()["id"])


def test_a_keyed_write_claims_its_key_in_one_statement(world: World) -> None:
    """Issue 16: the claim is one INSERT … ON CONFLICT DO NOTHING, not an INSERT in a savepoint of its own (three
    statements); a keyed booking runs the unkeyed booking's statements, the claim, the answer's UPDATE and the
    service's savepoint pair — and its replay reads the record once and writes nothing."""
    client = world.client("patient_a")
    assert post(client, "/api/v1/appointments", {"slot_id": world.slots[4].pk}).status_code == 201  # token touched
    with CaptureQueriesContext(connection) as unkeyed:
        assert post(client, "/api/v1/appointments", {"slot_id": world.slots[2].pk}).status_code == 201
    with CaptureQueriesContext(connection) as keyed:
        booked = post(client, "/api/v1/appointments", {"slot_id": world.slots[3].pk}, **{"Idempotency-Key": "one"})
        assert booked.status_code == 201
    claims = [q["sql"] for q in keyed.captured_queries if "api_idempotencyrecord" in q["sql"]]
    assert len(claims) == 2, claims
    assert claims[0].startswith("INSERT") and "ON CONFLICT" in claims[0]
    assert claims[1].startswith("UPDATE")
    after_claim = next(i for i, q in enumerate(keyed.captured_queries) if "api_idempotencyrecord" in q["sql"]) + 1
    assert not keyed.captured_queries[after_claim]["sql"].startswith("RELEASE SAVEPOINT")
    assert len(keyed) == len(unkeyed) + 4, [q["sql"][:60] for q in keyed.captured_queries]
    with CaptureQueriesContext(connection) as replay:
        again = post(client, "/api/v1/appointments", {"slot_id": world.slots[3].pk}, **{"Idempotency-Key": "one"})
    assert again.content == booked.content
    replayed = [q["sql"] for q in replay.captured_queries if "api_idempotencyrecord" in q["sql"]]
    assert [sql.split()[0] for sql in replayed] == ["INSERT", "SELECT"]


def test_old_records_are_pruned(world: World) -> None:
    post(world.client("patient_a"), "/api/v1/appointments", {"slot_id": world.slots[2].pk}, **{"Idempotency-Key": "k"})
    assert idempotency_prune(now=clock.now()) == 0
    assert idempotency_prune(now=clock.now() + RETENTION + dt.timedelta(seconds=1)) == 1


# --- The document --------------------------------------------------------------------------------------------------
def test_the_openapi_document_describes_every_endpoint_with_errors(client: Client) -> None:
    document = client.get("/api/v1/openapi.json").json()
    paths = document["paths"]
    expected = {
        ("/api/v1/auth/token", "post"),
        ("/api/v1/auth/token", "delete"),
        ("/api/v1/slots", "get"),
        ("/api/v1/appointments", "get"),
        ("/api/v1/appointments", "post"),
        ("/api/v1/appointments/hold", "post"),
        ("/api/v1/appointments/{appointment_id}", "get"),
        ("/api/v1/appointments/{appointment_id}/confirm", "post"),
        ("/api/v1/appointments/{appointment_id}/reschedule", "post"),
        ("/api/v1/appointments/{appointment_id}/cancel", "post"),
    }
    assert expected <= {(path, method) for path, methods in paths.items() for method in methods}
    for path, method in expected:
        responses = paths[path][method]["responses"]
        assert "401" in responses, (path, method)
    for path, method in expected - {("/api/v1/auth/token", "delete")}:
        assert "422" in paths[path][method]["responses"], (path, method)
    book = paths["/api/v1/appointments"]["post"]
    assert "409" in book["responses"]
    assert any(p["name"] == "Idempotency-Key" for p in book["parameters"])
    schemas = document["components"]["schemas"]
    assert "pesel" not in json.dumps(schemas["AppointmentOut"])


# --- Idempotency under concurrency (one transaction per write, issue 5) ----------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twin_requests_with_one_key_book_once_and_answer_alike(world: World) -> None:
    """Eight copies of one request (same key) at once: the claim, the booking and the answer are one transaction, so
    the copies wait on the key and replay the first answer — one appointment, one SMS, identical 201 answers."""
    body = json.dumps({"slot_id": world.slots[3].pk})
    token = world.tokens["patient_a"]
    answers: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def send(_number: int) -> None:
        response = Client(headers={"Authorization": f"Bearer {token}"}).post(
            "/api/v1/appointments", body, content_type="application/json", headers={"Idempotency-Key": "twin"}
        )
        with lock:
            answers.append((response.status_code, response.content))

    assert run_in_threads(8, send) == []
    assert {status for status, _ in answers} == {201}
    assert len({content for _, content in answers}) == 1
    booked = Appointment.objects.filter(slot=world.slots[3], status=Appointment.Status.BOOKED)
    assert booked.count() == 1
    assert OutboundMessage.objects.filter(key=f"booking-confirmation:appointment:{booked.get().pk}").count() == 1
    assert IdempotencyRecord.objects.filter(key="twin").count() == 1


def test_a_refusal_keeps_the_key_and_rolls_back_the_booking_only(world: World) -> None:
    """A refused write stores its answer under the key (replayed later) while the service's changes are undone."""
    client = world.client("level_one")
    body = {"slot_id": world.slots[4].pk, "patient_id": world.patient_a.pk}  # not theirs: 404, nothing booked
    first = post(client, "/api/v1/appointments", body, **{"Idempotency-Key": "refused"})
    again = post(client, "/api/v1/appointments", body, **{"Idempotency-Key": "refused"})
    assert first.status_code == again.status_code == 404
    assert first.json() == again.json()
    assert not world.slots[4].appointments.exists()
    assert IdempotencyRecord.objects.get(key="refused").status_code == 404


def test_the_first_answer_and_its_replay_are_the_same_bytes(world: World) -> None:
    """Issue 16: the first answer of a keyed write is rendered from the endpoint's schema object, a replay from the
    stored JSON — to the byte the same (times, the price, the texts), and the same as a booking without a key."""
    client = world.client("patient_a")
    first = post(client, "/api/v1/appointments", {"slot_id": world.slots[2].pk}, **{"Idempotency-Key": "k-5"})
    again = post(client, "/api/v1/appointments", {"slot_id": world.slots[2].pk}, **{"Idempotency-Key": "k-5"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.content == again.content
    assert first["Content-Type"] == again["Content-Type"]
    unkeyed = post(client, "/api/v1/appointments", {"slot_id": world.slots[3].pk})
    keyed = post(client, "/api/v1/appointments", {"slot_id": world.slots[4].pk}, **{"Idempotency-Key": "k-6"})
    shape = {key: type(value) for key, value in unkeyed.json().items()}
    assert {key: type(value) for key, value in keyed.json().items()} == shape
