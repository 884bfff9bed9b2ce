"""The wording of the booking SMS (SMS-1, SCH-4): confirmation, cancellation and the day-before reminder.

Always in Polish (the site's language), whatever language the page that caused them was in. The services decide
when a message goes and to whom; this module only says what it says.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from carenet.accounts.models import Patient
from carenet.booking import policies
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.scheduling.models import Mode, Slot


def _when(slot: Slot) -> str:
    return clock.local(slot.starts_at).strftime("%d.%m.%Y %H:%M")


def _place(slot: Slot) -> str:
    if slot.facility_id and slot.facility is not None:
        city = slot.facility.city.name if slot.facility.city_id else ""
        return ", ".join(part for part in (slot.facility.name, slot.facility.address, city) if part)
    return gettext("teleconsultation")


def _patient_label(patient: Patient) -> str:
    return f"{patient.first_name} {patient.last_name[:1]}.".strip()


def confirmation_text(appointment: Appointment) -> str:
    """SMS-1 / SCH-4: the booking confirmation, in Polish, with "reply NIE to cancel"."""
    slot = appointment.slot
    with translation.override(settings.LANGUAGE_CODE):
        parts = [
            gettext("CareNet: visit booked – %(service)s, %(when)s, %(clinician)s, %(place)s. Patient: %(patient)s")
            % {
                "service": appointment.service.name,
                "when": _when(slot),
                "clinician": str(slot.clinician),
                "place": _place(slot),
                "patient": _patient_label(appointment.patient),
            }
        ]
        if slot.mode == Mode.PHONE:
            parts.append(gettext("The clinician will call you."))
        preparation = policies.shorten(appointment.service.preparation, settings.CARENET_SMS_PREPARATION_CHARS)
        if preparation:
            parts.append(gettext("Preparation: %(text)s") % {"text": preparation})
        parts.append(gettext("Reply NIE to cancel the appointment."))
        return " ".join(parts)


def cancellation_text(appointment: Appointment) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("CareNet: visit cancelled – %(service)s, %(when)s. Patient: %(patient)s") % {
            "service": appointment.service.name,
            "when": _when(appointment.slot),
            "patient": _patient_label(appointment.patient),
        }


def reminder_text(appointment: Appointment) -> str:
    """SMS-1: the day-before reminder: the room if known, otherwise "go to reception"; phone: "we will call"."""
    slot = appointment.slot
    with translation.override(settings.LANGUAGE_CODE):
        if slot.mode == Mode.PHONE:
            where = gettext("The clinician will call you.")
        elif slot.mode == Mode.VIDEO:
            where = gettext("Join the video consultation in the portal.")
        elif slot.room_id and slot.room is not None:
            where = gettext("Room %(room)s.") % {"room": slot.room.number}
        else:
            where = gettext("Go to reception.")
        head = gettext(
            "CareNet: reminder – visit %(when)s: %(service)s, %(clinician)s, %(place)s. Patient: %(patient)s"
        ) % {
            "when": _when(slot),
            "service": appointment.service.name,
            "clinician": str(slot.clinician),
            "place": _place(slot),
            "patient": _patient_label(appointment.patient),
        }
        return " ".join([head, where, gettext("Reply NIE to cancel the appointment.")])
