"""CLN-2 services: ordering (only drugs a network clinician prescribed), the queue's routing, issuing and declining
— each checked against the permission table first; a refusal changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from carenet.accounts.permissions import Actor, Channel
from carenet.accounts.selectors import actor_for_user
from carenet.accounts.tests.factories import UserFactory
from carenet.clinical.models import Prescription
from carenet.clinical.tests.factories import DrugFactory, PrescriptionFactory
from carenet.core import clock
from carenet.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from carenet.messaging.models import OutboundMessage
from carenet.network.tests.factories import ClinicianFactory
from carenet.renewals import selectors, services
from carenet.renewals.models import RenewalRequest
from carenet.scheduling.tests.factories import ScheduleFactory
from tests.cast import Cast

pytestmark = pytest.mark.django_db


def actor(cast: Cast, role: str) -> Actor:
    return actor_for_user(cast.user(role))


def state() -> tuple[Any, ...]:
    """Everything a renewal service may change."""
    return (
        list(RenewalRequest.objects.order_by("pk").values_list("pk", "status", "decided_at", "prescription_id")),
        Prescription.objects.count(),
        OutboundMessage.objects.count(),
    )


# --- Ordering ----------------------------------------------------------------------------------------------------


def test_a_patient_orders_a_drug_prescribed_before(cast: Cast) -> None:
    drug = cast.renewable_drug
    assert drug is not None
    ordered = services.renewal_request(
        actor=actor(cast, "patient"),
        patient_id=cast.patient.pk,
        drug_id=drug.pk,
        note="Kończą mi się.",
        door=Channel.MOBILE,
    )
    assert ordered.status == RenewalRequest.Status.PENDING
    assert ordered.channel == "mobile" and ordered.requested_by == cast.user("patient")
    assert ordered.clinician == cast.clinician_with and ordered.facility == cast.here
    assert ordered.renews.drug == drug and ordered.note == "Kończą mi się."
    assert ordered.created_at < ordered.shared_at < ordered.due_at


@pytest.mark.parametrize(
    ("role", "channel"),
    [("call_centre", "call_centre"), ("receptionist_elsewhere", "reception"), ("admin", "call_centre")],
)
def test_staff_order_through_their_channel(cast: Cast, role: str, channel: str) -> None:
    assert cast.renewable_drug is not None
    ordered = services.renewal_request(
        actor=actor(cast, role), patient_id=cast.patient.pk, drug_id=cast.renewable_drug.pk, door=Channel.PORTAL
    )
    assert ordered.channel == channel


def test_the_answer_time_skips_christmas(time_machine: Any, request: pytest.FixtureRequest) -> None:
    # The cast made on 23 December too: its prescriptions are dated from the day it is made.
    time_machine.move_to(dt.datetime(2026, 12, 23, 9, 0, tzinfo=dt.UTC), tick=False)
    cast: Cast = request.getfixturevalue("cast")
    assert cast.renewable_drug is not None
    ordered = services.renewal_request(
        actor=actor(cast, "patient"), patient_id=cast.patient.pk, drug_id=cast.renewable_drug.pk
    )
    assert clock.local(ordered.due_at).date() == dt.date(2026, 12, 29)


def test_a_drug_never_prescribed_is_refused_and_nothing_stored(cast: Cast) -> None:
    before = state()
    with pytest.raises(ValidationFailed) as refused:
        services.renewal_request(actor=actor(cast, "patient"), patient_id=cast.patient.pk, drug_id=DrugFactory().pk)
    assert refused.value.code == "renewal_drug_not_prescribed"
    assert state() == before


def test_a_partner_facilitys_prescription_does_not_count(cast: Cast) -> None:
    drug = DrugFactory()
    PrescriptionFactory(patient=cast.patient, drug=drug, facility=cast.partner)
    with pytest.raises(ValidationFailed) as refused:
        services.renewal_request(actor=actor(cast, "call_centre"), patient_id=cast.patient.pk, drug_id=drug.pk)
    assert refused.value.code == "renewal_drug_not_prescribed"
    assert selectors.renewable_drugs(patient_id=cast.patient.pk)[0].drug.pk != drug.pk
    assert drug.pk not in {item.drug.pk for item in selectors.renewable_drugs(patient_id=cast.patient.pk)}


def test_another_patients_prescription_does_not_count(cast: Cast) -> None:
    drug = DrugFactory()
    PrescriptionFactory(patient=cast.other_patient, drug=drug, facility=cast.here, issued_by=cast.clinician_with)
    with pytest.raises(ValidationFailed):
        services.renewal_request(actor=actor(cast, "patient"), patient_id=cast.patient.pk, drug_id=drug.pk)


def test_one_pending_order_per_drug(cast: Cast) -> None:
    assert cast.renewal is not None
    before = state()
    with pytest.raises(Conflict) as refused:
        services.renewal_request(actor=actor(cast, "patient"), patient_id=cast.patient.pk, drug_id=cast.renewal.drug_id)
    assert refused.value.code == "renewal_already_pending"
    assert state() == before


def test_a_guardian_orders_for_their_child(cast: Cast) -> None:
    drug = DrugFactory()
    PrescriptionFactory(patient=cast.child, drug=drug, facility=cast.here, issued_by=cast.clinician_with)
    ordered = services.renewal_request(actor=actor(cast, "guardian"), patient_id=cast.child.pk, drug_id=drug.pk)
    assert ordered.patient == cast.child and ordered.channel == "portal"


@pytest.mark.parametrize(
    ("role", "error", "code"),
    [
        ("level_one", NotFound, "patient_not_found"),  # Anna is not Celina's
        ("other_patient", NotFound, "patient_not_found"),
        ("clinician_with", PermissionDenied, "role_not_allowed"),
        ("coordinator", PermissionDenied, "role_not_allowed"),
        ("partner_staff", PermissionDenied, "role_not_allowed"),
    ],
)
def test_who_may_not_order_for_anna(cast: Cast, role: str, error: type[Exception], code: str) -> None:
    assert cast.renewable_drug is not None
    before = state()
    with pytest.raises(error) as refused:
        services.renewal_request(actor=actor(cast, role), patient_id=cast.patient.pk, drug_id=cast.renewable_drug.pk)
    assert getattr(refused.value, "code", None) == code
    assert state() == before


def test_a_level_one_patient_is_refused_for_themself(cast: Cast) -> None:
    drug = DrugFactory()
    PrescriptionFactory(patient=cast.level_one, drug=drug, facility=cast.here)
    with pytest.raises(PermissionDenied) as refused:
        services.renewal_request(actor=actor(cast, "level_one"), patient_id=cast.level_one.pk, drug_id=drug.pk)
    assert refused.value.code == "level_two_required"
    assert not RenewalRequest.objects.filter(patient=cast.level_one).exists()


def test_a_note_with_a_nul_character_is_refused(cast: Cast) -> None:
    assert cast.renewable_drug is not None
    with pytest.raises(ValidationFailed):
        services.renewal_request(
            actor=actor(cast, "patient"), patient_id=cast.patient.pk, drug_id=cast.renewable_drug.pk, note="a\x00b"
        )


# --- The queue (routing) ------------------------------------------------------------------------------------------


def test_the_queue_is_the_prescribers_while_they_work_there(cast: Cast) -> None:
    assert cast.renewal is not None
    now = clock.now()
    assert [r.pk for r in selectors.renewal_queue(clinician_id=cast.clinician_with.pk, now=now)] == [cast.renewal.pk]
    assert selectors.renewal_queue(clinician_id=cast.clinician_without.pk, now=now) == []


def test_the_facility_sees_it_when_the_prescriber_is_inactive_or_half_way(cast: Cast) -> None:
    assert cast.renewal is not None
    cast.clinician_with.is_active = False
    cast.clinician_with.save(update_fields=["is_active"])
    now = clock.now()
    assert [r.pk for r in selectors.renewal_queue(clinician_id=cast.clinician_without.pk, now=now)] == [cast.renewal.pk]
    cast.clinician_with.is_active = True
    cast.clinician_with.save(update_fields=["is_active"])
    assert selectors.renewal_queue(clinician_id=cast.clinician_without.pk, now=now) == []
    later = cast.renewal.shared_at + dt.timedelta(minutes=1)
    assert [r.pk for r in selectors.renewal_queue(clinician_id=cast.clinician_without.pk, now=later)] == [
        cast.renewal.pk
    ]


def test_the_facility_sees_it_when_no_schedule_covers_today(db: None) -> None:
    """A prescriber with no schedule today at the facility is away; a schedule elsewhere or another weekday does
    not count; another facility's clinician never sees it."""
    prescriber, colleague, stranger = ClinicianFactory(), ClinicianFactory(), ClinicianFactory()
    prescription = PrescriptionFactory(issued_by=prescriber)
    facility = prescription.facility
    prescriber.facilities.add(facility)
    colleague.facilities.add(facility)
    drug = prescription.drug
    patient_user = UserFactory()
    request = RenewalRequest.objects.create(
        patient=prescription.patient,
        drug=drug,
        renews=prescription,
        requested_by=patient_user,
        channel="portal",
        clinician=prescriber,
        facility=facility,
        due_at=clock.now() + dt.timedelta(days=2),
        shared_at=clock.now() + dt.timedelta(days=1),
        created_at=clock.now(),
    )
    today = clock.today()
    other_day = str((today.isoweekday() % 7) + 1)
    ScheduleFactory(clinician=prescriber, facility=facility, valid_from=today, valid_until=today, weekdays=other_day)
    ScheduleFactory(clinician=prescriber, valid_from=today, valid_until=today, weekdays="1234567")  # elsewhere

    def sees(clinician_id: int) -> bool:
        return request.pk in {r.pk for r in selectors.renewal_queue(clinician_id=clinician_id, now=clock.now())}

    assert sees(prescriber.pk) and sees(colleague.pk) and not sees(stranger.pk)
    ScheduleFactory(
        clinician=prescriber,
        facility=facility,
        valid_from=today,
        valid_until=today,
        weekdays="1234567",
        skip_holidays=False,
    )
    assert sees(prescriber.pk) and not sees(colleague.pk) and not sees(stranger.pk)


