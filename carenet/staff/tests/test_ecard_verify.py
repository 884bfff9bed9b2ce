"""PKG-6 at the desk: reception, the call centre, administrators and partner-facility staff verify an E-Karta by
number or QR code; the page shows valid / invalid, whose, until when — and nothing more."""

from __future__ import annotations

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils.http import urlencode

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


@pytest.fixture
def world() -> EcardWorld:
    return build_ecard_world()


@pytest.fixture(autouse=True)
def _today():  # type: ignore[no-untyped-def]
    with time_machine.travel(f"{TODAY.isoformat()} 10:00 +01:00", tick=False):
        yield


def page(world: EcardWorld, role: str, **query: str) -> tuple[int, str]:
    client = Client()
    client.force_login(world.users[role])
    response = client.get(reverse("staff:ecard_verify") + ("?" + urlencode(query) if query else ""))
    return response.status_code, response.content.decode()


@pytest.mark.parametrize("role", VERIFIER_ROLES)
def test_verifiers_see_valid_whose_and_until_when(world: EcardWorld, role: str) -> None:
    number = world.card_a.ecard_number
    status, html = page(world, role, number=number, signature=ecard_sign(number, settings.CARENET_ECARD_SECRET))
    assert status == 200
    assert 'data-ecard-result="valid"' in html
    assert "Łucja K." in html and world.card_a.tier.name in html and "30.06.2026" in html
    assert "Kęsińska" not in html and PESEL_A not in html and ADDRESS_A not in html
    assert world.card_a.contract.name not in html


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_other_roles_get_403(world: EcardWorld, role: str) -> None:
    status, html = page(world, role, number=world.card_a.ecard_number)
    assert status == 403 and "Łucja" not in html


def test_anonymous_users_go_to_the_staff_login(world: EcardWorld) -> None:
    response = Client().get(reverse("staff:ecard_verify") + f"?number={world.card_a.ecard_number}")
    assert response.status_code == 302 and reverse("staff:login") in response["Location"]


def test_a_forged_qr_code_is_refused(world: EcardWorld) -> None:
    signature_a = ecard_sign(world.card_a.ecard_number, settings.CARENET_ECARD_SECRET)
    status, html = page(world, "receptionist", number=world.card_b.ecard_number, signature=signature_a)
    assert status == 200 and 'data-ecard-result="invalid"' in html
    assert "Bartosz" not in html and "Łucja" not in html


def test_an_expired_card_is_invalid_but_says_whose_and_until_when(world: EcardWorld) -> None:
    with time_machine.travel("2026-07-01 10:00 +02:00", tick=False):
        status, html = page(world, "partner_staff", number=world.card_a.ecard_number)
    assert status == 200 and 'data-ecard-result="invalid"' in html
    assert "Łucja K." in html and "30.06.2026" in html


def test_an_unknown_number_reveals_nothing(world: EcardWorld) -> None:
    status, html = page(world, "call_centre", number="1234567897")
    assert status == 200 and 'data-ecard-result="invalid"' in html
    assert "Łucja" not in html


def test_the_empty_page_offers_the_form_and_the_dashboard_links_it(world: EcardWorld) -> None:
    status, html = page(world, "partner_staff")
    assert status == 200 and 'name="number"' in html and "data-ecard-result" not in html
    client = Client()
    client.force_login(world.users["partner_staff"])
    assert reverse("staff:ecard_verify") in client.get(reverse("staff:dashboard")).content.decode()
