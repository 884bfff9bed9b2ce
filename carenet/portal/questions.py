""" "Zapytaj lekarza" — Ask the doctor (CLN-4, ACC-4, level II): the completed visits of the patient and of the
children they act for, each with its questions and answers and, while it may be asked about, a form to ask. Asking
is one call of :func:`carenet.questions.services.question_ask`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from carenet.accounts import selectors as account_selectors
from carenet.accounts.models import Patient
from carenet.accounts.policies import Feature
from carenet.core import clock
from carenet.core.errors import ApplicationError
from carenet.core.forms import CheckedInputMixin
from carenet.questions import policies, selectors, services
from carenet.web.access import level_two_required, request_actor
from carenet.web.reads import What, record_reads


class AskForm(CheckedInputMixin, forms.Form):
    appointment = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    text = forms.CharField(
        label=gettext_lazy("Your question"),
        max_length=policies.QUESTION_MAX_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@require_http_methods(["GET", "POST"])
@level_two_required(Feature.ASK_THE_DOCTOR)
def questions(request: HttpRequest) -> HttpResponse:
    """The visits to ask about (GET); POST asks about one of them and comes back to the page."""
    me: Patient = request.patient  # type: ignore[attr-defined]
    actor = request_actor(request)
    form = AskForm(request.POST or None)
    failed_visit: int | None = None
    if request.method == "POST":
        failed_visit = _visit_id(request)
        if form.is_valid():
            try:
                services.question_ask(
                    actor=actor, appointment_id=form.cleaned_data["appointment"], text=form.cleaned_data["text"]
                )
            except ApplicationError as refusal:
                form.add_error("text", str(refusal.message))
            else:
                messages.success(request, _("Your question has been sent to the doctor."))
                return redirect(f"{reverse('portal:questions')}#visit-{form.cleaned_data['appointment']}")
    now = clock.now()
    family = account_selectors.patients_acting_for(patient=me, today=clock.today())
    rows = selectors.visits_to_ask_about(patient_ids=actor.family_ids, now=now)
    record_reads(request, patient_ids=[row.visit.patient_id for row in rows], what=What.QUESTIONS)
    context: dict[str, Any] = {
        "rows": rows,
        "family": family,
        "form": form,
        "failed_visit": failed_visit,
        "failed_row_shown": any(row.visit.pk == failed_visit and row.can_ask for row in rows),
        "window_days": policies.ASK_WINDOW_DAYS,
        "max_chars": policies.QUESTION_MAX_CHARS,
        "now": now,
    }
    return render(request, "portal/questions.html", context, status=422 if form.errors else 200)


def _visit_id(request: HttpRequest) -> int | None:
    raw = request.POST.get("appointment", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None
