"""``/api/v1/appointments/{id}/files`` (TEL-3): the mobile app attaches the patient's stored files to a visit before
it starts — typed answers, JSON errors with stable codes declared in OpenAPI; someone else's visit or file is 404
and nothing is stored; attaching twice is one row; no input makes a 500."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.test import Client

from carenet.accounts.models import PatientRead
from carenet.api.auth import token_issue
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.files.models import ConsultationFile
from carenet.files.tests.factories import PatientFileFactory
from tests.cast import Cast, with_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def files_cast(cast: Cast) -> Cast:
    return with_files(cast)


def url(visit_id: Any, file_id: Any = None) -> str:
    base = f"/api/v1/appointments/{visit_id}/files"
    return base if file_id is None else f"{base}/{file_id}"


def bearer(cast: Cast, role: str) -> dict[str, str]:
    token, _ = token_issue(user=cast.users[role], name="telefon", now=clock.now())  # type: ignore[arg-type]
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def attach(cast: Cast, role: str, visit_id: Any, body: Any) -> Any:
    raw = body if isinstance(body, str) else json.dumps(body)
    return Client().post(url(visit_id), raw, content_type="application/json", **bearer(cast, role))


def rows() -> list[int]:
    return list(ConsultationFile.objects.order_by("pk").values_list("file_id", flat=True))


def test_the_list_attach_twice_and_detach(files_cast: Cast) -> None:
    cast = files_cast
    assert cast.file is not None and cast.spare_file is not None
    listed = Client().get(url(cast.visit.pk), **bearer(cast, "patient"))
    assert listed.status_code == 200
    body = listed.json()
    assert body["appointment_id"] == cast.visit.pk and body["can_change"] is True and body["closed_reason"] is None
    [row] = body["results"]
    assert row["file_id"] == cast.file.pk and row["description"] == "Wysypka na przedramieniu"
    assert row["content_type"] == "image/png" and row["name"] == "zmiana_na_rece.png" and row["size"] > 0
    first = attach(cast, "patient", cast.visit.pk, {"file_id": cast.spare_file.pk})
    second = attach(cast, "patient", cast.visit.pk, {"file_id": cast.spare_file.pk})
    assert first.status_code == second.status_code == 200 and first.json() == second.json()
    assert rows() == [cast.file.pk, cast.spare_file.pk]
    deleted = Client().delete(url(cast.visit.pk, cast.file.pk), **bearer(cast, "patient"))
    again = Client().delete(url(cast.visit.pk, cast.file.pk), **bearer(cast, "patient"))
    assert deleted.status_code == again.status_code == 204 and rows() == [cast.spare_file.pk]


def test_the_clinician_with_a_relationship_reads_the_list_and_it_is_recorded(files_cast: Cast) -> None:
    cast = files_cast
    listed = Client().get(url(cast.visit.pk), **bearer(cast, "clinician_with"))
    assert listed.status_code == 200 and len(listed.json()["results"]) == 1
    assert list(PatientRead.objects.values_list("reader__username", "what", "door")) == [
        ("lekarz-kowalski", "files", "api")
    ]
    refused = Client().get(url(cast.visit.pk), **bearer(cast, "clinician_without"))
    assert refused.status_code == 404 and refused.json()["code"] == "visit_not_found"
    assert PatientRead.objects.count() == 1


def test_after_the_start_changes_are_refused_with_a_code(files_cast: Cast) -> None:
    cast = files_cast
    assert cast.file is not None and cast.spare_file is not None
    with time_machine.travel(cast.visit.slot.starts_at, tick=False):
        listed = Client().get(url(cast.visit.pk), **bearer(cast, "patient")).json()
        assert listed["can_change"] is False and listed["closed_reason"] == "visit_started"
        refused = attach(cast, "patient", cast.visit.pk, {"file_id": cast.spare_file.pk})
        assert refused.status_code == 409 and refused.json()["code"] == "visit_started"
        gone = Client().delete(url(cast.visit.pk, cast.file.pk), **bearer(cast, "patient"))
        assert gone.status_code == 409 and gone.json()["code"] == "visit_started"
    Appointment.objects.filter(pk=cast.visit.pk).update(status=Appointment.Status.CANCELLED)
    cancelled = attach(cast, "patient", cast.visit.pk, {"file_id": cast.spare_file.pk})
    assert cancelled.status_code == 409 and cancelled.json()["code"] == "visit_cancelled"
    assert rows() == [cast.file.pk]


def test_another_familys_ids_and_the_parents_file_are_404(files_cast: Cast) -> None:
    cast = files_cast
    assert cast.spare_file is not None
    parents = PatientFileFactory(patient=cast.guardian, delete_after=clock.now() + dt.timedelta(days=30))
    cases = [
        ("other_patient", cast.visit.pk, cast.spare_file.pk, "visit_not_found"),
        ("patient", cast.other_visit.pk, cast.spare_file.pk, "visit_not_found"),
        ("patient", cast.visit.pk, parents.pk, "file_not_found"),
        ("guardian", cast.child_visit.pk, parents.pk, "file_not_found"),  # a parent's file on the child's visit
        ("guardian", cast.visit.pk, parents.pk, "visit_not_found"),
    ]
    for role, visit_id, file_id, code in cases:
        answer = attach(cast, role, visit_id, {"file_id": file_id})
        assert answer.status_code == 404 and answer.json()["code"] == code, (role, code)
    assert Client().get(url(cast.visit.pk), **bearer(cast, "other_patient")).status_code == 404
    assert rows() == [cast.file.pk if cast.file else 0]


def test_roles_and_levels(files_cast: Cast) -> None:
    cast = files_cast
    assert cast.spare_file is not None
    for role in ("receptionist_here", "call_centre", "clinician_with", "admin"):
        answer = attach(cast, role, cast.visit.pk, {"file_id": cast.spare_file.pk})
        assert answer.status_code == 403 and answer.json()["code"] == "role_not_allowed", role
    lapsed = attach(cast, "lapsed", cast.visit.pk, {"file_id": cast.spare_file.pk})
    assert lapsed.status_code == 403 and lapsed.json()["code"] == "package_inactive"
    anonymous = Client().post(url(cast.visit.pk), {"file_id": 1}, content_type="application/json")
    assert anonymous.status_code == 401
    from carenet.encounters.tests.helpers import visit_of
    from carenet.scheduling.models import Mode

    own = visit_of(
        cast.level_one, cast.clinician_with, cast.consult, clock.now() + dt.timedelta(days=2), mode=Mode.PHONE
    )
    file = PatientFileFactory(patient=cast.level_one, delete_after=clock.now() + dt.timedelta(days=30))
    level = attach(cast, "level_one", own.pk, {"file_id": file.pk})
    assert level.status_code == 403 and level.json()["code"] == "level_two_required"
    assert Client().get(url(own.pk), **bearer(cast, "level_one")).json()["code"] == "level_two_required"
    assert rows() == [cast.file.pk if cast.file else 0]


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "{}",
        '{"file_id": "1"}x',
        '{"file_id": true}',
        '{"file_id": 0}',
        '{"file_id": -1}',
        '{"file_id": 99999999999999999999}',
        '{"file_id": "\\u0000"}',
        '{"file_id": "😀"}',
        '{"file_id": [1]}',
        '{"file_id": null}',
        "[]",
    ],
)
def test_hostile_input_is_a_clear_refusal_never_a_500(files_cast: Cast, body: str) -> None:
    answer = attach(files_cast, "patient", files_cast.visit.pk, body)
    assert answer.status_code in (400, 422) and answer.json()["code"] in ("invalid_json", "invalid_input")
    assert len(rows()) == 1


@pytest.mark.parametrize("visit_id", ["0", "-1", "99999999999999999999", "abc", "2147483648"])
def test_hostile_ids_in_the_path_are_404_never_a_500(files_cast: Cast, visit_id: str) -> None:
    cast = files_cast
    auth = bearer(cast, "patient")
    for answer in (
        Client().get(url(visit_id), **auth),
        Client().delete(url(visit_id, visit_id), **auth),
        Client().delete(url(cast.visit.pk, visit_id), **auth),
        attach(cast, "patient", visit_id, {"file_id": 1}),
    ):
        assert answer.status_code in (404, 422), (visit_id, answer.status_code)
        assert answer.json()["code"]
    assert len(rows()) == 1


def test_the_endpoints_and_their_errors_are_in_the_openapi_document(client: Client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    listed = paths["/api/v1/appointments/{appointment_id}/files"]
    assert {"get", "post"} <= set(listed)
    assert {"200", "401", "403", "404", "422"} <= set(listed["get"]["responses"])
    assert {"200", "403", "404", "409", "422"} <= set(listed["post"]["responses"])
    detach = paths["/api/v1/appointments/{appointment_id}/files/{file_id}"]["delete"]
    assert {"204", "403", "404", "409", "422"} <= set(detach["responses"])
