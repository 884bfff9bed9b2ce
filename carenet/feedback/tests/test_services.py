"""Rating a visit, rating the network and the survey's random sample (FBK-1, SMS-1, SMS-3) through the services
every door calls, on the role cast."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import override_settings

from carenet.accounts.models import Patient
from carenet.accounts.selectors import actor_for_user
from carenet.accounts.tests.factories import PatientFactory
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from carenet.feedback import policies, selectors
from carenet.feedback.models import NetworkRating, SurveyInvitation, VisitRating
from carenet.feedback.services import network_rate, survey_invite_sample, visit_rate
from carenet.messaging.models import OutboundMessage
from tests.cast import Cast, _slot, _visit, with_consultation

pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return clock.at_warsaw(day, dt.time(hour))


def visit_of(cast: Cast, patient: Patient, starts_at: dt.datetime, **fields: Any) -> Appointment:
    values: dict[str, Any] = {"status": Appointment.Status.COMPLETED} | fields
    slot = _slot(clinician=cast.clinician_with, facility=cast.here, service=cast.consult, starts_at=starts_at)
    return _visit(patient, slot, cast.consult, **values)


def rate(cast: Cast, role: str, visit: Appointment, score: object = 4, comment: str = "") -> VisitRating:
    return visit_rate(actor=actor_for_user(cast.user(role)), appointment_id=visit.pk, score=score, comment=comment)


@pytest.fixture
def visit(cast: Cast) -> Appointment:
    """Anna's visit with clinician_with at Mokotów two days ago, closed by him."""
    return visit_of(cast, cast.patient, at(clock.today() - dt.timedelta(days=2)))


# --- "Oceń wizytę" -----------------------------------------------------------------------------------------------


def test_a_patient_rates_a_completed_visit_once(cast: Cast, visit: Appointment) -> None:
    rating = rate(cast, "patient", visit, 5, "  Bardzo rzeczowa rozmowa.  ")
    assert (rating.score, rating.comment, rating.patient_id) == (5, "Bardzo rzeczowa rozmowa.", cast.patient.pk)
    with pytest.raises(Conflict) as second:
        rate(cast, "patient", visit, 1)
    assert second.value.code == "rating_already_given"
    assert VisitRating.objects.get(appointment=visit).score == 5


def test_a_visit_checked_in_and_over_may_be_rated(cast: Cast) -> None:
    came = visit_of(cast, cast.patient, at(clock.today() - dt.timedelta(days=1)), status=Appointment.Status.CHECKED_IN)
    assert rate(cast, "patient", came).appointment_id == came.pk


@pytest.mark.parametrize("status", ["booked", "cancelled", "no_show", "refused_late"])
def test_only_a_visit_that_took_place(cast: Cast, status: str) -> None:
    missed = visit_of(cast, cast.patient, at(clock.today() - dt.timedelta(days=1)), status=status)
    with pytest.raises(ValidationFailed) as refused:
        rate(cast, "patient", missed)
    assert refused.value.code == "visit_not_completed"
    assert not VisitRating.objects.exists()


def test_the_visit_tomorrow_is_not_rated(cast: Cast) -> None:
    with pytest.raises(ValidationFailed) as refused:
        rate(cast, "patient", cast.visit)
    assert refused.value.code == "visit_not_completed"


def test_after_seven_days_the_rating_is_gone(cast: Cast, visit: Appointment, time_machine: Any) -> None:
    last_day = clock.local(visit.slot.ends_at).date() + dt.timedelta(days=policies.RATE_DAYS)
    time_machine.move_to(at(last_day, 23), tick=False)
    assert visit.pk in {
        row.visit.pk for row in selectors.ratable_visits(patient_ids=[cast.patient.pk], now=clock.now())
    }
    time_machine.move_to(at(last_day + dt.timedelta(days=1), 0), tick=False)
    with pytest.raises(ValidationFailed) as refused:
        rate(cast, "patient", visit)
    assert refused.value.code == "rating_window_closed"
    assert visit.pk not in {
        row.visit.pk for row in selectors.ratable_visits(patient_ids=[cast.patient.pk], now=clock.now())
    }


