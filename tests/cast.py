"""The role cast: one small network with a person of every role CareNet knows, used by the authorization matrix
and by every suite that asks "who may do this" (SEC, CLN-6, ACC-3, ACC-4, ACC-7, issue 10).

Anna (``patient``) has a guardian-free adult account at level II, an upcoming visit at the Mokotów centre with
``clinician_with`` and a past visit at the Wola centre; Piotr (``guardian``) acts for his daughter Zosia, who has
a visit of her own; ``other_patient`` has a visit at Mokotów; ``level_one`` waits for an identity review;
``lapsed`` had a package that ended. Reception works at Mokotów (``receptionist_here``) and at Wola
(``receptionist_elsewhere``); ``clinician_without`` has never seen Anna; ``partner_staff`` works at a partner
facility; ``employer_contact`` keeps the roster of the contract Anna is enrolled under (PKG-8); ``admin`` was made
by ``createsuperuser``. Anna has asked a question about her past visit (``question``,
CLN-4).

:func:`with_renewals` adds, for the suites that need them (CLN-2: the matrix, the renewals' tests): two drugs
``clinician_with`` (who then works at Mokotów every day) prescribed Anna there; she has ordered a renewal of the
first (``renewal``, waiting in his queue) and may order the second (``renewable_drug``).

:func:`with_results` adds (CLN-3: the matrix, the results' tests) Anna's blood count that ``clinician_with`` ordered,
done at Mokotów, with a haemoglobin below its range and a PDF report (``result``).
:func:`with_files` adds two stored files of Anna's (FIL-1), the first attached to her visit tomorrow (TEL-3).
:func:`with_pregnancy` adds where Anna's pregnancy is led (Mokotów) and her open request for pregnancy care elsewhere
(BKG-7).
:func:`with_consultation` adds an on-demand line of internal medicine with ``clinician_with`` on duty now, and Anna's
online consultation with him that ended an hour ago (TEL-2, FBK-1).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.test import Client

from carenet.accounts.models import IdentityRequest, Patient, User
from carenet.accounts.tests.factories import PatientFactory, UserFactory
from carenet.booking.models import Appointment, Channel
from carenet.clinical.models import Drug
from carenet.clinical.tests.factories import DrugFactory, PrescriptionFactory
from carenet.closures.models import ClosureNotice
from carenet.closures.services import portal_link
from carenet.closures.sms_wording import closure_text
from carenet.consultations.models import ChatMessage, Consultation, Duty, Line
from carenet.core import clock
from carenet.core.dates import latest_birth_date_of_age
from carenet.coverage.policies import luhn_check_digit
from carenet.coverage.tests.factories import BenefitFactory, BenefitItemFactory, EnrolmentFactory, TierFactory
from carenet.files.models import PatientFile
from carenet.files.tests.factories import ConsultationFileFactory, PatientFileFactory
from carenet.messaging.services import outbox_enqueue
from carenet.network.models import Clinician, Facility, FacilityClosure, Service
from carenet.network.tests.factories import (
    CityFactory,
    ClinicianFactory,
    FacilityFactory,
    RoomFactory,
    ServiceFactory,
    SpecialtyFactory,
)
from carenet.pregnancy.models import PregnancyCare, PregnancyRequest
from carenet.questions.models import Question
from carenet.questions.services import question_due_at
from carenet.renewals.models import RenewalRequest
from carenet.results.models import CollectionAuthorisation, Result
from carenet.results.tests.factories import CollectionAuthorisationFactory, ObservationFactory, ResultFactory
from carenet.scheduling.models import Mode, Slot
from carenet.scheduling.tests.factories import ScheduleFactory

#: Every member of the cast, in the order the matrix prints them.
ROLES = (
    "anonymous",
    "patient",
    "other_patient",
    "guardian",
    "level_one",
    "lapsed",
    "receptionist_here",
    "receptionist_elsewhere",
    "call_centre",
    "clinician_with",
    "clinician_without",
    "coordinator",
    "partner_staff",
    "admin",
    "employer_contact",
)
PATIENT_ROLES = ("patient", "other_patient", "guardian", "level_one", "lapsed")
STAFF_ROLES = tuple(role for role in ROLES if role not in PATIENT_ROLES and role != "anonymous")


@dataclass
class Cast:
    here: Facility
    elsewhere: Facility
    partner: Facility
    consult: Service
    clinician_with: Clinician
    clinician_without: Clinician
    patient: Patient
    other_patient: Patient
    guardian: Patient
    child: Patient
    level_one: Patient
    lapsed: Patient
    visit: Appointment  # Anna's upcoming visit at Mokotów with clinician_with
    past_visit: Appointment  # Anna's completed visit at Wola (another clinician)
    other_visit: Appointment  # other_patient's upcoming visit at Mokotów
    child_visit: Appointment
    free_slot: Slot
    identity_request: IdentityRequest
    question: Question  # Anna's open question about past_visit (CLN-4)
    users: dict[str, User | None] = field(default_factory=dict)
    renewal: RenewalRequest | None = None  # with_renewals: Anna's pending renewal, in clinician_with's queue
    renewable_drug: Drug | None = None  # with_renewals: a drug clinician_with prescribed Anna, no renewal pending
    result: Result | None = None  # with_results: Anna's blood count ordered by clinician_with, one value too low
    # with_collection (CLN-3): Anna's laboratory result with its PDF, and a person she authorised to collect it
    collection_result: Result | None = None
    collection_authorisation: CollectionAuthorisation | None = None
    file: PatientFile | None = None  # with_files: Anna's file attached to her visit tomorrow (TEL-3)
    spare_file: PatientFile | None = None  # with_files: another file of Anna's, not attached
    line: Line | None = None  # with_consultation: internal medicine on demand, clinician_with on duty now
    consultation: Consultation | None = None  # with_consultation: Anna's, ended an hour ago (survey open)
    # with_closure (NET-3): Wola closed for the psychiatrist from an hour ago for three days; Anna's visit with him
    # the day after tomorrow was cancelled by it (not rebooked yet, no call yet).
    closure: FacilityClosure | None = None
    closure_notice: ClosureNotice | None = None
    pregnancy_care: PregnancyCare | None = None  # with_pregnancy: Anna's pregnancy led at Mokotów (BKG-7)
    pregnancy_request: PregnancyRequest | None = None  # with_pregnancy: her open request for care elsewhere

    def user(self, role: str) -> User | None:
        return self.users[role]

    def client(self, role: str) -> Client:
        """A browser logged in as ``role`` (anonymous: not logged in)."""
        client = Client()
        user = self.users[role]
        if user is not None:
            client.force_login(user)
        return client


def _slot(
    *, clinician: Clinician, facility: Facility | None, service: Service, starts_at: dt.datetime, room: Any = None
) -> Slot:
    schedule = ScheduleFactory(
        clinician=clinician,
        facility=facility,
        room=room,
        mode=Mode.IN_PERSON,
        specialty=service.specialty,
        valid_from=starts_at.date() - dt.timedelta(days=1),
        valid_until=starts_at.date() + dt.timedelta(days=1),
    )
    schedule.services.set([service])
    return Slot.objects.create(
        schedule=schedule,
        clinician=clinician,
        facility=facility,
        city=facility.city if facility is not None else None,
        room=room,
        specialty=service.specialty,
        mode=Mode.IN_PERSON,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=15),
    )


def _visit(patient: Patient, slot: Slot, service: Service, **fields: Any) -> Appointment:
    slot.is_free = False
    slot.save(update_fields=["is_free"])
    values: dict[str, Any] = {"status": Appointment.Status.BOOKED, "channel": Channel.PORTAL} | fields
    return Appointment.objects.create(patient=patient, slot=slot, service=service, price=Decimal("0"), **values)


def build_cast() -> Cast:
    """The cast, with visits relative to now (tomorrow at 10:00 Warsaw, and a week ago)."""
    city = CityFactory(name="Warszawa")
    here = FacilityFactory(city=city, name="CareNet Centrum Medyczne Mokotów", address="ul. Puławska 10")
    elsewhere = FacilityFactory(city=city, name="CareNet Centrum Medyczne Wola", address="ul. Wolska 5")
    partner = FacilityFactory(city=city, partner=True, name="Przychodnia Partnerska", phone="+48 22 555 00 11")
    room = RoomFactory(facility=here, number="12")
    specialty = SpecialtyFactory(code="interna", name="Choroby wewnętrzne")
    psychiatry = SpecialtyFactory(code="psychiatria", name="Psychiatria")
    consult = ServiceFactory(code="konsultacja-interna", name="Konsultacja internisty", specialty=specialty)
    psychiatric = ServiceFactory(code="konsultacja-psychiatry", name="Konsultacja psychiatry", specialty=psychiatry)
    tier = TierFactory()
    benefit = BenefitFactory(tiers=[tier])
    BenefitItemFactory(benefit=benefit, specialty=specialty)
    BenefitItemFactory(benefit=benefit, specialty=psychiatry)

    clinician_with = ClinicianFactory(first_name="Jan", last_name="Kowalski", title="lek.")
    clinician_with.specialties.add(specialty)
    clinician_with.facilities.add(here)
    clinician_without = ClinicianFactory(first_name="Ewa", last_name="Zielińska", title="lek.")
    clinician_without.specialties.add(specialty)
    clinician_without.facilities.add(here)
    psychiatrist = ClinicianFactory(first_name="Adam", last_name="Nowicki", title="lek.")
    psychiatrist.specialties.add(psychiatry)
    psychiatrist.facilities.add(elsewhere)

    today = clock.today()
    tomorrow = clock.at_warsaw(today + dt.timedelta(days=1), dt.time(10))
    week_ago = clock.at_warsaw(today - dt.timedelta(days=7), dt.time(10))

    def enrolled(**fields: Any) -> Patient:
        patient = PatientFactory(**fields)
        EnrolmentFactory(patient=patient, tier=tier)
        return patient

    patient = enrolled(first_name="Anna", last_name="Nowak", user=UserFactory(username="anna"))
    patient.enrolments.update(ecard_number="123456789" + str(luhn_check_digit("123456789")))  # a valid E-Karta
    other_patient = enrolled(first_name="Barbara", last_name="Wiśniewska", user=UserFactory(username="barbara"))
    guardian = enrolled(first_name="Piotr", last_name="Mazur", user=UserFactory(username="piotr"))
    child = enrolled(
        first_name="Zosia",
        last_name="Mazur",
        user=None,
        guardian=guardian,
        birth_date=latest_birth_date_of_age(8, today),  # eight today (29 February included)
    )
    level_one = enrolled(
        first_name="Celina", last_name="Lis", user=UserFactory(username="celina"), account_level=Patient.Level.BASIC
    )
    lapsed = PatientFactory(first_name="Dorota", last_name="Kruk", user=UserFactory(username="dorota"))
    EnrolmentFactory(
        patient=lapsed, tier=tier, activated_on=dt.date(2020, 1, 1), paid_through=today - dt.timedelta(days=1)
    )

    visit = _visit(
        patient, _slot(clinician=clinician_with, facility=here, service=consult, starts_at=tomorrow, room=room), consult
    )
    past_visit = _visit(
        patient,
        _slot(clinician=psychiatrist, facility=elsewhere, service=psychiatric, starts_at=week_ago),
        psychiatric,
        status=Appointment.Status.COMPLETED,
    )
    other_visit = _visit(
        other_patient,
        _slot(clinician=clinician_without, facility=here, service=consult, starts_at=tomorrow + dt.timedelta(hours=1)),
        consult,
    )
    child_visit = _visit(
        child,
        _slot(clinician=clinician_with, facility=here, service=consult, starts_at=tomorrow + dt.timedelta(hours=2)),
        consult,
    )
    free_slot = _slot(
        clinician=clinician_with, facility=here, service=consult, starts_at=tomorrow + dt.timedelta(hours=3)
    )
    identity_request = IdentityRequest.objects.create(
        patient=level_one, message="Proszę o potwierdzenie.", created_at=clock.now()
    )

    asked_at = clock.now()
    question = Question.objects.create(
        appointment=past_visit,
        patient=patient,
        asked_by=patient.user,
        text="Czy mogę odstawić lek po dwóch tygodniach?",
        asked_at=asked_at,
        due_at=question_due_at(asked_at=asked_at),
        clinician=psychiatrist,
        specialty=psychiatry,
        facility=elsewhere,
    )

    staff_user = UserFactory
    users: dict[str, User | None] = {
        "anonymous": None,
        "patient": patient.user,
        "other_patient": other_patient.user,
        "guardian": guardian.user,
        "level_one": level_one.user,
        "lapsed": lapsed.user,
        "receptionist_here": staff_user(username="recepcja-mokotow", role=User.Role.RECEPTIONIST, facility=here),
        "receptionist_elsewhere": staff_user(username="recepcja-wola", role=User.Role.RECEPTIONIST, facility=elsewhere),
        "call_centre": staff_user(username="infolinia", role=User.Role.CALL_CENTRE),
        "clinician_with": staff_user(username="lekarz-kowalski", role=User.Role.CLINICIAN),
        "clinician_without": staff_user(username="lekarz-zielinska", role=User.Role.CLINICIAN),
        "coordinator": staff_user(username="koordynator", role=User.Role.COORDINATOR, is_staff=True),
        "partner_staff": staff_user(username="partner", role=User.Role.PARTNER_STAFF, facility=partner),
        "admin": User.objects.create_superuser("admin", "admin@carenet.example", "correct-horse-battery"),
        # PKG-8: the contact of the employer whose contract Anna is enrolled under (the roster, nothing medical).
        "employer_contact": staff_user(
            username="kadry", role=User.Role.EMPLOYER_CONTACT, contract=patient.enrolments.get().contract
        ),
    }
    clinician_with.user = users["clinician_with"]
    clinician_with.save(update_fields=["user"])
    clinician_without.user = users["clinician_without"]
    clinician_without.save(update_fields=["user"])
    assert settings.CARENET_STAFF_TOTP_REQUIRED is False  # the test settings; two-step login has its own tests
    return Cast(
        here=here,
        elsewhere=elsewhere,
        partner=partner,
        consult=consult,
        clinician_with=clinician_with,
        clinician_without=clinician_without,
        patient=patient,
        other_patient=other_patient,
        guardian=guardian,
        child=child,
        level_one=level_one,
        lapsed=lapsed,
        visit=visit,
        past_visit=past_visit,
        other_visit=other_visit,
        child_visit=child_visit,
        free_slot=free_slot,
        identity_request=identity_request,
        question=question,
        users=users,
    )


def with_renewals(cast: Cast) -> Cast:
    """CLN-2: two earlier prescriptions of ``clinician_with`` for Anna at Mokotów, a renewal of the first waiting in
    his queue; he works at Mokotów every day this month, so the request stays his (not the facility's)."""
    patient, clinician, facility, user = cast.patient, cast.clinician_with, cast.here, cast.patient.user
    today = clock.today()
    ScheduleFactory(
        clinician=clinician,
        facility=facility,
        specialty=clinician.specialties.first(),
        valid_from=today - dt.timedelta(days=30),
        valid_until=today + dt.timedelta(days=30),
        weekdays="1234567",
        skip_holidays=False,
    )
    ordered, renewable = DrugFactory(name="Bisoprolol"), DrugFactory(name="Metformina")
    issued_at = clock.now() - dt.timedelta(days=60)
    first = PrescriptionFactory(
        patient=patient, issued_by=clinician, facility=facility, drug=ordered, issued_at=issued_at
    )
    PrescriptionFactory(patient=patient, issued_by=clinician, facility=facility, drug=renewable, issued_at=issued_at)
    now = clock.now()
    renewal = RenewalRequest.objects.create(
        patient=patient,
        drug=ordered,
        renews=first,
        requested_by=user,
        channel=RenewalRequest.Channel.PORTAL,
        clinician=clinician,
        facility=facility,
        due_at=now + dt.timedelta(days=2),
        shared_at=now + dt.timedelta(days=1),
        created_at=now,
    )
    cast.renewal, cast.renewable_drug = renewal, renewable
    return cast


#: The analyte of the cast's result (haemoglobin, LOINC).
RESULT_CODE = "718-7"


def with_results(cast: Cast) -> Cast:
    """CLN-3: Anna's blood count, ordered by ``clinician_with`` and done at Mokotów, with a haemoglobin below its
    reference range, a white cell count in range and a PDF report."""
    result = ResultFactory(
        patient=cast.patient,
        ordered_by=cast.clinician_with,
        facility=cast.here,
        reported_at=clock.now() - dt.timedelta(days=1),
        received_at=clock.now() - dt.timedelta(days=1),
        collected_at=clock.now() - dt.timedelta(days=2),
    )
    ObservationFactory(
        result=result, sequence=1, code=RESULT_CODE, value="10.1", numeric_value=Decimal("10.1"), abnormal_flag="L"
    )
    ObservationFactory(
        result=result,
        sequence=2,
        code="6690-2",
        name="Leukocyty",
        value="6.2",
        numeric_value=Decimal("6.2"),
        unit="tys/µl",
        reference_range="4.0-10.0",
        range_low=Decimal("4.0"),
        range_high=Decimal("10.0"),
    )
    result.pdf.save("morfologia.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    cast.result = result
    return cast


#: A PDF report's bytes as a laboratory sends it (enough for a download; its content is not checked here).
RESULT_PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def with_collection(cast: Cast) -> Cast:
    """CLN-3: Anna's laboratory result (with its PDF report) and Ewa Nowak, whom Anna authorised at the Mokotów desk
    to collect all her results (valid until revoked)."""
    result = cast.result  # with_results' blood count when the cast has it (it has a PDF report)
    if result is None:
        result = ResultFactory(patient=cast.patient, facility=cast.here)
        result.pdf.save("morfologia.pdf", ContentFile(RESULT_PDF), save=True)
    receptionist = cast.users["receptionist_here"]
    cast.collection_result = result
    cast.collection_authorisation = CollectionAuthorisationFactory(
        patient=cast.patient,
        full_name="Ewa Nowak",
        pesel="85010112345",
        valid_until=None,
        facility=cast.here,
        recorded_by=receptionist,
        recorded_at=clock.now(),
    )
    return cast


def with_files(cast: Cast) -> Cast:
    """FIL-1, TEL-3: two of Anna's stored files, uploaded yesterday; ``file`` is attached to her visit tomorrow."""
    uploaded_at = clock.now() - dt.timedelta(days=1)
    kept = {"uploaded_at": uploaded_at, "delete_after": uploaded_at + dt.timedelta(days=90)}
    cast.file = PatientFileFactory(patient=cast.patient, description="Wysypka na przedramieniu", **kept)
    cast.spare_file = PatientFileFactory(
        patient=cast.patient,
        original_name="wynik_morfologii.png",
        description="Morfologia z innego laboratorium",
        **kept,
    )
    ConsultationFileFactory(file=cast.file, appointment=cast.visit, attached_at=uploaded_at)
    return cast


def with_consultation(cast: Cast) -> Cast:
    """TEL-2, FBK-1: an on-demand line of internal medicine for adults (``line``) with ``clinician_with`` on duty
    from an hour ago for eight hours, and Anna's video consultation with him in it (``consultation``): taken 90
    minutes ago as a visit of its own, ended 75 minutes ago with advice, two chat messages; its survey is open."""
    now = clock.now()
    specialty = cast.consult.specialty
    line = Line.objects.create(
        code="interna",
        name="Interna",
        name_en="Internal medicine",
        specialty=specialty,
        service=cast.consult,
        min_age=18,
        minutes=12,
    )
    Duty.objects.create(
        clinician=cast.clinician_with,
        line=line,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=8),
    )
    taken_at, ended_at = now - dt.timedelta(minutes=90), now - dt.timedelta(minutes=75)
    slot = Slot.objects.create(
        schedule=None,
        clinician=cast.clinician_with,
        specialty=specialty,
        mode=Mode.VIDEO,
        starts_at=taken_at,
        ends_at=taken_at + dt.timedelta(minutes=12),
        is_free=False,
    )
    visit = _visit(cast.patient, slot, cast.consult, status=Appointment.Status.COMPLETED)
    consultation = Consultation.objects.create(
        line=line,
        patient=cast.patient,
        requested_by=cast.patient.user,
        mode=Consultation.Mode.VIDEO,
        channel=Channel.PORTAL,
        status=Consultation.Status.ENDED,
        queued_at=taken_at - dt.timedelta(minutes=5),
        taken_at=taken_at,
        ended_at=ended_at,
        clinician=cast.clinician_with,
        appointment=visit,
        outcome=Consultation.Outcome.ADVICE,
        ended_by=cast.users["clinician_with"],
        last_seq=2,
    )
    for seq, side, author, text in (
        (1, ChatMessage.Side.PATIENT, cast.patient.user, "Od trzech dni mam gorączkę."),
        (2, ChatMessage.Side.CLINICIAN, cast.users["clinician_with"], "Proszę dużo pić i mierzyć temperaturę."),
    ):
        ChatMessage.objects.create(
            consultation=consultation,
            seq=seq,
            side=side,
            author=author,
            client_id=f"m{seq}",
            text=text,
            sent_at=taken_at + dt.timedelta(minutes=seq),
        )
    cast.line, cast.consultation = line, consultation
    return cast


def with_pregnancy(cast: Cast) -> Cast:
    """BKG-7: Anna's pregnancy is led at Mokotów (recorded by ``clinician_with``), and her request for pregnancy care
    elsewhere — in person in Warsaw, because Mokotów cannot see her — waits in the coordinators' queue."""
    cast.pregnancy_care = PregnancyCare.objects.create(
        patient=cast.patient,
        facility=cast.here,
        clinician=cast.clinician_with,
        started_on=clock.today() - dt.timedelta(days=70),
        recorded_by=cast.users["clinician_with"],
    )
    cast.pregnancy_request = PregnancyRequest.objects.create(
        patient=cast.patient,
        name="Anna Nowak",
        phone=cast.patient.mobile,
        failed_facility=cast.here,
        wanted_city=cast.here.city,
        mode=PregnancyRequest.Mode.IN_PERSON,
        note="Lekarz prowadzący na urlopie do końca miesiąca.",
        channel=Channel.PORTAL,
        filed_by=cast.patient.user,
    )
    return cast


def remote_slot(cast: Cast, *, starts_at: dt.datetime, mode: str = Mode.VIDEO) -> Slot:
    """A bookable phone or video time (SCH-3) of ``clinician_with`` for an internal medicine consultation."""
    schedule = ScheduleFactory(
        clinician=cast.clinician_with,
        facility=None,
        mode=mode,
        specialty=cast.consult.specialty,
        valid_from=starts_at.date() - dt.timedelta(days=1),
        valid_until=starts_at.date() + dt.timedelta(days=1),
    )
    schedule.services.set([cast.consult])
    return Slot.objects.create(
        schedule=schedule,
        clinician=cast.clinician_with,
        specialty=cast.consult.specialty,
        mode=mode,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=15),
    )


