"""Files attached to a consultation (TEL-3) and the clinician's view of a patient's files (FIL-1, CLN-6).

A patient — or the guardian of a child under 18 they act for — attaches some of the visit's patient's stored files
(FIL-1) to a booked visit before it starts: phone, video or in person. The clinician sees them with the visit, and
the patient's other current files too: patients upload them for their clinicians. Files are not part of the medical
record; a deleted file (by the patient, or the sweep three months after its upload, FIL-2) takes its attachments
with it (``ConsultationFile.file`` cascades).

The module is the whole sub-domain of attaching, in the house's three layers:

* the rules (pure, at the top: :func:`attach_refusal`, :func:`change_refusal`), deciding on
  :class:`ConsultationFacts` — so an on-demand online consultation (TEL-2, not built yet) only needs to be turned into
  the same facts to take attachments;
* the services :func:`file_attach` and :func:`file_detach` (permission table ``FILE_ATTACH``, level II
  ``Feature.FILE_UPLOADS``, the visit's row locked, the unique constraint as the last word on duplicates);
* the selectors :func:`attached_files`, :func:`files_to_attach`, :func:`files_visible_to_clinician` and
  :func:`access_file_as_clinician` (permission table ``FILE_VIEW``: a clinician only with a relationship, CLN-6).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carenet.accounts.permissions import Action, Actor, Scope
from carenet.accounts.policies import Feature, feature_allowed
from carenet.accounts.selectors import LEVEL_TWO_REQUIRED_MESSAGE
from carenet.booking.models import Appointment
from carenet.booking.selectors import clinician_related_to, related_patients_q
from carenet.core import clock
from carenet.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from carenet.core.validation import db_id_valid
from carenet.files.models import ConsultationFile, PatientFile

# --- The rules (pure: no database, ``now`` passed in) -------------------------------------------------------------

#: Statuses of a visit that still takes attachments (before its start): booked, or the patient already checked in.
OPEN_STATUSES = frozenset({"booked", "checked_in"})
#: Statuses of a visit that has taken place or was missed: its attachments are as they were.
CLOSED_STATUSES = frozenset({"completed", "no_show", "refused_late"})


class AttachRefusal(StrEnum):
    """Why a file cannot be attached to (or detached from) a consultation: the stable codes of the API and pages."""

    VISIT_NOT_FOUND = "visit_not_found"
    FILE_NOT_FOUND = "file_not_found"
    VISIT_STARTED = "visit_started"
    VISIT_CANCELLED = "visit_cancelled"
    VISIT_CLOSED = "visit_closed"
    VISIT_NOT_BOOKED = "visit_not_booked"
    TOO_MANY = "too_many_attachments"


@dataclass(frozen=True, slots=True)
class ConsultationFacts:
    """What the rules need of a consultation: whose it is, its state, and when it starts. A booked visit maps its
    ``Appointment`` (:func:`visit_facts`); an on-demand consultation would map its own row the same way."""

    patient_id: int
    status: str
    starts_at: dt.datetime


def change_refusal(consultation: ConsultationFacts, *, now: dt.datetime) -> AttachRefusal | None:
    """TEL-3: why the attachments of this consultation cannot change now, or ``None``: only a booked consultation
    (or one whose patient has checked in) before its start. A cancelled, completed or missed one, one that has
    started, or a hold that is not a booking yet keeps its attachments as they are."""
    if consultation.status == "cancelled":
        return AttachRefusal.VISIT_CANCELLED
    if consultation.status in CLOSED_STATUSES:
        return AttachRefusal.VISIT_CLOSED
    if consultation.status not in OPEN_STATUSES:
        return AttachRefusal.VISIT_NOT_BOOKED
    if now >= consultation.starts_at:
        return AttachRefusal.VISIT_STARTED
    return None


def attach_refusal(
    consultation: ConsultationFacts,
    *,
    file_patient_id: int,
    attached_count: int,
    already_attached: bool,
    max_attached: int,
    now: dt.datetime,
) -> AttachRefusal | None:
    """TEL-3: why this file cannot be attached to this consultation now, or ``None`` (also when it is attached
    already: attaching again changes nothing).

    * the file is the consultation's patient's — never a parent's file on a child's visit (as if it did not exist);
    * the consultation takes changes (:func:`change_refusal`);
    * at most ``max_attached`` files — as many as a patient may store (FIL-1)."""
    if file_patient_id != consultation.patient_id:
        return AttachRefusal.FILE_NOT_FOUND
    refusal = change_refusal(consultation, now=now)
    if refusal is not None:
        return refusal
    if not already_attached and attached_count >= max_attached:
        return AttachRefusal.TOO_MANY
    return None


# --- Errors -------------------------------------------------------------------------------------------------------

MESSAGES: dict[AttachRefusal, Promise] = {
    AttachRefusal.VISIT_NOT_FOUND: _("No such visit."),
    AttachRefusal.FILE_NOT_FOUND: _("No such file."),
    AttachRefusal.VISIT_STARTED: _("The visit has started: its files can no longer be changed."),
    AttachRefusal.VISIT_CANCELLED: _("The visit was cancelled: its files can no longer be changed."),
    AttachRefusal.VISIT_CLOSED: _("The visit has taken place: its files can no longer be changed."),
    AttachRefusal.VISIT_NOT_BOOKED: _("Files can be attached once the visit is booked."),
    AttachRefusal.TOO_MANY: _("A visit can have at most %(count)s files attached."),
}
_NOT_FOUND = {AttachRefusal.VISIT_NOT_FOUND, AttachRefusal.FILE_NOT_FOUND}


def max_attached() -> int:
    """At most as many files as a patient may store at once (``CARENET_FILE_MAX_STORED``)."""
    return int(settings.CARENET_FILE_MAX_STORED)


def attach_error(refusal: AttachRefusal) -> ApplicationError:
    """The typed error of a refusal: 404 for what the actor may not know exists, 409 for a visit past changes."""
    message = MESSAGES[refusal]
    if refusal is AttachRefusal.TOO_MANY:
        return Conflict(message % {"count": max_attached()}, code=refusal.value)
    if refusal in _NOT_FOUND:
        return NotFound(message, code=refusal.value)
    return Conflict(message, code=refusal.value)


def _role_refused() -> PermissionDenied:
    return PermissionDenied(_("Only the patient attaches their files to a visit."), code="role_not_allowed")


def _check_attaching_actor(actor: Actor) -> int:
    """The table's ``FILE_ATTACH``; the acting user's id."""
    if not actor.can(Action.FILE_ATTACH) or actor.user_id is None:
        raise _role_refused()
    return actor.user_id


def _check_level(actor: Actor) -> None:
    """ACC-4: attaching is level II (``Feature.FILE_UPLOADS``) — asked after access, so someone else's visit is 404
    whatever the level."""
    if not feature_allowed(Feature.FILE_UPLOADS, level=actor.level or 0):
        raise PermissionDenied(LEVEL_TWO_REQUIRED_MESSAGE, code="level_two_required")


def visit_facts(visit: Appointment) -> ConsultationFacts:
    return ConsultationFacts(patient_id=visit.patient_id, status=visit.status, starts_at=visit.slot.starts_at)


def attachments_open(visit: Appointment, *, now: dt.datetime) -> AttachRefusal | None:
    """For pages: whether this visit's attachments can change now (``None``) or why not."""
    return change_refusal(visit_facts(visit), now=now)


