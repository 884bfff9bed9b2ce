"""Messages CareNet sends and receives (SMS-1..SMS-4): the outbox, inbound replies, the local gateway's store.

The outbox row *is* the message: it is written in the same transaction as the change that causes it and sent by a
background worker, exactly once per ``key`` (SMS-3).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("e-mail")


class OutboundMessage(models.Model):
    """One message to one recipient, keyed by what caused it (SMS-3)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        DELIVERED = "delivered", _("delivered")
        UNDELIVERED = "undelivered", _("undelivered")

    # "<purpose>:<object type>:<id>", e.g. "booking-confirmation:appointment:123": the same cause never sends twice.
    key = models.CharField(_("key"), max_length=200, unique=True)
    purpose = models.CharField(_("purpose"), max_length=60, db_index=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.SMS)
    recipient = models.CharField(_("recipient"), max_length=254, db_index=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    patient = models.ForeignKey(
        "accounts.Patient",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbound_messages",
        verbose_name=_("patient"),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # While a worker sends, the row is leased to it; a worker that dies leaves the lease to expire.
    lease_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    provider = models.CharField(_("provider"), max_length=30, blank=True)
    provider_message_id = models.CharField(_("provider message ID"), max_length=100, blank=True, db_index=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # A secret in the body (the first SMS password): where it is, until it is scrubbed once sent or expired. Only
    # its place is kept; after scrubbing the rest of the text stays and these are empty.
    secret_start = models.PositiveIntegerField(_("secret starts at"), null=True, blank=True)
    secret_length = models.PositiveIntegerField(_("secret length"), null=True, blank=True)
    secret_expires_at = models.DateTimeField(_("secret expires at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx"),
            models.Index(fields=["status", "lease_until"], name="outbox_lease_idx"),
            models.Index(
                fields=["secret_expires_at"], condition=Q(secret_length__isnull=False), name="outbox_secret_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.recipient} ({self.status})"


class InboundMessage(models.Model):
    """A message a patient sent us; unique per provider message id, so a webhook delivered 3 times acts once."""

    provider = models.CharField(_("provider"), max_length=30)
    provider_message_id = models.CharField(_("provider message ID"), max_length=100)
    sender = models.CharField(_("sender"), max_length=32, db_index=True)
    recipient = models.CharField(_("recipient"), max_length=32, blank=True)
    text = models.TextField(_("text"))
    received_at = models.DateTimeField(_("received at"))
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handler = models.CharField(_("handler"), max_length=60, blank=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_message_id"], name="inbound_once_per_provider_id")
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.text[:40]}"


class LocalSms(models.Model):
    """The local gateway's store (SMS-4): what a phone would have received, and what the 'patient' replied.

    Like the real gateway it refuses a second outgoing message with the same ``idx``.
    """

    class Direction(models.TextChoices):
        OUT = "out", _("to the patient")
        IN = "in", _("from the patient")

    # Our outbox key for outgoing messages; a generated id for replies typed in the developer inbox.
    idx = models.CharField(max_length=200, unique=True)
    phone = models.CharField(_("phone number"), max_length=32, db_index=True)
    text = models.TextField(_("text"))
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    sent_at = models.DateTimeField(_("time"), default=timezone.now)
    in_reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies", verbose_name=_("in reply to")
    )

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("local SMS")
        verbose_name_plural = _("local SMS messages")
        constraints = [models.CheckConstraint(condition=Q(direction__in=["out", "in"]), name="localsms_direction")]

    def __str__(self) -> str:
        return f"{self.direction} {self.phone}: {self.text[:40]}"
