"""The patient's E-Karta (PKG-6): the card on screen with its QR code, and the same card as a PDF to print.

The QR code carries the staff verification address with the card number and its signature, so reception or a
partner facility scanning it lands on the verification page with both filled in. A guardian may show their
child's card (``?for=<child id>``); any other patient's card answers 404.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import segno
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from carenet.accounts import selectors as account_selectors
from carenet.accounts.models import Patient
from carenet.accounts.policies import Feature
from carenet.core import clock
from carenet.core.catalogue import localized
from carenet.coverage.models import Enrolment
from carenet.coverage.policies import EcardStatus, ecard_sign, ecard_status
from carenet.coverage.selectors import ecard_for_patient
from carenet.web.access import level_two_required
from carenet.web.reads import What, record_reads

FONTS_DIR = Path(__file__).resolve().parent.parent / "coverage" / "fonts"
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"


@dataclass(frozen=True, slots=True)
class Card:
    """What the card shows (PKG-6)."""

    holder: Patient
    enrolment: Enrolment
    status: EcardStatus
    verification_url: str

    @property
    def valid(self) -> bool:
        return self.status == EcardStatus.VALID


def _holder(request: HttpRequest, day: dt.date) -> Patient:
    """The patient themself, or one of their children under 18 named by ``?for=`` (404 for anyone else)."""
    me: Patient = request.patient  # type: ignore[attr-defined]
    raw = request.GET.get("for", "")
    if raw in ("", str(me.pk)):
        return me
    family = account_selectors.patients_acting_for(patient=me, today=day)
    chosen = next((person for person in family if str(person.pk) == raw), None)
    if chosen is None:
        raise Http404
    return chosen


def verification_url(request: HttpRequest, number: str) -> str:
    """The absolute staff verification address for ``number``, signed (what the QR code encodes)."""
    query = urlencode({"number": number, "signature": ecard_sign(number, settings.CARENET_ECARD_SECRET)})
    return request.build_absolute_uri(f"{reverse('staff:ecard_verify')}?{query}")


def _card(request: HttpRequest) -> Card | None:
    day = clock.today()
    holder = _holder(request, day)
    enrolment = ecard_for_patient(patient=holder, day=day)
    if enrolment is None:
        return None
    return Card(
        holder=holder,
        enrolment=enrolment,
        status=ecard_status(activated_on=enrolment.activated_on, paid_through=enrolment.paid_through, day=day),
        verification_url=verification_url(request, enrolment.ecard_number),
    )


def _status_text(status: EcardStatus) -> str:
    return {
        EcardStatus.VALID: _("Valid"),
        EcardStatus.NOT_YET_ACTIVE: _("Not active yet"),
        EcardStatus.EXPIRED: _("Expired"),
    }[status]


@require_GET
@level_two_required(Feature.ECARD)  # ACC-4
def ecard(request: HttpRequest) -> HttpResponse:
    """PKG-6: "E-Karta" — the card with its QR code and a link to the PDF."""
    me: Patient = request.patient  # type: ignore[attr-defined]
    card = _card(request)
    if card is not None:  # a guardian showing a child's card is a read of the child's data (own cards are not)
        record_reads(request, patient_ids=[card.holder.pk], what=What.ECARD_CHECK)
    family = account_selectors.patients_acting_for(patient=me, today=clock.today())
    context = {
        "card": card,
        "family": family,
        "status_text": _status_text(card.status) if card else "",
        "qr_svg": segno.make(card.verification_url, error="m").svg_inline(scale=4, title=_("E-Karta QR code"))
        if card
        else "",
        "for_query": urlencode({"for": card.holder.pk}) if card and card.holder.pk != me.pk else "",
    }
    return render(request, "portal/ecard.html", context)


def _register_fonts() -> None:
    registered = pdfmetrics.getRegisteredFontNames()
    if FONT not in registered:
        pdfmetrics.registerFont(TTFont(FONT, str(FONTS_DIR / "DejaVuSans.ttf")))
    if FONT_BOLD not in registered:
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONTS_DIR / "DejaVuSans-Bold.ttf")))


def ecard_pdf_bytes(card: Card) -> bytes:
    """The card as a one-page A4 PDF with the same content and the QR code as an image (Polish characters through
    the vendored DejaVu Sans)."""
    _register_fonts()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=0)
    pdf.setTitle(f"E-Karta {card.enrolment.ecard_number}")
    pdf.setAuthor("CareNet")
    width, height = A4
    left, top = 25 * mm, height - 30 * mm
    pdf.setFont(FONT_BOLD, 20)
    pdf.drawString(left, top, "CareNet · E-Karta")
    rows = [
        (_("Card holder"), card.holder.full_name),
        (_("Card number"), card.enrolment.ecard_number),
        (_("Package"), localized(card.enrolment.tier)),
        (_("Contract"), card.enrolment.contract.name),
        (_("Valid from"), formats.date_format(card.enrolment.activated_on, "d.m.Y")),
        (_("Valid until"), formats.date_format(card.enrolment.paid_through, "d.m.Y")),
        (_("Status"), _status_text(card.status)),
    ]
    size = 55 * mm  # the QR code, right of the rows
    value_width = width - 2 * 25 * mm - 40 * mm - size - 5 * mm
    y = top - 14 * mm
    for label, value in rows:
        pdf.setFont(FONT, 10)
        pdf.drawString(left, y, label)
        pdf.setFont(FONT_BOLD, 12)
        # Long values (a contract's name) wrap instead of running under the QR code.
        for line in simpleSplit(str(value), FONT_BOLD, 12, value_width):
            pdf.drawString(left + 40 * mm, y, line)
            y -= 5.5 * mm
        y -= 2.5 * mm
    png = io.BytesIO()
    segno.make(card.verification_url, error="m").save(png, kind="png", scale=8, border=2)
    png.seek(0)
    pdf.drawImage(ImageReader(png), width - 25 * mm - size, top - 10 * mm - size, width=size, height=size)
    pdf.setFont(FONT, 9)
    pdf.drawString(left, y - 4 * mm, _("Show this card with an identity document."))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@require_GET
@level_two_required(Feature.ECARD)  # ACC-4
def ecard_pdf(request: HttpRequest) -> HttpResponse:
    """PKG-6: the card as a PDF to print ("Pobierz PDF")."""
    card = _card(request)
    if card is None:
        raise Http404
    record_reads(request, patient_ids=[card.holder.pk], what=What.ECARD_CHECK, reference="pdf")
    response = HttpResponse(ecard_pdf_bytes(card), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="e-karta-{card.enrolment.ecard_number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
