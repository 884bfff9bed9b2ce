"""The local test bank (ACC-5's identity provider for the demo and the tests): discovery, JWKS, the login page
(nothing prefilled, PKCE S256, state and nonce required, return address on the asking server), the token endpoint
(client secret, single-use and short-lived codes, PKCE verified, a signed ID token with the PESEL claim) and
userinfo; everything answers 404 when the setting is off."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.conf import settings
from django.test import Client, override_settings
from joserfc import jwt
from joserfc.jwk import KeySet

from carenet.demo.identity import pesel as make_pesel

pytestmark = pytest.mark.django_db

PESEL = make_pesel(dt.date(1980, 3, 14), "F", 4321)
VERIFIER = "v" * 50
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
REDIRECT = "http://testserver/callback/"


def params(**extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": settings.CARENET_BANK_OIDC_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": "openid profile pesel",
        "state": "state-1",
        "nonce": "nonce-1",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        **extra,
    }


def code_for(client: Client, pesel: str = PESEL) -> str:
    response = client.post(
        "/dev-bank/authorize", {**params(), "pesel": pesel, "given_name": "Marta", "family_name": "Zielińska"}
    )
    assert response.status_code == 302, response.content[:300]
    query = parse_qs(urlsplit(response.url).query)
    assert query["state"] == ["state-1"]
    return query["code"][0]


def exchange(client: Client, code: str, **extra: Any) -> Any:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": VERIFIER}
    secret = extra.pop("secret", settings.CARENET_BANK_OIDC_CLIENT_SECRET)
    auth = base64.b64encode(f"{settings.CARENET_BANK_OIDC_CLIENT_ID}:{secret}".encode()).decode()
    return client.post("/dev-bank/token", {**data, **extra}, HTTP_AUTHORIZATION=f"Basic {auth}")


def test_discovery_names_this_server_as_the_issuer() -> None:
    document = Client().get("/dev-bank/.well-known/openid-configuration").json()
    assert document["issuer"] == "http://testserver/dev-bank"
    assert document["token_endpoint"] == "http://testserver/dev-bank/token"
    assert document["code_challenge_methods_supported"] == ["S256"]


def test_the_login_page_prefills_nothing_and_hints_at_the_demo() -> None:
    response = Client().get("/dev-bank/authorize", {**params(), "pesel": PESEL, "login_hint": PESEL})
    assert response.status_code == 200
    assert PESEL.encode() not in response.content
    assert b'id="testbank-hint"' in response.content


@pytest.mark.parametrize(
    "bad",
    [
        {"client_id": "someone-else"},
        {"redirect_uri": "https://evil.example/callback/"},
        {"code_challenge": ""},
        {"code_challenge_method": "plain"},
        {"nonce": ""},
        {"state": ""},
        {"scope": "profile"},
        {"response_type": "token"},
    ],
)
def test_a_bad_authorization_request_is_refused_without_redirecting(bad: dict[str, str]) -> None:
    response = Client().get("/dev-bank/authorize", params(**bad))
    assert response.status_code == 400


def test_an_invalid_pesel_is_refused_on_the_login_page() -> None:
    response = Client().post(
        "/dev-bank/authorize", {**params(), "pesel": "12345678901", "given_name": "A", "family_name": "B"}
    )
    assert response.status_code == 422


def test_a_code_gives_a_signed_id_token_with_the_pesel_claim_once() -> None:
    client = Client()
    code = code_for(client)
    response = exchange(client, code)
    assert response.status_code == 200, response.content
    answer = response.json()
    keys = KeySet.import_key_set(client.get("/dev-bank/jwks").json())
    token = jwt.decode(answer["id_token"], keys)
    claims = token.claims
    assert claims["pesel"] == PESEL and claims["nonce"] == "nonce-1"
    assert claims["iss"] == "http://testserver/dev-bank" and claims["aud"] == settings.CARENET_BANK_OIDC_CLIENT_ID
    assert claims["birthdate"] == "1980-03-14" and claims["exp"] > claims["iat"]
    info = client.get("/dev-bank/userinfo", HTTP_AUTHORIZATION=f"Bearer {answer['access_token']}")
    assert info.json()["pesel"] == PESEL
    assert exchange(client, code).status_code == 400  # single use


def test_the_token_endpoint_checks_the_secret_the_verifier_and_the_redirect() -> None:
    client = Client()
    assert exchange(client, code_for(client), secret="wrong").status_code == 401
    assert exchange(client, code_for(client), code_verifier="w" * 50).status_code == 400
    assert exchange(client, code_for(client), redirect_uri="http://testserver/other/").status_code == 400


def test_a_code_expires_after_a_minute() -> None:
    client = Client()
    code = code_for(client)
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=61)):
        assert exchange(client, code).json() == {"error": "invalid_grant"}


def test_userinfo_needs_a_valid_token() -> None:
    assert Client().get("/dev-bank/userinfo", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


@override_settings(CARENET_TEST_BANK_ENABLED=False)
def test_everything_is_404_when_the_test_bank_is_off() -> None:
    client = Client()
    for path in ("/dev-bank/.well-known/openid-configuration", "/dev-bank/jwks", "/dev-bank/authorize"):
        assert client.get(path).status_code == 404
    assert client.post("/dev-bank/token").status_code == 404
