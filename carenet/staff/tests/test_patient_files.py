"""FIL-1, TEL-3, CLN-6: the clinician's "Pliki od pacjenta" on the visit page and the download — for a clinician
with a relationship to the patient only; every list and download recorded, a refusal records nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from carenet.accounts.models import PatientRead
from carenet.accounts.tests.factories import PatientFactory
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.encounters.tests.helpers import visit_of
from carenet.files.tests.factories import ConsultationFileFactory, PatientFileFactory, png_bytes
from carenet.scheduling.models import Mode
from tests.cast import Cast, with_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def files_cast(cast: Cast) -> Cast:
    return with_files(cast)


def reads() -> list[tuple[str, int, str, str]]:
    return list(
        PatientRead.objects.filter(what="files")
        .order_by("pk")
        .values_list("reader__username", "patient_id", "reference", "door")
    )


def test_the_visits_clinician_sees_the_attached_files_first_then_the_others(files_cast: Cast) -> None:
    cast = files_cast
    assert cast.file is not None and cast.spare_file is not None
    page = cast.client("clinician_with").get(reverse("staff:clinician_visit", args=[cast.visit.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "Pliki od pacjenta" in html
    section = page.context["patient_files"]
    assert [row.file_id for row in section["attached"]] == [cast.file.pk]
    assert [file.pk for file in section["others"]] == [cast.spare_file.pk]
    assert html.index("Wysypka na przedramieniu") < html.index("Morfologia z innego laboratorium")
    assert reverse("staff:patient_file", args=[cast.file.pk]) in html
    assert "nie są częścią dokumentacji medycznej" in html and "3 miesiące" in html
    assert reads() == [("lekarz-kowalski", cast.patient.pk, f"visit:{cast.visit.pk}", "staff")]


def test_the_download_is_an_attachment_and_a_recorded_read(files_cast: Cast) -> None:
    cast = files_cast
    assert cast.file is not None
    answer = cast.client("clinician_with").get(reverse("staff:patient_file", args=[cast.file.pk]))
    assert answer.status_code == 200
    assert answer["Content-Type"] == "image/png" and answer["X-Content-Type-Options"] == "nosniff"
    assert (
        answer["Content-Disposition"].startswith("attachment;")
        and "zmiana_na_rece.png" in answer["Content-Disposition"]
    )
    assert "no-store" in answer["Cache-Control"]
    assert b"".join(answer.streaming_content) == png_bytes()
    assert reads() == [("lekarz-kowalski", cast.patient.pk, str(cast.file.pk), "staff")]


def test_a_clinician_who_treated_the_patient_before_sees_the_files_too(files_cast: Cast) -> None:
    cast = files_cast
    assert cast.file is not None
    visit_of(
        cast.patient,
        cast.clinician_without,
        cast.consult,
        clock.now() - dt.timedelta(days=40),
        facility=cast.here,
        status=Appointment.Status.COMPLETED,
    )
    client = cast.client("clinician_without")
    page = client.get(reverse("staff:clinician_visit", args=[cast.visit.pk]))
    assert page.status_code == 200 and page.context["patient_files"] is not None
    assert client.get(reverse("staff:patient_file", args=[cast.file.pk])).status_code == 200


def test_a_clinician_without_a_relationship_gets_404_and_nothing_is_recorded(files_cast: Cast) -> None:
    cast = files_cast
    assert cast.file is not None
    client = cast.client("clinician_without")
    for file_id in (cast.file.pk, 0, 2**31, 10**15, 2**63, 10**30):
        assert client.get(f"/staff/files/{file_id}/").status_code == 404
    assert not PatientRead.objects.exists()


@pytest.mark.parametrize(
    "role", ["receptionist_here", "call_centre", "coordinator", "partner_staff", "admin", "patient"]
)
def test_reception_the_call_centre_and_the_others_never_see_files(files_cast: Cast, role: str) -> None:
    cast = files_cast
    assert cast.file is not None
    assert cast.client(role).get(reverse("staff:patient_file", args=[cast.file.pk])).status_code == 403
    assert not PatientRead.objects.exists()


def test_a_file_past_its_time_is_not_served_even_before_the_sweep(files_cast: Cast) -> None:
    cast = files_cast
    assert cast.file is not None
    type(cast.file).objects.filter(pk=cast.file.pk).update(delete_after=clock.now() - dt.timedelta(minutes=1))
    assert cast.client("clinician_with").get(reverse("staff:patient_file", args=[cast.file.pk])).status_code == 404


def test_the_visit_page_is_flat_in_the_number_of_files(cast: Cast) -> None:
    url = reverse("staff:clinician_visit", args=[cast.visit.pk])
    kept = {"patient": cast.patient, "delete_after": clock.now() + dt.timedelta(days=30)}

    def queries() -> int:
        client = cast.client("clinician_with")
        client.get(url)  # warm: the session, the actor
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    ConsultationFileFactory(file=PatientFileFactory(**kept), appointment=cast.visit)
    PatientFileFactory(**kept)
    few = queries()
    for _ in range(4):
        ConsultationFileFactory(file=PatientFileFactory(**kept), appointment=cast.visit)
        PatientFileFactory(**kept)
    assert queries() == few


def test_the_section_speaks_english(files_cast: Cast) -> None:
    cast = files_cast
    with translation.override("en"):
        url = reverse("staff:clinician_visit", args=[cast.visit.pk])
    page = cast.client("clinician_with").get(url).content.decode()
    assert "Files from the patient" in page and "Attached to this visit" in page and "Download" in page


def test_the_day_and_call_lists_show_how_many_files_in_one_query_for_the_day(cast: Cast) -> None:
    """TEL-3: each row with attached files says how many and links to them; the queries do not grow with the rows."""
    day = clock.today() + dt.timedelta(days=3)
    client = cast.client("clinician_with")

    def day_of(count: int, hour: int) -> list[Appointment]:
        visits = []
        for minute in range(count):
            starts = clock.at_warsaw(day, dt.time(hour, minute))
            patient = PatientFactory()
            visit = visit_of(patient, cast.clinician_with, cast.consult, starts, mode=Mode.PHONE)
            file = PatientFileFactory(patient=patient, delete_after=clock.now() + dt.timedelta(days=30))
            ConsultationFileFactory(file=file, appointment=visit)
            visits.append(visit)
        return visits

    def counted() -> dict[str, int]:
        found = {}
        for name in ("staff:dashboard", "staff:clinician_calls"):
            with CaptureQueriesContext(connection) as captured:
                page = client.get(reverse(name), {"date": day.isoformat()})
            assert page.status_code == 200
            found[name] = len(captured.captured_queries)
        return found

    first = day_of(2, 8)
    few = counted()
    day_of(12, 9)
    assert counted() == few
    page = client.get(reverse("staff:dashboard"), {"date": day.isoformat()})
    assert all(row["files"] == 1 for row in page.context["rows"])
    html = page.content.decode()
    assert reverse("staff:clinician_visit", args=[first[0].pk]) + "#patient-files" in html
    assert "1 plik od pacjenta" in html
    calls = client.get(reverse("staff:clinician_calls"), {"date": day.isoformat()}).content.decode()
    assert "1 plik od pacjenta" in calls
