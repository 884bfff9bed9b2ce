"""The pieces the patient's pages and the staff consoles share: run a slot search for a patient and word its
offers (SCH-2, SCH-4, PKG-4, NET-2), and say what a booking refusal means. Rules stay in the domain apps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest, QueryDict
from django.utils.formats import number_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from carenet.accounts.models import Patient, User
from carenet.accounts.permissions import Action
from carenet.booking import selectors as booking_selectors
from carenet.booking import services as booking_services
from carenet.booking.models import Appointment, Channel
from carenet.booking.offers import Bookability, Offer, OfferStatus, offers_bookability, offers_for
from carenet.booking.policies import CancelFacts, RefusalCode, cancel_refusal
from carenet.core import clock
from carenet.core.catalogue import localized
from carenet.core.errors import ApplicationError, NotFound, ValidationFailed
from carenet.core.validation import ascii_digits
from carenet.coverage.selectors import partner_facility_ids_allowed
from carenet.scheduling.search import MAX_PAGE_SIZE, REMOTE_MODES, SlotQuery, free_days, slot_search
from carenet.web import selectors as portal_selectors
from carenet.web.access import request_actor
from carenet.web.forms import BookingConfirmForm, SlotSearchForm, localized_name


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


def page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if ascii_digits(raw) and len(raw) < 6 else 0


#: The id of the facility field's region on the search form, which the city select refreshes (SCH-2).
FACILITY_FIELD_ID = "facility-field"
FACILITY_FIELD_TEMPLATE = "portal/search.html#facility_field"


#: The clinician field's region, which the specialty and facility selects refresh (SCH-2: the clinician list is
#: there before searching).
CLINICIAN_FIELD_ID = "clinician-field"
CLINICIAN_FIELD_TEMPLATE = "portal/search.html#clinician_field"


def clinician_field_requested(request: HttpRequest) -> bool:
    """Whether the request is the HTMX refresh of the clinician select (the specialty or facility changed)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and htmx.target == CLINICIAN_FIELD_ID  # type: ignore[union-attr]


