"""Forms of the developer SMS inbox (SMS-4)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from carenet.core.phones import phone_or_none


class PatientReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Reply text"),
        max_length=640,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}),
        help_text=_("For example TAK (yes), NIE (no) or a number from the list."),
    )


class NewConversationForm(PatientReplyForm):
    phone = forms.CharField(label=_("Patient's phone number"), max_length=32, help_text=_("For example 500 100 200."))

    field_order = ["phone", "text"]

    def clean_phone(self) -> str:
        phone = phone_or_none(self.cleaned_data["phone"])
        if phone is None:
            raise forms.ValidationError(_("This is not a valid phone number."))
        return phone
