"""The forms a clinician issues documents with during a visit (CLN-5): e-referral, e-prescription, sick leave and
recommendation. Each checks its input (:class:`CheckedInputMixin`); the rules of the documents are the clinical
services' — their refusals are put next to the field they concern."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from carenet.clinical.models import Prescription, SickLeave
from carenet.core.forms import CheckedInputMixin
from carenet.core.validation import MAX_DB_ID
from carenet.encounters import selectors as encounters
from carenet.network.models import Specialty
from carenet.web.forms import CatalogueChoiceField, CatalogueMultipleChoiceField

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _IssueForm(CheckedInputMixin, forms.Form):
    #: The version this one corrects (a document of the same kind and patient).
    #: (The service checks it is this patient's document of this kind, signed by this clinician.)
    supersedes = forms.IntegerField(required=False, min_value=1, max_value=MAX_DB_ID, widget=forms.HiddenInput)
    #: Which field a refusal code of the clinical services belongs to.
    CODE_FIELDS: dict[str, str] = {}

    def refusal(self, code: str, message: str) -> None:
        self.add_error(self.CODE_FIELDS.get(code), message)


class ReferralForm(_IssueForm):
    service = CatalogueChoiceField(queryset=encounters.referral_services(), label=_("Service"))
    valid_until = forms.DateField(
        required=False, widget=DATE, label=_("Valid until"), help_text=_("Empty: three months from today.")
    )
    note = forms.CharField(required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}), label=_("Note"))
    CODE_FIELDS = {
        "referral_validity": "valid_until",
        "invalid_date": "valid_until",
        "referral_note": "note",
        "referral_service": "service",
    }


class PrescriptionForm(_IssueForm):
    drug = forms.IntegerField(min_value=1, max_value=MAX_DB_ID, label=_("Drug"), widget=forms.RadioSelect)
    dose = forms.CharField(max_length=200, label=_("Dose"))
    quantity = forms.IntegerField(min_value=1, max_value=99, initial=1, label=_("Quantity (packs)"))
    reimbursement = forms.ChoiceField(
        choices=Prescription.Reimbursement.choices, initial=Prescription.Reimbursement.FULL_PRICE, label=_("Payment")
    )
    CODE_FIELDS = {
        "prescription_quantity": "quantity",
        "prescription_dose": "dose",
        "drug_inactive": "drug",
        "prescription_drug": "drug",
        "prescription_reimbursement": "reimbursement",
    }

    def __init__(self, *args: Any, drugs: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The picker lists the search's drugs (and the one being corrected); the service checks the one chosen.
        self.fields["drug"].widget.choices = [(drug.pk, str(drug)) for drug in drugs]


class SickLeaveForm(_IssueForm):
    starts_on = forms.DateField(widget=DATE, label=_("From"))
    ends_on = forms.DateField(widget=DATE, label=_("To"))
    reason_code = forms.ChoiceField(choices=SickLeave.ReasonCode.choices, required=False, label=_("Reason category"))
    indication = forms.ChoiceField(
        choices=SickLeave.Indication.choices, initial=SickLeave.Indication.MAY_WALK, label=_("Indication")
    )
    diagnosis_code = forms.CharField(required=False, max_length=8, label=_("Diagnosis (ICD-10, optional)"))
    employer_nip = forms.CharField(max_length=10, min_length=10, label=_("Employer's NIP"))
    CODE_FIELDS = {
        "sick_leave_order": "ends_on",
        "sick_leave_backdated": "starts_on",
        "invalid_date": "starts_on",
        "sick_leave_too_long": "ends_on",
        "employer_nip": "employer_nip",
        "sick_leave_reason_code": "reason_code",
        "sick_leave_indication": "indication",
        "sick_leave_diagnosis": "diagnosis_code",
    }


class RecommendationForm(_IssueForm):
    text = forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 4}), label=_("Recommendation"))
    in_person_visit = forms.BooleanField(required=False, label=_("An in-person visit is recommended"))
    in_person_specialty = CatalogueChoiceField(
        queryset=Specialty.objects.order_by("name"), required=False, label=_("Specialty of the in-person visit")
    )
    exams = CatalogueMultipleChoiceField(queryset=encounters.exam_services(), required=False, label=_("Exams to do"))
    CODE_FIELDS = {
        "recommendation_text": "text",
        "recommendation_specialty": "in_person_specialty",
        "recommendation_exams": "exams",
    }


FORMS: dict[str, type[_IssueForm]] = {
    "referral": ReferralForm,
    "prescription": PrescriptionForm,
    "sick_leave": SickLeaveForm,
    "recommendation": RecommendationForm,
}
