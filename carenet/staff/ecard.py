"""E-Karta verification for reception, the call centre and partner facilities (PKG-6).

One types the card number, or scans the card's QR code, which opens this page with the number and its signature
filled in. The answer is only what :func:`carenet.coverage.selectors.ecard_verify` reveals: valid or not (and why),
the holder's first name and initial, the package tier and the last valid day.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from carenet.accounts.permissions import Action
from carenet.core import clock
from carenet.coverage.selectors import EcardCheck, EcardRefusal, ecard_verify
from carenet.web.access import staff_required
from carenet.web.reads import What, record_reads

NUMBER_MAX_LENGTH = 32
SIGNATURE_MAX_LENGTH = 128


def refusal_text(reason: str | None) -> str:
    """What a refusal code means, for the person at the desk."""
    texts = {
        EcardRefusal.UNKNOWN_NUMBER: _("No E-Karta has this number."),
        EcardRefusal.BAD_SIGNATURE: _("The QR code is forged or damaged: its signature does not match the number."),
        EcardRefusal.EXPIRED: _("The package is not paid any longer: the card has expired."),
        EcardRefusal.NOT_YET_ACTIVE: _("The package is not active yet."),
    }
    return texts.get(reason or "", "")


@require_GET
@staff_required(Action.ECARD_VERIFY)
def ecard_verify_page(request: HttpRequest) -> HttpResponse:
    """PKG-6: type a card number or open a scanned QR code → valid / invalid, whose, until when."""
    number = request.GET.get("number", "").strip()[:NUMBER_MAX_LENGTH]
    signature = request.GET.get("signature", "").strip()[:SIGNATURE_MAX_LENGTH] or None
    check: EcardCheck | None = None
    if number:
        check = ecard_verify(number=number, signature=signature, day=clock.today())
        if check.patient_id is not None:
            record_reads(request, patient_ids=[check.patient_id], what=What.ECARD_CHECK)
    return render(
        request,
        "staff/ecard_verify.html",
        {
            "number": number,
            "signature": signature or "",
            "check": check,
            "refusal": refusal_text(check.reason) if check else "",
            "scanned": signature is not None,
        },
    )
