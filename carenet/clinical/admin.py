"""Back office of clinical documents: the drug catalogue (searchable), and the signed documents read-only — who
issued what, when, for whom (CLN-5) — each list and record recorded as a read of the patients shown (CLN-6)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from carenet.accounts.admin_reads import RecordsPatientReads
from carenet.accounts.permissions import Action
from carenet.accounts.selectors import actor_for_user
from carenet.clinical import policies, selectors, services
from carenet.clinical.models import Drug, Prescription, Recommendation, Referral, ReferralValidityExtension, SickLeave
from carenet.core.errors import ApplicationError


@admin.register(Referral)
class ReferralAdmin(RecordsPatientReads, admin.ModelAdmin):
    list_display = ["patient", "service", "source", "issued_by", "issued_at", "valid_until", "used_by"]
    list_filter = ["source"]
    search_fields = ["patient__pesel", "patient__last_name", "employer_referral_number"]
    raw_id_fields = ["patient", "service", "issued_by", "used_by", "facility", "appointment", "supersedes"]
    list_select_related = ["patient", "service", "issued_by"]
    date_hierarchy = "issued_at"
    # CLN-5: what a clinician signs is never typed in here: the back office adds and edits employers' referrals only.
    readonly_fields = [
        "national_id",
        "access_code",
        "extended_by",
        "issued_by",
        "facility",
        "appointment",
        "supersedes",
        "note",
    ]

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "source":  # a "network" referral is signed by a clinician in the console (CLN-5)
            kwargs["choices"] = [(Referral.Source.EMPLOYER.value, Referral.Source.EMPLOYER.label)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

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


class ExtensionForm(forms.Form):
    """CLN-1: the window of issue dates, how many months more, and why."""

    issued_from = forms.DateField(label=_("Issued from"), widget=forms.DateInput(attrs={"type": "date"}))
    issued_until = forms.DateField(label=_("Issued until"), widget=forms.DateInput(attrs={"type": "date"}))
    months = forms.IntegerField(
        label=_("Extend by (months)"), min_value=policies.EXTENSION_MONTHS_MIN, max_value=policies.EXTENSION_MONTHS_MAX
    )
    reason = forms.CharField(label=_("Reason"), max_length=policies.EXTENSION_REASON_MAX_CHARS)


@admin.register(ReferralValidityExtension)
class ReferralValidityExtensionAdmin(admin.ModelAdmin):
    """The record of bulk extensions (read-only), and the page that makes one: a form, a preview of how many
    referrals it touches, a confirmation (CLN-1). Only the permission table's REFERRAL_VALIDITY_EXTEND enters it."""

    list_display = ["issued_from", "issued_until", "months", "referral_count", "reason", "extended_by", "extended_at"]
    list_select_related = ["extended_by"]
    date_hierarchy = "extended_at"
    change_list_template = "admin/clinical/referralvalidityextension/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made only through the extension page (one UPDATE, recorded)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        extend = path(
            "extend/",
            self.admin_site.admin_view(self.extend_view),
            name="clinical_referralvalidityextension_extend",
        )
        return [extend, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        can_extend = actor_for_user(request.user).can(Action.REFERRAL_VALIDITY_EXTEND)
        return super().changelist_view(request, {**(extra_context or {}), "can_extend": can_extend})

    def extend_view(self, request: HttpRequest) -> HttpResponse:
        actor = actor_for_user(request.user)
        if not actor.can(Action.REFERRAL_VALIDITY_EXTEND):
            raise DjangoPermissionDenied
        form = ExtensionForm(request.POST if request.method == "POST" else None)
        preview: int | None = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.referral_validity_extension_check(**data)
                if "confirm" in request.POST:
                    extension = services.referral_validity_extend(actor=actor, **data)
                    self.message_user(
                        request,
                        _("Extended %(count)d referrals by %(months)d months.")
                        % {"count": extension.referral_count, "months": extension.months},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse("admin:clinical_referralvalidityextension_changelist"))
                preview = selectors.referrals_in_extension_window(
                    issued_from=data["issued_from"], issued_until=data["issued_until"]
                ).count()
            except ApplicationError as error:
                form.add_error(None, str(error.message))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Extend referrals issued in a window"),
            "form": form,
            "preview": preview,
        }
        return TemplateResponse(request, "admin/clinical/referralvalidityextension/extend.html", context)