# --- Services -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attached:
    attachment: ConsultationFile
    #: ``False`` when the file was attached already (nothing changed).
    created: bool


def _lock_visit(actor: Actor, appointment_id: int) -> Appointment:
    """The visit's row, locked (attaching and cancelling wait for each other), if ``actor`` attaches for its
    patient (at level II); otherwise 404 ``visit_not_found``, as for a visit that does not exist."""
    if not db_id_valid(appointment_id):  # a number no row can have (2^64 …): not found, never a database error
        raise attach_error(AttachRefusal.VISIT_NOT_FOUND)
    visit = Appointment.objects.select_for_update(of=("self",)).select_related("slot").filter(pk=appointment_id).first()
    if visit is None or not actor.reaches(Action.FILE_ATTACH, patient_id=visit.patient_id):
        raise attach_error(AttachRefusal.VISIT_NOT_FOUND)
    _check_level(actor)
    return visit


def file_attach(*, actor: Actor, appointment_id: int, file_id: int, now: dt.datetime | None = None) -> Attached:
    """TEL-3: attach one of the visit patient's stored files to the visit before it starts. Attaching a file that is
    attached already answers the same attachment and changes nothing; two attaches at once make one row (the visit
    is locked, and the unique constraint decides whatever happens). The file's row is locked too, so a deletion at
    the same moment either waits or wins (then: 404 ``file_not_found``)."""
    user_id = _check_attaching_actor(actor)
    now = now or clock.now()
    with transaction.atomic():
        visit = _lock_visit(actor, appointment_id)
        if not db_id_valid(file_id):
            raise attach_error(AttachRefusal.FILE_NOT_FOUND)
        file = (
            PatientFile.objects.select_for_update()
            .filter(pk=file_id, patient_id=visit.patient_id, delete_after__gt=now)
            .first()
        )
        if file is None:
            raise attach_error(AttachRefusal.FILE_NOT_FOUND)
        existing = ConsultationFile.objects.filter(appointment=visit, file=file).first()
        refusal = attach_refusal(
            visit_facts(visit),
            file_patient_id=file.patient_id,
            attached_count=ConsultationFile.objects.filter(appointment=visit).count(),
            already_attached=existing is not None,
            max_attached=max_attached(),
            now=now,
        )
        if refusal is not None:
            raise attach_error(refusal)
        if existing is not None:
            return Attached(existing, created=False)
        try:
            with transaction.atomic():
                created = ConsultationFile.objects.create(
                    appointment=visit, file=file, attached_by_id=user_id, attached_at=now
                )
        except IntegrityError:  # the same file attached at the same moment: one row
            return Attached(ConsultationFile.objects.get(appointment=visit, file=file), created=False)
        return Attached(created, created=True)


