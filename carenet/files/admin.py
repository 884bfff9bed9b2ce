"""Back office of patients' files (FIL-1, FIL-2): what is stored, for whom and until when — the metadata only, never
the content (files are not part of the medical record and only their patient downloads them). Nothing is added,
changed or deleted here: patients delete their files, the scheduler deletes them after three months. Each list and
record is recorded as a read of the patients shown (CLN-6)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from carenet.accounts.admin_reads import RecordsPatientReads
from carenet.files.models import PatientFile, TermsAcceptance

SHOWN_FIELDS: list[str] = [
    "patient",
    "uploaded_by",
    "original_name",
    "content_type",
    "size",
    "sha256",
    "uploaded_at",
    "delete_after",
]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PatientFile)
class PatientFileAdmin(RecordsPatientReads, ReadOnlyAdmin):
    list_display = ["patient", "original_name", "content_type", "size", "uploaded_at", "delete_after"]
    list_filter = ["content_type"]
    list_select_related = ["patient"]
    search_fields = ["patient__pesel", "patient__last_name"]
    date_hierarchy = "uploaded_at"
    # The content stays out of the back office: no link to the stored file, no description (it is for the clinician).
    fields = tuple(SHOWN_FIELDS)
    readonly_fields = SHOWN_FIELDS


@admin.register(TermsAcceptance)
class TermsAcceptanceAdmin(RecordsPatientReads, ReadOnlyAdmin):
    list_display = ["patient", "terms_version", "accepted_by", "accepted_at"]
    list_select_related = ["patient", "accepted_by"]
    search_fields = ["patient__pesel", "patient__last_name"]
