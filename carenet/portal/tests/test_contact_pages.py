"""ACC-8 in the portal: "Twoje dane" (e-mail, address, a new mobile confirmed by a code) and "Twoje zgody"."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from carenet.accounts.models import Consent, ContactChange, Patient, PhoneChange
from carenet.messaging.models import OutboundMessage
from tests.cast import Cast

pytestmark = pytest.mark.django_db

FORM = {
    "mobile": "",
    "email": "anna.nowa@example.pl",
    "street": "ul. Kwiatowa 5",
    "postcode": "00950",
    "city": "Kraków",
}


def code_sent() -> str:
    body = OutboundMessage.objects.get(purpose="phone-change-code").body
    return next(word for word in body.replace(".", " ").split() if word.isdigit() and len(word) == 6)


def test_the_page_shows_the_data_and_saves_email_and_address(cast: Cast) -> None:
    client = cast.client("patient")
    page = client.get(reverse("portal:contact_data"))
    assert page.status_code == 200
    assert cast.patient.mobile in page.content.decode()
    answer = client.post(reverse("portal:contact_data"), {**FORM, "mobile": cast.patient.mobile})
    assert answer.status_code == 302 and answer.headers["Location"] == reverse("portal:contact_data")
    stored = Patient.objects.get(pk=cast.patient.pk)
    assert (stored.email, stored.street, stored.postcode, stored.city) == (
        "anna.nowa@example.pl",
        "ul. Kwiatowa 5",
        "00-950",
        "Kraków",
    )
    history = client.get(reverse("portal:contact_data")).content.decode()
    assert 'data-field="email"' in history and 'data-field="address"' in history and "a***@example.pl" in history


def test_a_refused_form_says_why_in_polish_and_saves_nothing(cast: Cast) -> None:
    client = cast.client("patient")
    answer = client.post(
        reverse("portal:contact_data"),
        {**FORM, "mobile": "22 123 45 67", "postcode": "0095", "email": "nie-adres"},
    )
    assert answer.status_code == 422
    text = answer.content.decode()
    assert "Kod pocztowy" in text or "00-000" in text
    assert ContactChange.objects.count() == 0 and PhoneChange.objects.count() == 0
    assert not OutboundMessage.objects.filter(purpose="phone-change-code").exists()


@pytest.mark.parametrize("value", ["\x00", "a" * 5000, "🙂"])
def test_hostile_input_is_a_form_error_not_a_500(cast: Cast, value: str) -> None:
    client = cast.client("patient")
    for field in ("mobile", "email", "street", "postcode", "city"):
        answer = client.post(reverse("portal:contact_data"), {**FORM, "mobile": cast.patient.mobile, field: value})
        assert answer.status_code == 422, (field, value)
    assert ContactChange.objects.count() == 0


def test_a_new_number_is_used_only_after_the_code(cast: Cast) -> None:
    client = cast.client("patient")
    old = cast.patient.mobile
    answer = client.post(reverse("portal:contact_data"), {**FORM, "mobile": "+49 1512 3456789"})
    assert answer.headers["Location"] == reverse("portal:contact_data_phone_confirm")
    assert Patient.objects.get(pk=cast.patient.pk).mobile == old
    page = client.get(reverse("portal:contact_data_phone_confirm"))
    assert page.status_code == 200 and "+49 *** *** 789" in page.content.decode()
    wrong = client.post(reverse("portal:contact_data_phone_confirm"), {"code": "12"})
    assert wrong.status_code == 422
    done = client.post(reverse("portal:contact_data_phone_confirm"), {"code": code_sent()})
    assert done.status_code == 302
    assert Patient.objects.get(pk=cast.patient.pk).mobile == "+4915123456789"


def test_another_patients_number_is_refused_on_the_page(cast: Cast) -> None:
    client = cast.client("patient")
    answer = client.post(reverse("portal:contact_data"), {**FORM, "mobile": cast.other_patient.mobile})
    assert answer.status_code == 409
    assert cast.other_patient.last_name not in answer.content.decode()
    # Only the refused request, kept to count against the hourly limit: no code, nothing waiting for one.
    assert not PhoneChange.objects.exclude(code_hash="").exists() and ContactChange.objects.count() == 0


def test_the_code_page_without_a_change_says_so(cast: Cast) -> None:
    page = cast.client("patient").get(reverse("portal:contact_data_phone_confirm"))
    assert page.status_code == 200 and 'id="no-pending"' in page.content.decode()


def test_consents_page_records_each_decision(cast: Cast) -> None:
    client = cast.client("patient")
    page = client.get(reverse("portal:consents")).content.decode()
    assert 'data-kind="sms_notices" data-granted="1"' in page and 'data-kind="marketing" data-granted="0"' in page
    assert 'id="transactional-note"' in page
    answer = client.post(reverse("portal:consents"), {"email_notices": "on", "marketing": "on"})
    assert answer.status_code == 302
    decisions = set(Consent.objects.filter(patient=cast.patient).values_list("kind", "granted"))
    assert decisions == {("sms_notices", False), ("marketing", True)}
    page = client.get(reverse("portal:consents")).content.decode()
    assert 'data-kind="sms_notices" data-granted="0"' in page


def test_english_pages(cast: Cast) -> None:
    client = cast.client("patient")
    with translation.override("en"):
        urls = [
            reverse("portal:contact_data"),
            reverse("portal:consents"),
            reverse("portal:contact_data_phone_confirm"),
        ]
    for url in urls:
        page = client.get(url)
        assert page.status_code == 200, url


def test_a_guardian_sees_that_the_choice_covers_the_children(cast: Cast) -> None:
    page = cast.client("guardian").get(reverse("portal:consents")).content.decode()
    assert 'id="children-note"' in page


def test_the_call_centre_sees_the_consents_on_the_patient_page(cast: Cast) -> None:
    """ACC-8: the consents in force on the staff patient page (a read of the patient page, recorded); a child's are
    the guardian's."""
    from carenet.accounts import contact
    from carenet.accounts.models import PatientRead

    contact.consents_set(patient=cast.guardian, by=None, decisions={"sms_notices": False})
    client = cast.client("call_centre")
    page = client.get(reverse("staff:patient", args=[cast.child.pk])).content.decode()
    assert 'data-kind="sms_notices" data-granted="0"' in page and cast.guardian.full_name in page
    assert PatientRead.objects.filter(patient=cast.child, what="patient_page").exists()
    page = client.get(reverse("staff:patient", args=[cast.patient.pk])).content.decode()
    assert 'data-kind="sms_notices" data-granted="1"' in page
