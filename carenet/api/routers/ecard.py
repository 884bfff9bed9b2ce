"""``/ecard/verify``: reception's, the call centre's and partner facilities' check of an E-Karta (PKG-6).

The answer is only valid / invalid (with a reason code), the holder's first name and initial, the package tier and
the last valid day — never a PESEL, an address or a visit. Patients and other roles answer 403 ``role_not_allowed``.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from carenet.accounts.permissions import Action
from carenet.accounts.selectors import actor_for_user
from carenet.api.auth import USER_AUTH, request_user
from carenet.api.schemas import ErrorOut, InvalidInputOut, Out
from carenet.core import clock
from carenet.core.errors import PermissionDenied
from carenet.core.validation import Text
from carenet.coverage.selectors import ecard_verify
from carenet.web.reads import What, record_reads

router = Router(tags=["e-card"], auth=USER_AUTH)


class EcardVerifyIn(Schema):
    number: Text = Field(..., max_length=32, description="The card number (ten digits), typed or from the QR code.")
    signature: Text | None = Field(
        None, max_length=128, description="The signature from the card's QR code; omit it for a typed number."
    )


class EcardVerifyOut(Out):
    valid: bool
    reason: str | None = Field(
        None, description="Why the card is invalid: unknown_number, bad_signature, expired or not_yet_active."
    )
    holder: str | None = Field(None, description='The holder\'s first name and last-name initial ("Anna K.").')
    tier: str | None = Field(None, description="The package tier.")
    tier_en: str | None = Field(None, description="The package tier's English name (empty when it has none).")
    valid_until: dt.date | None = Field(None, description="The last paid day: the card is invalid after it.")


@router.get(
    "/ecard/verify",
    response={200: EcardVerifyOut, 401: ErrorOut, 403: ErrorOut, 422: InvalidInputOut},
    summary="Verify an E-Karta",
)
def ecard_verify_endpoint(request: HttpRequest, query: Query[EcardVerifyIn]) -> EcardVerifyOut:
    """PKG-6: valid / invalid, whose, until when — for reception, the call centre and partner facilities."""
    if not actor_for_user(request_user(request)).can(Action.ECARD_VERIFY):
        raise PermissionDenied(_("Your role does not verify E-Karta cards."), code="role_not_allowed")
    check = ecard_verify(number=query.number, signature=query.signature or None, day=clock.today())
    if check.patient_id is not None:
        record_reads(request, patient_ids=[check.patient_id], what=What.ECARD_CHECK)
    return EcardVerifyOut(
        valid=check.valid,
        reason=check.reason,
        holder=check.holder,
        tier=check.tier,
        tier_en=check.tier_en if check.tier is not None else None,
        valid_until=check.valid_until,
    )
