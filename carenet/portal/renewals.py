""" "Zamów receptę" (CLN-2, ACC-4 level II): the drugs a CareNet doctor prescribed to the patient or their child, an
order of a renewal with an optional note, the answer time, and the family's requests with their status."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carenet.accounts import selectors as account_selectors
from carenet.accounts.models import Patient
from carenet.accounts.permissions import Channel
from carenet.accounts.policies import Feature
from carenet.core import clock
from carenet.core.errors import ApplicationError
from carenet.core.validation import db_id_or_none
from carenet.renewals import selectors, services
from carenet.renewals.policies import NOTE_MAX_LENGTH, RenewalRefusal
from carenet.web.access import level_two_required, request_actor
from carenet.web.reads import What, record_reads


@level_two_required(Feature.E_PRESCRIPTIONS)
@require_http_methods(["GET", "POST"])
def renewal_order(request: HttpRequest) -> HttpResponse:
    """The ordering page: per family member, the renewable drugs (last dose, who prescribed it) with an order form;
    below, the requests and their answers. POST orders one and comes back with the answer time."""
    me: Patient = request.patient  # type: ignore[attr-defined]
    actor = request_actor(request)
    family = account_selectors.patients_acting_for(patient=me, today=clock.today())
    error = None
    if request.method == "POST":
        patient_id = db_id_or_none(request.POST.get("patient"))
        drug_id = db_id_or_none(request.POST.get("drug"))
        try:
            if patient_id is None or drug_id is None:
                raise services.refused(RenewalRefusal.DRUG_NOT_PRESCRIBED)
            ordered = services.renewal_request(
                actor=actor,
                patient_id=patient_id,
                drug_id=drug_id,
                note=request.POST.get("note", ""),
                door=Channel.PORTAL,
            )
        except ApplicationError as refusal:
            error = str(refusal.message)
        else:
            due = clock.local(ordered.due_at)
            messages.success(
                request,
                _("Your order of %(drug)s has been sent to the doctor. We will answer by %(date)s.")
                % {"drug": ordered.drug.name, "date": due.strftime("%d.%m.%Y")},
            )
            return redirect(f"{reverse('portal:renewal_order')}?ordered={ordered.pk}")
    people = [(person, selectors.renewable_drugs(patient_id=person.pk)) for person in family]
    requests = selectors.renewal_list(patient_ids=[person.pk for person in family])
    record_reads(request, patient_ids=[person.pk for person in family], what=What.RENEWALS)
    context = {
        "people": people,
        "requests": requests,
        "ordered": db_id_or_none(request.GET.get("ordered")),
        "error": error,
        "note_max_length": NOTE_MAX_LENGTH,
        "service_due": services.service_time_for(clock.now()).due_on,
        "show_names": len(family) > 1,
    }
    return render(request, "portal/renewals/order.html", context, status=422 if error else 200)
