"""TEL-3: "Pliki dla lekarza" on the visit page — the patient (or a guardian for a child's visit) attaches some of
the visit patient's stored files (FIL-1) to a booked visit before it starts, and takes them off again. Each change is
one call of :mod:`carenet.files.attachments`; the section's lists come from its selectors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from carenet.accounts.permissions import Action
from carenet.accounts.policies import Feature, feature_allowed
from carenet.booking import selectors as booking_selectors
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.core.errors import ApplicationError, NotFound
from carenet.core.validation import db_id_or_none, db_id_valid
from carenet.files import attachments
from carenet.web.access import acting_user, level_two_required, request_actor
from carenet.web.reads import What, record_reads

#: How many file ids one "Dołącz" may carry (a patient stores at most a handful; more is not a real form).
MAX_CHOSEN = 20


def visit_files_context(request: HttpRequest, appointment: Appointment) -> dict[str, Any]:
    """The visit page's "Pliki dla lekarza" section: the files attached to the visit, and — while the visit takes
    changes — the visit patient's other stored files to attach. Level I sees why it is not there yet; a guardian
    reading a child's files is recorded (the patient's own reads are not)."""
    actor = request_actor(request)
    if not actor.reaches(Action.FILE_ATTACH, patient_id=appointment.patient_id):
        return {"visit_files": None}
    if not feature_allowed(Feature.FILE_UPLOADS, level=actor.level or 0):
        return {"visit_files": {"level_two": True}}
    now = clock.now()
    attached = attachments.attached_files(appointment.pk, now=now)
    refusal = attachments.attachments_open(appointment, now=now)
    others = (
        attachments.files_to_attach(patient_id=appointment.patient_id, attached=attached, now=now)
        if refusal is None
        else []
    )
    if attached or others:
        record_reads(
            request, patient_ids=[appointment.patient_id], what=What.FILES, reference=f"visit:{appointment.pk}"
        )
    return {
        "visit_files": {
            "attached": attached,
            "others": others,
            "open": refusal is None,
            "closed_because": attachments.MESSAGES[refusal] if refusal is not None else "",
            "max": attachments.max_attached(),
        }
    }


def _visit_url(appointment_id: int) -> str:
    return reverse("portal:visit", args=[appointment_id]) + "#files"


def _visit(request: HttpRequest, appointment_id: int) -> Appointment:
    if not db_id_valid(appointment_id):  # a number no row can have: not found, never a database error
        raise Http404
    try:
        return booking_selectors.access_appointment(actor=acting_user(request), appointment_id=appointment_id)
    except NotFound as error:
        raise Http404 from error


@level_two_required(Feature.FILE_UPLOADS)
@require_POST
def attach(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """TEL-3: "Dołącz" — attach the chosen files (checkboxes ``file``) to the visit. A file attached already stays
    as it is; someone else's file (a parent's on a child's visit too) is 404, and nothing is attached."""
    visit = _visit(request, appointment_id)
    chosen = [db_id_or_none(raw) for raw in request.POST.getlist("file")[:MAX_CHOSEN]]
    file_ids = list(dict.fromkeys(pk for pk in chosen if pk is not None))
    if not file_ids:
        messages.error(request, _("Choose at least one file to attach."))
        return redirect(_visit_url(visit.pk))
    actor = request_actor(request)
    added = 0
    try:
        with transaction.atomic():  # all the chosen files, or none
            for file_id in file_ids:
                added += attachments.file_attach(actor=actor, appointment_id=visit.pk, file_id=file_id).created
    except NotFound as error:
        raise Http404 from error
    except ApplicationError as refusal:
        messages.error(request, str(refusal.message))
        return redirect(_visit_url(visit.pk))
    if added:
        messages.success(
            request,
            ngettext(
                "%(count)d file attached: the clinician will see it with the visit.",
                "%(count)d files attached: the clinician will see them with the visit.",
                added,
            )
            % {"count": added},
        )
    else:
        messages.info(request, _("These files were already attached; nothing changed."))
    return redirect(_visit_url(visit.pk))


@level_two_required(Feature.FILE_UPLOADS)
@require_POST
def detach(request: HttpRequest, appointment_id: int, file_id: int) -> HttpResponse:
    """TEL-3: take a file off the visit before it starts (it stays in "Twoje pliki")."""
    visit = _visit(request, appointment_id)
    try:
        removed = attachments.file_detach(actor=request_actor(request), appointment_id=visit.pk, file_id=file_id)
    except NotFound as error:
        raise Http404 from error
    except ApplicationError as refusal:
        messages.error(request, str(refusal.message))
    else:
        if removed:
            messages.success(request, _("The file is no longer attached to the visit; it stays in your files."))
        else:
            messages.info(request, _("This file was not attached to the visit; nothing changed."))
    return redirect(_visit_url(visit.pk))
