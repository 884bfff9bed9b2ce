"""ACC-5 and ACC-6 through the services: confirming identity by each method (who, how, when recorded; level I → II),
the bank's adults-only and PESEL rules, the contact-form queue, and password resets by staff. A refused request
changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.accounts import services
from carenet.accounts.models import IdentityConfirmation, IdentityRequest, PasswordReset, Patient, User
from carenet.accounts.tests.factories import PatientFactory, UserFactory
from carenet.api.tests.factories import FacilityFactory
from carenet.core import clock
from carenet.core.dates import latest_birth_date_of_age
from carenet.core.errors import Conflict, PermissionDenied, ValidationFailed
from carenet.demo.identity import pesel as make_pesel
from carenet.messaging.models import OutboundMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def level_one() -> Patient:
    born = dt.date(1990, 4, 2)
    return PatientFactory(pesel=make_pesel(born, "M", 77), birth_date=born, account_level=1)  # type: ignore[no-any-return]


def staff(role: str, **fields: object) -> User:
    return UserFactory(role=role, **fields)  # type: ignore[no-any-return]


def test_a_call_centre_confirmation_raises_the_level_and_records_who_how_when(level_one: Patient) -> None:
    """ACC-5: each confirmation records who, how and when."""
    operator = staff(User.Role.CALL_CENTRE)
    now = clock.now()
    confirmation = services.identity_confirm(
        patient=level_one, method="call_centre", actor=operator, note="questions ok", now=now
    )
    level_one.refresh_from_db()
    assert level_one.account_level == Patient.Level.FULL
    assert (confirmation.method, confirmation.confirmed_by, confirmation.confirmed_at) == ("call_centre", operator, now)
    assert confirmation.note == "questions ok"


def test_confirming_an_account_already_at_level_two_is_refused_and_records_nothing(level_one: Patient) -> None:
    operator = staff(User.Role.CALL_CENTRE)
    services.identity_confirm(patient=level_one, method="call_centre", actor=operator)
    with pytest.raises(Conflict) as refused:
        services.identity_confirm(patient=level_one, method="call_centre", actor=operator)
    assert refused.value.code == "already_confirmed"
    assert IdentityConfirmation.objects.count() == 1


def test_in_person_needs_a_document_and_signed_terms(level_one: Patient) -> None:
    """ACC-5: at reception the ID document is checked and the portal terms signed; refused → nothing changes."""
    desk = staff(User.Role.RECEPTIONIST, facility=FacilityFactory())
    with pytest.raises(ValidationFailed) as refused:
        services.identity_confirm(patient=level_one, method="in_person", actor=desk, document="ID •••• 1234")
    assert refused.value.code == "terms_not_signed"
    with pytest.raises(ValidationFailed) as refused:
        services.identity_confirm(patient=level_one, method="in_person", actor=desk, terms_signed=True)
    assert refused.value.code == "document_required"
    level_one.refresh_from_db()
    assert level_one.account_level == 1 and not IdentityConfirmation.objects.exists()
    done = services.identity_confirm(
        patient=level_one, method="in_person", actor=desk, document="ID •••• 1234", terms_signed=True
    )
    assert done.terms_signed and done.document == "ID •••• 1234"


@pytest.mark.parametrize(
    ("role", "method"),
    [
        ("clinician", "call_centre"),
        ("coordinator", "in_person"),
        ("partner_staff", "call_centre"),
        ("receptionist", "call_centre"),
        ("call_centre", "in_person"),
        ("call_centre", "bank"),
        ("patient", "call_centre"),
    ],
)
def test_a_role_confirms_only_by_its_own_method(level_one: Patient, role: str, method: str) -> None:
    needs_facility = role in ("receptionist", "partner_staff")
    actor = staff(role, **({"facility": FacilityFactory()} if needs_facility else {}))
    with pytest.raises(PermissionDenied) as refused:
        services.identity_confirm(
            patient=level_one, method=method, actor=actor, document="ID •••• 1", terms_signed=True
        )
    assert refused.value.code == "identity_method_not_allowed"
    level_one.refresh_from_db()
    assert level_one.account_level == 1 and not IdentityConfirmation.objects.exists()


def test_the_bank_confirms_an_adult_whose_pesel_matches(level_one: Patient) -> None:
    """ACC-5 online: recorded as "bank", by the patient themself."""
    done = services.identity_confirm_bank(patient=level_one, claimed_pesel=level_one.pesel, subject="abc")
    level_one.refresh_from_db()
    assert level_one.account_level == 2
    assert done.method == "bank" and done.confirmed_by == level_one.user and "abc" in done.note


def test_the_bank_refuses_another_pesel_and_changes_nothing(level_one: Patient) -> None:
    other = make_pesel(dt.date(1990, 4, 2), "M", 78)
    with pytest.raises(ValidationFailed) as refused:
        services.identity_confirm_bank(patient=level_one, claimed_pesel=other)
    assert refused.value.code == "bank_pesel_mismatch"
    assert "PESEL" in str(refused.value.message)
    level_one.refresh_from_db()
    assert level_one.account_level == 1 and not IdentityConfirmation.objects.exists()


def test_the_bank_refuses_a_minor_even_with_the_right_pesel() -> None:
    """ACC-5: adults only — 17 years and 364 days is not enough."""
    today = clock.today()
    born = latest_birth_date_of_age(18, today) + dt.timedelta(days=1)
    teen = PatientFactory(pesel=make_pesel(born, "F", 12), birth_date=born, account_level=1)
    with pytest.raises(ValidationFailed) as refused:
        services.identity_confirm_bank(patient=teen, claimed_pesel=teen.pesel)
    assert refused.value.code == "bank_under_age"
    teen.refresh_from_db()
    assert teen.account_level == 1 and not IdentityConfirmation.objects.exists()


def test_the_bank_vouches_only_for_the_logged_in_patient(level_one: Patient) -> None:
    someone = PatientFactory(account_level=1)
    with pytest.raises(PermissionDenied):
        services.identity_confirm(patient=level_one, method="bank", actor=someone.user)
    assert not IdentityConfirmation.objects.exists()


def test_a_contact_form_request_is_reviewed_and_approval_confirms(level_one: Patient) -> None:
    """ACC-5: the contact form, reviewed by staff; approval confirms with method "contact form"."""
    request = services.identity_request_submit(patient=level_one, message="Proszę o kontakt", phone_time="po 16")
    with pytest.raises(Conflict) as refused:
        services.identity_request_submit(patient=level_one, message="again")
    assert refused.value.code == "request_open"
    operator = staff(User.Role.CALL_CENTRE)
    approved = services.identity_request_approve(request_id=request.pk, actor=operator)
    assert approved.status == IdentityRequest.Status.APPROVED and approved.reviewed_by == operator
    level_one.refresh_from_db()
    assert level_one.account_level == 2
    assert IdentityConfirmation.objects.get(patient=level_one).method == "contact_form"
    with pytest.raises(Conflict) as closed:
        services.identity_request_approve(request_id=request.pk, actor=operator)
    assert closed.value.code == "request_closed"


def test_a_rejection_needs_a_reason_and_keeps_level_one(level_one: Patient) -> None:
    request = services.identity_request_submit(patient=level_one, message="Proszę o kontakt")
    operator = staff(User.Role.CALL_CENTRE)
    with pytest.raises(ValidationFailed):
        services.identity_request_reject(request_id=request.pk, actor=operator, reason=" ")
    rejected = services.identity_request_reject(request_id=request.pk, actor=operator, reason="No answer twice")
    assert rejected.status == "rejected" and rejected.reason == "No answer twice"
    level_one.refresh_from_db()
    assert level_one.account_level == 1 and not IdentityConfirmation.objects.exists()
    # A new request may be sent after a rejection.
    assert services.identity_request_submit(patient=level_one, message="Again, please").status == "open"


def test_a_receptionist_cannot_review_requests(level_one: Patient) -> None:
    request = services.identity_request_submit(patient=level_one, message="Proszę o kontakt")
    desk = staff(User.Role.RECEPTIONIST, facility=FacilityFactory())
    with pytest.raises(PermissionDenied):
        services.identity_request_approve(request_id=request.pk, actor=desk)
    request.refresh_from_db()
    assert request.status == "open"


def test_a_level_two_patient_cannot_send_a_request() -> None:
    with pytest.raises(Conflict):
        services.identity_request_submit(patient=PatientFactory(account_level=2), message="hello")
    assert not IdentityRequest.objects.exists()


# --- ACC-6 -------------------------------------------------------------------------------------------------------


def test_a_reset_sends_a_new_sms_password_and_forces_a_change() -> None:
    """ACC-6: the old password stops working; a new first password by SMS; recorded who, how, when."""
    patient = PatientFactory()
    operator = staff(User.Role.CALL_CENTRE)
    assert patient.user.check_password("correct-horse-battery")
    reset = services.patient_password_reset(patient=patient, actor=operator)
    patient.user.refresh_from_db()
    assert patient.user.must_change_password and not patient.user.has_usable_password()
    assert (reset.reset_by, reset.channel, reset.user) == (operator, "call_centre", patient.user)
    sms = OutboundMessage.objects.get(purpose="first-password")
    assert sms.recipient == patient.mobile
    assert not patient.user.check_password("correct-horse-battery")


def test_a_reception_reset_is_recorded_as_reception() -> None:
    desk = staff(User.Role.RECEPTIONIST, facility=FacilityFactory())
    assert services.patient_password_reset(patient=PatientFactory(), actor=desk).channel == "reception"


def test_the_hourly_sms_limit_refuses_a_reset_and_changes_nothing() -> None:
    """ACC-2, ACC-6: at most 3 password SMS per phone per hour — a fourth reset is refused, nothing changed."""
    patient = PatientFactory()
    operator = staff(User.Role.CALL_CENTRE)
    now = clock.now()
    for minutes in range(3):
        services.patient_password_reset(patient=patient, actor=operator, now=now + dt.timedelta(minutes=minutes))
    patient.user.set_password("another-good-password-1")
    patient.user.must_change_password = False
    patient.user.save()
    with pytest.raises(ValidationFailed) as refused:
        services.patient_password_reset(patient=patient, actor=operator, now=now + dt.timedelta(minutes=5))
    assert refused.value.code == "too_many_sms"
    patient.user.refresh_from_db()
    assert patient.user.check_password("another-good-password-1") and not patient.user.must_change_password
    assert PasswordReset.objects.count() == 3 and OutboundMessage.objects.count() == 3


def test_a_child_without_a_login_cannot_be_reset() -> None:
    guardian = PatientFactory()
    child = PatientFactory(child=True, guardian=guardian, pesel=make_pesel(dt.date(2018, 5, 5), "F", 9))
    with pytest.raises(ValidationFailed) as refused:
        services.patient_password_reset(patient=child, actor=staff(User.Role.CALL_CENTRE))
    assert refused.value.code == "no_login"
    assert not PasswordReset.objects.exists() and not OutboundMessage.objects.exists()


@pytest.mark.parametrize("role", ["clinician", "coordinator", "patient"])
def test_other_roles_cannot_reset(role: str) -> None:
    patient = PatientFactory()
    with pytest.raises(PermissionDenied):
        services.patient_password_reset(patient=patient, actor=staff(role))
    patient.user.refresh_from_db()
    assert patient.user.has_usable_password() and not PasswordReset.objects.exists()
