"""The STUN/TURN servers a room's browsers (or the mobile app) use to reach each other (TEL-2: voice and video).

``CARENET_ICE_SERVERS`` lists the servers as RTCPeerConnection takes them. Behind strict NATs the media goes
through a TURN relay: with ``CARENET_TURN_SECRET`` (coturn's ``static-auth-secret``, ``use-auth-secret``) each
user gets credentials for ``CARENET_TURN_URLS`` that expire after ``CARENET_TURN_CREDENTIAL_SECONDS`` — coturn's
"TURN REST API" scheme: the username is ``"<expiry unix time>:<user id>"`` and the password the base64 HMAC-SHA1 of
the username under the shared secret, so the relay checks them without asking CareNet.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import hmac
from typing import Any

from django.conf import settings


def turn_credential(*, secret: str, username: str) -> str:
    """coturn's REST API password for ``username``: base64(HMAC-SHA1(secret, username))."""
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def ice_servers(*, user_id: int, now: dt.datetime) -> list[dict[str, Any]]:
    """The ``iceServers`` for ``user_id``'s room: the configured ones, and the TURN relay with fresh credentials."""
    servers = [copy.deepcopy(server) for server in settings.CARENET_ICE_SERVERS if isinstance(server, dict)]
    secret = settings.CARENET_TURN_SECRET
    urls = [url for url in settings.CARENET_TURN_URLS if url]
    if secret and urls:
        expiry = int(now.timestamp()) + int(settings.CARENET_TURN_CREDENTIAL_SECONDS)
        username = f"{expiry}:{user_id}"
        servers.append(
            {"urls": urls, "username": username, "credential": turn_credential(secret=secret, username=username)}
        )
    return servers
