from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from carenet.network import policies
from carenet.network.models import (
    City,
    Clinician,
    Facility,
    FacilityClosure,
    FacilityPrice,
    Language,
    Room,
    Service,
    Specialty,
)

HOURS_MESSAGES = {
    "not_a_mapping": _(
        'Opening hours are a mapping of weekdays to [open, close] pairs, e.g. {"mon": [["07:00", "20:00"]]}.'
    ),
    "unknown_weekday": _("Unknown weekday “%(day)s”: use mon, tue, wed, thu, fri, sat, sun."),
    "not_a_list": _("%(day)s: expected a list of [open, close] pairs."),
    "not_a_pair": _("%(day)s: %(value)s is not an [open, close] pair."),
    "bad_time": _("%(day)s: times must be written as HH:MM (got %(opens)s–%(closes)s)."),
    "closes_before_opening": _("%(day)s: closes (%(closes)s) before it opens (%(opens)s)."),
    "overlapping_ranges": _("%(day)s: %(opens)s–%(closes)s overlaps the previous range."),
}


class FacilityForm(forms.ModelForm):
    class Meta:
        model = Facility
        fields = [
            "code",
            "name",
            "kind",
            "brand",
            "city",
            "address",
            "postal_code",
            "latitude",
            "longitude",
            "phone",
            "email",
            "opening_hours",
            "offers_telemedicine",
            "scope",
            "scope_en",
            "is_active",
        ]

    def clean_opening_hours(self) -> object:
        hours = self.cleaned_data.get("opening_hours") or {}
        problems = policies.opening_hours_problems(hours)
        if problems:
            raise forms.ValidationError(
                [forms.ValidationError(HOURS_MESSAGES[p.code] % vars(p), code=p.code) for p in problems]
            )
        return hours


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0


class ClosureInline(admin.TabularInline):
    model = FacilityClosure
    extra = 0


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ["name", "voivodeship"]
    search_fields = ["name"]


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    form = FacilityForm
    list_display = ["name", "kind", "brand", "city", "phone", "offers_telemedicine", "is_active"]
    list_filter = ["kind", "brand", "offers_telemedicine", "is_active", "city"]
    search_fields = ["name", "code", "address", "city__name", "scope", "scope_en"]
    list_select_related = ["city"]
    inlines = [RoomInline, ClosureInline]


@admin.register(FacilityClosure)
class FacilityClosureAdmin(admin.ModelAdmin):
    list_display = ["facility", "starts_at", "ends_at", "reason"]
    list_select_related = ["facility", "facility__city"]
    raw_id_fields = ["facility"]
    date_hierarchy = "starts_at"


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "facility"]
    search_fields = ["number", "facility__name"]
    raw_id_fields = ["facility"]
    list_select_related = ["facility", "facility__city"]


@admin.register(Specialty)
class SpecialtyAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code"]
    search_fields = ["name", "name_en", "code"]


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "name_en",
        "kind",
        "specialty",
        "requires_referral",
        "self_check_in",
        "base_price",
        "is_bookable",
    ]
    list_filter = ["kind", "requires_referral", "self_check_in", "is_bookable"]
    search_fields = ["name", "name_en", "code"]
    list_select_related = ["specialty"]


@admin.register(FacilityPrice)
class FacilityPriceAdmin(admin.ModelAdmin):
    list_display = ["facility", "service", "price"]
    search_fields = ["facility__name", "service__name", "service__name_en"]
    raw_id_fields = ["facility", "service"]
    list_select_related = ["facility", "facility__city", "service"]


@admin.register(Clinician)
class ClinicianAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "kind", "title", "is_active"]
    list_filter = ["kind", "title", "is_active", "specialties"]
    search_fields = ["last_name", "first_name", "licence_number"]
    filter_horizontal = ["specialties", "facilities", "languages"]
    raw_id_fields = ["user"]
