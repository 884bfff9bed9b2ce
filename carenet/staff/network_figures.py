"""The coordinators' dashboard (BEY-4): the network's figures over a chosen period, filtered by city, specialty and
facility — each as a bar chart (inline SVG drawn here, an image to assistive technology, with a title and a
description) with its numbers in a table beside it, and each table as CSV. The figures come from
:mod:`carenet.insights.selectors` (one query each); nothing here names a patient."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from carenet.accounts.permissions import Action
from carenet.booking.models import Channel
from carenet.core import clock
from carenet.core.catalogue import localized
from carenet.core.spreadsheets import spreadsheet_safe
from carenet.core.validation import ascii_digits
from carenet.insights import policies, selectors
from carenet.insights.selectors import Filters, Name
from carenet.network.models import City, Facility, Specialty
from carenet.web.access import staff_required

#: The bars one chart draws (the longest waits, the highest rates …) and the rows one table shows; the CSV has all.
CHART_ROWS = 12
TABLE_ROWS = 40
Cell = str | int | float | None


class NetworkFiguresForm(forms.Form):
    """The dashboard's filters (GET). A preset period (the last 7, 30 or 90 days) or two dates; a city, then one of
    its facilities; a specialty."""

    period = forms.ChoiceField(
        label=gettext_lazy("Period"),
        required=False,
        choices=[
            ("7", gettext_lazy("Last 7 days")),
            ("30", gettext_lazy("Last 30 days")),
            ("90", gettext_lazy("Last 90 days")),
            ("dates", gettext_lazy("The dates below")),
        ],
    )
    first_day = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    last_day = forms.DateField(
        label=gettext_lazy("To (inclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    city = forms.ModelChoiceField(
        label=gettext_lazy("City"), required=False, queryset=City.objects.none(), empty_label=gettext_lazy("All cities")
    )
    facility = forms.ModelChoiceField(
        label=gettext_lazy("Facility"),
        required=False,
        queryset=Facility.objects.none(),
        empty_label=gettext_lazy("All facilities of the city"),
    )
    specialty = forms.ModelChoiceField(
        label=gettext_lazy("Specialty"),
        required=False,
        queryset=Specialty.objects.none(),
        empty_label=gettext_lazy("All specialties"),
    )

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["period"].initial = str(policies.DEFAULT_DAYS)
        cities = City.objects.filter(facilities__kind=Facility.Kind.OWN, facilities__is_active=True)
        self.fields["city"].queryset = cities.distinct().order_by("name")  # type: ignore[attr-defined]
        self.fields["specialty"].queryset = Specialty.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["specialty"].label_from_instance = localized  # type: ignore[attr-defined]
        # A city's facilities only (a network has thousands): listed once a city is chosen.
        raw_city = str(self.data.get("city", "")) if self.is_bound else ""
        if ascii_digits(raw_city) and len(raw_city) < 10:
            self.fields["facility"].queryset = Facility.objects.filter(  # type: ignore[attr-defined]
                city_id=int(raw_city), kind=Facility.Kind.OWN, is_active=True
            ).order_by("name")
        else:
            self.fields["facility"].widget = forms.HiddenInput()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        period = data.get("period") or str(policies.DEFAULT_DAYS)
        if period == "dates":
            first, last = data.get("first_day"), data.get("last_day")
            if first is None or last is None:
                raise forms.ValidationError(_("Give both dates of the period, or choose one of the last days."))
            problem = policies.period_problem(first, last, today=self.today)
            if problem == "order":
                self.add_error("last_day", _("The period ends before it starts."))
            elif problem == "too_long":
                self.add_error(
                    "last_day", _("A period is at most %(days)s days long.") % {"days": policies.MAX_SPAN_DAYS}
                )
            elif problem == "out_of_range":
                self.add_error(
                    "first_day",
                    _("Choose dates from %(years)s years back to %(days)s days ahead.")
                    % {"years": policies.MAX_YEARS_BACK, "days": policies.MAX_DAYS_AHEAD},
                )
            else:
                data["the_period"] = policies.Period(first, last)
        else:
            data["the_period"] = policies.preset_period(int(period), today=self.today)
        facility = data.get("facility")
        if facility is not None and facility.city_id != getattr(data.get("city"), "pk", None):
            self.add_error("facility", _("Choose a facility of the chosen city."))
        return data

    def filters(self) -> Filters:
        """The valid form's filters (call after ``is_valid()``)."""
        data = self.cleaned_data
        return Filters(
            period=data["the_period"],
            city_id=getattr(data.get("city"), "pk", None),
            specialty_id=getattr(data.get("specialty"), "pk", None),
            facility_id=getattr(data.get("facility"), "pk", None),
        )


