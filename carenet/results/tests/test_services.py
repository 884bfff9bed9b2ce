"""Receiving HL7 results (CLN-3, issue 12): filing, review queue, idempotency, corrections, the SMS, PDFs."""

from __future__ import annotations

import base64
import datetime as dt
import threading
from decimal import Decimal

import pikepdf
import pytest
from django.db import connection

from carenet.accounts.models import User
from carenet.accounts.selectors import actor_for_user
from carenet.api.tests.factories import PatientFactory, UserFactory
from carenet.clinical.tests.factories import NetworkReferralFactory
from carenet.core.errors import PermissionDenied
from carenet.messaging.models import OutboundMessage
from carenet.results import samples, services
from carenet.results.models import InboundMessage, Observation, Result
from carenet.results.tests.factories import ResultPatientFactory

AT = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.django_db


def message(patient, *orders: samples.SampleOrder, control_id: str = "M1", **overrides) -> str:
    fields = {
        "pesel": patient.pesel,
        "family_name": patient.last_name,
        "given_name": patient.first_name,
        "orders": list(orders) or [samples.SampleOrder(panel="morfologia")],
        "at": AT,
        "control_id": control_id,
    }
    return samples.oru_message(**(fields | overrides))


def msa(ack: services.Ack) -> list[str]:
    return next(line for line in ack.message.split("\r") if line.startswith("MSA")).split("|")


def test_a_matched_panel_is_filed_with_its_observations_and_the_patient_gets_one_sms() -> None:
    patient = ResultPatientFactory()
    text = message(
        patient,
        samples.SampleOrder(panel="lipidogram", values={"2093-3": Decimal(231)}),
        samples.SampleOrder(panel="tsh"),
    )
    ack = services.message_receive(text, now=AT)
    assert (ack.code, msa(ack)[1:3]) == ("AA", ["AA", "M1"])
    stored = InboundMessage.objects.get()
    assert (stored.state, stored.sender, stored.control_id, stored.patient_pesel) == (
        "accepted",
        "ALAB^ALAB-WAW",
        "M1",
        patient.pesel,
    )
    lipids, tsh = Result.objects.order_by("id")
    assert (lipids.patient, lipids.kind, lipids.name, lipids.code, lipids.status) == (
        patient,
        "lab",
        "Lipidogram",
        "57698-3",
        "F",
    )
    cholesterol = lipids.observations.get(code="2093-3")
    assert (cholesterol.numeric_value, cholesterol.unit, cholesterol.abnormal_flag) == (Decimal(231), "mg/dl", "H")
    assert (cholesterol.range_low, cholesterol.range_high, cholesterol.coding_system) == (None, Decimal(190), "LN")
    assert tsh.observations.count() == 1 and lipids.observations.count() == 4
    sms = OutboundMessage.objects.get(purpose=services.RESULTS_READY)
    assert sms.recipient == patient.mobile and sms.patient == patient
    assert "Lipidogram" not in sms.body and "TSH" not in sms.body and "231" not in sms.body
    assert "wyniki" in sms.body.lower()
    assert all(result.patient_notified_at == AT for result in Result.objects.all())


def test_a_resent_message_answers_the_same_ack_and_changes_nothing() -> None:
    patient = ResultPatientFactory()
    text = message(patient)
    first = services.message_receive(text, now=AT)
    counts = (InboundMessage.objects.count(), Result.objects.count(), Observation.objects.count())
    again = services.message_receive(text, now=AT + dt.timedelta(hours=1))
    assert again == first
    assert (InboundMessage.objects.count(), Result.objects.count(), Observation.objects.count()) == counts
    assert OutboundMessage.objects.count() == 1


def test_an_unknown_patient_is_kept_for_review_and_answered_ae() -> None:
    ghost = PatientFactory.build(pesel="44051401458", last_name="Nieznany", first_name="Jan")
    ack = services.message_receive(message(ghost), now=AT)
    assert ack.code == "AE" and "PESEL" in ack.text
    stored = InboundMessage.objects.get()
    assert (stored.state, stored.ack_code, stored.patient_pesel, stored.patient_name) == (
        "review",
        "AE",
        "44051401458",
        "Jan Nieznany",
    )
    assert not Result.objects.exists() and not OutboundMessage.objects.exists()


def test_a_valid_pesel_with_another_family_name_is_not_filed() -> None:
    patient = ResultPatientFactory(last_name="Wiśniewska")
    ack = services.message_receive(message(patient, family_name="Kowalski"), now=AT)
    assert ack.code == "AE" and not Result.objects.exists()
    # Case, accents and a double-barrelled name are the same person.
    ack = services.message_receive(message(patient, family_name="WISNIEWSKA-NOWAK", control_id="M2"), now=AT)
    assert ack.code == "AA"


