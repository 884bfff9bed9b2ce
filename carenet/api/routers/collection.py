"""``/collection-authorisations``: who may collect a patient's results at a reception desk (CLN-3; seed 003) — the
list and the revocation, for the mobile app. Recording one is done at a centre, with the signed form (no endpoint).

A patient reads their own and their children's (``patient_id`` picks one of them; anyone else's answers 404, as a
patient that does not exist) at level II (403 ``level_two_required``) with an active package (403
``package_inactive``, ACC-7); the PESEL of the authorised person is masked but for its last 4 digits. The desk
(reception, an administrator) names the patient and sees the whole PESEL. Other roles answer 403
``role_not_allowed``. Revoking is idempotent: revoking a revoked authorisation answers it as it is.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from carenet.accounts.models import User
from carenet.accounts.permissions import Action, Actor, Scope
from carenet.accounts.policies import Feature
from carenet.accounts.selectors import patient_feature_check
from carenet.api.access import request_actor, role_not_allowed
from carenet.api.auth import USER_AUTH
from carenet.api.schemas import ErrorOut, InvalidInputOut, Out
from carenet.booking import selectors as booking_selectors
from carenet.core import clock
from carenet.core.errors import NotFound, ValidationFailed
from carenet.core.validation import DbId
from carenet.results import authorisations
from carenet.results.models import CollectionAuthorisation
from carenet.web.reads import What, record_reads

router = Router(tags=["results"], auth=USER_AUTH)

ERRORS: dict[int, type] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: InvalidInputOut}


class AuthorisationListIn(Schema):
    patient_id: DbId | None = Field(
        None,
        description="Default: the caller and their children. A patient may name one of them; the desk must name "
        "the patient.",
    )


class FacilityRefOut(Out):
    id: int
    name: str


class CollectionAuthorisationOut(Out):
    id: int
    patient_id: int
    patient_name: str
    full_name: str = Field(..., description="The authorised person.")
    pesel: str = Field(..., description="Their PESEL; for a patient masked but for the last 4 digits.")
    scope: str = Field(..., description="all, lab or imaging.")
    valid_until: dt.date | None = Field(None, description="The last day it is valid; null: until revoked.")
    status: str = Field(..., description="active, expired or revoked.")
    recorded_at: dt.datetime
    recorded_facility: FacilityRefOut = Field(..., description="The centre where it was recorded.")
    revoked_at: dt.datetime | None = None


class CollectionAuthorisationListOut(Out):
    results: list[CollectionAuthorisationOut] = Field(..., description="Newest first, active or not.")


def authorisation_out(item: CollectionAuthorisation, *, masked: bool, today: dt.date) -> CollectionAuthorisationOut:
    status = authorisations.authorisation_status(
        revoked=item.revoked_at is not None, valid_until=item.valid_until, day=today
    )
    return CollectionAuthorisationOut(
        id=item.pk,
        patient_id=item.patient_id,
        patient_name=item.patient.full_name,
        full_name=item.full_name,
        pesel=authorisations.masked_pesel(item.pesel) if masked else item.pesel,
        scope=item.scope,
        valid_until=item.valid_until,
        status=status.value,
        recorded_at=item.recorded_at,
        recorded_facility=FacilityRefOut(id=item.facility_id, name=item.facility.name),
        revoked_at=item.revoked_at,
    )


def _whose(user: User, actor: Actor, patient_id: int | None) -> list[int]:
    scope = actor.scope(Action.COLLECTION_AUTHORISATION_VIEW)
    if scope is Scope.OWN:
        if patient_id is not None and patient_id not in actor.family_ids:
            raise NotFound(_("No such patient."), code="patient_not_found")
        patient_feature_check(user=user, feature=Feature.TEST_RESULTS)  # ACC-4, after access: another's is 404
        return [patient_id] if patient_id is not None else sorted(actor.family_ids)
    if scope is None:
        raise role_not_allowed()
    if patient_id is None:
        raise ValidationFailed(_("Name the patient (patient_id)."), code="patient_id_required")
    patient = booking_selectors.access_patient(
        actor=user, patient_id=patient_id, action=Action.COLLECTION_AUTHORISATION_VIEW
    )
    return [patient.pk]


@router.get(
    "/collection-authorisations",
    response={200: CollectionAuthorisationListOut, **ERRORS},
    summary="List authorisations to collect results",
)
def collection_authorisation_list(
    request: HttpRequest, filters: Query[AuthorisationListIn]
) -> CollectionAuthorisationListOut:
    """CLN-3: the people authorised to collect the results, newest first, with their status. Errors: 403
    `level_two_required`, `package_inactive`, `role_not_allowed`; 404 `patient_not_found`; 422
    `patient_id_required`."""
    user, actor = request_actor(request)  # ACC-7: 403 package_inactive
    patient_ids = _whose(user, actor, filters.patient_id)
    found = list(authorisations.authorisations_of(patient_ids=patient_ids))
    record_reads(request, patient_ids=patient_ids, what=What.COLLECTION_AUTHORISATIONS)
    today = clock.today()
    masked = actor.is_patient
    return CollectionAuthorisationListOut(
        results=[authorisation_out(item, masked=masked, today=today) for item in found]
    )


@router.post(
    "/collection-authorisations/{authorisation_id}/revoke",
    response={200: CollectionAuthorisationOut, **ERRORS},
    summary="Revoke an authorisation to collect results",
)
def collection_authorisation_revoke(request: HttpRequest, authorisation_id: DbId) -> CollectionAuthorisationOut:
    """CLN-3: revoke at once — the desk refuses the person from now on. Idempotent: revoking again answers the
    same. Errors: 403 `level_two_required`, `package_inactive`, `role_not_allowed`; 404
    `authorisation_not_found` (also someone else's)."""
    user, actor = request_actor(request)
    scope = actor.scope(Action.COLLECTION_AUTHORISATION_REVOKE)
    if scope is None:
        raise role_not_allowed()
    authorisation = authorisations.access_authorisation(
        actor=actor, authorisation_id=authorisation_id, action=Action.COLLECTION_AUTHORISATION_REVOKE
    )
    if scope is Scope.OWN:
        patient_feature_check(user=user, feature=Feature.TEST_RESULTS)
    revoked = authorisations.authorisation_revoke(actor=actor, authorisation_id=authorisation.pk)
    return authorisation_out(revoked, masked=actor.is_patient, today=clock.today())
