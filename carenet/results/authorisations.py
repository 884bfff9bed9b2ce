"""Who may collect a patient's results (CLN-3; seed 003: "Czy inna osoba może odebrać wyniki badań w moim imieniu?").

Another person may collect a patient's results only with an authorisation recorded at a centre — the patient's
signed form left at the desk: the person's name and PESEL, the scope (all results, laboratory or imaging) and how
long it is valid (until a date, or until revoked). The reception checks it when someone comes for results; the
patient sees it in the portal and revokes it there, effective at once. Each recording sends the patient an SMS, a
safety net against a forged form.

One small sub-domain in one module: the pure rules first (valid on a day, covers a kind of result, the masked
PESEL), then the two services (:func:`authorisation_record`, :func:`authorisation_revoke`) and the reads
(:func:`authorisations_of`, :func:`access_authorisation`, :func:`authorisation_check`,
:func:`results_for_hand_over`). The shared ``services``/``selectors`` of results are the laboratory's side.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action, Actor, Scope
from carenet.accounts.services import pesel_check
from carenet.core import clock
from carenet.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from carenet.core.validation import MAX_DATE, ascii_digits, text_problem
from carenet.messaging.models import Channel as MessageChannel
from carenet.messaging.services import outbox_enqueue
from carenet.network.models import Facility
from carenet.results.models import CollectionAuthorisation, Result

AuthorisationScope = CollectionAuthorisation.Scope

NAME_MIN_LENGTH = 3
NAME_MAX_LENGTH = 160
#: Characters a person's name may hold besides letters (and the combining marks of some alphabets).
_NAME_PUNCTUATION = frozenset(" -'.’")
#: How many results the desk lists at most (newest first): a desk hands over recent results, not an archive.
HAND_OVER_LIMIT = 50


# --- the rules (pure) ---------------------------------------------------------------------------------------------


class AuthorisationStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


STATUS_LABELS = {
    AuthorisationStatus.ACTIVE: pgettext_lazy("collection authorisation", "active"),
    AuthorisationStatus.EXPIRED: pgettext_lazy("collection authorisation", "expired"),
    AuthorisationStatus.REVOKED: pgettext_lazy("collection authorisation", "revoked"),
}


def authorisation_status(*, revoked: bool, valid_until: dt.date | None, day: dt.date) -> AuthorisationStatus:
    """CLN-3: revoked beats everything; otherwise valid through its last day (``None``: until revoked)."""
    if revoked:
        return AuthorisationStatus.REVOKED
    if valid_until is not None and valid_until < day:
        return AuthorisationStatus.EXPIRED
    return AuthorisationStatus.ACTIVE


def valid_on(*, revoked: bool, valid_until: dt.date | None, day: dt.date) -> bool:
    return authorisation_status(revoked=revoked, valid_until=valid_until, day=day) is AuthorisationStatus.ACTIVE


def covers(scope: str, kind: str) -> bool:
    """Whether an authorisation of ``scope`` (all / lab / imaging) covers a result of ``kind`` (lab / imaging)."""
    return scope == AuthorisationScope.ALL or scope == kind


def kinds_covered(scope: str) -> list[str]:
    return [kind for kind in Result.Kind.values if covers(scope, kind)]


def masked_pesel(pesel: str) -> str:
    """The authorised person's PESEL as the patient sees it: only the last 4 digits."""
    return "•" * max(len(pesel) - 4, 0) + pesel[-4:]


def short_name(first_name: str, last_name: str) -> str:
    """ "Jan K." — a name as an SMS may show it on a lock screen."""
    return f"{first_name} {last_name[:1]}.".strip() if last_name else first_name.strip()


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a person's name: letters (any alphabet), spaces, hyphens, apostrophes and dots only."""
    if not NAME_MIN_LENGTH <= len(name) <= NAME_MAX_LENGTH:
        return "length"
    if text_problem(name) is not None:
        return "characters"
    for char in name:
        category = unicodedata.category(char)
        if not (category.startswith("L") or category in ("Mn", "Mc") or char in _NAME_PUNCTUATION):
            return "characters"
    if not any(unicodedata.category(char).startswith("L") for char in name):
        return "characters"
    return None


class AuthorisationProblem(StrEnum):
    NAME = "authorisation_name"
    PESEL_IS_PATIENTS = "authorisation_pesel_is_patients"
    SCOPE = "authorisation_scope"
    VALID_UNTIL_PAST = "authorisation_valid_until_past"
    VALID_UNTIL_FAR = "authorisation_valid_until_too_far"
    FORM_NOT_ON_FILE = "authorisation_form_not_on_file"
    FACILITY = "authorisation_facility"
    DUPLICATE = "authorisation_duplicate"


MESSAGES = {
    AuthorisationProblem.NAME: _(
        "Give the authorised person's first and last name (3 to 160 characters: letters, spaces, hyphens)."
    ),
    AuthorisationProblem.PESEL_IS_PATIENTS: _(
        "This is the patient's own PESEL: the patient collects their results in person, with an ID."
    ),
    AuthorisationProblem.SCOPE: _("Choose the scope: all results, laboratory results or imaging results."),
    AuthorisationProblem.VALID_UNTIL_PAST: _("The authorisation cannot end in the past."),
    AuthorisationProblem.VALID_UNTIL_FAR: _(
        "That date is too far ahead; leave it empty for an authorisation valid until revoked."
    ),
    AuthorisationProblem.FORM_NOT_ON_FILE: _(
        "An authorisation is recorded only with the form the patient signed: confirm it is on file."
    ),
    AuthorisationProblem.FACILITY: _("Choose the centre where the authorisation is recorded."),
    AuthorisationProblem.DUPLICATE: _(
        "This person already has an active authorisation for this patient: revoke it first to record another."
    ),
}


def refused(problem: AuthorisationProblem) -> ValidationFailed | Conflict:
    error_class = Conflict if problem is AuthorisationProblem.DUPLICATE else ValidationFailed
    return error_class(MESSAGES[problem], code=problem.value)


def valid_until_problem(valid_until: dt.date | None, *, today: dt.date) -> AuthorisationProblem | None:
    if valid_until is None:
        return None
    if valid_until < today:
        return AuthorisationProblem.VALID_UNTIL_PAST
    if valid_until > MAX_DATE:
        return AuthorisationProblem.VALID_UNTIL_FAR
    return None


# --- reads --------------------------------------------------------------------------------------------------------


def _not_found() -> NotFound:
    return NotFound(_("No such authorisation."), code="authorisation_not_found")


def authorisations_of(*, patient_ids: Iterable[int]) -> QuerySet[CollectionAuthorisation]:
    """The authorisations of these patients (the caller has checked access), newest first, active or not."""
    return CollectionAuthorisation.objects.filter(patient_id__in=sorted(set(patient_ids))).select_related(
        "patient", "facility", "recorded_by", "revoked_by"
    )


def access_authorisation(*, actor: Actor, authorisation_id: int, action: Action) -> CollectionAuthorisation:
    """The authorisation if ``actor`` may do ``action`` with it: a patient's own or their child's (OWN), any for the
    desk (ANY); otherwise :class:`NotFound`, as for one that does not exist."""
    scope = actor.scope(action)
    found = CollectionAuthorisation.objects.select_related("patient", "facility").filter(pk=authorisation_id)
    if scope is Scope.OWN:
        found = found.filter(patient_id__in=sorted(actor.family_ids))
    elif scope is not Scope.ANY:
        found = found.none()
    authorisation = found.first()
    if authorisation is None:
        raise _not_found()
    return authorisation


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """What the desk answers: authorised (with the authorisation, or in person) or not — never why not in detail
    beyond "no valid authorisation" (the person at the desk hears no more about the patient than that)."""

    authorised: bool
    authorisation: CollectionAuthorisation | None = None
    in_person: bool = False

    @property
    def scope(self) -> str:
        if self.in_person:
            return AuthorisationScope.ALL
        return self.authorisation.scope if self.authorisation is not None else ""

    @property
    def reference(self) -> str:
        """For the read record: which authorisation and the outcome (at most 40 characters)."""
        if self.in_person:
            return "hand-over:in-person"
        if self.authorisation is not None:
            return f"hand-over:authorisation:{self.authorisation.pk}"
        return "hand-over:refused"


