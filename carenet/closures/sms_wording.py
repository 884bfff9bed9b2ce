"""The wording of the closure SMS (SMS-1, NET-3). Always in Polish (the site's language). One SMS per patient per
closure names their cancelled visits and links to the portal page with the alternatives."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, ngettext

from carenet.closures.policies import SMS_VISITS_NAMED
from carenet.core import clock


def closure_text(*, place: str, visits: Sequence[tuple[str, object]], link: str) -> str:
    """``visits``: (service name, start) of the patient's cancelled visits, earliest first."""
    with translation.override(settings.LANGUAGE_CODE):
        named = ", ".join(
            f"{name} {clock.local(starts_at).strftime('%d.%m %H:%M')}"  # type: ignore[arg-type]
            for name, starts_at in visits[:SMS_VISITS_NAMED]
        )
        more = len(visits) - SMS_VISITS_NAMED
        if more > 0:
            named += " " + ngettext("and %(count)s more", "and %(count)s more", more) % {"count": more}
        return gettext(
            "CareNet: %(place)s is closed. Your visit was cancelled: %(visits)s. Choose another time or "
            "telemedicine: %(link)s"
        ) % {"place": place, "visits": named, "link": link}
