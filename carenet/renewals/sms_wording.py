"""The wording of the renewal SMS (SMS-1, CLN-2): a declined order. Always in Polish (the site's language).

An issued renewal sends no message of its own: the new e-prescription's SMS with its access code tells the patient.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from carenet.renewals.models import RenewalRequest


def declined_text(request: RenewalRequest) -> str:
    """CLN-2: the doctor declined the renewal, with the reason."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(
            "CareNet: the doctor did not renew the prescription for %(drug)s (patient: %(patient)s). Reason: "
            "%(reason)s. To talk about it, book a visit or call us."
        ) % {
            "drug": request.drug.name,
            "patient": f"{request.patient.first_name} {request.patient.last_name[:1]}.",
            "reason": request.decline_reason.rstrip(" ."),
        }
