""" "Opieka w ciąży" (BKG-7): where the patient's pregnancy is led (pregnancy visits are booked there or by
telemedicine), the request for pregnancy care elsewhere when that facility cannot see her, and her requests with
their status and answer. Filing is one service call."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action, Channel
from carenet.core import clock
from carenet.core.errors import ApplicationError
from carenet.pregnancy import selectors, services
from carenet.web.access import forbidden, patient_required, request_actor
from carenet.web.pregnancy import PregnancyRequestForm, pregnancy_request_initial


@patient_required
@require_http_methods(["GET", "POST"])
def pregnancy_request(request: HttpRequest) -> HttpResponse:
    """BKG-7: the page and, on POST, the request (the coordinators call or text back; the status shows here)."""
    me: Patient = request.patient  # type: ignore[attr-defined]
    actor = request_actor(request)
    if not actor.can(Action.PREGNANCY_REQUEST_FILE):
        return forbidden(request)
    form = PregnancyRequestForm(
        request.POST if request.method == "POST" else None, initial=pregnancy_request_initial(me)
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.pregnancy_request_file(
                    actor=actor, patient_id=me.pk, form=form.request_form(), door=Channel.PORTAL
                )
            except ApplicationError as refusal:
                form.add_error(None, str(refusal.message))
            else:
                messages.success(
                    request,
                    _("Your request is sent. A coordinator will arrange a visit and tell you by SMS."),
                )
                return redirect("portal:pregnancy_request")
        status = 422
    today = clock.today()
    requests = selectors.pregnancy_request_list(patient_ids=[me.pk])
    context = {
        "form": form,
        "care": selectors.pregnancy_care_list(patient_ids=[me.pk], day=today, open_only=True),
        "requests": requests,
        "open_request": next((item for item in requests if item.status == "open"), None),
    }
    return render(request, "portal/pregnancy.html", context, status=status)
