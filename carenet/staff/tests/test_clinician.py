"""The clinician's console (CLN-5, CLN-6, TEL-1, CHK-5): the day list, the call list, the visit page and closing
it — each only for the clinician the table and the relationship allow, each read recorded."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carenet.accounts.models import PatientRead
from carenet.accounts.tests.factories import PatientFactory
from carenet.booking.models import Appointment
from carenet.clinical.tests.factories import NetworkReferralFactory, PrescriptionFactory, RecommendationFactory
from carenet.core import clock
from carenet.encounters.models import CallAttempt
from carenet.encounters.tests.helpers import visit_of
from carenet.network.tests.factories import FacilityFactory, RoomFactory
from carenet.scheduling.models import Mode
from tests.cast import Cast

pytestmark = pytest.mark.django_db

Status = Appointment.Status
DAY = clock.today() + dt.timedelta(days=3)  # after the cast's visit tomorrow


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return clock.at_warsaw(day, dt.time(hour, minute))


def reads(what: str) -> list[tuple[str, int]]:
    return list(PatientRead.objects.filter(what=what).order_by("pk").values_list("reader__username", "patient_id"))


def _day_of_kowalski(cast: Cast) -> dict[str, Appointment]:
    """Jan Kowalski's Monday: in person at Mokotów and at Wola, a phone and a video consultation, one cancelled
    visit, and a colleague's visit at the same time."""
    cast.clinician_with.facilities.add(cast.elsewhere)
    room = RoomFactory(facility=cast.here, number="7")
    return {
        "wola": visit_of(cast.other_patient, cast.clinician_with, cast.consult, at(12), facility=cast.elsewhere),
        "mokotow": visit_of(
            cast.patient,
            cast.clinician_with,
            cast.consult,
            at(8, 30),
            facility=cast.here,
            room=room,
            status=Status.CHECKED_IN,
            checked_in_at=at(8, 20),
        ),
        "phone": visit_of(cast.child, cast.clinician_with, cast.consult, at(10), mode=Mode.PHONE),
        "video": visit_of(cast.level_one, cast.clinician_with, cast.consult, at(9), mode=Mode.VIDEO),
        "cancelled": visit_of(
            cast.lapsed, cast.clinician_with, cast.consult, at(11), facility=cast.here, status=Status.CANCELLED
        ),
        "colleague": visit_of(cast.guardian, cast.clinician_without, cast.consult, at(9), facility=cast.here),
    }


def test_the_clinicians_dashboard_is_their_day_across_facilities_and_remote(cast: Cast) -> None:
    visits = _day_of_kowalski(cast)
    with time_machine.travel(at(7), tick=False):
        page = cast.client("clinician_with").get(reverse("staff:dashboard"))
    assert page.status_code == 200
    listed = [row["visit"].pk for row in page.context["rows"]]
    assert listed == [visits[name].pk for name in ("mokotow", "video", "phone", "wola")]
    html = page.content.decode()
    assert "08:30–08:45" in html and "Zosia" in html and "Mokotów" in html and "Wola" in html
    assert "08:20" in html  # the arrival time
    assert f'href="{reverse("staff:clinician_visit", args=[visits["phone"].pk])}"' in html
    assert f'id="visit-{visits["cancelled"].pk}"' not in html and "Mazur Piotr" not in html
    # Zosia is eight on the day; the list says so.
    assert [row["age"] for row in page.context["rows"]][2] == 8
    assert {patient for _, patient in reads("day_list")} == {
        cast.patient.pk,
        cast.level_one.pk,
        cast.child.pk,
        cast.other_patient.pk,
    }


def test_other_roles_keep_their_dashboard(cast: Cast) -> None:
    _day_of_kowalski(cast)
    for role in ("receptionist_here", "call_centre", "coordinator", "admin"):
        page = cast.client(role).get(reverse("staff:dashboard"))
        assert page.status_code == 200 and "rows" not in page.context, role
    assert not PatientRead.objects.exists()


