"""The back office refuses bad input with a message that says what is wrong, and saves nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from carenet.accounts.models import Patient
from carenet.coverage.tests.factories import TierFactory
from carenet.network.models import Facility, FacilityClosure, Language
from carenet.network.tests.factories import CityFactory, FacilityFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def english_url(name: str) -> str:
    """The /en/ address of a back-office page: pages without a language prefix are Polish whatever the browser asks."""
    with translation.override("en"):
        return reverse(name)


def test_net3_closure_ending_before_it_starts_is_refused(admin_client: Client) -> None:
    facility = FacilityFactory()
    response = admin_client.post(
        english_url("admin:network_facilityclosure_add"),
        {
            "facility": facility.pk,
            "starts_at_0": "2026-12-10",
            "starts_at_1": "08:00",
            "ends_at_0": "2026-12-09",
            "ends_at_1": "08:00",
            "reason": "Kwarantanna lekarza",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "A closure must end after it starts." in response.content.decode()
    assert not FacilityClosure.objects.exists()


def test_net3_valid_closure_is_saved(admin_client: Client) -> None:
    facility = FacilityFactory()
    response = admin_client.post(
        reverse("admin:network_facilityclosure_add"),
        {
            "facility": facility.pk,
            "starts_at_0": "2026-12-10",
            "starts_at_1": "08:00",
            "ends_at_0": "2026-12-12",
            "ends_at_1": "20:00",
            "reason": "Kwarantanna lekarza",
        },
    )
    assert response.status_code == 302
    closure = FacilityClosure.objects.get()
    assert closure.facility == facility
    # The change is kept with who made it.
    from auditlog.models import LogEntry

    entry = LogEntry.objects.get_for_object(closure).get()
    assert entry.actor is not None and entry.actor.is_superuser


@pytest.mark.parametrize(
    ("pesel", "mobile", "message"),
    [
        ("44051401358", "600100200", "check digit"),
        ("44051401359", "22 100 20 30", "mobile"),
    ],
)
def test_acc1_patient_with_bad_pesel_or_phone_is_refused(
    admin_client: Client, pesel: str, mobile: str, message: str
) -> None:
    response = admin_client.post(
        english_url("admin:accounts_patient_add"),
        {
            "first_name": "Jan",
            "last_name": "Nowak",
            "pesel": pesel,
            "mobile": mobile,
            "account_level": 1,
            "identity_confirmations-TOTAL_FORMS": 0,
            "identity_confirmations-INITIAL_FORMS": 0,
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Patient.objects.exists()


def test_acc1_patient_added_in_back_office_gets_birth_date_and_sex_from_pesel(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("admin:accounts_patient_add"),
        {
            "first_name": "Jan",
            "last_name": "Nowak",
            "pesel": "44051401359",
            "mobile": "600 100 200",
            "account_level": 1,
            "identity_confirmations-TOTAL_FORMS": 0,
            "identity_confirmations-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    patient = Patient.objects.get()
    assert (str(patient.birth_date), patient.sex, patient.mobile) == ("1944-05-14", "M", "+48600100200")


def test_net1_facility_with_bad_opening_hours_is_refused(admin_client: Client) -> None:
    city = CityFactory()
    response = admin_client.post(
        english_url("admin:network_facility_add"),
        {
            "code": "nowa",
            "name": "CareNet Centrum Nowe",
            "kind": "own",
            "brand": "centre",
            "city": city.pk,
            "address": "ul. Prosta 1",
            "phone": "+48 22 100 20 30",
            "opening_hours": '{"mon": [["20:00", "07:00"]]}',
            "is_active": "on",
            "rooms-TOTAL_FORMS": 0,
            "rooms-INITIAL_FORMS": 0,
            "closures-TOTAL_FORMS": 0,
            "closures-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "mon: closes (07:00) before it opens (20:00)." in response.content.decode()
    assert not Facility.objects.exists()


def test_net1_partner_facility_cannot_carry_a_network_brand(admin_client: Client) -> None:
    city = CityFactory()
    response = admin_client.post(
        english_url("admin:network_facility_add"),
        {
            "code": "partner-x",
            "name": "Przychodnia X",
            "kind": "partner",
            "brand": "centre",
            "city": city.pk,
            "address": "ul. Prosta 1",
            "phone": "+48 22 100 20 30",
            "opening_hours": "{}",
            "is_active": "on",
            "rooms-TOTAL_FORMS": 0,
            "rooms-INITIAL_FORMS": 0,
            "closures-TOTAL_FORMS": 0,
            "closures-INITIAL_FORMS": 0,
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Own centres carry a network brand" in response.content.decode()
    assert not Facility.objects.exists()


def test_acc5_the_back_office_cannot_raise_the_account_level_without_a_confirmation(admin_client: Client) -> None:
    """ACC-5: level II only through an identity confirmation (who, how, when); a posted level is ignored."""
    response = admin_client.post(
        reverse("admin:accounts_patient_add"),
        {
            "first_name": "Jan",
            "last_name": "Nowak",
            "pesel": "44051401359",
            "mobile": "600 100 200",
            "account_level": 2,
            "identity_confirmations-TOTAL_FORMS": 0,
            "identity_confirmations-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    patient = Patient.objects.get()
    assert patient.account_level == Patient.Level.BASIC
    response = admin_client.post(
        reverse("admin:accounts_patient_change", args=[patient.pk]),
        {
            "first_name": "Jan",
            "last_name": "Nowak",
            "pesel": "44051401359",
            "mobile": "600 100 200",
            "account_level": 2,
            "identity_confirmations-TOTAL_FORMS": 0,
            "identity_confirmations-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.account_level == Patient.Level.BASIC
    assert not patient.identity_confirmations.exists()


def test_the_back_office_does_not_show_authenticator_secrets(admin_client: Client) -> None:
    """Issue 10: an administrator sees a staff member's TOTP device, never its secret key (the second factor)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from carenet.accounts.tests.factories import UserFactory

    device = TOTPDevice.objects.create(user=UserFactory(username="lekarz.totp"), name="CareNet", confirmed=True)
    page = admin_client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk])).content.decode()
    assert "lekarz.totp" in page or "CareNet" in page
    assert device.key not in page
    listing = admin_client.get(reverse("admin:otp_totp_totpdevice_changelist")).content.decode()
    assert device.key not in listing
    config = admin_client.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk]))
    assert config.status_code in {403, 404} or device.config_url not in config.content.decode()


