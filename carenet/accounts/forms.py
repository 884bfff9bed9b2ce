"""Back-office forms that route validation through the same checks as every other door."""

from __future__ import annotations

from typing import Any

from django import forms

from carenet.accounts import services
from carenet.accounts.models import Patient
from carenet.core.errors import ValidationFailed


class PatientAdminForm(forms.ModelForm):
    """Birth date and sex come from the PESEL; the mobile number is stored in E.164. The account level is not
    editable here: it rises only through an identity confirmation that records who, how and when (ACC-5)."""

    class Meta:
        model = Patient
        fields = ["user", "first_name", "last_name", "pesel", "mobile", "email", "guardian"]

    def clean_pesel(self) -> str:
        try:
            return services.pesel_check(self.cleaned_data["pesel"]).pesel
        except ValidationFailed as exc:
            raise forms.ValidationError(str(exc.message), code=exc.code) from exc

    def clean_mobile(self) -> str:
        mobile: str = self.cleaned_data.get("mobile", "")
        if not mobile:
            return ""
        try:
            return services.mobile_check(mobile)
        except ValidationFailed as exc:
            raise forms.ValidationError(str(exc.message), code=exc.code) from exc

    def save(self, commit: bool = True) -> Any:
        patient: Patient = super().save(commit=False)
        facts = services.pesel_check(patient.pesel)
        patient.birth_date, patient.sex = facts.birth_date, facts.sex
        if commit:
            patient.save()
            self.save_m2m()
        return patient
