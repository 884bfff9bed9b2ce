"""TEL-3: "Pliki dla lekarza" on the visit page — the patient (or a guardian for a child's visit) attaches and
detaches the visit patient's stored files before the visit starts; afterwards they stay as they are."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from carenet.accounts.models import PatientRead
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.files.models import ConsultationFile, PatientFile
from carenet.files.tests.factories import PatientFileFactory
from tests.cast import Cast, with_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def files_cast(cast: Cast) -> Cast:
    return with_files(cast)


def attached_ids() -> list[int]:
    return list(ConsultationFile.objects.order_by("pk").values_list("file_id", flat=True))


def test_the_visit_page_lists_the_attached_files_and_offers_the_others(files_cast: Cast) -> None:
    cast = files_cast
    assert cast.file is not None and cast.spare_file is not None
    page = cast.client("patient").get(reverse("portal:visit", args=[cast.visit.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "Pliki dla lekarza" in html
    section = page.context["visit_files"]
    assert [row.file_id for row in section["attached"]] == [cast.file.pk]
    assert [file.pk for file in section["others"]] == [cast.spare_file.pk]
    assert "Wysypka na przedramieniu" in html and f'id="attach-file-{cast.spare_file.pk}"' in html
    assert reverse("portal:visit_file_detach", args=[cast.visit.pk, cast.file.pk]) in html
    assert "nie są częścią dokumentacji medycznej" in html
    assert not PatientRead.objects.exists()  # the patient's own reads are not recorded


def test_attaching_with_the_checkboxes_then_detaching(files_cast: Cast) -> None:
    cast = files_cast
    assert cast.file is not None and cast.spare_file is not None
    client = cast.client("patient")
    url = reverse("portal:visit_files", args=[cast.visit.pk])
    answer = client.post(url, {"file": [str(cast.spare_file.pk), str(cast.file.pk), "abc", "9" * 30]}, follow=True)
    assert answer.redirect_chain[-1][0].endswith(reverse("portal:visit", args=[cast.visit.pk]) + "#files")
    assert "Dołączono 1 plik" in answer.content.decode()
    assert attached_ids() == [cast.file.pk, cast.spare_file.pk]
    again = client.post(url, {"file": [str(cast.spare_file.pk)]}, follow=True)
    assert "nic nie zmieniono" in again.content.decode() and len(attached_ids()) == 2
    nothing = client.post(url, {}, follow=True)
    assert "Wybierz co najmniej jeden plik" in nothing.content.decode()
    detach = reverse("portal:visit_file_detach", args=[cast.visit.pk, cast.file.pk])
    done = client.post(detach, follow=True)
    assert "zostaje w Twoich plikach" in done.content.decode()
    assert attached_ids() == [cast.spare_file.pk] and PatientFile.objects.filter(pk=cast.file.pk).exists()


def test_after_the_start_the_page_says_why_and_a_post_changes_nothing(files_cast: Cast) -> None:
    cast = files_cast
    assert cast.file is not None and cast.spare_file is not None
    with time_machine.travel(cast.visit.slot.starts_at + dt.timedelta(minutes=1), tick=False):
        client = cast.client("patient")
        page = client.get(reverse("portal:visit", args=[cast.visit.pk])).content.decode()
        assert 'id="files-closed"' in page and "Wizyta się rozpoczęła" in page and 'id="attach-form"' not in page
        assert "Wysypka na przedramieniu" in page  # still shown, without "Odłącz"
        assert reverse("portal:visit_file_detach", args=[cast.visit.pk, cast.file.pk]) not in page
        refused = client.post(reverse("portal:visit_files", args=[cast.visit.pk]), {"file": cast.spare_file.pk})
        assert refused.status_code == 302
        followed = client.get(refused.headers["Location"]).content.decode()
        assert "Wizyta się rozpoczęła" in followed
        client.post(reverse("portal:visit_file_detach", args=[cast.visit.pk, cast.file.pk]))
    assert attached_ids() == [cast.file.pk]


def test_a_cancelled_visit_says_so(files_cast: Cast) -> None:
    cast = files_cast
    Appointment.objects.filter(pk=cast.visit.pk).update(status=Appointment.Status.CANCELLED, cancelled_at=clock.now())
    page = cast.client("patient").get(reverse("portal:visit", args=[cast.visit.pk])).content.decode()
    assert "Wizyta została odwołana" in page and 'id="attach-form"' not in page


def test_someone_elses_file_or_visit_is_404_and_nothing_changes(files_cast: Cast) -> None:
    cast = files_cast
    assert cast.file is not None and cast.spare_file is not None
    barbaras = PatientFileFactory(patient=cast.other_patient, delete_after=clock.now() + dt.timedelta(days=30))
    patient = cast.client("patient")
    url = reverse("portal:visit_files", args=[cast.visit.pk])
    assert patient.post(url, {"file": [str(cast.spare_file.pk), str(barbaras.pk)]}).status_code == 404
    assert (
        patient.post(reverse("portal:visit_files", args=[cast.other_visit.pk]), {"file": barbaras.pk}).status_code
        == 404
    )
    detach_barbaras = reverse("portal:visit_file_detach", args=[cast.visit.pk, barbaras.pk])
    assert patient.post(detach_barbaras).status_code == 404
    other = cast.client("other_patient")
    assert other.post(url, {"file": barbaras.pk}).status_code == 404
    assert other.post(reverse("portal:visit_file_detach", args=[cast.visit.pk, cast.file.pk])).status_code == 404
    for huge in (10**12, 2**63, 10**30):
        assert patient.post(reverse("portal:visit_file_detach", args=[cast.visit.pk, huge])).status_code == 404
        assert patient.post(reverse("portal:visit_files", args=[huge]), {"file": cast.spare_file.pk}).status_code == 404
    assert patient.get(url).status_code == 405
    assert attached_ids() == [cast.file.pk]


def test_a_guardian_attaches_the_childs_files_to_the_childs_visit_and_the_read_is_recorded(cast: Cast) -> None:
    kept = {"delete_after": clock.now() + dt.timedelta(days=60), "uploaded_by": cast.guardian.user}
    childs = PatientFileFactory(patient=cast.child, description="Wysypka u Zosi", **kept)
    parents = PatientFileFactory(patient=cast.guardian, description="Plik taty", **kept)
    guardian = cast.client("guardian")
    page = guardian.get(reverse("portal:visit", args=[cast.child_visit.pk]))
    html = page.content.decode()
    assert "Wysypka u Zosi" in html and "Plik taty" not in html
    assert ("piotr", cast.child.pk, "files") in PatientRead.objects.values_list(
        "reader__username", "patient_id", "what"
    )
    url = reverse("portal:visit_files", args=[cast.child_visit.pk])
    assert guardian.post(url, {"file": parents.pk}).status_code == 404
    assert guardian.post(url, {"file": childs.pk}).status_code == 302
    assert attached_ids() == [childs.pk]


def test_level_one_sees_how_to_get_it_and_cannot_attach(cast: Cast) -> None:
    from carenet.encounters.tests.helpers import visit_of
    from carenet.scheduling.models import Mode

    visit = visit_of(
        cast.level_one, cast.clinician_with, cast.consult, clock.now() + dt.timedelta(days=2), mode=Mode.PHONE
    )
    file = PatientFileFactory(patient=cast.level_one, delete_after=clock.now() + dt.timedelta(days=60))
    client = cast.client("level_one")
    page = client.get(reverse("portal:visit", args=[visit.pk])).content.decode()
    assert "Po potwierdzeniu tożsamości" in page and 'id="attach-form"' not in page
    assert client.post(reverse("portal:visit_files", args=[visit.pk]), {"file": file.pk}).status_code == 403
    assert not ConsultationFile.objects.exists()


def test_the_section_speaks_english(files_cast: Cast) -> None:
    cast = files_cast
    with translation.override("en"):
        url = reverse("portal:visit", args=[cast.visit.pk])
    assert url.startswith("/en/")
    page = cast.client("patient").get(url).content.decode()
    assert "Files for the clinician" in page and "Your other files" in page and ">Attach<" in page
