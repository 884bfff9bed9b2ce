"""The wording of the pregnancy-care SMS (BKG-7): a request resolved with a visit or with a reason. Always in Polish
(the site's language)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from carenet.core.clock import local


def request_booked_text(*, starts_at: dt.datetime, where: str) -> str:
    """BKG-7: the coordinators arranged a visit for the patient's request."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(
            "CareNet: we have arranged your pregnancy-care visit: %(when)s, %(where)s. Details in the patient portal."
        ) % {"when": local(starts_at).strftime("%d.%m.%Y %H:%M"), "where": where}


def request_declined_text(*, reason: str) -> str:
    """BKG-7: the coordinators could not arrange a visit; the reason and the number to call."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("CareNet: about your pregnancy-care request: %(reason)s. Questions: call %(phone)s.") % {
            "reason": reason.rstrip(" ."),
            "phone": settings.CARENET_CALL_CENTRE_PHONE,
        }
