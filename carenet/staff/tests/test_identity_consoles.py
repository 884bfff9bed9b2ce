"""ACC-5 and ACC-6 in the staff consoles: the call centre confirms identity by phone, reception in person (document
type and last four characters only, terms signed), the call centre reviews the contact-form queue, and both reset
passwords with a new SMS. Each page over every role; a denied request changes nothing; every confirmation and reset
shows on the patient page with who, how and when."""

from __future__ import annotations

import pytest
from django.test import Client

from carenet.accounts import services
from carenet.accounts.models import IdentityConfirmation, IdentityRequest, PasswordReset, Patient, User
from carenet.api.tests.factories import FacilityFactory, UserFactory
from carenet.messaging.models import OutboundMessage
from carenet.portal.tests.booking_world import World, build_world, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    built = build_world()
    built.staff["partner_staff"] = UserFactory(
        username="partner", role=User.Role.PARTNER_STAFF, facility=FacilityFactory()
    )
    return built


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def state(world: World) -> tuple[int, int, int, int, int, bool]:
    world.level_one.refresh_from_db()
    world.level_one.user.refresh_from_db()
    return (
        world.level_one.account_level,
        IdentityConfirmation.objects.count(),
        PasswordReset.objects.count(),
        OutboundMessage.objects.count(),
        IdentityRequest.objects.filter(status="open").count(),
        world.level_one.user.has_usable_password(),
    )


def pages(world: World, request_id: int) -> dict[str, tuple[str, dict[str, str]]]:
    patient = world.level_one.pk
    return {
        "phone": (url("staff:identity_confirm_phone", patient), {"verified": "on"}),
        "desk": (
            url("staff:identity_confirm_in_person", patient),
            {"document_type": "id_card", "document_number": "ABC123456", "terms_signed": "on"},
        ),
        "reset": (url("staff:password_reset", patient), {}),
        "queue": (url("staff:identity_queue"), {}),
        "review": (url("staff:identity_review", request_id), {"action": "approve"}),
    }


ALLOWED = {
    "call_centre": {"phone", "reset", "queue", "review"},
    "receptionist": {"desk", "reset"},
    "other_receptionist": {"desk", "reset"},
    "admin": {"phone", "desk", "reset", "queue", "review"},
    "clinician": set(),
    "coordinator": set(),
    "partner_staff": set(),
}


def test_anonymous_users_go_to_the_staff_login_and_change_nothing(world: World) -> None:
    request = services.identity_request_submit(patient=world.level_one, message="Proszę o kontakt")
    before = state(world)
    for page, data in pages(world, request.pk).values():
        response = Client().post(page, data)
        assert response.status_code == 302 and url("staff:login") in response.url, page
    assert state(world) == before


@pytest.mark.parametrize("who", ["patient", "level_one"])
def test_patients_get_403_and_change_nothing(world: World, who: str) -> None:
    request = services.identity_request_submit(patient=world.level_one, message="Proszę o kontakt")
    before = state(world)
    user = world.patient_a.user if who == "patient" else world.level_one.user
    client = as_user(user)
    for page, data in pages(world, request.pk).values():
        assert client.get(page).status_code in (403, 405)
        assert client.post(page, data).status_code == 403, page
    assert state(world) == before


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_each_role_opens_only_its_pages_and_a_denied_post_changes_nothing(world: World, role: str) -> None:
    request = services.identity_request_submit(patient=world.level_one, message="Proszę o kontakt")
    client = as_user(world.staff[role])
    for name, (page, _data) in pages(world, request.pk).items():
        if name == "review":
            continue
        expected = 200 if name in ALLOWED[role] else 403
        assert client.get(page).status_code == expected, (role, name)
    before = state(world)
    for name, (page, data) in pages(world, request.pk).items():
        if name not in ALLOWED[role]:
            assert client.post(page, data).status_code == 403, (role, name)
    assert state(world) == before


def test_the_call_centre_confirms_by_phone_only_with_the_questions_asked(world: World) -> None:
    """ACC-5: by a call-centre operator; the checkbox "verified by questions" is required."""
    client = as_user(world.staff["call_centre"])
    page = url("staff:identity_confirm_phone", world.level_one.pk)
    assert client.post(page, {"note": "no"}).status_code == 422
    assert state(world)[:2] == (1, 0)
    response = client.post(page, {"verified": "on", "note": "PESEL, address ok"})
    assert response.status_code == 302
    confirmation = IdentityConfirmation.objects.get(patient=world.level_one)
    assert (confirmation.method, confirmation.confirmed_by) == ("call_centre", world.staff["call_centre"])
    assert state(world)[0] == 2
    again = client.post(page, {"verified": "on"})
    assert again.status_code == 422 and IdentityConfirmation.objects.count() == 1


