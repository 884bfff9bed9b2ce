"""The coordinators' ratings page (FBK-1, issue 15): over a chosen period, the mean rating of the visits per
facility and per specialty, of the network ("Oceń nas"), and of the online consultations' survey per line, with the
latest comments — computed by the database, and without anyone's name (ratings are anonymous to coordinators, so no
patient's data is read here)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from carenet.accounts.permissions import Action
from carenet.consultations import selectors as consultation_selectors
from carenet.core import clock
from carenet.core.forms import CheckedInputMixin
from carenet.feedback import selectors
from carenet.web.access import staff_required

#: The period shown when none is chosen: the last 30 days; the longest a period may be.
DEFAULT_DAYS = 30
MAX_DAYS = 366 * 3


class PeriodForm(CheckedInputMixin, forms.Form):
    since = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if isinstance(since, dt.date) and isinstance(until, dt.date):
            if since > until:
                raise forms.ValidationError(gettext_lazy("The start of the period must not be after its end."))
            if (until - since).days > MAX_DAYS:
                raise forms.ValidationError(gettext_lazy("Choose a period of at most three years."))
        return cleaned


@require_GET
@staff_required(Action.FEEDBACK_VIEW)
def ratings(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    default = {"since": today - dt.timedelta(days=DEFAULT_DAYS - 1), "until": today}
    form = PeriodForm(request.GET if request.GET else None, initial=default)
    period = default
    if form.is_bound and form.is_valid():
        period = {"since": form.cleaned_data["since"], "until": form.cleaned_data["until"]}
    summary = selectors.ratings_summary(since=period["since"], until=period["until"])
    lines, survey_comments = consultation_selectors.survey_summary(since=period["since"], until=period["until"])
    context = {"form": form, "summary": summary, "survey_lines": lines, "survey_comments": survey_comments}
    return render(request, "staff/ratings.html", context, status=422 if form.errors else 200)
