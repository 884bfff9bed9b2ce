"""``/api/v1/help`` (FBK-4) and ``/api/v1/ratings`` (FBK-1): typed JSON answers declared in OpenAPI, stable codes,
someone else's visit is 404 and nothing is stored; no input makes a 500."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client, override_settings

from carenet.api.auth import token_issue
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.feedback.models import NetworkRating, VisitRating
from tests.cast import Cast, _slot, _visit

pytestmark = pytest.mark.django_db


def bearer(cast: Cast, role: str) -> dict[str, str]:
    token, _ = token_issue(user=cast.users[role], name="telefon", now=clock.now())  # type: ignore[arg-type]
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def post(cast: Cast, role: str, url: str, body: Any) -> Any:
    raw = body if isinstance(body, str) else json.dumps(body)
    return Client().post(url, raw, content_type="application/json", **bearer(cast, role))


def completed(cast: Cast, days: int = 2) -> Appointment:
    slot = _slot(
        clinician=cast.clinician_with,
        facility=cast.here,
        service=cast.consult,
        starts_at=clock.at_warsaw(clock.today() - dt.timedelta(days=days), dt.time(9)),
    )
    return _visit(cast.patient, slot, cast.consult, status=Appointment.Status.COMPLETED)


@override_settings(CARENET_URGENT_HELP_PHONE="+48 22 999 00 00", CARENET_CALL_CENTRE_PHONE="+48 22 33 22 888")
def test_the_help_numbers_are_public() -> None:
    answer = Client().get("/api/v1/help")
    assert answer.status_code == 200
    body = answer.json()
    assert body["urgent_help"] == {
        "phone": "+48 22 999 00 00",
        "hours": "całą dobę, 7 dni w tygodniu",
        "always_open": True,
    }
    assert body["call_centre"]["phone"] == "+48 22 33 22 888" and "07:00-20:00" in body["call_centre"]["hours"]
    assert body["emergency_number"] == "112"


def test_every_operation_is_in_the_openapi_document() -> None:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/help"]) == {"get"}
    assert set(paths["/api/v1/ratings/visits"]) == {"get", "post"}
    assert set(paths["/api/v1/ratings/network"]) == {"get", "post"}
    assert {"201", "404", "409", "422"} <= set(paths["/api/v1/ratings/visits"]["post"]["responses"])


def test_a_patient_lists_and_rates_a_visit_once(cast: Cast) -> None:
    visit = completed(cast)
    listed = Client().get("/api/v1/ratings/visits", **bearer(cast, "patient")).json()["results"]
    assert visit.pk in {row["id"] for row in listed} and cast.visit.pk not in {row["id"] for row in listed}
    answer = post(
        cast, "patient", "/api/v1/ratings/visits", {"appointment_id": visit.pk, "score": 5, "comment": "Dobrze."}
    )
    assert answer.status_code == 201 and answer.json()["score"] == 5
    again = post(cast, "patient", "/api/v1/ratings/visits", {"appointment_id": visit.pk, "score": 1})
    assert (again.status_code, again.json()["code"]) == (409, "rating_already_given")
    assert VisitRating.objects.get(appointment=visit).score == 5


def test_someone_elses_visit_is_404_and_stores_nothing(cast: Cast) -> None:
    visit = completed(cast)
    answer = post(cast, "other_patient", "/api/v1/ratings/visits", {"appointment_id": visit.pk, "score": 5})
    assert (answer.status_code, answer.json()["code"]) == (404, "visit_not_found")
    assert not VisitRating.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"score": 5},
        {"appointment_id": 1, "score": "5"},
        {"appointment_id": 1, "score": True},
        {"appointment_id": 1, "score": 9},
        {"appointment_id": 2**63, "score": 4},
        {"appointment_id": 1, "score": 4, "comment": "a\u0000b"},
        {"appointment_id": 1, "score": 4, "comment": "x" * 1001},
        "[1, 2",
        "x" * 100_000,
    ],
)
def test_bad_input_is_a_json_refusal(cast: Cast, body: Any) -> None:
    answer = post(cast, "patient", "/api/v1/ratings/visits", body)
    assert answer.status_code in (400, 422) and "code" in answer.json()
    assert not VisitRating.objects.exists()


def test_rate_us_by_the_api(cast: Cast) -> None:
    state = Client().get("/api/v1/ratings/network", **bearer(cast, "patient")).json()
    assert state["can_rate"] is True and state["last"] is None
    assert post(cast, "patient", "/api/v1/ratings/network", {"score": 4}).status_code == 201
    again = post(cast, "patient", "/api/v1/ratings/network", {"score": 4})
    assert (again.status_code, again.json()["code"]) == (409, "rating_too_soon")
    state = Client().get("/api/v1/ratings/network", **bearer(cast, "patient")).json()
    assert state["can_rate"] is False and state["last"]["score"] == 4
    assert NetworkRating.objects.count() == 1


def test_staff_do_not_rate(cast: Cast) -> None:
    answer = post(cast, "call_centre", "/api/v1/ratings/network", {"score": 4})
    assert (answer.status_code, answer.json()["code"]) == (403, "role_not_allowed")
    level_one = Client().get("/api/v1/ratings/visits", **bearer(cast, "level_one"))
    assert (level_one.status_code, level_one.json()["code"]) == (403, "level_two_required")
