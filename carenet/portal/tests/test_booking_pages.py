"""The patient's booking pages (SCH-2..4, BKG-1..4, CXL-1, ACC-3, NET-2): who may open them, the happy paths, and
that a denied request changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from carenet.accounts.models import User
from carenet.api.tests.factories import FacilityFactory, make_slot
from carenet.booking.models import Appointment, Channel
from carenet.core import clock
from carenet.portal.tests.booking_world import World, booked, build_world, url
from tests.html_checks import broken_references

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world()


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def patient_client(world: World, who: str = "patient_a") -> Client:
    return login(Client(), getattr(world, who).user)


# --- Login ---------------------------------------------------------------------------------------------------------


def test_login_page_in_polish_and_patients_land_on_my_visits(world: World) -> None:
    client = Client()
    with translation.override("pl"):
        assert reverse("portal:login") == "/logowanie/"
    assert client.get("/logowanie/").status_code == 200
    assert url("portal:login") == "/en/login/"
    user = world.patient_a.user
    response = client.post(
        url("portal:login"), {"username": user.username, "password": "correct-horse-battery"}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 302
    assert response.url == url("portal:visits")


def test_staff_logging_in_through_the_portal_land_on_the_dashboard(world: World) -> None:
    response = Client().post(
        url("portal:login"), {"username": "infolinia", "password": "correct-horse-battery"}, REMOTE_ADDR="10.0.0.2"
    )
    assert response.status_code == 302
    assert response.url == url("staff:dashboard")


# --- Who may open what ---------------------------------------------------------------------------------------------


def patient_pages(world: World, appointment: Appointment) -> list[str]:
    return [
        url("portal:search"),
        url("portal:book", world.slots[1].pk) + "?service=konsultacja-interna",
        url("portal:visits"),
        url("portal:visit", appointment.pk),
        url("portal:cancel", appointment.pk),
        url("portal:reschedule", appointment.pk),
        url("portal:reschedule_confirm", appointment.pk, world.slots[2].pk),
    ]


def test_anonymous_visitors_are_sent_to_the_patient_login(world: World) -> None:
    appointment = booked(world.patient_a, world.slots[0])
    for page in patient_pages(world, appointment):
        response = Client().get(page)
        assert response.status_code == 302, page
        assert response.url.startswith(url("portal:login")), page


@pytest.mark.parametrize("role", ["call_centre", "receptionist", "clinician", "coordinator", "admin"])
def test_staff_get_a_403_page_on_patient_pages(world: World, role: str) -> None:
    appointment = booked(world.patient_a, world.slots[0])
    client = login(Client(), world.staff[role])
    for page in patient_pages(world, appointment):
        response = client.get(page)
        assert response.status_code == 403, page
        assert b"No access to this page" in response.content


def test_a_patient_user_without_a_patient_record_gets_403(world: World) -> None:
    user = User.objects.create_user(username="bez-karty", password="x", role=User.Role.PATIENT)
    assert login(Client(), user).get(url("portal:visits")).status_code == 403


def test_patient_b_cannot_open_or_change_patient_as_visit(world: World) -> None:
    appointment = booked(world.patient_a, world.slots[0])
    client = patient_client(world, "patient_b")
    for page in patient_pages(world, appointment)[3:]:
        assert client.get(page).status_code == 404, page
    assert client.post(url("portal:cancel", appointment.pk)).status_code == 404
    assert client.post(url("portal:reschedule_confirm", appointment.pk, world.slots[2].pk)).status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    assert appointment.slot_id == world.slots[0].pk
    assert Appointment.objects.count() == 1
    assert b"Nowak" not in client.get(url("portal:visits")).content


def test_patient_b_cannot_book_for_patient_as_child(world: World) -> None:
    client = patient_client(world, "patient_b")
    page = url("portal:book", world.slots[0].pk) + f"?service=konsultacja-interna&for={world.child.pk}"
    assert client.get(page).status_code == 404
    assert client.post(page).status_code == 404
    assert not Appointment.objects.exists()


# --- Search --------------------------------------------------------------------------------------------------------


def test_search_form_defaults_to_the_next_14_days(world: World) -> None:
    response = patient_client(world).get(url("portal:search"))
    assert response.status_code == 200
    html = response.content.decode()
    today = clock.today()
    assert f'value="{today.isoformat()}"' in html
    assert f'value="{(today + dt.timedelta(days=13)).isoformat()}"' in html
    assert 'aria-live="polite"' in html
    assert '<label for="id_specialty">' in html
    assert "<details" in html and "More options" in html  # issue 14: fewer fields at once


def test_search_shows_offers_with_coverage_price_and_preparation(world: World) -> None:
    response = patient_client(world).get(url("portal:search"), world.search_params())
    html = response.content.decode()
    assert response.status_code == 200
    # Issue 14: a card per clinician, place and service — the consultation at each centre and the paid exam —
    # with the day's times as buttons.
    assert html.count('class="slot-card"') == 3
    assert html.count('class="button time"') == 5
    assert html.count("included in the package") == 2
    assert "paid: 250.00 zł" in html
    assert "Na czczo, 6 godzin bez jedzenia." in html  # SCH-4
    assert "CareNet Centrum Mokotów" in html and "Ewa Lekarska" in html
    assert url("portal:book", world.slots[0].pk) in html


def test_search_results_come_as_an_htmx_partial(world: World) -> None:
    response = patient_client(world).get(url("portal:search"), world.search_params(), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert "<html" not in html
    assert "included in the package" in html


def test_search_lists_partner_facilities_to_phone_and_pages_by_day(world: World) -> None:
    """NET-2 / PKG-2: partners the patient's contract allows are listed with their phone; others are not. Issue 14:
    the results page by day, from the first day with free times to the next."""
    allowed = FacilityFactory(
        partner=True, city=world.centre.city, name="Przychodnia Partnerska Ochota", phone="+48 22 555 00 11"
    )
    FacilityFactory(partner=True, city=world.centre.city, name="Przychodnia Spoza Umowy")
    world.patient_a.enrolments.get().contract.partner_facilities.add(allowed)
    later = world.day + dt.timedelta(days=3)
    for minute in range(0, 60, 6):
        make_slot(
            starts_at=clock.at_warsaw(later, dt.time(16, minute)),
            clinician=world.slots[0].clinician,
            facility=world.centre,
            specialty=world.slots[0].specialty,
            services=[world.consultation],
        )
    client = patient_client(world)
    params = world.search_params(city=world.centre.city.pk)
    first = client.get(url("portal:search"), params).content.decode()
    assert "Przychodnia Partnerska Ochota" in first and "+48 22 555 00 11" in first  # NET-2
    assert "Przychodnia Spoza Umowy" not in first  # PKG-2: not in the patient's contract
    assert first.count('class="button time"') == 5  # the first day only
    assert f"day={later.isoformat()}" in first  # the next day with free times
    second = client.get(url("portal:search"), {**params, "day": later.isoformat()}).content.decode()
    assert second.count('class="button time"') == 10
    assert f"day={world.day.isoformat()}" in second and "16:54" in second


def test_bad_search_input_is_a_form_error_not_a_500(world: World) -> None:
    client = patient_client(world)
    reversed_dates = world.search_params(date_from=world.day.isoformat(), date_to=clock.today().isoformat())
    assert "The end date is before the start date." in client.get(url("portal:search"), reversed_dates).content.decode()
    too_long = world.search_params(date_to=(world.day + dt.timedelta(days=120)).isoformat())
    assert "Search at most 90 days at once." in client.get(url("portal:search"), too_long).content.decode()
    for page in ("-1", "999999", "abc"):
        response = client.get(url("portal:search"), {**world.search_params(), "page": page})
        assert response.status_code == 200
        assert "The page is a number from 1 to 200." in response.content.decode()
    assert client.get(url("portal:search"), {"specialty": "nope"}).status_code == 200


# --- Booking -------------------------------------------------------------------------------------------------------


def test_book_with_a_confirmation_step(world: World) -> None:
    client = patient_client(world)
    page = url("portal:book", world.slots[0].pk) + "?service=konsultacja-interna"
    confirm = client.get(page)
    assert confirm.status_code == 200
    assert "included in the package" in confirm.content.decode()
    assert not Appointment.objects.exists()  # GET changes nothing
    response = client.post(page)
    appointment = Appointment.objects.get()
    assert response.status_code == 302 and response.url == url("portal:visit", appointment.pk)
    assert (appointment.patient, appointment.channel, appointment.booked_by) == (
        world.patient_a,
        Channel.PORTAL,
        world.patient_a.user,
    )
    visit = client.get(url("portal:visit", appointment.pk))
    assert "The visit is booked." in visit.content.decode()


def test_a_paid_visit_needs_the_price_accepted(world: World) -> None:
    client = patient_client(world)
    page = url("portal:book", world.paid_slot.pk) + "?service=usg-jamy-brzusznej"
    confirm = client.get(page).content.decode()
    assert "I accept the price of 250.00 zł" in confirm
    assert "Na czczo" in confirm  # SCH-4 in the confirmation
    refused = client.post(page)
    assert refused.status_code == 422
    assert "Accept the price" in refused.content.decode()
    assert not Appointment.objects.exists()
    assert client.post(page, {"accept_price": "on"}).status_code == 302
    assert Appointment.objects.get().price == 250


def test_a_taken_slot_is_a_form_error(world: World) -> None:
    booked(world.patient_b, world.slots[0])
    response = patient_client(world).post(url("portal:book", world.slots[0].pk) + "?service=konsultacja-interna")
    assert response.status_code == 422
    assert Appointment.objects.count() == 1
    # BEY-5: the refusal opens the page's error summary, whose links reach the form.
    html = response.content.decode()
    assert "data-error-summary" in html and broken_references(html) == []


def test_a_guardian_books_for_their_child(world: World) -> None:
    client = patient_client(world)
    search = client.get(url("portal:search"), world.search_params(for_whom=world.child.pk)).content.decode()
    assert "Kuba Nowak" in search  # the "for whom" select
    assert f"for={world.child.pk}" in search
    page = url("portal:book", world.slots[0].pk) + f"?service=konsultacja-interna&for={world.child.pk}"
    assert client.post(page).status_code == 302
    appointment = Appointment.objects.get()
    assert (appointment.patient, appointment.booked_by) == (world.child, world.patient_a.user)
    assert "Kuba Nowak" in client.get(url("portal:visits")).content.decode()


# --- My visits, cancel, reschedule ---------------------------------------------------------------------------------


def test_my_visits_lists_planned_and_past(world: World) -> None:
    planned = booked(world.patient_a, world.slots[0])
    cancelled = booked(world.patient_a, world.slots[1], status=Appointment.Status.CANCELLED)
    html = patient_client(world).get(url("portal:visits")).content.decode()
    assert url("portal:cancel", planned.pk) in html
    assert url("portal:reschedule", planned.pk) in html
    assert url("portal:cancel", cancelled.pk) not in html
    assert "cancelled" in html


def test_cancel_with_a_confirmation_step(world: World) -> None:
    appointment = booked(world.patient_a, world.slots[0])
    client = patient_client(world)
    assert "Cancel the visit?" in client.get(url("portal:cancel", appointment.pk)).content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    response = client.post(url("portal:cancel", appointment.pk))
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_channel) == (Appointment.Status.CANCELLED, Channel.PORTAL)


def test_reschedule_searches_the_same_service_and_takes_the_new_slot(world: World) -> None:
    appointment = booked(world.patient_a, world.slots[0])
    client = patient_client(world)
    search = client.get(url("portal:reschedule", appointment.pk), world.search_params()).content.decode()
    assert url("portal:reschedule_confirm", appointment.pk, world.slots[1].pk) in search
    assert url("portal:reschedule_confirm", appointment.pk, world.paid_slot.pk) not in search  # another service
    # Issue 14: opened without a search, it starts from the visit's own city, facility and clinician, searched.
    kept = client.get(url("portal:reschedule", appointment.pk)).content.decode()
    assert url("portal:reschedule_confirm", appointment.pk, world.slots[1].pk) in kept
    assert url("portal:reschedule_confirm", appointment.pk, world.other_slot.pk) not in kept  # the other centre
    assert f'<option value="{world.centre.pk}" selected>' in kept
    confirm = url("portal:reschedule_confirm", appointment.pk, world.slots[1].pk)
    side_by_side = client.get(confirm)
    assert side_by_side.status_code == 200
    assert 'data-testid="old-visit"' in side_by_side.content.decode()  # old and new side by side
    response = client.post(confirm)
    assert response.status_code == 302
    appointment.refresh_from_db()
    new = Appointment.objects.exclude(pk=appointment.pk).get()
    assert new.slot_id == world.slots[1].pk and new.status == Appointment.Status.BOOKED
    assert appointment.status == Appointment.Status.CANCELLED


def test_level_one_cannot_cancel_a_call_centre_booking(world: World) -> None:
    """ACC-3: no cancel button for a visit booked outside the portal; the service refuses a forged POST."""
    by_phone = booked(world.level_one, world.slots[0], channel=Channel.CALL_CENTRE, by=world.staff["call_centre"])
    in_portal = booked(world.level_one, world.slots[1])
    client = patient_client(world, "level_one")
    html = client.get(url("portal:visits")).content.decode()
    assert url("portal:cancel", by_phone.pk) not in html
    assert url("portal:cancel", in_portal.pk) in html
    refused = client.post(url("portal:cancel", by_phone.pk))
    assert refused.status_code == 422
    assert "call centre" in refused.content.decode()
    by_phone.refresh_from_db()
    assert by_phone.status == Appointment.Status.BOOKED


def test_my_visits_query_count_does_not_grow_with_history(world: World) -> None:
    client = patient_client(world)
    booked(world.patient_a, world.slots[0])
    booked(world.patient_a, world.other_slot, status=Appointment.Status.CANCELLED)
    client.get(url("portal:visits"))
    with CaptureQueriesContext(connection) as small:
        assert client.get(url("portal:visits")).status_code == 200
    for hour in range(6, 20):
        slot = make_slot(
            starts_at=clock.at_warsaw(world.day - dt.timedelta(days=10), dt.time(hour)),
            clinician=world.slots[0].clinician,
            facility=world.centre,
            specialty=world.slots[0].specialty,
            services=[world.consultation],
        )
        booked(world.patient_a, slot, status=Appointment.Status.COMPLETED)
    booked(world.patient_a, world.slots[1])
    booked(world.child, world.slots[2])
    with CaptureQueriesContext(connection) as large:
        assert client.get(url("portal:visits")).status_code == 200
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]


def test_bkg4_a_service_needing_a_referral_offers_the_patients_valid_referrals(world: World) -> None:
    from carenet.api.tests.factories import benefit
    from carenet.clinical.services import referral_issue
    from carenet.network.models import Clinician

    world.ultrasound.requires_referral = True
    world.ultrasound.save()
    tier = world.patient_a.enrolments.get().tier
    benefit(tier, "usg", service=world.ultrasound)  # covered with a referral
    doctor = Clinician.objects.get(last_name="Lekarska")
    referral = referral_issue(clinician=doctor, patient=world.patient_a, service=world.ultrasound)
    referral_issue(clinician=doctor, patient=world.patient_b, service=world.ultrasound)  # not A's
    client = patient_client(world)
    page = url("portal:book", world.paid_slot.pk) + "?service=usg-jamy-brzusznej"
    confirm = client.get(page).content.decode()
    assert f'value="{referral.pk}"' in confirm and confirm.count("USG jamy brzusznej, issued") == 1
    refused = client.post(page)
    assert refused.status_code == 422 and not Appointment.objects.exists()
    assert client.post(page, {"referral": referral.pk}).status_code == 302
    appointment = Appointment.objects.get()
    referral.refresh_from_db()
    assert referral.used_by == appointment


def test_bkg6_an_occupational_exam_asks_for_the_employers_referral(world: World) -> None:
    world.ultrasound.occupational = True
    world.ultrasound.save()
    client = patient_client(world)
    page = url("portal:book", world.paid_slot.pk) + "?service=usg-jamy-brzusznej"
    confirm = client.get(page).content.decode()
    assert "Employer&#x27;s NIP" in confirm or "Employer's NIP" in confirm
    missing = client.post(page, {"accept_price": "on"})
    assert missing.status_code == 422 and not Appointment.objects.exists()
    bad_nip = client.post(
        page,
        {
            "accept_price": "on",
            "employer_name": "Hefajstos sp. z o.o.",
            "employer_nip": "123-456-78-90",
            "employer_referral_number": "MP/2026/117",
        },
    )
    assert bad_nip.status_code == 422 and not Appointment.objects.exists()
    booked_response = client.post(
        page,
        {
            "accept_price": "on",
            "employer_name": "Hefajstos sp. z o.o.",
            "employer_nip": "526-025-02-74",
            "employer_referral_number": "MP/2026/117",
        },
    )
    assert booked_response.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.referral.employer_referral_number == "MP/2026/117"  # BKG-6 data kept with the visit
