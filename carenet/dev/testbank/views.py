"""A local OpenID Connect provider that poses as a bank (ACC-5), so the demo and the tests run the real flow:
redirect → the bank's login page → code → token (server to server) → a signed ID token with the PESEL claim.

Mounted at ``/dev-bank/`` only when ``CARENET_TEST_BANK_ENABLED`` (every view also answers 404 when it is off).
Its one client is CareNet itself (``CARENET_BANK_OIDC_CLIENT_ID`` / ``_SECRET``). The tester "logs in to the bank"
by typing a PESEL and a name — nothing is prefilled from the request, so a test proves it typed the right PESEL.

Endpoints: discovery (``.well-known/openid-configuration``), ``jwks``, ``authorize`` (code flow, PKCE S256
required, ``state`` and ``nonce`` required), ``token`` (client secret by HTTP Basic or form, single-use codes valid
for a minute, PKCE verified), ``userinfo`` (Bearer). Claims: ``sub``, ``pesel``, ``given_name``, ``family_name``,
``name``, ``birthdate``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import unquote_plus, urlencode, urlsplit

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from joserfc import jwt
from joserfc.jwk import RSAKey
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.pl import pesel as stdnum_pesel

from carenet.core import clock
from carenet.dev.testbank.models import AccessToken, AuthorizationCode, SigningKey

CODE_SECONDS = 60
TOKEN_SECONDS = 300
PESEL_CLAIM = "pesel"
AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)

View = Callable[..., HttpResponse]
_keys: dict[str, RSAKey] = {}


def enabled_only(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.CARENET_TEST_BANK_ENABLED:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def issuer_of(request: HttpRequest) -> str:
    """This provider's issuer: its own address as the caller reached it."""
    return request.build_absolute_uri(reverse("testbank:root")).rstrip("/")


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def signing_key() -> RSAKey:
    """The key that signs ID tokens: the oldest stored one, generated (RSA 2048) on first use."""
    stored = SigningKey.objects.order_by("created_at", "id").first()
    if stored is None:
        key = RSAKey.generate_key(2048, auto_kid=True)
        stored = SigningKey.objects.create(kid=str(key.kid), private_pem=key.as_pem(private=True).decode())
    if stored.kid not in _keys:
        _keys[stored.kid] = RSAKey.import_key(stored.private_pem, {"kid": stored.kid})
    return _keys[stored.kid]


def _json(data: dict[str, Any], status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status)
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


@require_GET
@enabled_only
def discovery(request: HttpRequest) -> HttpResponse:
    """OpenID Connect discovery."""
    issuer = issuer_of(request)
    return JsonResponse(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "userinfo_endpoint": f"{issuer}/userinfo",
            "jwks_uri": f"{issuer}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "pesel"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", PESEL_CLAIM, "given_name", "family_name"],
        }
    )


@require_GET
@enabled_only
def jwks(request: HttpRequest) -> HttpResponse:
    """The public keys that verify ID tokens."""
    signing_key()
    keys = [RSAKey.import_key(stored.private_pem, {"kid": stored.kid}) for stored in SigningKey.objects.all()]
    return JsonResponse({"keys": [{**key.as_dict(private=False), "use": "sig", "alg": "RS256"} for key in keys]})


def _authorize_problem(request: HttpRequest, params: dict[str, str]) -> str | None:
    """Why this authorization request is refused, or ``None``."""
    if not hmac.compare_digest(params["client_id"], str(settings.CARENET_BANK_OIDC_CLIENT_ID)):
        return _("Unknown client.")
    redirect = urlsplit(params["redirect_uri"])
    if redirect.scheme not in ("http", "https") or redirect.netloc != request.get_host():
        return _("The return address must be on the server that asks (the test bank serves only this CareNet).")
    if params["response_type"] != "code" or "openid" not in params["scope"].split():
        return _("Only the OpenID Connect authorization-code flow is supported.")
    if not params["state"] or not params["nonce"]:
        return _("The request must carry state and nonce.")
    if not params["code_challenge"] or params["code_challenge_method"] != "S256":
        return _("The request must use PKCE with S256.")
    return None


