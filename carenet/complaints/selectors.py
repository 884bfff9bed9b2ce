"""Reads of complaints (FBK-2) and claims (FBK-3): a patient's own (and their children's), the staff queues, and
``access_*`` helpers that return a case only to an actor who may see it (404 otherwise). A fixed number of queries
whatever the number of cases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from carenet.accounts.permissions import Action, Actor
from carenet.complaints import policies
from carenet.complaints.models import Claim, ClaimAttachment, Complaint
from carenet.core.errors import NotFound
from carenet.core.validation import text_problem

#: At most this many cases on one page of a list or a queue.
LIST_LIMIT = 100

_COMPLAINT_DETAILS = ("patient", "facility", "appointment", "appointment__service", "appointment__slot")


def complaints_of_patients(*, patient_ids: Collection[int], limit: int = LIST_LIMIT) -> list[Complaint]:
    """The complaints of these patients, latest first (one query)."""
    return list(
        Complaint.objects.filter(patient_id__in=sorted(patient_ids))
        .select_related(*_COMPLAINT_DETAILS)
        .order_by("-filed_at", "-id")[:limit]
    )


def claims_of_patients(*, patient_ids: Collection[int], limit: int = LIST_LIMIT) -> list[Claim]:
    """The claims of these patients, latest first, each with its attachments (two queries)."""
    return list(
        Claim.objects.filter(patient_id__in=sorted(patient_ids))
        .select_related("patient")
        .prefetch_related("attachments")
        .order_by("-filed_at", "-id")[:limit]
    )


def access_complaint(*, actor: Actor, complaint_id: int) -> Complaint:
    """The complaint, if the actor may see it (``COMPLAINT_VIEW``: the patient's own and their children's, the call
    centre, coordinators); 404 ``complaint_not_found`` otherwise."""
    complaint = (
        Complaint.objects.select_related(*_COMPLAINT_DETAILS, "filed_by", "taken_by", "answered_by")
        .filter(pk=complaint_id)
        .first()
    )
    if complaint is None or not actor.reaches(Action.COMPLAINT_VIEW, patient_id=complaint.patient_id):
        raise NotFound(_("No such complaint."), code="complaint_not_found")
    return complaint


def access_claim(*, actor: Actor, claim_id: int) -> Claim:
    """The claim with its attachments, if the actor may see it (``CLAIM_VIEW``); 404 ``claim_not_found``."""
    claim = (
        Claim.objects.select_related("patient", "filed_by", "reviewed_by", "decided_by")
        .prefetch_related("attachments")
        .filter(pk=claim_id)
        .first()
    )
    if claim is None or not actor.reaches(Action.CLAIM_VIEW, patient_id=claim.patient_id):
        raise NotFound(_("No such claim."), code="claim_not_found")
    return claim


def access_claim_attachment(*, actor: Actor, attachment_id: int) -> ClaimAttachment:
    """A claim's document, if the actor may see the claim; 404 ``attachment_not_found``."""
    row = ClaimAttachment.objects.select_related("claim").filter(pk=attachment_id).first()
    if row is None or not actor.reaches(Action.CLAIM_VIEW, patient_id=row.claim.patient_id):
        raise NotFound(_("No such file."), code="attachment_not_found")
    return row


# --- the staff queues -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComplaintRow:
    complaint: Complaint
    urgency: policies.Urgency


OPEN_STATUSES = (Complaint.Status.RECEIVED, Complaint.Status.IN_PROGRESS)


def _search(value: str) -> str:
    """A search text that can reach a query (no NUL or control characters; at most 40 characters)."""
    return "" if text_problem(value) else value.strip()[:40]


def complaint_queue(
    *, status: str = "open", urgency: str = "", search: str = "", today: dt.date, limit: int = LIST_LIMIT
) -> list[ComplaintRow]:
    """FBK-2: the complaints of the network, open ones first — the earliest answer date on top — then the answered
    ones, latest answer first. ``status``: ``open`` (default), ``received``, ``in_progress``, ``answered`` or
    ``all``; ``urgency``: ``overdue`` or ``due_soon`` (open ones only); ``search``: a case number or a patient's
    last name. One query."""
    complaints: QuerySet[Complaint] = Complaint.objects.select_related(*_COMPLAINT_DETAILS, "taken_by")
    if status == "open":
        complaints = complaints.filter(status__in=OPEN_STATUSES)
    elif status in Complaint.Status.values:
        complaints = complaints.filter(status=status)
    if urgency == policies.Urgency.OVERDUE:
        complaints = complaints.filter(status__in=OPEN_STATUSES, answer_due_on__lt=today)
    elif urgency == policies.Urgency.DUE_SOON:
        complaints = complaints.filter(
            status__in=OPEN_STATUSES,
            answer_due_on__gte=today,
            answer_due_on__lte=today + dt.timedelta(days=policies.DUE_SOON_DAYS),
        )
    text = _search(search)
    if text:
        complaints = complaints.filter(Q(case_number__icontains=text) | Q(patient__last_name__icontains=text))
    ordered = complaints.annotate(
        answered_last=Case(
            When(status=Complaint.Status.ANSWERED, then=Value(1)), default=Value(0), output_field=IntegerField()
        ),
    ).order_by("answered_last", "answer_due_on", "filed_at", "id")
    return [
        ComplaintRow(
            complaint=complaint,
            urgency=policies.urgency(
                answered=complaint.status == Complaint.Status.ANSWERED, due_on=complaint.answer_due_on, today=today
            ),
        )
        for complaint in ordered[:limit]
    ]


def complaint_open_counts(*, today: dt.date) -> dict[str, int]:
    """How many complaints are open, and of them overdue (one query each)."""
    open_ = Complaint.objects.filter(status__in=OPEN_STATUSES)
    return {"open": open_.count(), "overdue": open_.filter(answer_due_on__lt=today).count()}


CLAIM_OPEN_STATUSES = (Claim.Status.SUBMITTED, Claim.Status.UNDER_REVIEW)


def claim_queue(*, status: str = "open", search: str = "", limit: int = LIST_LIMIT) -> list[Claim]:
    """FBK-3: the claims of the network, undecided first (the longest waiting on top), then the decided ones, latest
    decision first. ``status``: ``open`` (default), a status value or ``all``. Two queries."""
    claims: QuerySet[Claim] = Claim.objects.select_related("patient", "reviewed_by").prefetch_related("attachments")
    if status == "open":
        claims = claims.filter(status__in=CLAIM_OPEN_STATUSES)
    elif status in Claim.Status.values:
        claims = claims.filter(status=status)
    text = _search(search)
    if text:
        claims = claims.filter(Q(case_number__icontains=text) | Q(patient__last_name__icontains=text))
    ordered = claims.annotate(
        decided_last=Case(
            When(status__in=CLAIM_OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField()
        ),
    ).order_by("decided_last", "filed_at", "id")
    return list(ordered[:limit])
