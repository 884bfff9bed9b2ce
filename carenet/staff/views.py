"""Staff consoles: the dashboard, and the call-centre and reception consoles — find a patient, see their visits with
channel and who booked them (BKG-1), search and book for them, cancel. One booking-service call per state change;
reads of a patient's visits through the booking selectors. A receptionist works only at their own facility."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carenet.accounts import contact
from carenet.accounts import selectors as account_selectors
from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action, Scope
from carenet.accounts.selectors import ADULT_AGE, actor_for_user
from carenet.booking import selectors as booking_selectors
from carenet.booking import services as booking_services
from carenet.booking.models import Appointment, Channel
from carenet.booking.offers import Offer
from carenet.core import clock
from carenet.core.dates import age_on
from carenet.core.errors import ApplicationError, NotFound, ValidationFailed
from carenet.core.http import HtmxHttpRequest
from carenet.core.validation import ascii_digits, text_problem
from carenet.coverage.selectors import enrolment_active_on
from carenet.network.models import Facility
from carenet.staff import clinician
from carenet.web.access import acting_user, request_actor, staff_required
from carenet.web.booking_flow import (
    FACILITY_FIELD_TEMPLATE,
    book_from_form,
    can_cancel,
    confirmation_form,
    coverage_label,
    facility_field_requested,
    offer_for_slot,
    price_to_accept,
    search_context,
)
from carenet.web.forms import LoginForm, SlotSearchForm
from carenet.web.reads import What, record_reads

View = Callable[..., HttpResponse]

PATIENTS_PER_PAGE = 20


class StaffLoginView(auth_views.LoginView):
    template_name = "staff/login.html"
    redirect_authenticated_user = True
    authentication_form = LoginForm

    def get_default_redirect_url(self) -> str:
        if actor_for_user(self.request.user).can(Action.PORTAL_USE):
            return reverse("portal:visits")
        return reverse("staff:dashboard")


def _channel(request: HttpRequest) -> str:
    """BKG-1: the channel the desk books through, as the table says (reception; the call centre; an administrator
    stands in for the call centre)."""
    return request_actor(request).channel(Action.APPOINTMENT_BOOK) or Channel.CALL_CENTRE


def _desk_facility(request: HttpRequest) -> Facility | None:
    """The facility a desk's bookings are limited to (a receptionist's), or ``None`` for any facility."""
    actor = request_actor(request)
    if actor.scope(Action.APPOINTMENT_BOOK) is Scope.FACILITY:
        return Facility.objects.filter(pk=actor.facility_id or 0).first()
    return None


@staff_required()
def dashboard(request: HttpRequest) -> HttpResponse:
    """What the staff member's role may do here (the template asks ``can``); a clinician's is their day list."""
    if request_actor(request).can(Action.VISIT_DAY_LIST):
        return clinician.day_list(request)
    return render(request, "staff/dashboard.html", {"facility": _desk_facility(request)})


@staff_required(Action.PATIENT_FIND)
@require_http_methods(["GET", "POST"])
def patients(request: HttpRequest) -> HttpResponse:
    """Find a patient by PESEL, name or phone (indexed prefix lookups, at least 3 characters), paginated. The
    search goes by POST, so a PESEL never appears in an address or an access log; every patient listed is a read
    of their data (recorded)."""
    data = request.POST if request.method == "POST" else {}
    query = str(data.get("q", "")).strip()[:80]
    raw_page = str(data.get("page", "1"))
    page = int(raw_page) if ascii_digits(raw_page) and 0 < int(raw_page[:6]) < 1000 else 1
    found: list[Patient] = []
    error = None
    has_next = False
    if query and text_problem(query):
        error = _("The text contains characters that cannot be searched.")
    elif query and (pesel := account_selectors.patient_with_pesel(query))[0] and pesel[1] is not None:
        # Issue 14: a whole PESEL opens the patient's page (a read, recorded).
        person = pesel[1]
        record_reads(request, patient_ids=[person.pk], what=What.PATIENT_SEARCH)
        target = reverse("staff:patient", args=[person.pk])
        if getattr(request, "htmx", False):
            return HttpResponse(status=204, headers={"HX-Redirect": target})
        return redirect(target)
    elif query:
        # Eleven digits that are nobody's PESEL may still be a mobile number written with its country code
        # ("48 601 234 567"): the ordinary search answers; only when it finds nobody either is the PESEL named.
        try:
            found = account_selectors.patient_find(
                query=query, limit=PATIENTS_PER_PAGE + 1, offset=(page - 1) * PATIENTS_PER_PAGE
            )
        except ValidationFailed as refusal:
            error = str(refusal.message)
        has_next = len(found) > PATIENTS_PER_PAGE
        found = found[:PATIENTS_PER_PAGE]
        if not found and error is None and page == 1 and account_selectors.patient_with_pesel(query)[0]:
            error = _("No patient has the PESEL %(pesel)s.") % {"pesel": "".join(query.split())}
        record_reads(request, patient_ids=[person.pk for person in found], what=What.PATIENT_SEARCH)
    context = {
        "query": query,
        "found": found,
        "error": error,
        "page": page,
        "has_next": has_next,
        "facility": _desk_facility(request),
    }
    template = "staff/patients.html#results" if getattr(request, "htmx", False) else "staff/patients.html"
    return render(request, template, context)


def _patient(request: HttpRequest, patient_id: int) -> Patient:
    try:
        return booking_selectors.access_patient(actor=acting_user(request), patient_id=patient_id)
    except NotFound as error:
        raise Http404 from error


@staff_required(Action.PATIENT_VIEW)
def patient(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The patient's page: enrolment and tier, upcoming visits with channel and who booked them (BKG-1)."""
    person = _patient(request, patient_id)
    now = clock.now()
    # A receptionist sees only the visits at their facility (APPOINTMENT_VIEW); the call centre all of them.
    actor = acting_user(request)
    upcoming = list(booking_selectors.appointment_list_visible(actor=actor, patient=person, upcoming=True, now=now))
    past = list(booking_selectors.appointment_list_visible(actor=actor, patient=person, upcoming=False, now=now)[:10])
    booking_selectors.appointment_details_load([*upcoming, *past])  # by primary key, for both lists at once
    record_reads(request, patient_ids=[person.pk], what=What.PATIENT_PAGE)
    channel = _channel(request)
    facility = _desk_facility(request)
    rows = [
        (
            appointment,
            can_cancel(appointment, channel=channel, now=now)
            and (facility is None or appointment.slot.facility_id == facility.pk),
        )
        for appointment in upcoming
    ]
    context: dict[str, object] = {
        "patient": person,
        "enrolment": enrolment_active_on(patient=person, day=clock.today()),
        "upcoming": rows,
        "past": past,
        "facility": facility,
    }
    # ACC-8: the consents in force (a child follows the guardian's), so the call centre can say why no reminder came.
    holder = person.guardian if person.guardian_id and age_on(person.birth_date, clock.today()) < ADULT_AGE else None
    context |= {"consents": contact.consent_states(patient=holder or person), "consent_holder": holder}
    return render(request, "staff/patient.html", context)


