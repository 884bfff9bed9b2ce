"""Patients' files — "Twoje pliki" (FIL-1, FIL-2, TEL-3).

A level II patient, after accepting the service's terms (:class:`TermsAcceptance`), uploads photos and PDFs for their
clinicians: JPG, JPEG, PNG or PDF, at most 8 MB each, at most 5 stored at once, each with a description of 5–75
characters that the clinician sees. Each file is checked by its content and disarmed before it is stored (images
re-encoded without their metadata, PDFs refused with active content), under a random name in a private storage
(never the web root), and served only through an access-checked view as an attachment. Files are not part of the
medical record: the patient deletes one at any time, and the scheduler deletes each three months after its upload
(the stored file and its row). A patient may attach their files to a consultation before it starts
(:class:`ConsultationFile`, TEL-3); the clinician sees them with the visit.
"""

from __future__ import annotations

from django.core.files.storage import Storage
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

#: The private storage alias of ``STORAGES`` the files live in (the local disk outside the web root by default, an
#: S3-compatible store by setting).
FILE_STORAGE_ALIAS = "private"


def _private_storage() -> Storage:
    from django.core.files.storage import storages

    return storages[FILE_STORAGE_ALIAS]


class TermsAcceptance(models.Model):
    """FIL-1: the patient (or a guardian for a child) accepted the terms of "Twoje pliki" (a version of them)."""

    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.CASCADE, related_name="+", verbose_name=_("patient")
    )
    accepted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("accepted by")
    )
    terms_version = models.CharField(_("terms version"), max_length=20)
    accepted_at = models.DateTimeField(_("accepted at"))

    class Meta:
        verbose_name = _("acceptance of the files terms")
        verbose_name_plural = _("acceptances of the files terms")
        constraints = [
            models.UniqueConstraint(fields=["patient", "terms_version"], name="one_acceptance_per_terms_version"),
        ]

    def __str__(self) -> str:
        return f"{self.terms_version} ({self.accepted_at:%Y-%m-%d})"


class PatientFile(models.Model):
    """One stored, already disarmed file of a patient. ``stored`` has a random name; ``original_name`` is only shown
    (cleaned of path parts and control characters) and suggests the name of the download."""

    class Kind(models.TextChoices):
        JPEG = "image/jpeg", "JPEG"
        PNG = "image/png", "PNG"
        PDF = "application/pdf", "PDF"

    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="files", verbose_name=_("patient")
    )
    uploaded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    stored = models.FileField(_("file"), storage=_private_storage, upload_to="patient-files/%Y/%m/", max_length=200)
    original_name = models.CharField(_("file name"), max_length=120)
    description = models.CharField(_("description"), max_length=75)
    content_type = models.CharField(_("format"), max_length=20, choices=Kind.choices)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"))
    # FIL-2: three months after the upload, the scheduler deletes the stored file and this row.
    delete_after = models.DateTimeField(_("deleted automatically after"))

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("patient's file")
        verbose_name_plural = _("patients' files")
        indexes = [
            models.Index(fields=["patient", "-uploaded_at"], name="files_patient_newest_idx"),
            models.Index(fields=["delete_after"], name="files_delete_after_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="patient_file_not_empty"),
        ]

    def __str__(self) -> str:
        return self.original_name


class ConsultationFile(models.Model):
    """TEL-3: a patient's file attached to one of their consultations before it starts; the clinician sees it with
    the visit. Goes with the file (deleting the file removes the attachment, never the visit)."""

    appointment = models.ForeignKey(
        "booking.Appointment", on_delete=models.CASCADE, related_name="attached_files", verbose_name=_("visit")
    )
    file = models.ForeignKey(PatientFile, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("file"))
    attached_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("attached by")
    )
    attached_at = models.DateTimeField(_("attached at"))

    class Meta:
        ordering = ["attached_at", "id"]
        verbose_name = _("file attached to a visit")
        verbose_name_plural = _("files attached to visits")
        constraints = [
            models.UniqueConstraint(fields=["appointment", "file"], name="one_attachment_per_visit_and_file"),
        ]

    def __str__(self) -> str:
        return f"{self.file_id} → {self.appointment_id}"
