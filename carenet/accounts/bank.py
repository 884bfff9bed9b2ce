"""ACC-5 online: the bank identity provider over OpenID Connect, through authlib's Django client.

The client is built lazily from settings on each use (``CARENET_BANK_OIDC_*``): the authorization-code flow with
``state``, ``nonce`` and PKCE (S256); the ID token is verified by authlib (signature through the provider's JWKS,
``aud``, ``exp``, ``iat``, ``nonce``) and here its ``iss`` is pinned to the configured issuer. Without a configured
issuer, while the local test bank (:mod:`carenet.dev.testbank`) is enabled, the issuer is this server's own
``/dev-bank`` address as the browser reached it — so the demo works on any host and port.

The HTTP calls the callback makes (discovery, token, JWKS) all happen in :func:`bank_identity_fetch`, which the
fast tests replace; the end-to-end tests run them for real against the live server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from joserfc.errors import JoseError

#: Where the test bank is mounted (config/urls.py) when ``CARENET_TEST_BANK_ENABLED``.
TEST_BANK_PATH = "/dev-bank"


class BankUnavailable(Exception):
    """No bank identity provider is configured, or it could not be reached."""


class BankAnswerInvalid(Exception):
    """The bank's answer was refused: a state, code, signature, issuer, audience, nonce or expiry problem."""


@dataclass(frozen=True, slots=True)
class BankIdentity:
    """Who the bank vouches for, from the verified ID token."""

    subject: str
    pesel: str | None
    given_name: str
    family_name: str
    birthdate: str


def bank_issuer(request: HttpRequest) -> str:
    """The configured issuer, or — with the test bank enabled — this server's own test bank; "" when neither."""
    issuer = str(settings.CARENET_BANK_OIDC_ISSUER).rstrip("/")
    if not issuer and settings.CARENET_TEST_BANK_ENABLED:
        issuer = request.build_absolute_uri(TEST_BANK_PATH)
    return issuer


def uses_test_bank() -> bool:
    """Whether the bank is this server's own test bank (the demo and the tests)."""
    return bool(settings.CARENET_TEST_BANK_ENABLED and not settings.CARENET_BANK_OIDC_ISSUER)


def bank_available(request: HttpRequest) -> bool:
    return bool(bank_issuer(request) and settings.CARENET_BANK_OIDC_CLIENT_ID)


def _client(request: HttpRequest) -> Any:
    issuer = bank_issuer(request)
    if not issuer or not settings.CARENET_BANK_OIDC_CLIENT_ID:
        raise BankUnavailable("no bank identity provider is configured")
    discovery = settings.CARENET_BANK_OIDC_DISCOVERY_URL or f"{issuer}/.well-known/openid-configuration"
    oauth = OAuth()
    return oauth.register(
        name="bank",
        client_id=settings.CARENET_BANK_OIDC_CLIENT_ID,
        client_secret=settings.CARENET_BANK_OIDC_CLIENT_SECRET,
        server_metadata_url=discovery,
        client_kwargs={
            "scope": settings.CARENET_BANK_OIDC_SCOPE,
            "code_challenge_method": "S256",
            "default_timeout": settings.CARENET_BANK_OIDC_TIMEOUT,
        },
    )


def bank_authorize_redirect(request: HttpRequest, *, redirect_uri: str) -> HttpResponse:
    """Send the browser to the bank; ``state``, ``nonce`` and the PKCE verifier wait in the session."""
    try:
        response: HttpResponse = _client(request).authorize_redirect(request, redirect_uri)
        return response
    except (requests.RequestException, ValueError, KeyError) as exc:
        raise BankUnavailable(str(exc)) from exc


def bank_identity_fetch(request: HttpRequest) -> BankIdentity:
    """The callback: check ``state``, exchange the code (with the PKCE verifier and the client secret), verify the
    ID token, and return whom the bank vouches for."""
    issuer = bank_issuer(request)
    client = _client(request)
    claims_options = {"iss": {"essential": True, "values": [issuer]}}
    try:
        token = client.authorize_access_token(request, claims_options=claims_options)
    except requests.RequestException as exc:
        raise BankUnavailable(str(exc)) from exc
    except (AuthlibBaseError, JoseError, ValueError, KeyError) as exc:
        raise BankAnswerInvalid(str(exc)) from exc
    claims = token.get("userinfo") if isinstance(token, dict) else None
    if not claims:
        raise BankAnswerInvalid("the bank sent no verified ID token")
    pesel = claims.get(settings.CARENET_BANK_OIDC_PESEL_CLAIM)
    return BankIdentity(
        subject=str(claims.get("sub", "")),
        pesel=str(pesel) if pesel is not None else None,
        given_name=str(claims.get("given_name", "")),
        family_name=str(claims.get("family_name", "")),
        birthdate=str(claims.get("birthdate", "")),
    )
