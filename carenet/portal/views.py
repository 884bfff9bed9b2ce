from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from carenet.core.http import HtmxHttpRequest
from carenet.network import selectors as network_selectors
from carenet.web import selectors
from carenet.web.forms import FacilityFilterForm

FACILITIES_PER_PAGE = 20


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"network": selectors.network_summary()})


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
