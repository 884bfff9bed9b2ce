"""Issue 14, BKG-3..5, ACC-3: which offers the patient can book, asked before any click — and the booking service
agrees: each offer the search hides is refused by :func:`appointment_book` with the same code, and each it shows
books."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from carenet.accounts.models import Patient
from carenet.api.tests.factories import benefit, make_slot
from carenet.booking.errors import BookingRefused
from carenet.booking.models import Appointment, Channel
from carenet.booking.offers import Bookability, offers_bookability, offers_for
from carenet.booking.policies import RefusalCode
from carenet.booking.services import appointment_book
from carenet.clinical.services import referral_issue
from carenet.core import clock
from carenet.network.models import Clinician
from carenet.portal.tests.booking_world import World, booked, build_world
from carenet.scheduling.models import Slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world()


def answer_for(world: World, patient: Patient, slot: Slot, channel: str = Channel.PORTAL) -> Bookability:
    offers = offers_for(patient=patient, slots=[slot], now=clock.now())
    return offers_bookability(patient=patient, offers=offers, channel=channel, now=clock.now())[0]


def refusal_code(answer: Bookability) -> str | None:
    return None if answer.refusal is None else str(answer.refusal.code)


def book(world: World, patient: Patient, slot: Slot, referral_id: int | None = None) -> Appointment:
    assert patient.user is not None
    return appointment_book(
        actor=patient.user,
        patient=patient,
        slot_id=slot.pk,
        channel=Channel.PORTAL,
        accept_price=True,
        referral_id=referral_id,
    )


def refused_with(world: World, patient: Patient, slot: Slot) -> str:
    with pytest.raises(BookingRefused) as error:
        book(world, patient, slot)
    return str(error.value.code)


def needs_referral(world: World) -> None:
    world.ultrasound.requires_referral = True
    world.ultrasound.save()
    benefit(world.patient_a.enrolments.get().tier, "usg", service=world.ultrasound)


def test_a_referral_gated_offer_is_refused_without_a_referral_and_the_service_agrees(world: World) -> None:
    needs_referral(world)
    answer = answer_for(world, world.patient_a, world.paid_slot)
    assert refusal_code(answer) == RefusalCode.REFERRAL_REQUIRED
    assert answer.referral_ids == ()
    assert refused_with(world, world.patient_a, world.paid_slot) == RefusalCode.REFERRAL_REQUIRED


def test_the_patients_valid_referrals_are_offered_and_then_it_books(world: World) -> None:
    needs_referral(world)
    doctor = Clinician.objects.get(last_name="Lekarska")
    referral = referral_issue(clinician=doctor, patient=world.patient_a, service=world.ultrasound)
    referral_issue(clinician=doctor, patient=world.patient_b, service=world.ultrasound)  # someone else's
    answer = answer_for(world, world.patient_a, world.paid_slot)
    assert answer.refusal is None
    assert answer.referral_ids == (referral.pk,)
    assert book(world, world.patient_a, world.paid_slot, referral_id=referral.pk).status == Appointment.Status.BOOKED
    # Used now: no longer offered for another slot of the same service.
    other = make_slot(
        starts_at=world.paid_slot.starts_at + dt.timedelta(hours=1),
        clinician=world.paid_slot.clinician,
        facility=world.centre,
        specialty=world.paid_slot.specialty,
        services=[world.ultrasound],
    )
    assert answer_for(world, world.patient_a, other).referral_ids == ()


def test_an_age_that_does_not_fit_is_refused_and_the_service_agrees(world: World) -> None:
    world.consultation.min_age = 18
    world.consultation.save()
    answer = answer_for(world, world.child, world.slots[0])
    assert refusal_code(answer) == RefusalCode.AGE_NOT_ALLOWED
    with pytest.raises(BookingRefused) as error:
        appointment_book(
            actor=world.patient_a.user,
            patient=world.child,
            slot_id=world.slots[0].pk,
            channel=Channel.PORTAL,
        )
    assert error.value.code == RefusalCode.AGE_NOT_ALLOWED
    assert answer_for(world, world.patient_a, world.slots[0]).refusal is None


def test_a_no_show_block_hides_the_specialty(world: World) -> None:
    for days in (3, 10):
        past = make_slot(
            starts_at=clock.now() - dt.timedelta(days=days),
            clinician=world.slots[0].clinician,
            facility=world.centre,
            specialty=world.slots[0].specialty,
            services=[world.consultation],
        )
        booked(world.patient_a, past, status=Appointment.Status.NO_SHOW)
    assert refusal_code(answer_for(world, world.patient_a, world.slots[0])) == RefusalCode.NO_SHOW_BLOCK
    assert refused_with(world, world.patient_a, world.slots[0]) == RefusalCode.NO_SHOW_BLOCK


def test_the_level_one_cap_hides_portal_offers_only(world: World, settings: Any) -> None:
    settings.CARENET_LEVEL_ONE_MAX_PORTAL_BOOKINGS = 1
    booked(world.level_one, world.slots[0])
    answer = answer_for(world, world.level_one, world.slots[1])
    assert refusal_code(answer) == RefusalCode.LEVEL_ONE_CAP
    assert refused_with(world, world.level_one, world.slots[1]) == RefusalCode.LEVEL_ONE_CAP
    assert answer_for(world, world.level_one, world.slots[1], Channel.CALL_CENTRE).refusal is None


def test_a_paid_offer_is_shown_the_price_is_accepted_on_the_confirmation_step(world: World) -> None:
    assert answer_for(world, world.patient_a, world.paid_slot).refusal is None
    assert book(world, world.patient_a, world.paid_slot).price == 250