def with_closure(cast: Cast) -> Cast:
    """NET-3: Wola is closed for the psychiatrist (Anna's past visit was with him) from an hour ago for three days;
    Anna's visit with him the day after tomorrow is cancelled by the closure, with its notice and its SMS (written as
    the closures service writes them; its behaviour is tested in ``carenet/closures``)."""
    psychiatrist, service = cast.past_visit.slot.clinician, cast.past_visit.service
    now = clock.now()
    coordinator = cast.users["coordinator"]
    closure = FacilityClosure.objects.create(
        facility=cast.elsewhere,
        clinician=psychiatrist,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(days=3),
        reason="Kwarantanna lekarza",
        created_by=coordinator,
    )
    starts_at = clock.at_warsaw(clock.today() + dt.timedelta(days=2), dt.time(9))
    cancelled = _visit(
        cast.patient,
        _slot(clinician=psychiatrist, facility=cast.elsewhere, service=service, starts_at=starts_at),
        service,
        status=Appointment.Status.CANCELLED,
        cancelled_at=now,
        cancelled_by=coordinator,
        cancel_channel=Channel.CLOSURE,
    )
    cast.closure = closure
    cast.closure_notice = ClosureNotice.objects.create(
        closure=closure, appointment=cancelled, patient=cast.patient, created_at=now
    )
    outbox_enqueue(
        key=f"closure:{closure.pk}:patient:{cast.patient.pk}",
        purpose="closure",
        channel="sms",
        recipient=cast.patient.mobile,
        body=closure_text(
            place=f"{cast.elsewhere.name}, {cast.elsewhere.address}",
            visits=[(service.name, starts_at)],
            link=portal_link(cast.closure_notice.pk),
        ),
        patient=cast.patient,
    )
    return cast
