"""Pregnancy care through its doors (BKG-7): the patient's page, the call centre's form, the coordinators' queue and
resolution, the clinician's visit page and the API — each one service call, reads recorded, bad input refused
without a trace."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.urls import reverse

from carenet.accounts.models import PatientRead
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.messaging.models import OutboundMessage
from carenet.network.tests.factories import ClinicianFactory
from carenet.pregnancy.models import PregnancyCare, PregnancyRequest
from carenet.pregnancy.tests.factories import PregnancyRequestFactory, pregnancy_service, slot_for
from carenet.scheduling.models import Mode


def _form(cast: Any, **changes: str) -> dict[str, str]:
    return {
        "name": "Anna Nowak",
        "phone": "601 234 567",
        "failed_facility": str(cast.here.pk),
        "wanted_city": str(cast.here.city_id),
        "mode": "in_person",
        "note": "Przychodnia zamknięta.",
    } | changes


def test_patient_page_prefills_and_files_a_request(cast: Any) -> None:
    client = cast.client("patient")
    url = reverse("portal:pregnancy_request")
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="Anna Nowak"' in page.content.decode()
    answer = client.post(url, _form(cast))
    assert answer.status_code == 302
    filed = PregnancyRequest.objects.get()
    assert filed.channel == "portal" and filed.failed_facility == cast.here
    assert 'data-status="open"' in client.get(url).content.decode()


@pytest.mark.parametrize(
    "changes",
    [
        {"phone": "abc"},
        {"wanted_city": "99999999999999999999999"},
        {"mode": "😀"},
        {"name": "a\x00b"},
        {"failed_facility": "-1"},
        {"note": "x" * 501},
    ],
)
def test_bad_input_on_the_page_is_explained_and_stores_nothing(cast: Any, changes: dict[str, str]) -> None:
    answer = cast.client("patient").post(reverse("portal:pregnancy_request"), _form(cast, **changes))
    assert answer.status_code == 422
    assert "error-summary" in answer.content.decode() or "errorlist" in answer.content.decode()
    assert not PregnancyRequest.objects.exists()


def test_call_centre_files_for_the_caller_and_the_read_is_recorded(cast: Any) -> None:
    client = cast.client("call_centre")
    url = reverse("staff:pregnancy_request_new", args=[cast.patient.pk])
    assert client.get(url).status_code == 200
    answer = client.post(url, _form(cast, mode="telemedicine"))
    filed = PregnancyRequest.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse("staff:pregnancy_request", args=[filed.pk])
    assert filed.channel == "call_centre"
    assert PatientRead.objects.filter(reader=cast.user("call_centre"), patient=cast.patient).exists()


@pytest.fixture
def waiting(cast: Any) -> Any:
    """Anna's pregnancy led at Mokotów, her open request for a visit in Warsaw; a free pregnancy visit at Wola."""
    service = pregnancy_service(cast.patient.enrolments.get().tier)
    gynaecologist = ClinicianFactory(first_name="Maria", last_name="Lewandowska")
    PregnancyCare.objects.create(
        patient=cast.patient, facility=cast.here, started_on=clock.today(), recorded_by=cast.user("clinician_with")
    )
    cast.wola_slot = slot_for(service=service, clinician=gynaecologist, facility=cast.elsewhere)
    cast.phone_slot = slot_for(
        service=service,
        clinician=gynaecologist,
        facility=None,
        mode=Mode.PHONE,
        starts_at=cast.wola_slot.starts_at + dt.timedelta(hours=2),
    )
    cast.request = PregnancyRequestFactory(patient=cast.patient, wanted_city=cast.here.city, failed_facility=cast.here)
    return cast


def test_coordinator_resolves_with_a_free_time_where_she_asked(waiting: Any) -> None:
    client = waiting.client("coordinator")
    queue = client.get(reverse("staff:pregnancy_requests"), {"city": str(waiting.here.city_id)})
    assert f'data-pregnancy-request="{waiting.request.pk}"' in queue.content.decode()
    detail = client.get(reverse("staff:pregnancy_request", args=[waiting.request.pk])).content.decode()
    assert f'data-slot="{waiting.wola_slot.pk}"' in detail
    assert f'data-slot="{waiting.phone_slot.pk}"' not in detail  # she asked for a visit in person
    answer = client.post(
        reverse("staff:pregnancy_request_book", args=[waiting.request.pk]), {"slot": waiting.wola_slot.pk}
    )
    assert answer.status_code == 302
    waiting.request.refresh_from_db()
    assert waiting.request.status == PregnancyRequest.Status.BOOKED
    visit = Appointment.objects.get(pk=waiting.request.appointment_id)
    assert visit.slot_id == waiting.wola_slot.pk and visit.channel == "call_centre"
    assert (
        OutboundMessage.objects.filter(key=f"pregnancy-request-resolved:pregnancyrequest:{waiting.request.pk}").count()
        == 1
    )
    assert PatientRead.objects.filter(reader=waiting.user("coordinator"), patient=waiting.patient).exists()
    # The patient sees the status and her visit.
    page = waiting.client("patient").get(reverse("portal:pregnancy_request")).content.decode()
    assert 'data-status="booked"' in page


