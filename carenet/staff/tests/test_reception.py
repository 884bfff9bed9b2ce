"""Reception's arrival console (CHK-1, CHK-2, CHK-4, CHK-5, BKG-5): the day list, check in / "refused: late" /
no-show (HTMX and plain POST), the entrance screen with the premises code, and a patient's no-show blocks with
"lift". Authorization over every role; a denied request changes nothing; the list's query count does not grow."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from carenet.accounts.models import User
from carenet.api.tests.factories import FacilityFactory, RoomFactory, UserFactory, make_slot
from carenet.arrival import policies as checkin_policies
from carenet.arrival import services as arrival
from carenet.booking.models import Appointment, NoShowBlockLift
from carenet.core import clock
from carenet.portal.tests.booking_world import World, booked, build_world, url

pytestmark = pytest.mark.django_db
Status = Appointment.Status

TODAY = dt.date(2026, 3, 3)
NOW = clock.at_warsaw(TODAY, dt.time(9, 50))
START = clock.at_warsaw(TODAY, dt.time(10))


@pytest.fixture
def world(time_machine: Any) -> World:
    time_machine.move_to(NOW, tick=False)
    return build_world()


def today_visit(world: World, *, minutes: int = 0, patient: Any = None, room: bool = True) -> Appointment:
    doctor = world.slots[0].clinician
    slot = make_slot(
        starts_at=START + dt.timedelta(minutes=minutes),
        clinician=doctor,
        facility=world.centre,
        specialty=world.slots[0].specialty,
        services=[world.consultation],
        room=RoomFactory(facility=world.centre, number=f"1{minutes:02d}") if room else None,
    )
    return booked(patient or world.patient_a, slot)


def client_for(world: World, role: str | None) -> Client:
    client = Client()
    if role == "patient":
        client.force_login(world.patient_a.user)
    elif role == "partner_staff":
        client.force_login(
            UserFactory(username="partner", role=User.Role.PARTNER_STAFF, facility=FacilityFactory(partner=True))
        )
    elif role is not None:
        client.force_login(world.staff[role])
    return client


def act_url(appointment: Appointment, action: str) -> str:
    return url("staff:reception_act", appointment.pk, action)


# --- The day list -----------------------------------------------------------------------------------------------


def test_receptionist_sees_todays_visits_at_their_facility_by_time(world: World) -> None:
    later = today_visit(world, minutes=30)
    first = today_visit(world, patient=world.patient_b)
    elsewhere = booked(world.level_one, world.other_slot)
    response = client_for(world, "receptionist").get(url("staff:reception"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(f'data-appointment="{first.pk}"') < html.index(f'data-appointment="{later.pk}"')
    assert f'data-appointment="{elsewhere.pk}"' not in html
    assert world.patient_b.last_name in html and "100" in html  # patient and room


def test_other_receptionist_does_not_see_the_centres_visits(world: World) -> None:
    visit = today_visit(world)
    response = client_for(world, "other_receptionist").get(url("staff:reception") + f"?facility={world.centre.pk}")
    assert response.status_code == 200
    assert f'data-appointment="{visit.pk}"' not in response.content.decode()


@pytest.mark.parametrize("role", ["call_centre", "admin"])
def test_call_centre_and_admin_choose_a_facility(world: World, role: str) -> None:
    visit = today_visit(world)
    client = client_for(world, role)
    assert f'data-appointment="{visit.pk}"' not in client.get(url("staff:reception")).content.decode()
    response = client.get(url("staff:reception") + f"?facility={world.centre.pk}&date={TODAY.isoformat()}")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-appointment="{visit.pk}"' in html
    # Only the desk (reception, admin) records arrivals.
    assert (act_url(visit, "check_in") in html) is (role == "admin")


def test_date_switcher_shows_another_day(world: World) -> None:
    visit = booked(world.patient_a, world.slots[0])  # in two days
    client = client_for(world, "receptionist")
    assert f'data-appointment="{visit.pk}"' not in client.get(url("staff:reception")).content.decode()
    html = client.get(url("staff:reception") + f"?date={world.day.isoformat()}").content.decode()
    assert f'data-appointment="{visit.pk}"' in html


@pytest.mark.parametrize("role", ["patient", "clinician", "coordinator", "partner_staff"])
def test_other_roles_get_403(world: World, role: str) -> None:
    visit = today_visit(world)
    client = client_for(world, role)
    assert client.get(url("staff:reception")).status_code == 403
    assert client.get(url("staff:reception_entrance")).status_code == 403
    assert client.post(act_url(visit, "check_in")).status_code == 403
    visit.refresh_from_db()
    assert visit.status == Status.BOOKED


def test_anonymous_goes_to_login_and_changes_nothing(world: World) -> None:
    visit = today_visit(world)
    client = Client()
    for response in (client.get(url("staff:reception")), client.post(act_url(visit, "check_in"))):
        assert response.status_code == 302 and "/staff/login/" in response["Location"]
    visit.refresh_from_db()
    assert visit.status == Status.BOOKED


def test_list_query_count_does_not_grow(world: World, django_assert_max_num_queries: Any) -> None:
    client = client_for(world, "receptionist")
    today_visit(world)
    client.get(url("staff:reception"))  # warm up (session, translations)
    with django_assert_max_num_queries(12) as few:
        client.get(url("staff:reception"))
    for minutes in range(5, 5 + 30):
        today_visit(world, minutes=minutes, room=minutes % 2 == 0)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("staff:reception"))
    assert response.content.decode().count("data-appointment=") == 31


# --- Actions ------------------------------------------------------------------------------------------------


def test_check_in_by_plain_post_redirects_with_a_message(world: World) -> None:
    visit = today_visit(world)
    response = client_for(world, "receptionist").post(act_url(visit, "check_in"), follow=True)
    assert response.status_code == 200
    visit.refresh_from_db()
    assert (visit.status, visit.check_in_channel, visit.checked_in_by) == (
        Status.CHECKED_IN,
        "reception",
        world.staff["receptionist"],
    )
    assert any(message.level_tag == "success" for message in response.context["messages"])


def test_check_in_by_htmx_returns_the_row(world: World) -> None:
    visit = today_visit(world)
    response = client_for(world, "receptionist").post(act_url(visit, "check_in"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith("<tr") and 'data-status="checked_in"' in html
    again = client_for(world, "receptionist").post(act_url(visit, "check_in"), HTTP_HX_REQUEST="true")
    assert again.status_code == 422 and 'class="error"' in again.content.decode()


def test_refused_late_is_disabled_and_refused_before_10_minutes(world: World, time_machine: Any) -> None:
    visit = today_visit(world)
    client = client_for(world, "receptionist")
    time_machine.move_to(START + dt.timedelta(minutes=5), tick=False)
    html = client.get(url("staff:reception")).content.decode()
    assert f'disabled aria-describedby="why-late-{visit.pk}"' in html  # disabled, with the explanation
    assert "Possible from 10:10 (10 minutes after the start)." in html
    response = client.post(act_url(visit, "refuse_late"), HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    visit.refresh_from_db()
    assert visit.status == Status.BOOKED
    time_machine.move_to(START + dt.timedelta(minutes=10), tick=False)
    assert client.post(act_url(visit, "refuse_late")).status_code == 302
    visit.refresh_from_db()
    assert visit.status == Status.REFUSED_LATE and visit.outcome_recorded_by == world.staff["receptionist"]


def test_no_show_only_after_the_start(world: World, time_machine: Any) -> None:
    visit = today_visit(world)
    client = client_for(world, "receptionist")
    response = client.post(act_url(visit, "no_show"), follow=True)
    assert any(message.level_tag == "error" for message in response.context["messages"])
    visit.refresh_from_db()
    assert visit.status == Status.BOOKED
    time_machine.move_to(START + dt.timedelta(minutes=1), tick=False)
    client.post(act_url(visit, "no_show"))
    visit.refresh_from_db()
    assert visit.status == Status.NO_SHOW


@pytest.mark.parametrize(("role", "status"), [("other_receptionist", 404), ("call_centre", 403)])
def test_denied_actions_change_nothing(world: World, role: str, status: int) -> None:
    visit = today_visit(world)
    client = client_for(world, role)
    for action in ("check_in", "refuse_late", "no_show"):
        assert client.post(act_url(visit, action)).status_code == status
    visit.refresh_from_db()
    assert visit.status == Status.BOOKED and visit.checked_in_at is None


def test_get_and_unknown_action_are_refused(world: World) -> None:
    visit = today_visit(world)
    client = client_for(world, "receptionist")
    assert client.get(act_url(visit, "check_in")).status_code == 405
    assert client.post(act_url(visit, "delete")).status_code == 404


# --- The entrance screen (CHK-4) ---------------------------------------------------------------------------------


def test_entrance_screen_shows_the_current_code(world: World) -> None:
    code = checkin_policies.current_premises_code(
        secret=arrival.premises_secret(), facility_id=world.centre.pk, now=NOW
    )
    response = client_for(world, "receptionist").get(url("staff:reception_entrance"))
    assert response.status_code == 200 and f'data-code="{code}"' in response.content.decode()
    partial = client_for(world, "receptionist").get(url("staff:reception_entrance"), HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert 'hx-trigger="every 30s"' in html and "<html" not in html
    admin = client_for(world, "admin").get(url("staff:reception_entrance") + f"?facility={world.centre.pk}")
    assert f'data-code="{code}"' in admin.content.decode()
    assert client_for(world, "call_centre").get(url("staff:reception_entrance")).status_code == 403


# --- No-show blocks on the staff patient page (BKG-5) ------------------------------------------------------------


def two_no_shows(world: World) -> None:
    for days in (10, 3):
        slot = make_slot(
            starts_at=NOW - dt.timedelta(days=days),
            facility=world.centre,
            specialty=world.slots[0].specialty,
            services=[world.consultation],
        )
        booked(world.patient_a, slot, status=Status.NO_SHOW)


def test_staff_see_the_block_and_lift_it_with_a_reason(world: World) -> None:
    two_no_shows(world)
    client = client_for(world, "call_centre")
    patient_page = client.get(url("staff:patient", world.patient_a.pk)).content.decode()
    assert url("staff:patient_no_shows", world.patient_a.pk) in patient_page
    section = client.get(url("staff:patient_no_shows", world.patient_a.pk)).content.decode()
    assert 'data-specialty="interna"' in section
    specialty = world.slots[0].specialty
    refused = client.post(
        url("staff:patient_no_shows", world.patient_a.pk),
        {"specialty": specialty.pk, "reason": " "},
        HTTP_HX_REQUEST="true",
    )
    assert refused.status_code == 422 and not NoShowBlockLift.objects.exists()
    lifted = client.post(
        url("staff:patient_no_shows", world.patient_a.pk), {"specialty": specialty.pk, "reason": "Pobyt w szpitalu"}
    )
    assert lifted.status_code == 302
    lift = NoShowBlockLift.objects.get()
    assert (lift.lifted_by, lift.reason, lift.specialty) == (world.staff["call_centre"], "Pobyt w szpitalu", specialty)
    section = client.get(url("staff:patient_no_shows", world.patient_a.pk)).content.decode()
    assert 'data-specialty="interna"' not in section


@pytest.mark.parametrize("role", ["patient", "clinician", "coordinator"])
def test_no_show_section_is_staff_only(world: World, role: str) -> None:
    two_no_shows(world)
    client = client_for(world, role)
    specialty = world.slots[0].specialty
    assert client.get(url("staff:patient_no_shows", world.patient_a.pk)).status_code == 403
    client.post(url("staff:patient_no_shows", world.patient_a.pk), {"specialty": specialty.pk, "reason": "x"})
    assert not NoShowBlockLift.objects.exists()


def test_htmx_action_on_a_visit_cancelled_meanwhile_answers_with_the_row(world: World) -> None:
    visit = today_visit(world)
    Appointment.objects.filter(pk=visit.pk).update(status=Status.CANCELLED)
    response = client_for(world, "receptionist").post(act_url(visit, "check_in"), HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and 'data-status="cancelled"' in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == Status.CANCELLED


def test_an_empty_day_links_to_the_next_day_with_visits(world: World) -> None:
    booked(world.patient_a, world.slots[0])  # in two days
    html = client_for(world, "receptionist").get(url("staff:reception")).content.decode()
    assert f"date={world.day.isoformat()}" in html and 'id="next-with-visits"' in html
