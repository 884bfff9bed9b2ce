"""The back office's review queue of HL7 messages (CLN-3, issue 12): administrators only (RESULT_REVIEW), shown never
edited, filed for the right patient or dismissed; opening a message of a known patient is a recorded read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from carenet.accounts.models import PatientRead
from carenet.messaging.models import OutboundMessage
from carenet.results import samples, services
from carenet.results.models import InboundMessage, Result
from carenet.results.tests.factories import ResultPatientFactory

AT = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
WRONG_PESEL = "44051401458"


def queued(patient, control_id: str = "Q1") -> InboundMessage:
    text = samples.oru_message(
        pesel=WRONG_PESEL,
        family_name=patient.last_name,
        given_name=patient.first_name,
        orders=[samples.SampleOrder(panel="tsh")],
        at=AT,
        control_id=control_id,
    )
    assert services.message_receive(text, now=AT).code == "AE"
    return InboundMessage.objects.get(control_id=control_id)


def test_the_administrator_sees_the_queue_opens_a_message_and_files_it_for_the_right_patient(cast) -> None:
    patient = ResultPatientFactory()
    message = queued(patient)
    admin = cast.client("admin")
    listing = admin.get(reverse("admin:results_inboundmessage_changelist") + "?state__exact=review")
    assert listing.status_code == 200 and WRONG_PESEL.encode() in listing.content
    page = admin.get(reverse("admin:results_inboundmessage_change", args=[message.pk]))
    assert page.status_code == 200
    assert b"TSH" in page.content and b"results_inboundmessage_assign" not in page.content
    assert reverse("admin:results_inboundmessage_assign", args=[message.pk]).encode() in page.content
    assert not PatientRead.objects.exists()  # nobody in CareNet has that PESEL: no known patient's data was read
    answer = admin.post(reverse("admin:results_inboundmessage_assign", args=[message.pk]), {"pesel": patient.pesel})
    assert answer.status_code == 302
    message.refresh_from_db()
    assert (message.state, message.reviewed_by) == ("resolved", cast.user("admin"))
    assert Result.objects.get().patient == patient and OutboundMessage.objects.filter(patient=patient).exists()
    admin.get(reverse("admin:results_inboundmessage_change", args=[message.pk]))
    read = PatientRead.objects.get()
    assert (read.patient, read.what, read.door) == (patient, "results", "back_office")


def test_a_wrong_pesel_in_the_form_files_nothing_and_dismissing_keeps_the_message(cast) -> None:
    patient = ResultPatientFactory()
    message = queued(patient)
    admin = cast.client("admin")
    for pesel in ("12345678901", "", "\x00" * 11, WRONG_PESEL):
        admin.post(reverse("admin:results_inboundmessage_assign", args=[message.pk]), {"pesel": pesel})
    message.refresh_from_db()
    assert message.state == "review" and not Result.objects.exists()
    admin.post(reverse("admin:results_inboundmessage_dismiss", args=[message.pk]))
    message.refresh_from_db()
    assert message.state == "dismissed" and InboundMessage.objects.count() == 1
    # Reviewed once: a second action changes nothing.
    admin.post(reverse("admin:results_inboundmessage_assign", args=[message.pk]), {"pesel": patient.pesel})
    assert not Result.objects.exists()


@pytest.mark.parametrize("role", ["coordinator", "receptionist_here", "clinician_with", "patient", "anonymous"])
def test_nobody_else_reviews_and_a_refused_request_changes_nothing(cast, role: str) -> None:
    patient = ResultPatientFactory()
    message = queued(patient)
    client = cast.client(role)
    assert client.get(reverse("admin:results_inboundmessage_changelist")).status_code in (302, 403)
    assert client.get(reverse("admin:results_inboundmessage_change", args=[message.pk])).status_code in (302, 403)
    for action in ("assign", "dismiss"):
        answer = client.post(
            reverse(f"admin:results_inboundmessage_{action}", args=[message.pk]), {"pesel": patient.pesel}
        )
        assert answer.status_code in (302, 403)
    message.refresh_from_db()
    assert message.state == "review" and not Result.objects.exists() and not PatientRead.objects.exists()


def test_no_edit_no_delete_and_unknown_ids_are_not_found(cast) -> None:
    message = queued(ResultPatientFactory())
    admin = cast.client("admin")
    assert admin.get(reverse("admin:results_inboundmessage_delete", args=[message.pk])).status_code == 403
    assert admin.get(reverse("admin:results_inboundmessage_add")).status_code == 403
    assert (
        admin.post(reverse("admin:results_inboundmessage_change", args=[message.pk]), {"raw": "x"}).status_code == 403
    )
    assert admin.post(reverse("admin:results_inboundmessage_dismiss", args=["99999999999999999999"])).status_code == 404
    assert admin.get(reverse("admin:results_inboundmessage_assign", args=[message.pk])).status_code == 405
    message.refresh_from_db()
    assert message.state == "review" and message.raw.startswith("MSH|")
