"""Back-office views of the SMS channel: every message with its status (SMS-3), read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from carenet.accounts.admin_reads import RecordsPatientReads
from carenet.core.models import ScheduledRun
from carenet.messaging.models import InboundMessage, LocalSms, OutboundMessage


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(RecordsPatientReads, ReadOnlyAdmin):
    list_display = ["key", "channel", "recipient", "status", "attempts", "created_at", "sent_at", "delivered_at"]
    list_filter = ["status", "channel", "purpose"]
    search_fields = ["recipient", "key", "provider_message_id"]
    date_hierarchy = "created_at"
    raw_id_fields = ["patient"]


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    list_display = ["sender", "text", "provider", "received_at", "handler", "outcome"]
    list_filter = ["provider", "handler"]
    search_fields = ["sender", "text", "provider_message_id"]
    date_hierarchy = "received_at"


@admin.register(LocalSms)
class LocalSmsAdmin(ReadOnlyAdmin):
    list_display = ["phone", "direction", "text", "sent_at", "idx"]
    list_filter = ["direction"]
    search_fields = ["phone", "idx", "text"]


@admin.register(ScheduledRun)
class ScheduledRunAdmin(ReadOnlyAdmin):
    list_display = ["job", "bucket", "enqueued_at"]
    list_filter = ["job"]
