"""Back office for packages (PKG-1..3): tiers, the coverage matrix, contracts, the roster, enrolments."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from carenet.accounts.admin_reads import RecordsPatientReads
from carenet.coverage.models import Benefit, BenefitItem, Contract, Enrolment, RosterEntry, Tier
from carenet.coverage.selectors import matrix_changed


class MatrixCacheClearingAdmin(admin.ModelAdmin):
    """A change to the matrix in the back office is seen by the next request of every process (issue 16)."""

    def save_related(self, request: HttpRequest, form: ModelForm[Any], formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        matrix_changed()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        matrix_changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        super().delete_queryset(request, queryset)
        matrix_changed()


@admin.register(Tier)
class TierAdmin(MatrixCacheClearingAdmin):
    list_display = ["rank", "code", "name", "name_en"]
    list_display_links = ["code", "name"]
    search_fields = ["code", "name", "name_en"]
    ordering = ["rank"]


class BenefitItemInline(admin.TabularInline):
    model = BenefitItem
    extra = 0
    autocomplete_fields = ["service", "specialty"]
    fields = [
        "service",
        "specialty",
        "other_services",
        "min_age",
        "max_age",
        "rule",
        "annual_limit",
        "limit_pool",
        "discount_percent",
        "without_referral",
    ]


@admin.register(Benefit)
class BenefitAdmin(MatrixCacheClearingAdmin):
    list_display = ["position", "code", "title", "group", "scope_count", "tier_list"]
    list_display_links = ["code", "title"]
    list_filter = ["group", "tiers"]
    search_fields = ["code", "title", "text"]
    filter_horizontal = ["tiers"]
    inlines = [BenefitItemInline]
    ordering = ["position", "code"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Benefit]:
        return super().get_queryset(request).prefetch_related("tiers")

    @admin.display(description="tiers")
    def tier_list(self, obj: Benefit) -> str:
        return ", ".join(tier.name for tier in obj.tiers.all())


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "client_name", "starts_on", "ends_on"]
    list_filter = ["kind", "tiers"]
    search_fields = ["code", "name", "client_name"]
    filter_horizontal = ["tiers", "partner_facilities"]
    date_hierarchy = "starts_on"


@admin.register(RosterEntry)
class RosterEntryAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "pesel", "contract", "tier", "activation_date", "paid_through"]
    list_filter = ["contract", "tier"]
    search_fields = ["pesel", "last_name", "first_name", "holder_pesel", "email", "mobile"]
    list_select_related = ["contract", "tier"]


@admin.register(Enrolment)
class EnrolmentAdmin(RecordsPatientReads, admin.ModelAdmin):
    list_display = ["ecard_number", "patient", "tier", "contract", "activated_on", "paid_through"]
    list_filter = ["tier", "contract"]
    search_fields = ["ecard_number", "patient__pesel", "patient__last_name", "patient__first_name"]
    list_select_related = ["patient", "tier", "contract"]
    raw_id_fields = ["patient", "roster_entry"]
    date_hierarchy = "activated_on"
