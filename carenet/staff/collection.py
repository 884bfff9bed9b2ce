"""Authorisations to collect results at the reception (CLN-3; seed 003): from the patient's page the desk records
the form the patient signed (the person's name and PESEL, the scope, valid until), lists and revokes them, and — at
"Wydanie wyników" — checks the person who came for the results: authorised (then the results the scope covers, as a
list of exams and dates with the PDF to print) or not (then nothing about the results).

Every page is one call of :mod:`carenet.results.authorisations`; every check is recorded in the read record (who
checked, whose results, which authorisation or "refused"), and so is every list of results and every printout."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action
from carenet.booking import selectors as booking_selectors
from carenet.core import clock
from carenet.core.errors import ApplicationError, NotFound
from carenet.core.forms import CheckedInputMixin
from carenet.core.validation import db_id_or_none
from carenet.results import authorisations
from carenet.results.authorisations import AuthorisationScope, CheckOutcome
from carenet.web.access import acting_user, request_actor, staff_required
from carenet.web.downloads import private_file_response
from carenet.web.reads import What, record_reads


class AuthorisationForm(CheckedInputMixin, forms.Form):
    full_name = forms.CharField(label=gettext_lazy("First and last name of the authorised person"), max_length=160)
    pesel = forms.CharField(label=gettext_lazy("Their PESEL"), max_length=11, min_length=11)
    scope = forms.ChoiceField(
        label=gettext_lazy("Scope"), choices=AuthorisationScope.choices, initial=AuthorisationScope.ALL
    )
    valid_until = forms.DateField(
        label=gettext_lazy("Valid until (empty: until revoked)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    form_on_file = forms.BooleanField(
        label=gettext_lazy("The authorisation form signed by the patient is on file"), required=True
    )


class AuthorisationAtAnyCentreForm(AuthorisationForm):
    """For a desk without a centre of its own (an administrator): the centre where the form was signed."""

    facility = forms.TypedChoiceField(label=gettext_lazy("Recorded at"), coerce=int, choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["facility"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(facility.pk, facility.name) for facility in authorisations.own_facilities()]


class CheckForm(CheckedInputMixin, forms.Form):
    WHO_CHOICES = (
        ("person", gettext_lazy("Another person, with an authorisation")),
        ("in_person", gettext_lazy("The patient in person")),
    )
    who = forms.ChoiceField(label=gettext_lazy("Who came for the results"), choices=WHO_CHOICES, initial="person")
    pesel = forms.CharField(label=gettext_lazy("PESEL of the person collecting"), max_length=11, required=False)
    id_checked = forms.BooleanField(label=gettext_lazy("I have checked their identity document"), required=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("who") == "person" and not data.get("pesel"):
            self.add_error("pesel", _("Give the PESEL from the identity document of the person collecting."))
        return data


#: How long the printouts of a check of the patient in person may be downloaded after it.
IN_PERSON_PRINT_SECONDS = 60 * 60
_IN_PERSON_SALT = "carenet.staff.collection.in-person"


def in_person_token(request: HttpRequest, patient: Patient) -> str:
    """What the printout links of a check "the patient in person" carry: this desk user checked this patient."""
    return signing.dumps([patient.pk, request.user.pk], salt=_IN_PERSON_SALT)


def _in_person_checked(request: HttpRequest, patient: Patient, token: str) -> bool:
    try:
        found = signing.loads(token, salt=_IN_PERSON_SALT, max_age=IN_PERSON_PRINT_SECONDS)
    except signing.BadSignature:  # also an expired one
        return False
    return bool(found == [patient.pk, request.user.pk])


def _patient(request: HttpRequest, patient_id: int, action: Action) -> Patient:
    try:
        return booking_selectors.access_patient(actor=acting_user(request), patient_id=patient_id, action=action)
    except NotFound as error:
        raise Http404 from error


def _rows(patient: Patient) -> list[tuple[Any, str, str]]:
    today = clock.today()
    rows = []
    for item in authorisations.authorisations_of(patient_ids=[patient.pk]):
        status = authorisations.authorisation_status(
            revoked=item.revoked_at is not None, valid_until=item.valid_until, day=today
        )
        rows.append((item, status.value, str(authorisations.STATUS_LABELS[status])))
    return rows


@staff_required(Action.COLLECTION_AUTHORISATION_RECORD)
@require_http_methods(["GET", "POST"])
def collection(request: HttpRequest, patient_id: int) -> HttpResponse:
    """ "Upoważnienia do odbioru wyników": the patient's authorisations (active, expired, revoked) and the form to
    record a new one from the signed paper form."""
    person = _patient(request, patient_id, Action.COLLECTION_AUTHORISATION_RECORD)
    actor = request_actor(request)
    form_class = AuthorisationAtAnyCentreForm if actor.facility_id is None else AuthorisationForm
    form = form_class(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            recorded = authorisations.authorisation_record(
                actor=actor,
                patient_id=person.pk,
                full_name=data["full_name"],
                pesel=data["pesel"],
                scope=data["scope"],
                valid_until=data["valid_until"],
                form_on_file=data["form_on_file"],
                facility_id=data.get("facility"),
            )
        except ApplicationError as refusal:
            error = str(refusal.message)
        else:
            messages.success(
                request,
                _("The authorisation for %(name)s is recorded. The patient gets a text message about it.")
                % {"name": recorded.full_name},
            )
            return redirect(reverse("staff:collection", args=[person.pk]))
    record_reads(request, patient_ids=[person.pk], what=What.COLLECTION_AUTHORISATIONS)
    context = {"patient": person, "rows": _rows(person), "form": form, "error": error}
    invalid = request.method == "POST"
    return render(request, "staff/collection/list.html", context, status=422 if invalid else 200)


@staff_required(Action.COLLECTION_AUTHORISATION_REVOKE)
@require_http_methods(["GET", "POST"])
def collection_revoke(request: HttpRequest, authorisation_id: int) -> HttpResponse:
    """Revoke an authorisation, after a confirmation (the patient asked at the desk)."""
    actor = request_actor(request)
    try:
        authorisation = authorisations.access_authorisation(
            actor=actor, authorisation_id=authorisation_id, action=Action.COLLECTION_AUTHORISATION_REVOKE
        )
    except NotFound as error:
        raise Http404 from error
    if request.method == "POST":
        authorisations.authorisation_revoke(actor=actor, authorisation_id=authorisation.pk)
        messages.success(request, _("The authorisation for %(name)s is revoked.") % {"name": authorisation.full_name})
        return redirect(reverse("staff:collection", args=[authorisation.patient_id]))
    record_reads(request, patient_ids=[authorisation.patient_id], what=What.COLLECTION_AUTHORISATIONS)
    return render(request, "staff/collection/revoke.html", {"authorisation": authorisation})


def _desk_outcome(form: CheckForm, person: Patient, today: dt.date) -> CheckOutcome:
    if form.cleaned_data["who"] == "in_person":
        return CheckOutcome(authorised=True, in_person=True)
    return authorisations.authorisation_check(patient=person, pesel=form.cleaned_data["pesel"], on=today)


@staff_required(Action.RESULT_HAND_OVER)
@require_http_methods(["GET", "POST"])
def collection_check(request: HttpRequest, patient_id: int) -> HttpResponse:
    """ "Wydanie wyników": who came for the patient's results? The patient in person (identity document checked)
    or a person whose PESEL must match an active authorisation; the answer, and when authorised the results to hand
    over (exam and dates, never values) with their PDF to print. Each check is recorded."""
    person = _patient(request, patient_id, Action.COLLECTION_AUTHORISATION_VIEW)
    form = CheckForm(request.POST or None)
    outcome = None
    results: list[Any] = []
    if request.method == "POST" and form.is_valid():
        outcome = _desk_outcome(form, person, clock.today())
        record_reads(request, patient_ids=[person.pk], what=What.COLLECTION_AUTHORISATIONS, reference=outcome.reference)
        if outcome.authorised:
            results = authorisations.results_for_hand_over(patient=person, scope=outcome.scope)
            record_reads(request, patient_ids=[person.pk], what=What.RESULTS, reference=outcome.reference)
    context = {
        "patient": person,
        "form": form,
        "outcome": outcome,
        "results": results,
        "scope_label": dict(AuthorisationScope.choices).get(outcome.scope, "") if outcome else "",
        "in_person_token": in_person_token(request, person) if outcome and outcome.in_person else "",
    }
    status = 422 if request.method == "POST" and not form.is_valid() else 200
    return render(request, "staff/collection/check.html", context, status=status)


@staff_required(Action.RESULT_HAND_OVER)
@require_GET
def collection_result_pdf(request: HttpRequest, patient_id: int, result_id: int) -> HttpResponse:
    """The PDF of one result to print at the desk: checked again (the authorisation may have been revoked since the
    check; its scope must cover the result), recorded as a read of the result. The patient in person: only from the
    links of a check recorded by this desk user in the last hour (a bare ``?in_person=1`` printed any result of
    anyone, also for a person authorised for laboratory results only)."""
    person = _patient(request, patient_id, Action.COLLECTION_AUTHORISATION_VIEW)
    authorisation_id = db_id_or_none(request.GET.get("authorisation"))
    if _in_person_checked(request, person, request.GET.get("in_person", "")):
        outcome = CheckOutcome(authorised=True, in_person=True)
    elif authorisation_id is not None:
        outcome = authorisations.authorisation_recheck(
            patient=person, authorisation_id=authorisation_id, on=clock.today()
        )
    else:
        raise Http404
    try:
        result = authorisations.result_for_hand_over(patient=person, result_id=result_id, outcome=outcome)
    except NotFound as error:
        raise Http404 from error
    if not result.pdf:
        raise Http404
    record_reads(request, patient_ids=[person.pk], what=What.RESULTS, reference=f"pdf:{result.pk}")
    filename = f"{result.name}_{clock.local(result.reported_at):%Y-%m-%d}.pdf"
    # A streamed file (FileResponse), which the console's decorators pass through as any other answer.
    return cast(HttpResponse, private_file_response(result.pdf, filename=filename, content_type="application/pdf"))
