"""The registry of SMS reply handlers (SMS-2, CXL-2, CHK-3).

Features register what they understand: check-in answers TAK (CHK-3), cancellation answers NIE and the numbered
choice that follows (CXL-1, CXL-2), waiting-list offers (BEY-1)::

    from carenet.messaging import inbound

    inbound.register("checkin-yes", matcher=is_checkin_yes, handler=confirm_arrival, priority=10)

A matcher looks at the message (and may query the database) and says whether its handler takes it; the first
matching handler by ``priority`` (lower first), then registration order, runs inside the inbound transaction and
returns what happened plus the replies to send. A message nobody takes gets a helpful answer and changes nothing
(CXL-2).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext, override

from carenet.messaging.policies import ParsedReply

if TYPE_CHECKING:
    from carenet.accounts.models import Patient
    from carenet.messaging.models import InboundMessage


@dataclass(frozen=True)
class InboundContext:
    message: InboundMessage
    sender: str  # E.164 when the sender is a valid phone number
    reply: ParsedReply
    now: dt.datetime


@dataclass
class HandlerResult:
    outcome: str  # a short English note for staff ("cancelled appointment 123", "unrecognised")
    replies: list[str] = field(default_factory=list)
    patient: Patient | None = None


Matcher = Callable[[InboundContext], bool]
Handler = Callable[[InboundContext], HandlerResult]


@dataclass(frozen=True)
class Route:
    name: str
    matcher: Matcher
    handler: Handler
    priority: int = 100


_routes: list[Route] = []
_lock = threading.Lock()
FALLBACK = "fallback"


def register(name: str, matcher: Matcher, handler: Handler, *, priority: int = 100) -> None:
    """Add (or replace, by name) a reply handler."""
    with _lock:
        _routes[:] = [route for route in _routes if route.name != name]
        _routes.append(Route(name=name, matcher=matcher, handler=handler, priority=priority))
        _routes.sort(key=lambda route: route.priority)  # stable: registration order within a priority


def unregister(name: str) -> None:
    with _lock:
        _routes[:] = [route for route in _routes if route.name != name]


def registered() -> list[Route]:
    with _lock:
        return list(_routes)


def route(context: InboundContext) -> Route:
    """The handler that takes this message: the first matching one, or the helpful fallback."""
    for candidate in registered():
        if candidate.matcher(context):
            return candidate
    return Route(name=FALLBACK, matcher=lambda _: True, handler=fallback_handler, priority=10**6)


def fallback_handler(context: InboundContext) -> HandlerResult:
    """An unknown sender or text: explain how to answer, change nothing (CXL-2)."""
    return HandlerResult(outcome="unrecognised", replies=[unrecognised_reply()])


def unrecognised_reply() -> str:
    # Patients get Polish SMS whatever language a worker runs in.
    with override(settings.LANGUAGE_CODE):
        return gettext(
            "CareNet: we did not recognise your reply. To cancel an appointment, reply NIE to the SMS confirming "
            "it; to confirm your arrival, reply TAK to the question about attendance. Call centre: %(phone)s."
        ) % {"phone": settings.CARENET_CALL_CENTRE_PHONE}


def technical_error_reply() -> str:
    with override(settings.LANGUAGE_CODE):
        return gettext(
            "CareNet: we could not handle your reply just now. Please try again later or call the call centre: "
            "%(phone)s."
        ) % {"phone": settings.CARENET_CALL_CENTRE_PHONE}
