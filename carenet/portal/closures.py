"""NET-3 in the portal: "Your visit was cancelled because … closed" and the alternatives — the same service at the
nearest open facilities and by telemedicine, earliest first — each one tap to rebook (the closures service, which
books through the booking service: every rule, the referral carried over)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carenet.accounts.models import Patient
from carenet.booking.models import Channel
from carenet.closures import selectors, services
from carenet.core import clock
from carenet.core.errors import ApplicationError, NotFound
from carenet.core.validation import db_id_or_none
from carenet.web.access import acting_user, patient_required
from carenet.web.reads import What, record_reads

#: How long "Moje wizyty" and the dashboard keep offering to rebook a visit a closure cancelled.
NOTICE_SHOWN_FOR = dt.timedelta(days=30)


def open_notices(*, family: list[Patient]) -> list[Any]:
    """The family's visits cancelled by a closure in the last month and not rebooked yet ("Moje wizyty", the
    dashboard)."""
    since = clock.now() - NOTICE_SHOWN_FOR
    return selectors.open_notices_for_patients(patient_ids=[person.pk for person in family], since=since)


@patient_required
@require_http_methods(["GET", "POST"])
def closure_alternatives(request: HttpRequest, notice_id: int) -> HttpResponse:
    try:
        notice = selectors.access_notice(actor=acting_user(request), notice_id=notice_id)
    except NotFound as missing:
        raise Http404 from missing
    record_reads(request, patient_ids=[notice.patient_id], what=What.VISIT, reference=notice.appointment_id)
    error = None
    if request.method == "POST":
        slot_id = db_id_or_none(request.POST.get("slot"))
        if slot_id is None:
            error = _("Choose one of the times below.")
        else:
            try:
                new = services.closure_rebook(
                    actor=acting_user(request), notice_id=notice.pk, slot_id=slot_id, channel=Channel.PORTAL
                )
            except NotFound:
                error = _("This time is no longer available. Choose another one.")
            except ApplicationError as refusal:
                error = str(refusal.message)
            else:
                messages.success(request, _("The visit is booked. We will send a confirmation by SMS."))
                return redirect("portal:visit", appointment_id=new.pk)
        notice = selectors.access_notice(actor=acting_user(request), notice_id=notice_id)
    found = selectors.alternatives(notice=notice, now=clock.now()) if notice.rebooked_id is None else None
    context = {"notice": notice, "alternatives": found, "error": error}
    return render(request, "portal/closures/alternatives.html", context, status=422 if error else 200)
