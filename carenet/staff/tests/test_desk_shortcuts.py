"""Issue 14, item 6: the desks' shortcuts. A whole PESEL opens the patient (a recorded read; a PESEL of nobody says
so); reception filters the day list by name (HTMX, the count announced); a refused action stays on the row,
disabled, with its reason in words; a wrong check-in is undone within ``CARENET_CHECK_IN_UNDO_MINUTES`` by the
facility's receptionist alone — recorded, the visit booked again, and refused by the server after the window."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from carenet.accounts.models import PatientRead
from carenet.arrival import services as arrival
from carenet.booking.models import Appointment, CheckInUndo
from carenet.core import clock
from carenet.portal.tests.booking_world import World, build_world, url
from carenet.staff.tests.test_reception import NOW, START, client_for, today_visit

pytestmark = pytest.mark.django_db
Status = Appointment.Status


@pytest.fixture
def world(time_machine: Any) -> World:
    time_machine.move_to(NOW, tick=False)
    return build_world()


def undo_url(visit: Appointment) -> str:
    return url("staff:reception_undo", visit.pk)


def checked_in(world: World, visit: Appointment) -> Appointment:
    return arrival.appointment_check_in(
        appointment_id=visit.pk, channel="reception", actor=world.staff["receptionist"], now=clock.now()
    )


# --- A whole PESEL opens the patient ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["call_centre", "receptionist"])
def test_a_whole_pesel_opens_the_patients_page_and_the_read_is_recorded(world: World, role: str) -> None:
    client = client_for(world, role)
    pesel = world.patient_a.pesel
    response = client.post(url("staff:patients"), {"q": f" {pesel[:5]} {pesel[5:]} "})
    assert response.status_code == 302 and response["Location"] == url("staff:patient", world.patient_a.pk)
    read = PatientRead.objects.get()
    assert (read.reader, read.patient_id, read.what) == (world.staff[role], world.patient_a.pk, "patient_search")
    htmx = client.post(url("staff:patients"), {"q": pesel}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 204 and htmx["HX-Redirect"] == url("staff:patient", world.patient_a.pk)


def test_a_pesel_of_nobody_says_so_and_records_nothing(world: World) -> None:
    taken = {world.patient_a.pesel, world.patient_b.pesel, world.level_one.pesel, world.child.pesel}
    nobody = next(f"{number:011d}" for number in range(10**10, 10**10 + 10) if f"{number:011d}" not in taken)
    response = client_for(world, "call_centre").post(url("staff:patients"), {"q": nobody})
    assert response.status_code == 200
    assert f"No patient has the PESEL {nobody}." in response.content.decode()
    assert not PatientRead.objects.exists()


def test_a_pesel_beginning_still_lists_the_matches(world: World) -> None:
    response = client_for(world, "call_centre").post(url("staff:patients"), {"q": world.patient_a.pesel[:6]})
    assert response.status_code == 200
    assert url("staff:patient", world.patient_a.pk) in response.content.decode()


# --- The day list by name -----------------------------------------------------------------------------------------


def test_reception_finds_a_patient_in_the_day_list_by_name(world: World) -> None:
    anna = today_visit(world)
    beata = today_visit(world, minutes=30, patient=world.patient_b)
    client = client_for(world, "receptionist")
    page = client.get(url("staff:reception"), {"q": "kowal"}).content.decode()
    assert f'data-appointment="{beata.pk}"' in page and f'data-appointment="{anna.pk}"' not in page
    assert 'id="id_name"' in page and 'value="kowal"' in page
    swapped = client.get(url("staff:reception"), {"q": "anna NOWAK"}, HTTP_HX_REQUEST="true").content.decode()
    # The count goes into the page's polite status line (kept in place, its text replaced: announced).
    assert (
        '<p id="day-status" role="status" class="muted" hx-swap-oob="innerHTML">1 visit of a patient named' in swapped
    )
    assert f'data-appointment="{anna.pk}"' in swapped and f'data-appointment="{beata.pk}"' not in swapped
    assert "<html" not in swapped
    nobody = client.get(url("staff:reception"), {"q": "Zzyzx"}, HTTP_HX_REQUEST="true").content.decode()
    assert "data-appointment=" not in nobody and "No visit of a patient named" in nobody


def test_a_name_that_cannot_be_searched_is_explained(world: World) -> None:
    today_visit(world)
    response = client_for(world, "receptionist").get(url("staff:reception"), {"q": "Nowak\x00"})
    assert response.status_code == 200
    assert "The text contains characters that cannot be searched." in response.content.decode()


# --- Disabled actions say why -----------------------------------------------------------------------------------


def test_a_refused_action_is_disabled_with_its_reason_in_words(world: World) -> None:
    visit = today_visit(world)
    html = client_for(world, "receptionist").get(url("staff:reception")).content.decode()
    assert f'disabled aria-describedby="why-late-{visit.pk}"' in html
    assert "Possible from 10:10 (10 minutes after the start)." in html
    assert f'disabled aria-describedby="why-no-show-{visit.pk}"' in html
    assert "A no-show can be recorded only after the visit has started." in html
    assert f'aria-describedby="why-in-{visit.pk}"' not in html  # checking in is possible now


# --- Undoing a wrong check-in -----------------------------------------------------------------------------------


def test_the_desk_undoes_a_wrong_check_in_and_the_undo_is_recorded(world: World) -> None:
    visit = today_visit(world)
    client = client_for(world, "receptionist")
    client.post(url("staff:reception_act", visit.pk, "check_in"))
    html = client.get(url("staff:reception")).content.decode()
    assert undo_url(visit) in html and "A wrong check-in can be undone until 10:00." in html
    response = client.post(undo_url(visit), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    row = response.content.decode()
    assert 'data-status="booked"' in row and "is booked again" in row
    visit.refresh_from_db()
    assert (visit.status, visit.checked_in_at, visit.checked_in_by, visit.check_in_channel) == (
        Status.BOOKED,
        None,
        None,
        "",
    )
    undo = CheckInUndo.objects.get()
    assert (undo.appointment, undo.undone_by, undo.undone_at) == (visit, world.staff["receptionist"], NOW)
    assert (undo.checked_in_at, undo.checked_in_by) == (NOW, world.staff["receptionist"])
    # The visit can be checked in again, and that check-in undone again.
    assert client.post(url("staff:reception_act", visit.pk, "check_in")).status_code == 302
    assert client.post(undo_url(visit)).status_code == 302
    assert CheckInUndo.objects.count() == 2


def test_after_the_window_the_undo_is_gone_and_refused(world: World, time_machine: Any, settings: Any) -> None:
    settings.CARENET_CHECK_IN_UNDO_MINUTES = 10
    visit = today_visit(world)
    client = client_for(world, "receptionist")
    client.post(url("staff:reception_act", visit.pk, "check_in"))
    time_machine.move_to(NOW + dt.timedelta(minutes=9, seconds=59), tick=False)
    assert undo_url(visit) in client.get(url("staff:reception")).content.decode()
    time_machine.move_to(NOW + dt.timedelta(minutes=10), tick=False)
    assert undo_url(visit) not in client.get(url("staff:reception")).content.decode()
    response = client.post(undo_url(visit), HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "that time has passed" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == Status.CHECKED_IN and visit.checked_in_at == NOW
    assert not CheckInUndo.objects.exists()


def test_the_patients_own_confirmation_is_not_undone_at_the_desk(world: World, time_machine: Any) -> None:
    visit = today_visit(world)
    time_machine.move_to(START - dt.timedelta(minutes=5), tick=False)
    arrival.appointment_check_in(appointment_id=visit.pk, channel="sms", now=clock.now())
    client = client_for(world, "receptionist")
    assert undo_url(visit) not in client.get(url("staff:reception")).content.decode()
    assert client.post(undo_url(visit), HTTP_HX_REQUEST="true").status_code == 422
    visit.refresh_from_db()
    assert visit.status == Status.CHECKED_IN and not CheckInUndo.objects.exists()


def test_a_completed_visit_has_no_check_in_to_undo(world: World) -> None:
    visit = today_visit(world)
    checked_in(world, visit)
    Appointment.objects.filter(pk=visit.pk).update(status=Status.COMPLETED)
    with pytest.raises(arrival.ArrivalRefused) as refused:
        arrival.appointment_check_in_undo(actor=world.staff["receptionist"], appointment_id=visit.pk)
    assert refused.value.code == "not_checked_in"
    assert not CheckInUndo.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("other_receptionist", 404),
        ("call_centre", 403),
        ("admin", 403),
        ("clinician", 403),
        ("coordinator", 403),
        ("partner_staff", 403),
        ("patient", 403),
        (None, 302),
    ],
)
def test_only_the_facilitys_receptionist_undoes_and_a_refusal_changes_nothing(
    world: World, role: str | None, status: int
) -> None:
    visit = today_visit(world)
    checked_in(world, visit)
    client = client_for(world, role) if role else Client()
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        assert client.post(undo_url(visit), **headers).status_code == status
    assert client.get(undo_url(visit)).status_code in {405, 302, 403, 404}
    visit.refresh_from_db()
    assert (visit.status, visit.checked_in_at) == (Status.CHECKED_IN, NOW)
    assert not CheckInUndo.objects.exists()
    if role in {"call_centre", "admin"}:  # they see the day list, without the undo
        html = client.get(url("staff:reception"), {"facility": world.centre.pk}).content.decode()
        assert f'data-appointment="{visit.pk}"' in html and undo_url(visit) not in html