def facility_field_requested(request: HttpRequest) -> bool:
    """Whether the request is the city select's HTMX refresh of the facility field, not a search: the search page
    answers it with the field alone, behind the page's own access rules."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and htmx.target == FACILITY_FIELD_ID  # type: ignore[union-attr]


#: Issue 14: how many empty-for-this-patient days the results skip on their own before showing a day with nothing
#: bookable (each skipped day is one more page read; the patient can also jump through the day list).
MAX_DAYS_SKIPPED = 6

#: Why times are hidden, in a few words (BKG-3 refusal codes), and what the patient can do about it.
HIDDEN_REASONS: dict[str, Any] = {
    RefusalCode.REFERRAL_REQUIRED: gettext_lazy("they need a referral you do not have"),
    RefusalCode.NO_ENTITLEMENT: gettext_lazy("your package does not cover those days"),
    RefusalCode.AGE_NOT_ALLOWED: gettext_lazy("the service is not for the patient's age"),
    RefusalCode.NO_SHOW_BLOCK: gettext_lazy("booking this specialty is blocked after two missed visits"),
    RefusalCode.LEVEL_ONE_CAP: gettext_lazy("a basic account has reached its number of active bookings"),
    RefusalCode.LEVEL_TWO_REQUIRED: gettext_lazy("they need a confirmed identity (level II)"),
    RefusalCode.LIMIT_USED: gettext_lazy("the annual limit is used up"),
    RefusalCode.PREGNANCY_CARE_ELSEWHERE: gettext_lazy(
        "pregnancy visits are booked at the facility where the pregnancy is led, or by telemedicine"
    ),
}


@dataclass(frozen=True)
class HiddenTimes:
    """Times left out of the results because the booking rules would refuse them (BKG-3), with the reason."""

    code: str
    count: int
    reason: str

    @property
    def text(self) -> str:
        return ngettext("%(count)d time hidden: %(reason)s.", "%(count)d times hidden: %(reason)s.", self.count) % {
            "count": self.count,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ClinicianCard:
    """One clinician at one place (a facility, or remote) on the chosen day, with the day's times as buttons — the
    day-by-day grid of free times (issue 14, SCH-2)."""

    clinician: Any
    facility: Any
    remote: bool
    mode_label: str
    service: Any
    service_name: str
    label: str
    tone: str
    preparation: str
    needs_referral: bool
    referral_count: int
    times: list[OfferRow]
    clinician_url: str


@dataclass(frozen=True)
class DayResults:
    """One day of results (SCH-2 pages by day): the clinicians' cards, what was hidden and why, and the days
    around it that have free times."""

    day: dt.date
    cards: list[ClinicianCard]
    hidden: list[HiddenTimes]
    days: list[dt.date]
    previous_day: dt.date | None
    next_day: dt.date | None
    page: int
    has_next: bool
    partners: list[Any]

    @property
    def hidden_total(self) -> int:
        return sum(group.count for group in self.hidden)

    @property
    def referral_hidden(self) -> bool:
        return any(group.code == RefusalCode.REFERRAL_REQUIRED for group in self.hidden)


def chosen_day(raw: str | None, days: list[dt.date]) -> dt.date | None:
    """The day the patient asked for (``?day=YYYY-MM-DD``) when it has free times, else ``None``."""
    if not raw or len(raw) != 10 or not raw.isascii():
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        return None
    return day if day in days else None


def day_results(
    *,
    query: SlotQuery,
    patient: Patient | None,
    now: dt.datetime,
    channel: str,
    allowed_partner_ids: Any,
    book_url: Callable[[Offer, Bookability], str],
    clinician_url: Callable[[int], str],
    day: str | None = None,
    rescheduling: Appointment | None = None,
) -> DayResults | None:
    """SCH-2 by day for one patient: the day's free times as clinician cards, the times the patient cannot book
        hidden with a count and the reason (:func:`carenet.booking.offers.offers_bookability` — the booking engine's
        rules), and the days with free times for paging. ``None`` when the period has no free time at all. ``day``: the
    day the patient chose (``YYYY-MM-DD``; one without free times is ignored); ``query.page`` pages within a day.

        Queries stay flat whatever the number of clinicians: the days (one), then per day shown the slot page's
        queries, the offers' and the bookability's — and a day with nothing bookable is skipped (up to
        :data:`MAX_DAYS_SKIPPED`) unless the patient chose it."""
    days = free_days(query=query, now=now)
    if not days:
        return None
    wanted = chosen_day(day, days)
    explicit = wanted is not None
    index = days.index(wanted) if wanted is not None else 0
    page = query.page
    hidden: dict[str, int] = {}
    while True:
        current = days[index]
        day_query = replace(query, date_from=current, date_to=current, page_size=MAX_PAGE_SIZE)
        result = slot_search(query=day_query, now=now, allowed_partner_ids=allowed_partner_ids)
        offers = offers_for(patient=patient, slots=result.slots, now=now, service=result.service)
        answers = (
            offers_bookability(patient=patient, offers=offers, channel=channel, now=now, rescheduling=rescheduling)
            if patient is not None
            else [Bookability(refusal=None) for _offer in offers]
        )
        shown: list[tuple[Offer, Bookability]] = []
        for offer, answer in zip(offers, answers, strict=True):
            if answer.refusal is not None:
                hidden[answer.refusal.code] = hidden.get(answer.refusal.code, 0) + 1
            elif offer.service is not None:
                shown.append((offer, answer))
        skipped_enough = index >= len(days) - 1 or index >= MAX_DAYS_SKIPPED or explicit or page > 1
        if shown or skipped_enough:
            break
        index += 1
    cards = _cards(shown, book_url=book_url, clinician_url=clinician_url)
    groups = [
        HiddenTimes(code=code, count=count, reason=str(HIDDEN_REASONS.get(code, _("they cannot be booked online"))))
        for code, count in sorted(hidden.items(), key=lambda item: -item[1])
    ]
    return DayResults(
        day=current,
        cards=cards,
        hidden=groups,
        days=days,
        previous_day=days[index - 1] if index > 0 else None,
        next_day=days[index + 1] if index + 1 < len(days) else None,
        page=result.page,
        has_next=result.has_next,
        partners=result.partners,
    )


def _cards(
    shown: list[tuple[Offer, Bookability]],
    *,
    book_url: Callable[[Offer, Bookability], str],
    clinician_url: Callable[[int], str],
) -> list[ClinicianCard]:
    """The shown offers as one card per clinician, place and service, in the order of each card's first time."""
    grouped: dict[tuple[int, int | None, bool, int], list[tuple[Offer, Bookability]]] = {}
    for offer, answer in shown:
        slot = offer.slot
        assert offer.service is not None
        remote = slot.mode in REMOTE_MODES
        key = (slot.clinician_id, None if remote else slot.facility_id, remote, offer.service.pk)
        grouped.setdefault(key, []).append((offer, answer))
    cards = []
    for (clinician_id, _facility, remote, _service), rows in grouped.items():
        first, answer = rows[0]
        label, tone = coverage_label(first)
        modes = {offer.slot.get_mode_display() for offer, _answer in rows}
        times = []
        for offer, row_answer in rows:
            price = offer.coverage.price_to_pay if offer.coverage is not None else Decimal(0)
            row_label, row_tone = coverage_label(offer)
            times.append(
                OfferRow(
                    offer=offer,
                    label=row_label,
                    tone=row_tone,
                    price_to_pay=price,
                    book_url=book_url(offer, row_answer),
                )
            )
        needs_referral = first.coverage is not None and first.coverage.requires_referral
        cards.append(
            ClinicianCard(
                clinician=first.slot.clinician,
                facility=None if remote else first.slot.facility,
                remote=remote,
                mode_label=", ".join(sorted(str(mode) for mode in modes)),
                service=first.service,
                service_name=localized_name(first.service),
                label=label,
                tone=tone,
                preparation=localized(first, "preparation"),  # SCH-4 in the page's language
                needs_referral=needs_referral,
                referral_count=len(answer.referral_ids),
                times=times,
                clinician_url=clinician_url(clinician_id),
            )
        )
    return cards


