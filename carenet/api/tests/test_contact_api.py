"""ACC-8 in the API: the caller's contact data and consents, the phone-change code flow, stable codes."""

from __future__ import annotations

import json

import pytest

from carenet.accounts.models import Consent, ContactChange, Patient
from carenet.messaging.models import OutboundMessage

from .conftest import World

pytestmark = pytest.mark.django_db

BASE = "/api/v1/me"


def send(client, method: str, path: str, body: object):  # type: ignore[no-untyped-def]
    return getattr(client, method)(f"{BASE}{path}", json.dumps(body), content_type="application/json")


def code_sent() -> str:
    body = OutboundMessage.objects.get(purpose="phone-change-code").body
    return next(word for word in body.replace(".", " ").split() if word.isdigit() and len(word) == 6)


def test_read_and_change_email_and_address(world: World) -> None:
    client = world.client("patient_a")
    answer = client.get(f"{BASE}/contact-data")
    assert answer.status_code == 200 and answer.json()["mobile"] == world.patient_a.mobile
    answer = send(
        client, "patch", "/contact-data", {"street": "ul. Kwiatowa 5", "postcode": "00950", "city": "Warszawa"}
    )
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert (data["postcode"], data["history"][0]["field"], data["history"][0]["channel"]) == (
        "00-950",
        "address",
        "api",
    )
    assert send(client, "patch", "/contact-data", {"postcode": "0095"}).json()["code"] == "postcode_invalid"
    assert send(client, "patch", "/contact-data", {"city": "A\u0000"}).status_code == 422
    assert send(client, "patch", "/contact-data", {"email": 5}).json()["code"] == "invalid_input"
    assert ContactChange.objects.count() == 1


def test_the_phone_code_flow(world: World) -> None:
    client = world.client("patient_a")
    old = world.patient_a.mobile
    answer = send(client, "post", "/contact-data/phone", {"mobile": "600 900 100"})
    assert answer.status_code == 202 and answer.json()["mobile"] == "+48 *** *** 100"
    assert client.get(f"{BASE}/contact-data").json()["pending_phone"]["mobile"] == "+48 *** *** 100"
    assert Patient.objects.get(pk=world.patient_a.pk).mobile == old
    wrong = send(client, "post", "/contact-data/phone/confirm", {"code": "99999x"})
    assert (wrong.status_code, wrong.json()["code"]) == (422, "code_wrong")
    done = send(client, "post", "/contact-data/phone/confirm", {"code": code_sent()})
    assert done.status_code == 200 and done.json()["mobile"] == "+48600900100"
    again = send(client, "post", "/contact-data/phone/confirm", {"code": "123456"})
    assert (again.status_code, again.json()["code"]) == (409, "no_phone_change")


def test_phone_refusals_have_stable_codes(world: World) -> None:
    client = world.client("patient_a")
    taken = send(client, "post", "/contact-data/phone", {"mobile": world.patient_b.mobile})
    assert (taken.status_code, taken.json()["code"]) == (409, "phone_taken")
    assert world.patient_b.last_name not in taken.json()["message"]
    assert send(client, "post", "/contact-data/phone", {"mobile": "22 123 45 67"}).json()["code"] == "phone_not_mobile"
    assert send(client, "post", "/contact-data/phone", {"mobile": "x" * 33}).json()["code"] == "invalid_input"
    assert send(client, "post", "/contact-data/phone", {"mobile": ["+48600"]}).status_code == 422


def test_consents(world: World) -> None:
    client = world.client("patient_a")
    states = {row["kind"]: row["granted"] for row in client.get(f"{BASE}/consents").json()["consents"]}
    assert states == {"sms_notices": True, "email_notices": True, "marketing": False}
    answer = send(client, "put", "/consents", {"sms_notices": False, "email_notices": None})
    assert answer.status_code == 200
    states = {row["kind"]: row["granted"] for row in answer.json()["consents"]}
    assert states == {"sms_notices": False, "email_notices": True, "marketing": False}
    assert answer.json()["history"][0]["channel"] == "api"
    assert send(client, "put", "/consents", {"marketing": "maybe"}).json()["code"] == "invalid_input"
    assert Consent.objects.count() == 1


@pytest.mark.parametrize("role", ["operator", "coordinator", "admin", "clinician"])
def test_staff_have_no_contact_data_of_their_own_here(world: World, role: str) -> None:
    answer = world.client(role).get(f"{BASE}/contact-data")
    assert (answer.status_code, answer.json()["code"]) == (403, "role_not_allowed")


def test_the_endpoints_are_in_the_openapi_document(world: World) -> None:
    paths = world.client("anonymous").get("/api/v1/openapi.json").json()["paths"]
    for path, methods in {
        "/api/v1/me/contact-data": {"get", "patch"},
        "/api/v1/me/contact-data/phone": {"post"},
        "/api/v1/me/contact-data/phone/confirm": {"post"},
        "/api/v1/me/consents": {"get", "put"},
    }.items():
        assert methods <= set(paths[path]), path
        for method in methods:
            assert {"401", "403", "422"} <= set(paths[path][method]["responses"]), (path, method)
