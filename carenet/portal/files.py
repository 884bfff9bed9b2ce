""" "Twoje pliki" — the patient's files in the portal (FIL-1, FIL-2; seed 004): the table of files (name and format,
description, date added, when it is deleted automatically, download, delete), and "Dodaj plik": the file, its
description for the clinician (5–75 characters), the terms declaration the first time, "Prześlij plik".

Level II (a level I account gets the explanation of how to confirm its identity). A guardian picks whose files —
their own or a child's — and their read of a child's files is recorded. Every change is one call of
:mod:`carenet.files.services`; a refusal is shown next to its field and stores nothing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from carenet.accounts import selectors as account_selectors
from carenet.accounts.models import Patient
from carenet.accounts.policies import Feature
from carenet.core import clock
from carenet.core.errors import ApplicationError, NotFound
from carenet.core.forms import CheckedInputMixin
from carenet.files import policies, selectors, services
from carenet.files.models import PatientFile
from carenet.files.policies import FileRefusal
from carenet.web.access import level_two_required, request_actor
from carenet.web.downloads import private_file_response
from carenet.web.reads import What, record_reads

#: The declaration of the seed (LUX MED's "Twoje pliki"), accepted before the first upload (FIL-1).
TERMS_TEXT = gettext_lazy(
    "I declare that I have read and accept the terms of the Your files service, and that the document I send "
    "concerns only the user, is true, is lawful, and that sharing it in no way infringes the rights of third parties."
)


class UploadForm(CheckedInputMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        required=False,
        allow_empty_file=True,  # the service refuses an empty file with its own message and code
        widget=forms.ClearableFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf"}),
    )
    description = forms.CharField(
        label=gettext_lazy("File description (visible to the doctor)"),
        required=False,
        strip=False,
        widget=forms.TextInput(
            attrs={"maxlength": policies.DESCRIPTION_MAX_CHARS, "data-counter": "description-counter"}
        ),
    )
    accept_terms = forms.BooleanField(label=TERMS_TEXT, required=False)


def _family_and_whose(request: HttpRequest, chosen: str | None) -> tuple[list[Patient], Patient]:
    """The patient and the children they act for, and whose files to show (the patient for any other id)."""
    me: Patient = request.patient  # type: ignore[attr-defined]
    family = account_selectors.patients_acting_for(patient=me, today=clock.today())
    whose = next((person for person in family if str(person.pk) == chosen), me)
    return family, whose


def _files_url(whose: Patient, me: Patient) -> str:
    url = reverse("portal:files")
    return url if whose.pk == me.pk else f"{url}?{urlencode({'who': whose.pk})}"


def _field_of(code: str) -> str | None:
    try:
        refusal = FileRefusal(code)
    except ValueError:
        return None
    if refusal in services.DESCRIPTION_REFUSALS:
        return "description"
    if refusal is FileRefusal.TERMS_NOT_ACCEPTED:
        return "accept_terms"
    if refusal is FileRefusal.TOO_MANY_FILES:
        return None
    return "file"


@require_http_methods(["GET", "POST"])
@level_two_required(Feature.FILE_UPLOADS)
def files(request: HttpRequest) -> HttpResponse:
    """The chosen person's files (GET); POST uploads one and comes back to the list."""
    me: Patient = request.patient  # type: ignore[attr-defined]
    actor = request_actor(request)
    chosen = request.POST.get("who") if request.method == "POST" else request.GET.get("who")
    family, whose = _family_and_whose(request, chosen)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.file_upload(
                actor=actor,
                patient_id=whose.pk,
                upload=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
                accept_terms=form.cleaned_data["accept_terms"],
            )
        except ApplicationError as refusal:
            form.add_error(_field_of(refusal.code), str(refusal.message))
        else:
            messages.success(request, _("The file has been uploaded."))
            return redirect(_files_url(whose, me))
    rows = list(selectors.file_list_for_patient(patient_id=whose.pk))
    record_reads(request, patient_ids=[whose.pk], what=What.FILES)
    context: dict[str, Any] = {
        "family": family,
        "whose": whose,
        "rows": rows,
        "form": form,
        "terms_accepted": selectors.terms_accepted(patient_id=whose.pk),
        "slots_left": max(0, settings.CARENET_FILE_MAX_STORED - len(rows)),
        "max_stored": settings.CARENET_FILE_MAX_STORED,
        "max_mb": settings.CARENET_FILE_MAX_BYTES // (1024 * 1024),
        "keep_months": settings.CARENET_FILE_KEEP_MONTHS,
        "min_chars": policies.DESCRIPTION_MIN_CHARS,
        "max_chars": policies.DESCRIPTION_MAX_CHARS,
        "description_length": len(policies.description_cleaned(str(form["description"].value() or ""))),
    }
    return render(request, "portal/files/files.html", context, status=422 if form.errors else 200)


def _own_file(request: HttpRequest, file_id: int) -> PatientFile:
    try:
        return selectors.access_patient_file(actor=request_actor(request), file_id=file_id)
    except NotFound as missing:
        raise Http404(str(missing.message)) from missing


@require_GET
@level_two_required(Feature.FILE_UPLOADS)
def file_download(request: HttpRequest, file_id: int) -> HttpResponse:
    """The file, always as a download (``attachment``, ``nosniff``), only for its patient or their guardian."""
    row = _own_file(request, file_id)
    record_reads(request, patient_ids=[row.patient_id], what=What.FILES, reference=row.pk)
    response = private_file_response(row.stored, filename=row.original_name, content_type=row.content_type)
    if response.status_code == 404:
        raise Http404(_("No such file."))
    return response  # type: ignore[return-value]  # a FileResponse, streamed


@require_http_methods(["GET", "POST"])
@level_two_required(Feature.FILE_UPLOADS)
def file_delete(request: HttpRequest, file_id: int) -> HttpResponse:
    """FIL-2: "Usuń" asks to confirm (GET); POST deletes the file and comes back to the list."""
    me: Patient = request.patient  # type: ignore[attr-defined]
    row = _own_file(request, file_id)
    if request.method == "POST":
        try:
            services.file_delete(actor=request_actor(request), file_id=row.pk)
        except NotFound as missing:
            raise Http404(str(missing.message)) from missing
        messages.success(request, _("The file has been deleted."))
        return redirect(_files_url(row.patient, me))
    record_reads(request, patient_ids=[row.patient_id], what=What.FILES, reference=row.pk)
    return render(request, "portal/files/delete.html", {"file": row, "back": _files_url(row.patient, me)})
