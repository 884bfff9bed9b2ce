"""``/appointments/{id}/files``: files attached to a consultation (TEL-3) for the mobile app — list, attach, detach;
each change one call of :mod:`carenet.files.attachments`.

A patient attaches their own stored files (FIL-1) — or a child's, to the child's visit — at level II (403
``level_two_required``) with an active package (403 ``package_inactive``, ACC-7), before the visit starts (409
``visit_started``, ``visit_cancelled``, ``visit_closed``, ``visit_not_booked``). Someone else's visit answers 404
``visit_not_found`` and someone else's file — a parent's on a child's visit too — 404 ``file_not_found``, exactly like
one that does not exist, and nothing is stored. Attaching twice answers the same and keeps one row. A clinician with
a relationship to the patient (CLN-6) reads the list; other roles 403 ``role_not_allowed``. Every list that shows
files records the read.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from carenet.api.access import request_actor
from carenet.api.auth import USER_AUTH
from carenet.api.schemas import ErrorOut, InvalidInputOut, Out
from carenet.core import clock
from carenet.core.validation import DbId
from carenet.files import attachments
from carenet.files.models import ConsultationFile
from carenet.web.reads import What, record_reads

router = Router(tags=["files"], auth=USER_AUTH)

READ_ERRORS: dict[int, type] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: InvalidInputOut}
WRITE_ERRORS: dict[int, type] = {**READ_ERRORS, 409: ErrorOut}


class AttachedFileOut(Out):
    file_id: int
    name: str = Field(..., description="The file's name as uploaded (cleaned).")
    description: str = Field(..., description="What the patient wrote for the clinician (5–75 characters).")
    content_type: str = Field(..., description="image/jpeg, image/png or application/pdf.")
    size: int = Field(..., description="Bytes.")
    uploaded_at: dt.datetime
    delete_after: dt.datetime = Field(..., description="Deleted automatically then (FIL-2), with its attachments.")
    attached_at: dt.datetime


class VisitFilesOut(Out):
    appointment_id: int
    can_change: bool = Field(..., description="Whether files can be attached or detached now (before the start).")
    closed_reason: str | None = Field(
        None, description="Why not: visit_started, visit_cancelled, visit_closed or visit_not_booked."
    )
    results: list[AttachedFileOut] = Field(..., description="The attached files, in the order attached.")


class AttachIn(Schema):
    file_id: DbId = Field(..., description="One of the visit patient's stored files.")


def attached_out(row: ConsultationFile) -> AttachedFileOut:
    file = row.file
    return AttachedFileOut(
        file_id=file.pk,
        name=file.original_name,
        description=file.description,
        content_type=file.content_type,
        size=file.size,
        uploaded_at=file.uploaded_at,
        delete_after=file.delete_after,
        attached_at=row.attached_at,
    )


@router.get(
    "/appointments/{int:appointment_id}/files",
    response={200: VisitFilesOut, **READ_ERRORS},
    summary="Files attached to a visit",
)
def visit_file_list(request: HttpRequest, appointment_id: DbId) -> VisitFilesOut:
    """TEL-3: the files attached to the visit, and whether they can still change. The patient (or their guardian)
    and a clinician with a relationship to the patient (CLN-6)."""
    _user, actor = request_actor(request)  # ACC-7: 403 package_inactive
    visit = attachments.access_visit_files(actor, appointment_id)
    now = clock.now()
    rows = attachments.attached_files(visit.pk, now=now)
    if rows:
        record_reads(request, patient_ids=[visit.patient_id], what=What.FILES, reference=f"visit:{visit.pk}")
    refusal = attachments.attachments_open(visit, now=now)
    return VisitFilesOut(
        appointment_id=visit.pk,
        can_change=refusal is None,
        closed_reason=refusal.value if refusal is not None else None,
        results=[attached_out(row) for row in rows],
    )


@router.post(
    "/appointments/{int:appointment_id}/files",
    response={200: AttachedFileOut, **WRITE_ERRORS},
    summary="Attach a file to a visit",
)
def visit_file_attach(request: HttpRequest, appointment_id: DbId, payload: AttachIn) -> Status:
    """TEL-3: attach one of the visit patient's stored files before the visit starts. Attaching it again answers the
    same attachment and changes nothing. Refusals: 404 `visit_not_found`, `file_not_found`; 409 `visit_started`,
    `visit_cancelled`, `visit_closed`, `visit_not_booked`, `too_many_attachments`; 403 `role_not_allowed`,
    `level_two_required`, `package_inactive`."""
    _user, actor = request_actor(request)
    attached = attachments.file_attach(actor=actor, appointment_id=appointment_id, file_id=payload.file_id)
    return Status(200, attached_out(attached.attachment))


@router.delete(
    "/appointments/{int:appointment_id}/files/{int:file_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Detach a file from a visit",
)
def visit_file_detach(request: HttpRequest, appointment_id: DbId, file_id: DbId) -> Status:
    """TEL-3: take a file off the visit before it starts (the file stays stored). Detaching one that is not attached
    changes nothing and answers the same. Refusals as for attaching."""
    _user, actor = request_actor(request)
    attachments.file_detach(actor=actor, appointment_id=appointment_id, file_id=file_id)
    return Status(204, None)
