"""Who may act for which patient through the API, and through which channel (BKG-1, CLN-6, ACC-7, SEC).

Everything here asks the permission table (:mod:`carenet.accounts.permissions`) about the caller's
:class:`~carenet.accounts.permissions.Actor`: a patient acts for themself and for their children; a call-centre
operator, a receptionist and an administrator act for any patient they name (the booking services then apply the
scope of their grant, such as a receptionist's own facility). Roles without a booking grant get 403
``role_not_allowed``. Naming a patient one may not act for answers 404, exactly like a patient that does not exist.
A patient whose family has no active package is refused everything but logging out (403 ``package_inactive``,
ACC-7).
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import Patient, User
from carenet.accounts.permissions import Action, Actor, Channel
from carenet.accounts.selectors import actor_for_user
from carenet.api.auth import TOKEN, auth_method, request_user
from carenet.booking import selectors as booking_selectors
from carenet.core import clock
from carenet.core.errors import NotFound, PermissionDenied, ValidationFailed
from carenet.coverage.selectors import package_active_for


def role_not_allowed() -> PermissionDenied:
    return PermissionDenied(_("Your role does not act for patients."), code="role_not_allowed")


def package_inactive() -> PermissionDenied:
    return PermissionDenied(
        _("Your package is not active: the portal is open to patients with an active package (ACC-7)."),
        code="package_inactive",
    )


def request_actor(request: HttpRequest) -> tuple[User, Actor]:
    """The caller and their actor. ACC-7: a patient needs an active package (their own or a child's they act for)."""
    user = request_user(request)
    actor = actor_for_user(user)
    # The patient's own package, when it was read with the bearer token (issue 16), settles it without a query.
    if (
        actor.grant(Action.PORTAL_USE) is not None
        and not getattr(request, "carenet_package_in_force", False)
        and not package_active_for(patient_ids=actor.family_ids, day=clock.today())
    ):
        raise package_inactive()
    return user, actor


def may_act_for_patients(actor: Actor) -> bool:
    return actor.grant(Action.APPOINTMENT_BOOK) is not None


def channel_for(request: HttpRequest, actor: Actor) -> Channel:
    """BKG-1: a patient's app books through ``mobile``, the portal's pages (session) through ``portal``; staff
    through their desk's channel."""
    door = Channel.MOBILE if auth_method(request) == TOKEN else Channel.PORTAL
    channel = actor.channel(Action.APPOINTMENT_BOOK, door=door)
    if channel is None:
        raise role_not_allowed()
    return channel


def access_patient(*, actor: User, patient_id: int | None) -> Patient:
    """The patient ``actor`` acts for: a patient's own record when ``patient_id`` is omitted, else the patient
    named if the actor may act for them (:class:`NotFound` otherwise, as for a patient that does not exist)."""
    who = actor_for_user(actor)
    if not may_act_for_patients(who):
        raise role_not_allowed()
    if patient_id is None:
        if who.grant(Action.PORTAL_USE) is None:
            raise ValidationFailed(_("Name the patient you act for (patient_id)."), code="patient_id_required")
        if who.patient_id is None:
            raise NotFound(_("No such patient or appointment."), code="not_found")
        patient_id = who.patient_id
    return booking_selectors.access_patient(actor=actor, patient_id=patient_id, action=Action.APPOINTMENT_BOOK)


def family_of(*, actor: Actor) -> list[Patient]:
    """A patient's own record and their children's (for "my visits")."""
    if actor.patient_id is None:
        return []
    family = {patient.pk: patient for patient in Patient.objects.filter(pk__in=sorted(actor.family_ids))}
    own = family.pop(actor.patient_id)
    return [own, *(family[pk] for pk in sorted(family))]
