from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from carenet.accounts import selectors as account_selectors
from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action
from carenet.accounts.policies import Feature
from carenet.accounts.selectors import actor_patient
from carenet.booking import selectors as booking_selectors
from carenet.booking.models import Channel
from carenet.core import clock
from carenet.core.http import HtmxHttpRequest
from carenet.feedback import selectors as feedback_selectors
from carenet.network import selectors as network_selectors
from carenet.portal.closures import open_notices as closure_notices
from carenet.portal.visits import room_open_for
from carenet.scheduling.models import Mode
from carenet.web import selectors
from carenet.web.access import request_actor
from carenet.web.booking_flow import can_cancel, remembered_city
from carenet.web.forms import FacilityFilterForm, SlotSearchForm
from carenet.web.reads import What, record_reads

FACILITIES_PER_PAGE = 20


def home(request: HttpRequest) -> HttpResponse:
    """The home page: a logged-in patient's dashboard (issue 14: the next visit, "Umów wizytę" with the last city
    and the most booked specialties first, the other sections); everyone else the welcome page."""
    actor = request_actor(request)
    patient = actor_patient(request.user) if actor.can(Action.PORTAL_USE) and actor.patient_id else None
    if patient is None:
        return render(request, "portal/home.html", {"network": selectors.network_summary()})
    return render(request, "portal/dashboard.html", dashboard_context(request, patient=patient))


def dashboard_context(request: HttpRequest, *, patient: Patient) -> dict[str, Any]:
    """What the patient's dashboard shows: the family's next visit (with what the patient may do with it) and the
    short search form (the remembered city, the most booked specialties first)."""
    now = clock.now()
    family = account_selectors.patients_acting_for(patient=patient, today=clock.today())
    # The family's next visit, and how many of the family have one ("All your planned visits" when several do).
    next_visit, with_upcoming = booking_selectors.appointment_next_for_family(family=family, now=now)
    if next_visit is not None:
        booking_selectors.appointment_details_load([next_visit], booked_by=False)
        record_reads(request, patient_ids=[next_visit.patient_id], what=What.VISIT, reference=next_visit.pk)
    form = SlotSearchForm(
        None,
        today=clock.today(),
        initial={"city": remembered_city(request, patient=patient)},
        preferred=booking_selectors.specialty_codes_most_booked(patient=patient),
    )
    return {
        "patient": patient,
        "next_visit": next_visit,
        "next_visit_remote": next_visit is not None and next_visit.slot.mode != Mode.IN_PERSON,
        "can_change": next_visit is not None and can_cancel(next_visit, channel=Channel.PORTAL, now=now),
        "can_join": next_visit is not None and room_open_for(next_visit, now=now),
        "more_visits": with_upcoming > 1,
        "closure_notices": closure_notices(family=family),  # NET-3: cancelled because a facility closed
        "form": form,
        # FBK-1: the family's visits that may be rated now ("Oceń wizytę"; level II — past visits are history).
        "to_rate": feedback_selectors.ratable_visits(patient_ids=[person.pk for person in family], now=now, limit=3)
        if account_selectors.patient_may_use(patient=patient, feature=Feature.VISIT_HISTORY)
        else [],
    }


def facilities(request: HtmxHttpRequest) -> HttpResponse:
    """NET-1 / NET-2 / PKG-7: the facility directory; partner facilities show their phone, never a booking link."""
    cities = network_selectors.city_list_with_facilities()
    form = FacilityFilterForm(request.GET or None, cities=cities)
    city_id = kind = None
    query = ""
    if form.is_valid():
        city = form.cleaned_data["city"]
        city_id = city.pk if city else None
        kind = form.cleaned_data["kind"] or None
        query = form.cleaned_data["q"].strip()
    facilities = network_selectors.facility_directory(city_id=city_id, kind=kind, query=query)
    page = Paginator(facilities, FACILITIES_PER_PAGE).get_page(request.GET.get("page"))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    context = {"form": form, "page": page, "querystring": querystring.urlencode()}
    template = "portal/facilities.html#results" if request.htmx else "portal/facilities.html"
    return render(request, template, context)
