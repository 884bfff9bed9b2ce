""" "Twoje pliki" in the demo (FIL-1, FIL-2): the named level II patients' files, generated in code (a photo drawn
with Pillow, a discharge letter written with reportlab) and stored through the upload service the doors use — so
they are disarmed, named and dated exactly like a patient's upload.

pacjent2 has a photo "Zmiana na skórze przedramienia" and a PDF "Wypis ze szpitala 2026"; rodzic has one file of
their child's. (pacjent1 is the named level I account: "Twoje pliki" is a level II service, so it has none.) Each
photo is attached (TEL-3) to that patient's visit with the demo clinician today, so ``lekarz`` sees it on the visit
page and a file count on the day list.
"""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFilter

from carenet.accounts.models import Patient, User
from carenet.accounts.selectors import actor_for_user
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.files import attachments, services
from carenet.files.models import PatientFile


def skin_photo(*, seed: int = 0) -> bytes:
    """A phone-like photo of a skin change: skin tones, a darker irregular spot, a little blur."""
    picture = Image.new("RGB", (960, 720), (224, 172, 140))
    draw = ImageDraw.Draw(picture)
    for index in range(40):
        shade = 200 + (index * 7 + seed) % 30
        draw.ellipse(
            (index * 23 % 960, index * 37 % 720, index * 23 % 960 + 120, index * 37 % 720 + 90), fill=(shade, 160, 128)
        )
    draw.ellipse((410, 290, 560, 410), fill=(122, 74, 58))
    draw.ellipse((440, 310, 520, 380), fill=(96, 56, 44))
    picture = picture.filter(ImageFilter.GaussianBlur(3))
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=85)
    return out.getvalue()


def discharge_letter(*, name: str) -> bytes:
    """A one-page hospital discharge letter as a PDF (text only)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    sheet = canvas.Canvas(out, pagesize=A4, invariant=True)
    sheet.setTitle("Wypis ze szpitala 2026")
    lines = [
        "Szpital Wojewódzki - Oddział Chorób Wewnętrznych",
        "KARTA INFORMACYJNA LECZENIA SZPITALNEGO",
        f"Pacjent: {name}",
        "Rozpoznanie: zapalenie płuc (J18.9), wyleczone.",
        "Zalecenia: kontrola u lekarza rodzinnego za 2 tygodnie, RTG klatki piersiowej za 6 tygodni.",
    ]
    for index, line in enumerate(lines):
        sheet.drawString(60, 780 - index * 22, line)
    sheet.showPage()
    sheet.save()
    return out.getvalue()


def _upload(user: User, patient: Patient, *, name: str, content: bytes, description: str, at: dt.datetime) -> None:
    services.file_upload(
        actor=actor_for_user(user),
        patient_id=patient.pk,
        upload=ContentFile(content, name=name),
        description=description,
        accept_terms=True,
        now=at,
    )


def patient_files(now: dt.datetime | None = None) -> int:
    """Uploads the named patients' files (a few days before ``now``); returns how many were stored."""
    now = now or clock.now()
    stored = 0
    pacjent2 = Patient.objects.select_related("user").filter(user__username="pacjent2").first()
    if pacjent2 is not None and pacjent2.user is not None:
        _upload(
            pacjent2.user,
            pacjent2,
            name="IMG_5229.JPEG",
            content=skin_photo(),
            description="Zmiana na skórze przedramienia",
            at=now - dt.timedelta(days=12, hours=3),
        )
        _upload(
            pacjent2.user,
            pacjent2,
            name="wypis_ze_szpitala.pdf",
            content=discharge_letter(name=pacjent2.full_name),
            description="Wypis ze szpitala 2026",
            at=now - dt.timedelta(days=5, hours=1),
        )
        stored += 2
    parent = Patient.objects.select_related("user").filter(user__username="rodzic").first()
    child = Patient.objects.filter(guardian=parent).order_by("birth_date", "pk").last() if parent else None
    if parent is not None and parent.user is not None and child is not None:
        _upload(
            parent.user,
            child,
            name="wysypka.jpg",
            content=skin_photo(seed=7),
            description="Wysypka na plecach od wczoraj",
            at=now - dt.timedelta(days=2),
        )
        stored += 1
    _attach_to_todays_visit(pacjent2, "Zmiana na skórze przedramienia", now)
    _attach_to_todays_visit(child, "Wysypka na plecach od wczoraj", now)
    return stored


def _attach_to_todays_visit(patient: Patient | None, description: str, now: dt.datetime) -> None:
    """TEL-3: the patient's photo attached, before it starts, to their visit today (the named visit with the demo
    clinician), through the service the visit page uses."""
    if patient is None:
        return
    visit = (
        Appointment.objects.filter(
            patient=patient,
            status=Appointment.Status.BOOKED,
            slot__starts_at__date=clock.local(now).date(),
            slot__clinician__user__username="lekarz",
        )
        .order_by("slot__starts_at")
        .select_related("slot")
        .first()
    )
    photo = PatientFile.objects.filter(patient=patient, description=description).first()
    guardian = patient.guardian if patient.guardian_id else patient
    if visit is None or photo is None or guardian is None or guardian.user is None:
        return
    attachments.file_attach(
        actor=actor_for_user(guardian.user),
        appointment_id=visit.pk,
        file_id=photo.pk,
        now=min(now, visit.slot.starts_at - dt.timedelta(hours=1)),
    )
