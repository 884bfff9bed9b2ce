"""Complaints and insurance claims in the demo (FBK-2, FBK-3): cases in every state, filed and handled through the
services the doors use, with ``now`` in the past — so their case numbers, answer dates, statuses and the patients'
notices are exactly what real cases leave behind.

Complaints: pacjent2's answered one and one being handled; pacjent1's new one filed in the portal today; the call
centre's (``infolinia``) for callers — one past its statutory answer date, one due within days. Claims: pacjent2's
accepted claim and one just submitted; others under review (taken by ``koordynator``) and rejected — each with its
documents (an invoice PDF, a photo of a receipt), checked and disarmed like any upload.
"""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from carenet.accounts.models import Patient, User
from carenet.accounts.permissions import Channel
from carenet.accounts.selectors import actor_for_user
from carenet.booking.models import Appointment
from carenet.complaints import services
from carenet.complaints.models import Claim, Complaint
from carenet.core import clock


def invoice_pdf(*, number: str, service: str, amount: str) -> bytes:
    """A one-page invoice of a private provider (text only)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    sheet = canvas.Canvas(out, pagesize=A4, invariant=True)
    sheet.setTitle(f"Faktura {number}")
    lines = [
        "Centrum Diagnostyczne Obraz Sp. z o.o., ul. Grójecka 12, 02-301 Warszawa",
        f"FAKTURA nr {number}",
        f"Usługa: {service}",
        f"Kwota do zapłaty: {amount} zł (zapłacono kartą)",
    ]
    for index, line in enumerate(lines):
        sheet.drawString(60, 780 - index * 22, line)
    sheet.showPage()
    sheet.save()
    return out.getvalue()


def receipt_photo() -> bytes:
    """A phone photo of a pharmacy receipt."""
    picture = Image.new("RGB", (600, 900), (236, 232, 224))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((120, 80, 480, 820), fill=(252, 252, 248))
    for row in range(18):
        draw.line((150, 130 + row * 36, 150 + (row * 53) % 300, 130 + row * 36), fill=(60, 60, 60), width=6)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _patient(username: str) -> Patient | None:
    return Patient.objects.select_related("user").filter(user__username=username).first()


def _callers(count: int, *, with_login: bool = False) -> list[Patient]:
    """Adult patients of the demo network other than the named logins: the call centre's callers (``with_login``:
    those with a portal account, who submit claims themselves)."""
    named = ("pacjent1", "pacjent2", "rodzic")
    patients = Patient.objects.filter(guardian__isnull=True, birth_date__lte=dt.date(2000, 1, 1), mobile__gt="")
    if with_login:
        patients = patients.filter(user__isnull=False)
    return list(patients.exclude(user__username__in=named).select_related("user").order_by("pk")[:count])


def _last_visit(patient: Patient, now: dt.datetime) -> Appointment | None:
    return (
        Appointment.objects.filter(patient=patient, slot__starts_at__lt=now, slot__facility__isnull=False)
        .order_by("-slot__starts_at")
        .first()
    )


def _complaints(now: dt.datetime, staff: dict[str, User]) -> int:
    coordinator = actor_for_user(staff["koordynator"])
    call_centre = actor_for_user(staff["infolinia"])
    filed = 0
    pacjent2 = _patient("pacjent2")
    if pacjent2 is not None and pacjent2.user is not None:
        patient_actor = actor_for_user(pacjent2.user)
        visit = _last_visit(pacjent2, now - dt.timedelta(days=20))
        answered = services.complaint_file(
            actor=patient_actor,
            patient_id=pacjent2.pk,
            subject="Długie oczekiwanie w rejestracji",
            text=(
                "Na wizytę o 9:00 czekałam w kolejce do rejestracji 40 minut, przez co lekarz przyjął mnie z "
                "opóźnieniem. Proszę o wyjaśnienie i zmianę organizacji pracy rejestracji w godzinach porannych."
            ),
            appointment_id=visit.pk if visit is not None else None,
            door=Channel.PORTAL,
            now=now - dt.timedelta(days=22),
        )
        services.complaint_take(actor=coordinator, complaint_id=answered.pk, now=now - dt.timedelta(days=20))
        services.complaint_answer(
            actor=coordinator,
            complaint_id=answered.pk,
            text=(
                "Dziękujemy za zgłoszenie i przepraszamy za niedogodności. Od 1 grudnia w godzinach 7:30–10:00 "
                "pracują dwa dodatkowe stanowiska rejestracji, a pacjenci z wizytą mogą zgłosić przybycie w "
                "kiosku lub odpowiedzią TAK na SMS bez podchodzenia do okienka."
            ),
            now=now - dt.timedelta(days=6),
        )
        in_progress = services.complaint_file(
            actor=patient_actor,
            patient_id=pacjent2.pk,
            subject="Odwołana wizyta bez uprzedzenia",
            text=(
                "Moja wizyta u dermatologa została odwołana w dniu wizyty, a SMS dostałam dopiero po przyjeździe do "
                "placówki. Straciłam dzień urlopu. Proszę o pierwszeństwo przy nowym terminie."
            ),
            door=Channel.PORTAL,
            now=now - dt.timedelta(days=9),
        )
        services.complaint_take(actor=coordinator, complaint_id=in_progress.pk, now=now - dt.timedelta(days=8))
        filed += 2
    pacjent1 = _patient("pacjent1")
    if pacjent1 is not None and pacjent1.user is not None:
        services.complaint_file(
            actor=actor_for_user(pacjent1.user),
            patient_id=pacjent1.pk,
            subject="Nieczytelne zalecenia po wizycie",
            text="Zalecenia wydrukowane po wizycie były ucięte na dole strony i nie wiem, jak długo brać lek.",
            door=Channel.PORTAL,
            now=now - dt.timedelta(hours=3),
        )
        filed += 1
    callers = _callers(3)
    calls = (
        (
            36,
            "Niemiła obsługa na recepcji",
            "Pacjent dzwoni: w recepcji odmówiono mu wydania wyników bez podania przyczyny i podniesiono głos.",
        ),
        (
            27,
            "Brak informacji o przygotowaniu do badania",
            "Pacjentka dzwoni: nikt jej nie powiedział, że na USG jamy brzusznej trzeba przyjść na czczo; badanie "
            "przełożono.",
        ),
        (
            2,
            "Nieprawidłowo naliczona opłata",
            "Pacjent dzwoni: za konsultację objętą pakietem pobrano opłatę 180 zł. Prosi o zwrot.",
        ),
    )
    for caller, (days_ago, subject, text) in zip(callers, calls, strict=False):
        visit = _last_visit(caller, now - dt.timedelta(days=days_ago))
        complaint = services.complaint_file(
            actor=call_centre,
            patient_id=caller.pk,
            subject=subject,
            text=text,
            facility_id=visit.slot.facility_id if visit is not None else None,
            now=now - dt.timedelta(days=days_ago),
        )
        if days_ago == 27:  # taken, and its answer date is within days
            services.complaint_take(actor=coordinator, complaint_id=complaint.pk, now=now - dt.timedelta(days=25))
        filed += 1
    return filed


def _claims(now: dt.datetime, staff: dict[str, User]) -> int:
    coordinator = actor_for_user(staff["koordynator"])
    submitted = 0
    pacjent2 = _patient("pacjent2")
    if pacjent2 is not None and pacjent2.user is not None:
        patient_actor = actor_for_user(pacjent2.user)
        accepted = services.claim_file(
            actor=patient_actor,
            patient_id=pacjent2.pk,
            subject="Zwrot kosztów rezonansu kolana",
            description=(
                "Rezonans magnetyczny kolana lewego wykonany prywatnie 14 października, bo w sieci nie było terminu "
                "w ciągu 30 dni od skierowania. Wnoszę o zwrot 850 zł."
            ),
            uploads=[
                ContentFile(
                    invoice_pdf(number="FV/2026/10/0412", service="MR kolana lewego", amount="850,00"),
                    name="faktura_rezonans.pdf",
                )
            ],
            door=Channel.PORTAL,
            now=now - dt.timedelta(days=40),
        )
        services.claim_review(actor=coordinator, claim_id=accepted.pk, now=now - dt.timedelta(days=37))
        services.claim_decide(
            actor=coordinator,
            claim_id=accepted.pk,
            accepted=True,
            decision=(
                "Roszczenie uznane w całości: badanie było objęte pakietem, a sieć nie zapewniła terminu. Kwota "
                "850,00 zł zostanie przelana na rachunek podany w profilu w ciągu 14 dni."
            ),
            now=now - dt.timedelta(days=30),
        )
        services.claim_file(
            actor=patient_actor,
            patient_id=pacjent2.pk,
            subject="Zwrot za leki po zabiegu",
            description="Leki przepisane po zabiegu w szpitalu partnerskim, paragon z apteki w załączeniu.",
            uploads=[ContentFile(receipt_photo(), name="paragon.jpg")],
            door=Channel.PORTAL,
            now=now - dt.timedelta(days=1),
        )
        submitted += 2
    for index, caller in enumerate(_callers(2, with_login=True)):
        if caller.user is None:
            continue
        claim = services.claim_file(
            actor=actor_for_user(caller.user),
            patient_id=caller.pk,
            subject=("Pobyt w szpitalu po wypadku" if index == 0 else "Zwrot kosztów wizyty prywatnej"),
            description=(
                "Hospitalizacja 3 dni po złamaniu nadgarstka na nartach; wnoszę o świadczenie szpitalne z polisy."
                if index == 0
                else "Wizyta u ortopedy poza siecią, bez skierowania i bez wcześniejszej zgody koordynatora."
            ),
            uploads=[
                ContentFile(
                    invoice_pdf(number=f"FV/2026/11/{700 + index}", service="Świadczenie", amount="420,00"),
                    name="dokument.pdf",
                )
            ],
            door=Channel.PORTAL,
            now=now - dt.timedelta(days=12 - index),
        )
        services.claim_review(actor=coordinator, claim_id=claim.pk, now=now - dt.timedelta(days=10 - index))
        if index == 1:
            services.claim_decide(
                actor=coordinator,
                claim_id=claim.pk,
                accepted=False,
                decision=(
                    "Roszczenie odrzucone: wizyty u lekarzy spoza sieci są objęte pakietem tylko za wcześniejszą "
                    "zgodą koordynatora (OWU, § 7 ust. 2). Można odwołać się w ciągu 30 dni."
                ),
                now=now - dt.timedelta(days=3),
            )
        submitted += 1
    return submitted


def demo_complaints(now: dt.datetime | None = None) -> str:
    """Builds the demo's complaints and claims; returns a line for the builder's progress."""
    now = now or clock.now()
    staff = {user.username: user for user in User.objects.filter(username__in=("koordynator", "infolinia"))}
    if len(staff) < 2:
        return "complaints and claims (no coordinator or call-centre login: none)"
    complaints = _complaints(now, staff)
    claims = _claims(now, staff)
    open_complaints = Complaint.objects.exclude(status=Complaint.Status.ANSWERED).count()
    undecided = Claim.objects.filter(decided_at__isnull=True).count()
    return (
        f"complaints and claims ({complaints} complaints, {open_complaints} open; {claims} claims, "
        f"{undecided} undecided)"
    )
