"""Back office of clinical documents: the drug catalogue (searchable), and the signed documents read-only — who
issued what, when, for whom (CLN-5) — each list and record recorded as a read of the patients shown (CLN-6)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from carenet.accounts.admin_reads import RecordsPatientReads
from carenet.clinical.models import Drug, Prescription, Recommendation, Referral, SickLeave


@admin.register(Referral)
class ReferralAdmin(RecordsPatientReads, admin.ModelAdmin):
    list_display = ["patient", "service", "source", "issued_by", "issued_at", "valid_until", "used_by"]
    list_filter = ["source"]
    search_fields = ["patient__pesel", "patient__last_name", "employer_referral_number"]
    raw_id_fields = ["patient", "service", "issued_by", "used_by", "facility", "appointment", "supersedes"]
    list_select_related = ["patient", "service", "issued_by"]
    date_hierarchy = "issued_at"
    readonly_fields = ["national_id", "access_code", "extended_by"]

    # CLN-5: a network clinician's referral is signed: shown, never edited or deleted here (an employer's
    # referral, typed in by staff, stays editable).
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.source == Referral.Source.NETWORK:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.source == Referral.Source.NETWORK:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # a selection may hold signed referrals
        return actions


@admin.register(Drug)
class DrugAdmin(admin.ModelAdmin):
    list_display = ["name", "substance", "form", "strength", "pack", "code", "is_active"]
    list_filter = ["is_active", "form"]
    search_fields = ["name", "substance", "code"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # prescriptions name it; withdraw it with "active" instead


class SignedDocumentAdmin(RecordsPatientReads, admin.ModelAdmin):
    """CLN-5: signed documents are read-only here; a correction is issued by the clinician as a new version."""

    list_select_related = ["patient", "issued_by", "facility"]
    search_fields = ["patient__pesel", "patient__last_name", "national_id"]
    list_filter = ["facility"]
    date_hierarchy = "issued_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Prescription)
class PrescriptionAdmin(SignedDocumentAdmin):
    list_display = ["patient", "drug", "quantity", "issued_by", "facility", "issued_at", "valid_until"]
    list_select_related = ["patient", "issued_by", "facility", "drug"]
    # The 4-digit code is the patient's to give a pharmacy: not shown in the back office.
    exclude = ["access_code"]


@admin.register(SickLeave)
class SickLeaveAdmin(SignedDocumentAdmin):
    list_display = ["patient", "starts_on", "ends_on", "issued_by", "facility", "issued_at", "national_id"]


@admin.register(Recommendation)
class RecommendationAdmin(SignedDocumentAdmin):
    list_display = ["patient", "issued_by", "facility", "issued_at", "in_person_visit"]
