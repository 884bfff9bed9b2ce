"""The wording of the closure SMS (SMS-1, NET-3). Always in Polish (the site's language). One SMS per patient per
closure names their cancelled visits and links to the portal page with the alternatives."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.utils import translation
from django.utils.translation import ngettext

from carenet.closures.policies import SMS_VISITS_NAMED
from carenet.core import clock


def closure_text(*, place: str, visits: Sequence[tuple[str, object]], link: str, clinician: str = "") -> str:
    """``visits``: (service name, start) of the patient's cancelled visits, earliest first; ``clinician``: the one
    whose schedule is closed (the facility stays open for everybody else), empty when the facility is closed."""
    with translation.override(settings.LANGUAGE_CODE):
        named = ", ".join(
            f"{name} {clock.local(starts_at).strftime('%d.%m %H:%M')}"  # type: ignore[arg-type]
            for name, starts_at in visits[:SMS_VISITS_NAMED]
        )
        more = len(visits) - SMS_VISITS_NAMED
        if more > 0:
            named += " " + ngettext("and %(count)s more", "and %(count)s more", more) % {"count": more}
        values = {"place": place, "visits": named, "link": link, "clinician": clinician}
        if clinician:
            return (
                ngettext(
                    "CareNet: %(clinician)s does not see patients at %(place)s then. Your visit was cancelled: "
                    "%(visits)s. Choose another time or telemedicine: %(link)s",
                    "CareNet: %(clinician)s does not see patients at %(place)s then. Your visits were cancelled: "
                    "%(visits)s. Choose other times or telemedicine: %(link)s",
                    len(visits),
                )
                % values
            )
        return (
            ngettext(
                "CareNet: %(place)s is closed. Your visit was cancelled: %(visits)s. Choose another time or "
                "telemedicine: %(link)s",
                "CareNet: %(place)s is closed. Your visits were cancelled: %(visits)s. Choose other times or "
                "telemedicine: %(link)s",
                len(visits),
            )
            % values
        )
