"""Reading patients' files (FIL-1, FIL-2): a patient's list, and one file only for someone the permission table
lets see it (``FILE_VIEW``: the patient and a guardian for their child; a clinician's view of the files of a visit
lives with the attachments)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from carenet.accounts.permissions import Action, Actor
from carenet.core import clock
from carenet.core.errors import NotFound
from carenet.files import policies
from carenet.files.models import PatientFile, TermsAcceptance


def current_files() -> QuerySet[PatientFile]:
    """Files still kept: one past its ``delete_after`` is gone for everyone, even before the sweep has deleted it
    (FIL-2)."""
    return PatientFile.objects.filter(delete_after__gt=clock.now())


def file_list_for_patient(*, patient_id: int) -> QuerySet[PatientFile]:
    """The patient's stored files, newest first."""
    return current_files().filter(patient_id=patient_id).order_by("-uploaded_at", "-id")


def file_slots_left(*, patient_id: int) -> int:
    """How many more files the patient may add now (FIL-1: at most ``CARENET_FILE_MAX_STORED``)."""
    stored = current_files().filter(patient_id=patient_id).count()
    return max(0, settings.CARENET_FILE_MAX_STORED - stored)


def terms_accepted(*, patient_id: int) -> bool:
    """Whether the current terms of "Twoje pliki" are accepted for this patient (FIL-1)."""
    return TermsAcceptance.objects.filter(patient_id=patient_id, terms_version=policies.TERMS_VERSION).exists()


def access_patient_file(*, actor: Actor, file_id: int) -> PatientFile:
    """The file if ``actor`` may see it as its patient or their guardian — 404 ``file_not_found`` otherwise, exactly
    like a file that does not exist."""
    found = current_files().select_related("patient").filter(pk=file_id).first()
    if found is None or actor.patient_id is None or not actor.reaches(Action.FILE_VIEW, patient_id=found.patient_id):
        raise NotFound(_("No such file."), code="file_not_found")
    return found
