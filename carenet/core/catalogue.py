"""A catalogue entry's text in the language of the page (BEY-5, issue 14): the catalogue keeps a Polish field and
its English twin (``name`` and ``name_en``, ``scope`` and ``scope_en``, ``patient_name`` and ``patient_name_en``);
English pages show the twin when it is filled, everything else the Polish text."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language


def localized(item: Any, field: str = "name", *, language: str | None = None) -> str:
    """``item.<field>_en`` on English pages (or for ``language="en"``) when it is filled, else ``item.<field>``;
    "" for no item. Reads only the two attributes: no query when the item is already loaded."""
    if item is None:
        return ""
    polish = getattr(item, field, "") or ""
    if (language or get_language() or "").split("-")[0] == "en":
        english = getattr(item, f"{field}_en", "") or ""
        if english.strip():
            return str(english)
    return str(polish)
