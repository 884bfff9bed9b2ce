"""``/referrals``, ``/prescriptions``, ``/recommendations``, ``/sick-leaves`` (ACC-4, ACC-7, CLN-1, CLN-5, CLN-6):
whose documents each caller gets, what an answer holds, the errors, the pages and the read record."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carenet.accounts.models import PatientRead
from carenet.api.api import api
from carenet.api.auth import token_issue
from carenet.clinical.models import Referral
from carenet.clinical.tests.factories import (
    DrugFactory,
    NetworkReferralFactory,
    PrescriptionFactory,
    RecommendationFactory,
    SickLeaveFactory,
)
from carenet.core import clock
from carenet.network.tests.factories import ServiceFactory, SpecialtyFactory
from tests.cast import Cast

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/v1/referrals": "referrals",
    "/api/v1/prescriptions": "prescriptions",
    "/api/v1/recommendations": "recommendations",
    "/api/v1/sick-leaves": "sick_leave",
}


def issued(days_ago: int) -> dt.datetime:
    return clock.now() - dt.timedelta(days=days_ago)


def documents_of(cast: Cast, patient: Any, *, facility: Any = None, days_ago: int = 3) -> dict[str, Any]:
    common = {
        "patient": patient,
        "issued_by": cast.clinician_with,
        "facility": facility or cast.here,
        "issued_at": issued(days_ago),
    }
    return {
        "/api/v1/referrals": NetworkReferralFactory(
            **common,
            service=ServiceFactory(specialty=cast.consult.specialty),
            valid_until=clock.today() + dt.timedelta(days=30),
        ),
        "/api/v1/prescriptions": PrescriptionFactory(**common),
        "/api/v1/recommendations": RecommendationFactory(**common),
        "/api/v1/sick-leaves": SickLeaveFactory(**common),
    }


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == code


def reads() -> list[tuple[str, int, str, str]]:
    return list(PatientRead.objects.order_by("pk").values_list("reader__username", "patient_id", "what", "door"))


def test_a_patient_gets_their_own_documents_also_a_partners_never_anothers(cast: Cast) -> None:
    own = documents_of(cast, cast.patient)
    partner = documents_of(cast, cast.patient, facility=cast.partner, days_ago=1)
    documents_of(cast, cast.other_patient)
    client = cast.client("patient")
    for path in ENDPOINTS:
        assert ids(client.get(path)) == [partner[path].pk, own[path].pk], path
        assert ids(client.get(path, {"patient_id": cast.patient.pk})) == [partner[path].pk, own[path].pk], path
        error(client.get(path, {"patient_id": cast.other_patient.pk}), 404, "patient_not_found")
    assert reads() == []  # own reads are not recorded; a refusal records nothing


def test_a_guardian_gets_the_family_or_one_child_and_the_childs_read_is_recorded(cast: Cast) -> None:
    child = documents_of(cast, cast.child, days_ago=2)
    own = documents_of(cast, cast.guardian, days_ago=4)
    client = cast.client("guardian")
    for path in ENDPOINTS:
        assert ids(client.get(path)) == [child[path].pk, own[path].pk], path
        answer = client.get(path, {"patient_id": cast.child.pk})
        assert ids(answer) == [child[path].pk]
        assert answer.json()["results"][0]["patient_name"] == cast.child.full_name
        error(client.get(path, {"patient_id": cast.patient.pk}), 404, "patient_not_found")
    # The family's list and the child's alone each read the child's documents.
    assert reads() == [("piotr", cast.child.pk, what, "api") for what in ENDPOINTS.values() for _twice in (1, 2)]


def test_level_one_and_a_lapsed_package_are_refused_and_nothing_is_recorded(cast: Cast) -> None:
    documents_of(cast, cast.level_one)
    for path in ENDPOINTS:
        error(cast.client("level_one").get(path), 403, "level_two_required")
        error(cast.client("level_one").get(path, {"patient_id": cast.patient.pk}), 404, "patient_not_found")
        error(cast.client("lapsed").get(path), 403, "package_inactive")
        error(cast.client("anonymous").get(path), 401, "unauthenticated")
    assert reads() == []


def test_a_clinician_with_a_visit_reads_network_documents_only_others_nothing(cast: Cast) -> None:
    network = documents_of(cast, cast.patient)
    documents_of(cast, cast.patient, facility=cast.partner, days_ago=1)
    for path in ENDPOINTS:
        assert ids(cast.client("clinician_with").get(path, {"patient_id": cast.patient.pk})) == [network[path].pk]
        error(cast.client("clinician_with").get(path), 422, "patient_id_required")
        error(cast.client("clinician_without").get(path, {"patient_id": cast.patient.pk}), 404, "not_found")
        for role in ("receptionist_here", "call_centre", "coordinator", "partner_staff", "admin"):
            error(cast.client(role).get(path, {"patient_id": cast.patient.pk}), 403, "role_not_allowed")
    assert reads() == [("lekarz-kowalski", cast.patient.pk, what, "api") for what in ENDPOINTS.values()]


def test_a_referral_answer_holds_its_status_codes_and_the_visit_that_used_it(cast: Cast) -> None:
    active = NetworkReferralFactory(
        patient=cast.patient,
        service=cast.consult,
        issued_by=cast.clinician_with,
        facility=cast.here,
        issued_at=issued(2),
        valid_until=clock.today() + dt.timedelta(days=5),
        access_code="1234",
        national_id="ER-77",
    )
    used = NetworkReferralFactory(
        patient=cast.patient,
        service=cast.consult,
        issued_by=cast.clinician_with,
        facility=cast.here,
        issued_at=issued(3),
    )
    Referral.objects.filter(pk=used.pk).update(used_by=cast.visit)
    expired = NetworkReferralFactory(
        patient=cast.patient,
        service=cast.consult,
        issued_by=cast.clinician_with,
        facility=cast.here,
        issued_at=issued(200),
        valid_until=clock.today() - dt.timedelta(days=1),
    )
    rows = {row["id"]: row for row in cast.client("patient").get("/api/v1/referrals").json()["results"]}
    assert rows[active.pk]["status"] == "active" and rows[active.pk]["bookable"] is True
    assert (rows[active.pk]["access_code"], rows[active.pk]["national_id"]) == ("1234", "ER-77")
    assert (rows[active.pk]["issued_by"]["title"], rows[active.pk]["issued_by"]["name"]) == ("lek.", "Jan Kowalski")
    assert rows[active.pk]["issued_by"]["facility_name"] == cast.here.name
    assert rows[used.pk]["status"] == "used" and rows[used.pk]["used_by_appointment_id"] == cast.visit.pk
    assert rows[expired.pk]["status"] == "expired" and rows[expired.pk]["bookable"] is False


def test_the_other_answers_hold_what_the_portal_shows(cast: Cast) -> None:
    common = {"patient": cast.patient, "issued_by": cast.clinician_with, "facility": cast.here}
    drug = DrugFactory(name="Amoksiklav", strength="875 mg", pack="14 tabl.")
    old = PrescriptionFactory(**common, drug=drug, issued_at=issued(5), access_code="1111")
    current = PrescriptionFactory(**common, drug=drug, issued_at=issued(4), access_code="0917", supersedes=old)
    RecommendationFactory(
        **common,
        in_person_visit=True,
        in_person_specialty=SpecialtyFactory(code="kardiologia"),
        issued_at=issued(1),
        exams=[ServiceFactory(code="ekg", name="EKG")],
    )
    SickLeaveFactory(**common, starts_on=dt.date(2026, 11, 20), ends_on=dt.date(2026, 11, 27), reason_code="A")
    client = cast.client("patient")
    [prescription] = client.get("/api/v1/prescriptions").json()["results"]
    assert prescription["id"] == current.pk and prescription["corrects_id"] == old.pk
    assert prescription["access_code"] == "0917" and prescription["drug"]["name"] == "Amoksiklav"
    [advice] = client.get("/api/v1/recommendations").json()["results"]
    assert advice["in_person_specialty"]["code"] == "kardiologia" and advice["exams"][0]["code"] == "ekg"
    [leave] = client.get("/api/v1/sick-leaves").json()["results"]
    assert (leave["days"], leave["reason_code"], leave["employer_nip"]) == (8, "A", "5260250995")


def test_pages_of_documents(cast: Cast) -> None:
    made = [documents_of(cast, cast.patient, days_ago=day)["/api/v1/prescriptions"] for day in range(1, 6)]
    client = cast.client("patient")
    first = client.get("/api/v1/prescriptions", {"page_size": 2}).json()
    assert [row["id"] for row in first["results"]] == [made[0].pk, made[1].pk] and first["has_next"] is True
    last = client.get("/api/v1/prescriptions", {"page_size": 2, "page": 3}).json()
    assert [row["id"] for row in last["results"]] == [made[4].pk] and last["has_next"] is False


@pytest.mark.parametrize(
    "query",
    [
        {"page": 0},
        {"page": 1001},
        {"page_size": 51},
        {"page_size": "x"},
        {"patient_id": 2**63},
        {"patient_id": "\x00"},
        {"patient_id": -1},
    ],
)
def test_input_it_cannot_read_is_invalid_input(cast: Cast, query: dict[str, Any]) -> None:
    for path in ENDPOINTS:
        error(cast.client("patient").get(path, query), 422, "invalid_input")
    assert reads() == []


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
def test_query_count_is_flat_in_the_number_of_documents(cast: Cast, path: str) -> None:
    client = cast.client("guardian")
    documents_of(cast, cast.child)
    with CaptureQueriesContext(connection) as small:
        assert client.get(path).status_code == 200
    for index in range(6):
        documents_of(cast, cast.child if index % 2 else cast.guardian, facility=cast.partner if index % 3 else None)
    with CaptureQueriesContext(connection) as large:
        assert len(ids(client.get(path))) == 7
    assert len(large) == len(small), [query["sql"] for query in large.captured_queries]


def test_a_bearer_token_reads_through_the_api_door(cast: Cast) -> None:
    documents_of(cast, cast.child)
    token, _ = token_issue(user=cast.users["guardian"], name="app", now=clock.now())  # type: ignore[arg-type]
    answer = cast.client("anonymous").get("/api/v1/referrals", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert len(ids(answer)) == 1
    assert reads() == [("piotr", cast.child.pk, "referrals", "api")]


def test_the_openapi_document_declares_every_answer() -> None:
    document = api.get_openapi_schema()
    for path in ENDPOINTS:
        responses = {str(status) for status in document["paths"][path]["get"]["responses"]}
        assert {"200", "401", "403", "404", "422"} <= responses, path
        parameters = {parameter["name"] for parameter in document["paths"][path]["get"]["parameters"]}
        assert parameters == {"patient_id", "page", "page_size"}