def authorisation_check(*, patient: Patient, pesel: str, on: dt.date) -> CheckOutcome:
    """CLN-3, the desk: is the person with ``pesel`` authorised to collect ``patient``'s results on ``on``? Reads
    the committed state: an authorisation revoked a moment ago no longer answers."""
    number = pesel.strip()
    if not (len(number) == 11 and ascii_digits(number)):
        return CheckOutcome(authorised=False)
    candidates = CollectionAuthorisation.objects.filter(patient=patient, pesel=number, revoked_at__isnull=True)
    for authorisation in candidates.select_related("facility").order_by("-recorded_at", "-id"):
        if valid_on(revoked=False, valid_until=authorisation.valid_until, day=on):
            return CheckOutcome(authorised=True, authorisation=authorisation)
    return CheckOutcome(authorised=False)


def authorisation_recheck(*, patient: Patient, authorisation_id: int, on: dt.date) -> CheckOutcome:
    """The check again for a printout the desk asks for after the check (the authorisation may have been revoked
    since): authorised only if it is the patient's and valid today."""
    authorisation = (
        CollectionAuthorisation.objects.filter(pk=authorisation_id, patient=patient, revoked_at__isnull=True)
        .select_related("facility")
        .first()
    )
    if authorisation is None or not valid_on(revoked=False, valid_until=authorisation.valid_until, day=on):
        return CheckOutcome(authorised=False)
    return CheckOutcome(authorised=True, authorisation=authorisation)


def results_for_hand_over(*, patient: Patient, scope: str) -> list[Result]:
    """The patient's results an authorisation of ``scope`` covers, newest first: what the desk hands over — the exam
    and its dates, never the values."""
    found = Result.objects.filter(patient=patient, kind__in=kinds_covered(scope)).only(
        "id", "patient_id", "kind", "name", "code", "status", "collected_at", "reported_at", "performed_by", "pdf"
    )
    return list(found.order_by("-reported_at", "-id")[:HAND_OVER_LIMIT])


def result_for_hand_over(*, patient: Patient, result_id: int, outcome: CheckOutcome) -> Result:
    """One result to print, if the check covers it (:class:`NotFound` otherwise)."""
    if not outcome.authorised:
        raise NotFound(_("No valid authorisation to collect this result."), code="not_authorised")
    result = Result.objects.filter(patient=patient, pk=result_id, kind__in=kinds_covered(outcome.scope)).first()
    if result is None:
        raise NotFound(_("No such result."), code="result_not_found")
    return result


def own_facilities() -> QuerySet[Facility]:
    """Where an authorisation can be recorded: the network's own centres (not partner facilities)."""
    return Facility.objects.filter(kind=Facility.Kind.OWN).order_by("name")


# --- changes ------------------------------------------------------------------------------------------------------


def recorded_text(authorisation: CollectionAuthorisation) -> str:
    """The SMS to the patient (always in Polish): who was authorised and where; if it was not them, call us."""
    first, _sep, rest = authorisation.full_name.strip().partition(" ")
    last = rest.strip().split(" ")[-1] if rest.strip() else ""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(
            "CareNet: authorisation to collect results for %(person)s recorded at %(facility)s. If it was not "
            "you, call %(phone)s."
        ) % {
            "person": short_name(first, last),
            "facility": authorisation.facility.name,
            "phone": settings.CARENET_CALL_CENTRE_PHONE,
        }


