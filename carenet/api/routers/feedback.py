"""``/ratings``, ``/help``: feedback (FBK-1) and urgent help (FBK-4) for the mobile app.

* ``GET /help`` — public: the urgent-help line (24/7), the call centre's number and hours, and 112.
* ``/ratings/visits`` — "Oceń wizytę": the visits of the caller and of the children they act for that may be rated
  now, and rating one (1–5, an optional comment, once, for 7 days after it). Patients only (others: 403
  ``role_not_allowed``), level II (403 ``level_two_required``: a past visit is history). A visit of someone else
  answers 404 ``visit_not_found``, as one that does not exist, and stores nothing.
* ``/ratings/network`` — "Oceń nas": whether the caller may rate the network now, and rating it (once in
  ``CARENET_RATE_US_DAYS`` days: 409 ``rating_too_soon`` sooner).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from carenet.accounts.models import User
from carenet.accounts.permissions import Action, Actor
from carenet.accounts.policies import Feature
from carenet.accounts.selectors import patient_feature_check
from carenet.api.access import request_actor
from carenet.api.auth import USER_AUTH
from carenet.api.idempotency import Answer, idempotent
from carenet.api.routers.appointments import IDEMPOTENCY_KEY
from carenet.api.routers.slots import clinician_out
from carenet.api.schemas import ClinicianOut, ErrorOut, InvalidInputOut, Out, ServiceOut
from carenet.core import clock
from carenet.core.errors import PermissionDenied
from carenet.core.validation import DbId, Text
from carenet.feedback import policies, selectors, services
from carenet.feedback.models import NetworkRating, VisitRating
from carenet.web.reads import What, record_reads

router = Router(tags=["feedback"], auth=USER_AUTH)

READ_ERRORS: dict[int, type] = {401: ErrorOut, 403: ErrorOut, 422: InvalidInputOut}
WRITE_ERRORS: dict[int, type] = {**READ_ERRORS, 404: ErrorOut, 409: ErrorOut}


# --- FBK-4: urgent help ------------------------------------------------------------------------------------------


class PhoneLineOut(Out):
    phone: str = Field(..., description="The number as people dial it.")
    hours: str = Field(..., description="When it answers, in the request's language.")
    always_open: bool = Field(..., description="True when it answers 24 hours a day, 7 days a week.")


class HelpOut(Out):
    urgent_help: PhoneLineOut = Field(..., description="Urgent medical help of the network, 24/7.")
    call_centre: PhoneLineOut = Field(..., description="The call centre: bookings, packages, help with the portal.")
    emergency_number: str = Field("112", description="In a life-threatening emergency: the European emergency number.")
    emergency_advice: str


def call_centre_hours() -> str:
    """The call centre's hours in the request's language (from ``CARENET_CALL_CENTRE_*_HOURS``)."""
    weekdays = settings.CARENET_CALL_CENTRE_WEEKDAY_HOURS
    saturday = settings.CARENET_CALL_CENTRE_SATURDAY_HOURS
    text = _("Monday to Friday %(hours)s") % {"hours": weekdays}
    if saturday:
        text += ", " + _("Saturday %(hours)s") % {"hours": saturday}
    return text


@router.get("/help", response={200: HelpOut}, summary="Urgent help and the call centre", tags=["help"], auth=None)
def help_contacts(request: HttpRequest) -> HelpOut:
    """FBK-4: the numbers a patient may need at any moment — urgent medical help (24/7), the call centre (with its
    hours) and 112. Public: no login needed."""
    return HelpOut(
        urgent_help=PhoneLineOut(
            phone=settings.CARENET_URGENT_HELP_PHONE, hours=_("24 hours a day, 7 days a week"), always_open=True
        ),
        call_centre=PhoneLineOut(
            phone=settings.CARENET_CALL_CENTRE_PHONE, hours=call_centre_hours(), always_open=False
        ),
        emergency_number="112",
        emergency_advice=_("In a life-threatening emergency call 112."),
    )


# --- FBK-1: ratings ----------------------------------------------------------------------------------------------


class RatableVisitOut(Out):
    id: int
    patient_id: int
    patient_name: str
    starts_at: dt.datetime
    service: ServiceOut
    clinician: ClinicianOut
    facility: str | None = Field(None, description="The facility's name; none for a phone or video visit.")
    rate_until: dt.datetime = Field(..., description="The visit may be rated until then.")


class RatableListOut(Out):
    results: list[RatableVisitOut] = Field(..., description="The visits that may be rated now, latest first.")


class RatingIn(Schema):
    score: int = Field(..., ge=policies.SCORE_MIN, le=policies.SCORE_MAX, strict=True, description="1 to 5.")
    comment: Text = Field("", max_length=policies.COMMENT_MAX_CHARS, description="Optional.")


class VisitRatingIn(RatingIn):
    appointment_id: DbId = Field(..., description="A visit of the caller or of a child they act for.")


class VisitRatingOut(Out):
    appointment_id: int
    score: int
    comment: str
    created_at: dt.datetime


class NetworkRatingOut(Out):
    score: int
    comment: str
    created_at: dt.datetime


class NetworkRatingStateOut(Out):
    can_rate: bool = Field(..., description="Whether the caller may rate the network now.")
    next_allowed_at: dt.datetime | None = Field(None, description="When they may rate again (none: now).")
    interval_days: int = Field(..., description="One rating in this many days.")
    last: NetworkRatingOut | None = None


def _patient_actor(request: HttpRequest, feature: Feature | None = None) -> tuple[User, Actor]:
    user, actor = request_actor(request)
    if not actor.can(Action.FEEDBACK_GIVE) or actor.patient_id is None:
        raise PermissionDenied(_("Only patients rate visits and the network."), code="role_not_allowed")
    if feature is not None:
        patient_feature_check(user=user, feature=feature)  # ACC-4: 403 level_two_required
    return user, actor


def _visit_rating_out(rating: VisitRating) -> VisitRatingOut:
    return VisitRatingOut(
        appointment_id=rating.appointment_id, score=rating.score, comment=rating.comment, created_at=rating.created_at
    )


def _network_rating_out(rating: NetworkRating) -> NetworkRatingOut:
    return NetworkRatingOut(score=rating.score, comment=rating.comment, created_at=rating.created_at)


@router.get("/ratings/visits", response={200: RatableListOut, **READ_ERRORS}, summary="Visits to rate")
def ratable_visit_list(request: HttpRequest) -> RatableListOut:
    """FBK-1: the caller's and their children's visits that may be rated now ("Oceń wizytę")."""
    _user, actor = _patient_actor(request, Feature.VISIT_HISTORY)
    rows = selectors.ratable_visits(patient_ids=actor.family_ids, now=clock.now())
    record_reads(request, patient_ids=[row.visit.patient_id for row in rows], what=What.VISIT_LIST)
    results = []
    for row in rows:
        visit, service = row.visit, row.visit.service
        results.append(
            RatableVisitOut(
                id=visit.pk,
                patient_id=visit.patient_id,
                patient_name=visit.patient.full_name,
                starts_at=visit.slot.starts_at,
                service=ServiceOut(
                    id=service.pk, code=service.code, name=service.name, kind=service.kind, name_en=service.name_en
                ),
                clinician=clinician_out(visit.slot.clinician),
                facility=visit.slot.facility.name if visit.slot.facility is not None else None,
                rate_until=row.rate_until,
            )
        )
    return RatableListOut(results=results)


@router.post("/ratings/visits", response={201: VisitRatingOut, **WRITE_ERRORS}, summary="Rate a visit")
def visit_rate(request: HttpRequest, payload: VisitRatingIn, idempotency_key: Text | None = IDEMPOTENCY_KEY) -> Status:
    """FBK-1: rate a visit that took place, 1–5 with an optional comment, once. Refusals: 404 `visit_not_found`;
    409 `rating_already_given`; 422 `visit_not_completed`, `rating_window_closed`, `rating_comment_invalid`,
    `invalid_input`; 403 `role_not_allowed`, `level_two_required`, `package_inactive`."""
    user, actor = _patient_actor(request, Feature.VISIT_HISTORY)

    def run() -> Answer:
        rating = services.visit_rate(
            actor=actor, appointment_id=payload.appointment_id, score=payload.score, comment=payload.comment
        )
        return 201, _visit_rating_out(rating)

    return idempotent(request, user=user, key=idempotency_key, run=run)


@router.get("/ratings/network", response={200: NetworkRatingStateOut, **READ_ERRORS}, summary="Rate us: the state")
def network_rating_state(request: HttpRequest) -> NetworkRatingStateOut:
    """FBK-1 "Oceń nas": whether the caller may rate the network now, and their last rating."""
    _user, actor = _patient_actor(request)
    assert actor.patient_id is not None
    state = selectors.network_rating_state(patient_id=actor.patient_id, now=clock.now())
    return NetworkRatingStateOut(
        can_rate=state.next_at is None,
        next_allowed_at=state.next_at,
        interval_days=state.interval_days,
        last=_network_rating_out(state.last) if state.last is not None else None,
    )


@router.post("/ratings/network", response={201: NetworkRatingOut, **WRITE_ERRORS}, summary="Rate us")
def network_rate(request: HttpRequest, payload: RatingIn, idempotency_key: Text | None = IDEMPOTENCY_KEY) -> Status:
    """FBK-1 "Oceń nas": rate the network 1–5 with an optional comment. Refusals: 409 `rating_too_soon`; 422
    `rating_comment_invalid`, `invalid_input`; 403 `role_not_allowed`, `package_inactive`."""
    user, actor = _patient_actor(request)

    def run() -> Answer:
        return 201, _network_rating_out(
            services.network_rate(actor=actor, score=payload.score, comment=payload.comment)
        )

    return idempotent(request, user=user, key=idempotency_key, run=run)
