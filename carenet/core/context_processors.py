from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def carenet(request: HttpRequest) -> dict[str, Any]:
    """Values every page shows: help-line numbers (FBK-4) and whether the developer SMS inbox exists."""
    return {
        "CALL_CENTRE_PHONE": settings.CARENET_CALL_CENTRE_PHONE,
        "URGENT_HELP_PHONE": settings.CARENET_URGENT_HELP_PHONE,
        "SMS_DEV_INBOX": settings.CARENET_SMS_DEV_INBOX,
    }
