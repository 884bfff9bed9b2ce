"""The request for pregnancy care elsewhere (BKG-7) as a form, shared by the patient's page and the call centre's:
the name and the phone (prefilled from the patient), the facility that could not see her, the wanted city, in
person or by telemedicine, a note. The choices are read once into the form (no database lookup of a typed id), and
the service checks everything again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import Patient
from carenet.booking.services import slot_is_remote
from carenet.coverage.selectors import pregnancy_service_ids
from carenet.network.models import City, Facility, Service
from carenet.pregnancy.models import PregnancyRequest
from carenet.pregnancy.policies import NAME_MAX_LENGTH, NOTE_MAX_LENGTH
from carenet.pregnancy.services import RequestForm, SlotPlace
from carenet.scheduling.models import Mode, Slot


def _facility_choices() -> list[tuple[str, Any]]:
    rows = Facility.objects.filter(is_active=True).select_related("city").order_by("city__name", "name")
    return [("", _("— I do not want to name one —"))] + [
        (str(facility.pk), f"{facility.name} ({facility.city.name})") for facility in rows
    ]


def _city_choices() -> list[tuple[str, Any]]:
    return [("", _("— choose a city —"))] + [
        (str(pk), name)
        for pk, name in City.objects.filter(facilities__is_active=True)
        .distinct()
        .order_by("name")
        .values_list("pk", "name")
    ]


class PregnancyRequestForm(forms.Form):
    name = forms.CharField(label=_("The patient's name"), max_length=NAME_MAX_LENGTH)
    phone = forms.CharField(
        label=_("Phone for the coordinator"),
        max_length=20,
        help_text=_("We call or text this number with the arranged visit."),
    )
    failed_facility = forms.TypedChoiceField(
        label=_("The facility that could not see you"), coerce=int, required=False, empty_value=None
    )
    wanted_city = forms.TypedChoiceField(label=_("The city where you want the visit"), coerce=int)
    mode = forms.ChoiceField(
        label=_("In person or by telemedicine"), choices=PregnancyRequest.Mode.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: the week of pregnancy, the visit or exam you need, when we may call."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["failed_facility"].choices = _facility_choices()  # type: ignore[attr-defined]
        self.fields["wanted_city"].choices = _city_choices()  # type: ignore[attr-defined]

    def request_form(self) -> RequestForm:
        data = self.cleaned_data
        return RequestForm(
            name=data["name"],
            phone=data["phone"],
            wanted_city_id=data["wanted_city"],
            mode=data["mode"],
            failed_facility_id=data["failed_facility"],
            note=data["note"],
        )


def pregnancy_request_initial(patient: Patient) -> dict[str, Any]:
    """The name and the phone prefilled from the patient's record."""
    return {"name": patient.full_name, "phone": patient.contact_mobile or "", "mode": PregnancyRequest.Mode.IN_PERSON}


#: How far ahead and how many free times a coordinator is offered to resolve a request (BKG-7).
RESOLUTION_DAYS = 28
RESOLUTION_SLOTS = 12


@dataclass(frozen=True)
class ResolutionSlot:
    slot: Slot
    service: Service


def resolution_slots(*, found: PregnancyRequest, now: dt.datetime) -> list[ResolutionSlot]:
    """BKG-7: free times of the pregnancy services where the patient asked for the visit — in person at a network
    centre of the wanted city, or by telemedicine — the earliest first."""
    service_ids = pregnancy_service_ids()
    if not service_ids:
        return []
    slots = (
        Slot.objects.filter(
            is_free=True,
            starts_at__gt=now,
            starts_at__lt=now + dt.timedelta(days=RESOLUTION_DAYS),
            schedule__services__in=sorted(service_ids),
        )
        .select_related("facility", "clinician", "schedule")
        .prefetch_related("schedule__services")
        .distinct()
        .order_by("starts_at", "id")
    )
    if found.mode == PregnancyRequest.Mode.TELEMEDICINE:
        slots = slots.exclude(mode=Mode.IN_PERSON)
    else:
        slots = slots.filter(mode=Mode.IN_PERSON, city_id=found.wanted_city_id, facility__is_active=True).exclude(
            facility__kind=Facility.Kind.PARTNER
        )
    rows = []
    for slot in slots[:RESOLUTION_SLOTS]:
        if slot.schedule is None:
            continue
        service = next(
            (s for s in sorted(slot.schedule.services.all(), key=lambda s: s.pk) if s.pk in service_ids), None
        )
        if service is not None:
            rows.append(ResolutionSlot(slot=slot, service=service))
    return rows


def slot_place(slot: Slot) -> SlotPlace:
    return SlotPlace(
        facility_id=slot.facility_id,
        city_id=slot.city_id,
        clinician_id=slot.clinician_id,
        remote=slot_is_remote(slot),
    )