def test_any_day_by_the_date_picker_and_the_day_links(cast: Cast) -> None:
    visits = _day_of_kowalski(cast)
    with time_machine.travel(at(7, day=DAY - dt.timedelta(days=1)), tick=False):
        client = cast.client("clinician_with")
        today = client.get(reverse("staff:dashboard"))
        chosen = client.get(reverse("staff:dashboard"), {"date": DAY.isoformat()})
        nonsense = client.get(reverse("staff:dashboard"), {"date": "9999-99-99\x00"})
    assert today.context["rows"] == [] and nonsense.context["day"] == DAY - dt.timedelta(days=1)
    assert len(chosen.context["rows"]) == 4 and visits["wola"].pk in [r["visit"].pk for r in chosen.context["rows"]]
    assert f'href="?date={(DAY - dt.timedelta(days=1)).isoformat()}"' in chosen.content.decode()
    assert f'href="?date={(DAY + dt.timedelta(days=1)).isoformat()}"' in chosen.content.decode()


@pytest.mark.parametrize("dst", [dt.date(2026, 3, 29), dt.date(2026, 10, 25)], ids=["23-hours", "25-hours"])
def test_the_day_list_follows_warsaw_on_the_days_clocks_change(cast: Cast, dst: dt.date) -> None:
    """29 March 2026 has 23 hours in Warsaw, 25 October 25: a visit at 00:30 and one at 23:30 belong to the day,
    00:10 the next day does not (and nor does 23:50 the day before)."""
    inside = [
        visit_of(cast.patient, cast.clinician_with, cast.consult, at(0, 30, dst), mode=Mode.PHONE),
        visit_of(cast.other_patient, cast.clinician_with, cast.consult, at(23, 30, dst), mode=Mode.PHONE),
    ]
    visit_of(cast.child, cast.clinician_with, cast.consult, at(0, 10, dst + dt.timedelta(days=1)), mode=Mode.PHONE)
    visit_of(cast.guardian, cast.clinician_with, cast.consult, at(23, 50, dst - dt.timedelta(days=1)), mode=Mode.PHONE)
    page = cast.client("clinician_with").get(reverse("staff:dashboard"), {"date": dst.isoformat()})
    assert [row["visit"].pk for row in page.context["rows"]] == [visit.pk for visit in inside]
    assert "00:30–00:45" in page.content.decode() and "23:30–23:45" in page.content.decode()


def _many_visits(cast: Cast, count: int, day: dt.date) -> None:
    facility = FacilityFactory(city=cast.here.city)
    cast.clinician_with.facilities.add(facility)
    for number in range(count):
        patient = PatientFactory()
        mode = (Mode.IN_PERSON, Mode.PHONE, Mode.VIDEO)[number % 3]
        starts_at = clock.at_warsaw(day, dt.time(7)) + dt.timedelta(minutes=15 * number)
        visit = visit_of(
            patient,
            cast.clinician_with,
            cast.consult,
            starts_at,
            mode=mode,
            facility=facility,
            room=RoomFactory(facility=facility) if mode == Mode.IN_PERSON else None,
        )
        if number % 2:
            NetworkReferralFactory(patient=patient, used_by=visit)


def test_the_day_and_call_lists_cost_the_same_queries_for_3_visits_as_for_30(cast: Cast) -> None:
    client = cast.client("clinician_with")
    counts = {}
    for count, day in ((3, DAY), (30, DAY + dt.timedelta(days=1))):
        _many_visits(cast, count, day)
        for name in ("staff:dashboard", "staff:clinician_calls"):
            with CaptureQueriesContext(connection) as queries:
                page = client.get(reverse(name), {"date": day.isoformat()})
            assert page.status_code == 200
            counts[(name, count)] = len(queries)
    assert counts[("staff:dashboard", 3)] == counts[("staff:dashboard", 30)]
    assert counts[("staff:clinician_calls", 3)] == counts[("staff:clinician_calls", 30)]


