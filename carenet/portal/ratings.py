""" "Oceń wizytę" and "Oceń nas" (FBK-1): a visit's rating page — reached from the visit, "Moje wizyty", the
dashboard and the survey invitation's link — and the network's rating page, open at any time. Rating is one call of
:mod:`carenet.feedback.services`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from carenet.accounts.policies import Feature
from carenet.booking import selectors as booking_selectors
from carenet.core import clock
from carenet.core.errors import ApplicationError, NotFound
from carenet.core.forms import CheckedInputMixin
from carenet.feedback import policies, selectors, services
from carenet.web.access import acting_user, level_two_required, patient_required, request_actor
from carenet.web.reads import What, record_reads

#: The scores in words: a radio group a screen reader reads whole, not a row of stars.
SCORE_WORDS = {
    1: gettext_lazy("1 — very poor"),
    2: gettext_lazy("2 — poor"),
    3: gettext_lazy("3 — acceptable"),
    4: gettext_lazy("4 — good"),
    5: gettext_lazy("5 — very good"),
}


class RatingForm(CheckedInputMixin, forms.Form):
    score = forms.TypedChoiceField(
        label=gettext_lazy("Your rating"),
        choices=list(SCORE_WORDS.items()),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Choose a rating from 1 to 5."),
            "invalid_choice": gettext_lazy("Choose a rating from 1 to 5."),
        },
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment (optional)"),
        help_text=gettext_lazy("What went well, what could we do better? At most 1000 characters."),
        required=False,
        max_length=policies.COMMENT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, score_label: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if score_label:
            self.fields["score"].label = score_label


def _rate(form: RatingForm, call: Any) -> bool:
    """Run the service with the form's values; a refusal becomes the form's error."""
    if not form.is_valid():
        return False
    try:
        call(score=form.cleaned_data["score"], comment=form.cleaned_data["comment"])
    except ApplicationError as refusal:
        form.add_error("score" if refusal.code == policies.RatingCode.SCORE_INVALID else None, str(refusal.message))
        return False
    return True


@require_http_methods(["GET", "POST"])
@level_two_required(Feature.VISIT_HISTORY)
def visit_rate(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """ "Oceń wizytę": the visit in short, and the rating form while it may be rated (POST rates it); the rating
    given, or why it cannot be rated (yet, or any more)."""
    try:
        visit = booking_selectors.access_appointment(actor=acting_user(request), appointment_id=appointment_id)
    except NotFound as missing:
        raise Http404 from missing
    record_reads(request, patient_ids=[visit.patient_id], what=What.VISIT, reference=visit.pk)
    actor = request_actor(request)
    form = RatingForm(request.POST if request.method == "POST" else None, score_label=_("How do you rate the visit?"))
    if request.method == "POST":

        def call(**values: Any) -> None:
            services.visit_rate(actor=actor, appointment_id=visit.pk, **values)

        if _rate(form, call):
            messages.success(request, _("Thank you for rating the visit."))
            return redirect("portal:visit_rate", appointment_id=visit.pk)
    state = selectors.visit_rating_state(visit=visit, now=clock.now())
    context = {"appointment": visit, "state": state, "form": form, "window_days": policies.RATE_DAYS}
    return render(request, "portal/ratings/visit_rate.html", context, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@patient_required
def rate_us(request: HttpRequest) -> HttpResponse:
    """ "Oceń nas": a rating of the network at any time, once in ``CARENET_RATE_US_DAYS`` days."""
    actor = request_actor(request)
    form = RatingForm(request.POST if request.method == "POST" else None, score_label=_("How do you rate CareNet?"))
    if request.method == "POST":

        def call(**values: Any) -> None:
            services.network_rate(actor=actor, **values)

        if _rate(form, call):
            messages.success(request, _("Thank you for rating us."))
            return redirect("portal:rate_us")
    assert actor.patient_id is not None  # patient_required
    state = selectors.network_rating_state(patient_id=actor.patient_id, now=clock.now())
    return render(
        request, "portal/ratings/rate_us.html", {"form": form, "state": state}, status=422 if form.errors else 200
    )
