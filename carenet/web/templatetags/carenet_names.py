"""How people and places are named on every page (BEY-5, issue 14): one helper, so a clinician is "lek. Anna Nowak"
or "dr n. med. Jan Kowalski" in the portal and the consoles alike, in Polish and in English."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def clinician_name(clinician: Any) -> str:
    """The clinician's academic title in its usual Polish abbreviation ("lek.", "dr n. med.", "dr hab. n. med.",
    "prof. dr hab. n. med." — the stored value, never its long label), then the first and last name."""
    if not clinician:
        return ""
    return " ".join(part for part in (clinician.title, clinician.first_name, clinician.last_name) if part)
