"""Who may act for which patient through the API, and through which channel (BKG-1, CLN-6, SEC).

A patient acts for themself and for their children (the patients whose guardian they are). A call-centre operator,
a receptionist and an administrator act for any patient they name (the booking services then apply the rules of
their channel, such as a receptionist's own facility). Clinicians and coordinators do not act for patients
(403 ``role_not_allowed``). Naming a patient one may not act for answers 404, exactly like a patient that does not
exist. Who may act for whom is decided by :func:`carenet.booking.selectors.access_patient`; this module only adds
the API's defaults (a patient's own record when none is named) and the channel of each caller.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import Patient, User
from carenet.accounts.selectors import minors_q
from carenet.api.auth import TOKEN, auth_method
from carenet.booking import selectors as booking_selectors
from carenet.booking.models import Channel
from carenet.core import clock
from carenet.core.errors import NotFound, PermissionDenied, ValidationFailed

#: Staff roles that act for patients, and the channel their bookings record (BKG-1).
ACTING_STAFF_CHANNELS: dict[str, Channel] = {
    User.Role.CALL_CENTRE: Channel.CALL_CENTRE,
    User.Role.RECEPTIONIST: Channel.RECEPTION,
    # An administrator stands in for the call centre (BKG-1 records the channel and the acting person).
    User.Role.ADMIN: Channel.CALL_CENTRE,
}


def may_act_for_patients(user: User) -> bool:
    return user.role == User.Role.PATIENT or user.role in ACTING_STAFF_CHANNELS


def channel_for(request: HttpRequest, user: User) -> Channel:
    """BKG-1: a patient's app books through ``mobile``, the portal's pages (session) through ``portal``; staff
    through their desk's channel."""
    if user.role in ACTING_STAFF_CHANNELS:
        return ACTING_STAFF_CHANNELS[user.role]
    return Channel.MOBILE if auth_method(request) == TOKEN else Channel.PORTAL


def role_not_allowed() -> PermissionDenied:
    return PermissionDenied(_("Your role does not act for patients."), code="role_not_allowed")


def access_patient(*, actor: User, patient_id: int | None) -> Patient:
    """The patient ``actor`` acts for: a patient's own record when ``patient_id`` is omitted, else the patient
    named if the actor may act for them (:class:`NotFound` otherwise, as for a patient that does not exist)."""
    if not may_act_for_patients(actor):
        raise role_not_allowed()
    if patient_id is None:
        if actor.role != User.Role.PATIENT:
            raise ValidationFailed(_("Name the patient you act for (patient_id)."), code="patient_id_required")
        own = Patient.objects.filter(user=actor).first()
        if own is None:
            raise NotFound(_("No such patient or appointment."), code="not_found")
        return own
    return booking_selectors.access_patient(actor=actor, patient_id=patient_id)


def family_of(*, actor: User) -> list[Patient]:
    """A patient's own record and their children's (for "my visits")."""
    own = Patient.objects.filter(user=actor).first()
    if own is None:
        return []
    return [own, *Patient.objects.filter(minors_q(today=clock.today()), guardian=own).order_by("pk")]
