"""Review of issue 14's desk shortcuts (item 6): holes found by attacking the new staff actions, each closed with a
test that fails without its fix."""

from __future__ import annotations

from typing import Any

import pytest

from carenet.accounts.models import PatientRead
from carenet.portal.tests.booking_world import World, build_world, url
from carenet.staff.tests.test_reception import NOW, client_for, today_visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(time_machine: Any) -> World:
    time_machine.move_to(NOW, tick=False)
    return build_world()


# --- Eleven digits are not always a PESEL: a mobile number with its country code still finds the patient ---------


@pytest.mark.parametrize("written", ["{national}", "48{national}", "48 {spaced}"])
@pytest.mark.parametrize("role", ["call_centre", "receptionist"])
def test_a_mobile_number_with_the_country_code_still_finds_the_patient(world: World, role: str, written: str) -> None:
    """Before issue 14 the desks found "48 601 234 567" by the mobile number; the PESEL shortcut took every eleven
    digits for a PESEL and answered "No patient has the PESEL …" instead (BKG-1, issue 14)."""
    national = world.patient_a.mobile.removeprefix("+48")
    assert len(national) == 9
    query = written.format(national=national, spaced=f"{national[:3]} {national[3:6]} {national[6:]}")
    response = client_for(world, role).post(url("staff:patients"), {"q": query})
    assert response.status_code == 200
    page = response.content.decode()
    assert url("staff:patient", world.patient_a.pk) in page
    assert "No patient has the PESEL" not in page
    assert set(PatientRead.objects.values_list("patient_id", flat=True)) == {world.patient_a.pk}


def test_eleven_digits_of_nobody_still_name_the_pesel(world: World) -> None:
    response = client_for(world, "call_centre").post(url("staff:patients"), {"q": "48000000000"})
    assert response.status_code == 200
    assert "No patient has the PESEL 48000000000." in response.content.decode()
    assert not PatientRead.objects.exists()


# --- The reception day list opened on a date at the calendar's edge ----------------------------------------------


@pytest.mark.parametrize("date", ["9999-12-31", "0001-01-01"])
@pytest.mark.parametrize("htmx", [False, True])
def test_a_date_at_the_calendars_edge_opens_todays_list_not_an_error(world: World, date: str, htmx: bool) -> None:
    """``?date=9999-12-31`` (the name filter's HTMX request too) ended in a server error: the list's next day left
    the calendar. Such a date is taken as today, as on the clinician's day list (CHK-2, issue 14)."""
    visit = today_visit(world)
    client = client_for(world, "receptionist")
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.get(url("staff:reception"), {"date": date, "q": visit.patient.last_name}, **extra)
    assert response.status_code == 200
    assert url("staff:reception_act", visit.pk, "check_in") in response.content.decode()  # today's row
