"""Reads of results (CLN-3, CLN-6): who sees which result, lists, one result with its observations, one analyte's
history.

Who sees a result is the permission table's ``RESULT_VIEW``:

* a patient — their own and their children's (under 18); every result, wherever it was done;
* a clinician — the results they ordered (``Result.ordered_by``), and those of a patient they have a visit with
  (CLN-6) except results performed at a partner facility: a network clinician does not see a partner's
  documentation. The clinician who ordered an exam sees its result even when a partner performed it — it answers
  their own order, as the visit's own clinician sees what was issued during it;
* anyone else — none (the desk hands results over and the back office reviews messages through their own actions).

Anyone outside gets :class:`NotFound`, never a hint that the result exists. Lists are flat in queries: a page of
results is one query (whether any value is out of range is a subquery), one result's observations one more.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from carenet.accounts.permissions import Action, Actor, Scope
from carenet.booking.selectors import clinician_related_to, related_patients_q
from carenet.core.errors import NotFound
from carenet.core.validation import db_id_valid
from carenet.results.models import Observation, Result
from carenet.results.presentation import DECIDING_FLAGS, OUT_OF_RANGE_FLAGS

_PARTNER = "partner"  # network.Facility.Kind.PARTNER
_LIST_RELATED = ("patient", "facility", "ordered_by")
_CODE_LENGTH = Observation._meta.get_field("code").max_length or 40


def result_not_found() -> NotFound:
    return NotFound(_("No such result."), code="result_not_found")


def _any_case(flags: frozenset[str]) -> list[str]:
    return sorted(flags | {flag.lower() for flag in flags})


def _out_of_range_q(prefix: str = "") -> Q:
    """An observation out of its range: the laboratory's flag says so, or (without a deciding flag) the value lies
    outside the limits — the same rule as :func:`carenet.results.presentation.observation_mark`."""
    flagged = Q(**{f"{prefix}abnormal_flag__in": _any_case(OUT_OF_RANGE_FLAGS)})
    undecided = ~Q(**{f"{prefix}abnormal_flag__in": _any_case(DECIDING_FLAGS)}) & Q(
        **{f"{prefix}numeric_value__isnull": False}
    )
    outside = Q(**{f"{prefix}range_high__isnull": False, f"{prefix}numeric_value__gt": F(f"{prefix}range_high")}) | Q(
        **{f"{prefix}range_low__isnull": False, f"{prefix}numeric_value__lt": F(f"{prefix}range_low")}
    )
    return flagged | (undecided & outside)


def _with_out_of_range(results: QuerySet[Result]) -> QuerySet[Result]:
    """Each result with ``any_out_of_range``: whether one of its values is out of range (a subquery, no extra
    query per result)."""
    out = Observation.objects.filter(_out_of_range_q(), result=OuterRef("pk"))
    return results.annotate(any_out_of_range=Exists(out))


def visible_q(actor: Actor) -> Q | None:
    """The results ``actor`` may read as a condition, or ``None`` when none (see the module docstring)."""
    scope = actor.scope(Action.RESULT_VIEW)
    if scope is None:
        return None
    if scope is Scope.ANY:
        return Q()
    if scope is Scope.OWN:
        return Q(patient_id__in=sorted(actor.family_ids))
    if scope is Scope.RELATED:
        assert actor.clinician_id is not None  # Actor.can() guarantees it for RELATED
        related = related_patients_q(clinician_id=actor.clinician_id, prefix="patient__") & ~Q(facility__kind=_PARTNER)
        return Q(ordered_by_id=actor.clinician_id) | related
    return None  # FACILITY: no role reads results by facility


def results_visible_to(actor: Actor) -> QuerySet[Result]:
    condition = visible_q(actor)
    return Result.objects.none() if condition is None else Result.objects.filter(condition)


def result_list(*, actor: Actor, patient_ids: list[int] | None = None) -> QuerySet[Result]:
    """The results ``actor`` may read — of ``patient_ids`` when given — newest first (by the report's time), each
    with its patient, facility, who ordered it and ``any_out_of_range``."""
    results = results_visible_to(actor)
    if patient_ids is not None:
        results = results.filter(patient_id__in=patient_ids)
    return _with_out_of_range(results.select_related(*_LIST_RELATED)).order_by("-reported_at", "-id")


def result_list_ordered_by(*, actor: Actor) -> QuerySet[Result]:
    """The clinician's "Wyniki": the results of the exams they ordered, newest first."""
    if actor.clinician_id is None or actor.scope(Action.RESULT_VIEW) is None:
        return Result.objects.none()
    return result_list(actor=actor).filter(ordered_by_id=actor.clinician_id)


def access_result(*, actor: Actor, result_id: int) -> Result:
    """The result if ``actor`` may read it, with its observations (in order) attached; otherwise
    :class:`NotFound`, as for a result that does not exist (an id out of the database's range included)."""
    if not db_id_valid(result_id):
        raise result_not_found()
    result = result_list(actor=actor).filter(pk=result_id).first()
    if result is None:
        raise result_not_found()
    result.observation_rows = list(result.observations.order_by("sequence", "id"))  # type: ignore[attr-defined]
    return result


def patient_has_visible_results(*, actor: Actor, patient_id: int) -> bool:
    """Whether ``actor`` may read this patient's results at all: their family, a clinician with a visit with them
    (CLN-6), or the clinician who ordered one of them."""
    scope = actor.scope(Action.RESULT_VIEW)
    if scope is Scope.OWN:
        return patient_id in actor.family_ids
    if scope is Scope.RELATED and actor.clinician_id is not None:
        return (
            clinician_related_to(clinician_id=actor.clinician_id, patient_id=patient_id)
            or Result.objects.filter(patient_id=patient_id, ordered_by_id=actor.clinician_id).exists()
        )
    return scope is Scope.ANY


def analyte_history(*, actor: Actor, patient_id: int, code: str, limit: int = 200) -> list[Observation]:
    """One analyte's values (observations with this ``code``) for one patient, oldest first, each with its
    result — only from results ``actor`` may read. One query; the latest ``limit`` values."""
    condition = visible_q(actor)
    if condition is None or not code or len(code) > _CODE_LENGTH or "\x00" in code:
        return []  # no code is longer than the column, and PostgreSQL refuses a NUL: nothing to find
    results = Result.objects.filter(condition, patient_id=patient_id).values("pk")
    found = (
        Observation.objects.filter(code=code, result_id__in=results)
        .select_related("result", "result__facility")
        .order_by("-result__reported_at", "-result_id", "-sequence")[:limit]
    )
    return list(reversed(found))


def observation_time(observation: Observation) -> dt.datetime:
    """When a value was taken: the observation's own time, else the sample's collection, else the report."""
    result = observation.result
    return observation.observed_at or result.collected_at or result.reported_at
