from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import Patient
from carenet.booking.services import OccupationalReferral
from carenet.network import selectors as network_selectors
from carenet.network.models import City, Clinician, Facility, Language, Service, Specialty
from carenet.scheduling.models import Mode
from carenet.scheduling.search import SlotQuery


class FacilityFilterForm(forms.Form):
    city = forms.ModelChoiceField(queryset=City.objects.none(), required=False, label=_("City"), empty_label=_("All"))
    kind = forms.ChoiceField(
        choices=[("", _("All")), *Facility.Kind.choices], required=False, label=_("Kind of facility")
    )
    q = forms.CharField(required=False, max_length=80, label=_("Name or street"))

    def __init__(self, *args: object, cities: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["city"].queryset = cities if cities is not None else City.objects.all()  # type: ignore[attr-defined]


def localized_name(item: Any) -> str:
    """A catalogue entry's name in the page's language (the catalogue keeps Polish and English names)."""
    english = getattr(item, "name_en", "")
    return str(english if english and get_language() == "en" else item.name)


class LocalizedChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return localized_name(obj)


class ClinicianChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        title = obj.get_title_display() if obj.title else ""
        return " ".join(part for part in (title, obj.first_name, obj.last_name) if part)


class PatientChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.full_name)


TIME_OF_DAY_CHOICES = [
    ("", _("any time")),
    ("morning", _("morning (6–12)")),
    ("afternoon", _("afternoon (12–17)")),
    ("evening", _("evening (17–24)")),
]

#: SCH-2 in the portal: the search looks two weeks ahead unless the patient says otherwise.
DEFAULT_SEARCH_DAYS = 14


class SlotSearchForm(forms.Form):
    """SCH-2: "Wyszukaj terminy". The same form serves the portal and the staff consoles."""

    for_whom = PatientChoiceField(
        queryset=Patient.objects.none(), required=False, empty_label=None, label=_("For whom")
    )
    specialty = LocalizedChoiceField(
        queryset=Specialty.objects.none(), to_field_name="code", label=_("Specialty"), empty_label=_("— choose —")
    )
    service = forms.CharField(required=False, widget=forms.HiddenInput)
    city = forms.ModelChoiceField(
        queryset=City.objects.none(), required=False, label=_("City"), empty_label=_("any city")
    )
    facility = forms.ModelChoiceField(
        queryset=Facility.objects.none(), required=False, label=_("Facility (optional)"), empty_label=_("any")
    )
    clinician = ClinicianChoiceField(
        queryset=Clinician.objects.none(), required=False, label=_("Clinician (optional)"), empty_label=_("any")
    )
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    time_of_day = forms.ChoiceField(choices=TIME_OF_DAY_CHOICES, required=False, label=_("Time of day"))
    language = LocalizedChoiceField(
        queryset=Language.objects.none(),
        to_field_name="code",
        required=False,
        label=_("Language of the visit"),
        empty_label=_("any"),
    )
    mode = forms.ChoiceField(choices=[("", _("any")), *Mode.choices], required=False, label=_("Kind of visit"))

    def __init__(
        self,
        data: Any = None,
        *,
        today: dt.date,
        acting_for: list[Patient] | None = None,
        facility: Facility | None = None,
        service: Service | None = None,
    ) -> None:
        """``acting_for``: whom a patient may book for (omit on staff pages); ``facility``: the reception desk's
        facility, fixed; ``service``: a reschedule searches only for the booked service."""
        initial = {"date_from": today, "date_to": today + dt.timedelta(days=DEFAULT_SEARCH_DAYS - 1)}
        if data is not None and not data.get("date_from") and not data.get("date_to"):
            data = data.copy()
            data["date_from"] = initial["date_from"].isoformat()
            data["date_to"] = initial["date_to"].isoformat()
        super().__init__(data, initial=initial)
        self.fixed_facility = facility
        self.fixed_service = service
        self.fields["specialty"].queryset = Specialty.objects.filter(clinicians__is_active=True).distinct()  # type: ignore[attr-defined]
        self.fields["city"].queryset = network_selectors.city_list_with_facilities()  # type: ignore[attr-defined]
        self.fields["facility"].queryset = Facility.objects.filter(  # type: ignore[attr-defined]
            kind=Facility.Kind.OWN, is_active=True
        ).select_related("city")
        self.fields["language"].queryset = Language.objects.all()  # type: ignore[attr-defined]
        if acting_for:
            self.fields["for_whom"].queryset = Patient.objects.filter(pk__in=[p.pk for p in acting_for])  # type: ignore[attr-defined]
            self.fields["for_whom"].initial = acting_for[0].pk
            if len(acting_for) == 1:
                self.fields["for_whom"].widget = forms.HiddenInput()
        else:
            del self.fields["for_whom"]
        if facility is not None:
            for name in ("facility", "city"):
                del self.fields[name]
        if service is not None:
            self.fields["specialty"].disabled = True
            self.fields["specialty"].initial = service.specialty.code if service.specialty else None
            self.fields["specialty"].required = service.specialty is None
            del self.fields["service"]
        self.fields["clinician"].queryset = self._clinicians()  # type: ignore[attr-defined]

    def _clinicians(self) -> Any:
        """Clinicians of the chosen specialty (and facility): a pick list, not the whole network."""
        code = self.data.get("specialty") if self.is_bound else None
        if self.fixed_service is not None and self.fixed_service.specialty is not None:
            code = self.fixed_service.specialty.code
        if not code:
            return Clinician.objects.none()
        clinicians = Clinician.objects.filter(is_active=True, specialties__code=code)
        facility_id = self.fixed_facility.pk if self.fixed_facility else self.data.get("facility")
        if facility_id and str(facility_id).isdigit():
            clinicians = clinicians.filter(facilities__id=facility_id)
        return clinicians.distinct().order_by("last_name", "first_name")[:300]

    def slot_query(self, *, page: int) -> SlotQuery:
        """The validated search question (raises ``ValidationFailed`` for what only the search can judge)."""
        data = self.cleaned_data
        specialty = data.get("specialty")
        facility = self.fixed_facility or data.get("facility")
        city = data.get("city")
        clinician = data.get("clinician")
        language = data.get("language")
        return SlotQuery(
            specialty=specialty.code if specialty else None,
            service=self.fixed_service.code if self.fixed_service else (data.get("service") or None),
            city_id=city.pk if city else None,
            facility_id=facility.pk if facility else None,
            clinician_id=clinician.pk if clinician else None,
            date_from=data["date_from"],
            date_to=data["date_to"],
            time_of_day=data.get("time_of_day") or None,
            language=language.code if language else None,
            mode=data.get("mode") or None,
            page=page,
            page_size=SEARCH_PAGE_SIZE,
        )


