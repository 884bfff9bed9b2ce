"""What a review of the access model found (issue 10), each reproduced against the role cast."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from carenet.accounts.models import PatientRead, User
from carenet.api.auth import token_issue
from carenet.booking.models import Appointment
from carenet.core import clock
from tests.cast import ROLES, Cast, _slot

pytestmark = pytest.mark.django_db


def test_reception_cannot_open_the_booking_step_for_a_slot_elsewhere(cast: Cast) -> None:
    """The step shows the patient's referrals and coverage: for a slot at another facility it does not exist."""
    elsewhere = _slot(
        clinician=cast.clinician_without,
        facility=cast.elsewhere,
        service=cast.consult,
        starts_at=cast.free_slot.starts_at + dt.timedelta(days=1),
    )
    url = reverse("staff:book", args=[cast.patient.pk, elsewhere.pk]) + "?service=" + cast.consult.code
    assert cast.client("receptionist_here").get(url).status_code == 404
    assert cast.client("receptionist_elsewhere").get(url).status_code == 200
    assert cast.client("call_centre").get(url).status_code == 200
    assert not PatientRead.objects.filter(reader__username="recepcja-mokotow").exists()
    assert PatientRead.objects.filter(reader__username="recepcja-wola", what="patient_page").exists()


def test_the_back_office_is_for_the_table_s_back_office_roles(cast: Cast) -> None:
    """Administrators and coordinators enter; a login with Django's staff flag but no back-office role does not."""
    entered = {role for role in ROLES if cast.client(role).get(reverse("admin:index")).status_code == 200}
    assert entered == {"admin", "coordinator"}
    flagged = cast.users["patient"]
    assert flagged is not None
    User.objects.filter(pk=flagged.pk).update(is_staff=True)
    response = cast.client("patient").get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response.headers["Location"]


def test_the_back_office_records_its_reads(cast: Cast) -> None:
    client = cast.client("admin")
    assert client.get(reverse("admin:booking_appointment_changelist")).status_code == 200
    listed = set(
        PatientRead.objects.filter(door="back_office", what="patient_search").values_list("patient_id", flat=True)
    )
    assert {cast.patient.pk, cast.other_patient.pk, cast.child.pk} <= listed
    assert client.get(reverse("admin:accounts_patient_change", args=[cast.other_patient.pk])).status_code == 200
    assert PatientRead.objects.filter(door="back_office", what="patient_page", patient=cast.other_patient).exists()


def test_a_refused_api_read_records_nothing(cast: Cast) -> None:
    """ACC-4 before the record: a level I guardian asking for a child's past visit gets 403 and leaves no row."""
    cast.guardian.account_level = 1
    cast.guardian.save(update_fields=["account_level"])
    Appointment.objects.filter(pk=cast.child_visit.pk).update(status=Appointment.Status.CANCELLED)
    token, _ = token_issue(user=cast.users["guardian"], name="app", now=clock.now())  # type: ignore[arg-type]
    answer = cast.client("anonymous").get(
        f"/api/v1/appointments/{cast.child_visit.pk}", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert answer.status_code == 403 and answer.json()["code"] == "level_two_required"
    assert not PatientRead.objects.exists()


def test_staff_coverage_searches_through_the_api_are_recorded(cast: Cast) -> None:
    token, _ = token_issue(user=cast.users["call_centre"], name="desk", now=clock.now())  # type: ignore[arg-type]
    answer = cast.client("anonymous").get(
        "/api/v1/slots",
        {"specialty": "interna", "patient_id": cast.other_patient.pk},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert answer.status_code == 200
    assert PatientRead.objects.filter(patient=cast.other_patient, door="api", reader__username="infolinia").exists()


@pytest.mark.parametrize(
    ("role", "name", "method", "data"),
    [
        ("call_centre", "staff:patients", "post", {"q": "Nowak", "page": "²"}),
        ("call_centre", "staff:patients", "post", {"q": "Now\x00ak"}),
        ("call_centre", "staff:reception", "get", {"page": "²"}),
        ("call_centre", "staff:reception", "get", {"facility": "²"}),
        ("admin", "staff:reception_entrance", "get", {"facility": "٣"}),
        ("patient", "portal:search", "get", {"specialty": "interna", "page": "²"}),
    ],
)
def test_other_digits_and_control_characters_are_refused_not_a_server_error(
    cast: Cast, role: str, name: str, method: str, data: dict[str, str]
) -> None:
    response = getattr(cast.client(role), method)(reverse(name), data)
    assert response.status_code in (200, 422)


def test_a_no_show_lift_with_other_digits_or_a_nul_changes_nothing(cast: Cast) -> None:
    url = reverse("staff:patient_no_shows", args=[cast.patient.pk])
    client = cast.client("call_centre")
    for data in ({"specialty": "²", "reason": "x"}, {"specialty": str(cast.consult.specialty_id), "reason": "a\x00b"}):
        assert client.post(url, data).status_code in (302, 422)
    assert not cast.patient.no_show_lifts.exists()
