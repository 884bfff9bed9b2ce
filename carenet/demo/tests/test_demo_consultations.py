"""Online consultations in the demo (TEL-2, FBK-1, SCH-3): the four on-demand lines with a clinician login on duty
for each around the clock, ended consultations with their chats, outcomes and surveys, and a booked video visit."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from carenet.booking.models import Appointment
from carenet.consultations.models import ChatMessage, Consultation, Duty, Line
from carenet.core import clock
from carenet.demo.logins import demo_logins

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def demo_settings(settings: Any) -> None:
    settings.DEBUG = True


def test_the_demo_has_lines_on_duty_history_and_a_booked_video_visit() -> None:
    today = dt.date(2026, 3, 16)
    call_command("seed_demo", "--small", "--reset", "--today", today.isoformat(), stdout=StringIO())
    assert set(Line.objects.values_list("code", flat=True)) == {
        "interna",
        "pediatria",
        "pielegniarka-pediatryczna",
        "polozna",
    }
    noon = clock.at_warsaw(today, dt.time(12, 0))
    on_duty = {
        (duty.line.code, duty.clinician.user.username)
        for duty in Duty.objects.filter(starts_at__lte=noon, ends_at__gt=noon).select_related("line", "clinician__user")
    }
    assert on_duty == {
        ("interna", "lekarz"),
        ("pediatria", "pediatra"),
        ("pielegniarka-pediatryczna", "pielegniarka"),
        ("polozna", "polozna"),
    }
    logins = {login for _, login, _, _ in demo_logins()}
    assert {"lekarz", "pediatra", "pielegniarka", "polozna"} <= logins
    ended = Consultation.objects.filter(status=Consultation.Status.ENDED).select_related("appointment", "patient")
    assert ended.count() == 3
    for consultation in ended:
        assert consultation.appointment is not None and consultation.appointment.status == "completed"
        seqs = list(ChatMessage.objects.filter(consultation=consultation).values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1)) and seqs
    # pacjent2's consultations were rated; the child's, three days ago, waits for its survey (open for 7 days).
    assert all(hasattr(consultation, "survey") for consultation in ended.filter(patient__user__username="pacjent2"))
    child = ended.get(patient__guardian__user__username="rodzic", line__code="pediatria")
    assert not hasattr(child, "survey")
    assert not Consultation.objects.filter(status__in=["waiting", "in_progress"]).exists()
    video = Appointment.objects.filter(slot__mode="video", patient__user__username="pacjent2", status="booked")
    assert video.count() == 1
    assert video.get().slot.clinician.user.username == "lekarz"
