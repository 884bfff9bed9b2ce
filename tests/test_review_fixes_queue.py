"""Holes found reviewing online consultations' queue, state and races (TEL-2, PKG-4, issue 13): each test fails
without its fix."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.consultations import selectors, services
from carenet.consultations.models import Consultation
from carenet.consultations.tests.factories import NOW, ConsultationWorld, build_consultation_world
from carenet.core.errors import ApplicationError

pytestmark = pytest.mark.django_db
Status = Consultation.Status


@pytest.fixture
def cw(db: None) -> ConsultationWorld:
    return build_consultation_world()


def _start(cw: ConsultationWorld, *, now: dt.datetime = NOW) -> Consultation:
    assert cw.patient.user is not None
    return services.consultation_start(
        actor=cw.patient.user, patient_id=cw.patient.pk, line_code="interna", mode="chat", channel="portal", now=now
    )


def test_a_line_switched_off_while_patients_wait_lets_them_go_instead_of_keeping_them_forever(
    cw: ConsultationWorld,
) -> None:
    """Take reads only active lines' duties: a patient waiting in a line switched off would wait forever, since the
    sweep counted its duties as staffing it."""
    doctor = cw.on_duty()
    consultation = _start(cw)
    cw.internal.is_active = False
    cw.internal.save(update_fields=["is_active"])
    later = NOW + dt.timedelta(minutes=5)
    with pytest.raises(ApplicationError) as caught:  # nobody can take it: no duty of an active line
        services.consultation_take_next(actor=doctor, now=later)
    assert caught.value.code == "not_on_duty"
    assert services.consultations_close_unstaffed(now=later) == 1
    consultation.refresh_from_db()
    assert consultation.status == Status.LEFT and selectors.left_reason(consultation) == "duty_ended"
