"""The clinician's view of a patient's files (FIL-1, TEL-3, CLN-6): "Pliki od pacjenta" on the visit page — the files
attached to this visit first, then the patient's other current files — and the download. Only a clinician with a
relationship to the patient (``FILE_VIEW`` RELATED: a visit with them) sees them; anyone else gets 404 and nothing is
recorded. Every list and download is a recorded read (``What.FILES``)."""

from __future__ import annotations

from typing import Any, cast

from django.http import Http404, HttpRequest, HttpResponse

from carenet.accounts.permissions import Action
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.core.errors import NotFound
from carenet.files import attachments
from carenet.web.access import request_actor, staff_required
from carenet.web.downloads import private_file_response
from carenet.web.reads import What, record_reads


def visit_files_context(request: HttpRequest, visit: Appointment) -> dict[str, Any]:
    """The visit page's "Pliki od pacjenta": ``patient_files`` is ``None`` for someone who may not read them."""
    actor = request_actor(request)
    now = clock.now()
    try:
        current = attachments.files_visible_to_clinician(actor, visit.patient_id, now=now)
    except NotFound:
        return {"patient_files": None}
    attached_rows = attachments.attached_files(visit.pk, now=now)
    attached_ids = {row.file_id for row in attached_rows}
    if current:
        record_reads(request, patient_ids=[visit.patient_id], what=What.FILES, reference=f"visit:{visit.pk}")
    return {
        "patient_files": {
            "attached": attached_rows,
            "others": [file for file in current if file.pk not in attached_ids],
        }
    }


@staff_required(Action.FILE_VIEW)
def patient_file(request: HttpRequest, file_id: int) -> HttpResponse:
    """FIL-1: download one of a patient's files — always as an attachment, never rendered (FIL-2)."""
    try:
        file = attachments.access_file_as_clinician(request_actor(request), file_id)
    except NotFound as error:
        raise Http404 from error
    record_reads(request, patient_ids=[file.patient_id], what=What.FILES, reference=file.pk)
    response = private_file_response(file.stored, filename=file.original_name, content_type=file.content_type)
    return cast(HttpResponse, response)  # a FileResponse streams; the console's decorators pass it through as it is
