"""Pregnancy care with the database (BKG-7, BKG-3): the booking rule asked by the booking service and by the
search, recording where a pregnancy is led, requests filed and resolved with one SMS; refusals change nothing."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

import pytest

from carenet.accounts.permissions import Action, Channel
from carenet.accounts.selectors import actor_for_user
from carenet.booking import services as booking
from carenet.booking.errors import BookingRefused, SlotUnavailable
from carenet.booking.models import Appointment
from carenet.booking.offers import offers_bookability, offers_for
from carenet.booking.policies import RefusalCode
from carenet.core import clock
from carenet.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from carenet.messaging.models import OutboundMessage
from carenet.network.tests.factories import CityFactory, ClinicianFactory, FacilityFactory
from carenet.pregnancy import services
from carenet.pregnancy.models import PregnancyCare, PregnancyRequest
from carenet.pregnancy.services import RequestForm, SlotPlace
from carenet.pregnancy.tests.factories import (
    PregnancyCareFactory,
    PregnancyRequestFactory,
    pregnancy_service,
    slot_for,
)
from carenet.scheduling.models import Mode, Slot


@pytest.fixture
def pregnancy(cast: Any) -> Any:
    """Anna's pregnancy is led at Mokotów; a gynaecologist has free pregnancy-care slots at Mokotów, at Wola, by
    phone, and at a centre in Kraków."""
    tier = cast.patient.enrolments.get().tier
    service = pregnancy_service(tier)
    gynaecologist = ClinicianFactory(first_name="Maria", last_name="Lewandowska", title="lek.")
    krakow = FacilityFactory(city=CityFactory(name="Kraków"), name="CareNet Kraków", address="ul. Długa 1")
    PregnancyCareFactory(patient=cast.patient, facility=cast.here, recorded_by=cast.user("clinician_with"))
    cast.pregnancy_service = service
    cast.krakow = krakow
    day = clock.today() + dt.timedelta(days=2)
    slot = partial(slot_for, service=service, clinician=gynaecologist)
    cast.slot_here = slot(facility=cast.here, starts_at=clock.at_warsaw(day, dt.time(9)))
    cast.slot_elsewhere = slot(facility=cast.elsewhere, starts_at=clock.at_warsaw(day, dt.time(10)))
    cast.slot_remote = slot(facility=None, mode=Mode.PHONE, starts_at=clock.at_warsaw(day, dt.time(11)))
    cast.slot_krakow = slot(facility=krakow, starts_at=clock.at_warsaw(day, dt.time(12)))
    return cast


def _book(cast: Any, slot: Slot, role: str = "patient", channel: str = Channel.PORTAL) -> Appointment:
    return booking.appointment_book(
        actor=cast.user(role), patient=cast.patient, slot_id=slot.pk, channel=channel, accept_price=True
    )


# --- The booking rule ---------------------------------------------------------------------------------------------


def test_pregnancy_visit_elsewhere_is_refused_with_its_code_and_changes_nothing(pregnancy: Any) -> None:
    before = Appointment.objects.count()
    with pytest.raises(BookingRefused) as refused:
        _book(pregnancy, pregnancy.slot_elsewhere)
    assert refused.value.code == RefusalCode.PREGNANCY_CARE_ELSEWHERE.value
    assert "Pregnancy care" in str(refused.value.message) or "Opieka w ciąży" in str(refused.value.message)
    assert Appointment.objects.count() == before
    assert Slot.objects.get(pk=pregnancy.slot_elsewhere.pk).is_free


def test_call_centre_is_refused_too(pregnancy: Any) -> None:
    with pytest.raises(BookingRefused) as refused:
        _book(pregnancy, pregnancy.slot_elsewhere, role="call_centre", channel=Channel.CALL_CENTRE)
    assert refused.value.code == RefusalCode.PREGNANCY_CARE_ELSEWHERE.value


def test_pregnancy_visit_where_it_is_led_and_by_telemedicine_are_booked(pregnancy: Any) -> None:
    assert _book(pregnancy, pregnancy.slot_here).status == Appointment.Status.BOOKED
    assert _book(pregnancy, pregnancy.slot_remote).status == Appointment.Status.BOOKED


def test_ended_care_no_longer_binds(pregnancy: Any) -> None:
    PregnancyCare.objects.filter(patient=pregnancy.patient).update(ended_on=clock.today())
    assert _book(pregnancy, pregnancy.slot_elsewhere).status == Appointment.Status.BOOKED


def test_other_services_and_other_patients_are_not_bound(pregnancy: Any) -> None:
    other = booking.appointment_book(
        actor=pregnancy.user("other_patient"),
        patient=pregnancy.other_patient,
        slot_id=pregnancy.slot_elsewhere.pk,
        channel=Channel.PORTAL,
        accept_price=True,
    )
    assert other.status == Appointment.Status.BOOKED


def test_search_tells_the_same_refusal_before_the_click(pregnancy: Any) -> None:
    slots = [pregnancy.slot_here, pregnancy.slot_elsewhere, pregnancy.slot_remote]
    now = clock.now()
    offers = offers_for(patient=pregnancy.patient, slots=slots, now=now)
    answers = offers_bookability(patient=pregnancy.patient, offers=offers, channel=Channel.PORTAL, now=now)
    codes = [answer.refusal.code if answer.refusal else None for answer in answers]
    assert codes == [None, RefusalCode.PREGNANCY_CARE_ELSEWHERE, None]


# --- Recording where a pregnancy is led ---------------------------------------------------------------------------


def test_clinician_with_a_visit_records_and_ends_care(cast: Any) -> None:
    actor = actor_for_user(cast.user("clinician_with"))
    care = services.pregnancy_care_record(
        actor=actor,
        patient_id=cast.patient.pk,
        facility_id=cast.here.pk,
        clinician_id=cast.clinician_with.pk,
        related=True,
    )
    assert care.started_on == clock.today() and care.ended_on is None
    with pytest.raises(Conflict):
        services.pregnancy_care_record(actor=actor, patient_id=cast.patient.pk, facility_id=cast.here.pk, related=True)
    ended = services.pregnancy_care_end(actor=actor, care_id=care.pk, related=True)
    assert ended.ended_on == clock.today()
    with pytest.raises(Conflict):
        services.pregnancy_care_end(actor=actor, care_id=care.pk, related=True)


@pytest.mark.parametrize("role", ["clinician_without", "call_centre", "receptionist_here", "patient"])
def test_others_record_nothing(cast: Any, role: str) -> None:
    actor = actor_for_user(cast.user(role))
    with pytest.raises((NotFound, PermissionDenied)):
        services.pregnancy_care_record(actor=actor, patient_id=cast.patient.pk, facility_id=cast.here.pk)
    assert not PregnancyCare.objects.exists()


def test_coordinator_records_care(cast: Any) -> None:
    care = services.pregnancy_care_record(
        actor=actor_for_user(cast.user("coordinator")), patient_id=cast.patient.pk, facility_id=cast.elsewhere.pk
    )
    assert care.facility_id == cast.elsewhere.pk


# --- Requests -----------------------------------------------------------------------------------------------------


def _form(cast: Any, **changes: Any) -> RequestForm:
    values: dict[str, Any] = {
        "name": "Anna Nowak",
        "phone": "601 234 567",
        "wanted_city_id": cast.here.city_id,
        "mode": "in_person",
        "failed_facility_id": cast.here.pk,
        "note": "Placówka zamknięta do końca miesiąca.",
    }
    return RequestForm(**(values | changes))


def test_patient_files_a_request_once(cast: Any) -> None:
    actor = actor_for_user(cast.user("patient"))
    filed = services.pregnancy_request_file(actor=actor, patient_id=cast.patient.pk, form=_form(cast))
    assert filed.status == PregnancyRequest.Status.OPEN
    assert filed.phone == "+48601234567" and filed.channel == Channel.PORTAL
    with pytest.raises(Conflict) as twice:
        services.pregnancy_request_file(actor=actor, patient_id=cast.patient.pk, form=_form(cast))
    assert twice.value.code == "pregnancy_request_already_open"
    assert PregnancyRequest.objects.count() == 1


def test_call_centre_files_for_the_caller(cast: Any) -> None:
    filed = services.pregnancy_request_file(
        actor=actor_for_user(cast.user("call_centre")),
        patient_id=cast.patient.pk,
        form=_form(cast, mode="telemedicine"),
    )
    assert filed.channel == Channel.CALL_CENTRE and filed.filed_by == cast.user("call_centre")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"name": "  "}, "pregnancy_name_required"),
        ({"phone": "12"}, "pregnancy_phone_invalid"),
        ({"phone": "9" * 100_000}, "pregnancy_phone_invalid"),
        ({"wanted_city_id": None}, "pregnancy_city_required"),
        ({"wanted_city_id": 2**62}, "pregnancy_city_required"),
        ({"mode": "teleport"}, "pregnancy_mode_invalid"),
        ({"note": "x" * 501}, "pregnancy_note_too_long"),
        ({"note": "a\x00b"}, "invalid_text"),
        ({"name": "😀" * 10}, None),
    ],
)
def test_bad_requests_store_nothing(cast: Any, changes: dict[str, Any], code: str | None) -> None:
    actor = actor_for_user(cast.user("patient"))
    if code is None:
        services.pregnancy_request_file(actor=actor, patient_id=cast.patient.pk, form=_form(cast, **changes))
        return
    with pytest.raises(ValidationFailed) as refused:
        services.pregnancy_request_file(actor=actor, patient_id=cast.patient.pk, form=_form(cast, **changes))
    assert refused.value.code == code
    assert not PregnancyRequest.objects.exists()


@pytest.mark.parametrize(("role", "error"), [("other_patient", NotFound), ("coordinator", PermissionDenied)])
def test_nobody_else_files_for_anna(cast: Any, role: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        services.pregnancy_request_file(
            actor=actor_for_user(cast.user(role)), patient_id=cast.patient.pk, form=_form(cast)
        )
    assert not PregnancyRequest.objects.exists()


def _sms(request: PregnancyRequest) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(key=f"pregnancy-request-resolved:pregnancyrequest:{request.pk}"))


def test_decline_tells_the_patient_once(cast: Any) -> None:
    request = PregnancyRequestFactory(patient=cast.patient, wanted_city=cast.here.city)
    actor = actor_for_user(cast.user("coordinator"))
    with pytest.raises(ValidationFailed):
        services.pregnancy_request_decline(actor=actor, request_id=request.pk, reason=" ")
    assert not _sms(request)
    declined = services.pregnancy_request_decline(
        actor=actor, request_id=request.pk, reason="Brak terminów w tym mieście"
    )
    assert declined.status == PregnancyRequest.Status.DECLINED and declined.resolved_at is not None
    with pytest.raises(Conflict):
        services.pregnancy_request_decline(actor=actor, request_id=request.pk, reason="Jeszcze raz")
    (sms,) = _sms(request)
    assert sms.recipient == "+48601234567" and "Brak terminów w tym mieście" in sms.body


@pytest.mark.parametrize("role", ["call_centre", "patient", "clinician_with", "receptionist_here"])
def test_only_coordinators_resolve(cast: Any, role: str) -> None:
    request = PregnancyRequestFactory(patient=cast.patient, wanted_city=cast.here.city)
    with pytest.raises((PermissionDenied, NotFound)):
        services.pregnancy_request_decline(actor=actor_for_user(cast.user(role)), request_id=request.pk, reason="x")
    request.refresh_from_db()
    assert request.status == PregnancyRequest.Status.OPEN and not _sms(request)


def _resolve(cast: Any, request: PregnancyRequest, slot: Slot, role: str = "coordinator") -> PregnancyRequest:
    user = cast.user(role)
    return services.pregnancy_request_book(
        actor=actor_for_user(user),
        request_id=request.pk,
        place=SlotPlace(
            facility_id=slot.facility_id,
            city_id=slot.city_id,
            clinician_id=slot.clinician_id,
            remote=slot.mode != Mode.IN_PERSON,
        ),
        book=lambda patient: booking.appointment_book(
            actor=user,
            patient=patient,
            slot_id=slot.pk,
            channel=Channel.CALL_CENTRE,
            accept_price=True,
            action=Action.PREGNANCY_REQUEST_RESOLVE,
        ),
    )


def test_coordinator_books_elsewhere_and_the_pregnancy_is_led_there_too(pregnancy: Any) -> None:
    request = PregnancyRequestFactory(patient=pregnancy.patient, wanted_city=pregnancy.here.city)
    resolved = _resolve(pregnancy, request, pregnancy.slot_elsewhere)
    assert resolved.status == PregnancyRequest.Status.BOOKED
    visit = resolved.appointment
    assert visit is not None and visit.slot_id == pregnancy.slot_elsewhere.pk
    assert visit.channel == Channel.CALL_CENTRE and visit.booked_by == pregnancy.user("coordinator")
    assert PregnancyCare.objects.filter(patient=pregnancy.patient, facility=pregnancy.elsewhere).exists()
    (sms,) = _sms(request)
    assert pregnancy.elsewhere.name in sms.body


def test_telemedicine_request_is_resolved_with_a_remote_visit_only(pregnancy: Any) -> None:
    request = PregnancyRequestFactory(
        patient=pregnancy.patient, wanted_city=pregnancy.here.city, mode=PregnancyRequest.Mode.TELEMEDICINE
    )
    with pytest.raises(ValidationFailed) as wrong:
        _resolve(pregnancy, request, pregnancy.slot_elsewhere)
    assert wrong.value.code == "pregnancy_booking_wrong_place"
    assert _resolve(pregnancy, request, pregnancy.slot_remote).status == PregnancyRequest.Status.BOOKED


def test_wrong_city_or_lost_slot_changes_nothing(pregnancy: Any) -> None:
    request = PregnancyRequestFactory(patient=pregnancy.patient, wanted_city=pregnancy.here.city)
    before = (Appointment.objects.count(), PregnancyCare.objects.count(), OutboundMessage.objects.count())
    with pytest.raises(ValidationFailed):
        _resolve(pregnancy, request, pregnancy.slot_krakow)
    _book(pregnancy, pregnancy.slot_here)  # Anna takes the Mokotów slot herself (+1 visit, +1 SMS)
    with pytest.raises(SlotUnavailable):
        _resolve(pregnancy, request, pregnancy.slot_here)
    request.refresh_from_db()
    assert request.status == PregnancyRequest.Status.OPEN
    assert (Appointment.objects.count(), PregnancyCare.objects.count()) == (before[0] + 1, before[1])
    assert not _sms(request)


def test_coordinators_book_nothing_but_a_resolution(pregnancy: Any) -> None:
    with pytest.raises(PermissionDenied):
        _book(pregnancy, pregnancy.slot_here, role="coordinator", channel=Channel.CALL_CENTRE)


def test_the_resolution_follows_every_booking_rule(pregnancy: Any) -> None:
    lapsed_request = PregnancyRequestFactory(patient=pregnancy.lapsed, wanted_city=pregnancy.here.city)
    with pytest.raises(BookingRefused) as refused:
        _resolve(pregnancy, lapsed_request, pregnancy.slot_elsewhere)
    assert refused.value.code == RefusalCode.NO_ENTITLEMENT.value
    assert not PregnancyCare.objects.filter(patient=pregnancy.lapsed).exists()
