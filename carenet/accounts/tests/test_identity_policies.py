"""ACC-3, ACC-4, ACC-5, ACC-6 as pure rules: what each level may do, who confirms identity how, the bank's adults-
only and PESEL-must-match rules, and the masked document number. No database."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.accounts import policies
from carenet.accounts.permissions import Action, Actor, Role
from carenet.accounts.policies import Feature, IdentityMethod, IdentityRefusal

BORN = dt.date(2008, 6, 15)


def test_level_one_may_book_cancel_and_list_but_nothing_of_level_two() -> None:
    """ACC-3: level I books, cancels and lists visits; ACC-4: level II adds the rest."""
    for feature in policies.LEVEL_ONE_FEATURES:
        assert policies.feature_allowed(feature, level=1)
        assert policies.feature_allowed(feature, level=2)
    for feature in policies.LEVEL_TWO_FEATURES:
        assert not policies.feature_allowed(feature, level=1), feature
        assert policies.feature_allowed(feature, level=2), feature


def test_the_level_two_list_is_the_one_in_the_spec() -> None:
    """ACC-4: results, e-prescriptions, referrals, recommendations, online consultations, ask the doctor, uploads,
    rehabilitation, visit history, E-Karta; who viewed my data (CLN-6, issue 10) and sick leave (CLN-5, issue 11)."""
    assert {
        Feature.SICK_LEAVE,
        Feature.TEST_RESULTS,
        Feature.E_PRESCRIPTIONS,
        Feature.REFERRALS,
        Feature.RECOMMENDATIONS,
        Feature.ONLINE_CONSULTATIONS,
        Feature.ASK_THE_DOCTOR,
        Feature.FILE_UPLOADS,
        Feature.REHABILITATION,
        Feature.VISIT_HISTORY,
        Feature.ECARD,
        Feature.READS_OF_MY_DATA,
    } == policies.LEVEL_TWO_FEATURES
    assert not policies.LEVEL_ONE_FEATURES & policies.LEVEL_TWO_FEATURES


@pytest.mark.parametrize("level", [0, 3, -1])
def test_an_unknown_level_may_do_nothing(level: int) -> None:
    assert not any(policies.feature_allowed(feature, level=level) for feature in Feature)


@pytest.mark.parametrize(
    ("today", "refused"),
    [
        (dt.date(2026, 6, 14), True),  # the day before the 18th birthday
        (dt.date(2026, 6, 15), False),  # the 18th birthday
        (dt.date(2030, 1, 1), False),
    ],
)
def test_the_bank_confirms_only_adults_on_the_day(today: dt.date, refused: bool) -> None:
    """ACC-5: online through a bank only for patients aged 18+ (on the day)."""
    refusal = policies.bank_confirmation_refusal(
        claimed_pesel="08261512345", patient_pesel="08261512345", birth_date=BORN, today=today
    )
    assert (refusal == IdentityRefusal.BANK_UNDER_AGE) is refused
    assert refused or refusal is None


@pytest.mark.parametrize(
    ("claimed", "expected"),
    [
        ("85010112345", None),
        (" 85010112345 ", None),
        ("85010112346", IdentityRefusal.BANK_PESEL_MISMATCH),
        ("", IdentityRefusal.BANK_PESEL_MISSING),
        (None, IdentityRefusal.BANK_PESEL_MISSING),
    ],
)
def test_the_bank_pesel_claim_must_be_the_patients(claimed: str | None, expected: IdentityRefusal | None) -> None:
    """ACC-5: the PESEL the bank vouches for must be the patient's own."""
    refusal = policies.bank_confirmation_refusal(
        claimed_pesel=claimed, patient_pesel="85010112345", birth_date=dt.date(1985, 1, 1), today=dt.date(2026, 1, 1)
    )
    assert refusal == expected


@pytest.mark.parametrize(
    ("method", "allowed"),
    [
        (IdentityMethod.BANK, {"patient"}),
        (IdentityMethod.CALL_CENTRE, {"call_centre", "admin"}),
        (IdentityMethod.CONTACT_FORM, {"call_centre", "admin"}),
        (IdentityMethod.IN_PERSON, {"receptionist", "admin"}),
    ],
)
def test_each_method_is_for_its_roles(method: IdentityMethod, allowed: set[str]) -> None:
    """ACC-5: the bank (the patient), the call centre, the contact-form review, reception in person."""
    for role in Role:
        actor = Actor(user_id=1, role=role, patient_id=5, facility_id=3, clinician_id=4)
        refusal = policies.identity_confirmation_refusal(
            method=method, actor=actor, level=1, document="ID •••• 1234", terms_signed=True
        )
        assert (refusal is None) is (role in allowed), (method, role)


def test_an_account_already_at_level_two_is_not_confirmed_again() -> None:
    refusal = policies.identity_confirmation_refusal(
        method=IdentityMethod.CALL_CENTRE,
        actor=Actor(user_id=1, role=Role.CALL_CENTRE),
        level=2,
        document="",
        terms_signed=False,
    )
    assert refusal == IdentityRefusal.ALREADY_CONFIRMED


def test_in_person_needs_the_document_and_the_signed_terms() -> None:
    """ACC-5: at reception the ID document is checked and the portal terms signed."""
    check = policies.identity_confirmation_refusal
    desk = Actor(user_id=1, role=Role.RECEPTIONIST, facility_id=3)
    common = {"method": IdentityMethod.IN_PERSON, "actor": desk, "level": 1}
    assert check(**common, document=" ", terms_signed=True) == IdentityRefusal.DOCUMENT_REQUIRED  # type: ignore[arg-type]
    assert check(**common, document="ID •••• 1234", terms_signed=False) == IdentityRefusal.TERMS_NOT_SIGNED  # type: ignore[arg-type]
    assert check(**common, document="ID •••• 1234", terms_signed=True) is None  # type: ignore[arg-type]


def test_a_document_number_is_kept_only_as_its_last_four_characters() -> None:
    assert policies.document_masked("abc 123456") == "•••• 3456"
    assert policies.document_masked("  ") == ""


def test_password_resets_are_for_the_call_centre_and_reception() -> None:
    """ACC-6."""
    channels = {
        role: Actor(user_id=1, role=role, patient_id=5, facility_id=3, clinician_id=4).channel(Action.PASSWORD_RESET)
        for role in Role
    }
    assert {role: channel for role, channel in channels.items() if channel} == {
        Role.CALL_CENTRE: "call_centre",
        Role.ADMIN: "call_centre",
        Role.RECEPTIONIST: "reception",
    }
