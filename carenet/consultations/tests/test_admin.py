"""The back office of lines and duties (TEL-2): coordinators and administrators plan duties (``DUTY_MANAGE``);
nobody else sees them; a bad duty is refused with a message and nothing is saved."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from carenet.accounts.models import User
from carenet.accounts.tests.factories import UserFactory
from carenet.consultations.models import Duty
from carenet.consultations.tests.factories import ConsultationWorld, clinician_user

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _english(name: str) -> str:
    with translation.override("en"):
        return reverse(name)


def _duty(cw: ConsultationWorld, starts: str, ends: str) -> dict[str, str]:
    clinician = cw.world.clinician
    return {
        "clinician": str(clinician.pk),
        "line": str(cw.internal.pk),
        "starts_at_0": starts.split()[0],
        "starts_at_1": starts.split()[1],
        "ends_at_0": ends.split()[0],
        "ends_at_1": ends.split()[1],
    }


def test_a_coordinator_plans_a_duty_and_a_bad_one_is_refused(cw: ConsultationWorld) -> None:
    coordinator = _client(UserFactory(username="koordynator", role=User.Role.COORDINATOR, is_staff=True))
    assert coordinator.get(reverse("admin:consultations_duty_changelist")).status_code == 200
    assert coordinator.get(reverse("admin:consultations_line_changelist")).status_code == 200
    answer = coordinator.post(
        _english("admin:consultations_duty_add"),
        _duty(cw, "2026-12-10 18:00", "2026-12-10 08:00"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 200 and "A duty must end after it starts." in answer.content.decode()
    assert not Duty.objects.exists()
    answer = coordinator.post(
        reverse("admin:consultations_duty_add"), _duty(cw, "2026-12-10 08:00", "2026-12-10 16:00")
    )
    assert answer.status_code == 302, answer.content.decode()[:1500]
    duty = Duty.objects.get()
    assert duty.created_by is not None and duty.created_by.username == "koordynator"
    answer = coordinator.post(
        _english("admin:consultations_duty_add"),
        _duty(cw, "2026-12-10 12:00", "2026-12-10 20:00"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "already on duty for this line" in answer.content.decode()
    assert Duty.objects.count() == 1


def test_a_clinician_or_receptionist_does_not_see_the_duties(cw: ConsultationWorld) -> None:
    doctor = clinician_user()
    doctor.is_staff = True
    doctor.save()
    for user in (doctor, cw.world.receptionist):
        answer = _client(user).get(reverse("admin:consultations_duty_changelist"))
        assert answer.status_code in {302, 403, 404}
