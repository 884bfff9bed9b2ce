"""Reads of Ask the doctor (CLN-4): the patient's visits to ask about and their questions; the clinician's inbox.

Every read goes through the patient ids the caller's actor may see (``Actor.family_ids``) or the clinician's own
inbox; a fixed number of queries whatever the number of questions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet

from carenet.booking.models import Appointment
from carenet.network.models import Clinician
from carenet.questions import policies
from carenet.questions.models import Question

#: At most this many visits (and inbox questions) on one page.
LIST_LIMIT = 50

_VISIT_DETAILS = ("patient", "service", "slot", "slot__clinician", "slot__facility", "slot__specialty")


@dataclass
class VisitQuestions:
    """One completed visit with its questions (latest first) and whether a new question may be asked now."""

    visit: Appointment
    questions: list[Question] = field(default_factory=list)
    ask_until: dt.datetime | None = None
    can_ask: bool = False

    @property
    def open_question(self) -> Question | None:
        return next((question for question in self.questions if question.status == Question.Status.OPEN), None)


def visits_to_ask_about(*, patient_ids: Collection[int], now: dt.datetime) -> list[VisitQuestions]:
    """The completed visits of these patients that may still be asked about, and the earlier ones that have
    questions, latest first, each with its questions. Three queries."""
    cutoff = now - dt.timedelta(days=policies.ASK_WINDOW_DAYS)
    visits = (
        Appointment.objects.filter(patient_id__in=sorted(patient_ids), status=Appointment.Status.COMPLETED)
        .filter(Q(slot__ends_at__gte=cutoff) | Q(pk__in=_asked_visits(patient_ids)))
        .select_related(*_VISIT_DETAILS)
        .prefetch_related(
            Prefetch(
                "questions",
                queryset=Question.objects.select_related("answered_by").order_by("-asked_at", "-id"),
            )
        )
        .order_by("-slot__starts_at", "-id")[:LIST_LIMIT]
    )
    rows = []
    for visit in visits:
        questions = list(visit.questions.all())
        refusal = policies.ask_refusal(visit_status=visit.status, visit_ended_at=visit.slot.ends_at, now=now)
        row = VisitQuestions(visit=visit, questions=questions, ask_until=policies.ask_until(visit.slot.ends_at))
        row.can_ask = refusal is None and row.open_question is None
        rows.append(row)
    return rows


def _asked_visits(patient_ids: Collection[int]) -> QuerySet[Question, int]:
    return Question.objects.filter(patient_id__in=sorted(patient_ids)).values_list("appointment_id", flat=True)


def questions_of_patients(*, patient_ids: Collection[int], limit: int = LIST_LIMIT) -> list[Question]:
    """The questions of these patients, latest first, with their visit (two queries)."""
    return list(
        Question.objects.filter(patient_id__in=sorted(patient_ids))
        .select_related("appointment", "appointment__service", "appointment__slot", "clinician", "answered_by")
        .order_by("-asked_at", "-id")[:limit]
    )


def inbox_q(*, clinician_id: int) -> Q:
    """CLN-4: the questions in a clinician's inbox — about their own visits, and the routed questions of their
    specialties at their facilities (a teleconsultation's: anywhere in the network)."""
    specialties = Clinician.specialties.through.objects.filter(clinician_id=clinician_id).values("specialty_id")
    facilities = Clinician.facilities.through.objects.filter(clinician_id=clinician_id).values("facility_id")
    routed = Q(routed_at__isnull=False, specialty_id__in=specialties) & (
        Q(facility__isnull=True) | Q(facility_id__in=facilities)
    )
    return Q(clinician_id=clinician_id) | routed


def inbox(*, clinician_id: int, answered: bool, limit: int = LIST_LIMIT) -> list[Question]:
    """The clinician's open questions, oldest first (the longest waiting on top), or the answered ones, latest
    answer first; each with its visit and patient (one query)."""
    questions = Question.objects.filter(inbox_q(clinician_id=clinician_id)).select_related(
        "patient",
        "appointment",
        "appointment__service",
        "appointment__slot",
        "clinician",
        "answered_by",
    )
    if answered:
        questions = questions.filter(status=Question.Status.ANSWERED).order_by("-answered_at", "-id")
    else:
        questions = questions.filter(status=Question.Status.OPEN).order_by("asked_at", "id")
    return list(questions[:limit])


def inbox_has(*, clinician_id: int, question_id: int) -> bool:
    """Whether the question is in the clinician's inbox (open or answered)."""
    return Question.objects.filter(inbox_q(clinician_id=clinician_id), pk=question_id).exists()


def inbox_open_count(*, clinician_id: int) -> int:
    return Question.objects.filter(inbox_q(clinician_id=clinician_id), status=Question.Status.OPEN).count()
