"""Test helpers for Ask the doctor (CLN-4), on top of the role cast (``tests.cast``): clinicians with a login, and
completed visits to ask about."""

from __future__ import annotations

import datetime as dt
from typing import Any

from carenet.accounts.models import Patient, User
from carenet.accounts.permissions import Actor
from carenet.accounts.selectors import actor_for_user
from carenet.accounts.tests.factories import UserFactory
from carenet.booking.models import Appointment
from carenet.network.models import Clinician, Facility, Service, Specialty
from carenet.network.tests.factories import ClinicianFactory
from tests.cast import _slot, _visit


def clinician(
    *, username: str, specialties: list[Specialty], facilities: list[Facility], existing: Clinician | None = None
) -> Clinician:
    """A clinician (or ``existing``) with a login of the clinician role, in these specialties and facilities."""
    found = existing or ClinicianFactory(last_name=username.title())
    found.specialties.add(*specialties)
    found.facilities.add(*facilities)
    found.user = UserFactory(username=username, role=User.Role.CLINICIAN)
    found.save(update_fields=["user"])
    return found


def completed_visit(
    *,
    patient: Patient,
    clinician: Clinician,
    facility: Facility | None,
    service: Service,
    starts_at: dt.datetime,
    **fields: Any,
) -> Appointment:
    """A visit of ``patient`` with ``clinician`` (status completed unless ``status`` says otherwise)."""
    values: dict[str, Any] = {"status": Appointment.Status.COMPLETED} | fields
    slot = _slot(clinician=clinician, facility=facility, service=service, starts_at=starts_at)
    return _visit(patient, slot, service, **values)


def actor_of(user: User | None) -> Actor:
    return actor_for_user(user)