def test_a_slot_not_offered_is_refused_and_nothing_changes(waiting: Any) -> None:
    client = waiting.client("coordinator")
    url = reverse("staff:pregnancy_request_book", args=[waiting.request.pk])
    for slot in (waiting.phone_slot.pk, waiting.free_slot.pk, "2" * 30, "x"):
        assert client.post(url, {"slot": slot}).status_code == 409
    waiting.request.refresh_from_db()
    assert waiting.request.status == PregnancyRequest.Status.OPEN and not OutboundMessage.objects.exists()


def test_coordinator_declines_with_a_reason(waiting: Any) -> None:
    client = waiting.client("coordinator")
    url = reverse("staff:pregnancy_request_decline", args=[waiting.request.pk])
    assert client.post(url, {"reason": ""}).status_code == 422
    assert client.post(url, {"reason": "Brak wolnych terminów, zapraszamy na teleporadę."}).status_code == 302
    waiting.request.refresh_from_db()
    assert waiting.request.status == PregnancyRequest.Status.DECLINED
    assert client.post(url, {"reason": "Jeszcze raz"}).status_code == 409


def test_clinician_records_from_the_visit_page(cast: Any) -> None:
    client = cast.client("clinician_with")
    page = client.get(reverse("staff:clinician_visit", args=[cast.visit.pk])).content.decode()
    assert reverse("staff:pregnancy_care_visit", args=[cast.visit.pk]) in page
    answer = client.post(reverse("staff:pregnancy_care_visit", args=[cast.visit.pk]))
    assert answer.status_code == 302
    care = PregnancyCare.objects.get()
    assert care.facility == cast.here and care.clinician == cast.clinician_with
    page = client.get(reverse("staff:clinician_visit", args=[cast.visit.pk])).content.decode()
    assert f'data-care="{care.pk}"' in page
    client.post(reverse("staff:pregnancy_care_end", args=[care.pk]), {"next": "https://evil.example/"})
    care.refresh_from_db()
    assert care.ended_on == clock.today()


def test_api_files_and_lists_own_requests(cast: Any) -> None:
    client = cast.client("patient")
    body = {"name": "Anna Nowak", "phone": "601234567", "wanted_city_id": cast.here.city_id, "mode": "telemedicine"}
    created = client.post("/api/v1/pregnancy-requests", json.dumps(body), content_type="application/json")
    assert created.status_code == 201 and created.json()["status"] == "open"
    listed = client.get("/api/v1/pregnancy-requests").json()
    assert [item["id"] for item in listed["results"]] == [created.json()["id"]]
    again = client.post("/api/v1/pregnancy-requests", json.dumps(body), content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "pregnancy_request_already_open"


@pytest.mark.parametrize(
    "changes",
    [{"phone": "x"}, {"mode": "drone"}, {"wanted_city_id": 2**70}, {"name": "\x00"}, {"wanted_city_id": True}],
)
def test_api_refuses_bad_input_with_a_code(cast: Any, changes: dict[str, Any]) -> None:
    body = {"name": "Anna Nowak", "phone": "601234567", "wanted_city_id": cast.here.city_id, "mode": "in_person"}
    answer = cast.client("patient").post(
        "/api/v1/pregnancy-requests", json.dumps(body | changes), content_type="application/json"
    )
    assert answer.status_code == 422 and answer.json()["code"]
    assert not PregnancyRequest.objects.exists()


@pytest.mark.parametrize("role", ["patient", "call_centre"])
def test_an_empty_form_is_explained(cast: Any, role: str) -> None:
    url = (
        reverse("portal:pregnancy_request")
        if role == "patient"
        else reverse("staff:pregnancy_request_new", args=[cast.patient.pk])
    )
    answer = cast.client(role).post(url, {})
    assert answer.status_code == 422 and "error-summary" in answer.content.decode()
    assert not PregnancyRequest.objects.exists()


def test_the_portal_search_hides_a_pregnancy_visit_elsewhere_and_points_to_the_request(waiting: Any) -> None:
    day = clock.local(waiting.wola_slot.starts_at).date()
    params = {"specialty": "ginekologia-ciaza", "date_from": day.isoformat(), "date_to": day.isoformat()}
    html = waiting.client("patient").get(reverse("portal:search"), params).content.decode()
    assert 'data-reason="pregnancy_care_elsewhere"' in html
    assert reverse("portal:pregnancy_request") in html
    assert reverse("portal:book", args=[waiting.wola_slot.pk]) not in html
