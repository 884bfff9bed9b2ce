"""Reception's arrival console (CHK-1, CHK-2, CHK-4, CHK-5, BKG-5): the day list of a facility's visits with
"check in", "refused: late" and "no-show"; the entrance screen with the premises code; a patient's no-show blocks
with "lift the block". Each action is one call of :mod:`carenet.arrival.services`.

Who: a receptionist works at their own facility; an administrator at any (facility chooser); a call-centre
operator may look at any facility's day list but records nothing (arrivals are recorded at the desk) and does not
see entrance codes (the code proves presence at the entrance). Everyone else gets a 403.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action, Scope
from carenet.arrival import policies as checkin_policies
from carenet.arrival import selectors as arrival_selectors
from carenet.arrival import services as arrival
from carenet.booking import selectors as booking_selectors
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.core.errors import ApplicationError, NotFound
from carenet.core.validation import ascii_digits, db_id_or_none, text_problem
from carenet.network.models import Facility, Specialty
from carenet.web.access import acting_user, forbidden, request_actor, staff_required
from carenet.web.reads import What, record_reads

VISITS_PER_PAGE = 50
ACTIONS = ("check_in", "refuse_late", "no_show")


def _chooser(request: HttpRequest) -> bool:
    """Whether the desk picks a facility (call centre, administrators) or works at its own (reception)."""
    return request_actor(request).scope(Action.DAY_LIST_VIEW) is not Scope.FACILITY


def _facility_for(request: HttpRequest, raw: str | None) -> Facility | None:
    """A receptionist's own facility; for others the chosen one (or none chosen yet)."""
    if not _chooser(request):
        return Facility.objects.filter(pk=request_actor(request).facility_id or 0).first()
    if raw and db_id_or_none(raw) is not None:
        return Facility.objects.filter(pk=db_id_or_none(raw) or 0, kind=Facility.Kind.OWN).first()
    return None


def _day(raw: str | None) -> dt.date:
    """The day asked for (``YYYY-MM-DD``, years 2000–2100, as the clinician's day list), or today in Warsaw: a
    year 9999 or year 1 would leave the calendar for the next or the previous day."""
    try:
        day = dt.date.fromisoformat(raw) if raw else clock.today()
    except ValueError:
        return clock.today()
    return day if 2000 <= day.year <= 2100 else clock.today()


def _row(appointment: Appointment, *, now: dt.datetime, desk: bool, undoer: bool = False) -> dict[str, Any]:
    """What a row of the day list shows and which actions it offers (the rules decide; the page explains): an
    action the rules refuse stays on the row, disabled, with the rule's reason in words (issue 14)."""
    facts = checkin_policies.VisitFacts(
        status=appointment.status, starts_at=appointment.slot.starts_at, ends_at=appointment.slot.ends_at, now=now
    )
    check_in = checkin_policies.check_in_refusal(
        facts,
        channel=checkin_policies.CheckInChannel.RECEPTION,
        local_day_of=clock.local(appointment.slot.starts_at).date(),
        today=clock.local(now).date(),
    )
    refuse = checkin_policies.refuse_late_refusal(facts)
    no_show = checkin_policies.mark_no_show_refusal(facts)
    undo = arrival.check_in_undo_refusal(appointment, now=now)
    late_from = appointment.slot.starts_at + checkin_policies.LATE_AFTER
    return {
        "appointment": appointment,
        "desk": desk,
        "can_check_in": desk and check_in is None,
        "can_refuse_late": desk and refuse is None,
        "can_no_show": desk and no_show is None,
        "check_in_reason": str(arrival.ARRIVAL_MESSAGES[check_in]) if check_in else "",
        "refuse_late_reason": (
            _("Possible from %(time)s (10 minutes after the start).")
            % {"time": clock.local(late_from).strftime("%H:%M")}
            if refuse is checkin_policies.ArrivalCode.NOT_LATE_YET
            else str(arrival.ARRIVAL_MESSAGES[refuse])
            if refuse
            else ""
        ),
        "no_show_reason": str(arrival.ARRIVAL_MESSAGES[no_show]) if no_show else "",
        "can_undo": undoer and undo is None,
        "undo_until": (
            checkin_policies.undo_check_in_until(appointment.checked_in_at, window=arrival.undo_window())
            if appointment.checked_in_at
            else None
        ),
        "booked": appointment.status == Appointment.Status.BOOKED,
        "late_from": late_from,
    }


