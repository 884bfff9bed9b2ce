"""Factories of complaints and insurance claims (FBK-2, FBK-3): a complaint as filed in the portal (received, its
answer due in 30 days), a claim as submitted with one small, already disarmed PNG in the private storage."""

from __future__ import annotations

import datetime as dt
import hashlib

import factory
from django.core.files.base import ContentFile

from carenet.accounts.models import Patient
from carenet.api.tests.factories import PatientFactory
from carenet.complaints.models import Claim, ClaimAttachment, Complaint
from carenet.files.tests.factories import png_bytes

FILED_AT = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


class ComplaintFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Complaint

    case_number = factory.Sequence(lambda n: f"RK/2026/{900000 + n:06d}")
    patient = factory.SubFactory(PatientFactory)
    subject = "Odwołana wizyta bez uprzedzenia"
    text = "Przyjechałam na wizytę, a w recepcji powiedziano mi, że lekarz nie przyjmuje."
    channel = "portal"
    filed_by = factory.LazyAttribute(lambda o: o.patient.user)
    filed_at = FILED_AT
    answer_due_on = factory.LazyAttribute(lambda o: o.filed_at.date() + dt.timedelta(days=30))


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim

    case_number = factory.Sequence(lambda n: f"RS/2026/{900000 + n:06d}")
    patient = factory.SubFactory(PatientFactory)
    subject = "Zwrot kosztów rezonansu"
    description = "Rezonans kolana wykonany prywatnie z powodu braku terminu w sieci, faktura w załączeniu."
    channel = "portal"
    filed_by = factory.LazyAttribute(lambda o: o.patient.user)
    filed_at = FILED_AT


class ClaimAttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClaimAttachment

    claim = factory.SubFactory(ClaimFactory)
    stored = factory.LazyFunction(lambda: ContentFile(png_bytes(), name="faktura.png"))
    original_name = "faktura.png"
    content_type = "image/png"
    size = factory.LazyFunction(lambda: len(png_bytes()))
    sha256 = factory.LazyFunction(lambda: hashlib.sha256(png_bytes()).hexdigest())
    uploaded_at = FILED_AT


def cases_of(patient: Patient, *, filed_at: dt.datetime) -> tuple[Complaint, Claim, ClaimAttachment]:
    """A received complaint and a submitted claim with one document of ``patient`` (the authorization matrix)."""
    complaint = ComplaintFactory(
        patient=patient, filed_at=filed_at, answer_due_on=filed_at.date() + dt.timedelta(days=30)
    )
    claim = ClaimFactory(patient=patient, filed_at=filed_at)
    return complaint, claim, ClaimAttachmentFactory(claim=claim, uploaded_at=filed_at)
