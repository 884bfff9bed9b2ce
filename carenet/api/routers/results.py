"""``/results``: laboratory results and imaging reports for the mobile app and the clinician (CLN-3, CLN-6, ACC-4,
ACC-7) — the list (newest first, a page at a time), one result with its observations, its PDF report, and one
analyte's values over time.

A patient reads their own results and their children's (``patient_id`` picks one of them; anyone else's answers
404, as a patient that does not exist); it is level II (403 ``level_two_required``) and needs an active package
(403 ``package_inactive``, ACC-7). A clinician reads the results they ordered and those of a patient they have a
visit with, never those performed at a partner facility unless they ordered them (CLN-6). Other roles answer 403
``role_not_allowed``. Every answer with a patient's results records the read.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from carenet.accounts.models import User
from carenet.accounts.permissions import Action, Actor, Scope
from carenet.accounts.policies import Feature
from carenet.accounts.selectors import patient_feature_check
from carenet.api.access import request_actor, role_not_allowed
from carenet.api.auth import USER_AUTH
from carenet.api.schemas import ErrorOut, InvalidInputOut, Out
from carenet.core.errors import NotFound, ValidationFailed
from carenet.core.validation import DbId, db_id_valid
from carenet.results import selectors
from carenet.results.models import Observation, Result
from carenet.results.presentation import mark_of
from carenet.web.downloads import download_name, private_file_response
from carenet.web.reads import What, record_reads

router = Router(tags=["results"], auth=USER_AUTH)

READ_ERRORS: dict[int, type] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: InvalidInputOut}
MAX_PAGE_SIZE = 50
MAX_PAGE = 1000

_MARK_DESCRIPTION = (
    "Against the reference range: normal, high, low, abnormal (out of range without a direction) or unknown (no "
    "range and no flag). The laboratory's flag decides when it sends one; otherwise the value and the limits."
)


class ResultListIn(Schema):
    patient_id: DbId | None = Field(
        None,
        description="Default: the caller and their children (a patient) or the results the caller ordered (a "
        "clinician). A patient may name one of their family; a clinician a patient they have a visit with.",
    )
    page: int = Field(1, ge=1, le=MAX_PAGE, description=f"1 to {MAX_PAGE}.")
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE, description=f"1 to {MAX_PAGE_SIZE}.")


class HistoryIn(Schema):
    patient_id: DbId | None = Field(
        None, description="Whose values: default the calling patient; a clinician must name the patient."
    )


class ResultOut(Out):
    id: int
    patient_id: int
    patient_name: str
    kind: str = Field(..., description="lab or imaging.")
    code: str = Field("", description="The exam's code as the laboratory sent it.")
    name: str
    status: str = Field(..., description="P preliminary, F final, C corrected.")
    collected_at: dt.datetime | None = None
    reported_at: dt.datetime
    facility_id: int | None = Field(None, description="The network or partner facility that performed it.")
    facility_name: str | None = None
    performed_by: str = Field("", description="The laboratory as it names itself.")
    ordered_by_clinician_id: int | None = None
    any_out_of_range: bool = Field(..., description="Whether one of its values is out of the reference range.")
    has_pdf: bool = Field(..., description="Whether GET /results/{id}/pdf has a report to download.")


class ObservationOut(Out):
    id: int
    sequence: int
    code: str
    coding_system: str = Field("", description="LN for LOINC, or the laboratory's own.")
    name: str
    value: str = Field(..., description="The value as the laboratory wrote it.")
    numeric_value: Decimal | None = Field(None, description="The value as a number, when it is one.")
    unit: str = ""
    reference_range: str = ""
    range_low: Decimal | None = None
    range_high: Decimal | None = None
    abnormal_flag: str = Field("", description="OBX-8 as sent (H, L, HH, LL, A, N …).")
    mark: str = Field(..., description=_MARK_DESCRIPTION)
    observed_at: dt.datetime | None = None


class ResultDetailOut(ResultOut):
    report_text: str = Field("", description="An imaging report's text, or the laboratory's comment.")
    observations: list[ObservationOut]


class ResultPageOut(Out):
    results: list[ResultOut]
    page: int
    page_size: int
    has_next: bool


class HistoryValueOut(Out):
    result_id: int
    at: dt.datetime = Field(..., description="When the value was taken (else the sample's collection, the report).")
    value: str
    numeric_value: Decimal | None = None
    unit: str = ""
    reference_range: str = ""
    range_low: Decimal | None = None
    range_high: Decimal | None = None
    mark: str = Field(..., description=_MARK_DESCRIPTION)


class HistoryOut(Out):
    patient_id: int
    code: str
    name: str = Field(..., description="The analyte's name in its latest value.")
    values: list[HistoryValueOut] = Field(..., description="Oldest first (at most the latest 200).")


def _not_found_patient() -> NotFound:
    return NotFound(_("No such patient."), code="patient_not_found")


def _reader(request: HttpRequest) -> tuple[User, Actor, Scope]:
    user, actor = request_actor(request)  # ACC-7: 403 package_inactive
    scope = actor.scope(Action.RESULT_VIEW)
    if scope is None:
        raise role_not_allowed()
    return user, actor, scope


def _whose(user: User, actor: Actor, scope: Scope, patient_id: int | None) -> list[int] | None:
    """The patients whose results to list (``None``: a clinician's own orders); 404 for anyone the caller may not
    read, level II checked after access (someone else's is 404, not 403)."""
    if scope is Scope.OWN:
        if patient_id is not None and patient_id not in actor.family_ids:
            raise _not_found_patient()
        patient_feature_check(user=user, feature=Feature.TEST_RESULTS)  # ACC-4
        return [patient_id] if patient_id is not None else sorted(actor.family_ids)
    if patient_id is None:
        return None
    if not selectors.patient_has_visible_results(actor=actor, patient_id=patient_id):
        raise _not_found_patient()
    return [patient_id]


def result_out(result: Result) -> ResultOut:
    facility = result.facility
    return ResultOut(
        id=result.pk,
        patient_id=result.patient_id,
        patient_name=result.patient.full_name,
        kind=result.kind,
        code=result.code,
        name=result.name,
        status=result.status,
        collected_at=result.collected_at,
        reported_at=result.reported_at,
        facility_id=facility.pk if facility is not None else None,
        facility_name=facility.name if facility is not None else None,
        performed_by=result.performed_by,
        ordered_by_clinician_id=result.ordered_by_id,
        any_out_of_range=bool(getattr(result, "any_out_of_range", False)),
        has_pdf=bool(result.pdf),
    )


def _plain(number: Decimal | None) -> Decimal | None:
    """A stored decimal as the laboratory wrote it: ``10.100000`` is ``10.1``, ``100`` stays ``100``."""
    return None if number is None else Decimal(f"{number.normalize():f}")


def observation_out(observation: Observation) -> ObservationOut:
    return ObservationOut(
        id=observation.pk,
        sequence=observation.sequence,
        code=observation.code,
        coding_system=observation.coding_system,
        name=observation.name,
        value=observation.value,
        numeric_value=_plain(observation.numeric_value),
        unit=observation.unit,
        reference_range=observation.reference_range,
        range_low=_plain(observation.range_low),
        range_high=_plain(observation.range_high),
        abnormal_flag=observation.abnormal_flag,
        mark=mark_of(observation),
        observed_at=observation.observed_at,
    )


def _access(request: HttpRequest, result_id: int) -> Result:
    user, actor, scope = _reader(request)
    found = selectors.access_result(actor=actor, result_id=result_id)  # 404 result_not_found
    if scope is Scope.OWN:
        patient_feature_check(user=user, feature=Feature.TEST_RESULTS)  # ACC-4, after access
    return found


@router.get("/results", response={200: ResultPageOut, **READ_ERRORS}, summary="List results")
def result_list(request: HttpRequest, filters: Query[ResultListIn]) -> ResultPageOut:
    """CLN-3: laboratory results and imaging reports, newest first, each saying whether a value is out of range.
    Errors: 403 `level_two_required`, `package_inactive`, `role_not_allowed`; 404 `patient_not_found`."""
    user, actor, scope = _reader(request)
    patient_ids = _whose(user, actor, scope, filters.patient_id)
    if patient_ids is None:
        found_all = selectors.result_list_ordered_by(actor=actor)
    else:
        found_all = selectors.result_list(actor=actor, patient_ids=patient_ids)
    start = (filters.page - 1) * filters.page_size
    found = list(found_all[start : start + filters.page_size + 1])
    has_next = len(found) > filters.page_size
    found = found[: filters.page_size]
    shown = patient_ids if patient_ids is not None else sorted({result.patient_id for result in found})
    record_reads(request, patient_ids=shown, what=What.RESULTS)
    return ResultPageOut(
        results=[result_out(result) for result in found],
        page=filters.page,
        page_size=filters.page_size,
        has_next=has_next,
    )


@router.get(
    "/results/{int:result_id}", response={200: ResultDetailOut, **READ_ERRORS}, summary="One result with its values"
)
def result_detail(request: HttpRequest, result_id: int) -> ResultDetailOut:
    """CLN-3: one result with every observation (value, unit, reference range, flag and mark) and an imaging
    report's text. Errors: 403 as for `/results`; 404 `result_not_found` (also another family's result)."""
    found = _access(request, result_id)
    record_reads(request, patient_ids=[found.patient_id], what=What.RESULTS, reference=found.pk)
    base = result_out(found)
    return ResultDetailOut(
        **base.model_dump(),
        report_text=found.report_text,
        observations=[observation_out(observation) for observation in found.observation_rows],  # type: ignore[attr-defined]
    )


@router.get(
    "/results/{int:result_id}/pdf",
    response={200: None, **READ_ERRORS},
    summary="A result's PDF report",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The PDF report, as an attachment.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def result_pdf(request: HttpRequest, result_id: int) -> HttpResponseBase:
    """CLN-3: the result's PDF report as a download (`Content-Disposition: attachment`, `nosniff`, not cached).
    Errors: 403 as for `/results`; 404 `result_not_found`, `pdf_not_found` (the result has no report)."""
    found = _access(request, result_id)
    missing = NotFound(_("This result has no PDF report."), code="pdf_not_found")
    if not found.pdf:
        raise missing
    name = download_name(f"{found.reported_at:%Y-%m-%d} {found.name}", default="wynik")
    response = private_file_response(found.pdf, filename=f"{name}.pdf", content_type="application/pdf")
    if response.status_code == 404:  # the stored file is gone
        raise missing
    record_reads(request, patient_ids=[found.patient_id], what=What.RESULTS, reference=f"pdf {found.pk}")
    return response


@router.get(
    "/results/analytes/{code}/history",
    response={200: HistoryOut, **READ_ERRORS},
    summary="One analyte's values over time",
)
def analyte_history(request: HttpRequest, code: str, query: Query[HistoryIn]) -> HistoryOut:
    """CLN-3: the values of one analyte (observations with this `code`, e.g. the LOINC code `718-7`) for one
    patient, oldest first, from the results the caller may read. Errors: 403 as for `/results`; 404
    `patient_not_found`, `analyte_not_found` (no value of this code); 422 `patient_id_required` (a clinician)."""
    user, actor, scope = _reader(request)
    patient_id = query.patient_id
    if patient_id is None:
        if scope is not Scope.OWN or actor.patient_id is None:
            raise ValidationFailed(_("Name the patient (patient_id)."), code="patient_id_required")
        patient_id = actor.patient_id
    if not db_id_valid(patient_id):
        raise _not_found_patient()
    _whose(user, actor, scope, patient_id)
    observations = selectors.analyte_history(actor=actor, patient_id=patient_id, code=code)
    if not observations:
        raise NotFound(_("No value of this test."), code="analyte_not_found")
    record_reads(request, patient_ids=[patient_id], what=What.RESULTS, reference=f"history {code}")
    return HistoryOut(
        patient_id=patient_id,
        code=code,
        name=observations[-1].name,
        values=[
            HistoryValueOut(
                result_id=observation.result_id,
                at=selectors.observation_time(observation),
                value=observation.value,
                numeric_value=_plain(observation.numeric_value),
                unit=observation.unit,
                reference_range=observation.reference_range,
                range_low=_plain(observation.range_low),
                range_high=_plain(observation.range_high),
                mark=mark_of(observation),
            )
            for observation in observations
        ],
    )
