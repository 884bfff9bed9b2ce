"""Reads of people: finding a patient for the call centre and reception, and whom a patient may act for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from carenet.accounts import policies
from carenet.accounts.models import Consent, IdentityConfirmation, IdentityRequest, PasswordReset, Patient, User
from carenet.accounts.permissions import ANONYMOUS, Action, Actor, Role, role_of
from carenet.core import clock
from carenet.core.baked import BakedQuery
from carenet.core.dates import latest_birth_date_of_age
from carenet.core.errors import PermissionDenied, ValidationFailed

#: The shortest text a patient search accepts: shorter prefixes match half the roster.
MIN_QUERY_LENGTH = 3
MAX_FIND_LIMIT = 100
#: Children a guardian acts for are those under this age on the day (SPEC "People and roles").
ADULT_AGE = 18


def _name_part(word: str) -> str:
    """Names are stored capitalised ("Nowak", "Kowalska-Nowak"); a prefix typed in any case matches them."""
    return word[:1].upper() + word[1:].lower()


PESEL_LENGTH = 11


def patient_find(*, query: str, limit: int = 20, offset: int = 0) -> list[Patient]:
    """Patients matching a PESEL, a mobile number or a name, for the call-centre and reception consoles.

    Every branch is an indexed prefix lookup (PESEL is unique, mobile and (last name, first name) are indexed):
    digits search PESEL and mobile numbers, words search "last first" or "first last" name prefixes.
    """
    text = " ".join(query.split())
    if len(text.replace(" ", "")) < MIN_QUERY_LENGTH:
        raise ValidationFailed(
            _("Type at least %(count)d characters.") % {"count": MIN_QUERY_LENGTH}, code="query_too_short"
        )
    if not 1 <= limit <= MAX_FIND_LIMIT or offset < 0:
        raise ValidationFailed(_("The page is out of range."), code="bad_page")
    digits = "".join(ch for ch in text if ch.isdigit())
    condition: Q
    if digits and not any(ch.isalpha() for ch in text):
        condition = Q(pesel__startswith=digits)
        national = digits[2:] if digits.startswith("48") and len(digits) == 11 else digits
        condition |= Q(mobile__startswith="+48" + national)
        if text.startswith("+"):
            condition |= Q(mobile__startswith="+" + digits)
    else:
        words = [_name_part(word) for word in text.split(" ") if word]
        if len(words) == 1:
            condition = Q(last_name__startswith=words[0])
        else:
            first, second = words[0], " ".join(words[1:])
            condition = Q(last_name__startswith=first, first_name__startswith=second) | Q(
                first_name__startswith=first, last_name__startswith=second
            )
    patients = Patient.objects.filter(condition).select_related("guardian").order_by("last_name", "first_name", "id")
    return list(patients[offset : offset + limit])


def patient_with_pesel(query: str) -> tuple[bool, Patient | None]:
    """Issue 14: whether ``query`` is a whole PESEL (11 digits, spaces allowed), and the patient who has it. The
    consoles open that patient's page at once instead of listing them."""
    digits = "".join(query.split())
    if len(digits) != PESEL_LENGTH or not digits.isascii() or not digits.isdigit():
        return False, None
    return True, Patient.objects.filter(pesel=digits).first()


def minors_q(*, today: dt.date, prefix: str = "") -> Q:
    """Patients (or, with ``prefix`` such as ``"patient__"``, related patients) under 18 on ``today``: the children a
    guardian acts for (SPEC "People and roles"). Same answer as :func:`age_on`, as a query condition."""
    return Q(**{f"{prefix}birth_date__gt": latest_birth_date_of_age(ADULT_AGE, today)})


# --- Who is acting (SEC, CLN-6) ---------------------------------------------------------------------------------

_ACTOR_CACHE = "_carenet_actor"
_PATIENT_CACHE = "_carenet_patient"
_CHILDREN_CACHE = "_carenet_children"


def actor_for_user(user: Any, *, today: dt.date | None = None) -> Actor:
    """The :class:`Actor` of a logged-in user (or :data:`ANONYMOUS`): the effective role (a superuser is an
    administrator), their facility, and for a patient their record, level and the children under 18 they act for;
    for a clinician, their clinician record. Every door and service asks the permission table about this value.

    Built once per request: the result is kept on the user object the request carries (for the day it was built),
    so the page, the selectors and the services it calls share it. At most two small queries."""
    day = today or clock.today()
    cached = getattr(user, _ACTOR_CACHE, None)
    if cached is not None and cached[0] == day:
        return cached[1]
    actor = _actor_build(user, today=day)
    if user is not None and getattr(user, "pk", None) is not None:
        setattr(user, _ACTOR_CACHE, (day, actor))
    return actor