# --- Deciding -----------------------------------------------------------------------------------------------------


def prescription_sms(cast: Cast) -> int:
    return OutboundMessage.objects.filter(patient=cast.patient, purpose="prescription-issued").count()


def test_issue_creates_one_prescription_and_one_sms(cast: Cast) -> None:
    assert cast.renewal is not None
    prescriptions, messages = Prescription.objects.count(), OutboundMessage.objects.count()
    issued = services.renewal_issue(
        actor=actor(cast, "clinician_with"),
        request_id=cast.renewal.pk,
        dose="1 tabletka rano",
        quantity=2,
        reimbursement="30%",
    )
    assert issued.status == RenewalRequest.Status.ISSUED and issued.decided_by == cast.clinician_with
    assert issued.prescription is not None and issued.prescription.drug_id == cast.renewal.drug_id
    assert issued.prescription.dose == "1 tabletka rano" and issued.prescription.quantity == 2
    assert issued.prescription.facility == cast.here and issued.prescription.patient == cast.patient
    assert Prescription.objects.count() == prescriptions + 1
    assert OutboundMessage.objects.count() == messages + 1 and prescription_sms(cast) == 1
    assert not OutboundMessage.objects.filter(key__startswith="renewal-declined").exists()
    # Deciding again — either way — is refused with 409 and changes nothing.
    before = state()
    with pytest.raises(Conflict) as twice:
        services.renewal_issue(
            actor=actor(cast, "clinician_with"),
            request_id=cast.renewal.pk,
            dose="1",
            quantity=1,
            reimbursement="100%",
        )
    assert twice.value.code == "renewal_already_decided"
    with pytest.raises(Conflict):
        services.renewal_decline(actor=actor(cast, "clinician_with"), request_id=cast.renewal.pk, reason="Nie")
    assert state() == before


