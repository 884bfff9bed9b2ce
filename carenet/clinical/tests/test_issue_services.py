"""Issuing signed documents (CLN-5, SMS-1): validation, the national platform's identifiers, corrections, and the
SMS with an e-prescription's code sent to the right phone exactly once."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import override_settings

from carenet.accounts.tests.factories import PatientFactory
from carenet.clinical import platform
from carenet.clinical.models import Prescription, Recommendation, Referral, SickLeave
from carenet.clinical.services import (
    PRESCRIPTION_ISSUED,
    prescription_issue,
    recommendation_issue,
    referral_issue,
    sick_leave_issue,
)
from carenet.clinical.tests.factories import DrugFactory
from carenet.core.clock import at_warsaw
from carenet.core.errors import ValidationFailed
from carenet.messaging.models import OutboundMessage
from carenet.network.tests.factories import ClinicianFactory, FacilityFactory, ServiceFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db
NOW = at_warsaw(dt.date(2026, 11, 20), dt.time(23, 30))  # 22:30 UTC: still the 20th in Warsaw
NIP = "5260250995"


def _prescribe(**overrides: object) -> Prescription:
    arguments: dict[str, object] = {
        "clinician": ClinicianFactory(),
        "patient": PatientFactory(),  # a mobile of its own: one number belongs to one patient (ACC-8)
        "facility": FacilityFactory(),
        "drug": DrugFactory(),
        "dose": "1 tabletka 2 razy dziennie",
        "quantity": 2,
        "reimbursement": Prescription.Reimbursement.FIFTY,
        "now": NOW,
    }
    arguments.update(overrides)
    return prescription_issue(**arguments)  # type: ignore[arg-type]


def test_a_prescription_gets_a_44_digit_key_a_4_digit_code_30_days_and_one_sms() -> None:
    prescription = _prescribe()
    prescription.refresh_from_db()
    assert re.fullmatch(r"[1-9]\d{43}", prescription.national_id)
    assert re.fullmatch(r"\d{4}", prescription.access_code)
    assert prescription.valid_until == dt.date(2026, 12, 19)
    assert prescription.issued_at == NOW
    sms = OutboundMessage.objects.get()
    assert sms.key == f"{PRESCRIPTION_ISSUED}:prescription:{prescription.pk}"
    assert (sms.channel, sms.recipient, sms.patient_id) == ("sms", prescription.patient.mobile, prescription.patient_id)
    assert prescription.access_code in sms.body
    assert "e-recept" in sms.body  # Polish, whatever the request's language
    assert prescription.drug.name not in sms.body  # no medical detail on a lock screen


def test_a_childs_prescription_code_goes_to_the_guardian() -> None:
    guardian = PatientFactory(mobile="+48600999888")
    child = PatientFactory(mobile="", guardian=guardian, user=None)
    _prescribe(patient=child)
    assert OutboundMessage.objects.get().recipient == "+48600999888"


def test_a_patient_without_any_phone_gets_the_prescription_and_no_sms() -> None:
    _prescribe(patient=PatientFactory(mobile=""))
    assert Prescription.objects.count() == 1
    assert not OutboundMessage.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"quantity": 0}, "prescription_quantity"),
        ({"quantity": 100}, "prescription_quantity"),
        ({"dose": ""}, "prescription_dose"),
        ({"dose": "   "}, "prescription_dose"),
        ({"dose": "x" * 201}, "prescription_dose"),
        ({"dose": "rano\x00"}, "invalid_text"),
        ({"reimbursement": "12%"}, "prescription_reimbursement"),
    ],
)
def test_a_bad_prescription_stores_nothing_and_sends_nothing(overrides: dict[str, object], code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _prescribe(**overrides)
    assert refused.value.code == code
    assert not Prescription.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_a_drug_withdrawn_from_the_catalogue_cannot_be_prescribed() -> None:
    with pytest.raises(ValidationFailed) as refused:
        _prescribe(drug=DrugFactory(is_active=False))
    assert refused.value.code == "drug_inactive"


def test_the_limits_are_accepted() -> None:
    _prescribe(quantity=99, dose="d" * 200)
    _prescribe(quantity=1, dose="d")
    assert Prescription.objects.count() == 2


def test_a_correction_keeps_both_versions_and_sends_the_new_code() -> None:
    first = _prescribe()
    second = _prescribe(clinician=first.issued_by, patient=first.patient, supersedes=first, quantity=3)
    assert second.supersedes_id == first.pk
    assert Prescription.objects.count() == 2
    assert OutboundMessage.objects.count() == 2
    assert second.national_id != first.national_id


@pytest.mark.parametrize("who", ["other_patient", "other_clinician", "already_corrected"])
def test_a_correction_must_be_of_the_same_patient_clinician_and_current(who: str) -> None:
    first = _prescribe()
    clinician, patient = first.issued_by, first.patient
    expected = {
        "other_patient": "correction_other_patient",
        "other_clinician": "correction_other_clinician",
        "already_corrected": "correction_already_corrected",
    }[who]
    if who == "other_patient":
        patient = PatientFactory()
    elif who == "other_clinician":
        clinician = ClinicianFactory()
    else:
        _prescribe(clinician=clinician, patient=patient, supersedes=first)
    before = (Prescription.objects.count(), OutboundMessage.objects.count())
    with pytest.raises(ValidationFailed) as refused:
        _prescribe(clinician=clinician, patient=patient, supersedes=first)
    assert refused.value.code == expected
    assert (Prescription.objects.count(), OutboundMessage.objects.count()) == before


def test_a_correction_of_another_kind_of_document_is_refused() -> None:
    prescription = _prescribe()
    with pytest.raises(ValidationFailed) as refused:
        recommendation_issue(
            clinician=prescription.issued_by,
            patient=prescription.patient,
            facility=prescription.facility,
            text="Kontrola",
            supersedes=prescription,  # type: ignore[arg-type]
            now=NOW,
        )
    assert refused.value.code == "correction_other_kind"


def _sick_leave(**overrides: object) -> SickLeave:
    arguments: dict[str, object] = {
        "clinician": ClinicianFactory(),
        "patient": PatientFactory(),
        "facility": FacilityFactory(),
        "starts_on": dt.date(2026, 11, 17),
        "ends_on": dt.date(2026, 11, 27),
        "employer_nip": NIP,
        "now": NOW,
    }
    arguments.update(overrides)
    return sick_leave_issue(**arguments)  # type: ignore[arg-type]


def test_a_sick_leave_gets_an_e_zla_series_and_number() -> None:
    sick_leave = _sick_leave(reason_code="A", indication="1", diagnosis_code="j06.9")
    sick_leave.refresh_from_db()
    assert re.fullmatch(r"[A-Z]{2}\d{7}", sick_leave.national_id)
    assert (sick_leave.reason_code, sick_leave.indication, sick_leave.diagnosis_code) == ("A", "1", "J06.9")
    assert not OutboundMessage.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"starts_on": dt.date(2026, 11, 28)}, "sick_leave_order"),
        ({"starts_on": dt.date(2026, 11, 16)}, "sick_leave_backdated"),
        ({"ends_on": dt.date(2026, 11, 17) + dt.timedelta(days=182)}, "sick_leave_too_long"),
        ({"employer_nip": "5260250994"}, "employer_nip"),
        ({"employer_nip": "526-025-09-95"}, "employer_nip"),
        ({"employer_nip": "５２６０２５０９９５"}, "employer_nip"),
        ({"reason_code": "Z"}, "sick_leave_reason_code"),
        ({"indication": "3"}, "sick_leave_indication"),
    ],
)
def test_a_bad_sick_leave_stores_nothing(overrides: dict[str, object], code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _sick_leave(**overrides)
    assert refused.value.code == code
    assert not SickLeave.objects.exists()


def test_a_sick_leave_of_182_days_from_3_days_back_is_accepted() -> None:
    _sick_leave(starts_on=dt.date(2026, 11, 17), ends_on=dt.date(2026, 11, 17) + dt.timedelta(days=181))
    assert SickLeave.objects.count() == 1


def test_a_recommendation_gets_a_local_number_and_its_exams() -> None:
    exams = [ServiceFactory(), ServiceFactory()]
    specialty = SpecialtyFactory()
    recommendation = recommendation_issue(
        clinician=ClinicianFactory(),
        patient=PatientFactory(),
        facility=FacilityFactory(),
        text="Morfologia i kontrola u kardiologa.",
        in_person_specialty=specialty,
        exams=exams,
        appointment_id=None,
        now=NOW,
    )
    recommendation.refresh_from_db()
    assert recommendation.national_id.startswith("CN-R-")
    assert recommendation.in_person_visit is True
    assert set(recommendation.exams.all()) == set(exams)


@pytest.mark.parametrize("text", ["", " \n ", "x" * 4001, "a\x00b"])
def test_a_bad_recommendation_stores_nothing(text: str) -> None:
    with pytest.raises(ValidationFailed):
        recommendation_issue(
            clinician=ClinicianFactory(), patient=PatientFactory(), facility=FacilityFactory(), text=text, now=NOW
        )
    assert not Recommendation.objects.exists()


def test_a_referral_issued_in_a_visit_is_registered_with_p1() -> None:
    facility = FacilityFactory()
    referral = referral_issue(
        clinician=ClinicianFactory(),
        patient=PatientFactory(),
        service=ServiceFactory(),
        facility=facility,
        note="Podejrzenie nadciśnienia",
        now=NOW,
    )
    referral.refresh_from_db()
    assert re.fullmatch(r"[1-9]\d{43}", referral.national_id)
    assert re.fullmatch(r"\d{4}", referral.access_code)
    assert (referral.facility, referral.note, referral.valid_until) == (
        facility,
        "Podejrzenie nadciśnienia",
        dt.date(2027, 2, 20),
    )


def test_a_referral_correction_keeps_both_and_a_second_one_is_refused() -> None:
    first = referral_issue(clinician=ClinicianFactory(), patient=PatientFactory(), service=ServiceFactory(), now=NOW)
    second = referral_issue(
        clinician=first.issued_by, patient=first.patient, service=first.service, supersedes=first, now=NOW
    )
    assert second.supersedes == first
    with pytest.raises(ValidationFailed):
        referral_issue(
            clinician=first.issued_by, patient=first.patient, service=first.service, supersedes=first, now=NOW
        )
    assert Referral.objects.count() == 2


def test_a_referral_note_too_long_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        referral_issue(
            clinician=ClinicianFactory(), patient=PatientFactory(), service=ServiceFactory(), note="n" * 501, now=NOW
        )
    assert refused.value.code == "referral_note"


class _RefusingPlatform(platform.LocalPlatform):
    def register_prescription(self, prescription: Prescription) -> platform.Registration:
        raise platform.PlatformUnavailable("P1 did not answer")


@override_settings(CARENET_NATIONAL_PLATFORM=f"{__name__}._RefusingPlatform")
def test_the_platform_chosen_by_the_setting_is_used_and_its_failure_stores_nothing() -> None:
    with pytest.raises(platform.PlatformUnavailable):
        _prescribe()
    assert not Prescription.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_the_access_code_never_appears_in_a_registrations_repr() -> None:
    registration = platform.LocalPlatform().register_prescription(Prescription())
    assert registration.access_code not in repr(registration).replace(registration.national_id, "")
    assert isinstance(platform.national_platform(), platform.NationalPlatform)


def test_codes_are_random() -> None:
    codes = {platform.access_code() for _ in range(200)}
    keys = {platform.access_key() for _ in range(50)}
    assert len(codes) > 100 and len(keys) == 50