def search_context(
    *,
    request: HttpRequest,
    form: SlotSearchForm,
    patient: Patient | None,
    now: dt.datetime,
    book_url: Callable[[Offer, Patient | None], str],
    rescheduling: Appointment | None = None,
) -> dict[str, Any]:
    """Run the search the form asks for (when it was submitted) and return what the results partial shows: one day
    of results as clinician cards (:func:`day_results`).

    ``patient`` is whom the offers are for; on the portal the "for whom" field may pick a child instead. The
    booking rules are asked with the channel the request's user books through (the portal for a patient)."""
    results: DayResults | None = None
    searched = False
    chosen: Patient | None = patient
    if form.is_bound and form.is_valid():
        chosen = form.cleaned_data.get("for_whom") or patient
        channel = request_actor(request).channel(Action.APPOINTMENT_BOOK) or Channel.PORTAL
        querystring = request.GET.copy()
        for name in ("page", "day", "clinician"):
            querystring.pop(name, None)
        base = querystring.urlencode()

        def card_book_url(offer: Offer, answer: Bookability) -> str:
            url = book_url(offer, chosen)
            if answer.referral_ids and "referral=" not in url and not rescheduling:
                url += ("&" if "?" in url else "?") + urlencode({"referral": answer.referral_ids[0]})
            return url

        def clinician_url(clinician_id: int) -> str:
            return "?" + "&".join(part for part in (base, urlencode({"clinician": clinician_id})) if part)

        try:
            results = day_results(
                query=form.slot_query(page=page_number(request) or 0),
                patient=chosen,
                now=now,
                channel=channel,
                allowed_partner_ids=None
                if chosen is None
                else partner_facility_ids_allowed(patient=chosen, day=clock.local(now).date()),
                book_url=card_book_url,
                clinician_url=clinician_url,
                day=request.GET.get("day"),
                rescheduling=rescheduling,
            )
        except ValidationFailed as error:
            form.add_error(None, str(error.message))
        else:
            searched = True
    querystring = request.GET.copy() if request.GET else QueryDict(mutable=True)
    for name in ("page", "day"):
        querystring.pop(name, None)
    return {
        "form": form,
        "results": results,
        "searched": searched,
        "for_patient": chosen,
        "querystring": querystring.urlencode(),
    }


#: SCH-2: the session key of the city the patient searched last (issue 14: the city is remembered).
SEARCH_CITY_KEY = "carenet_search_city"


def remembered_city(request: HttpRequest, *, patient: Patient) -> int | None:
    """The city to preselect in the patient's search: the one searched last in this session, else the city of the
    patient's latest visit at a facility (SCH-2, issue 14)."""
    raw = request.session.get(SEARCH_CITY_KEY)
    if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0:
        return raw
    return booking_selectors.city_of_last_booking(patient=patient)


def remember_city(request: HttpRequest, form: SlotSearchForm) -> None:
    """Keep the city of a search that ran, for the next search form and the home page's (issue 14)."""
    city = form.cleaned_data.get("city") if hasattr(form, "cleaned_data") else None
    if city is not None and request.session.get(SEARCH_CITY_KEY) != city.pk:
        request.session[SEARCH_CITY_KEY] = city.pk


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
    if service is not None and (slot.schedule is None or service not in slot.schedule.services.all()):
        # A service the slot's schedule does not offer (an edited link, a reschedule to another kind of slot) would
        # show a price and coverage the booking then refuses: no such offer (SCH-2, BKG-3).
        raise Http404
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
