"""The one permission table and the Actor (SEC, CLN-6, BKG-1, issue 10): pure tests, no database, plus a scan that
no role string decides anything outside the table's module."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from carenet.accounts.permissions import (
    PERMISSIONS,
    Action,
    Actor,
    Can,
    Channel,
    Role,
    Scope,
    check_table,
    role_of,
    roles_granted,
)

ANNA = Actor(user_id=1, role=Role.PATIENT, patient_id=10, children_ids=frozenset({11}), level=2)
DESK = Actor(user_id=2, role=Role.RECEPTIONIST, facility_id=5)
DOCTOR = Actor(user_id=3, role=Role.CLINICIAN, clinician_id=7)


def test_the_table_is_consistent() -> None:
    assert check_table() == []
    assert set(PERMISSIONS) == set(Role)


def test_a_superuser_is_an_administrator_whatever_the_role_field_says() -> None:
    """Issue 10: ``createsuperuser`` left role "patient"; a superuser counts as an administrator everywhere."""
    assert role_of(role="patient", is_superuser=True) is Role.ADMIN
    assert role_of(role="receptionist", is_superuser=False) is Role.RECEPTIONIST
    assert role_of(role="someone", is_superuser=False) is None


def test_anonymous_may_do_nothing() -> None:
    assert not any(Actor().can(action) for action in Action)
    assert Actor().channel(Action.APPOINTMENT_BOOK) is None


def test_a_patient_reaches_themself_and_their_children_only() -> None:
    assert ANNA.reaches(Action.APPOINTMENT_VIEW, patient_id=10)
    assert ANNA.reaches(Action.APPOINTMENT_VIEW, patient_id=11)
    assert not ANNA.reaches(Action.APPOINTMENT_VIEW, patient_id=12)
    assert not ANNA.can(Action.PATIENT_FIND)
    # A patient login without a patient record acts for nobody.
    assert not Actor(user_id=9, role=Role.PATIENT).can(Action.PORTAL_USE)


def test_reception_reaches_its_own_facility_only() -> None:
    assert DESK.reaches(Action.APPOINTMENT_VIEW, facility_id=5)
    assert not DESK.reaches(Action.APPOINTMENT_VIEW, facility_id=6)
    assert not DESK.reaches(Action.APPOINTMENT_VIEW, facility_id=None)
    assert DESK.reaches(Action.PATIENT_VIEW, patient_id=99)  # anyone may come to the desk
    assert DESK.channel(Action.APPOINTMENT_BOOK) is Channel.RECEPTION


def test_a_clinician_reaches_patients_only_through_a_relationship() -> None:
    """CLN-6: a visit with the patient; no booking, no patient search."""
    assert DOCTOR.reaches(Action.MEDICAL_RECORD_VIEW, related=True)
    assert not DOCTOR.reaches(Action.MEDICAL_RECORD_VIEW, related=False)
    assert DOCTOR.scope(Action.APPOINTMENT_VIEW) is Scope.RELATED
    assert not DOCTOR.can(Action.PATIENT_FIND) and not DOCTOR.can(Action.APPOINTMENT_BOOK)
    assert not Actor(user_id=3, role=Role.CLINICIAN).can(Action.MEDICAL_RECORD_VIEW)  # no clinician record


def test_the_channel_follows_the_door_for_patients_and_the_desk_for_staff() -> None:
    """BKG-1: the app records mobile, the portal portal; staff always their desk's channel."""
    assert ANNA.channel(Action.APPOINTMENT_BOOK, door=Channel.MOBILE) is Channel.MOBILE
    assert ANNA.channel(Action.APPOINTMENT_BOOK, door=Channel.PORTAL) is Channel.PORTAL
    admin = Actor(user_id=4, role=Role.ADMIN)
    assert admin.channel(Action.APPOINTMENT_BOOK, door=Channel.MOBILE) is Channel.CALL_CENTRE
    assert Actor(user_id=5, role=Role.CALL_CENTRE).channel(Action.APPOINTMENT_BOOK) is Channel.CALL_CENTRE


