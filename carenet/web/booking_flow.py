"""The pieces the patient's pages and the staff consoles share: run a slot search for a patient and word its
offers (SCH-2, SCH-4, PKG-4, NET-2), and say what a booking refusal means. Rules stay in the domain apps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest, QueryDict
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from carenet.accounts.models import Patient, User
from carenet.booking import services as booking_services
from carenet.booking.models import Appointment
from carenet.booking.offers import Offer, OfferStatus, offers_for
from carenet.booking.policies import CancelFacts, cancel_refusal
from carenet.core import clock
from carenet.core.errors import ApplicationError, NotFound, ValidationFailed
from carenet.core.validation import ascii_digits
from carenet.coverage.selectors import partner_facility_ids_allowed
from carenet.scheduling.search import SlotPage, slot_search
from carenet.web import selectors as portal_selectors
from carenet.web.forms import BookingConfirmForm, SlotSearchForm

#: Offers that the booking service would refuse whatever the patient does: no "Book" button for them.
UNBOOKABLE = frozenset({OfferStatus.NOT_ENTITLED, OfferStatus.AGE_NOT_ALLOWED})


def zloty(amount: Decimal) -> str:
    return number_format(amount, 2)


@dataclass(frozen=True)
class OfferRow:
    offer: Offer
    label: str
    tone: str
    price_to_pay: Decimal
    book_url: str | None


def coverage_label(offer: Offer) -> tuple[str, str]:
    """PKG-4 in a few words, with a tone for the badge: w pakiecie / w limicie — zostało n / płatne X zł / rabat …"""
    decision = offer.coverage
    status = offer.status
    if decision is None or status == OfferStatus.UNKNOWN:
        return "", "neutral"
    if status == OfferStatus.NOT_ENTITLED:
        return _("no package in force on that day"), "warn"
    if status == OfferStatus.AGE_NOT_ALLOWED:
        return _("not available at the patient's age"), "warn"
    if status == OfferStatus.REFERRAL_REQUIRED:
        return _("needs a referral"), "info"
    if status == OfferStatus.COVERED:
        return _("included in the package"), "ok"
    if status == OfferStatus.WITHIN_LIMIT:
        return _("within the limit — %(left)d left") % {"left": decision.left or 0}, "ok"
    if status == OfferStatus.ONCE_A_YEAR:
        return _("included once a year"), "ok"
    if status == OfferStatus.DISCOUNTED:
        return _("discount %(percent)d%% — %(price)s zł") % {
            "percent": decision.discount_percent or 0,
            "price": zloty(decision.price_to_pay),
        }, "paid"
    return _("paid: %(price)s zł") % {"price": zloty(decision.price_to_pay)}, "paid"


def price_to_accept(offer: Offer) -> Decimal | None:
    """The price the patient must accept before booking (PKG-4), or ``None`` when the package pays it all."""
    decision = offer.coverage
    if decision is None or decision.bookable_without_payment or decision.price_to_pay <= 0:
        return None
    return decision.price_to_pay


def offer_rows(offers: list[Offer], *, book_url: Callable[[Offer], str]) -> list[OfferRow]:
    rows = []
    for offer in offers:
        label, tone = coverage_label(offer)
        price = offer.coverage.price_to_pay if offer.coverage is not None else Decimal(0)
        url = None if offer.status in UNBOOKABLE or offer.service is None else book_url(offer)
        rows.append(OfferRow(offer=offer, label=label, tone=tone, price_to_pay=price, book_url=url))
    return rows


def page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if ascii_digits(raw) and len(raw) < 6 else 0


#: The id of the facility field's region on the search form, which the city select refreshes (SCH-2).
FACILITY_FIELD_ID = "facility-field"
FACILITY_FIELD_TEMPLATE = "portal/search.html#facility_field"


def facility_field_requested(request: HttpRequest) -> bool:
    """Whether the request is the city select's HTMX refresh of the facility field, not a search: the search page
    answers it with the field alone, behind the page's own access rules."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and htmx.target == FACILITY_FIELD_ID  # type: ignore[union-attr]


