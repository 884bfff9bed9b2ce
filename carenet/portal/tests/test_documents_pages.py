"""The patient's documents in the portal (ACC-4, CLN-1, CLN-3, CLN-5, CLN-6): "Skierowania", "Leki", "Zalecenia",
"Zwolnienia" — whose documents each page shows, what it shows of them, the "book" action of a referral and the read
record."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from carenet.accounts.models import PatientRead
from carenet.api.tests.factories import benefit, make_slot
from carenet.booking.models import Appointment
from carenet.clinical.models import Referral
from carenet.clinical.tests.factories import (
    DrugFactory,
    NetworkReferralFactory,
    PrescriptionFactory,
    RecommendationFactory,
    SickLeaveFactory,
)
from carenet.core import clock
from carenet.network.models import Service
from carenet.network.tests.factories import ServiceFactory, SpecialtyFactory
from tests.cast import Cast

pytestmark = pytest.mark.django_db

PAGES = ("portal:referrals", "portal:prescriptions", "portal:recommendations", "portal:sick_leaves")


def en(name: str, *args: Any) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def issued(days_ago: int) -> dt.datetime:
    return clock.now() - dt.timedelta(days=days_ago)


def documents_of(cast: Cast, patient: Any, *, facility: Any = None, tag: str) -> dict[str, Any]:
    """One document of every kind for ``patient``, each naming ``tag`` so a page shows whose it is."""
    facility = facility or cast.here
    doctor = cast.clinician_with
    common = {"patient": patient, "issued_by": doctor, "facility": facility, "issued_at": issued(3)}
    return {
        "referral": NetworkReferralFactory(
            **common,
            service=ServiceFactory(name=f"Skierowanie {tag}", specialty=cast.consult.specialty),
            valid_until=clock.today() + dt.timedelta(days=60),
        ),
        "prescription": PrescriptionFactory(**common, drug=DrugFactory(name=f"Lek {tag}"), access_code="4821"),
        "recommendation": RecommendationFactory(**common, text=f"Zalecenie {tag}"),
        "sick_leave": SickLeaveFactory(**common, national_id=f"ZLA {tag}"),
    }


def page_text(cast: Cast, role: str, name: str, **query: Any) -> str:
    response = cast.client(role).get(en(name), query)
    assert response.status_code == 200, (name, role, response.status_code)
    return response.content.decode()


def test_each_page_shows_the_patients_own_documents_and_never_another_patients(cast: Cast) -> None:
    documents_of(cast, cast.patient, tag="ANNA")
    documents_of(cast, cast.other_patient, tag="BARBARA")
    for name in PAGES:
        text = page_text(cast, "patient", name)
        assert "ANNA" in text and "BARBARA" not in text, name
        # Naming Anna does not open her documents to Barbara: she gets her own.
        other = page_text(cast, "other_patient", name, who=cast.patient.pk)
        assert "BARBARA" in other and "ANNA" not in other, name
    assert not PatientRead.objects.exists()  # the patients' own reads only


def test_documents_issued_at_a_partner_facility_are_the_patients_own(cast: Cast) -> None:
    documents_of(cast, cast.patient, facility=cast.partner, tag="PARTNER")
    for name in PAGES:
        text = page_text(cast, "patient", name)
        assert "PARTNER" in text and cast.partner.name in text, name


def test_a_guardian_sees_a_childs_documents_and_the_read_is_recorded(cast: Cast) -> None:
    documents_of(cast, cast.child, tag="ZOSIA")
    documents_of(cast, cast.guardian, tag="PIOTR")
    whats = {
        "portal:referrals": "referrals",
        "portal:prescriptions": "prescriptions",
        "portal:recommendations": "recommendations",
        "portal:sick_leaves": "sick_leave",
    }
    for name in PAGES:
        own = page_text(cast, "guardian", name)
        assert "PIOTR" in own and "ZOSIA" not in own and 'id="who"' in own, name
        child = page_text(cast, "guardian", name, who=cast.child.pk)
        assert "ZOSIA" in child and "PIOTR" not in child, name
    rows = list(PatientRead.objects.order_by("pk").values_list("reader__username", "patient_id", "what", "door"))
    assert rows == [("piotr", cast.child.pk, what, "portal") for what in whats.values()]


def test_level_one_sees_why_it_needs_level_two_and_no_document(cast: Cast) -> None:
    documents_of(cast, cast.level_one, tag="CELINA")
    client = cast.client("level_one")
    for name in PAGES:
        response = client.get(en(name))
        text = response.content.decode()
        assert response.status_code == 403 and 'id="level-two-required"' in text and "CELINA" not in text, name
        assert reverse("portal:identity") in text or en("portal:identity") in text
    overview = client.get(en("portal:treatment")).content.decode()
    assert 'id="documents-level-two"' in overview and "CELINA" not in overview
    assert not PatientRead.objects.exists()


def test_a_patient_without_an_active_package_gets_the_acc7_page(cast: Cast) -> None:
    for name in (*PAGES, "portal:treatment"):
        response = cast.client("lapsed").get(en(name))
        assert response.status_code == 403
        assert "package_inactive" in response.templates[0].name


def test_the_menu_leads_to_treatment_and_medicines(cast: Cast) -> None:
    text = page_text(cast, "patient", "portal:visits")
    assert f'href="{en("portal:treatment")}"' in text and f'href="{en("portal:prescriptions")}"' in text
    overview = page_text(cast, "patient", "portal:treatment")
    for name in PAGES:
        assert f'href="{en(name)}"' in overview
    with translation.override("pl"):
        assert reverse("portal:referrals") == "/leczenie/skierowania/"
        assert reverse("portal:prescriptions") == "/leki/"


def test_a_prescription_shows_what_the_pharmacy_asks_for(cast: Cast) -> None:
    drug = DrugFactory(name="Amoksiklav", form="tabletki powlekane", strength="875 mg + 125 mg", pack="14 tabl.")
    PrescriptionFactory(
        patient=cast.patient,
        issued_by=cast.clinician_with,
        facility=cast.here,
        drug=drug,
        dose="1 tabletka co 12 godzin",
        quantity=2,
        reimbursement="50%",
        access_code="0917",
        national_id="RX-0000123456",
        issued_at=issued(2),
        valid_until=clock.today() + dt.timedelta(days=28),
    )
    text = page_text(cast, "patient", "portal:prescriptions")
    for shown in ("Amoksiklav", "875 mg + 125 mg", "14 tabl.", "tabletki powlekane", "1 tabletka co 12 godzin"):
        assert shown in text
    assert "<strong>0917</strong>" in text and "RX-0000123456" in text and "2 packs" in text
    assert "50% payment" in text and "Kowalski" in text


def test_newest_first_and_a_corrected_document_only_in_its_current_version(cast: Cast) -> None:
    common = {"patient": cast.patient, "issued_by": cast.clinician_with, "facility": cast.here}
    old = PrescriptionFactory(**common, drug=DrugFactory(name="Pierwotny"), issued_at=issued(10))
    PrescriptionFactory(**common, drug=DrugFactory(name="Poprawiony"), issued_at=issued(9), supersedes=old)
    PrescriptionFactory(**common, drug=DrugFactory(name="Najnowszy"), issued_at=issued(1))
    text = page_text(cast, "patient", "portal:prescriptions")
    assert "Pierwotny" not in text
    assert text.index("Najnowszy") < text.index("Poprawiony")
    assert f"Corrected on {clock.local(issued(9)):%-d.%m.%Y}" in text
    assert text.count("Corrected on") == 1


def test_recommendations_link_to_the_search_for_the_recommended_specialty(cast: Cast) -> None:
    cardiology = SpecialtyFactory(code="kardiologia", name="Kardiologia")
    RecommendationFactory(
        patient=cast.child,
        issued_by=cast.clinician_with,
        facility=cast.here,
        text="Kontrola u kardiologa.\nEKG przed wizytą.",
        in_person_visit=True,
        in_person_specialty=cardiology,
        issued_at=issued(1),
        exams=[ServiceFactory(name="EKG spoczynkowe")],
    )
    text = page_text(cast, "guardian", "portal:recommendations", who=cast.child.pk)
    assert "Kontrola u kardiologa.<br>EKG przed wizytą." in text and "EKG spoczynkowe" in text
    assert "recommended: Kardiologia" in text
    assert f"?specialty=kardiologia&amp;for_whom={cast.child.pk}" in text


def test_sick_leave_shows_days_code_number_and_employer(cast: Cast) -> None:
    SickLeaveFactory(
        patient=cast.patient,
        issued_by=cast.clinician_with,
        facility=cast.here,
        starts_on=dt.date(2026, 11, 20),
        ends_on=dt.date(2026, 11, 27),
        reason_code="B",
        national_id="ZY 1234567",
        employer_nip="5260250995",
    )
    text = page_text(cast, "patient", "portal:sick_leaves")
    assert "20.11.2026 – 27.11.2026" in text and "<dd>8</dd>" in text
    assert "ZY 1234567" in text and "5260250995" in text and "B — incapacity during pregnancy" in text


def test_referral_statuses_active_used_and_expired(cast: Cast) -> None:
    common = {"patient": cast.patient, "issued_by": cast.clinician_with, "facility": cast.here}
    active = NetworkReferralFactory(
        **common,
        service=ServiceFactory(name="Active one", specialty=cast.consult.specialty),
        valid_until=clock.today() + dt.timedelta(days=30),
        issued_at=issued(1),
    )
    used = NetworkReferralFactory(
        **common, service=cast.consult, valid_until=clock.today() + dt.timedelta(days=30), issued_at=issued(2)
    )
    Referral.objects.filter(pk=used.pk).update(used_by=cast.visit)
    expired = NetworkReferralFactory(
        **common,
        service=ServiceFactory(name="Expired one", specialty=cast.consult.specialty),
        valid_until=clock.today() - dt.timedelta(days=1),
        issued_at=issued(120),
    )
    employer = Referral.objects.create(
        patient=cast.patient,
        service=ServiceFactory(name="Badanie okresowe", specialty=cast.consult.specialty),
        source=Referral.Source.EMPLOYER,
        employer_name="Huta Batory S.A.",
        employer_nip="6270011010",
        employer_referral_number="MP/7",
        issued_at=issued(5),
        valid_until=clock.today() + dt.timedelta(days=10),
    )
    text = page_text(cast, "patient", "portal:referrals")
    cards = dict(re.findall(r'data-referral="(\d+)">(.*?)</li>', text, flags=re.S))
    assert 'class="badge ok">active' in cards[str(active.pk)] and "Book" in cards[str(active.pk)]
    assert active.access_code in cards[str(active.pk)] and active.national_id in cards[str(active.pk)]
    assert 'class="badge info">used' in cards[str(used.pk)] and "Book" not in cards[str(used.pk)]
    assert f'href="{en("portal:visit", cast.visit.pk)}"' in cards[str(used.pk)]
    assert 'class="badge warn">expired' in cards[str(expired.pk)] and "Book" not in cards[str(expired.pk)]
    assert "Huta Batory S.A." in cards[str(employer.pk)] and "6270011010" in cards[str(employer.pk)]


def referral_world(cast: Cast, patient: Any) -> tuple[Referral, Service]:
    """A service that needs a referral, covered by the package with one, a free slot for it and the referral."""
    ultrasound = ServiceFactory(
        code="usg-jamy-brzusznej",
        name="USG jamy brzusznej",
        specialty=cast.consult.specialty,
        kind=Service.Kind.IMAGING,
        requires_referral=True,
    )
    benefit(cast.patient.enrolments.get().tier, "usg", service=ultrasound)
    make_slot(
        starts_at=clock.at_warsaw(clock.today() + dt.timedelta(days=2), dt.time(11)),
        clinician=cast.clinician_with,
        facility=cast.here,
        specialty=cast.consult.specialty,
        services=[ultrasound],
    )
    referral = NetworkReferralFactory(
        patient=patient,
        service=ultrasound,
        issued_by=cast.clinician_with,
        facility=cast.here,
        issued_at=issued(1),
        valid_until=clock.today() + dt.timedelta(days=90),
    )
    return referral, ultrasound


def follow_book(cast: Cast, role: str, referral: Referral, **query: Any) -> Appointment:
    """From "Skierowania": "Book" → the first slot's "Book" → confirm, as the patient clicks it."""
    client = cast.client(role)
    text = client.get(en("portal:referrals"), query).content.decode()
    card = re.search(rf'data-referral="{referral.pk}">(.*?)</li>', text, flags=re.S)
    assert card is not None
    search = re.search(r'<a class="button" href="([^"]+)"', card.group(1))
    assert search is not None
    results = client.get(search.group(1).replace("&amp;", "&")).content.decode()
    assert 'id="booking-with-referral"' in results
    book = re.search(r'<a class="button time" href="([^"]+)"', results)  # issue 14: the day's times as buttons
    assert book is not None and f"referral={referral.pk}" in book.group(1)
    book_url = book.group(1).replace("&amp;", "&")
    confirm = client.get(book_url).content.decode()
    assert f'<option value="{referral.pk}" selected>' in confirm
    form = re.search(r'name="referral"[^>]*>.*?</select>', confirm, flags=re.S)
    assert form is not None
    answer = client.post(book_url, {"referral": str(referral.pk)})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    return Appointment.objects.get(referral=referral)