@never_cache
@require_http_methods(["GET", "POST"])
@enabled_only
def authorize(request: HttpRequest) -> HttpResponse:
    """The bank's login page: the tester types a PESEL and a name as the bank's customer, then approves sharing
    them with CareNet (or refuses: ``error=access_denied``)."""
    source = request.POST if request.method == "POST" else request.GET
    params = {name: source.get(name, "")[:500] for name in AUTHORIZE_PARAMS}
    problem = _authorize_problem(request, params)
    if problem:
        return render(request, "testbank/error.html", {"problem": problem}, status=400)
    errors: dict[str, str] = {}
    typed = {name: request.POST.get(name, "").strip()[:80] for name in ("pesel", "given_name", "family_name")}
    if request.method == "POST":
        if request.POST.get("action") == "deny":
            query = urlencode({"error": "access_denied", "state": params["state"]})
            return HttpResponseRedirect(f"{params['redirect_uri']}?{query}")
        birthdate: dt.date | None = None
        try:
            stdnum_pesel.validate(typed["pesel"])
            birthdate = stdnum_pesel.get_birth_date(typed["pesel"])
        except (StdnumError, ValueError):
            errors["pesel"] = _("This is not a valid PESEL number.")
        for name in ("given_name", "family_name"):
            if not typed[name]:
                errors[name] = _("Required.")
        if not errors and birthdate is not None:
            code = secrets.token_urlsafe(32)
            now = clock.now()
            AuthorizationCode.objects.create(
                code_hash=_digest(code),
                client_id=params["client_id"],
                redirect_uri=params["redirect_uri"],
                nonce=params["nonce"],
                code_challenge=params["code_challenge"],
                claims={
                    "sub": "testbank-" + _digest("testbank:" + typed["pesel"])[:24],
                    PESEL_CLAIM: typed["pesel"],
                    "given_name": typed["given_name"],
                    "family_name": typed["family_name"],
                    "name": f"{typed['given_name']} {typed['family_name']}",
                    "birthdate": birthdate.isoformat(),
                },
                created_at=now,
                expires_at=now + dt.timedelta(seconds=CODE_SECONDS),
            )
            query = urlencode({"code": code, "state": params["state"]})
            return HttpResponseRedirect(f"{params['redirect_uri']}?{query}")
    context = {"params": params, "typed": typed, "errors": errors, "client": urlsplit(params["redirect_uri"]).netloc}
    return render(request, "testbank/authorize.html", context, status=422 if errors else 200)


def _client_credentials(request: HttpRequest) -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        client_id, _sep, secret = decoded.partition(":")
        return unquote_plus(client_id), unquote_plus(secret)
    return request.POST.get("client_id", ""), request.POST.get("client_secret", "")


def _pkce_matches(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return bool(verifier) and hmac.compare_digest(computed, challenge)


@csrf_exempt
@require_POST
@enabled_only
def token(request: HttpRequest) -> HttpResponse:
    """Exchange a code for an ID token and an access token (server to server)."""
    client_id, secret = _client_credentials(request)
    expected_id = str(settings.CARENET_BANK_OIDC_CLIENT_ID)
    expected_secret = str(settings.CARENET_BANK_OIDC_CLIENT_SECRET)
    if not (
        expected_secret
        and hmac.compare_digest(client_id, expected_id)
        and hmac.compare_digest(secret.encode(), expected_secret.encode())
    ):
        return _json({"error": "invalid_client"}, status=401)
    if request.POST.get("grant_type") != "authorization_code":
        return _json({"error": "unsupported_grant_type"}, status=400)
    now = clock.now()
    with transaction.atomic():
        code = (
            AuthorizationCode.objects.select_for_update()
            .filter(code_hash=_digest(request.POST.get("code", "")), client_id=client_id)
            .first()
        )
        if code is None or code.used_at is not None or code.expires_at <= now:
            return _json({"error": "invalid_grant"}, status=400)
        # Used up whatever follows: a second exchange of the same code never succeeds.
        if AuthorizationCode.objects.filter(pk=code.pk, used_at__isnull=True).update(used_at=now) != 1:
            return _json({"error": "invalid_grant"}, status=400)
    if request.POST.get("redirect_uri", "") != code.redirect_uri:
        return _json({"error": "invalid_grant", "error_description": "redirect_uri"}, status=400)
    if not _pkce_matches(request.POST.get("code_verifier", ""), code.code_challenge):
        return _json({"error": "invalid_grant", "error_description": "code_verifier"}, status=400)
    access_token = secrets.token_urlsafe(32)
    AccessToken.objects.create(
        token_hash=_digest(access_token), claims=code.claims, expires_at=now + dt.timedelta(seconds=TOKEN_SECONDS)
    )
    key = signing_key()
    issued = int(now.timestamp())
    id_claims = {
        **code.claims,
        "iss": issuer_of(request),
        "aud": client_id,
        "iat": issued,
        "auth_time": issued,
        "exp": issued + TOKEN_SECONDS,
        "nonce": code.nonce,
    }
    id_token = jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, id_claims, key)
    return _json(
        {"access_token": access_token, "token_type": "Bearer", "expires_in": TOKEN_SECONDS, "id_token": id_token}
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
@enabled_only
def userinfo(request: HttpRequest) -> HttpResponse:
    """The claims of the customer an access token was issued for."""
    header = request.headers.get("Authorization", "")
    value = header[7:] if header.startswith("Bearer ") else ""
    found = AccessToken.objects.filter(token_hash=_digest(value), expires_at__gt=clock.now()).first() if value else None
    if found is None:
        response = _json({"error": "invalid_token"}, status=401)
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    return _json(dict(found.claims))


@require_GET
@enabled_only
def root(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(reverse("testbank:discovery"))