@staff_required(Action.DAY_LIST_VIEW)
def day_list(request: HttpRequest) -> HttpResponse:
    """CHK-2: today's (or the chosen day's) visits at the facility, by time, with how each was checked in."""
    facility = _facility_for(request, request.GET.get("facility"))
    day = _day(request.GET.get("date"))
    raw_page = request.GET.get("page", "1")
    page = int(raw_page) if ascii_digits(raw_page) and 0 < int(raw_page[:6]) < 10_000 else 1
    now = clock.now()
    desk = request_actor(request).can(Action.ARRIVAL_RECORD)
    undoer = request_actor(request).can(Action.CHECK_IN_UNDO)
    name = " ".join(request.GET.get("q", "").split())[:80]
    name_error = ""
    if text_problem(name):
        name, name_error = "", _("The text contains characters that cannot be searched.")
    rows: list[dict[str, Any]] = []
    has_next = False
    if facility is not None:
        start = (page - 1) * VISITS_PER_PAGE
        found = list(
            arrival_selectors.reception_day_list(facility_id=facility.pk, day=day, name=name)[
                start : start + VISITS_PER_PAGE + 1
            ]
        )
        has_next = len(found) > VISITS_PER_PAGE
        rows = [_row(appointment, now=now, desk=desk, undoer=undoer) for appointment in found[:VISITS_PER_PAGE]]
        record_reads(
            request, patient_ids=[row["appointment"].patient_id for row in rows], what=What.VISIT_LIST, reference=day
        )
    next_with_visits = None
    if facility is not None and not rows and page == 1 and not name:
        next_with_visits = arrival_selectors.reception_next_day_with_visits(facility_id=facility.pk, after=day)
    chooser = _chooser(request)
    query = {
        "date": day.isoformat(),
        **({"facility": str(facility.pk)} if chooser and facility else {}),
        **({"q": name} if name else {}),
    }
    context = {
        "facility": facility,
        "facilities": Facility.objects.filter(kind=Facility.Kind.OWN).order_by("name") if chooser else [],
        "chooser": chooser,
        "day": day,
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "today": clock.today(),
        "rows": rows,
        "page": page,
        "has_next": has_next,
        "querystring": urlencode(query),
        "facility_query": urlencode({"facility": str(facility.pk)}) if chooser and facility else "",
        "desk": desk,
        "next_with_visits": next_with_visits,
        "name": name,
        "name_error": name_error,
    }
    # The name filter asks by HTMX as the receptionist types: the list alone comes back (and its count, announced).
    template = "staff/reception/day.html#filtered" if getattr(request, "htmx", False) else "staff/reception/day.html"
    return render(request, template, context)


def _appointment(request: HttpRequest, appointment_id: int) -> Appointment:
    try:
        return booking_selectors.access_appointment(actor=acting_user(request), appointment_id=appointment_id)
    except NotFound as error:
        raise Http404 from error


@staff_required(Action.DAY_LIST_VIEW)
@require_POST
def act(request: HttpRequest, appointment_id: int, action: str) -> HttpResponse:
    """Record an arrival outcome: check in (reception channel), "refused: late", or a no-show. HTMX gets the
    updated row back; a plain POST goes back to the day list with a message."""
    if action not in ACTIONS:
        raise Http404
    if not request_actor(request).can(Action.ARRIVAL_RECORD):
        return forbidden(request)
    appointment = _appointment(request, appointment_id)
    record_reads(request, patient_ids=[appointment.patient_id], what=What.VISIT, reference=appointment.pk)
    actor = acting_user(request)
    now = clock.now()
    note, error = "", ""
    try:
        if action == "check_in":
            arrival.appointment_check_in(
                appointment_id=appointment.pk, channel=checkin_policies.CheckInChannel.RECEPTION, actor=actor, now=now
            )
            note = _("Checked in: %(patient)s. %(where)s") % {
                "patient": appointment.patient.full_name,
                "where": arrival.room_answer(appointment),
            }
        elif action == "refuse_late":
            arrival.appointment_refuse_late(actor=actor, appointment_id=appointment.pk, now=now)
            note = _("Recorded 'refused: late' for %(patient)s.") % {"patient": appointment.patient.full_name}
        else:
            arrival.appointment_mark_no_show(actor=actor, appointment_id=appointment.pk, now=now)
            note = _("Recorded a no-show for %(patient)s.") % {"patient": appointment.patient.full_name}
    except ApplicationError as refusal:
        error = str(refusal.message)
    return _desk_answer(request, appointment, note=note, error=error)


def _desk_answer(request: HttpRequest, appointment: Appointment, *, note: str, error: str) -> HttpResponse:
    """What the desk sees after an action on a visit (recorded or refused): HTMX gets the updated row with the note
    or the refusal (422), a plain POST goes back to the visit's day list with a message."""
    if getattr(request, "htmx", False):
        fresh = _appointment(request, appointment.pk)
        undoer = request_actor(request).can(Action.CHECK_IN_UNDO)
        context = {"row": _row(fresh, now=clock.now(), desk=True, undoer=undoer), "note": note, "error": error}
        return render(request, "staff/reception/day.html#row", context, status=422 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, note)
    query = {"date": clock.local(appointment.slot.starts_at).date().isoformat()}
    if _chooser(request):
        query["facility"] = str(appointment.slot.facility_id)
    return redirect(reverse("staff:reception") + "?" + urlencode(query))