def search_context(
    *,
    request: HttpRequest,
    form: SlotSearchForm,
    patient: Patient | None,
    now: dt.datetime,
    book_url: Callable[[Offer, Patient | None], str],
) -> dict[str, Any]:
    """Run the search the form asks for (when it was submitted) and return what the results partial shows.

    ``patient`` is whom the offers are for; on the portal the "for whom" field may pick a child instead."""
    result: SlotPage | None = None
    rows: list[OfferRow] = []
    if form.is_bound and form.is_valid():
        chosen = form.cleaned_data.get("for_whom") or patient
        try:
            result = slot_search(
                query=form.slot_query(page=page_number(request) or 0),
                now=now,
                allowed_partner_ids=None
                if chosen is None
                else partner_facility_ids_allowed(patient=chosen, day=clock.local(now).date()),
            )
        except ValidationFailed as error:
            form.add_error(None, str(error.message))
        else:
            offers = offers_for(patient=chosen, slots=result.slots, now=now, service=result.service)
            rows = offer_rows(offers, book_url=lambda offer: book_url(offer, chosen))
    querystring = request.GET.copy() if request.GET else QueryDict(mutable=True)
    querystring.pop("page", None)
    return {"form": form, "result": result, "rows": rows, "querystring": querystring.urlencode()}


def can_cancel(appointment: Appointment, *, channel: str, now: dt.datetime) -> bool:
    """Whether to show "Cancel" and "Change the date" (CXL-1, ACC-3): the booking rules asked with the page's
    channel; the booking service decides again when the button is pressed."""
    facts = CancelFacts(
        now=now,
        status=appointment.status,
        slot_starts_at=appointment.slot.starts_at,
        channel=channel,
        patient_level=appointment.patient.account_level,
        booked_channel=appointment.channel,
    )
    return cancel_refusal(facts) is None


# --- The confirmation step, shared by the patient's pages and the consoles (BKG-3, BKG-4, BKG-6, PKG-4) ---------


def offer_for_slot(*, patient: Patient | None, slot_id: int, service_code: str) -> Offer:
    """The offer of one slot for the patient; 404 for an unknown slot or one that offers no such service."""
    try:
        slot = portal_selectors.slot_for_offer(slot_id=slot_id)
    except NotFound as error:
        raise Http404 from error
    service = portal_selectors.service_by_code(service_code)
    offer = offers_for(patient=patient, slots=[slot], now=clock.now(), service=service)[0]
    if offer.service is None:
        raise Http404
    return offer


def confirmation_form(
    request: HttpRequest, *, patient: Patient, offer: Offer, occupational: bool = True, referral_id: int | None = None
) -> BookingConfirmForm:
    """The form of the confirmation step: the price to accept, the patient's valid referrals when the service needs
    one, and the employer's referral data for an occupational-medicine exam (unless ``occupational`` is off).
    ``referral_id``: the referral the patient came to book with (CLN-1), chosen in advance when it is one of the
    choices — offered also where the package does not ask for one, so the visit uses it."""
    assert offer.service is not None  # offer_for_slot guarantees it
    referrals = None
    chosen = False
    required = offer.coverage is not None and offer.coverage.requires_referral
    if required or referral_id is not None:
        referrals = portal_selectors.referral_choices(patient=patient, service=offer.service, today=clock.today())
        chosen = referral_id in {choice for choice, _label in referrals}
        if not (required or chosen):
            referrals = None
    form = BookingConfirmForm(
        request.POST if request.method == "POST" else None,
        price=price_to_accept(offer),
        referrals=referrals,
        occupational=occupational and offer.service.occupational,
    )
    if chosen:
        form.fields["referral"].initial = referral_id
    return form


def book_from_form(
    form: BookingConfirmForm, *, actor: User, patient: Patient, offer: Offer, channel: str
) -> Appointment | None:
    """Book the offer with what the valid form says (one service call); a refusal becomes a form error."""
    assert offer.service is not None
    try:
        return booking_services.appointment_book(
            actor=actor,
            patient=patient,
            slot_id=offer.slot.pk,
            service_id=offer.service.pk,
            channel=channel,
            accept_price=bool(form.cleaned_data.get("accept_price")),
            referral_id=form.cleaned_data.get("referral"),
            occupational=form.occupational_referral(),
            now=clock.now(),
        )
    except ApplicationError as error:
        form.add_error(None, str(error.message))
        return None