def test_the_call_list_offers_the_number_and_the_outcomes(cast: Cast) -> None:
    visits = _day_of_kowalski(cast)
    phone = visits["phone"]
    cast.child.mobile = ""
    cast.child.save(update_fields=["mobile"])
    with time_machine.travel(at(9, 50), tick=False):
        client = cast.client("clinician_with")
        page = client.get(reverse("staff:clinician_calls"))
        assert [row["visit"].pk for row in page.context["rows"]] == [phone.pk]
        html = page.content.decode()
        assert f'href="tel:{cast.guardian.mobile}"' in html  # Zosia has no phone: her guardian's number
        assert "Rozmowa odbyta" in html and "Nie odebrał(a)" in html and "Zadzwonić ponownie" in html
        url = reverse("staff:clinician_call", args=[phone.pk])
        missed = client.post(url, {"outcome": "not_reached"}, HTTP_HX_REQUEST="true")
        assert missed.status_code == 200 and "1 próba" in missed.content.decode()
        again = client.post(url, {"outcome": "not_reached"})
        assert again.status_code == 302
        offered = client.get(reverse("staff:clinician_calls"))
        assert offered.context["rows"][0]["offer_no_show"]
        assert reverse("staff:clinician_visit_close", args=[phone.pk, "no_show"]) in offered.content.decode()
        called = client.post(url, {"outcome": "called", "note": "omówiono wyniki"}, HTTP_HX_REQUEST="true")
    assert called.status_code == 200
    phone.refresh_from_db()
    assert phone.status == Status.COMPLETED and phone.outcome_recorded_by == cast.users["clinician_with"]
    assert list(CallAttempt.objects.values_list("outcome", flat=True)) == ["not_reached", "not_reached", "called"]


def test_a_call_outside_the_window_or_on_someone_elses_visit_changes_nothing(cast: Cast) -> None:
    visits = _day_of_kowalski(cast)
    phone = visits["phone"]
    url = reverse("staff:clinician_call", args=[phone.pk])
    with time_machine.travel(at(9, 44), tick=False):
        early = cast.client("clinician_with").post(url, {"outcome": "called"}, HTTP_HX_REQUEST="true")
        assert early.status_code == 409 and "15" in early.content.decode()
        assert cast.client("clinician_without").post(url, {"outcome": "called"}).status_code == 404
        assert cast.client("receptionist_here").post(url, {"outcome": "called"}).status_code == 403
        assert cast.client("clinician_with").get(url).status_code == 405
    phone.refresh_from_db()
    assert phone.status == Status.BOOKED and not CallAttempt.objects.exists()


