"""The holes found when CareNet was tried as an attacker would (issue 10), each reproduced against the role cast:
every test here failed before the fix."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from carenet.accounts.models import User
from carenet.api.auth import token_issue
from carenet.booking import services
from carenet.booking.errors import BookingRefused
from carenet.booking.models import Appointment, Channel
from carenet.core import clock
from carenet.network.models import Service
from tests.cast import Cast

pytestmark = pytest.mark.django_db


def staff_page(cast: Cast, role: str, patient_id: int) -> str:
    response = cast.client(role).get(reverse("staff:patient", args=[patient_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_reception_sees_only_the_visits_at_its_own_facility_on_a_patient_page(cast: Cast) -> None:
    """SEC, CLN-6: the service of a visit elsewhere (psychiatry) is health data; the call centre sees all."""
    here = staff_page(cast, "receptionist_here", cast.patient.pk)
    assert "Konsultacja internisty" in here and "Konsultacja psychiatry" not in here
    elsewhere = staff_page(cast, "receptionist_elsewhere", cast.patient.pk)
    assert "Konsultacja psychiatry" in elsewhere and "Konsultacja internisty" not in elsewhere
    call_centre = staff_page(cast, "call_centre", cast.patient.pk)
    assert "Konsultacja psychiatry" in call_centre and "Konsultacja internisty" in call_centre


def test_reception_sees_only_its_facilitys_missed_visits_in_the_no_show_panel(cast: Cast) -> None:
    """BKG-5 panel: a block caused by missed visits elsewhere names their specialty: reception does not see it."""
    now = clock.now()
    for days in (3, 2):
        visit = Appointment.objects.create(
            patient=cast.patient,
            slot=cast.past_visit.slot.__class__.objects.create(
                schedule=cast.past_visit.slot.schedule,
                clinician=cast.past_visit.slot.clinician,
                facility=cast.elsewhere,
                city=cast.elsewhere.city,
                specialty=cast.past_visit.slot.specialty,
                mode=cast.past_visit.slot.mode,
                starts_at=now - dt.timedelta(days=days),
                ends_at=now - dt.timedelta(days=days) + dt.timedelta(minutes=15),
                is_free=False,
            ),
            service=cast.past_visit.service,
            status=Appointment.Status.NO_SHOW,
            channel=Channel.PORTAL,
        )
        assert visit.pk
    url = reverse("staff:patient_no_shows", args=[cast.patient.pk])
    here = cast.client("receptionist_here").get(url).content.decode()
    assert "Psychiatria" not in here and "Konsultacja psychiatry" not in here
    assert "0 nieobecności w ostatnich 30 dniach" in here  # nor counts the missed visits it may not see
    elsewhere = cast.client("receptionist_elsewhere").get(url).content.decode()
    assert "Konsultacja psychiatry" in elsewhere


def test_the_api_lists_reception_only_its_facilitys_visits(cast: Cast) -> None:
    token, _ = token_issue(user=cast.users["receptionist_here"], name="desk", now=clock.now())  # type: ignore[arg-type]
    answer = cast.client("anonymous").get(
        "/api/v1/appointments",
        {"patient_id": cast.patient.pk, "upcoming": "false"},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert answer.status_code == 200
    assert [row["id"] for row in answer.json()["results"]] == []  # the psychiatry visit was at Wola


def test_createsuperuser_makes_an_administrator(db: None) -> None:
    """Issue 10: an account made by ``createsuperuser`` had role "patient"."""
    made = get_user_model().objects.create_superuser("root", "root@carenet.example", "correct-horse-battery")
    assert made.role == User.Role.ADMIN


def test_a_superuser_with_the_patient_role_works_as_an_administrator(cast: Cast) -> None:
    """Issue 10: such an account saw the staff dashboard but every staff patient page answered 404."""
    legacy = get_user_model().objects.create_superuser(
        "stary-admin", "old@carenet.example", "correct-horse-battery", role=User.Role.PATIENT
    )
    client = cast.client("anonymous")
    client.force_login(legacy)
    assert client.get(reverse("staff:patient", args=[cast.patient.pk])).status_code == 200
    assert client.get(reverse("staff:reception")).status_code == 200


def test_a_lapsed_package_closes_the_portal_and_the_api(cast: Cast) -> None:
    """ACC-7: portal access requires an active package — pages explain it, the API answers 403."""
    client = cast.client("lapsed")
    for name in ("portal:visits", "portal:search", "portal:account", "portal:ecard"):
        response = client.get(reverse(name))
        assert response.status_code == 403 and 'id="package-inactive"' in response.content.decode(), name
    token, _ = token_issue(user=cast.users["lapsed"], name="app", now=clock.now())  # type: ignore[arg-type]
    answer = cast.client("anonymous").get("/api/v1/appointments", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 403 and answer.json()["code"] == "package_inactive"


def test_a_guardian_with_only_a_childs_package_keeps_the_portal(cast: Cast) -> None:
    cast.guardian.enrolments.update(paid_through=clock.today() - dt.timedelta(days=1))
    assert cast.client("guardian").get(reverse("portal:visits")).status_code == 200


def test_level_one_cannot_book_rehabilitation_in_the_portal(cast: Cast, settings: Any) -> None:
    """ACC-4: rehabilitation bookings are a level II feature (declared and never enforced before)."""
    rehab = cast.consult
    Service.objects.filter(pk=rehab.pk).update(kind=Service.Kind.REHABILITATION)
    with pytest.raises(BookingRefused) as refused:
        services.appointment_book(
            actor=cast.users["level_one"],  # type: ignore[arg-type]
            patient=cast.level_one,
            slot_id=cast.free_slot.pk,
            service_id=rehab.pk,
            channel=Channel.PORTAL,
        )
    assert refused.value.code == "level_two_required"
    assert not Appointment.objects.filter(slot=cast.free_slot).exists()
    booked = services.appointment_book(
        actor=cast.users["call_centre"],  # type: ignore[arg-type]
        patient=cast.level_one,
        slot_id=cast.free_slot.pk,
        service_id=rehab.pk,
        channel=Channel.CALL_CENTRE,
        accept_price=True,
    )
    assert booked.status == Appointment.Status.BOOKED
