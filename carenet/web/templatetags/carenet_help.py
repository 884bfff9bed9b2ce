"""``{% help_numbers %}``: the urgent-help and call-centre numbers (FBK-4) for the pages rendered without a request
(the 400 and 500 pages: no context processors, no database) — read from the settings, like the footer's."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

register = template.Library()


@register.inclusion_tag("errors/_help_numbers.html")
def help_numbers() -> dict[str, Any]:
    return {
        "URGENT_HELP_PHONE": settings.CARENET_URGENT_HELP_PHONE,
        "CALL_CENTRE_PHONE": settings.CARENET_CALL_CENTRE_PHONE,
    }
