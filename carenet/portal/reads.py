"""ACC-4, CLN-6, issue 10: "Kto oglądał moje dane" — who read the patient's data, and their children's (level II)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from carenet.accounts import reads
from carenet.accounts import selectors as account_selectors
from carenet.accounts.models import Patient
from carenet.accounts.policies import Feature
from carenet.core import clock
from carenet.web.access import level_two_required


@require_GET
@level_two_required(Feature.READS_OF_MY_DATA)
def reads_of_my_data(request: HttpRequest) -> HttpResponse:
    """Each read of the chosen person's data, latest first: when, what, the reader's role and facility (never a
    staff member's name) and the door. A guardian chooses between themself and their children under 18."""
    me: Patient = request.patient  # type: ignore[attr-defined]
    family = account_selectors.patients_acting_for(patient=me, today=clock.today())
    whose = next((person for person in family if str(person.pk) == request.GET.get("who")), me)
    actor = account_selectors.actor_for_user(request.user)
    page = reads.patient_reads_page(actor=actor, patient_id=whose.pk, page=request.GET.get("page") or 1)
    keep_days = settings.CARENET_READ_RECORD_KEEP_DAYS
    keep_years = round(keep_days / 365.25) if keep_days >= 365 else 0
    context = {"family": family, "whose": whose, "page": page, "keep_days": keep_days, "keep_years": keep_years}
    return render(request, "portal/reads_of_my_data.html", context)
