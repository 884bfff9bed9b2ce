"""Feedback (FBK-1, SMS-1): rating a visit, rating the network, and inviting the day's random sample of completed
visits to rate them. Every door calls these.

Each service checks the actor against the permission table first (``FEEDBACK_GIVE``); a refusal raises a typed
error with a stable code and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import ConsentKind, Patient
from carenet.accounts.permissions import Action, Actor
from carenet.accounts.policies import Feature, feature_allowed
from carenet.accounts.selectors import LEVEL_TWO_REQUIRED_MESSAGE, consent_in_force
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationFailed
from carenet.feedback import policies, sms_wording
from carenet.feedback.models import NetworkRating, SurveyInvitation, VisitRating
from carenet.feedback.policies import RatingCode
from carenet.messaging.models import Channel as MessageChannel
from carenet.messaging.services import outbox_enqueue

_MESSAGES = {
    RatingCode.VISIT_NOT_COMPLETED: _("You can rate a visit once it has taken place."),
    RatingCode.WINDOW_CLOSED: _("A visit can be rated for %(days)s days after it."),
    RatingCode.ALREADY_RATED: _("You have already rated this visit. Thank you!"),
    RatingCode.SCORE_INVALID: _("Choose a rating from 1 to 5."),
    RatingCode.COMMENT_TOO_LONG: _("The comment may have at most %(chars)s characters."),
    RatingCode.COMMENT_INVALID: _("Remove the control characters from the comment."),
    RatingCode.TOO_SOON: _("You rated us recently. You can rate us again from %(next)s."),
}
_CONFLICTS = {RatingCode.ALREADY_RATED, RatingCode.TOO_SOON}
#: The statuses of a visit that may be completed (policies.visit_completed decides with the time).
_COMPLETED_STATUSES = (Appointment.Status.COMPLETED, Appointment.Status.CHECKED_IN)


def rating_error(code: RatingCode, *, next_at: dt.datetime | None = None) -> ApplicationError:
    params = {
        "days": policies.RATE_DAYS,
        "chars": policies.COMMENT_MAX_CHARS,
        "next": clock.local(next_at).strftime("%d.%m.%Y %H:%M") if next_at else "",
    }
    message = _MESSAGES[code] % params
    if code in _CONFLICTS:
        return Conflict(message, code=code.value)
    return ValidationFailed(message, code=code.value)


def visit_not_found() -> NotFound:
    return NotFound(_("No such visit."), code="visit_not_found")


def _role_refused() -> PermissionDenied:
    return PermissionDenied(_("Your role does not do this."), code="role_not_allowed")


def _input_refusal(score: object, comment: str) -> RatingCode | None:
    return policies.score_refusal(score) or policies.comment_refusal(comment)


def visit_rating_refusal(*, visit: Appointment, now: dt.datetime) -> RatingCode | None:
    """FBK-1 for a visit read with its slot: why it may not be rated now, or ``None``."""
    invited = SurveyInvitation.objects.filter(appointment_id=visit.pk).values_list("sent_at", flat=True).first()
    rated = VisitRating.objects.filter(appointment_id=visit.pk).exists()
    if hasattr(visit, "consultation"):
        # An on-demand online consultation has its own survey (consultations.SurveyAnswer), not this rating.
        return RatingCode.VISIT_NOT_COMPLETED
    return policies.visit_rating_refusal(
        status=visit.status, ends_at=visit.slot.ends_at, invited_at=invited, rated=rated, now=now, tz=clock.WARSAW
    )


def visit_rate(
    *, actor: Actor, appointment_id: int, score: object, comment: str = "", now: dt.datetime | None = None
) -> VisitRating:
    """FBK-1 "Oceń wizytę": the patient (or a guardian for their child) rates a completed visit 1–5 with an optional
    comment, once, within :data:`~carenet.feedback.policies.RATE_DAYS` days. Someone else's visit, or one that does
    not exist, is 404 ``visit_not_found``; a second rating 409 ``rating_already_given`` — the visit's row is locked
    while its rating is looked for, and the one-to-one constraint refuses a second one whatever happens. Level II
    (ACC-4: a past visit is history)."""
    if not actor.can(Action.FEEDBACK_GIVE) or actor.user_id is None:
        raise _role_refused()
    if not feature_allowed(Feature.VISIT_HISTORY, level=actor.level or 0):
        raise PermissionDenied(LEVEL_TWO_REQUIRED_MESSAGE, code="level_two_required")
    now = now or clock.now()
    comment = comment.strip() if isinstance(comment, str) else ""
    refusal = _input_refusal(score, comment)
    with transaction.atomic():
        visit = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("slot", "consultation")
            .filter(pk=appointment_id)
            .first()
        )
        if visit is None or not actor.reaches(Action.FEEDBACK_GIVE, patient_id=visit.patient_id):
            raise visit_not_found()
        refusal = visit_rating_refusal(visit=visit, now=now) or refusal
        if refusal is not None:
            raise rating_error(refusal)
        assert isinstance(score, int)
        try:
            with transaction.atomic():
                return VisitRating.objects.create(
                    appointment=visit, patient_id=visit.patient_id, score=score, comment=comment
                )
        except IntegrityError as error:  # another rating of this visit won the race
            raise rating_error(RatingCode.ALREADY_RATED) from error


def network_rating_last(*, patient_id: int) -> dt.datetime | None:
    found: dt.datetime | None = NetworkRating.objects.filter(patient_id=patient_id).aggregate(last=Max("created_at"))[
        "last"
    ]
    return found


def network_rate(*, actor: Actor, score: object, comment: str = "", now: dt.datetime | None = None) -> NetworkRating:
    """FBK-1 "Oceń nas": the patient rates the network 1–5 with an optional comment, at any time, once in
    ``CARENET_RATE_US_DAYS`` days (409 ``rating_too_soon`` sooner). The patient's row is locked while their last
    rating is read, so two submissions at once store one."""
    if not actor.can(Action.FEEDBACK_GIVE) or actor.patient_id is None:
        raise _role_refused()
    now = now or clock.now()
    comment = comment.strip() if isinstance(comment, str) else ""
    refusal = _input_refusal(score, comment)
    if refusal is not None:
        raise rating_error(refusal)
    assert isinstance(score, int)
    interval = settings.CARENET_RATE_US_DAYS
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=actor.patient_id).values_list("pk", flat=True).first()
        last = network_rating_last(patient_id=actor.patient_id)
        if policies.network_rating_refusal(last_rated_at=last, interval_days=interval, now=now) is not None:
            next_at = policies.next_network_rating_at(last_rated_at=last, interval_days=interval)
            raise rating_error(RatingCode.TOO_SOON, next_at=next_at)
        return NetworkRating.objects.create(patient_id=actor.patient_id, score=score, comment=comment)


# --- The survey's random sample (SMS-1, FBK-1) ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SampleRun:
    """What one run of the sample did: the visits of the day that were completed, chosen, and invited."""

    completed: int
    chosen: int
    invited: int


def survey_candidates(*, day: dt.date, now: dt.datetime) -> list[tuple[int, int]]:
    """(visit id, patient id) of the visits of ``day`` (Warsaw) that took place, were not rated, not invited, and are
    not on-demand online consultations (those have their own survey), earliest first."""
    start = clock.at_warsaw(day, dt.time.min)
    end = clock.at_warsaw(day + dt.timedelta(days=1), dt.time.min)
    rows = (
        Appointment.objects.filter(
            slot__starts_at__gte=start,
            slot__starts_at__lt=end,
            slot__ends_at__lte=now,
            status__in=_COMPLETED_STATUSES,
            consultation__isnull=True,
            rating__isnull=True,
            survey_invitation__isnull=True,
        )
        .order_by("slot__starts_at", "pk")
        .values_list("pk", "patient_id")
    )
    return list(rows)


def _invite_recipient(patient: Patient, *, today: dt.date) -> tuple[str, str] | None:
    """(channel, recipient): the patient's (or a child's guardian's) mobile when SMS notices are in their consents
    (ACC-8), else their e-mail when e-mail notices are; ``None``: neither (the patient is not invited)."""
    mobile = patient.contact_mobile
    if mobile and consent_in_force(patient=patient, kind=ConsentKind.SMS_NOTICES, today=today):
        return MessageChannel.SMS, mobile
    guardian = patient.guardian if patient.guardian_id else None
    email = patient.email or (guardian.email if guardian is not None else "")
    if email and consent_in_force(patient=patient, kind=ConsentKind.EMAIL_NOTICES, today=today):
        return MessageChannel.EMAIL, email
    return None


def survey_invite(*, appointment_id: int, now: dt.datetime, patient_days: int) -> SurveyInvitation | None:
    """Invite one chosen visit's patient: in one transaction with the patient's row locked (two runs at once invite
    a patient once), unless they were invited within ``patient_days`` days, or have neither a mobile with the SMS
    notices consent nor an e-mail with the e-mail notices consent (ACC-8). The message
    goes through the outbox with the key ``survey-invitation:appointment:<id>`` (exactly once, SMS-3), not before
    ``CARENET_SURVEY_SEND_HOUR`` o'clock."""
    with transaction.atomic():
        visit = Appointment.objects.select_related("slot").filter(pk=appointment_id).first()
        if visit is None:
            return None
        patient = Patient.objects.select_for_update(of=("self",)).select_related("guardian").get(pk=visit.patient_id)
        last = SurveyInvitation.objects.filter(patient_id=patient.pk).aggregate(last=Max("sent_at"))["last"]
        if not policies.patient_may_be_invited(last_invited_at=last, patient_days=patient_days, now=now):
            return None
        recipient = _invite_recipient(patient, today=clock.local(now).date())
        if recipient is None:
            return None
        channel, address = recipient
        try:
            with transaction.atomic():
                invitation = SurveyInvitation.objects.create(
                    appointment=visit, patient=patient, channel=channel, sent_at=now
                )
        except IntegrityError:  # another run invited this visit first
            return None
        text = sms_wording.invitation(visit=visit, patient=patient)
        outbox_enqueue(
            key=f"survey-invitation:appointment:{visit.pk}",
            purpose="survey-invitation",
            channel=channel,
            recipient=address,
            subject=text.subject if channel == MessageChannel.EMAIL else "",
            body=text.email if channel == MessageChannel.EMAIL else text.sms,
            patient=patient,
            send_after=_send_after(now),
        )
        return invitation