def test_book_from_a_referral_then_it_shows_used_with_its_visit(cast: Cast) -> None:
    referral, ultrasound = referral_world(cast, cast.patient)
    appointment = follow_book(cast, "patient", referral)
    assert appointment.patient == cast.patient and appointment.service == ultrasound
    text = page_text(cast, "patient", "portal:referrals")
    card = re.search(rf'data-referral="{referral.pk}">(.*?)</li>', text, flags=re.S)
    assert card is not None and 'class="badge info">used' in card.group(1)
    assert f'href="{en("portal:visit", appointment.pk)}"' in card.group(1)


def test_a_guardian_books_with_a_childs_referral_for_the_child(cast: Cast) -> None:
    referral, _ = referral_world(cast, cast.child)
    appointment = follow_book(cast, "guardian", referral, who=cast.child.pk)
    assert appointment.patient == cast.child


def test_a_referral_the_package_does_not_ask_for_is_still_used_by_the_visit_booked_with_it(cast: Cast) -> None:
    referral = NetworkReferralFactory(
        patient=cast.patient,
        service=cast.consult,  # covered by Anna's package without a referral
        issued_by=cast.clinician_with,
        facility=cast.here,
        issued_at=issued(1),
        valid_until=clock.today() + dt.timedelta(days=30),
    )
    appointment = follow_book(cast, "patient", referral)
    assert appointment.slot == cast.free_slot and appointment.service == cast.consult
    # Without the referral in the address the confirmation step asks for none, as before.
    plain = cast.client("patient").get(en("portal:book", cast.free_slot.pk), {"service": cast.consult.code})
    assert 'name="referral"' not in plain.content.decode()


