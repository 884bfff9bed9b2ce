"""Input at the edge (SEC, issue 10): what a client may send that the API cannot act on answers a 4xx JSON
``{"code", "message"}`` the OpenAPI document names, and changes nothing. NUL characters fail only on PostgreSQL,
so CI runs these there too."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils.http import urlencode

from carenet.api.api import COMMON_ERRORS, api
from carenet.api.auth import token_issue
from carenet.api.tests.conftest import World, visit_day
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.core.validation import MAX_DB_ID
from carenet.coverage.tests.ecard_world import build_ecard_world

TOO_BIG = str(MAX_DB_ID + 1)


def post(client: Client, path: str, body: object) -> object:
    return client.post(path, json.dumps(body), content_type="application/json")


def assert_error(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response.content
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    return body


def search(world: World, **params: str) -> str:
    query = {"specialty": "interna", "date_from": visit_day().isoformat(), **params}
    return f"/api/v1/slots?{urlencode(query)}"


# --- NUL and control characters --------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("login", ["admin\x00", "ad\x07min"])
def test_a_nul_or_control_character_in_the_login_is_invalid_input_not_a_server_error(login: str) -> None:
    response = post(Client(), "/api/v1/auth/token", {"login": login, "password": "whatever"})
    body = assert_error(response, 422, "invalid_input")
    assert body["details"][0]["loc"][-1] == "login"


@pytest.mark.parametrize("name", ["specialty", "service", "language"])
def test_a_nul_in_a_search_parameter_is_invalid_input(world: World, name: str) -> None:
    response = world.client("patient_a").get(search(world, **{name: "a\x00b"}))
    body = assert_error(response, 422, "invalid_input")
    assert name in body["message"]


def test_a_nul_in_an_e_card_number_is_invalid_input(world: World) -> None:
    response = world.client("receptionist_facility").get("/api/v1/ecard/verify?number=12%00")
    assert_error(response, 422, "invalid_input")


def test_a_nul_in_the_occupational_data_stores_nothing(world: World) -> None:
    before = Appointment.objects.count()
    body = {"slot_id": world.slots[2].pk, "occupational": {"employer_name": "Firma\x00"}}
    assert_error(post(world.client("patient_a"), "/api/v1/appointments", body), 422, "invalid_input")
    assert Appointment.objects.count() == before


# --- Dates and ids out of range --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params", [{"date_from": "9999-12-31"}, {"date_to": "9999-12-31"}, {"date_from": "0001-01-01"}]
)
def test_a_date_out_of_range_is_invalid_input(world: World, params: dict[str, str]) -> None:
    assert_error(world.client("patient_a").get(search(world, **params)), 422, "invalid_input")


@pytest.mark.parametrize("name", ["city_id", "facility_id", "clinician_id", "patient_id"])
def test_an_id_above_the_database_range_in_the_search_is_invalid_input(world: World, name: str) -> None:
    body = assert_error(world.client("operator").get(search(world, **{name: TOO_BIG})), 422, "invalid_input")
    assert name in body["message"]


@pytest.mark.parametrize("name", ["slot_id", "service_id", "patient_id", "referral_id"])
def test_an_id_above_the_database_range_in_a_booking_is_invalid_input(world: World, name: str) -> None:
    before = Appointment.objects.count()
    body = {"slot_id": world.slots[2].pk, name: MAX_DB_ID + 1}
    assert_error(post(world.client("patient_a"), "/api/v1/appointments", body), 422, "invalid_input")
    assert Appointment.objects.count() == before


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/appointments/{TOO_BIG}",
        f"/api/v1/appointments/{TOO_BIG}/cancel",
        "/api/v1/appointments/0",
    ],
)
def test_a_path_id_out_of_range_is_invalid_input(world: World, path: str) -> None:
    client = world.client("patient_a")
    response = client.get(path) if path.count("/") == 4 else post(client, path, {})
    assert_error(response, 422, "invalid_input")


# --- Non-ASCII -------------------------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("signature", ["é", "٣٣٣"])
def test_a_non_ascii_signature_is_an_invalid_card_not_a_server_error(signature: str) -> None:
    cards = build_ecard_world()
    token, _record = token_issue(user=cards.users["receptionist"], name="desk", now=clock.now())
    query = urlencode({"number": cards.card_a.ecard_number, "signature": signature})
    response = Client(headers={"Authorization": f"Bearer {token}"}).get(f"/api/v1/ecard/verify?{query}")
    assert response.status_code == 200, response.content
    assert (response.json()["valid"], response.json()["reason"]) == (False, "bad_signature")


# --- Strict types ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("occupational", ["x", 5, [], True, ""])
def test_a_wrong_typed_occupational_field_is_refused_and_nothing_is_booked(world: World, occupational: object) -> None:
    before = Appointment.objects.count()
    body = {"slot_id": world.slots[2].pk, "occupational": occupational}
    response = post(world.client("patient_a"), "/api/v1/appointments", body)
    detail = assert_error(response, 422, "invalid_input")
    assert "occupational" in detail["message"]
    assert Appointment.objects.count() == before


def test_an_unknown_language_is_invalid_input_and_the_known_ones_are_in_the_document(world: World) -> None:
    assert_error(world.client("patient_a").get(search(world, language="xx")), 422, "invalid_input")
    assert world.client("patient_a").get(search(world, language="en")).status_code == 200
    document = api.get_openapi_schema()
    parameter = next(p for p in document["paths"]["/api/v1/slots"]["get"]["parameters"] if p["name"] == "language")
    assert {"$ref": "#/components/schemas/VisitLanguage"} in parameter["schema"]["anyOf"]
    assert {"pl", "en"} <= set(document["components"]["schemas"]["VisitLanguage"]["enum"])


# --- Bodies the API cannot read, paths and methods it does not have --------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_an_oversize_body_answers_413_json_with_debug_on_and_off(debug: bool) -> None:
    body = json.dumps({"login": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1), "password": "x"})
    with override_settings(DEBUG=debug):
        response = Client(raise_request_exception=False).post(
            "/api/v1/auth/token", body, content_type="application/json"
        )
    assert_error(response, 413, "payload_too_large")


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["{not json", "\x00", '{"login": "a", '])
def test_unparseable_json_answers_400_invalid_json(body: str) -> None:
    response = Client().post("/api/v1/auth/token", body, content_type="application/json")
    assert_error(response, 400, "invalid_json")


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["[]", '"x"', "5", "null"])
def test_json_that_is_not_an_object_is_invalid_input(body: str) -> None:
    response = Client().post("/api/v1/auth/token", body, content_type="application/json")
    assert response.status_code in (400, 422), response.content
    assert response.json()["code"] in ("invalid_json", "invalid_input")


@pytest.mark.parametrize("path", ["/api/v1/appointments/abc", "/api/v1/nothing-here", "/api/v1/"])
def test_an_unknown_api_path_answers_json_404(world: World, path: str) -> None:
    assert_error(world.client("patient_a").get(path), 404, "not_found")


@pytest.mark.django_db
def test_the_edge_answers_speak_the_callers_language() -> None:
    response = Client(headers={"Accept-Language": "pl"}).get("/api/v1/nothing-here")
    assert response.json()["message"] == "Nie znaleziono."
    response = Client(headers={"Accept-Language": "en"}).get("/api/v1/nothing-here")
    assert response.json()["message"] == "Not found."


@pytest.mark.django_db
def test_a_method_an_operation_does_not_have_answers_json_405() -> None:
    response = Client().put("/api/v1/health", "{}", content_type="application/json")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_a_server_error_in_the_api_answers_json_500(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("carenet.api.routers.auth.authenticate", broken)
    response = Client(raise_request_exception=False).post(
        "/api/v1/auth/token", json.dumps({"login": "a", "password": "b"}), content_type="application/json"
    )
    assert_error(response, 500, "server_error")
    assert "boom" not in response.content.decode()


# --- The document names every error an operation can answer ----------------------------------------------------
def test_every_operation_documents_the_common_errors_with_the_error_schema() -> None:
    document = json.loads(json.dumps(api.get_openapi_schema()))  # as served: status codes as strings
    error_schema = document["components"]["schemas"]["ErrorOut"]
    assert set(error_schema["required"]) == {"code", "message"}
    operations = [op for path in document["paths"].values() for op in path.values()]
    assert len(operations) >= 10
    for operation in operations:
        for status in COMMON_ERRORS:
            assert str(status) in operation["responses"], (operation["operationId"], status)
