"""Registration against the roster and the SMS first password (ACC-1, ACC-2, ACC-7)."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.test import Client, RequestFactory

from carenet.accounts import policies, services
from carenet.accounts.models import FirstPassword, Patient, User
from carenet.api.auth import token_issue
from carenet.api.tests.factories import ContractFactory, PatientFactory, TierFactory
from carenet.core import periodic
from carenet.core.errors import ApplicationError
from carenet.coverage.models import Enrolment, RosterEntry
from carenet.coverage.policies import luhn_check_digit
from carenet.demo.identity import pesel as make_pesel
from carenet.messaging.models import OutboundMessage
from carenet.messaging.services import SCRUBBED, outbox_dispatch_due, outbox_secrets_scrub_expired

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
PESEL = make_pesel(dt.date(1988, 4, 12), "F", 123)
PASSWORD_RE = re.compile(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}")


# --- Policies (no database) -----------------------------------------------------------------------------------


def _roster(**overrides: object) -> policies.RosterFacts:
    values: dict[str, object] = {
        "first_name": "Łucja",
        "last_name": "Żółkiewska-Nowak",
        "pesel": PESEL,
        "mobile": "600 100 200",
        "activation_date": dt.date(2026, 1, 1),
        "paid_through": dt.date(2026, 12, 31),
    }
    return policies.RosterFacts(**(values | overrides))  # type: ignore[arg-type]


def _typed(**overrides: str) -> policies.RegistrationFacts:
    values = {"first_name": "lucja", "last_name": "ZOLKIEWSKA-nowak", "pesel": PESEL, "mobile": "+48600100200"}
    return policies.RegistrationFacts(**(values | overrides))


def test_acc1_names_match_without_case_or_diacritics() -> None:
    assert policies.name_key("  Łucja  ") == policies.name_key("LUCJA") == "lucja"
    assert policies.roster_matches(_typed(), _roster())


@pytest.mark.parametrize(
    "typed",
    [
        {"first_name": "Lucyna"},
        {"last_name": "Nowak"},
        {"pesel": make_pesel(dt.date(1988, 4, 12), "F", 124)},
        {"mobile": "+48600100201"},
    ],
)
def test_acc1_any_difference_is_no_match(typed: dict[str, str]) -> None:
    assert not policies.roster_matches(_typed(**typed), _roster())


def test_acc1_a_roster_entry_without_a_valid_mobile_never_matches() -> None:
    assert not policies.roster_matches(_typed(), _roster(mobile=""))


def test_acc7_package_active_from_activation_through_the_last_paid_day() -> None:
    entry = _roster()
    assert policies.package_active(entry, today=dt.date(2026, 1, 1))
    assert policies.package_active(entry, today=dt.date(2026, 12, 31))
    assert not policies.package_active(entry, today=dt.date(2025, 12, 31))
    assert not policies.package_active(entry, today=dt.date(2027, 1, 1))


def test_acc2_first_password_rules() -> None:
    password = policies.first_password_generate(secrets.choice)
    assert PASSWORD_RE.fullmatch(password) and len(password) >= 10
    expires = policies.first_password_expires_at(NOW, minutes=10)
    assert expires == NOW + dt.timedelta(minutes=10)
    assert policies.first_password_usable(expires_at=expires, used_at=None, now=expires - dt.timedelta(seconds=1))
    assert not policies.first_password_usable(expires_at=expires, used_at=None, now=expires)
    assert not policies.first_password_usable(expires_at=expires, used_at=NOW, now=NOW)
    sent = [NOW - dt.timedelta(minutes=50), NOW - dt.timedelta(minutes=20)]
    assert policies.first_password_sms_allowed(sent_at=sent, now=NOW, per_hour=3)
    assert not policies.first_password_sms_allowed(sent_at=[*sent, NOW], now=NOW, per_hour=3)
    assert policies.first_password_sms_allowed(sent_at=[*sent, NOW - dt.timedelta(minutes=61)], now=NOW, per_hour=3)


# --- Services -------------------------------------------------------------------------------------------------


@pytest.fixture
def roster(db: None) -> RosterEntry:
    return RosterEntry.objects.create(
        contract=ContractFactory(),
        tier=TierFactory(),
        first_name="Łucja",
        last_name="Żółkiewska",
        pesel=PESEL,
        mobile="+48600100200",
        activation_date=dt.date(2026, 1, 1),
        paid_through=dt.date(2026, 12, 31),
    )


def _register(**overrides: str) -> User:
    values = {
        "first_name": "lucja",
        "last_name": "ZOLKIEWSKA",
        "pesel": PESEL,
        "email": "lucja@example.com",
        "mobile": "600 100 200",
        "login": "lucja.z",
    }
    with time_machine.travel(NOW, tick=False):
        return services.patient_register(**(values | overrides))


def _counts() -> tuple[int, int, int, int, int]:
    return (
        User.objects.count(),
        Patient.objects.count(),
        Enrolment.objects.count(),
        FirstPassword.objects.count(),
        OutboundMessage.objects.count(),
    )


def _sms_password(user: User) -> str:
    message = OutboundMessage.objects.filter(purpose="first-password", patient__user=user).latest("id")
    found = PASSWORD_RE.search(message.body)
    assert found, message.body
    return found.group(0)


def _login(username: str, password: str, now: dt.datetime) -> User | None:
    with time_machine.travel(now, tick=False):
        request = RequestFactory().post("/logowanie/")
        return authenticate(request, username=username, password=password)  # type: ignore[return-value]


def test_acc1_registration_creates_the_account_patient_enrolment_and_sms(roster: RosterEntry) -> None:
    user = _register()

    assert (user.role, user.must_change_password, user.has_usable_password()) == ("patient", True, False)
    patient = Patient.objects.get(user=user)
    assert (patient.pesel, patient.mobile, patient.birth_date) == (PESEL, "+48600100200", dt.date(1988, 4, 12))
    enrolment = Enrolment.objects.get(patient=patient)
    assert (enrolment.roster_entry, enrolment.paid_through) == (roster, dt.date(2026, 12, 31))
    number = enrolment.ecard_number
    assert len(number) == 10 and number[0] != "0" and int(number[-1]) == luhn_check_digit(number[:-1])
    sms = OutboundMessage.objects.get(purpose="first-password")
    assert (sms.channel, sms.recipient, sms.patient) == ("sms", "+48600100200", patient)
    assert sms.key == f"first-password:{FirstPassword.objects.get().pk}"
    assert "lucja.z" in sms.body


def test_acc1_an_existing_patient_without_an_account_is_linked(roster: RosterEntry) -> None:
    patient = PatientFactory(user=None, pesel=PESEL, first_name="Łucja", last_name="Żółkiewska", mobile="")
    user = _register()
    patient.refresh_from_db()
    assert (patient.user, patient.mobile) == (user, "+48600100200")
    assert Patient.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"first_name": "Anna"}, "not_enrolled"),
        ({"mobile": "600 100 201"}, "not_enrolled"),
        ({"pesel": PESEL[:-1] + str((int(PESEL[-1]) + 1) % 10)}, "pesel_checksum"),
        ({"mobile": "22 100 20 30"}, "phone_not_mobile"),
        ({"email": "not-an-address"}, "email_invalid"),
        ({"login": "two words"}, "login_invalid"),
    ],
)
def test_acc1_bad_or_unmatched_data_is_refused_and_nothing_is_stored(
    roster: RosterEntry, overrides: dict[str, str], code: str
) -> None:
    before = _counts()
    with pytest.raises(ApplicationError) as refused:
        _register(**overrides)
    assert refused.value.code == code
    assert _counts() == before


def test_acc1_nobody_on_the_roster_is_not_enrolled_with_a_clear_message(db: None) -> None:
    before = _counts()
    with pytest.raises(ApplicationError) as refused:
        _register()
    assert refused.value.code == "not_enrolled"
    assert "pakiet" in str(refused.value.message) or "package" in str(refused.value.message)
    assert _counts() == before


@pytest.mark.parametrize(
    ("activation", "paid_through"),
    [(dt.date(2026, 4, 1), dt.date(2026, 12, 31)), (dt.date(2025, 1, 1), dt.date(2026, 3, 9))],
)
def test_acc7_a_package_not_active_today_is_not_enrolled(
    roster: RosterEntry, activation: dt.date, paid_through: dt.date
) -> None:
    RosterEntry.objects.filter(pk=roster.pk).update(activation_date=activation, paid_through=paid_through)
    before = _counts()
    with pytest.raises(ApplicationError) as refused:
        _register()
    assert refused.value.code == "not_enrolled"
    assert _counts() == before


def test_acc1_a_taken_login_is_refused(roster: RosterEntry) -> None:
    User.objects.create_user(username="Lucja.Z", password="x" * 12)
    before = _counts()
    with pytest.raises(ApplicationError) as refused:
        _register()
    assert refused.value.code == "login_taken"
    assert _counts() == before


def test_acc1_a_second_account_for_the_same_pesel_is_refused(roster: RosterEntry) -> None:
    _register()
    before = _counts()
    with pytest.raises(ApplicationError) as refused:
        _register(login="another.login")
    assert refused.value.code == "account_exists"
    assert _counts() == before


def test_acc2_the_sms_password_works_once(roster: RosterEntry) -> None:
    user = _register()
    password = _sms_password(user)

    assert _login("lucja.z", "wrong-password", NOW + dt.timedelta(minutes=1)) is None
    assert _login("lucja.z", password, NOW + dt.timedelta(minutes=1)) == user
    assert _login("lucja.z", password, NOW + dt.timedelta(minutes=2)) is None
    assert FirstPassword.objects.get().used_at == NOW + dt.timedelta(minutes=1)


def test_acc2_the_sms_password_expires_after_ten_minutes(roster: RosterEntry) -> None:
    user = _register()
    password = _sms_password(user)
    assert _login("lucja.z", password, NOW + dt.timedelta(minutes=10)) is None
    assert _login("lucja.z", password, NOW + dt.timedelta(minutes=9, seconds=59)) == user


def test_acc2_a_new_password_replaces_the_old_one(roster: RosterEntry) -> None:
    user = _register()
    first = _sms_password(user)
    services.first_password_send(user=user, now=NOW + dt.timedelta(minutes=1))
    second = _sms_password(user)
    assert _login("lucja.z", first, NOW + dt.timedelta(minutes=2)) is None
    assert _login("lucja.z", second, NOW + dt.timedelta(minutes=2)) == user


def test_acc2_the_fourth_sms_in_an_hour_is_refused(roster: RosterEntry) -> None:
    user = _register()
    services.first_password_send(user=user, now=NOW + dt.timedelta(minutes=5))
    services.first_password_send(user=user, now=NOW + dt.timedelta(minutes=10))
    before = _counts()
    with pytest.raises(ApplicationError) as refused:
        services.first_password_send(user=user, now=NOW + dt.timedelta(minutes=59))
    assert refused.value.code == "too_many_sms"
    assert _counts() == before
    services.first_password_send(user=user, now=NOW + dt.timedelta(minutes=61))
    assert OutboundMessage.objects.filter(purpose="first-password").count() == 4


def test_acc2_the_password_is_kept_only_in_the_sms(roster: RosterEntry) -> None:
    user = _register()
    password = _sms_password(user)
    first_password = FirstPassword.objects.get()
    assert password not in first_password.password_hash
    assert first_password.password_hash.startswith(("md5$", "pbkdf2", "argon2", "scrypt"))
    for model in (User, Patient, FirstPassword, Enrolment):
        for row in model.objects.values():
            assert all(password not in str(value) for value in row.values()), model
    holders = [m for m in OutboundMessage.objects.all() if password in m.body]
    assert [m.purpose for m in holders] == ["first-password"]


def test_acc2_setting_the_own_password_ends_the_forced_change(roster: RosterEntry) -> None:
    user = _register()
    services.user_password_set(user=user, password="my-own-secret-phrase")
    user.refresh_from_db()
    assert user.check_password("my-own-secret-phrase") and not user.must_change_password


def test_acc2_the_sms_password_works_only_on_the_website(roster: RosterEntry) -> None:
    """ACC-2: the app cannot ask for a new password, so the SMS password is refused there like a wrong one and stays
    usable on the website; an account waiting to set its own password gets no token and its old tokens stop."""
    user = _register()
    password = _sms_password(user)
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        response = Client().post(
            "/api/v1/auth/token",
            json.dumps({"login": "lucja.z", "password": password}),
            content_type="application/json",
        )
        assert (response.status_code, response.json()["code"]) == (401, "invalid_credentials")
    assert FirstPassword.objects.get().used_at is None
    assert _login("lucja.z", password, NOW + dt.timedelta(minutes=2)) == user

    user.set_password("a-long-own-password-2026")
    user.must_change_password = True
    user.save()
    with time_machine.travel(NOW + dt.timedelta(minutes=3), tick=False):
        token, _record = token_issue(user=user, name="old phone", now=NOW)
        response = Client().post(
            "/api/v1/auth/token",
            json.dumps({"login": "lucja.z", "password": "a-long-own-password-2026"}),
            content_type="application/json",
        )
        assert (response.status_code, response.json()["code"]) == (403, "password_change_required")
        mine = Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/appointments")
        assert mine.status_code == 401
        user.must_change_password = False
        user.save()
        mine = Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/appointments")
        assert mine.status_code == 200


def test_acc2_the_sms_password_leaves_the_outbox_once_sent(roster: RosterEntry) -> None:
    """Issue 10: once the gateway has it, the stored message keeps its text but not the password."""
    user = _register()
    password = _sms_password(user)
    original = OutboundMessage.objects.get(purpose="first-password").body
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        outbox_dispatch_due()
    message = OutboundMessage.objects.get(purpose="first-password")
    assert message.status == OutboundMessage.Status.SENT
    assert password not in message.body
    assert message.body == original.replace(password, SCRUBBED)
    assert message.secret_start is None and message.secret_length is None


def test_acc2_an_unsent_sms_password_leaves_the_outbox_once_expired(roster: RosterEntry) -> None:
    user = _register()
    password = _sms_password(user)
    expires = FirstPassword.objects.get().expires_at
    assert outbox_secrets_scrub_expired(now=expires - dt.timedelta(seconds=1)) == 0
    assert password in OutboundMessage.objects.get(purpose="first-password").body
    assert outbox_secrets_scrub_expired(now=expires + dt.timedelta(seconds=1)) == 1
    message = OutboundMessage.objects.get(purpose="first-password")
    assert password not in message.body and user.username in message.body
    assert outbox_secrets_scrub_expired(now=expires + dt.timedelta(hours=1)) == 0


def test_acc2_the_hourly_scrub_is_a_periodic_job() -> None:
    assert any(job.name == "scrub-expired-secrets" and job.every_seconds == 3600 for job in periodic.jobs())
