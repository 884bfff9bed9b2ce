"""Reads of the SMS channel."""

from __future__ import annotations

from carenet.messaging.models import OutboundMessage


def outbox_pending_count() -> int:
    """Messages not yet handed to a gateway (pending, or leased to a worker that is sending them)."""
    return OutboundMessage.objects.filter(
        status__in=[OutboundMessage.Status.PENDING, OutboundMessage.Status.SENDING]
    ).count()
