"""How CareNet writes a clinician's name on every page, in the portal and the consoles alike (issue 14): the academic
title abbreviated the Polish way it is stored ("lek.", "dr n. med.", "dr hab. n. med.", "prof. dr hab. n. med.")
before the first and last name; no title for a nurse, a midwife or a physiotherapist without one."""

from __future__ import annotations

from typing import Protocol


class _Named(Protocol):
    title: str
    first_name: str
    last_name: str


def clinician_name(clinician: _Named | None) -> str:
    """``"dr n. med. Patrycja Kaźmierczak"``; an empty string for no clinician."""
    if clinician is None:
        return ""
    return " ".join(part for part in (clinician.title, clinician.first_name, clinician.last_name) if part)
