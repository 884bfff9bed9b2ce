"""What a review of running the network (issue 15) found from outside — access, hostile input and the API contract
of the new pages and endpoints — each reproduced against the role cast."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from carenet.accounts.models import Consent, Patient
from carenet.api.auth import token_issue
from carenet.core import clock
from tests.cast import Cast

pytestmark = pytest.mark.django_db


def _api(cast: Cast, role: str = "patient") -> Client:
    user = cast.users[role]
    assert user is not None
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=user, name='review', now=clock.now())[0]}")


@pytest.mark.parametrize("body", ["[]", '"x"', "5", "true", '["email"]'])
def test_contact_data_takes_only_a_json_object(cast: Cast, body: str) -> None:
    """ACC-8: a ninja ``Schema`` read any JSON value by its attributes, so ``[]`` answered 200 as "nothing to change"
    (schemathesis: a schema-violating request accepted). It is 422 ``invalid_input`` now, and nothing changes."""
    before = Patient.objects.values("email", "street", "postcode", "city").get(pk=cast.patient.pk)
    response = _api(cast).patch("/api/v1/me/contact-data", data=body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert Patient.objects.values("email", "street", "postcode", "city").get(pk=cast.patient.pk) == before


@pytest.mark.parametrize("body", ["[]", '"x"', "5", json.dumps({"marketing": "yes"}), json.dumps({"sms_notices": 0})])
def test_consents_take_only_json_booleans_in_an_object(cast: Cast, body: str) -> None:
    """ACC-8: ``"yes"`` or ``0`` is not a decision about a consent, ``[]`` is not a request: 422, nothing recorded."""
    response = _api(cast).put("/api/v1/me/consents", data=body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert not Consent.objects.filter(patient=cast.patient).exists()


def test_consents_still_take_a_json_boolean(cast: Cast) -> None:
    response = _api(cast).put(
        "/api/v1/me/consents", data=json.dumps({"marketing": True}), content_type="application/json"
    )
    assert response.status_code == 200
    assert Consent.objects.filter(patient=cast.patient, kind="marketing").exists()