def test_an_order_of_this_patient_links_the_referral_and_its_clinician() -> None:
    patient = ResultPatientFactory()
    referral = NetworkReferralFactory(patient=patient)
    services.message_receive(message(patient, samples.SampleOrder(placer_order_number=f"CN{referral.pk}")), now=AT)
    result = Result.objects.get()
    assert (result.referral, result.ordered_by, result.placer_order_number) == (
        referral,
        referral.issued_by,
        f"CN{referral.pk}",
    )
    # The e-referral's national key names the same order.
    services.message_receive(
        message(
            patient,
            samples.SampleOrder(placer_order_number=referral.national_id, filler_order_number="L2"),
            control_id="M2",
        ),
        now=AT,
    )
    assert Result.objects.filter(referral=referral).count() == 2


def test_an_order_that_is_someone_elses_or_unknown_goes_to_review() -> None:
    patient, stranger = ResultPatientFactory(), ResultPatientFactory()
    theirs = NetworkReferralFactory(patient=stranger)
    ack = services.message_receive(message(patient, samples.SampleOrder(placer_order_number=f"CN{theirs.pk}")), now=AT)
    assert ack.code == "AE" and f"CN{theirs.pk}" in ack.text
    ack = services.message_receive(
        message(patient, samples.SampleOrder(placer_order_number="CN999999"), control_id="M2"), now=AT
    )
    assert ack.code == "AE"
    assert set(InboundMessage.objects.values_list("state", "order_number")) == {
        ("review", f"CN{theirs.pk}"),
        ("review", "CN999999"),
    }
    assert not Result.objects.exists()


@pytest.mark.parametrize(
    ("replace", "reason"),
    [
        (("ORU^R01^ORU_R01", "ADT^A01^ADT_A01"), "ORU^R01"),
        (("|P|2.5|", "|P|2.3|"), "2.5"),
        (("|20261120", "|99991120"), "1900"),
        (("OBX|1|NM|6690-2", "OBX|1|NM|" + "9" * 41), "OBX"),
    ],
)
def test_what_cannot_be_read_is_rejected_ar_and_kept(replace: tuple[str, str], reason: str) -> None:
    patient = ResultPatientFactory()
    ack = services.message_receive(message(patient).replace(*replace, 1), now=AT)
    assert ack.code == "AR" and reason in ack.text and msa(ack)[2] == "M1"
    stored = InboundMessage.objects.get()
    assert (stored.state, stored.ack_code) == ("rejected", "AR")
    assert not Result.objects.exists()


def test_no_readable_header_still_gets_an_ar_ack_and_nothing_is_kept() -> None:
    for text in ("", "hello", "PID|1||123", "\x00\x0b\x1c", "MSH"):
        ack = services.message_receive(text, now=AT)
        assert ack.code == "AR" and ack.message.startswith("MSH|^~\\&|") and "\rMSA|AR|" in ack.message
    assert not InboundMessage.objects.exists()


def test_nul_and_emoji_in_fields_are_stored_without_the_nul() -> None:
    patient = ResultPatientFactory(first_name="Zoë")
    text = message(patient, given_name="Zo\x00ë 🙂").replace("Hemoglobina (HGB)", "Hemoglobina 🩸\x00")
    ack = services.message_receive(text, now=AT)
    assert ack.code == "AA"
    stored = InboundMessage.objects.get()
    assert "\x00" not in stored.raw and "🙂" in stored.raw
    assert Observation.objects.filter(name="Hemoglobina 🩸").exists()


def test_a_huge_message_is_rejected_and_only_its_beginning_kept() -> None:
    patient = ResultPatientFactory()
    text = message(patient) + "NTE|1||" + "x" * (12 * 1024 * 1024) + "\r"
    ack = services.message_receive(text, now=AT)
    assert ack.code == "AR" and msa(ack)[2] == "M1"
    assert len(InboundMessage.objects.get().raw) < 70_000
    assert not Result.objects.exists()


def test_an_imaging_report_keeps_its_text_and_pdf() -> None:
    patient = ResultPatientFactory()
    text = message(patient, samples.SampleOrder(panel="usg", with_pdf=True), sender=samples.IMAGING_SENDER)
    ack = services.message_receive(text, now=AT)
    assert ack.code == "AA" and ack.text == ""
    result = Result.objects.get()
    assert result.kind == "imaging" and "Wątroba niepowiększona" in result.report_text
    assert "\n" in result.report_text and not result.observations.exists()
    assert result.performed_by == "Pracownia Diagnostyki Obrazowej Warszawa"
    with result.pdf.open("rb") as stored:
        assert stored.read(5) == b"%PDF-"


def _with_attachment(text: str, data: bytes) -> str:
    encoded = base64.b64encode(data).decode()
    return text.rstrip("\r") + f"\rOBX|9|ED|PDF^Raport||^application^pdf^Base64^{encoded}||||||F\r"