def test_bey5_english_names_are_edited_and_found_in_the_back_office(admin_client: Client) -> None:
    """BEY-5, issue 14: a partner's scope in English is entered with the facility; tiers, languages and services
    are listed and found by their English names."""
    city = CityFactory()
    response = admin_client.post(
        english_url("admin:network_facility_add"),
        {
            "code": "partner-y",
            "name": "Przychodnia Y",
            "kind": "partner",
            "brand": "partner",
            "city": city.pk,
            "address": "ul. Prosta 2",
            "phone": "+48 22 100 20 31",
            "opening_hours": "{}",
            "scope": "Laboratorium, USG",
            "scope_en": "Laboratory, ultrasound",
            "is_active": "on",
            "rooms-TOTAL_FORMS": 0,
            "rooms-INITIAL_FORMS": 0,
            "closures-TOTAL_FORMS": 0,
            "closures-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Facility.objects.get(code="partner-y").scope_en == "Laboratory, ultrasound"
    assert (
        "Przychodnia Y" in admin_client.get(english_url("admin:network_facility_changelist"), {"q": "ultrasound"}).text
    )

    TierFactory(name="Pakiet Złoty", name_en="Gold Package")
    Language.objects.create(code="uk", name="ukraiński", name_en="Ukrainian")
    ServiceFactory(name="Morfologia krwi", name_en="Complete blood count")
    for changelist, query, shown in (
        ("admin:coverage_tier_changelist", "Gold", "Gold Package"),
        ("admin:network_language_changelist", "Ukrainian", "Ukrainian"),
        ("admin:network_service_changelist", "blood count", "Complete blood count"),
    ):
        page = admin_client.get(english_url(changelist), {"q": query}).text
        assert shown in page and "0 results" not in page, changelist
