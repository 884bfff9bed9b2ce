"""CLN-3 in the API: ``GET /collection-authorisations`` and ``POST /collection-authorisations/{id}/revoke`` —
the patient's own and their children's (PESEL masked), idempotent revocation, level II, ACC-7, and 404 for another
family's; every answer JSON and in the OpenAPI document."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from carenet.accounts.models import PatientRead
from carenet.api.auth import token_issue
from carenet.core import clock
from carenet.results.models import CollectionAuthorisation
from carenet.results.tests.factories import CollectionAuthorisationFactory
from tests.cast import Cast, build_cast, with_collection

pytestmark = pytest.mark.django_db
LIST = "/api/v1/collection-authorisations"


@pytest.fixture
def cast(db: None) -> Cast:
    return with_collection(build_cast())


def bearer(cast: Cast, role: str) -> Client:
    user = cast.user(role)
    assert user is not None
    token, _record = token_issue(user=user, name="test", now=clock.now())
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def revoke(client: Client, authorisation_id: Any) -> Any:
    return client.post(f"{LIST}/{authorisation_id}/revoke", "{}", content_type="application/json")


def test_the_patient_lists_their_own_masked(cast: Cast) -> None:
    ewa = cast.collection_authorisation
    assert ewa is not None
    CollectionAuthorisationFactory(patient=cast.other_patient, facility=cast.here)
    answer = bearer(cast, "patient").get(LIST)
    assert answer.status_code == 200
    (item,) = answer.json()["results"]
    assert item["id"] == ewa.pk and item["pesel"] == "•••••••2345" and item["status"] == "active"
    assert item["recorded_facility"] == {"id": cast.here.pk, "name": cast.here.name} and item["valid_until"] is None


def test_a_guardian_names_their_child_and_nobody_else(cast: Cast) -> None:
    childs = CollectionAuthorisationFactory(patient=cast.child, facility=cast.here)
    client = bearer(cast, "guardian")
    assert [item["id"] for item in client.get(LIST, {"patient_id": cast.child.pk}).json()["results"]] == [childs.pk]
    refused = client.get(LIST, {"patient_id": cast.patient.pk})
    assert refused.status_code == 404 and refused.json()["code"] == "patient_not_found"


def test_the_desk_names_the_patient_and_sees_the_whole_pesel(cast: Cast) -> None:
    client = cast.client("receptionist_here")
    assert client.get(LIST).json()["code"] == "patient_id_required"
    (item,) = client.get(LIST, {"patient_id": cast.patient.pk}).json()["results"]
    assert item["pesel"] == "85010112345"
    read = PatientRead.objects.get(reader__username="recepcja-mokotow")
    assert (read.patient_id, read.what, read.door) == (cast.patient.pk, "collection_auth", "api")
    assert cast.client("call_centre").get(LIST, {"patient_id": cast.patient.pk}).json()["code"] == "role_not_allowed"


def test_revoking_is_idempotent_and_the_answers_are_the_same(cast: Cast) -> None:
    ewa = cast.collection_authorisation
    assert ewa is not None
    client = bearer(cast, "patient")
    first = revoke(client, ewa.pk)
    second = revoke(client, ewa.pk)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() and first.json()["status"] == "revoked"
    assert CollectionAuthorisation.objects.get(pk=ewa.pk).revoked_by_id == cast.patient.user_id


@pytest.mark.parametrize("role", ["other_patient", "guardian", "level_one"])
def test_another_familys_authorisation_answers_404_and_changes_nothing(cast: Cast, role: str) -> None:
    ewa = cast.collection_authorisation
    assert ewa is not None
    answer = revoke(bearer(cast, role), ewa.pk)
    assert answer.status_code == 404 and answer.json()["code"] == "authorisation_not_found"
    assert CollectionAuthorisation.objects.get(pk=ewa.pk).revoked_at is None


def test_level_one_and_a_lapsed_package_are_refused(cast: Cast) -> None:
    own = CollectionAuthorisationFactory(patient=cast.level_one, facility=cast.here)
    client = bearer(cast, "level_one")
    assert client.get(LIST).json()["code"] == "level_two_required"
    assert revoke(client, own.pk).json()["code"] == "level_two_required"
    assert CollectionAuthorisation.objects.get(pk=own.pk).revoked_at is None
    lapsed = CollectionAuthorisationFactory(patient=cast.lapsed, facility=cast.here)
    assert bearer(cast, "lapsed").get(LIST).json()["code"] == "package_inactive"
    assert revoke(bearer(cast, "lapsed"), lapsed.pk).json()["code"] == "package_inactive"


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "9" * 30, "true", "1.5", "%00"])
def test_bad_ids_answer_json_errors(cast: Cast, raw: str) -> None:
    answer = revoke(bearer(cast, "patient"), raw)
    assert answer.status_code in (404, 422) and "code" in answer.json()
    listed = bearer(cast, "patient").get(LIST, {"patient_id": raw})
    assert listed.status_code == 422 and listed.json()["code"] == "invalid_input"


def test_the_endpoints_and_their_errors_are_in_the_openapi_document(cast: Cast) -> None:
    document = json.loads(Client().get("/api/v1/openapi.json").content)
    listed = document["paths"]["/api/v1/collection-authorisations"]["get"]["responses"]
    revoked = document["paths"]["/api/v1/collection-authorisations/{authorisation_id}/revoke"]["post"]["responses"]
    for responses in (listed, revoked):
        assert {"200", "401", "403", "404", "422"} <= set(responses)
