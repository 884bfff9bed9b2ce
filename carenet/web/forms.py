from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import QuerySet
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.formats import number_format
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import Patient
from carenet.booking.services import OccupationalReferral
from carenet.core.catalogue import localized
from carenet.core.forms import CheckedInputMixin
from carenet.core.validation import ascii_digits
from carenet.coverage.selectors import matrix_version
from carenet.network import selectors as network_selectors
from carenet.network.models import City, Clinician, Facility, Language, Service, Specialty
from carenet.scheduling.models import Mode
from carenet.scheduling.search import SlotQuery


class LoginForm(AuthenticationForm):
    """The portal's and the consoles' login, with the words the pages use; a failed login focuses its error summary
    (BEY-5), not the login field, so the field is autofocused only on a fresh form."""

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Login")
        self.fields["password"].label = _("Password")
        if self.is_bound:
            self.fields["username"].widget.attrs.pop("autofocus", None)


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
    return localized(item)


def _html(text: Any) -> str:
    """``conditional_escape`` without its lazy-string wrapper (called for every option of every select)."""
    return str(text.__html__()) if hasattr(text, "__html__") else html.escape(str(text))


class QuickSelect(forms.Select):
    """A ``<select>`` written in Python, with the HTML of ``forms.Select``: Django renders a template per option,
    which with 150 cities, 60 specialties and a city's facilities was most of the search page's time (B4)."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        if self.allow_multiple_selected:
            return self._render_groups(name, value, attrs)
        # The options written straight from the choices, as ``optgroups`` makes them — a group's options inside its
        # ``<optgroup>``, the first option whose value is chosen selected (issue 16: building Django's option
        # dictionaries was a fifth of the search form's time with a city's facilities).
        chosen = set(self.format_value(value))
        parts = [f'<select name="{_html(name)}"{flatatt(self.build_attrs(self.attrs, attrs))}>']

        def option(option_value: Any, label: Any) -> str:
            nonlocal chosen
            text = str(option_value)
            selected = bool(chosen) and text in chosen
            if selected:
                chosen = set()  # one selected option, as Django's single select
            return f'<option value="{_html(text)}"{" selected" if selected else ""}>{_html(label)}</option>'

        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                if option_value:
                    parts.append(f'<optgroup label="{_html(option_value)}">')
                parts.extend(option(sub_value, sub_label) for sub_value, sub_label in label)
                if option_value:
                    parts.append("</optgroup>")
            else:
                parts.append(option("" if option_value is None else option_value, label))
        parts.append("</select>")
        return SafeString("".join(parts))

    def _render_groups(self, name: str, value: Any, attrs: dict[str, Any] | None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{_html(name)}"{flatatt(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'<optgroup label="{_html(group_name)}">')
            parts.extend(
                f'<option value="{_html(option["value"])}"{flatatt(option["attrs"]) if option["attrs"] else ""}>'
                f"{_html(option['label'])}</option>"
                for option in options
            )
            if group_name:
                parts.append("</optgroup>")
        parts.append("</select>")
        return SafeString("".join(parts))


class PickListIterator(ModelChoiceIterator):
    """A pick list's options read with one plain query: ``ModelChoiceIterator`` streams them through a server-side
    cursor on PostgreSQL (DECLARE, FETCH, CLOSE — three round trips a select), too dear for a few hundred rows."""

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        rows = getattr(self.field, "rows", None)
        for obj in self.queryset.all() if rows is None else rows:
            yield self.choice(obj)


class PickListChoiceField(forms.ModelChoiceField):
    """A model choice of the search form: options in one query, rendered in Python (B4). ``list_rows`` gives the
    options from rows already read (the lists kept per process, issue 16); the query set still validates a choice."""

    iterator: type[ModelChoiceIterator] = PickListIterator
    widget = QuickSelect
    rows: tuple[Any, ...] | None = None

    def list_rows(self, queryset: QuerySet[Any], rows: tuple[Any, ...]) -> None:
        self.rows = rows
        self.queryset = queryset


class LocalizedChoiceField(PickListChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return localized_name(obj)


class CatalogueChoiceField(forms.ModelChoiceField):
    """A catalogue entry (a service, a specialty) labelled with its name in the page's language (BEY-5)."""

    def label_from_instance(self, obj: Any) -> str:
        return localized_name(obj)


class CatalogueMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Catalogue entries labelled with their names in the page's language (BEY-5)."""

    def label_from_instance(self, obj: Any) -> str:
        return localized_name(obj)


class ClinicianChoiceField(PickListChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return clinician_name(obj)


def clinician_name(clinician: Any) -> str:
    """A clinician as every page names them (issue 14): the abbreviated title, then the name ("dr n. med. Ewa
    Lekarska") — the title's stored form is its abbreviation."""
    return " ".join(part for part in (clinician.title, clinician.first_name, clinician.last_name) if part)


def specialty_label(specialty: Any) -> str:
    """SCH-2 in the patient's words (issue 14): the everyday name with the catalogue name beside it — "internista
    (Choroby wewnętrzne)", "internist (Internal medicine)" on English pages; the catalogue name alone when the
    catalogue gives no everyday name."""
    english = (get_language() or "").split("-")[0] == "en"
    everyday = (specialty.patient_name_en if english else specialty.patient_name) or ""
    catalogue = localized_name(specialty)
    if not everyday or everyday.casefold() == catalogue.casefold():
        return catalogue
    return f"{everyday} ({catalogue})"


#: The labelled, sorted specialties per list read and language: (the list itself, its options). The lists are kept
#: per process under the catalogue's token (``search_lists``): the same tuple object until the catalogue changes.
_LABELLED: dict[tuple[int, str], tuple[Any, list[tuple[str, str]]]] = {}


def _labelled_specialties(specialties: Any) -> list[tuple[str, str]]:
    """``(code, label)`` alphabetical by label; for a kept tuple of specialties, worked out once per language (issue
    16: every home and search page lists them). The entry holds the tuple itself, so a kept answer is only ever
    found for that very tuple."""
    if not isinstance(specialties, tuple):
        return sorted(((s.code, specialty_label(s)) for s in specialties), key=lambda pair: pair[1].casefold())
    key = (id(specialties), get_language() or "")
    found = _LABELLED.get(key)
    if found is None or found[0] is not specialties:
        if len(_LABELLED) >= 16:
            _LABELLED.clear()
        labelled = sorted(((s.code, specialty_label(s)) for s in specialties), key=lambda pair: pair[1].casefold())
        found = _LABELLED[key] = (specialties, labelled)
    return found[1]


def specialty_choices(specialties: Any, *, preferred: list[str] | None = None) -> list[Any]:
    """The specialty select's options, alphabetical by what the patient reads; the ``preferred`` codes (the
    patient's most used, most used first) in a group of their own above the rest."""
    labelled = _labelled_specialties(specialties)
    first = [code for code in preferred or [] if any(code == c for c, _label in labelled)]
    if not first:
        return list(labelled)
    by_code = dict(labelled)
    return [
        (_("Your recent choices"), [(code, by_code[code]) for code in first]),
        (_("All specialties"), labelled),
    ]


class OfferedChoiceIterator(PickListIterator):
    """The options of a ``FacilityChoiceField``: its ``offered`` rows, not every row it accepts."""

    def __init__(self, field: FacilityChoiceField) -> None:
        super().__init__(field)
        self.queryset = field.offered

    def __iter__(self) -> Any:
        # The ids and names as plain values (issue 16: a large city offers over a hundred facilities on every search
        # page; a model instance each was a tenth of the page). The label is the field's: the facility's name.
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from self.queryset.values_list("id", "name")


class FacilityChoiceField(PickListChoiceField):
    """Accepts any facility of ``queryset`` but lists only ``offered`` (SCH-2: the chosen city's facilities), so the
    page never carries the whole network in one select."""

    iterator = OfferedChoiceIterator
    offered: QuerySet[Facility] = Facility.objects.none()

    def offer(self, facilities: QuerySet[Facility]) -> None:
        self.offered = facilities
        self.widget.choices = self.choices  # type: ignore[assignment]

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class PatientChoiceField(PickListChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.full_name)


#: Issue 14: in person and remote kept apart — a city search never lists nationwide phone slots first.
IN_PERSON, REMOTE = "in_person", "remote"
VISIT_KIND_CHOICES = [
    (IN_PERSON, _("At a facility")),
    (REMOTE, _("Phone or video, from anywhere")),
]

TIME_OF_DAY_CHOICES = [
    ("", _("any time")),
    ("morning", _("morning (6–12)")),
    ("afternoon", _("afternoon (12–17)")),
    ("evening", _("evening (17–24)")),
]

#: SCH-2 in the portal: the search looks two weeks ahead unless the patient says otherwise.
DEFAULT_SEARCH_DAYS = 14


class SlotSearchForm(CheckedInputMixin, forms.Form):
    """SCH-2: "Wyszukaj terminy". The same form serves the portal and the staff consoles. Its input is checked at
    the edge first (issue 10: a NUL in a code, an id past 2^63−1 or a date in year 9999 is a form error)."""

    for_whom = PatientChoiceField(
        queryset=Patient.objects.none(), required=False, empty_label=None, label=_("For whom")
    )
    specialty = LocalizedChoiceField(
        queryset=Specialty.objects.none(),
        to_field_name="code",
        required=False,
        label=_("Doctor or specialty"),
        empty_label=_("— choose —"),
    )
    service = forms.CharField(required=False, widget=forms.HiddenInput)
    city = PickListChoiceField(queryset=City.objects.none(), required=False, label=_("City"), empty_label=_("any city"))
    facility = FacilityChoiceField(
        queryset=Facility.objects.none(), required=False, label=_("Facility (optional)"), empty_label=_("any")
    )
    clinician = ClinicianChoiceField(
        queryset=Clinician.objects.none(), required=False, label=_("Clinician (optional)"), empty_label=_("any")
    )
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    time_of_day = forms.ChoiceField(
        choices=TIME_OF_DAY_CHOICES, required=False, label=_("Time of day"), widget=QuickSelect
    )
    language = LocalizedChoiceField(
        queryset=Language.objects.none(),
        to_field_name="code",
        required=False,
        label=_("Language of the visit"),
        empty_label=_("any"),
    )
    visit_kind = forms.ChoiceField(
        choices=VISIT_KIND_CHOICES, required=False, label=_("Kind of visit"), widget=forms.RadioSelect
    )

    #: Issue 14: the fields shown at once; the others wait under "More options".
    MAIN_FIELDS = ("for_whom", "specialty", "city", "visit_kind")

    def __init__(
        self,
        data: Any = None,
        *,
        today: dt.date,
        acting_for: list[Patient] | None = None,
        facility: Facility | None = None,
        service: Service | None = None,
        initial: dict[str, Any] | None = None,
        preferred: list[str] | None = None,
    ) -> None:
        """``acting_for``: whom a patient may book for (omit on staff pages); ``facility``: the reception desk's
        facility, fixed; ``service``: a reschedule searches only for the booked service; ``initial``: what an
        unbound form preselects (the remembered city, a reschedule's facility and clinician); ``preferred``: the
        specialty codes listed first (the patient's most used)."""
        initial = {
            "date_from": today,
            "date_to": today + dt.timedelta(days=DEFAULT_SEARCH_DAYS - 1),
            "visit_kind": IN_PERSON,
            **(initial or {}),
        }
        if data is not None and not data.get("date_from") and not data.get("date_to"):
            data = data.copy()
            data["date_from"] = initial["date_from"].isoformat()
            data["date_to"] = initial["date_to"].isoformat()
        if data is not None and "visit_kind" not in data:
            # Issue 14: a search that does not say (a link from a referral, an old bookmark) is for a visit in person.
            data = data.copy()
            data["visit_kind"] = IN_PERSON
        super().__init__(data, initial=initial)
        self.fixed_facility = facility
        self.fixed_service = service
        # Issue 16: the lists every home and search page shows, kept per process under the catalogue's token.
        lists = network_selectors.search_lists(version=matrix_version())
        self.fields["specialty"].queryset = network_selectors.specialties_with_active_clinicians()  # type: ignore[attr-defined]
        self.fields["specialty"].widget.choices = [
            ("", self.fields["specialty"].empty_label),  # type: ignore[attr-defined]
            *specialty_choices(lists.specialties, preferred=preferred),
        ]
        city = self.fields["city"]
        assert isinstance(city, PickListChoiceField)
        city.list_rows(network_selectors.city_list_for_search(), lists.cities)
        self._offer_facilities()
        language = self.fields["language"]
        assert isinstance(language, PickListChoiceField)
        language.list_rows(Language.objects.all(), lists.languages)
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

    def _submitted_id(self, name: str) -> int | None:
        """The id the request gives for ``name`` before validation (to build the pick lists) — or an unbound form's
        initial one —, or ``None``."""
        raw = self.data.get(name) if self.is_bound else self.initial.get(name)
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = str(raw)
        if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) < 10:
            return int(raw)
        return None

    def _offer_facilities(self) -> None:
        """SCH-2: the facility select lists the chosen city's facilities only. Without a city it lists none — only
        a facility already chosen (a saved link) — and asks for a city first. ``clean`` checks the city."""
        field = self.fields["facility"]
        assert isinstance(field, FacilityChoiceField)
        bookable = network_selectors.facility_list_bookable()
        field.queryset = bookable
        city_id = self._submitted_id("city")
        if city_id is not None:
            field.offer(network_selectors.facilities_in_city(city_id=city_id))
            return
        field.empty_label = _("— choose a city first —")
        facility_id = self._submitted_id("facility")
        field.offer(bookable.filter(pk=facility_id) if facility_id is not None else Facility.objects.none())

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        facility, city = cleaned.get("facility"), cleaned.get("city")
        if facility is not None and city is not None and facility.city_id != city.pk:
            # SCH-2: a facility of another city (a stale page or a hand-made link) is refused, not searched.
            self.add_error(
                "facility",
                _("%(facility)s is not in the chosen city (%(city)s). Choose one of its facilities or change the city.")
                % {"facility": facility.name, "city": city.name},
            )
        if (
            "specialty" in self.fields
            and not self.fields["specialty"].disabled
            and not (cleaned.get("specialty") or cleaned.get("clinician") or cleaned.get("service"))
            and "specialty" not in self.errors
        ):
            self.add_error("specialty", _("Choose a doctor or a specialty."))
        return cleaned

    def more_options_open(self) -> bool:
        """Whether "More options" starts open: one of its fields has an error or a value the patient gave."""
        for field in self.visible_fields():
            if field.name in self.MAIN_FIELDS or field.name in ("date_from", "date_to"):
                continue
            if field.errors or (self.is_bound and self.data.get(field.name)):
                return True
        return any(self[name].errors for name in ("date_from", "date_to") if name in self.fields)

    def _clinicians(self) -> Any:
        """Clinicians of the chosen specialty (and facility): a pick list, not the whole network."""
        code = self.data.get("specialty") if self.is_bound else self.initial.get("specialty")
        if self.fixed_service is not None and self.fixed_service.specialty is not None:
            code = self.fixed_service.specialty.code
        if not code:
            return Clinician.objects.none()
        clinicians = Clinician.objects.filter(is_active=True, specialties__code=code)
        facility_id = self.fixed_facility.pk if self.fixed_facility else self._submitted_id("facility")
        if facility_id and ascii_digits(str(facility_id)) and len(str(facility_id)) <= 19:
            clinicians = clinicians.filter(facilities__id=facility_id)
        # Not sliced: a sliced query set cannot validate the chosen clinician (every choice would be "not valid").
        return Clinician.objects.filter(pk__in=clinicians.values("pk")).order_by("last_name", "first_name", "pk")

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
            mode=Mode.IN_PERSON if data.get("visit_kind") == IN_PERSON else None,
            remote=data.get("visit_kind") == REMOTE,
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
