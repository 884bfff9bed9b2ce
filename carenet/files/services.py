"""Patients' files (FIL-1, FIL-2): accepting the terms, uploading, deleting and the scheduled deletion. Every door
(the portal's "Twoje pliki", the API, the demo) calls these.

Each service checks the actor against the permission table first (``FILE_UPLOAD``, ``FILE_DELETE``) and the account
level (level II, ACC-4); a refusal raises a typed error with a stable code and changes nothing — no row, and no
stored file left behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action, Actor
from carenet.accounts.policies import Feature, feature_allowed
from carenet.accounts.selectors import LEVEL_TWO_REQUIRED_MESSAGE
from carenet.core import clock
from carenet.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationFailed
from carenet.files import policies, selectors
from carenet.files.disarm import FileRefused, disarm, read_limited
from carenet.files.models import PatientFile, TermsAcceptance
from carenet.files.policies import EXTENSIONS, TERMS_VERSION, FileRefusal

logger = logging.getLogger(__name__)

_MESSAGES = {
    FileRefusal.FILE_MISSING: _("Choose a file to upload."),
    FileRefusal.FILE_EMPTY: _("The file is empty."),
    FileRefusal.FILE_TOO_LARGE: _("The file is too large: at most %(mb)s MB."),
    FileRefusal.FILE_TYPE: _("This file is not a JPG, JPEG, PNG or PDF file (checked by its content, not its name)."),
    FileRefusal.IMAGE_BOMB: _("The picture is too large (too many pixels). Send a smaller photo."),
    FileRefusal.IMAGE_BROKEN: _("The picture cannot be read: the file is damaged or incomplete."),
    FileRefusal.PDF_ACTIVE: _(
        "The PDF contains active content (scripts, actions, attachments or forms) and cannot be accepted. Print it "
        "to a new PDF or send a scan."
    ),
    FileRefusal.PDF_ENCRYPTED: _("The PDF is password-protected or encrypted. Send a PDF without a password."),
    FileRefusal.PDF_BROKEN: _("The PDF cannot be read: the file is damaged."),
    FileRefusal.DESCRIPTION_TOO_SHORT: _("The description must have at least %(min)s characters."),
    FileRefusal.DESCRIPTION_TOO_LONG: _("The description may have at most %(max)s characters."),
    FileRefusal.DESCRIPTION_INVALID: _("Remove the control characters from the description."),
    FileRefusal.TERMS_NOT_ACCEPTED: _("Accept the terms of the service to upload a file."),
    FileRefusal.TOO_MANY_FILES: _("You already have %(max)s files. Delete one of them to add another."),
}
#: The refusals that concern the description field (a page shows them next to it), and the terms checkbox.
DESCRIPTION_REFUSALS = {
    FileRefusal.DESCRIPTION_TOO_SHORT,
    FileRefusal.DESCRIPTION_TOO_LONG,
    FileRefusal.DESCRIPTION_INVALID,
}


def file_error(refusal: FileRefusal) -> ApplicationError:
    """The typed error of a refusal: 409 for the count of stored files, 422 for the file and the form."""
    message = _MESSAGES[refusal] % {
        "mb": settings.CARENET_FILE_MAX_BYTES // (1024 * 1024),
        "min": policies.DESCRIPTION_MIN_CHARS,
        "max": policies.DESCRIPTION_MAX_CHARS
        if refusal is not FileRefusal.TOO_MANY_FILES
        else settings.CARENET_FILE_MAX_STORED,
    }
    if refusal is FileRefusal.TOO_MANY_FILES:
        return Conflict(message, code=refusal.value)
    return ValidationFailed(message, code=refusal.value)


def file_not_found() -> NotFound:
    return NotFound(_("No such file."), code="file_not_found")


def patient_not_found() -> NotFound:
    return NotFound(_("No such patient."), code="patient_not_found")


def _role_refused() -> PermissionDenied:
    return PermissionDenied(_("Your role does not do this."), code="role_not_allowed")


def _check_actor(actor: Actor, action: Action) -> None:
    if not actor.can(action) or actor.user_id is None:
        raise _role_refused()
    if not feature_allowed(Feature.FILE_UPLOADS, level=actor.level or 0):  # ACC-4: level II
        raise PermissionDenied(LEVEL_TWO_REQUIRED_MESSAGE, code="level_two_required")


def terms_accept(*, actor: Actor, patient_id: int, now: dt.datetime | None = None) -> TermsAcceptance:
    """FIL-1: the patient (or a guardian for their child) accepts the current terms; accepting again is a no-op."""
    _check_actor(actor, Action.FILE_UPLOAD)
    if not actor.reaches(Action.FILE_UPLOAD, patient_id=patient_id):
        raise patient_not_found()
    now = now or clock.now()
    try:
        with transaction.atomic():
            acceptance, _created = TermsAcceptance.objects.get_or_create(
                patient_id=patient_id,
                terms_version=TERMS_VERSION,
                defaults={"accepted_by_id": actor.user_id, "accepted_at": now},
            )
    except IntegrityError:  # accepted at the same moment through another door
        acceptance = TermsAcceptance.objects.get(patient_id=patient_id, terms_version=TERMS_VERSION)
    return acceptance


def _content_of(upload: File | None) -> tuple[bytes, str]:
    """The upload's bytes (at most the limit, refused as soon as more arrive) and the name it was sent under."""
    if upload is None:
        raise file_error(FileRefusal.FILE_MISSING)
    max_bytes = settings.CARENET_FILE_MAX_BYTES
    try:
        upload.seek(0)
        data = read_limited(upload, max_bytes=max_bytes, size=upload.size)
    except FileRefused as refused:
        raise file_error(refused.refusal) from refused
    return data, str(upload.name or "")


