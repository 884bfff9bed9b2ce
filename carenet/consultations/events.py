"""What the rooms' sockets are told when a consultation changes (TEL-2): each change is published to the
consultation's group on the channel layer once its transaction commits, so a socket on any server process (Redis
layer) forwards it to its browser or app. Published events carry no medical data — a state, a position, a number —
and the consumer (``carenet.realtime``) decides per socket what to forward.

The channel layer is best-effort by design: a lost event costs a refresh, never data, because every client asks the
database for the state and the messages after its last ``seq`` whenever it (re)connects.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

#: The consumer's handler of published events (``type`` "consultation.event" → method ``consultation_event``).
EVENT_TYPE = "consultation.event"


def group_of(consultation_id: int) -> str:
    """The channel-layer group of one consultation's sockets (patient's and clinician's)."""
    return f"consultation.{consultation_id}"


def line_group_of(line_id: int) -> str:
    """The group of the clinicians' consoles watching one on-demand line (queue length and wait)."""
    return f"consultation-line.{line_id}"


def _send(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": EVENT_TYPE, "event": event})
    except Exception:  # the layer being down loses a hint, never data (clients re-read on reconnect)
        logger.warning("consultation event to %s not delivered", group, exc_info=True)


def publish(consultation_id: int, event: dict[str, Any]) -> None:
    """Tell the consultation's sockets about ``event`` after the current transaction commits (at once outside
    one). ``event`` is JSON: ``{"type": "state", ...}`` and the like (see ``carenet.realtime.consumers``)."""
    group = group_of(consultation_id)
    transaction.on_commit(lambda: _send(group, event))


def publish_line(line_id: int, event: dict[str, Any]) -> None:
    """Tell the consoles watching a line (queue length changed) after the current transaction commits."""
    group = line_group_of(line_id)
    transaction.on_commit(lambda: _send(group, event))