def actor_patient(user: Any) -> Patient | None:
    """The patient record of a patient's login, as read when its actor was built (no further query)."""
    actor = actor_for_user(user)
    if actor.patient_id is None:
        return None
    kept = getattr(user, _PATIENT_CACHE, None)
    if isinstance(kept, Patient) and kept.pk == actor.patient_id:
        return kept
    return Patient.objects.get(pk=actor.patient_id)


def actor_for_patient(patient: Patient, *, today: dt.date | None = None) -> Actor:
    """The actor of a patient known by their phone (the SMS door, CXL-2): themself and their children under 18."""
    day = today or clock.today()
    children = Patient.objects.filter(minors_q(today=day), guardian_id=patient.pk).values_list("pk", flat=True)
    return Actor(
        user_id=patient.user_id,
        role=Role.PATIENT,
        patient_id=patient.pk,
        children_ids=frozenset(children),
        level=patient.account_level,
    )


def minors_of_login_q(*, today: dt.date, user_ref: Any) -> Exists:
    """Whether the login ``user_ref`` (an ``OuterRef`` to a user id) is the guardian of a patient under 18 on
    ``today``: for a query that reads a login together with its patient record (the API's bearer token, issue 16),
    so a patient with no children costs no family query (:func:`actor_prime`)."""
    return Exists(Patient.objects.filter(minors_q(today=today), guardian__user_id=user_ref))


def actor_prime(user: Any, *, patient: Patient | None, has_minors: bool, today: dt.date) -> None:
    """Keep the actor of a login built from what the caller read together with it — its patient record (``None``:
    none) and whether it is the guardian of any child under 18 — so :func:`actor_for_user` needs no query of its
    own (issue 16: the API reads the token, the login and the patient in one query). A guardian of children is left
    to :func:`actor_for_user`, which reads the family as usual."""
    if user is None or has_minors or getattr(user, "pk", None) is None:
        return
    setattr(user, _ACTOR_CACHE, (today, _actor_build(user, today=today, family=(patient, []))))


def _actor_build(user: Any, *, today: dt.date, family: tuple[Patient | None, list[Patient]] | None = None) -> Actor:
    """The actor of ``user``; for a patient, ``family`` is their own record and their children under 18 when the
    caller read them already (else one query reads them)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    role = role_of(role=str(user.role), is_superuser=bool(user.is_superuser))
    clinician_id = None
    if role is Role.PATIENT:
        own, minors = family if family is not None else _family_read(user, today=today)
        if own is not None:
            setattr(user, _PATIENT_CACHE, own)  # the patient's pages use the record read here
            # The same children, read in the same query: the request's pages ask whom the patient acts for.
            setattr(own, _CHILDREN_CACHE, (today, sorted(minors, key=lambda child: (child.birth_date, child.pk))))
        return Actor(
            user_id=user.pk,
            role=role,
            facility_id=user.facility_id,
            patient_id=own.pk if own is not None else None,
            # a patient login without a patient record acts for nobody
            children_ids=frozenset(child.pk for child in minors) if own is not None else frozenset(),
            level=own.account_level if own is not None else None,
            contract_id=user.contract_id,
        )
    if role is Role.CLINICIAN:
        # The clinician record links to its login (network.Clinician.user, reverse name "clinician").
        clinician_id = User.objects.filter(pk=user.pk).values_list("clinician__id", flat=True).first()
    return Actor(
        user_id=user.pk,
        role=role,
        facility_id=user.facility_id,
        clinician_id=clinician_id,
        contract_id=user.contract_id,  # reached only through CONTRACT grants (an employer or insurer contact)
    )


def _family_query(today: dt.date, *, user_id: int) -> QuerySet[Patient]:
    return Patient.objects.filter(Q(user_id=user_id) | (Q(guardian__user_id=user_id) & minors_q(today=today)))


#: A guardian's every request reads the family (issue 16): the statement is compiled once a day per process (the day
#: shapes who is under 18), only the login changes.
_FAMILY = BakedQuery(Patient, _family_query)


def _family_read(user: Any, *, today: dt.date) -> tuple[Patient | None, list[Patient]]:
    """A patient login's own record and the children under 18 it is the guardian of, in one query."""
    own: Patient | None = None
    minors: list[Patient] = []
    for person in _FAMILY.all(shape=today, user_id=user.pk):
        if person.user_id == user.pk:
            own = person
        else:
            minors.append(person)
    return own, minors


def patients_acting_for(*, patient: Patient, today: dt.date) -> list[Patient]:
    """Whom a logged-in patient may book for: themself, then their children under 18 (SPEC, People and roles).

    No query for the patient record of a request's actor (:func:`actor_patient`): its children were read with it."""
    kept = getattr(patient, _CHILDREN_CACHE, None)
    if kept is not None and kept[0] == today:
        return [patient, *kept[1]]
    children = Patient.objects.filter(minors_q(today=today), guardian=patient).order_by("birth_date", "id")
    return [patient, *children]


# --- Levels (ACC-3, ACC-4) and identity confirmation (ACC-5) ----------------------------------------------------

