"""NET-3 through the doors: the coordinator's closure form and page, the call centre's list, the portal's
alternatives with one tap to rebook, and the same in the JSON API — each one service call."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from carenet.booking.models import Appointment
from carenet.closures.models import ClosureNotice
from carenet.core import clock
from carenet.messaging.models import OutboundMessage
from carenet.network.models import FacilityClosure
from carenet.scheduling.models import Slot
from tests.cast import Cast, with_closure

pytestmark = pytest.mark.django_db


def _local(moment: dt.datetime) -> str:
    return clock.local(moment).strftime("%Y-%m-%dT%H:%M")


def test_the_coordinator_closes_a_facility_and_sees_the_figures(cast: Cast) -> None:
    client = cast.client("coordinator")
    assert client.get(reverse("staff:closure_new")).status_code == 200
    starts = cast.visit.slot.starts_at - dt.timedelta(hours=1)
    answer = client.post(
        reverse("staff:closure_new"),
        {
            "facility": cast.here.pk,
            "starts_at": _local(starts),
            "ends_at": _local(starts + dt.timedelta(days=1)),
            "reason": "Awaria zasilania",
        },
        follow=True,
    )
    assert answer.status_code == 200
    closure = FacilityClosure.objects.get(reason="Awaria zasilania")
    cast.visit.refresh_from_db()
    assert cast.visit.status == Appointment.Status.CANCELLED
    page = answer.content.decode()
    assert "Anna" in page and 'data-figure="moved">3<' in page and 'data-figure="to_call">3<' in page
    assert OutboundMessage.objects.filter(purpose="closure").count() == 3  # Anna, Barbara, Zosia (her father's phone)
    assert client.get(reverse("staff:closures")).content.decode().count(f'data-closure="{closure.pk}"') == 1
    reopened = client.post(reverse("staff:closure_reopen", args=[closure.pk]), follow=True).content.decode()
    assert 'id="reopened-note"' in reopened
    cast.visit.refresh_from_db()
    assert cast.visit.status == Appointment.Status.CANCELLED


def test_bad_input_gets_a_clear_message_and_changes_nothing(cast: Cast) -> None:
    client = cast.client("coordinator")
    for data in (
        {"facility": cast.here.pk, "starts_at": "9999-12-31T23:00", "ends_at": "9999-12-31T23:30", "reason": "x"},
        {"facility": cast.here.pk, "starts_at": "2099-01-02T08:00", "ends_at": "2099-01-01T08:00", "reason": "x"},
        {"facility": cast.here.pk, "starts_at": "2099-01-01T08:00", "ends_at": "2099-01-02T08:00", "reason": "a\x00"},
        {"facility": "99999999999999999999", "starts_at": "x", "ends_at": "", "reason": ""},
        {"facility": cast.partner.pk, "starts_at": "2099-01-01T08:00", "ends_at": "2099-01-02T08:00", "reason": "x"},
    ):
        answer = client.post(reverse("staff:closure_new"), data)
        assert answer.status_code == 422, data
        assert 'role="alert"' in answer.content.decode() or "error" in answer.content.decode()
    assert not FacilityClosure.objects.exists()


def test_the_patient_rebooks_from_the_alternatives_with_one_tap(cast: Cast) -> None:
    with_closure(cast)
    assert cast.closure_notice is not None
    client = cast.client("patient")
    url = reverse("portal:closure_alternatives", args=[cast.closure_notice.pk])
    visits = client.get(reverse("portal:visits")).content.decode()
    assert url in visits  # "Moje wizyty" links to it
    page = client.get(url).content.decode()
    assert "Kwarantanna lekarza" in page and "CareNet Centrum Medyczne Wola" in page
    answer = client.post(url, {"slot": cast.free_slot.pk})
    assert answer.status_code == 302
    notice = ClosureNotice.objects.get(pk=cast.closure_notice.pk)
    assert notice.rebooked is not None and notice.rebooked.slot_id == cast.free_slot.pk
    assert answer["Location"] == reverse("portal:visit", args=[notice.rebooked.pk])
    again = client.post(url, {"slot": cast.free_slot.pk})
    assert again.status_code == 422
    for bad in ("", "abc", "99999999999999999999999", "\x00"):
        assert client.post(url, {"slot": bad}).status_code == 422


def test_the_call_centre_records_a_call(cast: Cast) -> None:
    with_closure(cast)
    assert cast.closure_notice is not None
    client = cast.client("call_centre")
    assert "Anna" not in client.get(reverse("staff:closure_calls")).content.decode()  # less than a day
    ClosureNotice.objects.filter(pk=cast.closure_notice.pk).update(created_at=clock.now() - dt.timedelta(hours=25))
    page = client.get(reverse("staff:closure_calls")).content.decode()
    assert "Anna Nowak" in page and cast.patient.mobile in page
    answer = client.post(
        reverse("staff:closure_called", args=[cast.closure_notice.pk]), {"note": "Umówi się sama"}, follow=True
    )
    assert answer.status_code == 200
    too_long = client.post(reverse("staff:closure_called", args=[cast.closure_notice.pk]), {"note": "x" * 501})
    assert too_long.status_code == 422
    notice = ClosureNotice.objects.get(pk=cast.closure_notice.pk)
    assert notice.note == "Umówi się sama" and notice.called_by == cast.users["call_centre"]


def test_the_api_lists_notices_with_alternatives_and_rebooks(cast: Cast) -> None:
    with_closure(cast)
    assert cast.closure_notice is not None
    client = cast.client("patient")
    listed = client.get("/api/v1/closure-notices").json()["results"]
    assert [item["id"] for item in listed] == [cast.closure_notice.pk]
    assert listed[0]["reason"] == "Kwarantanna lekarza" and listed[0]["rebooked_appointment_id"] is None
    assert listed[0]["in_person"] == [] and listed[0]["telemedicine"] == []  # no other psychiatrist in the cast
    url = f"/api/v1/closure-notices/{cast.closure_notice.pk}/rebook"
    bad = client.post(url, json.dumps({"slot_id": "x"}), content_type="application/json")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_input"
    missing = client.post(url, json.dumps({"slot_id": 2**62}), content_type="application/json")
    assert missing.status_code == 404 and missing.json()["code"] == "slot_not_found"
    booked = client.post(url, json.dumps({"slot_id": cast.free_slot.pk}), content_type="application/json")
    assert booked.status_code == 201 and booked.json()["slot"]["id"] == cast.free_slot.pk
    assert not Slot.objects.get(pk=cast.free_slot.pk).is_free
    twice = client.post(url, json.dumps({"slot_id": cast.free_slot.pk}), content_type="application/json")
    assert twice.status_code == 409 and twice.json()["code"] == "already_rebooked"
    other = cast.client("other_patient").post(
        url, json.dumps({"slot_id": cast.free_slot.pk}), content_type="application/json"
    )
    assert other.status_code == 404
    staff = cast.client("call_centre").get("/api/v1/closure-notices")
    assert staff.status_code == 403 and staff.json()["code"] == "role_not_allowed"
    schema = cast.client("anonymous").get("/api/v1/openapi.json").json()
    assert {"201", "404", "409", "422"} <= set(
        schema["paths"]["/api/v1/closure-notices/{notice_id}/rebook"]["post"]["responses"]
    )
