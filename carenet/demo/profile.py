"""ACC-8 in the demo: pacjent2 has kept "Twoje dane" and "Twoje zgody" for a while — an address and a new e-mail
entered in the portal, a phone number changed last month (confirmed by its code), marketing given, e-mail notices
withdrawn, SMS notices withdrawn and given back — so both pages and the back office show a history."""

from __future__ import annotations

import datetime as dt

from carenet.accounts import contact
from carenet.accounts.models import ChangeChannel, ContactChange, Patient
from carenet.accounts.policies import mask_phone


def demo_contact_data(now: dt.datetime) -> str:
    """Returns a line for the builder's progress."""
    patient = Patient.objects.filter(user__username="pacjent2").select_related("user").first()
    if patient is None or ContactChange.objects.filter(patient=patient).exists():
        return "contact data and consents (nothing to add)"
    user = patient.user
    days = dt.timedelta(days=1)
    contact.contact_data_update(
        patient=patient,
        by=user,
        email=patient.email,
        street="ul. Marszałkowska 84/92 m. 17",
        postcode="00-514",
        city="Warszawa",
        channel=ChangeChannel.PORTAL,
        now=now - 90 * days,
    )
    # A number changed in the portal last month: the history row as the confirmation left it (the demo keeps the
    # patient's current number, which the other demo steps and the SMS inbox use).
    ContactChange.objects.create(
        patient=patient,
        field=ContactChange.Field.MOBILE,
        old_value=mask_phone("+48501977431"),
        new_value=mask_phone(patient.mobile),
        at=now - 34 * days,
        by=user,
        channel=ChangeChannel.PORTAL,
    )
    local, _at, domain = (patient.email or "pacjent2@example.pl").partition("@")
    contact.contact_data_update(
        patient=patient,
        by=user,
        email=f"{local}.prywatny@{domain or 'example.pl'}",
        street=patient.street,
        postcode=patient.postcode,
        city=patient.city,
        channel=ChangeChannel.API,
        now=now - 12 * days,
    )
    decisions = [
        (90, {"marketing": True}, ChangeChannel.PORTAL),
        (40, {"sms_notices": False}, ChangeChannel.PORTAL),
        (21, {"email_notices": False}, ChangeChannel.API),
        (6, {"sms_notices": True}, ChangeChannel.PORTAL),
    ]
    for ago, choice, channel in decisions:
        contact.consents_set(patient=patient, by=user, decisions=choice, channel=channel, now=now - ago * days)
    return f"contact data and consents (pacjent2: {ContactChange.objects.filter(patient=patient).count()} changes)"