def test_decline_sends_the_reason_by_sms_exactly_once(cast: Cast) -> None:
    assert cast.renewal is not None
    declined = services.renewal_decline(
        actor=actor(cast, "clinician_with"), request_id=cast.renewal.pk, reason="Proszę o wizytę kontrolną."
    )
    assert declined.status == RenewalRequest.Status.DECLINED and declined.decline_reason == "Proszę o wizytę kontrolną."
    sent = OutboundMessage.objects.get(key=f"renewal-declined:renewalrequest:{cast.renewal.pk}")
    assert sent.channel == "sms" and sent.recipient == cast.patient.mobile and sent.patient_id == cast.patient.pk
    assert "Proszę o wizytę kontrolną." in sent.body and "Bisoprolol" in sent.body and "lekarz" in sent.body.lower()
    assert Prescription.objects.filter(renewal_request__isnull=False).count() == 0
    with pytest.raises(Conflict):
        services.renewal_decline(actor=actor(cast, "clinician_with"), request_id=cast.renewal.pk, reason="Znowu")
    assert OutboundMessage.objects.filter(key__startswith="renewal-declined").count() == 1


@pytest.mark.parametrize(
    ("call", "code"),
    [
        ({"reason": "   "}, "renewal_reason_required"),
        ({"reason": "x" * 501}, "renewal_reason_too_long"),
    ],
)
def test_a_decline_without_a_usable_reason_changes_nothing(cast: Cast, call: dict[str, str], code: str) -> None:
    assert cast.renewal is not None
    before = state()
    with pytest.raises(ValidationFailed) as refused:
        services.renewal_decline(actor=actor(cast, "clinician_with"), request_id=cast.renewal.pk, **call)
    assert refused.value.code == code
    assert state() == before


