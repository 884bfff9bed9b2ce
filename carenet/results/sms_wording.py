"""The wording of the results SMS (SMS-1, CLN-3): "your results are ready" — nothing about the result.

Always in Polish (the site's language). It names neither the exam nor any value, only whose results they are (a
child's go to the guardian's phone): an SMS is read on a lock screen.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from carenet.accounts.models import Patient


def results_ready_text(patient: Patient) -> str:
    """CLN-3: new results are in the portal (Wyniki), with the patient's first name and initial."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(
            "CareNet: new test results for %(patient)s are ready. Log in to the patient portal and open Results "
            "to see them."
        ) % {"patient": f"{patient.first_name} {patient.last_name[:1]}.".strip()}