def _send_after(now: dt.datetime) -> dt.datetime | None:
    """Not at night: before ``CARENET_SURVEY_SEND_HOUR`` (Warsaw), the message waits until then."""
    local = clock.local(now)
    if local.hour >= settings.CARENET_SURVEY_SEND_HOUR:
        return None
    return clock.at_warsaw(local.date(), dt.time(settings.CARENET_SURVEY_SEND_HOUR))


def survey_invite_sample(
    *,
    day: dt.date | None = None,
    now: dt.datetime | None = None,
    rate: float | None = None,
    seed: str | None = None,
    patient_days: int | None = None,
) -> SampleRun:
    """SMS-1, FBK-1: invite the random sample of the visits completed on ``day`` (by default yesterday, Warsaw) to
    rate them. The choice is :func:`~carenet.feedback.policies.in_sample` of each visit's id (rate
    ``CARENET_SURVEY_SAMPLE_RATE``, seed ``CARENET_SURVEY_SEED``), so a rerun — the job runs every hour — picks the
    same visits and invites nobody twice; a patient invited within ``CARENET_SURVEY_PATIENT_DAYS`` days is skipped,
    and of one patient's chosen visits of the day only the earliest is invited."""
    now = now or clock.now()
    day = day or clock.local(now).date() - dt.timedelta(days=1)
    rate = settings.CARENET_SURVEY_SAMPLE_RATE if rate is None else rate
    seed = settings.CARENET_SURVEY_SEED if seed is None else seed
    patient_days = settings.CARENET_SURVEY_PATIENT_DAYS if patient_days is None else patient_days
    candidates = survey_candidates(day=day, now=now)
    chosen = [
        (visit, patient)
        for visit, patient in candidates
        if policies.in_sample(appointment_id=visit, rate=rate, seed=seed)
    ]
    first_per_patient: dict[int, int] = {}
    for visit, patient in chosen:
        first_per_patient.setdefault(patient, visit)
    recent = set(
        SurveyInvitation.objects.filter(
            patient_id__in=sorted(first_per_patient), sent_at__gt=now - dt.timedelta(days=patient_days)
        ).values_list("patient_id", flat=True)
    )
    invited = 0
    for patient, visit in first_per_patient.items():
        if patient in recent:
            continue
        if survey_invite(appointment_id=visit, now=now, patient_days=patient_days) is not None:
            invited += 1
    return SampleRun(completed=len(candidates), chosen=len(chosen), invited=invited)
