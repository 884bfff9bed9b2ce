"""ACC-5 in the portal: the "Potwierdź tożsamość" page for each role, the contact form (one open request, status
shown), and the bank round trip with the bank's HTTP calls replaced (the real ones run in test_identity_bank.py).
A refused request changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from carenet.accounts import bank, services
from carenet.accounts.models import IdentityConfirmation, IdentityRequest, Patient, User
from carenet.core.dates import latest_birth_date_of_age
from carenet.portal.tests.booking_world import World, build_world, url

pytestmark = pytest.mark.django_db

PAGES = ["portal:identity"]
POSTS = ["portal:identity_request", "portal:identity_bank_start"]


@pytest.fixture
def world() -> World:
    return build_world()


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_anonymous_visitors_go_to_the_login(world: World) -> None:
    for name in [*PAGES, "portal:identity_bank_callback"]:
        response = Client().get(url(name))
        assert response.status_code == 302 and url("portal:login") in response.url
    for name in POSTS:
        assert Client().post(url(name), {"message": "x"}).status_code == 302
    assert not IdentityRequest.objects.exists()


@pytest.mark.parametrize("role", ["call_centre", "receptionist", "clinician", "coordinator", "admin"])
def test_staff_get_the_403_page_and_change_nothing(world: World, role: str) -> None:
    client = logged_in(world.staff[role])
    for name in [*PAGES, "portal:identity_bank_callback"]:
        assert client.get(url(name)).status_code == 403
    for name in POSTS:
        assert client.post(url(name), {"message": "x"}).status_code == 403
    assert not IdentityRequest.objects.exists() and not IdentityConfirmation.objects.exists()


def test_level_one_sees_the_four_ways(world: World) -> None:
    response = logged_in(world.level_one.user).get(url("portal:identity"))
    assert response.status_code == 200
    content = response.content.decode()
    for block in ("identity-bank", "identity-contact-form", "identity-phone", "identity-reception"):
        assert f'id="{block}"' in content
    assert 'id="identity-bank-start"' in content and 'data-level="1"' in content
    assert 'id="test-bank-hint"' in content and world.level_one.pesel in content  # the demo's hint


def test_no_test_bank_hint_with_a_real_bank(world: World, settings: Any) -> None:
    settings.CARENET_BANK_OIDC_ISSUER = "https://bank.example/oidc"
    content = logged_in(world.level_one.user).get(url("portal:identity")).content.decode()
    assert 'id="identity-bank-start"' in content and 'id="test-bank-hint"' not in content


def test_level_two_sees_that_it_is_confirmed(world: World) -> None:
    response = logged_in(world.patient_a.user).get(url("portal:identity"))
    assert response.status_code == 200 and 'data-level="2"' in response.content.decode()
    assert 'id="identity-bank-start"' not in response.content.decode()


def test_the_contact_form_sends_one_request_and_shows_its_status(world: World) -> None:
    client = logged_in(world.level_one.user)
    response = client.post(url("portal:identity_request"), {"message": "Proszę o telefon", "phone_time": "po 16"})
    assert response.status_code == 302
    request = IdentityRequest.objects.get(patient=world.level_one)
    assert (request.status, request.phone_time) == ("open", "po 16")
    assert 'data-request-status="open"' in client.get(url("portal:identity")).content.decode()
    again = client.post(url("portal:identity_request"), {"message": "Again"})
    assert again.status_code == 422 and IdentityRequest.objects.count() == 1
    services.identity_request_reject(request_id=request.pk, actor=world.staff["call_centre"], reason="Brak kontaktu")
    page = client.get(url("portal:identity")).content.decode()
    assert 'data-request-status="rejected"' in page and "Brak kontaktu" in page


def test_an_empty_message_is_refused(world: World) -> None:
    response = logged_in(world.level_one.user).post(url("portal:identity_request"), {"message": " "})
    assert response.status_code == 422 and not IdentityRequest.objects.exists()


def test_another_patient_cannot_act_for_someone_else(world: World) -> None:
    """The pages act only for the logged-in patient: there is no patient id to forge."""
    logged_in(world.patient_b.user).post(url("portal:identity_request"), {"message": "x"})
    assert not IdentityRequest.objects.filter(patient=world.level_one).exists()


def test_an_unreachable_bank_leaves_the_patient_on_the_page_with_a_message(world: World) -> None:
    """The issuer here is http://testserver/dev-bank, which no socket reaches: the discovery call fails."""
    response = logged_in(world.level_one.user).post(url("portal:identity_bank_start"), follow=True)
    assert response.redirect_chain[-1][0] == url("portal:identity")
    assert len(list(response.context["messages"])) == 1
    world.level_one.refresh_from_db()
    assert world.level_one.account_level == 1


