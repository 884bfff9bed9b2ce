"""The token that opens a consultation room's socket (TEL-2, API for the mobile app).

A page or the API hands out a signed, short-lived token naming the user, the consultation and the side they take
part on; the socket's first message carries it (never the URL, which servers log). The consumer checks the
signature and age, then asks the permission table and the consultation's own rules again with the user it names —
a token is only a way in for someone who may already be there.

A token a page hands out also carries a digest of the browser session it was issued in (never the session's key: the
page shows the token): the socket then opens only with that session's cookie, while it is still logged in — a token
copied from the page, or left in it after logging out, opens nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils.crypto import salted_hmac

_SALT = "carenet.consultations.socket"


@dataclass(frozen=True, slots=True)
class SocketTicket:
    user_id: int
    consultation_id: int
    side: str  # ChatMessage.Side value: "patient" or "clinician"
    #: :func:`session_digest` of the browser session the token was issued in; "" for the app's (bearer) tokens.
    session: str = ""


def session_digest(session_key: str) -> str:
    return salted_hmac(_SALT, session_key).hexdigest()[:32]


def socket_token(*, user_id: int, consultation_id: int, side: str, session_key: str | None = None) -> str:
    """``session_key``: the browser session of the page asking for it (pages always pass it)."""
    data: dict[str, object] = {"u": user_id, "c": consultation_id, "s": side}
    if session_key:
        data["k"] = session_digest(session_key)
    return signing.dumps(data, salt=_SALT, compress=False)


def socket_ticket(token: object, *, max_age: int | None = None) -> SocketTicket | None:
    """The ticket a token carries, or ``None`` when it is not a string, forged, malformed or too old."""
    # A token is ASCII (base64 and colons): anything else — a lone surrogate from a JSON escape — is no token.
    if not isinstance(token, str) or not token.isascii() or not 10 <= len(token) <= 400:
        return None
    age = settings.CARENET_CONSULTATION_TOKEN_SECONDS if max_age is None else max_age
    try:
        data = signing.loads(token, salt=_SALT, max_age=age)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    user_id, consultation_id, side, session = data.get("u"), data.get("c"), data.get("s"), data.get("k", "")
    if not (isinstance(user_id, int) and isinstance(consultation_id, int) and side in ("patient", "clinician")):
        return None
    if isinstance(user_id, bool) or isinstance(consultation_id, bool) or not isinstance(session, str):
        return None
    return SocketTicket(user_id=user_id, consultation_id=consultation_id, side=side, session=session)
