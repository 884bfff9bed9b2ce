"""The patient's results in the portal, "Wyniki" (CLN-3, CLN-6, ACC-4): laboratory results and imaging reports of
the patient and of the children they act for, newest first; one result with every value, its reference range and
a clear out-of-range mark; the PDF report to download; one analyte's values over time as a small chart with a table.

Level II (a level I account gets the explanation of how to confirm its identity, never the data). Results done at
a partner facility are the patient's own and are shown to them (CLN-6 hides them from network clinicians only).
Every page records the read of the person whose results it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from carenet.accounts import selectors as account_selectors
from carenet.accounts.models import Patient
from carenet.accounts.policies import Feature
from carenet.core import clock
from carenet.core.errors import NotFound
from carenet.results import selectors
from carenet.results.models import Observation, Result
from carenet.results.presentation import ChartValue, history_chart, mark_of, marked
from carenet.web.access import level_two_required, request_actor
from carenet.web.downloads import download_name, private_file_response
from carenet.web.reads import What, record_reads

RESULTS_PER_PAGE = 20


def _family_and_whose(request: HttpRequest) -> tuple[list[Patient], Patient]:
    """The patient and the children they act for, and whose results to show (``?who=``; the patient by default,
    and the patient too for an id that is not one of the family — nobody else's results are ever read)."""
    me: Patient = request.patient  # type: ignore[attr-defined]
    family = account_selectors.patients_acting_for(patient=me, today=clock.today())
    whose = next((person for person in family if str(person.pk) == request.GET.get("who")), me)
    return family, whose


def _access(request: HttpRequest, result_id: int) -> Result:
    try:
        return selectors.access_result(actor=request_actor(request), result_id=result_id)
    except NotFound as error:
        raise Http404 from error


def analyte_url_code(code: str) -> bool:
    """Whether an analyte's code can name its history page (a code with a slash cannot be one path part)."""
    return bool(code) and "/" not in code


@require_GET
@level_two_required(Feature.TEST_RESULTS)
def results(request: HttpRequest) -> HttpResponse:
    """ "Wyniki" (CLN-3): the chosen person's results, newest first, a page at a time; a result with a value out of
    range says so in words."""
    family, whose = _family_and_whose(request)
    found = selectors.result_list(actor=request_actor(request), patient_ids=[whose.pk])
    page = Paginator(found, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    record_reads(request, patient_ids=[whose.pk], what=What.RESULTS)
    return render(request, "portal/results/list.html", {"family": family, "whose": whose, "page": page})


@require_GET
@level_two_required(Feature.TEST_RESULTS)
def result(request: HttpRequest, result_id: int) -> HttpResponse:
    """One result: every value with its unit, reference range and mark (↑ above, ↓ below the range, in words
    too), an imaging report's text, the PDF report, and for each measured value a link to its history."""
    found = _access(request, result_id)
    rows = marked(found.observation_rows)  # type: ignore[attr-defined]
    record_reads(request, patient_ids=[found.patient_id], what=What.RESULTS, reference=found.pk)
    context: dict[str, Any] = {
        "result": found,
        "rows": [(row, analyte_url_code(row.observation.code)) for row in rows],  # type: ignore[attr-defined]
        "out_of_range": sum(1 for row in rows if row.mark.out_of_range),
    }
    return render(request, "portal/results/result.html", context)


@require_GET
@level_two_required(Feature.TEST_RESULTS)
def result_pdf(request: HttpRequest, result_id: int) -> HttpResponse:
    """The result's PDF report as a download (never shown in the browser); 404 when the result has none."""
    found = _access(request, result_id)
    if not found.pdf:
        raise Http404
    record_reads(request, patient_ids=[found.patient_id], what=What.RESULTS, reference=f"pdf {found.pk}")
    name = download_name(f"{found.reported_at:%Y-%m-%d} {found.name}", default="wynik")
    # A streamed file: the access decorators are typed for plain responses.
    return cast(HttpResponse, private_file_response(found.pdf, filename=f"{name}.pdf", content_type="application/pdf"))


@dataclass(frozen=True, slots=True)
class HistoryRow:
    observation: Observation
    mark: Any
    at: Any
    charted: bool


@require_GET
@level_two_required(Feature.TEST_RESULTS)
def analyte_history(request: HttpRequest, code: str) -> HttpResponse:
    """One analyte's values over time for the chosen person (``?who=``): a chart of the numeric values in the unit
    of the latest one with the reference range shaded and the values out of range marked, and the table of every
    value (the table is the accessible version). 404 when the person has no value of this code."""
    family, whose = _family_and_whose(request)
    observations = selectors.analyte_history(actor=request_actor(request), patient_id=whose.pk, code=code)
    if not observations:
        raise Http404
    latest = observations[-1]
    numeric = [observation for observation in observations if observation.numeric_value is not None]
    unit = numeric[-1].unit if numeric else ""
    rows = []
    for observation in observations:
        charted = observation.numeric_value is not None and observation.unit == unit
        rows.append(
            HistoryRow(
                observation=observation,
                mark=mark_of(observation),
                at=selectors.observation_time(observation),
                charted=charted,
            )
        )
    reference = numeric[-1] if numeric else latest
    chart = history_chart(
        [
            ChartValue(at=row.at, value=row.observation.numeric_value, mark=row.mark)  # type: ignore[arg-type]
            for row in rows
            if row.charted
        ],
        low=reference.range_low,
        high=reference.range_high,
    )
    record_reads(request, patient_ids=[whose.pk], what=What.RESULTS, reference=f"history {code}")
    context = {
        "family": family,
        "whose": whose,
        "code": code,
        "name": latest.name,
        "unit": unit,
        "reference": reference,
        "rows": list(reversed(rows)),  # the table: newest first, like the results
        "chart": chart,
        "charted_count": sum(1 for row in rows if row.charted),
        "out_of_range_count": sum(1 for row in rows if row.charted and row.mark.out_of_range),
        "not_charted": any(not row.charted for row in rows),
        "title": _("History: %(name)s") % {"name": latest.name},
    }
    return render(request, "portal/results/history.html", context)
