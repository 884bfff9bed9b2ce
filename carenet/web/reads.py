"""Every read of a patient's data through a page or an endpoint is recorded (CLN-6, issue 10): the doors call
:func:`record_reads` with what they showed; the record is one insert (``carenet.accounts`` read record)."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest

from carenet.accounts.reads import Door, What, patient_reads_record
from carenet.core import clock
from carenet.web.access import request_actor

__all__ = ["Door", "What", "door_of", "record_reads"]


def door_of(request: HttpRequest) -> Door:
    """Which door a request came through: the API, the consoles or the patient's pages."""
    path = request.path_info
    if path.startswith("/api/"):
        return Door.API
    if "/staff/" in path:
        return Door.STAFF
    return Door.PORTAL


def record_reads(request: HttpRequest, *, patient_ids: Iterable[int], what: What, reference: object = "") -> None:
    """Record that the request's user read these patients' data (nothing for a patient reading their own)."""
    patient_reads_record(
        actor=request_actor(request),
        patient_ids=patient_ids,
        what=what,
        door=door_of(request),
        reference=reference,
        now=clock.now(),
    )
