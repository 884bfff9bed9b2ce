"""``{{ service|localized }}``, ``{{ facility|localized:"scope" }}``: a catalogue entry's name (or another field
with an English twin) in the page's language (BEY-5, issue 14). A built-in of the templates (config/settings.py)."""

from __future__ import annotations

from typing import Any

from django import template

from carenet.core.catalogue import localized as localized_text

register = template.Library()


@register.filter
def localized(item: Any, field: str = "name") -> str:
    return localized_text(item, field)