def file_upload(
    *,
    actor: Actor,
    patient_id: int,
    upload: File | None,
    description: str,
    accept_terms: bool = False,
    now: dt.datetime | None = None,
) -> PatientFile:
    """FIL-1, FIL-2: a level II patient (or a guardian for their child) stores a file with its description.

    Checked in this order, each refusal storing nothing: the actor and level (403), the patient is theirs (404
    ``patient_not_found``), the description (422), the terms accepted — now with ``accept_terms`` or before (422
    ``terms_not_accepted``), the file's content (422 :class:`~carenet.files.policies.FileRefusal` codes), then, with
    the patient's row locked so that two uploads at once cannot both be the sixth, fewer than
    ``CARENET_FILE_MAX_STORED`` files stored (409 ``too_many_files``). The disarmed file is stored under a random name
    (``patient-files/<year>/<month>/<token>.<ext>``); if the row cannot be written the stored file is removed."""
    _check_actor(actor, Action.FILE_UPLOAD)
    user_id = actor.user_id
    if user_id is None or not actor.reaches(Action.FILE_UPLOAD, patient_id=patient_id):
        raise patient_not_found()
    refusal = policies.description_refusal(description)
    if refusal is not None:
        raise file_error(refusal)
    if not accept_terms and not selectors.terms_accepted(patient_id=patient_id):
        raise file_error(FileRefusal.TERMS_NOT_ACCEPTED)
    data, sent_name = _content_of(upload)
    try:
        disarmed = disarm(data, max_bytes=settings.CARENET_FILE_MAX_BYTES)
    except FileRefused as refused:
        raise file_error(refused.refusal) from refused
    now = now or clock.now()
    content_type = disarmed.content_type
    stored_name = f"{secrets.token_urlsafe(24)}.{EXTENSIONS[content_type]}"
    with transaction.atomic():
        patient = Patient.objects.select_for_update().filter(pk=patient_id).first()
        if patient is None:
            raise patient_not_found()
        stored = PatientFile.objects.filter(patient_id=patient_id, delete_after__gt=now).count()  # FIL-2: past it, gone
        refusal = policies.stored_count_refusal(stored=stored, max_stored=settings.CARENET_FILE_MAX_STORED)
        if refusal is not None:
            raise file_error(refusal)
        if accept_terms:
            TermsAcceptance.objects.get_or_create(
                patient_id=patient_id,
                terms_version=TERMS_VERSION,
                defaults={"accepted_by_id": actor.user_id, "accepted_at": now},
            )
        row = PatientFile(
            patient_id=patient_id,
            uploaded_by_id=user_id,
            original_name=policies.shown_name(sent_name, content_type=content_type),
            description=policies.description_cleaned(description),
            content_type=content_type,
            size=len(disarmed.content),
            sha256=hashlib.sha256(disarmed.content).hexdigest(),
            uploaded_at=now,
            # FIL-2: calendar months of the patient's calendar (Warsaw), not of UTC.
            delete_after=policies.delete_after(
                uploaded_at=timezone.localtime(now), keep_months=settings.CARENET_FILE_KEEP_MONTHS
            ),
        )
        # Stored first (if storing fails, the transaction rolls back: no row); removed again if the row fails.
        row.stored.save(stored_name, ContentFile(disarmed.content), save=False)
        try:
            with transaction.atomic():
                row.save()
        except BaseException:
            _remove_stored(row.stored.name)
            raise
    return row


def _storage() -> Storage:
    return PatientFile._meta.get_field("stored").storage


def _remove_stored(name: str) -> None:
    if not name:
        return
    try:
        _storage().delete(name)
    except Exception:
        logger.exception("A stored file without a row could not be removed: %s", name)


def _remove_all(names: list[str]) -> None:
    for name in names:
        _remove_stored(name)


def file_delete(*, actor: Actor, file_id: int) -> None:
    """FIL-2: the patient (or a guardian for their child) deletes a file at any time: the row now, the stored file
    once the deletion is committed. Someone else's file, or one already deleted, is 404 ``file_not_found``."""
    _check_actor(actor, Action.FILE_DELETE)
    with transaction.atomic():
        row = PatientFile.objects.select_for_update().filter(pk=file_id).first()
        if row is None or not actor.reaches(Action.FILE_DELETE, patient_id=row.patient_id):
            raise file_not_found()
        name = row.stored.name
        row.delete()
        transaction.on_commit(lambda: _remove_stored(name))


def file_sweep(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """FIL-2: deletes every file past its ``delete_after`` — the stored file and its row, exactly once. Rows are
    claimed with ``SKIP LOCKED`` so two sweeps at once share the work instead of deleting twice; a stored file already
    missing does not keep its row. Returns how many files were deleted."""
    now = now or clock.now()
    deleted = 0
    while True:
        with transaction.atomic():
            rows = list(
                PatientFile.objects.select_for_update(skip_locked=True)
                .filter(delete_after__lte=now)
                .order_by("delete_after", "pk")
                .only("pk", "stored")[:batch]
            )
            if not rows:
                return deleted
            names = [row.stored.name for row in rows]
            _count, by_model = PatientFile.objects.filter(pk__in=[row.pk for row in rows]).delete()
            deleted += by_model.get(PatientFile._meta.label, 0)
            transaction.on_commit(lambda names=names: _remove_all(names))  # type: ignore[misc]
        if len(rows) < batch:
            return deleted
