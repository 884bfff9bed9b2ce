"""Factories for patients' files (FIL-1, FIL-2, TEL-3): stored files as the upload service leaves them (a small,
already disarmed PNG in the private storage), the terms accepted, attachments to a visit."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import factory
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from carenet.accounts.models import Patient
from carenet.api.tests.factories import PatientFactory
from carenet.core import clock
from carenet.files.models import ConsultationFile, PatientFile, TermsAcceptance


def _yesterday() -> dt.datetime:
    """A day before the test's clock: a file made by a factory is kept (FIL-2, three months) whenever the suite runs
    (a fixed 20 November 2026 had every such file past its deletion day from 20 February 2027)."""
    return clock.now() - dt.timedelta(days=1)


def png_bytes(width: int = 8, height: int = 8, colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A small valid PNG."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


class TermsAcceptanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TermsAcceptance

    patient = factory.SubFactory(PatientFactory)
    accepted_by = factory.LazyAttribute(lambda o: o.patient.user)
    terms_version = "2026-12"
    accepted_at = factory.LazyFunction(_yesterday)


class PatientFileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientFile

    class Params:
        content = factory.LazyFunction(png_bytes)

    patient = factory.SubFactory(PatientFactory)
    uploaded_by = factory.LazyAttribute(lambda o: o.patient.user)
    stored = factory.LazyAttribute(lambda o: ContentFile(o.content, name="upload.png"))
    original_name = "zmiana_na_rece.png"
    description = "Zmiana na ręce"
    content_type = PatientFile.Kind.PNG
    size = factory.LazyAttribute(lambda o: len(o.content))
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.content).hexdigest())
    uploaded_at = factory.LazyFunction(_yesterday)
    delete_after = factory.LazyAttribute(lambda o: o.uploaded_at + dt.timedelta(days=90))


class ConsultationFileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsultationFile

    file = factory.SubFactory(PatientFileFactory)
    appointment = None  # a visit of the file's patient: pass one (carenet.booking.tests.factories)
    attached_by = factory.LazyAttribute(lambda o: o.file.uploaded_by)
    attached_at = factory.LazyFunction(_yesterday)


def enrolled_patient(**fields: object) -> Patient:
    """A level II patient with a package in force (ACC-7), who may use "Twoje pliki"."""
    from carenet.api.tests.factories import EnrolmentFactory

    patient = PatientFactory(**fields)
    EnrolmentFactory(patient=patient)
    return patient


def upload(content: bytes, name: str = "zdjecie.png") -> SimpleUploadedFile:
    """What the browser or the app sends (its content type is ignored: the content decides)."""
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")
