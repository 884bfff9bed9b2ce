"""Back office of online consultations (TEL-2): the on-demand lines and the clinicians' duties, planned by network
coordinators (and administrators) — the permission table's ``DUTY_MANAGE`` decides who sees and changes them, on
top of the back office's own door (``BACK_OFFICE``). Consultations, their chat and surveys are patients' data: not
shown here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from carenet.accounts.permissions import Action
from carenet.accounts.selectors import actor_for_user
from carenet.consultations.models import Duty, Line


class DutyManaged(admin.ModelAdmin):
    """Seen and changed by those the table lets plan duties (coordinators, administrators)."""

    def _may_manage(self, request: HttpRequest) -> bool:
        return actor_for_user(request.user).can(Action.DUTY_MANAGE)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may_manage(request)

    def has_view_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return self._may_manage(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may_manage(request)

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return self._may_manage(request)

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return self._may_manage(request)


class LineForm(forms.ModelForm):
    class Meta:
        model = Line
        fields = [
            "code",
            "name",
            "name_en",
            "specialty",
            "service",
            "min_age",
            "below_age",
            "minutes",
            "order",
            "is_active",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        low, high = cleaned.get("min_age"), cleaned.get("below_age")
        if low is not None and high is not None and low >= high:
            self.add_error("below_age", _("The upper age bound must be above the lower one."))
        minutes = cleaned.get("minutes")
        if minutes is not None and not 3 <= minutes <= 120:
            self.add_error("minutes", _("A consultation's typical length is 3 to 120 minutes."))
        return cleaned


@admin.register(Line)
class LineAdmin(DutyManaged):
    """A line is switched off (``is_active``), never deleted: its consultations keep it."""

    form = LineForm
    list_display = ["name", "code", "specialty", "service", "min_age", "below_age", "minutes", "order", "is_active"]
    list_filter = ["is_active"]
    list_select_related = ["specialty", "service"]
    search_fields = ["code", "name", "name_en"]

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


class DutyForm(forms.ModelForm):
    class Meta:
        model = Duty
        fields = ["clinician", "line", "starts_at", "ends_at"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        clinician, line = cleaned.get("clinician"), cleaned.get("line")
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts_at is not None and ends_at is not None and starts_at >= ends_at:
            self.add_error("ends_at", _("A duty must end after it starts."))
            return cleaned
        if clinician is not None and not clinician.is_active:
            self.add_error("clinician", _("This clinician is not active."))
        if clinician is not None and line is not None and starts_at is not None and ends_at is not None:
            overlapping = Duty.objects.filter(
                clinician=clinician, line=line, starts_at__lt=ends_at, ends_at__gt=starts_at
            ).exclude(pk=self.instance.pk)
            if overlapping.exists():
                self.add_error(None, _("This clinician is already on duty for this line at that time."))
        return cleaned


@admin.register(Duty)
class DutyAdmin(DutyManaged):
    form = DutyForm
    list_display = ["clinician", "line", "starts_at", "ends_at", "created_by"]
    list_filter = ["line"]
    list_select_related = ["clinician", "line", "created_by"]
    date_hierarchy = "starts_at"
    search_fields = ["clinician__last_name", "clinician__first_name"]

    def save_model(self, request: HttpRequest, obj: Duty, form: forms.ModelForm, change: bool) -> None:
        if not change and obj.created_by_id is None and request.user.is_authenticated:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
