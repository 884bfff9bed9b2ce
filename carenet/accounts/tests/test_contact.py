"""ACC-8: contact data, the phone-change code, consents and the one place notices ask about them."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import override_settings

from carenet.accounts import contact, policies
from carenet.accounts.models import Consent, ContactChange, Patient, PhoneChange
from carenet.accounts.selectors import consent_in_force, consent_refused_patient_ids
from carenet.accounts.tests.factories import PatientFactory
from carenet.core.errors import ApplicationError
from carenet.messaging.models import OutboundMessage

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def code_of(change: PhoneChange) -> str:
    """The code as the SMS carries it (before the outbox scrubs it once sent)."""
    body = OutboundMessage.objects.get(key=f"phone-change:{change.pk}").body
    return next(word for word in body.replace(".", " ").split() if word.isdigit() and len(word) == 6)


def refused(call: object, code: str) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.code == code, caught.value.code
    return caught.value


# --- Rules --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("00-950", "00-950"), ("00950", "00-950"), (" 31-042 ", "31-042")],
)
def test_polish_postcodes(raw: str, expected: str) -> None:
    assert policies.normalize_postcode(raw) == expected


@pytest.mark.parametrize("raw", ["0-950", "00-9500", "AB-123", "٠٠-٩٥٠", "00 950", ""])
def test_bad_postcodes(raw: str) -> None:
    with pytest.raises(policies.InvalidContact):
        policies.normalize_postcode(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("500 100 200", "+48500100200"), ("+49 1512 3456789", "+4915123456789"), ("0044 7911 123456", "+447911123456")],
)
def test_contact_mobiles_polish_and_foreign(raw: str, expected: str) -> None:
    assert policies.normalize_contact_mobile(raw) == expected


@pytest.mark.parametrize(
    ("raw", "problem"), [("22 123 45 67", "phone_not_mobile"), ("12", "phone_format"), ("+1 999", "phone_format")]
)
def test_contact_mobiles_refused(raw: str, problem: str) -> None:
    with pytest.raises(policies.InvalidPhone) as caught:
        policies.normalize_contact_mobile(raw)
    assert caught.value.problem.value == problem


def test_masks_hide_the_value() -> None:
    assert policies.mask_phone("+48500100200") == "+48 *** *** 200"
    assert policies.mask_email("anna.nowak@example.pl") == "a***@example.pl"
    assert policies.mask_address(street="ul. Kwiatowa 5", postcode="00-950", city="Warszawa") == (
        "ul. ***, 00-***, Warszawa"
    )


def test_code_check_order() -> None:
    check = policies.phone_code_check
    later = NOW + dt.timedelta(minutes=10)
    assert check(matches=True, attempts=0, max_attempts=5, expires_at=later, now=NOW) == "ok"
    assert check(matches=False, attempts=4, max_attempts=5, expires_at=later, now=NOW) == "code_wrong"
    assert check(matches=True, attempts=5, max_attempts=5, expires_at=later, now=NOW) == "too_many_attempts"
    assert check(matches=True, attempts=0, max_attempts=5, expires_at=NOW, now=NOW) == "code_expired"


# --- E-mail and address -------------------------------------------------------------------------------------


def test_update_records_masked_changes_and_tells_the_old_address() -> None:
    patient = PatientFactory(email="anna@example.pl")
    changes = contact.contact_data_update(
        patient=patient,
        by=patient.user,
        email="nowy.adres@example.com",
        street="ul. Kwiatowa 5",
        postcode="00950",
        city="Warszawa",
        now=NOW,
    )
    assert [(c.field, c.old_value, c.new_value) for c in changes] == [
        ("email", "a***@example.pl", "n***@example.com"),
        ("address", "", "ul. ***, 00-***, Warszawa"),
    ]
    stored = Patient.objects.get(pk=patient.pk)
    assert (stored.email, stored.street, stored.postcode, stored.city) == (
        "nowy.adres@example.com",
        "ul. Kwiatowa 5",
        "00-950",
        "Warszawa",
    )
    assert stored.user is not None and stored.user.email == "nowy.adres@example.com"
    notice = OutboundMessage.objects.get(purpose="email-changed")
    assert (notice.channel, notice.recipient) == ("email", "anna@example.pl")
    assert "nowy.adres" not in notice.body
    # The same data again changes nothing and records nothing.
    assert (
        contact.contact_data_update(
            patient=stored,
            by=None,
            email="nowy.adres@example.com",
            street="ul. Kwiatowa 5",
            postcode="00-950",
            city="Warszawa",
        )
        == []
    )
    assert ContactChange.objects.count() == 2


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"email": "nie-adres"}, "email_invalid"),
        ({"email": "a\x00@example.pl"}, "email_invalid"),
        ({"street": "ul. Kwiatowa 5", "postcode": "", "city": "Warszawa"}, "address_incomplete"),
        ({"street": "ul. Kwiatowa 5", "postcode": "0095", "city": "Warszawa"}, "postcode_invalid"),
        ({"street": "ul. 🌷 5", "postcode": "00-950", "city": "Warszawa"}, "street_invalid"),
        ({"street": "x" * 121, "postcode": "00-950", "city": "Warszawa"}, "street_invalid"),
        ({"street": "ul. Kwiatowa 5", "postcode": "00-950", "city": "War\x00szawa"}, "city_invalid"),
    ],
)
def test_hostile_contact_data_is_refused_and_nothing_stored(fields: dict[str, str], code: str) -> None:
    patient = PatientFactory(email="anna@example.pl")
    values = {"email": "anna@example.pl", "street": "", "postcode": "", "city": "", **fields}
    refused(lambda: contact.contact_data_update(patient=patient, by=None, **values), code)
    assert ContactChange.objects.count() == 0 and OutboundMessage.objects.count() == 0
    assert Patient.objects.get(pk=patient.pk).email == "anna@example.pl"


# --- The phone change ---------------------------------------------------------------------------------------


def test_phone_change_code_goes_to_the_new_number_and_the_old_one_stays_until_confirmed() -> None:
    patient = PatientFactory(mobile="+48500100200")
    change = contact.phone_change_request(patient=patient, new_mobile="600 700 800", now=NOW)
    sms = OutboundMessage.objects.get(key=f"phone-change:{change.pk}")
    assert (sms.channel, sms.recipient, sms.purpose) == ("sms", "+48600700800", "phone-change-code")
    assert sms.secret_length == 6  # scrubbed from the stored text once sent
    assert Patient.objects.get(pk=patient.pk).mobile == "+48500100200"
    assert Patient.objects.get(pk=patient.pk).contact_mobile == "+48500100200"
    code = code_of(change)
    assert code not in change.code_hash
    recorded = contact.phone_change_confirm(patient=patient, by=patient.user, code=code, now=NOW)
    assert Patient.objects.get(pk=patient.pk).mobile == "+48600700800"
    assert (recorded.field, recorded.old_value, recorded.new_value) == ("mobile", "+48 *** *** 200", "+48 *** *** 800")
    told = OutboundMessage.objects.get(purpose="phone-changed")
    assert told.recipient == "+48500100200"
    # Once used, the code is spent.
    refused(lambda: contact.phone_change_confirm(patient=patient, by=None, code=code, now=NOW), "no_phone_change")


def test_a_wrong_code_counts_and_too_many_spend_the_change() -> None:
    patient = PatientFactory()
    change = contact.phone_change_request(patient=patient, new_mobile="600700801", now=NOW)
    right = code_of(change)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        refused(lambda: contact.phone_change_confirm(patient=patient, by=None, code=wrong, now=NOW), "code_wrong")
    assert PhoneChange.objects.get(pk=change.pk).attempts == 5
    refused(lambda: contact.phone_change_confirm(patient=patient, by=None, code=right, now=NOW), "too_many_attempts")
    assert Patient.objects.get(pk=patient.pk).mobile != "+48600700801"
    assert contact.phone_change_pending(patient=patient, now=NOW) is None


@pytest.mark.parametrize("typed", ["", "12345", "１２３４５６", "12345\x00", "9" * 12, "🙂🙂🙂🙂🙂🙂"])
def test_malformed_codes_are_wrong_codes(typed: str) -> None:
    patient = PatientFactory()
    contact.phone_change_request(patient=patient, new_mobile="600700802", now=NOW)
    refused(lambda: contact.phone_change_confirm(patient=patient, by=None, code=typed, now=NOW), "code_wrong")


def test_an_expired_code_is_refused_even_when_right() -> None:
    patient = PatientFactory()
    change = contact.phone_change_request(patient=patient, new_mobile="600700803", now=NOW)
    later = NOW + dt.timedelta(minutes=10)
    refused(
        lambda: contact.phone_change_confirm(patient=patient, by=None, code=code_of(change), now=later), "code_expired"
    )
    assert Patient.objects.get(pk=patient.pk).mobile != "+48600700803"


def test_a_new_request_makes_the_earlier_code_stop_working() -> None:
    patient = PatientFactory()
    first = contact.phone_change_request(patient=patient, new_mobile="600700804", now=NOW)
    second = contact.phone_change_request(patient=patient, new_mobile="600700805", now=NOW + dt.timedelta(seconds=5))
    assert contact.phone_change_pending(patient=patient, now=NOW + dt.timedelta(seconds=6)) == second
    assert PhoneChange.objects.get(pk=first.pk).expires_at <= NOW + dt.timedelta(seconds=5)


@override_settings(CARENET_PHONE_CODE_SMS_PER_HOUR=3)
def test_codes_are_throttled_per_patient_and_per_number() -> None:
    patient = PatientFactory()
    for minute in range(3):
        contact.phone_change_request(patient=patient, new_mobile="600700806", now=NOW + dt.timedelta(minutes=minute))
    refused(
        lambda: contact.phone_change_request(
            patient=patient, new_mobile="600700807", now=NOW + dt.timedelta(minutes=4)
        ),
        "too_many_sms",
    )
    # Another account cannot bomb the same number either.
    stranger = PatientFactory()
    refused(
        lambda: contact.phone_change_request(
            patient=stranger, new_mobile="600700806", now=NOW + dt.timedelta(minutes=5)
        ),
        "too_many_sms",
    )
    assert OutboundMessage.objects.filter(purpose="phone-change-code").count() == 3
    contact.phone_change_request(patient=patient, new_mobile="600700807", now=NOW + dt.timedelta(minutes=61))


def test_another_patients_number_is_refused_without_saying_whose() -> None:
    other = PatientFactory(first_name="Beata", mobile="+48600700900")
    patient = PatientFactory()
    error = refused(
        lambda: contact.phone_change_request(patient=patient, new_mobile="600 700 900", now=NOW), "phone_taken"
    )
    assert other.first_name not in str(error.message) and other.last_name not in str(error.message)
    assert OutboundMessage.objects.count() == 0
    # The refused request is kept only to count against the hourly limit: no code, nothing waiting for one.
    assert list(PhoneChange.objects.values_list("code_hash", flat=True)) == [""]
    assert contact.phone_change_pending(patient=patient, now=NOW) is None


def test_a_number_taken_between_the_code_and_the_confirmation_is_refused() -> None:
    patient = PatientFactory()
    change = contact.phone_change_request(patient=patient, new_mobile="600700901", now=NOW)
    PatientFactory(mobile="+48600700901")
    refused(
        lambda: contact.phone_change_confirm(patient=patient, by=None, code=code_of(change), now=NOW), "phone_taken"
    )
    assert ContactChange.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "code"), [("22 123 45 67", "phone_not_mobile"), ("x\x00", "phone_format"), ("", "phone_format")]
)
def test_bad_new_numbers(raw: str, code: str) -> None:
    patient = PatientFactory()
    refused(lambda: contact.phone_change_request(patient=patient, new_mobile=raw, now=NOW), code)
    assert PhoneChange.objects.count() == 0


def test_the_same_number_is_not_a_change() -> None:
    patient = PatientFactory(mobile="+48500100222")
    refused(lambda: contact.phone_change_request(patient=patient, new_mobile="500 100 222", now=NOW), "phone_unchanged")


# --- Consents -------------------------------------------------------------------------------------------------


def test_consents_defaults_history_and_current_state() -> None:
    patient = PatientFactory()
    states = {state.kind: (state.granted, state.at) for state in contact.consent_states(patient=patient)}
    assert states == {"sms_notices": (True, None), "email_notices": (True, None), "marketing": (False, None)}
    # Equal to the default: nothing recorded.
    assert contact.consents_set(patient=patient, by=None, decisions={"sms_notices": True}, now=NOW) == []
    contact.consents_set(patient=patient, by=patient.user, decisions={"sms_notices": False, "marketing": True}, now=NOW)
    later = NOW + dt.timedelta(days=3)
    contact.consents_set(patient=patient, by=patient.user, decisions={"sms_notices": True}, now=later)
    states = {state.kind: (state.granted, state.at) for state in contact.consent_states(patient=patient)}
    assert states == {"sms_notices": (True, later), "email_notices": (True, None), "marketing": (True, NOW)}
    history = [(row.kind, row.granted, row.current) for row in contact.consent_history(patient=patient)]
    assert history == [("sms_notices", True, True), ("marketing", True, True), ("sms_notices", False, False)] or (
        history == [("sms_notices", True, True), ("sms_notices", False, False), ("marketing", True, True)]
    )
    assert Consent.objects.filter(patient=patient, current=True).count() == 2
    refused(lambda: contact.consents_set(patient=patient, by=None, decisions={"spam": True}), "consent_unknown")


def test_the_one_check_follows_the_guardian_for_a_child() -> None:
    guardian = PatientFactory()
    child = PatientFactory(child=True, guardian=guardian)
    adult = PatientFactory()
    assert consent_refused_patient_ids(patient_ids=[guardian.pk, child.pk, adult.pk], kind="sms_notices") == set()
    assert consent_refused_patient_ids(patient_ids=[adult.pk], kind="marketing") == {adult.pk}
    contact.consents_set(patient=guardian, by=None, decisions={"sms_notices": False})
    assert consent_refused_patient_ids(patient_ids=[guardian.pk, child.pk, adult.pk], kind="sms_notices") == {
        guardian.pk,
        child.pk,
    }
    assert consent_in_force(patient=adult, kind="sms_notices")
    assert not consent_in_force(patient=child, kind="sms_notices")


@time_machine.travel(NOW, tick=False)
def test_consent_states_dates_use_the_clock() -> None:
    patient = PatientFactory()
    contact.consents_set(patient=patient, by=None, decisions={"email_notices": False})
    assert [s.at for s in contact.consent_states(patient=patient) if s.kind == "email_notices"] == [NOW]
