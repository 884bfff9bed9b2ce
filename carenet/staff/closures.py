"""Closures in the consoles (NET-3): the coordinator closes a facility or a clinician's schedule for a period and
follows how many visits were moved, rebooked and are still to call; reopening ends a closure early and restores
nothing silently. The call centre calls the moved patients who did not rebook within a day. Each state change is
one closures-service call; every page that names patients records the read."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from carenet.accounts.permissions import Action
from carenet.closures import selectors, services
from carenet.closures.policies import NOTE_MAX_LENGTH, REASON_MAX_LENGTH, closure_in_force
from carenet.core import clock
from carenet.core.errors import ApplicationError, NotFound
from carenet.core.forms import CheckedInputMixin
from carenet.core.validation import date_in_range
from carenet.network.models import Clinician, Facility
from carenet.web.access import acting_user, staff_required
from carenet.web.reads import What, record_reads

_WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ClosureForm(CheckedInputMixin, forms.Form):
    facility = forms.ModelChoiceField(
        label=gettext_lazy("Facility"),
        queryset=Facility.objects.filter(is_active=True, kind=Facility.Kind.OWN).select_related("city"),
    )
    clinician = forms.ModelChoiceField(
        label=gettext_lazy("Only this clinician's schedule (optional)"),
        queryset=Clinician.objects.filter(is_active=True),
        required=False,
        help_text=gettext_lazy("Leave empty to close the whole facility."),
    )
    starts_at = forms.DateTimeField(label=gettext_lazy("Closed from"), widget=_WHEN)
    ends_at = forms.DateTimeField(label=gettext_lazy("Closed until"), widget=_WHEN)
    reason = forms.CharField(
        label=gettext_lazy("Reason (patients read it)"),
        max_length=REASON_MAX_LENGTH,
        help_text=gettext_lazy("For example: quarantine of the doctor, a security incident."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("starts_at", "ends_at"):
            value = cleaned.get(name)
            if value is not None and not date_in_range(value.date()):
                self.add_error(name, _("Enter a date between 1900 and 2100."))
        return cleaned


@staff_required(Action.CLOSURE_MANAGE)
def closures(request: HttpRequest) -> HttpResponse:
    """The coordinator's closures: each with its figures (moved, rebooked, still to call)."""
    now = clock.now()
    rows = [
        {
            "closure": closure,
            "in_force": closure_in_force(
                starts_at=closure.starts_at, ends_at=closure.ends_at, reopened_at=closure.reopened_at, now=now
            ),
        }
        for closure in selectors.closure_list()
    ]
    return render(request, "staff/closures/list.html", {"rows": rows})


@staff_required(Action.CLOSURE_MANAGE)
@require_http_methods(["GET", "POST"])
def closure_new(request: HttpRequest) -> HttpResponse:
    """Close a facility (or one clinician's schedule there): the booked visits inside are cancelled at once, each
    patient told by one SMS with a link to the alternatives."""
    form = ClosureForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            done = services.closure_create(
                actor=acting_user(request),
                facility_id=data["facility"].pk,
                clinician_id=data["clinician"].pk if data["clinician"] else None,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                reason=data["reason"],
            )
        except ApplicationError as refusal:
            error = str(refusal.message)
        else:
            messages.success(
                request,
                _("Closed. Visits cancelled: %(visits)s; patients told by SMS: %(patients)s.")
                % {"visits": done.cancelled, "patients": done.messages},
            )
            return redirect("staff:closure", closure_id=done.closure.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "staff/closures/new.html", {"form": form, "error": error}, status=status)


def _closure_page(request: HttpRequest, closure_id: int, *, error: str | None = None) -> HttpResponse:
    try:
        closure = selectors.closure_detail(closure_id=closure_id)
    except NotFound as missing:
        raise Http404 from missing
    notices = selectors.closure_notices(closure_id=closure.pk)
    record_reads(request, patient_ids=[notice.patient_id for notice in notices], what=What.VISIT_LIST)
    now = clock.now()
    context = {
        "closure": closure,
        "notices": notices,
        "error": error,
        "in_force": closure_in_force(
            starts_at=closure.starts_at, ends_at=closure.ends_at, reopened_at=closure.reopened_at, now=now
        ),
        "can_reopen": closure.reopened_at is None and closure.ends_at > now,
    }
    return render(request, "staff/closures/detail.html", context, status=422 if error else 200)


@staff_required(Action.CLOSURE_MANAGE)
def closure(request: HttpRequest, closure_id: int) -> HttpResponse:
    """One closure: its figures and its moved visits (who, which visit, rebooked or called)."""
    return _closure_page(request, closure_id)


@staff_required(Action.CLOSURE_MANAGE)
@require_POST
def closure_reopen(request: HttpRequest, closure_id: int) -> HttpResponse:
    try:
        services.closure_reopen(actor=acting_user(request), closure_id=closure_id)
    except NotFound as missing:
        raise Http404 from missing
    except ApplicationError as refusal:
        return _closure_page(request, closure_id, error=str(refusal.message))
    messages.success(
        request,
        _("The closure is reopened. The cancelled visits stay cancelled; their patients rebook or are called."),
    )
    return redirect("staff:closure", closure_id=closure_id)


def _calls_page(request: HttpRequest, *, error: str | None = None, failed_id: int | None = None) -> HttpResponse:
    notices = selectors.call_list(now=clock.now())
    record_reads(request, patient_ids=[notice.patient_id for notice in notices], what=What.VISIT_LIST)
    context = {"notices": notices, "error": error, "failed_id": failed_id, "note_max_length": NOTE_MAX_LENGTH}
    return render(request, "staff/closures/calls.html", context, status=422 if error else 200)


@staff_required(Action.CLOSURE_FOLLOW_UP)
def closure_calls(request: HttpRequest) -> HttpResponse:
    """The call centre's list: moved patients who did not rebook within a day — name, phone, the cancelled visit."""
    return _calls_page(request)


@staff_required(Action.CLOSURE_FOLLOW_UP)
@require_POST
def closure_called(request: HttpRequest, notice_id: int) -> HttpResponse:
    try:
        notice = services.closure_call_record(
            actor=acting_user(request), notice_id=notice_id, note=request.POST.get("note", "")
        )
    except NotFound as missing:
        raise Http404 from missing
    except ApplicationError as refusal:
        return _calls_page(request, error=str(refusal.message), failed_id=notice_id)
    messages.success(request, _("The call to %(patient)s is recorded.") % {"patient": notice.patient.full_name})
    return redirect("staff:closure_calls")