def test_reception_confirms_in_person_keeping_only_the_documents_last_four(world: World) -> None:
    """ACC-5: ID document checked (type + last 4 characters stored), portal terms signed (required)."""
    client = as_user(world.staff["receptionist"])
    page = url("staff:identity_confirm_in_person", world.level_one.pk)
    unsigned = client.post(page, {"document_type": "passport", "document_number": "EA1234567"})
    assert unsigned.status_code == 422 and state(world)[:2] == (1, 0)
    client.post(page, {"document_type": "passport", "document_number": "EA1234567", "terms_signed": "on"})
    confirmation = IdentityConfirmation.objects.get(patient=world.level_one)
    assert confirmation.method == "in_person" and confirmation.terms_signed
    assert confirmation.document.endswith("•••• 4567") and "EA123" not in confirmation.document
    shown = client.get(url("staff:patient", world.level_one.pk)).content.decode()
    assert 'data-confirmation="in_person"' in shown and "•••• 4567" in shown


def test_the_queue_approves_and_rejects(world: World) -> None:
    """ACC-5: the contact-form queue reviewed by staff."""
    first = services.identity_request_submit(patient=world.level_one, message="Proszę o kontakt")
    client = as_user(world.staff["call_centre"])
    queue = client.get(url("staff:identity_queue")).content.decode()
    assert f'data-request="{first.pk}"' in queue
    assert client.post(url("staff:identity_review", first.pk), {"action": "reject"}).status_code == 302
    first.refresh_from_db()
    assert first.status == "open"  # a rejection needs a reason
    client.post(url("staff:identity_review", first.pk), {"action": "reject", "reason": "Nie odbiera"})
    first.refresh_from_db()
    assert (first.status, first.reason, first.reviewed_by) == ("rejected", "Nie odbiera", world.staff["call_centre"])
    second = services.identity_request_submit(patient=world.level_one, message="Jeszcze raz")
    client.post(url("staff:identity_review", second.pk), {"action": "approve"})
    second.refresh_from_db()
    assert second.status == "approved" and state(world)[0] == 2
    assert IdentityConfirmation.objects.get().method == "contact_form"
    assert client.post(url("staff:identity_review", 999999), {"action": "approve"}).status_code == 404


def test_a_reset_sends_an_sms_and_is_shown_on_the_patient_page(world: World) -> None:
    """ACC-6: a new SMS first password; the account must change it; who, how, when is shown."""
    client = as_user(world.staff["receptionist"])
    response = client.post(url("staff:password_reset", world.patient_a.pk))
    assert response.status_code == 302
    world.patient_a.user.refresh_from_db()
    assert world.patient_a.user.must_change_password and not world.patient_a.user.has_usable_password()
    assert OutboundMessage.objects.filter(purpose="first-password", recipient=world.patient_a.mobile).count() == 1
    shown = client.get(url("staff:patient", world.patient_a.pk)).content.decode()
    assert 'data-reset="reception"' in shown


def test_a_fourth_reset_within_an_hour_is_refused_with_a_message(world: World) -> None:
    client = as_user(world.staff["call_centre"])
    for _ in range(3):
        assert client.post(url("staff:password_reset", world.patient_a.pk)).status_code == 302
    refused = client.post(url("staff:password_reset", world.patient_a.pk))
    assert refused.status_code == 422 and b'class="errorlist"' in refused.content
    assert PasswordReset.objects.count() == 3


def test_a_child_without_a_login_cannot_be_reset(world: World) -> None:
    client = as_user(world.staff["call_centre"])
    assert b'id="password-reset"' not in client.get(url("staff:patient", world.child.pk)).content
    refused = client.post(url("staff:password_reset", world.child.pk))
    assert refused.status_code == 422 and not PasswordReset.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_the_back_office_lists_confirmations_requests_and_resets(world: World) -> None:
    services.identity_confirm(patient=world.level_one, method="call_centre", actor=world.staff["call_centre"])
    services.patient_password_reset(patient=world.patient_a, actor=world.staff["call_centre"])
    admin = as_user(world.staff["admin"])
    for model in ("identityconfirmation", "identityrequest", "passwordreset"):
        assert admin.get(f"/admin/accounts/{model}/").status_code == 200, model
    assert admin.get(f"/admin/accounts/patient/{world.level_one.pk}/change/").status_code == 200
    assert Patient.objects.get(pk=world.level_one.pk).account_level == 2
