"""The patient's "Upoważnienia do odbioru wyników" (CLN-3; seed 003): who may collect their results and their
children's — name, PESEL masked but for its last 4 digits, scope, valid until, where and when it was recorded, its
status — and "Odwołaj", effective at once (the desk's check refuses from then on).

There is no online creation: the rule is that an authorisation is recorded at a centre, with the signed form (the
page says so). Level II (``Feature.TEST_RESULTS``); reading a child's authorisations is recorded."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from carenet.accounts import selectors as account_selectors
from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action
from carenet.accounts.policies import Feature
from carenet.core import clock
from carenet.core.errors import NotFound
from carenet.results import authorisations
from carenet.web.access import level_two_required, request_actor
from carenet.web.reads import What, record_reads


@require_GET
@level_two_required(Feature.TEST_RESULTS)
def collection_authorisations(request: HttpRequest) -> HttpResponse:
    """Every authorisation of the patient and of the children they act for, newest first."""
    me: Patient = request.patient  # type: ignore[attr-defined]
    today = clock.today()
    family = account_selectors.patients_acting_for(patient=me, today=today)
    rows = []
    for item in authorisations.authorisations_of(patient_ids=[person.pk for person in family]):
        status = authorisations.authorisation_status(
            revoked=item.revoked_at is not None, valid_until=item.valid_until, day=today
        )
        rows.append(
            {
                "item": item,
                "pesel": authorisations.masked_pesel(item.pesel),
                "status": status.value,
                "status_label": authorisations.STATUS_LABELS[status],
            }
        )
    record_reads(request, patient_ids=[person.pk for person in family], what=What.COLLECTION_AUTHORISATIONS)
    return render(request, "portal/collection/list.html", {"rows": rows, "family": family, "several": len(family) > 1})


@require_http_methods(["GET", "POST"])
@level_two_required(Feature.TEST_RESULTS)
def collection_authorisation_revoke(request: HttpRequest, authorisation_id: int) -> HttpResponse:
    """ "Odwołaj": a confirmation, then the revocation (effective at once; revoking again changes nothing)."""
    actor = request_actor(request)
    try:
        authorisation = authorisations.access_authorisation(
            actor=actor, authorisation_id=authorisation_id, action=Action.COLLECTION_AUTHORISATION_REVOKE
        )
    except NotFound as error:
        raise Http404 from error
    if request.method == "POST":
        authorisations.authorisation_revoke(actor=actor, authorisation_id=authorisation.pk)
        messages.success(
            request,
            _("The authorisation for %(name)s is revoked: from now on they cannot collect the results.")
            % {"name": authorisation.full_name},
        )
        return redirect(reverse("portal:collection_authorisations"))
    record_reads(request, patient_ids=[authorisation.patient_id], what=What.COLLECTION_AUTHORISATIONS)
    context = {"authorisation": authorisation, "pesel": authorisations.masked_pesel(authorisation.pesel)}
    return render(request, "portal/collection/revoke.html", context)
