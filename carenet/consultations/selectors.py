"""Reads of online consultations (TEL-2): who may open which consultation, and on which side they take part.

Every door — the portal's pages, the clinician's console, the JSON API and the rooms' sockets — finds a consultation
through :func:`access_consultation`, which asks the permission table: a patient reaches their own consultations and
their children's (``OWN``), a clinician only the consultations they take part in (``RELATED``: the one they took, or
the room of their own booked video visit). Anything else is :class:`NotFound`, as if it did not exist.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from carenet.accounts.permissions import Action, Actor, Scope
from carenet.consultations.models import ChatMessage, Consultation
from carenet.core.errors import NotFound
from carenet.core.validation import db_id_valid

_RELATED = ("line", "patient", "clinician", "appointment__slot", "requested_by")


def consultation_not_found() -> NotFound:
    return NotFound(_("No such online consultation."), code="consultation_not_found")


def consultations_visible_to(actor: Actor, action: Action = Action.CONSULTATION_VIEW) -> QuerySet[Consultation]:
    """The consultations ``action`` reaches for ``actor`` (none when the table refuses it)."""
    consultations = Consultation.objects.select_related(*_RELATED)
    scope = actor.scope(action)
    if scope is Scope.OWN:
        return consultations.filter(patient_id__in=sorted(actor.family_ids))
    if scope is Scope.RELATED and actor.clinician_id is not None:
        return consultations.filter(clinician_id=actor.clinician_id)
    if scope is Scope.ANY:
        return consultations
    return consultations.none()


def access_consultation(
    *, actor: Actor, consultation_id: int, action: Action = Action.CONSULTATION_VIEW
) -> Consultation:
    """The consultation if ``actor`` may do ``action`` with it; otherwise :class:`NotFound`."""
    if not isinstance(consultation_id, int) or isinstance(consultation_id, bool) or not db_id_valid(consultation_id):
        raise consultation_not_found()
    consultation = consultations_visible_to(actor, action).filter(pk=consultation_id).first()
    if consultation is None:
        raise consultation_not_found()
    return consultation


def side_of(actor: Actor, consultation: Consultation) -> str | None:
    """The side ``actor`` takes part on (``ChatMessage.Side``): the consultation's clinician, or its patient (or the
    guardian acting for a child); ``None`` for anyone else."""
    clinician = actor.clinician_id is not None and actor.clinician_id == consultation.clinician_id
    if clinician and actor.scope(Action.CONSULTATION_JOIN) is Scope.RELATED:
        return ChatMessage.Side.CLINICIAN
    if actor.scope(Action.CONSULTATION_JOIN) is Scope.OWN and consultation.patient_id in actor.family_ids:
        return ChatMessage.Side.PATIENT
    return None