def test_a_level_two_patient_does_not_go_to_the_bank(world: World) -> None:
    response = logged_in(world.patient_a.user).post(url("portal:identity_bank_start"))
    assert response.status_code == 302 and response.url == url("portal:identity")


def test_a_minor_with_a_login_does_not_go_to_the_bank(world: World) -> None:
    world.level_one.birth_date = latest_birth_date_of_age(16, dt.date.today())
    world.level_one.save()
    response = logged_in(world.level_one.user).post(url("portal:identity_bank_start"))
    assert response.status_code == 302 and "/dev-bank/" not in response.url


@pytest.fixture
def bank_says(monkeypatch: pytest.MonkeyPatch) -> Any:
    def set_answer(answer: bank.BankIdentity | Exception) -> None:
        def fetch(request: Any) -> bank.BankIdentity:
            if isinstance(answer, Exception):
                raise answer
            return answer

        monkeypatch.setattr(bank, "bank_identity_fetch", fetch)

    return set_answer


def identity_of(patient: Patient, pesel: str | None = None) -> bank.BankIdentity:
    return bank.BankIdentity(
        subject="sub-1",
        pesel=pesel if pesel is not None else patient.pesel,
        given_name="",
        family_name="",
        birthdate="",
    )


def test_the_callback_confirms_when_the_pesel_matches(world: World, bank_says: Any) -> None:
    bank_says(identity_of(world.level_one))
    response = logged_in(world.level_one.user).get(url("portal:identity_bank_callback") + "?code=c&state=s")
    assert response.status_code == 302
    world.level_one.refresh_from_db()
    assert world.level_one.account_level == 2
    assert IdentityConfirmation.objects.get(patient=world.level_one).method == "bank"


@pytest.mark.parametrize(
    "answer",
    [
        bank.BankAnswerInvalid("bad signature"),
        bank.BankUnavailable("timeout"),
    ],
)
def test_a_refused_or_missing_bank_answer_changes_nothing(world: World, bank_says: Any, answer: Exception) -> None:
    bank_says(answer)
    response = logged_in(world.level_one.user).get(url("portal:identity_bank_callback") + "?code=c&state=s")
    assert response.status_code == 302
    world.level_one.refresh_from_db()
    assert world.level_one.account_level == 1 and not IdentityConfirmation.objects.exists()


def test_a_wrong_or_missing_pesel_claim_changes_nothing(world: World, bank_says: Any) -> None:
    client = logged_in(world.level_one.user)
    for pesel in (world.patient_b.pesel, ""):
        bank_says(identity_of(world.level_one, pesel=pesel))
        response = client.get(url("portal:identity_bank_callback") + "?code=c&state=s", follow=True)
        assert response.status_code == 200
        assert any("PESEL" in str(message) for message in response.context["messages"])
    world.level_one.refresh_from_db()
    assert world.level_one.account_level == 1 and not IdentityConfirmation.objects.exists()


def test_a_callback_without_a_started_flow_is_refused(world: World) -> None:
    """No state in the session (a forged or replayed callback): authlib refuses, nothing changes."""
    response = logged_in(world.level_one.user).get(url("portal:identity_bank_callback") + "?code=c&state=forged")
    assert response.status_code == 302
    world.level_one.refresh_from_db()
    assert world.level_one.account_level == 1 and not IdentityConfirmation.objects.exists()