@dataclass
class Bar:
    label: str
    text: str
    y: int
    width: float
    text_x: float


@dataclass
class Chart:
    title: str
    bars: list[Bar]
    height: int
    width: int = 320
    more: int = 0  # rows not drawn (they are in the table and the CSV)


@dataclass
class Figure:
    key: str
    title: str
    explanation: str
    headers: list[str]
    rows: list[list[Cell]]
    chart: Chart | None = None
    summary: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def shown_rows(self) -> list[list[Cell]]:
        return self.rows[:TABLE_ROWS]

    @property
    def hidden_rows(self) -> int:
        return max(0, len(self.rows) - TABLE_ROWS)


def bar_chart(title: str, bars: Sequence[tuple[str, float | None, str]], *, maximum: float | None = None) -> Chart:
    """A horizontal bar per row — the label above, the bar, its value in words after it (never colour alone) — on a
    320-unit-wide canvas that the page scales to its width."""
    drawn = list(bars[:CHART_ROWS])
    top = maximum if maximum else max([value or 0.0 for _label, value, _text in drawn] + [0.0])
    room = 230.0  # the bar's longest length; the value's text follows it
    result = []
    for index, (label, value, text) in enumerate(drawn):
        width = round(room * (value or 0.0) / top, 1) if top else 0.0
        label = label if len(label) <= 52 else label[:51] + "…"
        result.append(Bar(label=label, text=text, y=index * 38 + 14, width=width, text_x=round(width + 6, 1)))
    return Chart(title=title, bars=result, height=max(len(result), 1) * 38 + 6, more=max(0, len(bars) - CHART_ROWS))


def _place(specialty: Name, city: str | None) -> str:
    return f"{localized(specialty)} · {city if city is not None else _('by phone or video')}"


def _local(value: dt.datetime | None) -> str:
    return clock.local(value).strftime("%Y-%m-%d %H:%M") if value is not None else ""


def _channel(value: str) -> str:
    return str(Channel(value).label) if value in Channel.values else _("not recorded")


def _days(value: float | None) -> str:
    return _("no free slot") if value is None else _("%(days)s days") % {"days": _number(value)}


def _number(value: float | int) -> str:
    # Floats with one decimal at least (a rate of 9.0 reads as in the table), two at most (an average rating).
    text = str(value) if isinstance(value, int) else f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, float) and "." not in text:
        text += ".0"
    return text.replace(".", ",") if (get_language() or "").startswith("pl") else text


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{_number(value)} %"


