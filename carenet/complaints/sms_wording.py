"""The wording of the messages of complaints and claims (SMS-1, FBK-2, FBK-3): an answered complaint, a decided
claim. Always in Polish (the site's language). No content of the complaint or the claim in an SMS — only its case
number and where to read the answer; the e-mail says the same with the decision's outcome."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from carenet.complaints.models import Claim, Complaint


def complaint_answered_sms(complaint: Complaint) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(
            "CareNet: we have answered your complaint %(case)s. Read the answer in the Patient Portal, under "
            "Complaints."
        ) % {"case": complaint.case_number}


def complaint_answered_subject(complaint: Complaint) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("The answer to your complaint %(case)s") % {"case": complaint.case_number}


def complaint_answered_email(complaint: Complaint) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(
            "Good day,\n\nwe have answered your complaint %(case)s (%(subject)s). You can read the answer after "
            "logging in to the Patient Portal, under Complaints.\n\nCareNet"
        ) % {"case": complaint.case_number, "subject": complaint.subject}


def claim_decided_sms(claim: Claim) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(
            "CareNet: there is a decision on your insurance claim %(case)s. Read it in the Patient Portal, under "
            "Insurance claims."
        ) % {"case": claim.case_number}


def claim_decided_subject(claim: Claim) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("The decision on your insurance claim %(case)s") % {"case": claim.case_number}


def claim_decided_email(claim: Claim) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        if claim.status == Claim.Status.ACCEPTED:
            text = gettext(
                "Good day,\n\nyour insurance claim %(case)s (%(subject)s) has been accepted. The decision and its "
                "reasons are in the Patient Portal, under Insurance claims.\n\nCareNet"
            )
        else:
            text = gettext(
                "Good day,\n\nyour insurance claim %(case)s (%(subject)s) has been rejected. The decision and its "
                "reasons are in the Patient Portal, under Insurance claims.\n\nCareNet"
            )
        return text % {"case": claim.case_number, "subject": claim.subject}
