"""``/files``: "Twoje pliki" — a patient's files for the mobile app (FIL-1, FIL-2): the list, uploading (multipart),
one file's details, its content (always a download) and deleting it. Every change is one call of
:mod:`carenet.files.services`.

A patient works with their own files and their children's (``patient_id`` picks one of them; anyone else's patient
or file answers 404, as one that does not exist). It is level II (403 ``level_two_required``) and needs an active
package (403 ``package_inactive``, ACC-7); other roles answer 403 ``role_not_allowed``. A refused upload stores
nothing. A guardian's read of a child's files is recorded (``What.FILES``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile

from carenet.accounts.models import User
from carenet.accounts.permissions import Action, Actor
from carenet.accounts.policies import Feature
from carenet.accounts.selectors import patient_feature_check
from carenet.api.access import request_actor
from carenet.api.auth import USER_AUTH
from carenet.api.idempotency import Answer, idempotent
from carenet.api.routers.appointments import IDEMPOTENCY_KEY
from carenet.api.schemas import ErrorOut, InvalidInputOut, Out
from carenet.core.errors import NotFound, PermissionDenied
from carenet.core.validation import DbId, Text
from carenet.files import selectors, services
from carenet.files.models import PatientFile
from carenet.web.downloads import private_file_response
from carenet.web.reads import What, record_reads

router = Router(tags=["files"], auth=USER_AUTH)

READ_ERRORS: dict[int, type] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: InvalidInputOut}
WRITE_ERRORS: dict[int, type] = {**READ_ERRORS, 409: ErrorOut, 413: ErrorOut}


class FileListIn(Schema):
    patient_id: DbId | None = Field(None, description="Default: the caller. A guardian may name their child.")


class FileOut(Out):
    id: int
    patient_id: int
    name: str = Field(..., description="The file's name (cleaned, with the extension of its checked format).")
    description: str = Field(..., description="What the file shows; the clinician sees it.")
    content_type: str = Field(..., description="image/jpeg, image/png or application/pdf (checked by content).")
    size: int = Field(..., description="Bytes, as stored (after disarming).")
    sha256: str
    uploaded_at: dt.datetime
    delete_after: dt.datetime = Field(..., description="FIL-2: deleted automatically then (3 months after upload).")


class FileListOut(Out):
    results: list[FileOut] = Field(..., description="The person's files, newest first.")
    patient_id: int
    max_stored: int = Field(..., description="At most this many files stored at once (FIL-1).")
    slots_left: int = Field(..., description="How many more may be uploaded now.")
    max_bytes: int = Field(..., description="The largest file accepted, in bytes.")
    terms_accepted: bool = Field(..., description="False: the first upload must send accept_terms=true.")


def _patient_actor(request: HttpRequest) -> tuple[User, Actor]:
    user, actor = request_actor(request)
    if not actor.is_patient or not actor.can(Action.FILE_VIEW):
        raise PermissionDenied(_("Only patients keep files here."), code="role_not_allowed")
    patient_feature_check(user=user, feature=Feature.FILE_UPLOADS)  # ACC-4: 403 level_two_required
    return user, actor


def _whose(actor: Actor, patient_id: int | None) -> int:
    """The caller, or the child they name; anyone else is 404 ``patient_not_found``."""
    whose = patient_id if patient_id is not None else actor.patient_id
    if whose is None or not actor.reaches(Action.FILE_VIEW, patient_id=whose):
        raise services.patient_not_found()
    return whose


def file_out(row: PatientFile) -> FileOut:
    return FileOut(
        id=row.pk,
        patient_id=row.patient_id,
        name=row.original_name,
        description=row.description,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        uploaded_at=row.uploaded_at,
        delete_after=row.delete_after,
    )


@router.get("/files", response={200: FileListOut, **READ_ERRORS}, summary="My files")
def file_list(request: HttpRequest, query: Query[FileListIn]) -> FileListOut:
    """FIL-1, FIL-2: the person's files, newest first, with how many more may be added and whether the terms are
    accepted."""
    _user, actor = _patient_actor(request)
    whose = _whose(actor, query.patient_id)
    rows = list(selectors.file_list_for_patient(patient_id=whose))
    record_reads(request, patient_ids=[whose], what=What.FILES)
    return FileListOut(
        results=[file_out(row) for row in rows],
        patient_id=whose,
        max_stored=settings.CARENET_FILE_MAX_STORED,
        slots_left=selectors.file_slots_left(patient_id=whose),
        max_bytes=settings.CARENET_FILE_MAX_BYTES,
        terms_accepted=selectors.terms_accepted(patient_id=whose),
    )


@router.post("/files", response={201: FileOut, **WRITE_ERRORS}, summary="Upload a file")
def file_upload(
    request: HttpRequest,
    file: File[UploadedFile | None] = None,
    description: Form[str] = "",
    accept_terms: Form[bool] = False,
    patient_id: Form[DbId | None] = None,
    idempotency_key: Text | None = IDEMPOTENCY_KEY,
) -> Status:
    """FIL-1, FIL-2: upload a JPG, JPEG, PNG or PDF (multipart/form-data: ``file``, ``description`` of 5–75
    characters, ``accept_terms`` true for the first upload, ``patient_id`` for a child). The file is checked by its
    content and disarmed (images re-encoded without metadata, PDFs refused with active content). Refusals: 422
    `file_missing`, `file_empty`, `file_too_large`, `file_type`, `image_bomb`, `image_broken`, `pdf_active`,
    `pdf_encrypted`, `pdf_broken`, `description_too_short`, `description_too_long`, `description_invalid`,
    `terms_not_accepted`; 409 `too_many_files`; 413 `payload_too_large`; 404 `patient_not_found`; 403
    `role_not_allowed`, `level_two_required`, `package_inactive`."""
    user, actor = _patient_actor(request)
    whose = _whose(actor, patient_id)

    def run() -> Answer:
        row = services.file_upload(
            actor=actor,
            patient_id=whose,
            upload=file,
            description=description,
            accept_terms=accept_terms,
        )
        return 201, file_out(row)

    return idempotent(request, user=user, key=idempotency_key, run=run)


@router.get("/files/{file_id}", response={200: FileOut, **READ_ERRORS}, summary="A file's details")
def file_detail(request: HttpRequest, file_id: DbId) -> FileOut:
    """One file of the caller or of their child (404 `file_not_found` for anyone else's)."""
    _user, actor = _patient_actor(request)
    row = selectors.access_patient_file(actor=actor, file_id=file_id)
    record_reads(request, patient_ids=[row.patient_id], what=What.FILES, reference=row.pk)
    return file_out(row)


@router.get(
    "/files/{file_id}/content",
    response={200: None, **READ_ERRORS},
    summary="Download a file",
    openapi_extra={
        "responses": {
            200: {
                "description": "The stored (disarmed) file, always as an attachment.",
                "content": {
                    "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                    "image/png": {"schema": {"type": "string", "format": "binary"}},
                    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
def file_content(request: HttpRequest, file_id: DbId) -> HttpResponseBase:
    """The file itself (``Content-Disposition: attachment``, ``nosniff``, never cached)."""
    _user, actor = _patient_actor(request)
    row = selectors.access_patient_file(actor=actor, file_id=file_id)
    record_reads(request, patient_ids=[row.patient_id], what=What.FILES, reference=row.pk)
    response = private_file_response(row.stored, filename=row.original_name, content_type=row.content_type)
    if response.status_code == 404:
        raise NotFound(_("No such file."), code="file_not_found")
    return response


@router.delete("/files/{file_id}", response={204: None, **READ_ERRORS}, summary="Delete a file")
def file_delete(request: HttpRequest, file_id: DbId) -> Status:
    """FIL-2: delete a file at any time (the row now, the stored file once committed). 404 `file_not_found`."""
    _user, actor = _patient_actor(request)
    services.file_delete(actor=actor, file_id=file_id)
    return Status(204, None)