def compute(key: str, filters: Filters, *, now: dt.datetime) -> Figure:
    """One figure of the dashboard: its selector's rows as a table (and a chart)."""
    if key == "waiting_now":
        waits = selectors.waiting_now(filters=filters, now=now)
        return Figure(
            key,
            _("Waiting time to the first free slot now"),
            _(
                "Days from now to the earliest free slot of each specialty in each city — the wait patients see when "
                "they search. Phone and video slots are one row per specialty for the whole network. Longest first; "
                "the period does not apply."
            ),
            [_("Specialty"), _("City"), _("First free slot"), _("Days to it")],
            [[localized(r.specialty), r.city or _("by phone or video"), _local(r.first_free), r.days] for r in waits],
            bar_chart(
                _("Days to the first free slot"), [(_place(r.specialty, r.city), r.days, _days(r.days)) for r in waits]
            ),
        )
    if key == "waiting_booked":
        booked = selectors.waiting_booked(filters=filters, now=now)
        return Figure(
            key,
            _("Waiting time of the bookings made in the period"),
            _(
                "For the bookings made in the period: the average number of days between making the booking and the "
                "visit, per specialty and city. Longest first."
            ),
            [_("Specialty"), _("City"), _("Bookings made"), _("Average days to the visit")],
            [[localized(r.specialty), r.city or _("by phone or video"), r.bookings, r.average_days] for r in booked],
            bar_chart(
                _("Average days from booking to visit"),
                [(_place(r.specialty, r.city), r.average_days, _days(r.average_days)) for r in booked],
            ),
        )
    if key == "no_shows":
        missed = selectors.no_shows(filters=filters, now=now)
        return Figure(
            key,
            _("No-shows"),
            _(
                "Of the visits in the period that should have happened (their time has come and they were not "
                "cancelled), the share the patient did not come to. Highest first."
            ),
            [_("Specialty"), _("Visits due"), _("No-shows"), _("No-show rate (%)")],
            [[localized(r.specialty), r.due, r.no_shows, r.rate] for r in missed],
            bar_chart(
                _("No-show rate"), [(localized(r.specialty), r.rate, _percent(r.rate)) for r in missed], maximum=100
            ),
        )
    if key == "utilisation":
        used = selectors.utilisation(filters=filters, now=now)
        return Figure(
            key,
            _("Utilisation of schedules"),
            _(
                "Of the slots the schedules offered in the period, the share that is booked (a cancelled booking "
                "frees its slot). Highest first."
            ),
            [_("Specialty"), _("Slots offered"), _("Slots booked"), _("Utilisation (%)")],
            [[localized(r.specialty), r.offered, r.booked, r.rate] for r in used],
            bar_chart(
                _("Utilisation"), [(localized(r.specialty), r.rate, _percent(r.rate)) for r in used], maximum=100
            ),
        )
    if key == "cancellations":
        summary = selectors.cancellations(filters=filters, now=now)
        rows: list[list[Cell]] = [[_("All channels"), summary.cancelled, summary.rate]]
        rows += [[_channel(r.channel), r.cancelled, r.rate] for r in summary.by_channel]
        return Figure(
            key,
            _("Cancellations"),
            _(
                "Of the bookings of the visits in the period, those cancelled, by the channel they were cancelled "
                "through; the share is of all those bookings."
            ),
            [_("Cancelled through"), _("Cancelled"), _("Share of the bookings (%)")],
            rows,
            bar_chart(
                _("Cancellations by channel"),
                [(_channel(r.channel), float(r.cancelled), str(r.cancelled)) for r in summary.by_channel],
            ),
            summary=_("%(cancelled)s of %(bookings)s bookings cancelled (%(rate)s).")
            % {"cancelled": summary.cancelled, "bookings": summary.bookings, "rate": _percent(summary.rate)},
        )
    if key == "ratings":
        rated = selectors.ratings(filters=filters, now=now)
        rating_rows: list[list[Cell]] = [[_("All specialties"), rated.count, rated.average]]
        rating_rows += [[localized(r.specialty), r.count, r.average] for r in rated.by_specialty]
        return Figure(
            key,
            _("Ratings of visits"),
            _("The ratings (1 to 5) patients gave their visits in the period, per specialty. Lowest first."),
            [_("Specialty"), _("Ratings"), _("Average (1–5)")],
            rating_rows,
            bar_chart(
                _("Average rating"),
                [(localized(r.specialty), r.average, _number(r.average)) for r in rated.by_specialty],
                maximum=5,
            ),
        )
    if key == "open_cases":
        cases = selectors.open_cases(filters=filters, today=now.astimezone(clock.WARSAW).date())
        return Figure(
            key,
            _("Open complaints and requests"),
            _(
                "Open now: complaints not yet answered (and those past the date they must be answered by), "
                "pregnancy-care requests waiting for a coordinator, insurance claims waiting for a decision; and how "
                "many were filed in the period. Claims name no place: a city or facility does not narrow them."
            ),
            [_("Cases"), _("Open now"), _("Past the answer date"), _("Filed in the period"), _("Oldest waiting since")],
            [
                [_("Complaints"), cases.complaints_open, cases.complaints_overdue, cases.complaints_filed, ""],
                [
                    _("Pregnancy-care requests"),
                    cases.pregnancy_open,
                    None,
                    cases.pregnancy_filed,
                    _local(cases.pregnancy_oldest),
                ],
                [_("Insurance claims"), cases.claims_waiting, None, cases.claims_filed, _local(cases.claims_oldest)],
            ],
            bar_chart(
                _("Open now"),
                [
                    (_("Complaints"), float(cases.complaints_open), str(cases.complaints_open)),
                    (_("Pregnancy-care requests"), float(cases.pregnancy_open), str(cases.pregnancy_open)),
                    (_("Insurance claims"), float(cases.claims_waiting), str(cases.claims_waiting)),
                ],
            ),
        )
    raise KeyError(key)


