"""Realistic HL7 v2.5 ``ORU^R01`` messages, as a Polish laboratory or imaging department sends them (CLN-3).

One builder for the sample command (``manage.py results_send_sample``), the demo and the tests: a lab panel
(morfologia, lipidogram, TSH, glukoza — LOINC codes, Polish names, reference ranges and flags) or an imaging report
(USG/RTG text), each optionally with a PDF report made with reportlab (DejaVu Sans, so Polish letters print).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from carenet.results.hl7 import escape, ts

LAB_SENDER = ("ALAB", "ALAB-WAW", "Laboratorium ALAB Warszawa")
IMAGING_SENDER = ("RIS", "DIAG-WAW", "Pracownia Diagnostyki Obrazowej Warszawa")
FONTS_DIR = Path(__file__).resolve().parent.parent / "coverage" / "fonts"


@dataclass(frozen=True, slots=True)
class Analyte:
    code: str  # LOINC
    name: str
    unit: str
    low: Decimal | None
    high: Decimal | None
    digits: int = 1


# Morfologia, lipidogram, TSH, glukoza: LOINC codes, Polish names, adult reference ranges.
PANELS: dict[str, tuple[str, str, tuple[Analyte, ...]]] = {
    "morfologia": (
        "58410-2",
        "Morfologia krwi",
        (
            Analyte("6690-2", "Leukocyty (WBC)", "tys/µl", Decimal("4.0"), Decimal("10.0")),
            Analyte("789-8", "Erytrocyty (RBC)", "mln/µl", Decimal("4.2"), Decimal("5.4"), 2),
            Analyte("718-7", "Hemoglobina (HGB)", "g/dl", Decimal("12.0"), Decimal("16.0")),
            Analyte("4544-3", "Hematokryt (HCT)", "%", Decimal("37.0"), Decimal("47.0")),
            Analyte("777-3", "Płytki krwi (PLT)", "tys/µl", Decimal("150"), Decimal("400"), 0),
        ),
    ),
    "lipidogram": (
        "57698-3",
        "Lipidogram",
        (
            Analyte("2093-3", "Cholesterol całkowity", "mg/dl", None, Decimal("190"), 0),
            Analyte("13457-7", "Cholesterol LDL", "mg/dl", None, Decimal("115"), 0),
            Analyte("2085-9", "Cholesterol HDL", "mg/dl", Decimal("45"), None, 0),
            Analyte("2571-8", "Triglicerydy", "mg/dl", None, Decimal("150"), 0),
        ),
    ),
    "tsh": ("3016-3", "TSH", (Analyte("3016-3", "TSH", "µIU/ml", Decimal("0.27"), Decimal("4.2"), 2),)),
    "glukoza": (
        "2345-7",
        "Glukoza na czczo",
        (Analyte("2345-7", "Glukoza", "mg/dl", Decimal("70"), Decimal("99"), 0),),
    ),
}


@dataclass
class SampleOrder:
    """One exam of a message: a panel with values, or an imaging report."""

    panel: str = "morfologia"  # a key of PANELS, or "usg"/"rtg"
    values: dict[str, Decimal] = field(default_factory=dict)  # LOINC → value; missing: a value within the range
    status: str = "F"
    placer_order_number: str = ""
    filler_order_number: str = ""
    report_text: str = ""
    with_pdf: bool = False


IMAGING = {
    "usg": (
        "88.761",
        "USG jamy brzusznej",
        "US",
        "Wątroba niepowiększona, o prawidłowej echogeniczności, bez zmian ogniskowych. Pęcherzyk żółciowy bez złogów. "
        "Trzustka w dostępnych fragmentach bez zmian. Nerki prawidłowej wielkości, bez cech zastoju i złogów. "
        "Śledziona niepowiększona.\nWniosek: obraz USG jamy brzusznej w normie.",
    ),
    "rtg": (
        "87.441",
        "RTG klatki piersiowej PA",
        "RX",
        "Pola płucne bez zmian ogniskowych i naciekowych. Kąty przeponowo-żebrowe wolne. Sylwetka serca "
        "w normie.\nWniosek: obraz RTG klatki piersiowej bez odchyleń od normy.",
    ),
}


def _flag(value: Decimal, analyte: Analyte) -> str:
    if analyte.low is not None and value < analyte.low:
        return "L"
    if analyte.high is not None and value > analyte.high:
        return "H"
    return "N"


def _range(analyte: Analyte) -> str:
    if analyte.low is not None and analyte.high is not None:
        return f"{analyte.low}-{analyte.high}"
    return f"<{analyte.high}" if analyte.high is not None else f">{analyte.low}"


def _normal(analyte: Analyte) -> Decimal:
    low = analyte.low if analyte.low is not None else (analyte.high or Decimal(1)) / 2
    high = analyte.high if analyte.high is not None else low * 2
    return ((low + high) / 2).quantize(Decimal(1).scaleb(-analyte.digits))


def report_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page A4 report (DejaVu Sans for the Polish letters), as a laboratory's system would attach."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(FONTS_DIR / "DejaVuSans.ttf")))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle(title)
    width, height = A4
    y = height - 25 * mm
    pdf.setFont("DejaVuSans", 14)
    pdf.drawString(20 * mm, y, title)
    pdf.setFont("DejaVuSans", 10)
    y -= 10 * mm
    for line in lines:
        for part in simpleSplit(line, "DejaVuSans", 10, width - 40 * mm) or [""]:
            pdf.drawString(20 * mm, y, part)
            y -= 5 * mm
            if y < 20 * mm:
                pdf.showPage()
                pdf.setFont("DejaVuSans", 10)
                y = height - 25 * mm
    pdf.save()
    return buffer.getvalue()


def oru_message(
    *,
    pesel: str,
    family_name: str,
    given_name: str,
    birth_date: dt.date | None = None,
    sex: str = "",
    orders: list[SampleOrder],
    at: dt.datetime,
    control_id: str | None = None,
    sender: tuple[str, str, str] = LAB_SENDER,
) -> str:
    """An ORU^R01 2.5 for one patient with one ORC/OBR group per order; segments separated by carriage returns."""
    control_id = control_id or f"{sender[0]}{at:%Y%m%d%H%M%S}{secrets.token_hex(3).upper()}"
    app, facility_code, facility_name = sender
    segments = [
        f"MSH|^~\\&|{app}|{escape(facility_code)}^{escape(facility_name)}|CARENET|CARENET|{ts(at)}||ORU^R01^ORU_R01|"
        f"{escape(control_id)}|P|2.5|||AL|NE|POL|UNICODE UTF-8",
        f"PID|1||{pesel}^^^&2.16.840.1.113883.3.4424.1.1.616&ISO^PESEL||{escape(family_name)}^{escape(given_name)}||"
        f"{birth_date.strftime('%Y%m%d') if birth_date else ''}|{sex}",
    ]
    for number, order in enumerate(orders, start=1):
        collected = at - dt.timedelta(hours=4)
        filler = order.filler_order_number or f"{facility_code}-{control_id}-{number}"[:60]
        if order.panel in IMAGING:
            code, name, section, default_text = IMAGING[order.panel]
            coding = "ICD9PL"
        else:
            code, name, _analytes = PANELS[order.panel]
            section, coding, default_text = "LAB", "LN", ""
        segments.append(f"ORC|RE|{escape(order.placer_order_number)}|{escape(filler)}||CM")
        segments.append(
            f"OBR|{number}|{escape(order.placer_order_number)}|{escape(filler)}|{code}^{escape(name)}^{coding}|||"
            f"{ts(collected)}|||||||||||||||{ts(at)}||{section}|{order.status}"
        )
        obx = 0
        pdf_lines = [f"Pacjent: {given_name} {family_name}, PESEL {pesel}", f"Data wyniku: {at:%d.%m.%Y %H:%M}", ""]
        if order.panel in IMAGING:
            text = order.report_text or default_text
            obx += 1
            segments.append(
                f"OBX|{obx}|TX|{code}^{escape(name)}^{coding}||{escape(text)}||||||{order.status}|||{ts(at)}"
            )
            pdf_lines += text.split("\n")
        else:
            for analyte in PANELS[order.panel][2]:
                value = order.values.get(analyte.code, _normal(analyte))
                value = value.quantize(Decimal(1).scaleb(-analyte.digits))
                obx += 1
                flag = _flag(value, analyte)
                segments.append(
                    f"OBX|{obx}|NM|{analyte.code}^{escape(analyte.name)}^LN||{value}|{escape(analyte.unit)}|"
                    f"{_range(analyte)}|{flag}|||{order.status}|||{ts(collected)}"
                )
                mark = "" if flag == "N" else f"  [{flag}]"
                pdf_lines.append(f"{analyte.name}: {value} {analyte.unit} (norma {_range(analyte)}){mark}")
        if order.with_pdf:
            data = base64.b64encode(report_pdf(f"{facility_name} — {name}", pdf_lines)).decode("ascii")
            obx += 1
            segments.append(f"OBX|{obx}|ED|PDF^Raport PDF||^application^pdf^Base64^{data}||||||{order.status}")
    return "\r".join(segments) + "\r"