def test_someone_elses_visit_does_not_exist(cast: Cast, visit: Appointment) -> None:
    for role in ("other_patient", "guardian"):
        with pytest.raises(NotFound) as missing:
            rate(cast, role, visit)
        assert missing.value.code == "visit_not_found"
    with pytest.raises(NotFound):
        visit_rate(actor=actor_for_user(cast.user("patient")), appointment_id=2**62, score=4)
    assert not VisitRating.objects.exists()


def test_a_guardian_rates_the_childs_visit(cast: Cast) -> None:
    childs = visit_of(cast, cast.child, at(clock.today() - dt.timedelta(days=1)))
    assert rate(cast, "guardian", childs).patient_id == cast.child.pk


@pytest.mark.parametrize("role", ["level_one", "receptionist_here", "call_centre", "coordinator", "admin"])
def test_others_do_not_rate(cast: Cast, visit: Appointment, role: str) -> None:
    with pytest.raises(PermissionDenied):
        rate(cast, role, visit)
    assert not VisitRating.objects.exists()


@pytest.mark.parametrize(
    ("score", "comment", "code"),
    [
        (0, "", "rating_score_invalid"),
        ("5", "", "rating_score_invalid"),
        (4, "Źle\x00", "rating_comment_invalid"),
        (4, "x" * 1001, "rating_comment_too_long"),
    ],
)
def test_bad_input_is_refused_and_stores_nothing(
    cast: Cast, visit: Appointment, score: object, comment: str, code: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        rate(cast, "patient", visit, score, comment)
    assert refused.value.code == code
    assert not VisitRating.objects.exists()


def test_an_online_consultation_is_rated_in_its_survey_not_here(cast: Cast) -> None:
    with_consultation(cast)
    assert cast.consultation is not None and cast.consultation.appointment_id is not None
    with pytest.raises(ValidationFailed):
        visit_rate(actor=actor_for_user(cast.user("patient")), appointment_id=cast.consultation.appointment_id, score=5)
    ratable = selectors.ratable_visits(patient_ids=[cast.patient.pk], now=clock.now())
    assert cast.consultation.appointment_id not in {row.visit.pk for row in ratable}


def test_the_ratable_visits_of_the_family(cast: Cast, visit: Appointment) -> None:
    childs = visit_of(cast, cast.child, at(clock.today() - dt.timedelta(days=3)))
    old = visit_of(cast, cast.patient, at(clock.today() - dt.timedelta(days=9)))
    rows = selectors.ratable_visits(patient_ids=[cast.guardian.pk, cast.child.pk], now=clock.now())
    assert [row.visit.pk for row in rows] == [childs.pk]
    anna = [row.visit.pk for row in selectors.ratable_visits(patient_ids=[cast.patient.pk], now=clock.now())]
    assert visit.pk in anna and old.pk not in anna
    rate(cast, "patient", visit)
    anna = [row.visit.pk for row in selectors.ratable_visits(patient_ids=[cast.patient.pk], now=clock.now())]
    assert visit.pk not in anna


# --- "Oceń nas" ------------------------------------------------------------------------------------------------


def test_rate_us_once_in_thirty_days(cast: Cast, time_machine: Any) -> None:
    time_machine.move_to(clock.now(), tick=False)
    actor = actor_for_user(cast.user("level_one"))  # level I may rate us
    network_rate(actor=actor, score=4, comment="Wygodne zapisy.")
    with pytest.raises(Conflict) as again:
        network_rate(actor=actor, score=1)
    assert again.value.code == "rating_too_soon"
    time_machine.move_to(clock.now() + dt.timedelta(days=30), tick=False)
    network_rate(actor=actor, score=2)
    assert list(NetworkRating.objects.order_by("created_at").values_list("score", flat=True)) == [4, 2]


@pytest.mark.parametrize("role", ["call_centre", "coordinator", "clinician_with"])
def test_staff_do_not_rate_us(cast: Cast, role: str) -> None:
    with pytest.raises(PermissionDenied):
        network_rate(actor=actor_for_user(cast.user(role)), score=5)
    assert not NetworkRating.objects.exists()


# --- The survey's random sample ---------------------------------------------------------------------------------


def yesterday_visits(cast: Cast, count: int) -> list[Appointment]:
    """``count`` completed visits yesterday, each of another patient with a mobile."""
    day = clock.today() - dt.timedelta(days=1)
    return [
        visit_of(cast, PatientFactory(mobile=f"+4860000{index:04d}"), at(day, 8) + dt.timedelta(minutes=15 * index))
        for index in range(count)
    ]


def test_the_sample_is_predictable_and_a_rerun_invites_nobody_twice(cast: Cast) -> None:
    visits = yesterday_visits(cast, 30)
    expected = {v.pk for v in visits if policies.in_sample(appointment_id=v.pk, rate=0.5, seed="ziarno")}
    run = survey_invite_sample(rate=0.5, seed="ziarno", patient_days=90)
    assert run.completed == 30 and run.chosen == len(expected) == run.invited
    assert set(SurveyInvitation.objects.values_list("appointment_id", flat=True)) == expected
    keys = set(OutboundMessage.objects.filter(purpose="survey-invitation").values_list("key", flat=True))
    assert keys == {f"survey-invitation:appointment:{pk}" for pk in expected}
    rerun = survey_invite_sample(rate=0.5, seed="ziarno", patient_days=90)
    assert rerun.invited == 0
    assert OutboundMessage.objects.filter(purpose="survey-invitation").count() == len(expected)


def test_the_sms_links_to_the_visits_rating_page_and_waits_for_the_morning(cast: Cast, time_machine: Any) -> None:
    (visit,) = yesterday_visits(cast, 1)
    time_machine.move_to(at(clock.today(), 1), tick=False)
    with override_settings(CARENET_PUBLIC_URL="https://carenet.example", CARENET_SURVEY_SEND_HOUR=10):
        survey_invite_sample(rate=1, seed="ziarno")
    message = OutboundMessage.objects.get(purpose="survey-invitation")
    assert message.channel == "sms" and message.recipient == "+48600000000"
    assert f"https://carenet.example/moje-wizyty/{visit.pk}/" in message.body
    assert clock.local(message.next_attempt_at).hour == 10


def test_never_the_same_patient_twice_in_the_period(cast: Cast) -> None:
    today = clock.today()
    first, second = (visit_of(cast, cast.other_patient, at(today - dt.timedelta(days=1), hour)) for hour in (8, 12))
    cast.other_patient.mobile = "+48600111222"
    cast.other_patient.save()
    run = survey_invite_sample(rate=1, seed="ziarno", patient_days=90)
    assert run.invited == 1
    assert list(SurveyInvitation.objects.values_list("appointment_id", flat=True)) == [first.pk]
    # Two weeks later another visit of theirs is chosen: still within 90 days, so not invited.
    later = visit_of(cast, cast.other_patient, at(today + dt.timedelta(days=13), 9))
    now = at(today + dt.timedelta(days=14), 12)
    assert survey_invite_sample(now=now, rate=1, seed="ziarno", patient_days=90).invited == 0
    assert not SurveyInvitation.objects.filter(appointment=later).exists()
    assert not SurveyInvitation.objects.filter(appointment=second).exists()


def test_by_e_mail_without_a_mobile_and_nobody_without_either(cast: Cast) -> None:
    day = clock.today() - dt.timedelta(days=1)
    mailed = visit_of(cast, PatientFactory(mobile="", email="jan@example.com"), at(day, 8))
    silent = visit_of(cast, PatientFactory(mobile="", email=""), at(day, 9))
    survey_invite_sample(rate=1, seed="ziarno")
    message = OutboundMessage.objects.get(purpose="survey-invitation")
    assert (message.channel, message.recipient) == ("email", "jan@example.com")
    assert message.subject and str(mailed.pk) in message.body
    assert not SurveyInvitation.objects.filter(appointment=silent).exists()


def test_the_patients_consents_are_respected(cast: Cast) -> None:
    """ACC-8: no SMS to a patient who withdrew SMS notices (an e-mail instead when that consent stands), nothing to
    one who withdrew both."""
    from carenet.accounts.models import ChangeChannel, Consent, ConsentKind

    day = clock.today() - dt.timedelta(days=1)
    by_mail = PatientFactory(mobile="+48600123001", email="ewa@example.com")
    nothing = PatientFactory(mobile="+48600123002", email="jan@example.com")
    for patient, kinds in ((by_mail, [ConsentKind.SMS_NOTICES]), (nothing, list(ConsentKind))):
        for kind in kinds:
            Consent.objects.create(
                patient=patient, kind=kind, granted=False, at=clock.now(), channel=ChangeChannel.PORTAL
            )
    mailed = visit_of(cast, by_mail, at(day, 8))
    silent = visit_of(cast, nothing, at(day, 9))
    survey_invite_sample(rate=1, seed="ziarno")
    message = OutboundMessage.objects.get(purpose="survey-invitation")
    assert (message.channel, message.recipient) == ("email", "ewa@example.com")
    assert SurveyInvitation.objects.get().appointment_id == mailed.pk
    assert not SurveyInvitation.objects.filter(appointment=silent).exists()


def test_rated_cancelled_and_online_visits_are_not_invited(cast: Cast) -> None:
    day = clock.today() - dt.timedelta(days=1)
    rated = visit_of(cast, cast.patient, at(day, 8))
    rate(cast, "patient", rated)
    visit_of(cast, PatientFactory(mobile="+48600999888"), at(day, 9), status=Appointment.Status.CANCELLED)
    assert survey_invite_sample(rate=1, seed="ziarno").completed == 0


def test_an_invited_visit_may_be_rated_seven_days_after_the_invitation(cast: Cast, time_machine: Any) -> None:
    day = clock.today() - dt.timedelta(days=1)
    visit = visit_of(cast, cast.patient, at(day, 8))
    survey_invite_sample(day=day, now=at(day + dt.timedelta(days=2), 12), rate=1, seed="ziarno")  # two days late
    time_machine.move_to(at(day + dt.timedelta(days=policies.RATE_DAYS + 2), 20), tick=False)
    assert rate(cast, "patient", visit).appointment_id == visit.pk


def test_the_job_is_registered() -> None:
    from carenet.core import periodic

    assert "invite-survey-sample" in {job.name for job in periodic.jobs()}


# --- Races (PostgreSQL: select_for_update does nothing on SQLite) ---------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_ratings_of_one_visit_at_once_store_one(cast: Cast) -> None:
    from carenet.core.testing import run_in_threads

    visit = visit_of(cast, cast.patient, at(clock.today() - dt.timedelta(days=1)))
    user = cast.user("patient")

    def body(number: int) -> None:
        visit_rate(actor=actor_for_user(user), appointment_id=visit.pk, score=number + 1)

    errors = run_in_threads(4, body)
    assert VisitRating.objects.filter(appointment=visit).count() == 1
    assert len(errors) == 3 and all(isinstance(e, Conflict) and e.code == "rating_already_given" for e in errors)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_rate_us_at_once_store_one(cast: Cast) -> None:
    from carenet.core.testing import run_in_threads

    user = cast.user("patient")

    def body(number: int) -> None:
        network_rate(actor=actor_for_user(user), score=number + 1)

    errors = run_in_threads(4, body)
    assert NetworkRating.objects.count() == 1
    assert len(errors) == 3 and all(isinstance(e, Conflict) and e.code == "rating_too_soon" for e in errors)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sampling_runs_at_once_invite_once(cast: Cast) -> None:
    from carenet.core.testing import run_in_threads

    yesterday_visits(cast, 6)

    def body(number: int) -> None:
        survey_invite_sample(rate=1, seed="ziarno")

    assert run_in_threads(3, body) == []
    assert SurveyInvitation.objects.count() == 6
    assert OutboundMessage.objects.filter(purpose="survey-invitation").count() == 6