def _pdf_with_javascript() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    out = __import__("io").BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "problem"),
    [(b"<html><script>alert(1)</script></html>", "not a PDF"), (_pdf_with_javascript(), "JavaScript")],
)
def test_an_attachment_that_is_not_a_harmless_pdf_is_left_out_and_the_result_kept(data: bytes, problem: str) -> None:
    patient = ResultPatientFactory()
    ack = services.message_receive(_with_attachment(message(patient), data), now=AT)
    assert ack.code == "AA" and problem in ack.text
    result = Result.objects.get()
    assert not result.pdf and result.observations.count() == 5


def test_a_correction_replaces_the_observations_of_the_same_lab_number_and_a_preliminary_sends_no_sms() -> None:
    patient = ResultPatientFactory()
    order = {"panel": "glukoza", "filler_order_number": "ALAB-1"}
    services.message_receive(
        message(patient, samples.SampleOrder(status="P", values={"2345-7": Decimal(130)}, **order)), now=AT
    )
    result = Result.objects.get()
    assert result.status == "P" and result.patient_notified_at is None and not OutboundMessage.objects.exists()
    services.message_receive(
        message(patient, samples.SampleOrder(status="F", values={"2345-7": Decimal(128)}, **order), control_id="M2"),
        now=AT,
    )
    services.message_receive(
        message(patient, samples.SampleOrder(status="C", values={"2345-7": Decimal(92)}, **order), control_id="M3"),
        now=AT,
    )
    result = Result.objects.get()
    assert result.status == "C" and result.message.control_id == "M3"
    assert list(result.observations.values_list("numeric_value", flat=True)) == [Decimal(92)]
    assert OutboundMessage.objects.count() == 1  # final told once; the correction is the same result
    # A late preliminary never replaces the corrected result.
    ack = services.message_receive(
        message(patient, samples.SampleOrder(status="P", values={"2345-7": Decimal(300)}, **order), control_id="M4"),
        now=AT,
    )
    assert ack.code == "AA" and "ALAB-1" in ack.text
    assert Result.objects.get().status == "C"
    assert InboundMessage.objects.count() == 4  # every message kept


def test_a_childs_results_are_announced_to_the_guardian() -> None:
    guardian = ResultPatientFactory(mobile="+48600111222")
    child = ResultPatientFactory(mobile="", guardian=guardian, user=None)
    services.message_receive(message(child), now=AT)
    assert OutboundMessage.objects.get().recipient == "+48600111222"


def _admin():
    user = UserFactory(username="admin-results", role=User.Role.ADMIN, is_staff=True)
    return actor_for_user(user)


def test_the_back_office_assigns_a_queued_message_to_the_right_patient_or_dismisses_one() -> None:
    patient = ResultPatientFactory(last_name="Nowak")
    text = message(patient, pesel="44051401458")  # a mistyped PESEL
    services.message_receive(text, now=AT)
    queued = InboundMessage.objects.get()
    assigned = services.message_assign(actor=_admin(), message_id=queued.pk, patient_id=patient.pk, now=AT)
    assert assigned.state == "resolved" and assigned.reviewed_at == AT
    assert Result.objects.get().patient == patient
    assert OutboundMessage.objects.get().patient == patient
    with pytest.raises(services.ReviewRefused):
        services.message_assign(actor=_admin(), message_id=queued.pk, patient_id=patient.pk, now=AT)
    services.message_receive(message(patient, pesel="44051401458", control_id="M2"), now=AT)
    other = InboundMessage.objects.get(control_id="M2")
    assert services.message_dismiss(actor=_admin(), message_id=other.pk, now=AT).state == "dismissed"
    assert Result.objects.count() == 1


def test_only_the_table_lets_someone_review() -> None:
    services.message_receive(message(PatientFactory.build(pesel="44051401458")), now=AT)
    queued = InboundMessage.objects.get()
    coordinator = actor_for_user(UserFactory(username="koordynator-r", role=User.Role.COORDINATOR, is_staff=True))
    with pytest.raises(PermissionDenied):
        services.message_dismiss(actor=coordinator, message_id=queued.pk, now=AT)
    assert InboundMessage.objects.get().state == "review"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_copies_arriving_at_once_are_stored_once_and_answered_alike() -> None:
    patient = ResultPatientFactory()
    text = message(patient, samples.SampleOrder(panel="lipidogram"))
    barrier = threading.Barrier(2)
    answers: list[services.Ack] = []

    def receive() -> None:
        try:
            barrier.wait()
            answers.append(services.message_receive(text, now=AT))
        finally:
            connection.close()

    threads = [threading.Thread(target=receive) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 2 and answers[0] == answers[1] and answers[0].code == "AA"
    assert InboundMessage.objects.count() == 1 and Result.objects.count() == 1
    assert OutboundMessage.objects.count() == 1