def test_the_visit_page_shows_the_patient_the_network_history_and_network_documents_only(cast: Cast) -> None:
    visits = _day_of_kowalski(cast)
    visit = visits["mokotow"]
    partner_visit = visit_of(
        cast.patient,
        cast.clinician_without,
        cast.consult,
        at(9, day=DAY - dt.timedelta(days=20)),
        facility=cast.partner,
        status=Status.COMPLETED,
    )
    network_rx = PrescriptionFactory(patient=cast.patient, facility=cast.elsewhere, dose="rano i wieczorem")
    PrescriptionFactory(patient=cast.patient, facility=cast.partner, dose="dokumentacja partnera")
    RecommendationFactory(
        patient=cast.patient,
        facility=cast.here,
        appointment=visit,
        issued_by=cast.clinician_with,
        text="Kontrola za tydzień",
    )
    with time_machine.travel(at(8, 35), tick=False):
        page = cast.client("clinician_with").get(reverse("staff:clinician_visit", args=[visit.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Nowak Anna" in html and cast.patient.pesel[-4:] in html and cast.patient.pesel not in html
    history = [past.pk for past in page.context["history"]]
    assert partner_visit.pk in history and cast.past_visit.pk in history and visit.pk in history
    assert history.index(visit.pk) < history.index(cast.visit.pk) < history.index(cast.past_visit.pk)
    assert "Przychodnia Partnerska" in html  # the history of visits is visible network-wide (CLN-6)
    assert network_rx.dose in html and "dokumentacja partnera" not in html
    assert "Kontrola za tydzień" in html and page.context["issued"].recommendations
    assert page.context["can_complete"] and page.context["own"]
    assert sorted(reads("visit")) == [("lekarz-kowalski", cast.patient.pk)]
    assert reads("medical_record") == [("lekarz-kowalski", cast.patient.pk)]


def test_a_clinician_with_a_relationship_reads_the_visit_without_acting(cast: Cast) -> None:
    visit_of(
        cast.patient,
        cast.clinician_without,
        cast.consult,
        at(9, day=DAY - dt.timedelta(days=40)),
        facility=cast.here,
        status=Status.COMPLETED,
    )
    page = cast.client("clinician_without").get(reverse("staff:clinician_visit", args=[cast.visit.pk]))
    assert page.status_code == 200 and not page.context["own"]
    assert 'id="read-only"' in page.content.decode() and 'id="complete-visit"' not in page.content.decode()
    with time_machine.travel(cast.visit.slot.starts_at, tick=False):
        client = cast.client("clinician_without")
        refused = client.post(reverse("staff:clinician_visit_close", args=[cast.visit.pk, "complete"]))
    assert refused.status_code == 403
    cast.visit.refresh_from_db()
    assert cast.visit.status == Status.BOOKED


def test_a_clinician_without_a_relationship_sees_and_changes_nothing(cast: Cast) -> None:
    with time_machine.travel(cast.visit.slot.starts_at, tick=False):
        client = cast.client("clinician_without")
        for url, method in (
            (reverse("staff:clinician_visit", args=[cast.visit.pk]), "get"),
            (reverse("staff:clinician_visit_close", args=[cast.visit.pk, "complete"]), "post"),
            (reverse("staff:clinician_visit_close", args=[cast.visit.pk, "no_show"]), "post"),
            (reverse("staff:clinician_call", args=[cast.visit.pk]), "post"),
        ):
            assert getattr(client, method)(url, {"outcome": "called"}).status_code == 404, url
    cast.visit.refresh_from_db()
    assert cast.visit.status == Status.BOOKED and not PatientRead.objects.exists()


def test_closing_the_visit_from_its_page_and_a_second_click_says_so(cast: Cast) -> None:
    url = reverse("staff:clinician_visit_close", args=[cast.visit.pk, "complete"])
    page_url = reverse("staff:clinician_visit", args=[cast.visit.pk])
    with time_machine.travel(cast.visit.slot.starts_at - dt.timedelta(minutes=20), tick=False):
        client = cast.client("clinician_with")
        early = client.post(url, follow=True)
    assert "15 minut" in early.content.decode()
    cast.visit.refresh_from_db()
    assert cast.visit.status == Status.BOOKED
    with time_machine.travel(cast.visit.slot.starts_at + dt.timedelta(minutes=5), tick=False):
        client = cast.client("clinician_with")
        done = client.post(url)
        assert done.status_code == 302 and done.headers["Location"] == page_url
        second = client.post(url, follow=True)
    assert "nic nie zmieniono" in second.content.decode().lower()
    cast.visit.refresh_from_db()
    assert cast.visit.status == Status.COMPLETED
    assert cast.client("clinician_with").post(url.replace("complete", "other")).status_code == 404


def test_the_console_speaks_english_too(cast: Cast) -> None:
    client = cast.client("clinician_with")
    dashboard, visit = reverse("staff:dashboard"), reverse("staff:clinician_visit", args=[cast.visit.pk])
    day = client.get("/en" + dashboard, {"date": clock.local(cast.visit.slot.starts_at).date()})
    assert "My day" in day.content.decode() and "Visits of the day" in day.content.decode()
    page = client.get("/en" + visit).content.decode()
    assert "Visits in the network" in page and "Close the visit" in page
    polish = client.get(visit).content.decode()
    assert "Wizyty w sieci" in polish and "Zamknij wizytę" in polish
