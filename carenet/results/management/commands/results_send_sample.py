"""``manage.py results_send_sample``: send a realistic HL7 v2.5 ``ORU^R01`` to the MLLP listener and print its ACK.

A Polish lab panel (morfologia, lipidogram, TSH, glukoza) or an imaging report (USG) with a PDF report, for the
patient with ``--pesel`` (default: the demo's ``pacjent2``); ``--file`` sends a message from a file instead (any
line ends). Uses the same message builder as the demo and the tests (:mod:`carenet.results.samples`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from carenet.accounts.models import Patient
from carenet.core import clock
from carenet.results import mllp, samples


class Command(BaseCommand):
    help = "Send a sample ORU^R01 result message over MLLP and print the acknowledgement."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.CARENET_MLLP_HOST)
        parser.add_argument("--port", type=int, default=settings.CARENET_MLLP_PORT)
        parser.add_argument("--pesel", default="", help="The patient's PESEL (default: the demo's pacjent2).")
        parser.add_argument("--kind", choices=("lab", "imaging"), default="lab")
        parser.add_argument("--file", default="", help="Send this file's HL7 message instead of a built one.")

    def handle(self, *args: Any, host: str, port: int, pesel: str, kind: str, file: str, **options: Any) -> None:
        if file:
            try:
                message = Path(file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise CommandError(f"Cannot read {file}: {error}") from error
        else:
            message = self._built(pesel, kind)
        try:
            answers = asyncio.run(mllp.send(host, port, [message]))
        except (OSError, TimeoutError) as error:
            raise CommandError(
                f"No MLLP listener at {host}:{port} ({error}). Start it: manage.py results_listen"
            ) from error
        for answer in answers:
            self.stdout.write(answer.replace("\r", "\n").strip())

    def _built(self, pesel: str, kind: str) -> str:
        patient = (
            Patient.objects.filter(pesel=pesel).first()
            if pesel
            else Patient.objects.filter(user__username="pacjent2").first()
        )
        if patient is None and not pesel:
            raise CommandError("No demo patient pacjent2: give --pesel.")
        now = clock.now()
        if kind == "imaging":
            orders = [samples.SampleOrder(panel="usg", with_pdf=True)]
        else:
            orders = [
                samples.SampleOrder(panel=name, with_pdf=name == "lipidogram")
                for name in ("morfologia", "lipidogram", "tsh", "glukoza")
            ]
        return samples.oru_message(
            pesel=pesel or (patient.pesel if patient else ""),
            family_name=patient.last_name if patient else "Nieznany",
            given_name=patient.first_name if patient else "Pacjent",
            birth_date=patient.birth_date if patient else None,
            sex=patient.sex if patient else "",
            orders=orders,
            at=now,
            sender=samples.IMAGING_SENDER if kind == "imaging" else samples.LAB_SENDER,
        )