def test_someone_elses_referral_in_the_search_address_is_ignored(cast: Cast) -> None:
    referral, ultrasound = referral_world(cast, cast.other_patient)
    client = cast.client("patient")
    query = {"specialty": "interna", "service": ultrasound.code, "referral": referral.pk}
    response = client.get(en("portal:search"), query)
    text = response.content.decode()
    assert 'id="booking-with-referral"' not in text and response.context["searched"]  # the search ran
    assert not re.search(r'href="[^"]*/book/[^"]*referral=', text)
    for bad in ("\x00", "9" * 40, "-1", "١٢"):
        assert client.get(en("portal:search"), {**query, "referral": bad}).status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_query_count_is_flat_in_the_number_of_documents(cast: Cast, name: str) -> None:
    client = cast.client("guardian")
    documents_of(cast, cast.child, tag="ONE")
    with CaptureQueriesContext(connection) as small:
        assert client.get(en(name), {"who": cast.child.pk}).status_code == 200
    for index in range(6):
        documents_of(cast, cast.child, facility=cast.partner if index % 2 else cast.here, tag=f"MORE{index}")
    with CaptureQueriesContext(connection) as large:
        text = client.get(en(name), {"who": cast.child.pk}).content.decode()
    assert "MORE5" in text
    assert len(large) == len(small), [query["sql"] for query in large.captured_queries]


