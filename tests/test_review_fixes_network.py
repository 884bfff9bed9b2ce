"""What a review of running the network (issue 15) found from outside — access, hostile input and the API contract
of the new pages and endpoints — each reproduced against the role cast."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from carenet.accounts.models import Consent, Patient
from carenet.accounts.tests.factories import PatientFactory
from carenet.api.auth import token_issue
from carenet.core import clock
from carenet.coverage.models import RosterEntry, RosterUpload
from carenet.messaging.models import OutboundMessage
from tests.cast import Cast

pytestmark = pytest.mark.django_db


def _api(cast: Cast, role: str = "patient") -> Client:
    user = cast.users[role]
    assert user is not None
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=user, name='review', now=clock.now())[0]}")


@pytest.mark.parametrize("body", ["[]", '"x"', "5", "true", '["email"]'])
def test_contact_data_takes_only_a_json_object(cast: Cast, body: str) -> None:
    """ACC-8: a ninja ``Schema`` read any JSON value by its attributes, so ``[]`` answered 200 as "nothing to change"
    (schemathesis: a schema-violating request accepted). It is 422 ``invalid_input`` now, and nothing changes."""
    before = Patient.objects.values("email", "street", "postcode", "city").get(pk=cast.patient.pk)
    response = _api(cast).patch("/api/v1/me/contact-data", data=body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert Patient.objects.values("email", "street", "postcode", "city").get(pk=cast.patient.pk) == before


@pytest.mark.parametrize("body", ["[]", '"x"', "5", json.dumps({"marketing": "yes"}), json.dumps({"sms_notices": 0})])
def test_consents_take_only_json_booleans_in_an_object(cast: Cast, body: str) -> None:
    """ACC-8: ``"yes"`` or ``0`` is not a decision about a consent, ``[]`` is not a request: 422, nothing recorded."""
    response = _api(cast).put("/api/v1/me/consents", data=body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert not Consent.objects.filter(patient=cast.patient).exists()


def test_consents_still_take_a_json_boolean(cast: Cast) -> None:
    response = _api(cast).put(
        "/api/v1/me/consents", data=json.dumps({"marketing": True}), content_type="application/json"
    )
    assert response.status_code == 200
    assert Consent.objects.filter(patient=cast.patient, kind="marketing").exists()


# --- the employer's roster (PKG-8) -------------------------------------------------------------------------------


def _roster_upload(cast: Cast, *lines: str) -> HttpResponse:
    from carenet.coverage.tests.test_roster import HEADER

    enrolment = cast.patient.enrolments.get()
    enrolment.contract.tiers.add(enrolment.tier)
    content = (HEADER + "\n" + "\n".join(lines) + "\n").encode()
    return cast.client("employer_contact").post(
        reverse("staff:roster_upload"),
        {"file": SimpleUploadedFile("lista.csv", content), "mode": "changes"},
    )


def _line(cast: Cast, first: str, last: str) -> str:
    from carenet.coverage.tests.test_roster import JAN

    tier = cast.patient.enrolments.get().tier.code
    return f"{first};{last};{JAN};{tier};2026-01-01;2027-01-31;601234567;;"


def test_a_roster_file_with_an_unclosed_quote_is_refused_in_words_not_a_server_error(cast: Cast) -> None:
    """A stray quotation mark makes Python's csv reader take the rest of a big file as one field, past its field
    limit (128 kB): ``csv.Error`` was not caught and the upload answered 500. Now it is the file's problem, in words."""
    response = _roster_upload(cast, _line(cast, "Jan", "Kowalski"), '"' + "Nowak;" * 30_000)
    assert response.status_code == 422
    assert "CSV" in response.content.decode()
    assert not RosterUpload.objects.exists()


@pytest.mark.parametrize("first", ['=HYPERLINK("http://example.com/x";"Jan")', "+Jan", "-Jan", "@SUM(A:A)"])
def test_a_roster_name_a_spreadsheet_would_run_as_a_formula_is_an_invalid_line(cast: Cast, first: str) -> None:
    """CSV injection at the source: a name cell starting with = + - @ was a valid line, applied to the roster (and
    from there to a patient's record). It is listed as invalid now and never applied."""
    response = _roster_upload(cast, _line(cast, first, "Kowalski"))
    assert response.status_code == 200
    upload = RosterUpload.objects.get()
    assert upload.lines_invalid == 1
    cast.client("employer_contact").post(reverse("staff:roster_upload"), {"apply": upload.pk})
    assert not RosterEntry.objects.filter(first_name__startswith=first[0]).exists()


# --- "Twoje dane" (ACC-8) ----------------------------------------------------------------------------------------


def test_asking_whether_numbers_are_patients_is_held_by_the_hourly_limit(cast: Cast, settings: Any) -> None:
    """ACC-8: "409 phone_taken" tells that a number is another patient's. It was answered before the hourly limit
    and never counted by it (no code was sent), so a patient could ask about numbers without end. Now each such
    request counts, and past the limit every number — taken or not — answers ``too_many_sms``."""
    settings.CARENET_PHONE_CODE_SMS_PER_HOUR = 3
    patients = [PatientFactory(mobile=f"+4860070090{digit}") for digit in range(5)]
    client = _api(cast)
    codes = []
    for person in patients:
        response = client.post(
            "/api/v1/me/contact-data/phone",
            data=json.dumps({"mobile": person.mobile}),
            content_type="application/json",
        )
        codes.append(response.json()["code"])
    assert codes == ["phone_taken"] * 3 + ["too_many_sms"] * 2
    assert not OutboundMessage.objects.filter(purpose="phone-change-code").exists()


def test_a_refused_number_does_not_spoil_the_code_waiting_for_another(cast: Cast) -> None:
    """The counted refusal never becomes the change a code is checked against."""
    client = _api(cast)
    sent = client.post(
        "/api/v1/me/contact-data/phone", data=json.dumps({"mobile": "600700950"}), content_type="application/json"
    )
    assert sent.status_code == 202
    taken = PatientFactory(mobile="+48600700951")
    refused = client.post(
        "/api/v1/me/contact-data/phone", data=json.dumps({"mobile": taken.mobile}), content_type="application/json"
    )
    assert refused.json()["code"] == "phone_taken"
    message = OutboundMessage.objects.get(purpose="phone-change-code")
    assert message.secret_start is not None and message.secret_length is not None
    code = message.body[message.secret_start : message.secret_start + message.secret_length]
    confirmed = client.post(
        "/api/v1/me/contact-data/phone/confirm", data=json.dumps({"code": code}), content_type="application/json"
    )
    assert confirmed.status_code == 200
    assert Patient.objects.get(pk=cast.patient.pk).mobile == "+48600700950"


def test_a_roster_saved_as_excel_unicode_text_is_told_to_be_saved_as_csv_utf8(cast: Cast) -> None:
    """Excel's "Unicode text" is UTF-16: its every other byte is NUL, and the contact was told the file "is not a
    text (CSV) file" instead of how to save it. Now it is the encoding's message, and nothing is kept."""
    from carenet.coverage.tests.test_roster import HEADER

    enrolment = cast.patient.enrolments.get()
    content = (HEADER + "\n" + _line(cast, "Jan", "Kowalski") + "\n").encode("utf-16")
    response = cast.client("employer_contact").post(
        reverse("staff:roster_upload"), {"file": SimpleUploadedFile("lista.csv", content), "mode": "changes"}
    )
    assert response.status_code == 422
    [error] = response.context["form"].errors["file"]
    assert "UTF-8" in error and "NUL" not in error
    assert not RosterUpload.objects.filter(contract=enrolment.contract).exists()
