"""PKG-6 through the API: GET /api/v1/ecard/verify for reception, the call centre, administrators and
partner-facility staff (bearer or session); patients and other roles 403, anonymous 401; nothing more revealed."""

from __future__ import annotations

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils.http import urlencode

from carenet.api.auth import token_issue
from carenet.core import clock
from carenet.coverage.policies import ecard_sign
from carenet.coverage.tests.ecard_world import (
    ADDRESS_A,
    PESEL_A,
    REFUSED_ROLES,
    TODAY,
    VERIFIER_ROLES,
    EcardWorld,
    build_ecard_world,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/ecard/verify"


@pytest.fixture
def world() -> EcardWorld:
    return build_ecard_world()


@pytest.fixture(autouse=True)
def _today():  # type: ignore[no-untyped-def]
    with time_machine.travel(f"{TODAY.isoformat()} 10:00 +01:00", tick=False):
        yield


def bearer(world: EcardWorld, role: str) -> dict[str, str]:
    token, _ = token_issue(user=world.users[role], name="test", now=clock.now())
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.mark.parametrize("role", VERIFIER_ROLES)
def test_verifiers_get_valid_whose_and_until_when(world: EcardWorld, role: str) -> None:
    number = world.card_a.ecard_number
    query = urlencode({"number": number, "signature": ecard_sign(number, settings.CARENET_ECARD_SECRET)})
    response = Client().get(f"{URL}?{query}", **bearer(world, role))
    assert response.status_code == 200, response.content
    assert response.json() == {
        "valid": True,
        "reason": None,
        "holder": "Łucja K.",
        "tier": world.card_a.tier.name,
        "tier_en": world.card_a.tier.name_en,
        "valid_until": "2026-06-30",
    }
    body = response.content.decode()
    assert PESEL_A not in body and ADDRESS_A not in body and "Kęsińska" not in body


def test_the_session_works_too(world: EcardWorld) -> None:
    client = Client()
    client.force_login(world.users["receptionist"])
    response = client.get(f"{URL}?number={world.card_a.ecard_number}")
    assert response.status_code == 200 and response.json()["valid"] is True


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_patients_and_other_roles_get_403(world: EcardWorld, role: str) -> None:
    response = Client().get(f"{URL}?number={world.card_a.ecard_number}", **bearer(world, role))
    assert response.status_code == 403
    assert response.json()["code"] == "role_not_allowed"
    assert "Łucja" not in response.content.decode()


def test_anonymous_gets_401(world: EcardWorld) -> None:
    response = Client().get(f"{URL}?number={world.card_a.ecard_number}")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


def test_a_forged_signature_is_refused(world: EcardWorld) -> None:
    signature_a = ecard_sign(world.card_a.ecard_number, settings.CARENET_ECARD_SECRET)
    query = urlencode({"number": world.card_b.ecard_number, "signature": signature_a})
    response = Client().get(f"{URL}?{query}", **bearer(world, "partner_staff"))
    assert response.status_code == 200
    assert response.json() == {
        "valid": False,
        "reason": "bad_signature",
        "holder": None,
        "tier": None,
        "tier_en": None,
        "valid_until": None,
    }


def test_after_the_last_paid_day_the_card_is_expired(world: EcardWorld) -> None:
    with time_machine.travel("2026-07-01 10:00 +02:00", tick=False):
        response = Client().get(f"{URL}?number={world.card_a.ecard_number}", **bearer(world, "receptionist"))
    assert response.json()["valid"] is False and response.json()["reason"] == "expired"


def test_unknown_number_and_missing_number(world: EcardWorld) -> None:
    headers = bearer(world, "call_centre")
    unknown = Client().get(f"{URL}?number=1234567897", **headers)
    assert unknown.json() == {
        "valid": False,
        "reason": "unknown_number",
        "holder": None,
        "tier": None,
        "tier_en": None,
        "valid_until": None,
    }
    assert Client().get(URL, **headers).status_code == 422
