"""The WebSocket door's routes (TEL-2): the rooms' socket, behind a check of the browser's Origin.

A browser sends the page's origin with every WebSocket: one from a host that is not CareNet's (another site's page
reaching a user's socket) is refused before the consumer runs. The mobile app sends no Origin; it is let through,
because the room opens only with a token the app fetched with its own login (a cookie opens nothing here).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import ParseResult

from channels.routing import URLRouter
from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings
from django.urls import path, re_path

from carenet.realtime.consumers import ConsultationConsumer

websocket_urlpatterns = [
    path("ws/consultations/", ConsultationConsumer.as_asgi()),
    re_path(r"", WebsocketDenier.as_asgi()),
]


class SameHostOrApp(OriginValidator):
    """``AllowedHostsOriginValidator`` that lets a socket without an Origin header (the mobile app) through, and
    refuses a malformed Origin instead of failing on it."""

    def valid_origin(self, parsed_origin: ParseResult | None) -> bool:
        if parsed_origin is None:
            return True
        try:
            return bool(self.validate_origin(parsed_origin))
        except ValueError:  # a port that is not a number
            return False


def websocket_application() -> Any:
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = ["localhost", "127.0.0.1", "[::1]"]
    return SameHostOrApp(URLRouter(websocket_urlpatterns), allowed)
