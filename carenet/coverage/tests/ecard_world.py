"""A small E-Karta world shared by the coverage, portal, staff and API tests (PKG-6): a patient with a Polish
name and a paid package, her child, another patient, and a user of every role."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from carenet.accounts.models import Patient, User
from carenet.api.tests.factories import EnrolmentFactory, FacilityFactory, PatientFactory, UserFactory
from carenet.coverage.models import Enrolment
from carenet.demo import identity

TODAY = dt.date(2026, 3, 10)
ACTIVATED = dt.date(2026, 1, 1)
PAID_THROUGH = dt.date(2026, 6, 30)
PESEL_A = "85051712340"
ADDRESS_A = "ul. Świętokrzyska 12"

#: Roles a verification request may come from; the first four verify, the rest are refused.
VERIFIER_ROLES = ("receptionist", "call_centre", "admin", "partner_staff")
REFUSED_ROLES = ("patient", "clinician", "coordinator")


@dataclass
class EcardWorld:
    patient_a: Patient
    child_a: Patient
    patient_b: Patient
    card_a: Enrolment
    card_child: Enrolment
    card_b: Enrolment
    users: dict[str, User] = field(default_factory=dict)


_used: set[str] = set()


def card_number() -> str:
    """A valid, unused E-Karta number."""
    return identity.ecard_number(random.Random(len(_used) + 7), _used)


def build_ecard_world() -> EcardWorld:
    patient_a = PatientFactory(first_name="Łucja", last_name="Kęsińska-Żółć", pesel=PESEL_A)
    child_a = PatientFactory(
        first_name="Jaś", last_name="Kęsiński", guardian=patient_a, user=None, birth_date=dt.date(2018, 4, 2)
    )
    patient_b = PatientFactory(first_name="Bartosz", last_name="Nowak")
    card_a = EnrolmentFactory(
        patient=patient_a, activated_on=ACTIVATED, paid_through=PAID_THROUGH, ecard_number=card_number()
    )
    card_child = EnrolmentFactory(
        patient=child_a, activated_on=ACTIVATED, paid_through=PAID_THROUGH, ecard_number=card_number()
    )
    card_b = EnrolmentFactory(
        patient=patient_b, activated_on=ACTIVATED, paid_through=PAID_THROUGH, ecard_number=card_number()
    )
    own = FacilityFactory()
    partner = FacilityFactory(partner=True)
    users = {
        "patient": patient_b.user,
        "receptionist": UserFactory(username="ek-reception", role=User.Role.RECEPTIONIST, facility=own),
        "call_centre": UserFactory(username="ek-operator", role=User.Role.CALL_CENTRE),
        "admin": UserFactory(username="ek-admin", role=User.Role.ADMIN),
        "partner_staff": UserFactory(username="ek-partner", role=User.Role.PARTNER_STAFF, facility=partner),
        "clinician": UserFactory(username="ek-clinician", role=User.Role.CLINICIAN),
        "coordinator": UserFactory(username="ek-coordinator", role=User.Role.COORDINATOR),
    }
    return EcardWorld(
        patient_a=patient_a,
        child_a=child_a,
        patient_b=patient_b,
        card_a=card_a,
        card_child=card_child,
        card_b=card_b,
        users=users,
    )