def test_nobody_books_through_sms_and_only_patients_book_through_the_portal() -> None:
    """BKG-1, CXL-2: SMS is only the patient's own NIE."""
    for role, actions in PERMISSIONS.items():
        for action, grant in actions.items():
            if (role, action) != (Role.PATIENT, Action.APPOINTMENT_CANCEL):
                assert Channel.SMS not in grant.channels, (role, action)
            if role not in (Role.PATIENT, Role.ADMIN):
                assert not {Channel.PORTAL, Channel.MOBILE} & set(grant.channels), (role, action)


def test_coordinators_and_partner_staff_see_no_patient() -> None:
    for role in (Role.COORDINATOR, Role.PARTNER_STAFF):
        actor = Actor(user_id=6, role=role, facility_id=8)
        for action in (Action.PATIENT_FIND, Action.PATIENT_VIEW, Action.APPOINTMENT_VIEW, Action.MEDICAL_RECORD_VIEW):
            assert not actor.can(action), (role, action)


def test_templates_ask_through_can_and_a_misspelt_check_fails_loudly() -> None:
    can = Can(DESK)
    assert can.arrival_record is True and can["patient_find"] is True
    assert can.back_office is False
    with pytest.raises(AttributeError):
        _ = can.patient_finder


def test_roles_granted_lists_the_table() -> None:
    assert roles_granted(Action.READ_RECORD_AUDIT) == {Role.ADMIN}
    assert roles_granted(Action.ECARD_VERIFY) == {Role.RECEPTIONIST, Role.CALL_CENTRE, Role.PARTNER_STAFF, Role.ADMIN}


ROOT = Path(__file__).resolve().parents[3]
#: Where a role may be named: the table, the user model (its choices), the demo builder and tests, migrations.
ALLOWED = ("carenet/accounts/permissions.py", "carenet/accounts/models.py", "/demo/", "/tests/", "/migrations/")
#: Lines that name a role or the admin flag to build data or the actor, not to decide: (file, text on the line).
ALLOWED_LINES = (
    ("carenet/accounts/selectors.py", "role is Role.PATIENT"),  # the actor's builder reads the patient's family
    ("carenet/accounts/selectors.py", "role is Role.CLINICIAN"),  # and the clinician's record
    ("carenet/accounts/selectors.py", "role=Role.PATIENT,"),  # the actor of a patient known by their phone (SMS)
    ("carenet/accounts/services.py", "role=Role.PATIENT"),  # registration creates a patient's login
    ("carenet/accounts/two_factor.py", 'getattr(user, "is_staff", False)'),  # back-office users log in in two steps
    ("carenet/accounts/admin.py", "list_filter"),  # the back office filters users by role
)
# "clinician" is also a field and a word of scheduling: its role checks go through User.Role or the table anyway.
ROLE_WORDS = "|".join(sorted({role.value for role in Role} - {Role.CLINICIAN.value}))
PATTERNS = [
    re.compile(r"\bRole\.[A-Z_]+"),
    re.compile(r"\bis_superuser\s*="),
    re.compile(r"(?<!actor)\.is_staff\b|[\"']is_staff[\"']"),  # the back-office flag (Actor.is_staff is the table's)
    re.compile(
        rf"""role\s*(==|!=|in|not in)\s*|["'](?:{ROLE_WORDS})["']\s*(==|!=)|(==|!=)\s*["'](?:{ROLE_WORDS})["']"""
    ),
    re.compile(r"\.is_superuser\b"),
]
#: Python only (templates have ARIA ``role="…"`` attributes): a query or a value naming a role.
PY_PATTERNS = [*PATTERNS, re.compile(r"(?<![\w-])role(__in)?\s*=\s*(Role\b|User\.Role|[\"'\[(])")]


def test_no_role_string_decides_anything_outside_the_table() -> None:
    """Issue 10: "no role string anywhere else" — code, templates and services ask the table (or ``can``)."""
    offenders = []
    sources = [*ROOT.glob("carenet/**/*.py"), *ROOT.glob("config/*.py")]
    for path in [*sources, *ROOT.glob("carenet/**/*.html"), *ROOT.glob("templates/**/*.html")]:
        relative = path.relative_to(ROOT).as_posix()
        if any(part in f"/{relative}" for part in ALLOWED):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            allowed = any(relative == where and text in line for where, text in ALLOWED_LINES)
            patterns = PY_PATTERNS if path.suffix == ".py" else PATTERNS
            if not allowed and "role_of(" not in line and any(pattern.search(line) for pattern in patterns):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []
