"""The clinician's questions inbox (CLN-4): the open questions about their visits and the routed ones of their
specialty at their facilities, oldest first with the late ones marked, each with an answer form; the answered ones
on a second tab. Answering is one call of :func:`carenet.questions.services.question_answer`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from carenet.accounts.permissions import Action
from carenet.core import clock
from carenet.core.dates import age_on
from carenet.core.errors import ApplicationError
from carenet.core.forms import CheckedInputMixin
from carenet.questions import policies, selectors, services
from carenet.questions.models import Question
from carenet.web.access import request_actor, staff_required
from carenet.web.reads import What, record_reads


class AnswerForm(CheckedInputMixin, forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Your answer"),
        max_length=policies.QUESTION_MAX_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


@require_GET
@staff_required(Action.QUESTION_ANSWER)
def inbox(request: HttpRequest) -> HttpResponse:
    """Open questions (default) or the answered ones (``?tab=answered``)."""
    actor = request_actor(request)
    assert actor.clinician_id is not None  # the table's RELATED grant needs a clinician
    answered = request.GET.get("tab") == "answered"
    now = clock.now()
    today = clock.today()
    questions = selectors.inbox(clinician_id=actor.clinician_id, answered=answered)
    record_reads(request, patient_ids=[question.patient_id for question in questions], what=What.QUESTIONS)
    rows = [
        {
            "question": question,
            "age": age_on(question.patient.birth_date, today) if question.patient.birth_date <= today else 0,
            "overdue": policies.is_overdue(
                status_open=question.status == Question.Status.OPEN, due=question.due_at, now=now
            ),
            "routed_to_me": question.clinician_id != actor.clinician_id,
        }
        for question in questions
    ]
    context: dict[str, Any] = {
        "rows": rows,
        "answered": answered,
        "open_count": len(rows) if not answered else selectors.inbox_open_count(clinician_id=actor.clinician_id),
        "max_chars": policies.QUESTION_MAX_CHARS,
    }
    return render(request, "staff/questions/inbox.html", context)


@require_POST
@staff_required(Action.QUESTION_ANSWER)
def answer(request: HttpRequest, question_id: int) -> HttpResponse:
    """Send the answer; the inbox shows what happened (the patient gets an SMS notice). A question outside the
    clinician's inbox does not exist for them (404)."""
    actor = request_actor(request)
    if actor.clinician_id is None or not selectors.inbox_has(clinician_id=actor.clinician_id, question_id=question_id):
        raise Http404
    form = AnswerForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(f"{reverse('staff:questions')}#question-{question_id}")
    try:
        services.question_answer(actor=actor, question_id=question_id, text=form.cleaned_data["text"])
    except ApplicationError as refusal:
        if refusal.status_code == 404:  # not a question of this clinician's inbox: as if it did not exist
            raise Http404 from refusal
        messages.error(request, str(refusal.message))
        return redirect(f"{reverse('staff:questions')}#question-{question_id}")
    messages.success(request, _("The answer has been sent; the patient gets an SMS notice."))
    return redirect(reverse("staff:questions"))
