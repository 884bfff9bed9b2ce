"""ACC-5 online, end to end: the portal's bank button → the test bank's login → code → token and JWKS fetched over
HTTP from the live server → a verified ID token whose PESEL claim must be the patient's (adults only).

The portal pages run in Django's test client; the server-to-server calls (discovery, token, JWKS) reach the test
bank on pytest-django's live server, so the whole OpenID Connect flow runs for real."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client, override_settings

from carenet.accounts.models import IdentityConfirmation, Patient
from carenet.api.tests.factories import EnrolmentFactory, PatientFactory
from carenet.core import clock
from carenet.demo.identity import pesel as make_pesel
from carenet.portal.tests.booking_world import url

pytestmark = pytest.mark.django_db(transaction=True)


def adult(**fields: Any) -> Patient:
    born = dt.date(1980, 3, 14)
    patient: Patient = PatientFactory(
        pesel=make_pesel(born, "F", 4321),
        birth_date=born,
        account_level=1,
        first_name="Marta",
        last_name="Zielińska",
        **fields,
    )
    EnrolmentFactory(patient=patient)  # ACC-7: the portal is for patients with a package in force
    return patient


def start(client: Client) -> str:
    """Press "Confirm through my bank"; returns the bank's authorization URL (absolute, on the live server)."""
    response = client.post(url("portal:identity_bank_start"))
    assert response.status_code == 302, response.content[:500]
    return str(response.url)


def bank_login(client: Client, authorize_url: str, *, pesel: str, action: str = "approve") -> str:
    """Log in at the test bank as a customer; returns where the bank sends the browser back (the callback)."""
    parts = urlsplit(authorize_url)
    page = client.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200
    assert b'name="pesel"' in page.content and pesel.encode() not in page.content  # nothing prefilled
    params = {key: values[0] for key, values in parse_qs(parts.query).items()}
    answer = client.post(
        parts.path, {**params, "pesel": pesel, "given_name": "Marta", "family_name": "Zielińska", "action": action}
    )
    assert answer.status_code == 302
    return str(answer.url)


def follow_back(client: Client, callback: str) -> Any:
    parts = urlsplit(callback)
    return client.get(f"{parts.path}?{parts.query}")


@pytest.fixture
def bank(live_server: Any) -> Any:
    with override_settings(CARENET_BANK_OIDC_ISSUER=live_server.url + "/dev-bank"):
        yield live_server


def test_an_adult_confirms_identity_through_the_bank_and_reaches_level_two(bank: Any) -> None:
    patient = adult()
    client = Client()
    client.force_login(patient.user)
    authorize_url = start(client)
    query = parse_qs(urlsplit(authorize_url).query)
    assert authorize_url.startswith(bank.url + "/dev-bank/authorize")
    assert query["code_challenge_method"] == ["S256"] and query["state"] and query["nonce"]
    assert query["code_challenge"][0] and query["response_type"] == ["code"]
    assert "openid" in query["scope"][0].split() and query["redirect_uri"][0].startswith("http://testserver/")
    callback = bank_login(client, authorize_url, pesel=patient.pesel)
    response = follow_back(client, callback)
    assert response.status_code == 302 and response.url == url("portal:identity")
    patient.refresh_from_db()
    assert patient.account_level == Patient.Level.FULL
    confirmation = IdentityConfirmation.objects.get(patient=patient)
    assert confirmation.method == "bank" and confirmation.confirmed_by == patient.user
    assert confirmation.note.startswith("OpenID Connect sub testbank-")
    assert client.get(url("portal:ecard")).status_code == 200


def test_another_persons_pesel_at_the_bank_changes_nothing(bank: Any) -> None:
    patient = adult()
    someone_else = make_pesel(dt.date(1979, 1, 2), "M", 1234)
    client = Client()
    client.force_login(patient.user)
    callback = bank_login(client, start(client), pesel=someone_else)
    response = follow_back(client, callback)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.account_level == Patient.Level.BASIC
    assert not IdentityConfirmation.objects.exists()
    with_message = client.get(url("portal:identity"))
    assert "bank_pesel_mismatch" not in with_message.content.decode()  # a sentence, not a code
    assert b"PESEL" in with_message.content


