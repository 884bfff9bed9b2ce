"""Every read of a patient's data through a door is recorded (CLN-6, issue 10): who, whose, what, which door —
and the patient's own reads are not."""

from __future__ import annotations

import pytest
from django.urls import reverse

from carenet.accounts.models import PatientRead
from carenet.api.auth import token_issue
from carenet.core import clock
from tests.cast import Cast, with_consultation

pytestmark = pytest.mark.django_db


def reads() -> list[tuple[str, int, str, str]]:
    return list(PatientRead.objects.order_by("pk").values_list("reader__username", "patient_id", "what", "door"))


def test_a_staff_search_records_every_patient_it_lists(cast: Cast) -> None:
    cast.client("call_centre").post(reverse("staff:patients"), {"q": "Nowak"})
    assert reads() == [("infolinia", cast.patient.pk, "patient_search", "staff")]


def test_the_staff_patient_page_and_its_panels_are_recorded(cast: Cast) -> None:
    client = cast.client("receptionist_here")
    client.get(reverse("staff:patient", args=[cast.patient.pk]))
    client.get(reverse("staff:patient_no_shows", args=[cast.patient.pk]))
    client.get(reverse("staff:cancel", args=[cast.visit.pk]))
    assert reads() == [
        ("recepcja-mokotow", cast.patient.pk, "patient_page", "staff"),
        ("recepcja-mokotow", cast.patient.pk, "no_shows", "staff"),
        ("recepcja-mokotow", cast.patient.pk, "visit", "staff"),
    ]
    row = PatientRead.objects.last()
    assert row is not None and row.role == "receptionist" and row.facility_id == cast.here.pk


def test_the_reception_day_list_records_the_patients_it_shows(cast: Cast) -> None:
    day = clock.local(cast.visit.slot.starts_at).date()
    cast.client("receptionist_here").get(reverse("staff:reception"), {"date": day.isoformat()})
    assert {patient for _, patient, what, _ in reads() if what == "visit_list"} == {
        cast.patient.pk,
        cast.other_patient.pk,
        cast.child.pk,
    }


def test_an_ecard_check_is_a_read_of_the_holders_data(cast: Cast) -> None:
    number = cast.patient.enrolments.get().ecard_number
    cast.client("partner_staff").get(reverse("staff:ecard_verify"), {"number": number})
    assert reads() == [("partner", cast.patient.pk, "ecard_check", "staff")]


def test_the_api_records_lists_and_details_through_the_api_door(cast: Cast) -> None:
    token, _ = token_issue(user=cast.users["call_centre"], name="desk", now=clock.now())  # type: ignore[arg-type]
    client = cast.client("anonymous")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/v1/appointments", {"patient_id": cast.patient.pk}, **auth).status_code == 200
    assert client.get(f"/api/v1/appointments/{cast.visit.pk}", **auth).status_code == 200
    assert reads() == [
        ("infolinia", cast.patient.pk, "api_list", "api"),
        ("infolinia", cast.patient.pk, "api_detail", "api"),
    ]


def test_a_guardian_reading_a_childs_visits_is_recorded_the_patients_own_reads_are_not(cast: Cast) -> None:
    cast.client("patient").get(reverse("portal:visits"))
    cast.client("patient").get(reverse("portal:visit", args=[cast.visit.pk]))
    assert reads() == []
    guardian = cast.client("guardian")
    guardian.get(reverse("portal:visits"))
    guardian.get(reverse("portal:visit", args=[cast.child_visit.pk]))
    assert reads() == [("piotr", cast.child.pk, "visit_list", "portal"), ("piotr", cast.child.pk, "visit", "portal")]


def test_a_refused_read_records_nothing(cast: Cast) -> None:
    assert cast.client("clinician_without").get(reverse("staff:patient", args=[cast.patient.pk])).status_code == 404
    assert cast.client("receptionist_elsewhere").get(reverse("staff:cancel", args=[cast.visit.pk])).status_code == 404
    assert reads() == []


def test_the_patient_sees_who_read_their_data(cast: Cast) -> None:
    cast.client("receptionist_here").get(reverse("staff:patient", args=[cast.patient.pk]))
    page = cast.client("patient").get(reverse("portal:reads_of_my_data")).content.decode()
    assert "CareNet Centrum Medyczne Mokotów" in page
    assert "recepcja-mokotow" not in page  # role and facility, never the staff member's login or name


def test_a_guardians_read_of_a_childs_online_consultations_is_recorded(cast: Cast) -> None:
    """TEL-2, CLN-6: the "Konsultacje online" page of a guardian records the child's lines and consultations read;
    the patient reading her own consultation records nothing."""
    cast = with_consultation(cast)
    assert cast.consultation is not None
    cast.client("patient").get(reverse("portal:consultation", args=[cast.consultation.pk]))
    assert reads() == []
    cast.client("guardian").get(reverse("portal:consultations"))
    assert reads() == [("piotr", cast.child.pk, "consultations", "portal")]


def test_the_closure_pages_record_the_moved_patients_they_name(cast: Cast) -> None:
    """NET-3: the coordinator's closure page and the call centre's list name the moved patients and their visits."""
    import datetime as dt

    from carenet.closures.models import ClosureNotice
    from tests.cast import with_closure

    with_closure(cast)
    assert cast.closure is not None
    cast.client("coordinator").get(reverse("staff:closure", args=[cast.closure.pk]))
    ClosureNotice.objects.update(created_at=clock.now() - dt.timedelta(hours=25))  # not rebooked within a day
    cast.client("call_centre").get(reverse("staff:closure_calls"))
    assert reads() == [
        ("koordynator", cast.patient.pk, "visit_list", "staff"),
        ("infolinia", cast.patient.pk, "visit_list", "staff"),
    ]