def test_pages_are_in_polish_by_default(cast: Cast) -> None:
    documents_of(cast, cast.patient, tag="ANNA")
    response = cast.client("patient").get("/leczenie/skierowania/")
    assert response.status_code == 200 and "Skierowania" in response.content.decode()


def test_documents_issued_and_corrected_by_a_clinician_reach_the_patients_pages(cast: Cast) -> None:
    """The clinical services' documents as issued (national keys, the access code) and corrected (CLN-5)."""
    from carenet.clinical import services as clinical_services

    doctor, patient, here = cast.clinician_with, cast.patient, cast.here
    drug = DrugFactory(name="Ibuprom MAX")
    first = clinical_services.prescription_issue(
        clinician=doctor,
        patient=patient,
        facility=here,
        drug=drug,
        dose="1 tabl. 3 x dziennie",
        quantity=1,
        reimbursement="100%",
        now=issued(2),
    )
    corrected = clinical_services.prescription_issue(
        clinician=doctor,
        patient=patient,
        facility=here,
        drug=drug,
        dose="1 tabl. 2 x dziennie",
        quantity=1,
        reimbursement="100%",
        supersedes=first,
        now=issued(1),
    )
    referral = clinical_services.referral_issue(
        clinician=doctor, patient=patient, service=cast.consult, facility=here, note="Kontrola ciśnienia"
    )
    leave = clinical_services.sick_leave_issue(
        clinician=doctor,
        patient=patient,
        facility=here,
        starts_on=clock.today(),
        ends_on=clock.today() + dt.timedelta(days=4),
        employer_nip="5260250995",
    )
    medicines = page_text(cast, "patient", "portal:prescriptions")
    assert "1 tabl. 2 x dziennie" in medicines and "1 tabl. 3 x dziennie" not in medicines
    assert f"<strong>{corrected.access_code}</strong>" in medicines and corrected.national_id in medicines
    assert "Corrected on" in medicines
    referrals = page_text(cast, "patient", "portal:referrals")
    assert referral.national_id in referrals and "Kontrola ciśnienia" in referrals
    assert leave.national_id in page_text(cast, "patient", "portal:sick_leaves")


def test_the_documents_choices_read_in_polish(cast: Cast) -> None:
    common = {"patient": cast.patient, "issued_by": cast.clinician_with, "facility": cast.here}
    PrescriptionFactory(**common, reimbursement="50%", quantity=5)
    SickLeaveFactory(**common, reason_code="D", indication="1")
    medicines = cast.client("patient").get("/leki/").content.decode()
    assert "odpłatność 50%" in medicines and "5 opakowań" in medicines
    leave = cast.client("patient").get("/leczenie/zwolnienia/").content.decode()
    assert "D — gruźlica" in leave and "chory powinien leżeć" in leave
