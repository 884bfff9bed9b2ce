"""The wording of the survey invitation (SMS-1, FBK-1), by SMS or by e-mail. Always in Polish (the site's language).

No medical content: the day of the visit and the patient's first name and initial, never the service or the clinic.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from carenet.accounts.models import Patient
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.feedback import policies


@dataclass(frozen=True, slots=True)
class InvitationText:
    sms: str
    subject: str
    email: str


def rating_link(appointment_id: int) -> str:
    """The visit's rating page in the portal (the patient logs in first when they are not)."""
    with translation.override(settings.LANGUAGE_CODE):
        return settings.CARENET_PUBLIC_URL + reverse("portal:visit_rate", args=[appointment_id])


def invitation(*, visit: Appointment, patient: Patient) -> InvitationText:
    """SMS-1: "how was the visit of <day>? rate it" with the link to its rating page."""
    with translation.override(settings.LANGUAGE_CODE):
        params = {
            "day": clock.local(visit.slot.starts_at).strftime("%d.%m.%Y"),
            "patient": f"{patient.first_name} {patient.last_name[:1]}.",
            "link": rating_link(visit.pk),
            "days": policies.RATE_DAYS,
        }
        sms = gettext(
            "CareNet: how was the visit of %(day)s (patient: %(patient)s)? Rate it from 1 to 5 in the Patient "
            "Portal: %(link)s"
        )
        subject = gettext("How was your visit? — CareNet")
        email = gettext(
            "Good day,\n\nwe would like to know how the visit of %(day)s went (patient: %(patient)s). Rating it "
            "takes a minute: choose from 1 to 5 and, if you wish, write what we could do better:\n\n%(link)s\n\n"
            "The link works for %(days)s days. We send this question to a random few of our patients, so as not "
            "to burden anyone with too many messages.\n\nCareNet"
        )
        return InvitationText(sms=sms % params, subject=subject, email=email % params)