SEARCH_PAGE_SIZE = 10


class BookingConfirmForm(forms.Form):
    """The confirmation step (BKG-3, PKG-4): accept the price when the package does not pay it all, and pick a
    referral when the service needs one (BKG-4)."""

    accept_price = forms.BooleanField(required=False)
    referral = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label=_("Referral"))
    # BKG-6: an occupational-medicine exam needs the employer's referral data.
    employer_name = forms.CharField(max_length=200, label=_("Employer (name)"))
    employer_nip = forms.CharField(max_length=13, label=_("Employer's NIP"))
    employer_referral_number = forms.CharField(max_length=40, label=_("Number of the employer's referral"))

    OCCUPATIONAL_FIELDS = ("employer_name", "employer_nip", "employer_referral_number")

    def __init__(
        self,
        data: Any = None,
        *,
        price: Decimal | None,
        referrals: list[tuple[int, str]] | None = None,
        occupational: bool = False,
    ) -> None:
        super().__init__(data)
        self.price = price
        if not occupational:
            for name in self.OCCUPATIONAL_FIELDS:
                del self.fields[name]
        if price:
            field = self.fields["accept_price"]
            field.required = True
            field.label = _("I accept the price of %(price)s zł") % {"price": number_format(price, 2)}
            field.error_messages["required"] = _("Accept the price to book a visit the package does not pay for.")
        else:
            del self.fields["accept_price"]
        if referrals is None:
            del self.fields["referral"]
        else:
            self.fields["referral"].choices = [("", _("— choose a referral —")), *referrals]  # type: ignore[attr-defined]

    def occupational_referral(self) -> OccupationalReferral | None:
        """The employer's referral data typed on the form (BKG-6), or ``None`` for other services."""
        if "employer_name" not in self.fields:
            return None
        data = self.cleaned_data
        return OccupationalReferral(
            employer_name=data["employer_name"],
            employer_nip=data["employer_nip"],
            referral_number=data["employer_referral_number"],
        )