def authorisation_record(
    *,
    actor: Actor,
    patient_id: int,
    full_name: str,
    pesel: str,
    scope: str,
    valid_until: dt.date | None,
    form_on_file: bool,
    facility_id: int | None = None,
    now: dt.datetime | None = None,
) -> CollectionAuthorisation:
    """CLN-3: record at a centre the patient's signed authorisation for another person to collect their results.

    The centre is the actor's own (a receptionist's desk); an actor without one (an administrator) names it. The
    patient gets an SMS (exactly once, keyed by the authorisation) so that a forged form does not go unnoticed."""
    if not actor.reaches(Action.COLLECTION_AUTHORISATION_RECORD, patient_id=patient_id):
        raise PermissionDenied(_("You may not record authorisations."), code="forbidden")
    now = now or clock.now()
    today = clock.local(now).date()
    name = " ".join(full_name.split())
    if name_problem(name) is not None:
        raise refused(AuthorisationProblem.NAME)
    number = pesel.strip().replace(" ", "")
    if not ascii_digits(number or "x"):
        number = "invalid"  # pesel_check names the problem (format) for anything that is not ASCII digits
    pesel_check(number)
    if scope not in AuthorisationScope.values:
        raise refused(AuthorisationProblem.SCOPE)
    problem = valid_until_problem(valid_until, today=today)
    if problem is not None:
        raise refused(problem)
    if not form_on_file:
        raise refused(AuthorisationProblem.FORM_NOT_ON_FILE)
    facility = own_facilities().filter(pk=actor.facility_id or facility_id or 0).first()
    if facility is None:
        raise refused(AuthorisationProblem.FACILITY)
    if actor.user_id is None:
        raise PermissionDenied(_("You may not record authorisations."), code="forbidden")
    with transaction.atomic():
        # Locks the patient: two desks recording the same person at once make one authorisation, not two.
        found = Patient.objects.select_for_update(of=("self",)).select_related("guardian").filter(pk=patient_id)
        patient = found.first()
        if patient is None:
            raise NotFound(_("No such patient."), code="patient_not_found")
        if number == patient.pesel:
            raise refused(AuthorisationProblem.PESEL_IS_PATIENTS)
        active = CollectionAuthorisation.objects.filter(patient=patient, pesel=number, revoked_at__isnull=True)
        if any(valid_on(revoked=False, valid_until=item.valid_until, day=today) for item in active):
            raise refused(AuthorisationProblem.DUPLICATE)
        authorisation = CollectionAuthorisation.objects.create(
            patient=patient,
            full_name=name,
            pesel=number,
            scope=scope,
            valid_until=valid_until,
            facility=facility,
            recorded_by_id=actor.user_id,
            recorded_at=now,
        )
        recipient = patient.contact_mobile
        if recipient is not None:
            outbox_enqueue(
                key=f"collection-authorisation-recorded:collectionauthorisation:{authorisation.pk}",
                purpose="collection-authorisation-recorded",
                channel=MessageChannel.SMS,
                recipient=recipient,
                body=recorded_text(authorisation),
                patient=patient,
            )
    return authorisation


def authorisation_revoke(
    *, actor: Actor, authorisation_id: int, now: dt.datetime | None = None
) -> CollectionAuthorisation:
    """CLN-3: revoke an authorisation — the patient (their own or their child's) or the desk. Effective at once: a
    check after this commits refuses. Idempotent: revoking a revoked one answers it as it is (first revocation
    kept)."""
    with transaction.atomic():
        authorisation = access_authorisation(
            actor=actor, authorisation_id=authorisation_id, action=Action.COLLECTION_AUTHORISATION_REVOKE
        )
        locked = CollectionAuthorisation.objects.select_for_update().get(pk=authorisation.pk)
        if locked.revoked_at is None:
            locked.revoked_at = now or clock.now()
            locked.revoked_by_id = actor.user_id
            locked.save(update_fields=["revoked_at", "revoked_by"])
        locked.patient = authorisation.patient
        locked.facility = authorisation.facility
    return locked