@staff_required(Action.APPOINTMENT_BOOK)
def patient_search(request: HtmxHttpRequest, patient_id: int) -> HttpResponse:
    """Search free slots for the patient: the portal's search; a receptionist's is fixed to their facility."""
    person = _patient(request, patient_id)
    facility = _desk_facility(request)
    form = SlotSearchForm(request.GET or None, today=clock.today(), facility=facility)
    search_url = reverse("staff:patient_search", args=[person.pk])
    if facility_field_requested(request):  # the city changed: the facility select alone (SCH-2)
        return render(request, FACILITY_FIELD_TEMPLATE, {"form": form})

    def book_url(offer: Offer, _for: Patient | None) -> str:
        query = urlencode({"service": offer.service.code if offer.service else ""})
        return reverse("staff:book", args=[person.pk, offer.slot.pk]) + "?" + query

    context = search_context(request=request, form=form, patient=person, now=clock.now(), book_url=book_url)
    record_reads(request, patient_ids=[person.pk], what=What.PATIENT_PAGE, reference="coverage")
    context |= {
        "search_url": search_url,
        "facility_field_url": search_url,
        "heading": _("Find a visit for %(patient)s") % {"patient": person.full_name},
        "staff_patient": person,
        "facility": facility,
    }
    template = "portal/search.html#results" if request.htmx else "staff/search.html"
    return render(request, template, context)


@staff_required(Action.APPOINTMENT_BOOK)
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, patient_id: int, slot_id: int) -> HttpResponse:
    """The confirmation step for a booking on the patient's behalf (read the price to them); POST books."""
    person = _patient(request, patient_id)
    offer = offer_for_slot(patient=person, slot_id=slot_id, service_code=request.GET.get("service", ""))
    # A desk books at its own facility only: a slot elsewhere does not exist for it (nor the patient's referrals and
    # coverage the page would show).
    if not request_actor(request).reaches(
        Action.APPOINTMENT_BOOK, patient_id=person.pk, facility_id=offer.slot.facility_id
    ):
        raise Http404
    record_reads(request, patient_ids=[person.pk], what=What.PATIENT_PAGE, reference="booking")
    price = price_to_accept(offer)
    form = confirmation_form(request, patient=person, offer=offer)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            appointment = book_from_form(
                form, actor=acting_user(request), patient=person, offer=offer, channel=_channel(request)
            )
            if appointment is not None:
                messages.success(
                    request,
                    _("Booked for %(patient)s: %(when)s.")
                    % {
                        "patient": person.full_name,
                        "when": clock.local(appointment.slot.starts_at).strftime("%d.%m.%Y %H:%M"),
                    },
                )
                return redirect("staff:patient", patient_id=person.pk)
        status = 422
    label, tone = coverage_label(offer)
    context = {"offer": offer, "form": form, "patient": person, "label": label, "tone": tone, "price": price}
    return render(request, "staff/book.html", context, status=status)


def _appointment(request: HttpRequest, appointment_id: int) -> Appointment:
    try:
        return booking_selectors.access_appointment(actor=acting_user(request), appointment_id=appointment_id)
    except NotFound as error:
        raise Http404 from error


@staff_required(Action.APPOINTMENT_CANCEL)
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """CXL-1 through the call centre or reception: a confirmation page; POST cancels. A receptionist sees (and
    cancels) only visits at their facility — others are a 404."""
    appointment = _appointment(request, appointment_id)
    record_reads(request, patient_ids=[appointment.patient_id], what=What.VISIT, reference=appointment.pk)
    error = None
    if request.method == "POST":
        try:
            booking_services.appointment_cancel(
                actor=acting_user(request),
                appointment_id=appointment.pk,
                channel=_channel(request),
                now=clock.now(),
            )
        except ApplicationError as refusal:
            error = str(refusal.message)
        else:
            messages.success(request, _("The visit is cancelled."))
            return redirect("staff:patient", patient_id=appointment.patient_id)
    context = {"appointment": appointment, "error": error}
    return render(request, "staff/cancel.html", context, status=422 if error else 200)