def file_detach(*, actor: Actor, appointment_id: int, file_id: int, now: dt.datetime | None = None) -> bool:
    """TEL-3: take a file off the visit before it starts (the file itself stays in "Twoje pliki"). ``False`` when it
    was not attached (nothing changed); someone else's file 404 ``file_not_found``."""
    _check_attaching_actor(actor)
    now = now or clock.now()
    with transaction.atomic():
        visit = _lock_visit(actor, appointment_id)
        if not db_id_valid(file_id) or not PatientFile.objects.filter(pk=file_id, patient_id=visit.patient_id).exists():
            raise attach_error(AttachRefusal.FILE_NOT_FOUND)
        refusal = change_refusal(visit_facts(visit), now=now)
        if refusal is not None:
            raise attach_error(refusal)
        deleted, _rows = ConsultationFile.objects.filter(appointment=visit, file_id=file_id).delete()
        return deleted > 0


@dataclass(frozen=True, slots=True)
class CarriedFile:
    """A file attached to an on-demand consultation while it waited (TEL-3), as the consultation recorded it."""

    file_id: int
    attached_by_id: int
    attached_at: dt.datetime


def files_carry_over(
    *, appointment_id: int, patient_id: int, files: Sequence[CarriedFile], now: dt.datetime | None = None
) -> int:
    """TEL-3: the files attached to an on-demand online consultation while it waited become the attachments of the
    visit it turns into when a clinician takes it (called in that transaction, which checked the consultation): the
    patient's files still kept, at most as many as a visit takes, in the order attached; a file already attached is
    left as it is. Returns how many were attached."""
    now = now or clock.now()
    if not files:
        return 0
    kept = set(
        _current(now)
        .filter(patient_id=patient_id, pk__in=[item.file_id for item in files])
        .values_list("pk", flat=True)
    )
    present = set(ConsultationFile.objects.filter(appointment_id=appointment_id).values_list("file_id", flat=True))
    room = max(0, max_attached() - len(present))
    rows: list[ConsultationFile] = []
    for item in sorted(files, key=lambda entry: (entry.attached_at, entry.file_id)):
        if item.file_id in kept and item.file_id not in present and len(rows) < room:
            rows.append(
                ConsultationFile(
                    appointment_id=appointment_id,
                    file_id=item.file_id,
                    attached_by_id=item.attached_by_id,
                    attached_at=item.attached_at,
                )
            )
            present.add(item.file_id)
    ConsultationFile.objects.bulk_create(rows)
    return len(rows)


# --- Selectors ----------------------------------------------------------------------------------------------------


def _current(now: dt.datetime) -> QuerySet[PatientFile]:
    """Files still kept: one past its time is gone for everyone, even before the sweep has deleted it (FIL-2)."""
    return PatientFile.objects.filter(delete_after__gt=now)


def attached_files(appointment_id: int, *, now: dt.datetime | None = None) -> list[ConsultationFile]:
    """The files attached to a visit the caller has already access-checked, in the order attached, each with its
    file: one query whatever their number."""
    now = now or clock.now()
    return list(
        ConsultationFile.objects.filter(appointment_id=appointment_id, file__delete_after__gt=now)
        .select_related("file")
        .order_by("attached_at", "id")
    )


def files_to_attach(*, patient_id: int, attached: list[ConsultationFile], now: dt.datetime) -> list[PatientFile]:
    """The visit patient's other stored files (not attached to it), newest first: one query. The caller has checked
    the visit (its patient is the actor's or their child's)."""
    taken = [row.file_id for row in attached]
    return list(_current(now).filter(patient_id=patient_id).exclude(pk__in=taken).order_by("-uploaded_at", "-id"))