@staff_required(Action.DAY_LIST_VIEW)
@require_POST
def undo_check_in(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Issue 14 (CHK-2): the facility's receptionist undoes a wrong check-in within a few minutes of it; the visit
    is booked again and the undo recorded. HTMX gets the row back; a plain POST the day list with a message."""
    if not request_actor(request).can(Action.CHECK_IN_UNDO):
        return forbidden(request)
    appointment = _appointment(request, appointment_id)
    record_reads(request, patient_ids=[appointment.patient_id], what=What.VISIT, reference=appointment.pk)
    note, error = "", ""
    try:
        arrival.appointment_check_in_undo(actor=acting_user(request), appointment_id=appointment.pk, now=clock.now())
    except NotFound as missing:
        raise Http404 from missing
    except ApplicationError as refusal:
        error = str(refusal.message)
    else:
        note = _("Check-in undone: %(patient)s is booked again.") % {"patient": appointment.patient.full_name}
    return _desk_answer(request, appointment, note=note, error=error)


@staff_required(Action.ENTRANCE_SCREEN)
def entrance(request: HttpRequest) -> HttpResponse:
    """CHK-4: the entrance screen — the facility's current premises code in large type; HTMX refreshes the code
    every 30 seconds (it changes every 10 minutes; the previous one is still accepted)."""
    facility = _facility_for(request, request.GET.get("facility"))
    now = clock.now()
    code = expires = None
    if facility is not None:
        code = checkin_policies.current_premises_code(
            secret=arrival.premises_secret(), facility_id=facility.pk, now=now
        )
        expires = checkin_policies.premises_code_expires(now)
    context = {
        "facility": facility,
        "code": code,
        "expires": expires,
        "chooser": _chooser(request),
        "facilities": Facility.objects.filter(kind=Facility.Kind.OWN).order_by("name"),
        "checkin_path": reverse("portal:checkin"),
    }
    template = (
        "staff/reception/entrance.html#code" if getattr(request, "htmx", False) else "staff/reception/entrance.html"
    )
    return render(request, template, context)


def _patient(request: HttpRequest, patient_id: int) -> Patient:
    try:
        return booking_selectors.access_patient(actor=acting_user(request), patient_id=patient_id)
    except NotFound as error:
        raise Http404 from error


@staff_required(Action.NO_SHOW_VIEW)
@require_http_methods(["GET", "POST"])
def patient_no_shows(request: HttpRequest, patient_id: int) -> HttpResponse:
    """BKG-5: the patient's no-show blocks in force — specialty, until when, which missed visits — and "lift the
    block" with a required reason (POST). Loaded into the staff patient page."""
    person = _patient(request, patient_id)
    error = ""
    status = 200
    if request.method == "POST":
        raw = request.POST.get("specialty", "")
        try:
            specialty_id = db_id_or_none(raw)
            if specialty_id is None or not Specialty.objects.filter(pk=specialty_id).exists():
                raise NotFound(_("No such patient or specialty."), code="not_found")
            arrival.no_show_block_lift(
                actor=acting_user(request),
                patient_id=person.pk,
                specialty_id=specialty_id,
                reason=request.POST.get("reason", ""),
                now=clock.now(),
            )
        except ApplicationError as refusal:
            error = str(refusal.message)
            status = 422
            if not getattr(request, "htmx", False):
                messages.error(request, error)
                return redirect("staff:patient", patient_id=person.pk)
        else:
            messages.success(request, _("The block is lifted; earlier no-shows no longer count."))
            if not getattr(request, "htmx", False):
                return redirect("staff:patient", patient_id=person.pk)
    now = clock.now()
    recent_no_shows, blocks = arrival_selectors.no_show_summary(patients=[person], now=now)
    if request_actor(request).scope(Action.APPOINTMENT_VIEW) is not Scope.ANY:
        # A desk counts only the missed visits it may see (its facility's), like the blocks it is shown.
        recent_no_shows = arrival_selectors.no_show_count_visible(actor=acting_user(request), patient=person, now=now)
    record_reads(request, patient_ids=[person.pk], what=What.NO_SHOWS)
    context = {
        "patient": person,
        "blocks": arrival_selectors.no_show_blocks_visible(actor=acting_user(request), blocks=blocks),
        "recent_no_shows": recent_no_shows,
        "error": error,
        "lifted": request.method == "POST" and not error,
        "window_days": settings.CARENET_NO_SHOW_WINDOW_DAYS,
    }
    return render(request, "staff/reception/no_shows.html", context, status=status)
