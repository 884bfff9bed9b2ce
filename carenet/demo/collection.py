"""Demo authorisations to collect results (CLN-3): pacjent2 authorised their spouse at the first demo reception's
centre a month ago (all results, until revoked), and an earlier authorisation of a relative for laboratory results
was revoked by pacjent2 in the portal. Both through the services the doors use, as the people who would have done
it (the SMS of the recording are in the developer inbox)."""

from __future__ import annotations

import datetime as dt

from carenet.accounts.models import Patient, User
from carenet.accounts.selectors import actor_for_user
from carenet.demo.identity import pesel
from carenet.results import authorisations


def demo_authorisations(now: dt.datetime) -> dict[str, int]:
    patient = Patient.objects.filter(user__username="pacjent2").select_related("user").first()
    desk = User.objects.filter(username="recepcja1", role=User.Role.RECEPTIONIST).first()
    if patient is None or patient.user is None or desk is None:
        return {"authorisations to collect results": 0}
    reception = actor_for_user(desk)
    spouse_first, spouse_sex = ("Marek", "M") if patient.sex == "F" else ("Magdalena", "F")
    spouse = authorisations.authorisation_record(
        actor=reception,
        patient_id=patient.pk,
        full_name=f"{spouse_first} {patient.last_name}",
        pesel=pesel(patient.birth_date - dt.timedelta(days=400), spouse_sex, 2026),
        scope=authorisations.AuthorisationScope.ALL,
        valid_until=None,
        form_on_file=True,
        now=now - dt.timedelta(days=30),
    )
    relative = authorisations.authorisation_record(
        actor=reception,
        patient_id=patient.pk,
        full_name=f"Teresa {patient.last_name}",
        pesel=pesel(dt.date(1958, 3, 14), "F", 1958),
        scope=authorisations.AuthorisationScope.LABORATORY,
        valid_until=(now + dt.timedelta(days=300)).date(),
        form_on_file=True,
        now=now - dt.timedelta(days=90),
    )
    authorisations.authorisation_revoke(
        actor=actor_for_user(patient.user), authorisation_id=relative.pk, now=now - dt.timedelta(days=10)
    )
    return {"authorisations to collect results": len({spouse.pk, relative.pk})}
