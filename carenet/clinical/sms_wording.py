"""The wording of the clinical SMS (SMS-1): "prescription issued" with the code a pharmacy asks for.

Always in Polish (the site's language), whatever language the page that caused it was in. It names neither the
drug nor the diagnosis: an SMS is read on a lock screen.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from carenet.clinical.models import Prescription


def prescription_issued_text(prescription: Prescription, *, access_code: str) -> str:
    """SMS-1: the e-prescription's 4-digit code, for whom, and until when a pharmacy fills it."""
    patient = prescription.patient
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(
            "CareNet: e-prescription issued, valid until %(until)s. Code for the pharmacy: %(code)s (give it with "
            "the patient's PESEL). Patient: %(patient)s"
        ) % {
            "patient": f"{patient.first_name} {patient.last_name[:1]}.".strip(),
            "code": access_code,
            "until": prescription.valid_until.strftime("%d.%m.%Y"),
        }
