"""The clinician's results (CLN-3, CLN-6): "Wyniki" — the results of the exams they ordered, newest first, those
with a value out of range marked — one result with its values and PDF report, and the recent results on a visit
page. Who sees what is :mod:`carenet.results.selectors` (a patient with a visit with the clinician, never a
partner facility's result unless the clinician ordered it); every read is recorded."""

from __future__ import annotations

from typing import cast

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from carenet.accounts.permissions import Action
from carenet.core.errors import NotFound
from carenet.results import selectors
from carenet.results.models import Result
from carenet.results.presentation import marked
from carenet.web.access import request_actor, staff_required
from carenet.web.downloads import download_name, private_file_response
from carenet.web.reads import What, record_reads

RESULTS_PER_PAGE = 25
#: How many of the patient's results a visit page shows.
RESULTS_ON_VISIT = 10


def _access(request: HttpRequest, result_id: int) -> Result:
    try:
        return selectors.access_result(actor=request_actor(request), result_id=result_id)
    except NotFound as error:
        raise Http404 from error


@require_GET
@staff_required(Action.RESULT_VIEW)
def results(request: HttpRequest) -> HttpResponse:
    """ "Wyniki": the results of the exams the clinician ordered, newest first, a page at a time."""
    found = selectors.result_list_ordered_by(actor=request_actor(request))
    page = Paginator(found, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    record_reads(request, patient_ids=[result.patient_id for result in page.object_list], what=What.RESULTS)
    return render(request, "staff/results/list.html", {"page": page})


@require_GET
@staff_required(Action.RESULT_VIEW)
def result(request: HttpRequest, result_id: int) -> HttpResponse:
    """One result: the patient, every value with its range and mark, the report and the PDF."""
    found = _access(request, result_id)
    rows = marked(found.observation_rows)  # type: ignore[attr-defined]
    record_reads(request, patient_ids=[found.patient_id], what=What.RESULTS, reference=found.pk)
    context = {
        "result": found,
        "rows": [(row, False) for row in rows],
        "out_of_range": sum(1 for row in rows if row.mark.out_of_range),
    }
    return render(request, "staff/results/result.html", context)


@require_GET
@staff_required(Action.RESULT_VIEW)
def result_pdf(request: HttpRequest, result_id: int) -> HttpResponse:
    """The result's PDF report as a download; 404 when it has none."""
    found = _access(request, result_id)
    if not found.pdf:
        raise Http404
    record_reads(request, patient_ids=[found.patient_id], what=What.RESULTS, reference=f"pdf {found.pk}")
    name = download_name(f"{found.reported_at:%Y-%m-%d} {found.name}", default="wynik")
    # A streamed file: the access decorators are typed for plain responses.
    return cast(HttpResponse, private_file_response(found.pdf, filename=f"{name}.pdf", content_type="application/pdf"))


def recent_results_for_visit(request: HttpRequest, *, patient_id: int) -> list[Result]:
    """The visit page's "Results" section: the patient's latest results the clinician may read (CLN-6: none made
    at a partner facility unless they ordered it); the read is recorded when there is something to show."""
    found = list(selectors.result_list(actor=request_actor(request), patient_ids=[patient_id])[:RESULTS_ON_VISIT])
    if found:
        record_reads(request, patient_ids=[patient_id], what=What.RESULTS, reference="visit")
    return found