def _clinician_reaches(actor: Actor, patient_id: int) -> bool:
    scope = actor.scope(Action.FILE_VIEW)
    if scope is Scope.RELATED:
        assert actor.clinician_id is not None  # Actor.can() guarantees it for RELATED
        return clinician_related_to(clinician_id=actor.clinician_id, patient_id=patient_id)
    return scope is not None and actor.reaches(Action.FILE_VIEW, patient_id=patient_id)


def files_visible_to_clinician(actor: Actor, patient_id: int, *, now: dt.datetime | None = None) -> list[PatientFile]:
    """FIL-1, CLN-6: the patient's current files, newest first, for a clinician with a relationship to the patient
    (a visit with them) — one query. Anyone else: :class:`NotFound` (``file_not_found``)."""
    if not _clinician_reaches(actor, patient_id):
        raise attach_error(AttachRefusal.FILE_NOT_FOUND)
    now = now or clock.now()
    return list(_current(now).filter(patient_id=patient_id).order_by("-uploaded_at", "-id"))


def access_file_as_clinician(actor: Actor, file_id: int, *, now: dt.datetime | None = None) -> PatientFile:
    """One current file for the download, if ``actor`` may read its patient's files (``FILE_VIEW``: a clinician with
    a relationship, CLN-6); otherwise :class:`NotFound`, as for a file that does not exist."""
    if not db_id_valid(file_id):
        raise attach_error(AttachRefusal.FILE_NOT_FOUND)
    now = now or clock.now()
    scope = actor.scope(Action.FILE_VIEW)
    files = _current(now)
    if scope is Scope.RELATED:
        assert actor.clinician_id is not None  # Actor.can() guarantees it for RELATED
        files = files.filter(related_patients_q(clinician_id=actor.clinician_id, prefix="patient__"))
    elif scope is Scope.OWN:
        files = files.filter(patient_id__in=sorted(actor.family_ids))
    elif scope is not Scope.ANY:
        files = files.none()
    found = files.filter(pk=file_id).first()
    if found is None:
        raise attach_error(AttachRefusal.FILE_NOT_FOUND)
    return found


def access_visit_files(actor: Actor, appointment_id: int) -> Appointment:
    """The visit whose attachments ``actor`` may read (``FILE_VIEW``): the patient's own or their child's — at level
    II (403 ``level_two_required`` after access: someone else's visit stays 404) —, or a visit of a patient the
    clinician has a relationship with (CLN-6). Anyone else: 404 ``visit_not_found``; a role without the grant: 403
    ``role_not_allowed``. Holds are not visits."""
    scope = actor.scope(Action.FILE_VIEW)
    if scope is None:
        raise PermissionDenied(_("Your role does not read patients' files."), code="role_not_allowed")
    if not db_id_valid(appointment_id):
        raise attach_error(AttachRefusal.VISIT_NOT_FOUND)
    visit = (
        Appointment.objects.select_related("slot")
        .exclude(status__in=(Appointment.Status.HELD, Appointment.Status.EXPIRED))
        .filter(pk=appointment_id)
        .first()
    )
    if visit is None:
        raise attach_error(AttachRefusal.VISIT_NOT_FOUND)
    if scope is Scope.RELATED:
        assert actor.clinician_id is not None  # Actor.can() guarantees it for RELATED
        reached = clinician_related_to(clinician_id=actor.clinician_id, patient_id=visit.patient_id)
    else:
        reached = actor.reaches(Action.FILE_VIEW, patient_id=visit.patient_id)
    if not reached:
        raise attach_error(AttachRefusal.VISIT_NOT_FOUND)
    if scope is Scope.OWN and not feature_allowed(Feature.FILE_UPLOADS, level=actor.level or 0):
        raise PermissionDenied(LEVEL_TWO_REQUIRED_MESSAGE, code="level_two_required")
    return visit


def attachment_counts(appointment_ids: list[int], *, now: dt.datetime | None = None) -> dict[int, int]:
    """How many current files are attached to each of these visits (a day list's rows; the caller has checked the
    visits): one query whatever their number. Visits without files are left out."""
    now = now or clock.now()
    counted = (
        ConsultationFile.objects.filter(appointment_id__in=appointment_ids, file__delete_after__gt=now)
        .values("appointment_id")
        .annotate(files=Count("id"))
        .order_by()
    )
    return {row["appointment_id"]: row["files"] for row in counted}
