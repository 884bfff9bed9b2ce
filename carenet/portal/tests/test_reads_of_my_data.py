"""CLN-6, ACC-4, issue 10: "Kto oglądał moje dane" — a level II patient sees who read their data and their
children's (role and facility, never a staff member's name), never another patient's; level I gets the
explanation page (403); anonymous visitors go to the login; staff get the 403 page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from carenet.accounts.models import Patient, User
from carenet.accounts.reads import Door, What, patient_reads_record
from carenet.accounts.selectors import actor_for_user
from carenet.accounts.tests.factories import PatientFactory, UserFactory
from carenet.coverage.tests.factories import EnrolmentFactory
from carenet.network.tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db

# 09:30 UTC is 10:30 in Warsaw in December.
AT = dt.datetime(2026, 12, 4, 9, 30, tzinfo=dt.UTC)


def url(**query: object) -> str:
    with translation.override("en"):
        address = reverse("portal:reads_of_my_data")
    return address + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")


def logged_in(patient: Patient) -> Client:
    if not patient.enrolments.exists():
        EnrolmentFactory(patient=patient)  # ACC-7: the portal is for patients with a package in force
    client = Client()
    client.force_login(patient.user)
    return client


def receptionist_reads(*patients: Patient, what: str = What.PATIENT_PAGE, at: dt.datetime = AT) -> User:
    facility = FacilityFactory(name="Centrum Mokotów")
    staff = UserFactory(
        username="recepcja-mokotow", first_name="Krystyna", last_name="Zawadzka", role="receptionist", facility=facility
    )
    patient_reads_record(
        actor=actor_for_user(staff),
        patient_ids=[patient.pk for patient in patients],
        what=What(what),
        door=Door.STAFF,
        now=at,
    )
    return staff


def test_the_addresses_are_polish_and_english() -> None:
    assert reverse("portal:reads_of_my_data") == "/kto-ogladal-moje-dane/"
    assert url() == "/en/who-viewed-my-data/"


def test_a_patient_sees_who_read_their_data_by_role_and_facility_in_warsaw_time() -> None:
    patient = PatientFactory()
    staff = receptionist_reads(patient)
    response = logged_in(patient).get(url())
    assert response.status_code == 200
    content = response.content.decode()
    assert "Who viewed my data" in content
    assert "Receptionist, Centrum Mokotów" in content
    assert "Patient page" in content and "Staff console" in content
    assert "4.12.2026,<br>10:30" in content
    assert staff.last_name not in content and staff.username not in content


def test_the_page_is_polish_by_default() -> None:
    patient = PatientFactory()
    receptionist_reads(patient)
    content = logged_in(patient).get("/kto-ogladal-moje-dane/").content.decode()
    assert "Kto oglądał moje dane" in content
    assert "Pracownik recepcji, Centrum Mokotów" in content and "Strona pacjenta" in content
    assert "Konsola personelu" in content


def test_a_guardian_sees_their_childs_reads_and_never_another_patients() -> None:
    guardian = PatientFactory()
    child = PatientFactory(child=True, guardian=guardian)
    stranger = PatientFactory()
    receptionist_reads(child, what=What.ECARD_CHECK)
    patient_reads_record(
        actor=actor_for_user(UserFactory(role="call_centre")),
        patient_ids=[stranger.pk],
        what=What.VISIT_LIST,
        door=Door.API,
        now=AT,
    )
    client = logged_in(guardian)

    own = client.get(url()).content.decode()
    assert "Nobody has viewed this data yet." in own
    assert f'<option value="{child.pk}"' in own

    childs = client.get(url(who=child.pk)).content.decode()
    assert f'data-patient="{child.pk}"' in childs and "E-Karta check" in childs

    # Another patient's id falls back to the patient's own data; the stranger's read never shows.
    other = client.get(url(who=stranger.pk)).content.decode()
    assert f'data-patient="{guardian.pk}"' in other
    assert "List of visits" not in other and "Nobody has viewed this data yet." in other
    assert "List of visits" in logged_in(stranger).get(url()).content.decode()


def test_level_one_gets_the_explanation_and_no_reads() -> None:
    patient = PatientFactory(account_level=Patient.Level.BASIC)
    receptionist_reads(patient)
    response = logged_in(patient).get(url())
    assert response.status_code == 403
    content = response.content.decode()
    assert 'id="level-two-required"' in content and "Centrum Mokotów" not in content


def test_anonymous_goes_to_the_login_and_staff_get_the_403_page() -> None:
    response = Client().get(url())
    assert response.status_code == 302 and "/en/login/" in response["Location"]
    staff = Client()
    staff.force_login(UserFactory(role="call_centre"))
    assert staff.get(url()).status_code == 403


@pytest.mark.parametrize("count", [5, 50])
def test_the_page_answers_in_constant_queries_and_pages_the_reads(count: int) -> None:
    patient = PatientFactory()
    for minute in range(count):
        receptionist_reads(patient, at=AT + dt.timedelta(minutes=minute))
    client = logged_in(patient)
    client.get(url())  # the session and the first-request caches, as for any page
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url())
    assert response.status_code == 200
    assert response.content.decode().count("<tr data-read=") == min(count, 25)
    assert ("Page 1 of 2" in response.content.decode()) is (count > 25)
    assert len(captured) == QUERIES_OF_THE_PAGE, "\n".join(q["sql"][:200] for q in captured)


#: The session; the login with its two-step device, its patient record, whether it has children and whether its
#: package is in force (ACC-7), in one statement (issue 16); the reads' count and page. The same for 5 reads as for 50.
QUERIES_OF_THE_PAGE = 4


def test_my_account_links_to_the_page() -> None:
    patient = PatientFactory()
    with translation.override("en"):
        account = reverse("portal:account")
    content = logged_in(patient).get(account).content.decode()
    assert f'href="{url()}"' in content
