"""The patient's booking pages: log in, "Wyszukaj terminy", book with a confirmation step, "Moje wizyty", cancel and
reschedule (SCH-2..4, BKG-1..6, CXL-1, ACC-3, NET-2). Each state change is one booking-service call; each read of
a patient's visits goes through the booking selectors."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carenet.accounts import selectors as account_selectors
from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action
from carenet.accounts.policies import Feature
from carenet.accounts.selectors import actor_for_user
from carenet.booking import policies as booking_policies
from carenet.booking import selectors as booking_selectors
from carenet.booking import services as booking_services
from carenet.booking.models import Appointment, Channel
from carenet.booking.offers import Offer
from carenet.clinical import selectors as clinical_selectors
from carenet.clinical.models import Referral
from carenet.consultations import policies as consultation_policies
from carenet.core import clock
from carenet.core.catalogue import localized
from carenet.core.errors import ApplicationError, NotFound
from carenet.core.http import HtmxHttpRequest
from carenet.core.validation import db_id_or_none
from carenet.feedback import selectors as feedback_selectors
from carenet.portal import attachments
from carenet.portal.arrival import no_shows_context as arrival_no_shows_context
from carenet.portal.closures import open_notices as closure_notices
from carenet.scheduling.models import Mode
from carenet.web import names
from carenet.web.access import acting_user, patient_required
from carenet.web.booking_flow import (
    CLINICIAN_FIELD_TEMPLATE,
    FACILITY_FIELD_TEMPLATE,
    book_from_form,
    can_cancel,
    clinician_field_requested,
    confirmation_form,
    coverage_label,
    facility_field_requested,
    offer_for_slot,
    price_to_accept,
    remember_city,
    remembered_city,
    search_context,
)
from carenet.web.forms import IN_PERSON, REMOTE, LoginForm, SlotSearchForm
from carenet.web.reads import What, record_reads

PAST_VISITS_PER_PAGE = 10


class PatientLoginView(auth_views.LoginView):
    """The portal login: patients land on "Moje wizyty", staff on their dashboard. Axes sees the request."""

    template_name = "portal/login.html"
    redirect_authenticated_user = True
    authentication_form = LoginForm

    def get_default_redirect_url(self) -> str:
        if actor_for_user(self.request.user).can(Action.PORTAL_USE):
            return reverse("portal:visits")
        return reverse("staff:dashboard")


def _patient(request: HttpRequest) -> Patient:
    return request.patient  # type: ignore[attr-defined]


def _acting_for(request: HttpRequest, raw_id: Any) -> Patient:
    """Whom the patient books for: themself or one of their children (404 for anyone else)."""
    me = _patient(request)
    if raw_id in (None, "", str(me.pk)):
        return me
    allowed = account_selectors.patients_acting_for(patient=me, today=clock.today())
    chosen = next((p for p in allowed if str(p.pk) == str(raw_id)), None)
    if chosen is None:
        raise Http404
    return chosen


def _book_url(offer: Offer, patient: Patient | None, referral: Referral | None = None) -> str:
    query = {"service": offer.service.code if offer.service else ""}
    if patient is not None:
        query["for"] = str(patient.pk)
    if referral is not None and offer.service is not None and referral.service_id == offer.service.pk:
        query["referral"] = str(referral.pk)
    return reverse("portal:book", args=[offer.slot.pk]) + "?" + urlencode(query)


def _referral_to_book(request: HttpRequest, family: list[Patient]) -> Referral | None:
    """CLN-1: the referral the patient came to book with from "Skierowania" (``?referral=``): one of the family's
    valid, unused referrals, else none (someone else's id is ignored, as if it were not there)."""
    referral_id = db_id_or_none(request.GET.get("referral"))
    if referral_id is None:
        return None
    whom = db_id_or_none(request.GET.get("for_whom")) or family[0].pk
    person = next((person for person in family if person.pk == whom), None)
    if person is None:
        return None
    bookable = clinical_selectors.referral_list_bookable(patient=person, today=clock.today())
    return bookable.filter(pk=referral_id).first()


@patient_required
def search(request: HtmxHttpRequest) -> HttpResponse:
    """SCH-2: "Wyszukaj terminy" — the form, and HTMX results below it, one day at a time. Opened from a referral
    (CLN-1), the search looks for its service and each "Book" carries the referral to the confirmation step. The
    city is remembered; the patient's most booked specialties come first (issue 14)."""
    me = _patient(request)
    acting_for = account_selectors.patients_acting_for(patient=me, today=clock.today())
    form = SlotSearchForm(
        request.GET or None,
        today=clock.today(),
        acting_for=acting_for,
        initial={"city": remembered_city(request, patient=me)},
        preferred=booking_selectors.specialty_codes_most_booked(patient=me),
    )
    if facility_field_requested(request):  # the city changed: the facility select alone (SCH-2)
        return render(request, FACILITY_FIELD_TEMPLATE, {"form": form})
    if clinician_field_requested(request):  # the specialty or the facility changed: their clinicians (SCH-2)
        return render(request, CLINICIAN_FIELD_TEMPLATE, {"form": form})
    referral = _referral_to_book(request, acting_for)

    def book_url(offer: Offer, patient: Patient | None) -> str:
        return _book_url(offer, patient, referral)

    context = search_context(request=request, form=form, patient=me, now=clock.now(), book_url=book_url)
    if context["searched"]:
        remember_city(request, form)
    context |= {"search_url": reverse("portal:search"), "heading": _("Find a visit"), "referral": referral}
    template = "portal/search.html#results" if request.htmx else "portal/search.html"
    return render(request, template, context)


@patient_required
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, slot_id: int) -> HttpResponse:
    """BKG-3: the confirmation step — a summary with the price; POST books (one service call)."""
    patient = _acting_for(request, request.GET.get("for"))
    offer = offer_for_slot(patient=patient, slot_id=slot_id, service_code=request.GET.get("service", ""))
    price = price_to_accept(offer)
    form = confirmation_form(
        request, patient=patient, offer=offer, referral_id=db_id_or_none(request.GET.get("referral"))
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            appointment = book_from_form(
                form, actor=acting_user(request), patient=patient, offer=offer, channel=Channel.PORTAL
            )
            if appointment is not None:
                messages.success(request, _("The visit is booked. We will send a confirmation by SMS."))
                return redirect("portal:visit", appointment_id=appointment.pk)
        status = 422
    label, tone = coverage_label(offer)
    context = {"offer": offer, "form": form, "patient": patient, "label": label, "tone": tone, "price": price}
    return render(request, "portal/book.html", context, status=status)


@patient_required
def visits(request: HttpRequest) -> HttpResponse:
    """ "Moje wizyty": planned visits (each with cancel and reschedule) and past ones, paginated — for the patient
    and the children they act for. The lists are read on the appointments and their slots only; what the rows
    show is attached afterwards, for the planned visits and the page of past ones together, in a fixed number of
    queries by primary key whatever the length of the history (issue 5, B4)."""
    me = _patient(request)
    now = clock.now()
    family = account_selectors.patients_acting_for(patient=me, today=clock.today())
    planned: list[Appointment] = []
    for person in family:
        planned.extend(booking_selectors.appointment_planned_for_patient(patient=person, now=now))
    whose = next((person for person in family if str(person.pk) == request.GET.get("who")), me)
    # ACC-4: visit history is for level II; level I sees its planned visits and how to confirm its identity.
    history_allowed = account_selectors.patient_may_use(patient=me, feature=Feature.VISIT_HISTORY)
    past: Any = (
        _PastVisits(patient=whose, now=now)
        if history_allowed
        else booking_selectors.appointment_list_for_patient(patient=whose, upcoming=False, now=now).none()
    )
    past_page = Paginator(past, PAST_VISITS_PER_PAGE).get_page(request.GET.get("page"))
    past_page.object_list = list(past_page.object_list)
    booking_selectors.appointment_details_load([*planned, *past_page.object_list], booked_by=False)
    planned.sort(key=lambda appointment: appointment.slot.starts_at)
    rows = [(appointment, can_cancel(appointment, channel=Channel.PORTAL, now=now)) for appointment in planned]
    card = _card_maker()
    context = {
        "planned": rows,
        "planned_cards": [(appointment, cancellable, card(appointment)) for appointment, cancellable in rows],
        "past_cards": [(appointment, card(appointment)) for appointment in past_page.object_list],
        # SCH-3: the booked video visits whose room is open now ("Wejdź do pokoju wizyty online").
        "joinable": {appointment.pk for appointment in planned if room_open_for(appointment, now=now)},
        "past_page": past_page,
        "family": family,
        "whose": whose,
        "history_allowed": history_allowed,
        "closure_notices": closure_notices(family=family),  # NET-3: cancelled because a facility closed
        # FBK-1: "Oceń wizytę" on the past visits that may still be rated (level II: history).
        "ratable": feedback_selectors.ratable_among(visits=past_page.object_list, now=now),
    }
    context |= arrival_no_shows_context(patients=family, now=now)  # BKG-5: no-show count and blocks
    # A guardian reading the children's visits is recorded (the patient's own reads are not).
    record_reads(request, patient_ids=[person.pk for person in family], what=What.VISIT_LIST)
    return render(request, "portal/visits.html", context)


class _PastVisits:
    """The past visits as the paginator reads them: counted and paged by the booking selectors' baked statements
    (:func:`carenet.booking.selectors.appointment_past_count`, :func:`~carenet.booking.selectors.appointment_past_page`)
    — the rows of ``appointment_list_for_patient(..., upcoming=False)`` (issue 16)."""

    ordered = True

    def __init__(self, *, patient: Patient, now: dt.datetime) -> None:
        self.patient, self.now = patient, now

    def count(self) -> int:
        return booking_selectors.appointment_past_count(patient=self.patient, now=self.now)

    def __getitem__(self, page: slice) -> list[Appointment]:
        offset, stop = page.start or 0, page.stop
        return booking_selectors.appointment_past_page(
            patient=self.patient, now=self.now, offset=offset, limit=stop - offset
        )


@dataclass(frozen=True, slots=True)
class _Card:
    """What a visit card on "Moje wizyty" writes of a visit, worked out once per visit with the functions the
    template's filters and tags call (``|date``, ``|time``, ``|localized``, ``|clinician_name``, ``{% url %}``): the
    same text, without the template resolving a chain of lookups and filters for each (issue 16)."""

    iso: str  # |date:"c"
    day: str  # |date:"D j.m.Y"
    time: str  # |time:"H:i"
    short: str  # |date:"j.m.Y"
    service: str
    clinician: str
    url: str
    reschedule_url: str
    cancel_url: str
    rate_url: str


#: A visit's id in an address reversed once per page; the visits' own ids take its place (``<int:appointment_id>``).
_SOME_ID = 987654321


def _card_maker() -> Any:
    """A function that makes a visit's :class:`_Card`; the addresses reversed once per page, in its language."""
    parts = {}
    for name in ("visit", "reschedule", "cancel", "visit_rate"):
        head, _sep, tail = reverse(f"portal:{name}", args=[_SOME_ID]).partition(str(_SOME_ID))
        parts[name] = (head, tail)

    def url(name: str, pk: int) -> str:
        head, tail = parts[name]
        return f"{head}{pk}{tail}"

    # The day names of the page's language, looked up once (``|date:"D"``: dates.WEEKDAYS_ABBR).
    weekdays = [str(name) for name in WEEKDAYS_ABBR.values()]

    def card(appointment: Appointment) -> _Card:
        starts_at = timezone.localtime(appointment.slot.starts_at)
        pk = appointment.pk
        # The template filters' formats written out (issue 16; the same text, held by a test): "c" is ISO 8601,
        # "j.m.Y" the day without and the month with a leading zero, "H:i" the 24-hour time.
        short = f"{starts_at.day}.{starts_at.month:02d}.{starts_at.year:04d}"
        return _Card(
            iso=starts_at.isoformat(),
            day=f"{weekdays[starts_at.weekday()]} {short}",
            time=f"{starts_at.hour:02d}:{starts_at.minute:02d}",
            short=short,
            service=localized(appointment.service, "name"),
            clinician=names.clinician_name(appointment.slot.clinician),
            url=url("visit", pk),
            reschedule_url=url("reschedule", pk),
            cancel_url=url("cancel", pk),
            rate_url=url("visit_rate", pk),
        )

    return card


def room_open_for(appointment: Appointment, *, now: dt.datetime) -> bool:
    """SCH-3: whether a booked video visit's room is open now (from 15 minutes before it until the end of its
    day) — the visit list then offers "Wejdź do pokoju wizyty online"."""
    slot = appointment.slot
    facts = consultation_policies.RoomFacts(
        mode=slot.mode,
        status=appointment.status,
        starts_at=slot.starts_at,
        local_day=clock.local(slot.starts_at).date(),
        today=clock.local(now).date(),
        now=now,
    )
    return consultation_policies.room_refusal(facts) is None


class _LevelTwoRequired(Exception):
    """ACC-4: the visit is history and the patient's account is level I."""


def _access(request: HttpRequest, appointment_id: int) -> Appointment:
    """The visit the patient may open (404 for anyone else's). ACC-4: a visit that is history (ended, cancelled,
    missed …: :func:`carenet.booking.policies.appointment_is_history`) is for level II only — every page that shows
    one (the visit, cancel, reschedule) refuses it to level I with the explanation page (403)."""
    try:
        appointment = booking_selectors.access_appointment(actor=acting_user(request), appointment_id=appointment_id)
    except NotFound as error:
        raise Http404 from error
    history = booking_policies.appointment_is_history(
        status=appointment.status, ends_at=appointment.slot.ends_at, now=clock.now()
    )
    if history and not account_selectors.patient_may_use(patient=_patient(request), feature=Feature.VISIT_HISTORY):
        raise _LevelTwoRequired
    record_reads(request, patient_ids=[appointment.patient_id], what=What.VISIT, reference=appointment.pk)
    return appointment


def _level_two_required(view: Any) -> Any:
    """Answer a :class:`_LevelTwoRequired` from :func:`_access` with the level II explanation page (403)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except _LevelTwoRequired:
            return render(request, "portal/identity/level_two_required.html", status=403)

    return wrapper


@patient_required
@_level_two_required
def visit(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """One visit: the booking confirmation with preparation instructions (SCH-4)."""
    appointment = _access(request, appointment_id)
    cancellable = can_cancel(appointment, channel=Channel.PORTAL, now=clock.now())
    context: dict[str, Any] = {"appointment": appointment, "can_cancel": cancellable}
    # FBK-1: "Oceń wizytę" for 7 days after the visit, or the rating given.
    context["rating"] = feedback_selectors.visit_rating_state(visit=appointment, now=clock.now())
    context |= attachments.visit_files_context(request, appointment)  # TEL-3: "Pliki dla lekarza"
    return render(request, "portal/visit.html", context)


@patient_required
@require_http_methods(["GET", "POST"])
@_level_two_required
def cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """CXL-1: "Odwołaj" — a confirmation page; POST cancels."""
    appointment = _access(request, appointment_id)
    error = None
    if request.method == "POST":
        try:
            booking_services.appointment_cancel(
                actor=acting_user(request), appointment_id=appointment.pk, channel=Channel.PORTAL, now=clock.now()
            )
        except ApplicationError as refusal:
            error = str(refusal.message)
        else:
            messages.success(request, _("The visit is cancelled."))
            return redirect("portal:visits")
    status = 422 if error else 200
    return render(request, "portal/cancel.html", {"appointment": appointment, "error": error}, status=status)


def reschedule_preselection(appointment: Appointment) -> dict[str, str]:
    """Issue 14: a reschedule keeps its context — the search starts from the visit's city, facility, clinician and
    kind of visit (the service is fixed). The patient widens it under "More options"."""
    slot = appointment.slot
    remote = slot.mode != Mode.IN_PERSON
    chosen = {"visit_kind": REMOTE if remote else IN_PERSON, "clinician": str(slot.clinician_id)}
    if slot.facility is not None and not remote:
        chosen |= {"city": str(slot.facility.city_id), "facility": str(slot.facility_id)}
    return chosen


@patient_required
@_level_two_required
def reschedule(request: HtmxHttpRequest, appointment_id: int) -> HttpResponse:
    """ "Zmień termin": the search, restricted to the booked service, opened on the visit's own context (its city,
    facility, clinician) and already searched."""
    appointment = _access(request, appointment_id)
    data = request.GET or QueryDict(urlencode(reschedule_preselection(appointment)))
    form = SlotSearchForm(data, today=clock.today(), service=appointment.service)
    if facility_field_requested(request):
        return render(request, FACILITY_FIELD_TEMPLATE, {"form": form})
    if clinician_field_requested(request):
        return render(request, CLINICIAN_FIELD_TEMPLATE, {"form": form})

    def book_url(offer: Offer, patient: Patient | None) -> str:
        return reverse("portal:reschedule_confirm", args=[appointment.pk, offer.slot.pk])

    context = search_context(
        request=request,
        form=form,
        patient=appointment.patient,
        now=clock.now(),
        book_url=book_url,
        rescheduling=appointment,
    )
    context |= {
        "search_url": reverse("portal:reschedule", args=[appointment.pk]),
        "heading": _("Change the date of a visit"),
        "rescheduling": appointment,
    }
    template = "portal/search.html#results" if request.htmx else "portal/search.html"
    return render(request, template, context)


@patient_required
@require_http_methods(["GET", "POST"])
@_level_two_required
def reschedule_confirm(request: HttpRequest, appointment_id: int, slot_id: int) -> HttpResponse:
    """The confirmation step of a reschedule: the new slot is taken before the old one is released (BKG)."""
    appointment = _access(request, appointment_id)
    offer = offer_for_slot(patient=appointment.patient, slot_id=slot_id, service_code=appointment.service.code)
    price = price_to_accept(offer)
    # A reschedule keeps the occupational referral data of the visit it moves.
    form = confirmation_form(request, patient=appointment.patient, offer=offer, occupational=False)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                new = booking_services.appointment_reschedule(
                    actor=acting_user(request),
                    appointment_id=appointment.pk,
                    new_slot_id=offer.slot.pk,
                    channel=Channel.PORTAL,
                    accept_price=bool(form.cleaned_data.get("accept_price")),
                    referral_id=form.cleaned_data.get("referral"),
                    now=clock.now(),
                )
            except ApplicationError as error:
                form.add_error(None, str(error.message))
            else:
                messages.success(request, _("The visit has a new date."))
                return redirect("portal:visit", appointment_id=new.pk)
        status = 422
    label, tone = coverage_label(offer)
    context = {
        "offer": offer,
        "form": form,
        "patient": appointment.patient,
        "label": label,
        "tone": tone,
        "price": price,
        "rescheduling": appointment,
    }
    return render(request, "portal/book.html", context, status=status)