def test_a_callback_used_in_another_session_is_refused(bank: Any, caplog: pytest.LogCaptureFixture) -> None:
    """State lives in the session that started the flow: another patient who gets hold of the callback address
    (with its code) confirms nothing; the rightful session then finishes, and a replay of it is refused."""
    patient = adult()
    intruder = PatientFactory(account_level=1)
    EnrolmentFactory(patient=intruder)
    client, other = Client(), Client()
    client.force_login(patient.user)
    other.force_login(intruder.user)
    callback = bank_login(client, start(client), pesel=patient.pesel)
    follow_back(other, callback)
    intruder.refresh_from_db()
    assert intruder.account_level == Patient.Level.BASIC and not IdentityConfirmation.objects.exists()
    assert "bank answer refused" in caplog.text
    follow_back(client, callback)
    follow_back(client, callback)
    assert IdentityConfirmation.objects.filter(patient=patient).count() == 1


def test_cancelling_at_the_bank_changes_nothing(bank: Any) -> None:
    patient = adult()
    client = Client()
    client.force_login(patient.user)
    callback = bank_login(client, start(client), pesel=patient.pesel, action="deny")
    assert "error=access_denied" in callback
    assert follow_back(client, callback).status_code == 302
    patient.refresh_from_db()
    assert patient.account_level == Patient.Level.BASIC


def test_a_minor_cannot_start_the_bank_flow(bank: Any) -> None:
    born = clock.today() - dt.timedelta(days=17 * 365)  # a minor of 16 (no .replace(year=…): 29 February)
    teen = PatientFactory(pesel=make_pesel(born, "M", 555), birth_date=born, account_level=1)
    EnrolmentFactory(patient=teen)
    client = Client()
    client.force_login(teen.user)
    response = client.post(url("portal:identity_bank_start"))
    assert response.status_code == 302 and response.url == url("portal:identity")
    teen.refresh_from_db()
    assert teen.account_level == Patient.Level.BASIC


def test_an_id_token_from_another_issuer_is_refused(live_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    """The ID token's ``iss`` must be the configured issuer: here the bank answers as http://localhost:… while
    CareNet expects http://127.0.0.1:… — refused, nothing changed."""
    port = live_server.url.rsplit(":", 1)[1]
    with override_settings(
        CARENET_BANK_OIDC_ISSUER=f"http://127.0.0.1:{port}/dev-bank",
        CARENET_BANK_OIDC_DISCOVERY_URL=live_server.url + "/dev-bank/.well-known/openid-configuration",
    ):
        patient = adult()
        client = Client()
        client.force_login(patient.user)
        follow_back(client, bank_login(client, start(client), pesel=patient.pesel))
    patient.refresh_from_db()
    assert patient.account_level == Patient.Level.BASIC and not IdentityConfirmation.objects.exists()
    assert "bank answer refused" in caplog.text


def test_an_id_token_with_a_bad_signature_is_refused(
    bank: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The token is signed with a key the bank's JWKS does not publish (same key ID): refused, nothing changed."""
    from joserfc.jwk import RSAKey

    from carenet.dev.testbank import views

    published = views.signing_key()
    rogue = RSAKey.generate_key(2048, parameters={"kid": str(published.kid)})
    monkeypatch.setattr(views, "signing_key", lambda: rogue)
    patient = adult()
    client = Client()
    client.force_login(patient.user)
    follow_back(client, bank_login(client, start(client), pesel=patient.pesel))
    patient.refresh_from_db()
    assert patient.account_level == Patient.Level.BASIC and not IdentityConfirmation.objects.exists()
    assert "bank answer refused" in caplog.text