FIGURES = ("waiting_now", "waiting_booked", "no_shows", "utilisation", "cancellations", "ratings", "open_cases")


def _form(request: HttpRequest) -> NetworkFiguresForm:
    bound = any(name in request.GET for name in NetworkFiguresForm.base_fields)
    return NetworkFiguresForm(request.GET if bound else None, today=clock.today())


@staff_required(Action.DASHBOARD_VIEW)
@require_GET
def network_figures(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    figures: list[Figure] = []
    filters = None
    counted_at = None  # today's figures read from their roll-up of a few minutes ago (BEY-4, PERF)
    if not form.is_bound or form.is_valid():
        if not form.is_bound:
            filters = Filters(period=policies.preset_period(policies.DEFAULT_DAYS, today=clock.today()))
        else:
            filters = form.filters()
        now = clock.now()
        figures = [compute(key, filters, now=now) for key in FIGURES]
        counted_at = selectors.counted_at(period=filters.period, now=now)
    query = ""
    if form.is_bound and form.is_valid():
        query = urlencode({name: request.GET[name] for name in NetworkFiguresForm.base_fields if name in request.GET})
    return render(
        request,
        "staff/network/figures.html",
        {"form": form, "figures": figures, "filters": filters, "query": query, "counted_at": counted_at},
    )


@staff_required(Action.DASHBOARD_VIEW)
@require_GET
def network_figures_csv(request: HttpRequest) -> HttpResponse:
    """One figure's table as CSV for a spreadsheet: UTF-8 with a byte-order mark, ``;`` between fields, numbers
    without thousands separators (a decimal comma on Polish pages, a point on English ones), the same filters as
    the page (``figure=`` names the table)."""
    key = str(request.GET.get("figure", ""))
    if key not in FIGURES:
        return HttpResponse(
            _("Choose a figure: %(figures)s.") % {"figures": ", ".join(FIGURES)},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    form = _form(request)
    if form.is_bound and not form.is_valid():
        problems = [str(error) for errors in form.errors.values() for error in errors]
        return HttpResponse(" ".join(problems), status=400, content_type="text/plain; charset=utf-8")
    filters = form.filters() if form.is_bound else Filters(
        period=policies.preset_period(policies.DEFAULT_DAYS, today=clock.today())
    )  # fmt: skip
    figure = compute(key, filters, now=clock.now())
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(figure.headers)
    for row in figure.rows:
        writer.writerow(
            [
                "" if cell is None else _number(cell) if isinstance(cell, int | float) else spreadsheet_safe(str(cell))
                for cell in row
            ]
        )
    period = filters.period
    name = f"carenet-{key}-{period.first_day:%Y%m%d}-{period.last_day:%Y%m%d}.csv"
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
