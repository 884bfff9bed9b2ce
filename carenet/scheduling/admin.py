"""Back office for schedules and slots (SCH-1).

A schedule is checked by the same rules as :func:`schedule_create` (the form's ``clean`` calls
:func:`schedule_validate`), and its slots are generated when it is added. Once published, the fields that shape
its slots are read-only: a coordinator publishes a new schedule instead of reshaping booked slots.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from carenet.core.errors import ValidationFailed
from carenet.scheduling.models import Schedule, Slot
from carenet.scheduling.services import schedule_generate_slots, schedule_validate

SHAPE_FIELDS = (
    "clinician",
    "facility",
    "room",
    "mode",
    "specialty",
    "valid_from",
    "valid_until",
    "weekdays",
    "start_time",
    "end_time",
    "slot_minutes",
)


class ScheduleAdminForm(forms.ModelForm):
    class Meta:
        model = Schedule
        fields = [*SHAPE_FIELDS, "services"]
        help_texts = {"weekdays": _("ISO weekdays as digits: 1 = Monday … 7 = Sunday, e.g. 12345.")}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk or self.errors:
            # Published schedules keep their shape (the fields are read-only); field errors come first.
            return cleaned
        try:
            recurrence = schedule_validate(
                clinician=cleaned["clinician"],
                facility=cleaned.get("facility"),
                room=cleaned.get("room"),
                mode=cleaned["mode"],
                specialty=cleaned["specialty"],
                valid_from=cleaned["valid_from"],
                valid_until=cleaned["valid_until"],
                weekdays=cleaned["weekdays"],
                start_time=cleaned["start_time"],
                end_time=cleaned["end_time"],
                slot_minutes=cleaned["slot_minutes"],
            )
        except ValidationFailed as exc:
            raise forms.ValidationError(str(exc.message), code=exc.code) from exc
        cleaned["weekdays"] = recurrence.weekdays
        return cleaned


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    form = ScheduleAdminForm
    list_display = ["clinician", "specialty", "facility", "room", "mode", "valid_from", "valid_until", "weekdays",
                    "start_time", "end_time", "slot_minutes"]  # fmt: skip
    list_filter = ["mode", "specialty", "facility__kind", "facility__city"]
    list_select_related = ["clinician", "specialty", "facility", "room"]
    raw_id_fields = ["clinician", "facility", "room"]
    filter_horizontal = ["services"]
    search_fields = ["clinician__last_name", "clinician__first_name", "facility__name"]
    date_hierarchy = "valid_from"
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Schedule | None = None) -> list[str]:
        return list(SHAPE_FIELDS) if obj is not None else []

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if not change:
            # The admin's change view runs in one transaction: the schedule and its slots are saved together.
            schedule_generate_slots(schedule=form.instance)


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    """Slots are generated from schedules; here they are read and filtered, not written."""

    list_display = ["starts_at", "ends_at", "clinician", "specialty", "facility", "city", "room", "mode", "schedule"]
    list_filter = [("starts_at", admin.DateFieldListFilter), "mode", "specialty", "city", "facility__kind"]
    list_select_related = ["clinician", "specialty", "facility", "city", "room", "schedule"]
    raw_id_fields = ["schedule", "clinician", "facility", "city", "room", "specialty"]
    readonly_fields = ["schedule", "clinician", "facility", "city", "room", "specialty", "mode", "starts_at",
                       "ends_at"]  # fmt: skip
    search_fields = ["clinician__last_name"]
    ordering = ["-starts_at"]
    show_full_result_count = False
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