LEVEL_TWO_REQUIRED_MESSAGE = _(
    "This is available once your identity is confirmed (level II of the portal). You can confirm it online "
    "through your bank, by phone with the call centre, with the contact form or at any reception desk."
)


def patient_may_use(*, patient: Patient, feature: policies.Feature) -> bool:
    """ACC-3, ACC-4: whether the patient's account level allows ``feature`` (the single policy, read here)."""
    return policies.feature_allowed(feature, level=patient.account_level)


def patient_feature_check(*, user: User, feature: policies.Feature) -> None:
    """ACC-3, ACC-4 for every front door: a patient whose account is below the level ``feature`` needs gets
    :class:`PermissionDenied` with the stable code ``level_two_required``. Staff are not patients: their own
    role checks apply, not levels."""
    actor = actor_for_user(user)
    if actor.grant(Action.PORTAL_USE) is None:
        return
    if not policies.feature_allowed(feature, level=actor.level or 0):
        raise PermissionDenied(LEVEL_TWO_REQUIRED_MESSAGE, code="level_two_required")


def identity_confirmations_for(*, patient: Patient) -> list[IdentityConfirmation]:
    """ACC-5: every confirmation of the patient's identity, latest first, with who confirmed it."""
    return list(IdentityConfirmation.objects.filter(patient=patient).select_related("confirmed_by"))


def identity_request_latest(*, patient: Patient) -> IdentityRequest | None:
    """ACC-5: the patient's latest contact-form request (what the patient sees of its status)."""
    return IdentityRequest.objects.filter(patient=patient).order_by("-created_at", "-id").first()


def identity_request_queue(*, limit: int = 100) -> list[IdentityRequest]:
    """ACC-5: open contact-form requests, oldest first, for the call centre."""
    requests = IdentityRequest.objects.filter(status=IdentityRequest.Status.OPEN).select_related("patient")
    return list(requests.order_by("created_at", "id")[:limit])


def identity_request_recent(*, limit: int = 20) -> list[IdentityRequest]:
    """ACC-5: the latest reviewed requests, with who reviewed them."""
    reviewed = IdentityRequest.objects.exclude(status=IdentityRequest.Status.OPEN)
    return list(reviewed.select_related("patient", "reviewed_by").order_by("-reviewed_at", "-id")[:limit])


def password_resets_for(*, patient: Patient, limit: int = 10) -> list[PasswordReset]:
    """ACC-6: the patient's latest password resets with who did them."""
    return list(PasswordReset.objects.filter(patient=patient).select_related("reset_by")[:limit])


# --- Consents (ACC-8) -------------------------------------------------------------------------------------------


def consent_refused_patient_ids(*, patient_ids: Iterable[int], kind: str, today: dt.date | None = None) -> set[int]:
    """ACC-8: THE check before a notice is made: of ``patient_ids``, those whose ``kind`` consent
    (``accounts.models.ConsentKind``: ``sms_notices`` for reminders, check-in questions and survey invitations by
    SMS; ``email_notices`` for notices by e-mail; ``marketing``) is not in force — withdrawn, or never given where
    the default is "no". A child under 18 with a guardian follows the guardian's decision. Set-based: two queries
    whatever the number of patients. Transactional messages (passwords, codes, booking confirmations,
    cancellations, closure notices) do not ask."""
    ids = set(patient_ids)
    if not ids:
        return set()
    patients = Patient.objects.filter(pk__in=ids).order_by().only("pk", "guardian_id", "birth_date")
    return consent_refused_patients(patients=patients, kind=kind, today=today)


def consent_refused_patients(*, patients: Iterable[Patient], kind: str, today: dt.date | None = None) -> set[int]:
    """:func:`consent_refused_patient_ids` for patients already read (the day's reminders): one query."""
    day = today or clock.today()
    adult_born_by = latest_birth_date_of_age(ADULT_AGE, day)
    holder_of = {
        patient.pk: policies.consent_holder(
            patient_id=patient.pk, guardian_id=patient.guardian_id, minor=patient.birth_date > adult_born_by
        )
        for patient in patients
    }
    if not holder_of:
        return set()
    decided = dict(
        Consent.objects.filter(patient_id__in=set(holder_of.values()), kind=kind, current=True).values_list(
            "patient_id", "granted"
        )
    )
    default = policies.CONSENT_DEFAULTS[policies.ConsentKind(kind)]
    return {pk for pk, holder in holder_of.items() if not decided.get(holder, default)}


def consent_in_force(*, patient: Patient, kind: str, today: dt.date | None = None) -> bool:
    """ACC-8: whether one patient's notice of ``kind`` may be made on ``today`` (a child's age decides whose
    consent counts; see :func:`consent_refused_patient_ids`)."""
    return patient.pk not in consent_refused_patient_ids(patient_ids=[patient.pk], kind=kind, today=today)