@pytest.mark.parametrize(
    ("dose", "quantity", "reimbursement", "code"),
    [
        ("", 1, "100%", "renewal_dose_required"),
        ("1 x 1", 0, "100%", "renewal_quantity_invalid"),
        ("1 x 1", 1, "200%", "reimbursement_invalid"),
    ],
)
def test_an_issue_with_bad_input_changes_nothing(
    cast: Cast, dose: str, quantity: int, reimbursement: str, code: str
) -> None:
    assert cast.renewal is not None
    before = state()
    with pytest.raises(ValidationFailed) as refused:
        services.renewal_issue(
            actor=actor(cast, "clinician_with"),
            request_id=cast.renewal.pk,
            dose=dose,
            quantity=quantity,
            reimbursement=reimbursement,
        )
    assert refused.value.code == code
    assert state() == before


@pytest.mark.parametrize(
    ("role", "error"),
    [
        ("clinician_without", NotFound),  # same facility, but the prescriber works today: not in her queue
        ("call_centre", PermissionDenied),
        ("admin", PermissionDenied),
        ("patient", PermissionDenied),
    ],
)
def test_only_the_queues_clinician_decides(cast: Cast, role: str, error: type[Exception]) -> None:
    assert cast.renewal is not None
    before = state()
    with pytest.raises(error):
        services.renewal_decline(actor=actor(cast, role), request_id=cast.renewal.pk, reason="Nie")
    with pytest.raises(error):
        services.renewal_issue(
            actor=actor(cast, role), request_id=cast.renewal.pk, dose="1", quantity=1, reimbursement="100%"
        )
    assert state() == before


def test_a_colleague_decides_while_the_prescriber_is_away(cast: Cast) -> None:
    assert cast.renewal is not None
    cast.clinician_with.is_active = False
    cast.clinician_with.save(update_fields=["is_active"])
    issued = services.renewal_issue(
        actor=actor(cast, "clinician_without"),
        request_id=cast.renewal.pk,
        dose="1",
        quantity=1,
        reimbursement="100%",
    )
    assert issued.decided_by == cast.clinician_without
    assert issued.prescription is not None and issued.prescription.issued_by == cast.clinician_without


def test_the_queue_is_one_query(cast: Cast, django_assert_num_queries: Any) -> None:
    """Routing (prescriber, inactive, no schedule today, half-way) and the rows the queue shows: one query."""
    for _ in range(3):
        drug = DrugFactory()
        PrescriptionFactory(patient=cast.other_patient, drug=drug, facility=cast.here, issued_by=cast.clinician_with)
        services.renewal_request(actor=actor(cast, "call_centre"), patient_id=cast.other_patient.pk, drug_id=drug.pk)
    now = clock.now()
    with django_assert_num_queries(1):
        queue = selectors.renewal_queue(clinician_id=cast.clinician_with.pk, now=now)
        shown = [
            (item.patient.full_name, item.drug.name, item.renews.dose, str(item.renews.issued_by)) for item in queue
        ]
    assert len(shown) == 4
