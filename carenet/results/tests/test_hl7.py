"""Reading HL7 v2 text and answering it (CLN-3, issue 12): no database. Random text never raises anything but
MessageError; the ACK is always a well-formed message."""

from __future__ import annotations

import base64
import datetime as dt
import io
from decimal import Decimal

import pikepdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carenet.results import hl7, samples
from carenet.results.models import InboundMessage, Observation, Result
from carenet.results.pdf import pdf_problem

AT = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


def sample(**overrides) -> str:
    fields = {
        "pesel": "85051700017",
        "family_name": "Kowalska|^~\\&",
        "given_name": "Anna",
        "orders": [samples.SampleOrder(panel="lipidogram", values={"2093-3": Decimal(231)}, placer_order_number="CN7")],
        "at": AT,
        "control_id": "C1",
    }
    return hl7.clean(samples.oru_message(**(fields | overrides)))


def test_a_panel_is_read_into_plain_data() -> None:
    message = hl7.read_results(sample())
    assert (message.header.sender, message.header.control_id, message.header.message_type) == (
        "ALAB^ALAB-WAW",
        "C1",
        "ORU^R01",
    )
    assert message.header.sent_at == AT
    assert message.patient.identifiers == (("85051700017", "", "PESEL"),)
    assert message.patient.family_name == "Kowalska|^~\\&"  # escaped by the sender, unescaped by the library
    (order,) = message.orders
    assert (order.placer_order_number, order.code, order.coding_system, order.status) == ("CN7", "57698-3", "LN", "F")
    assert order.collected_at == AT - dt.timedelta(hours=4) and order.reported_at == AT
    first = order.observations[0]
    assert (first.value_type, first.code, first.value, first.unit, first.reference_range, first.abnormal_flag) == (
        "NM",
        "2093-3",
        "231",
        "mg/dl",
        "<190",
        "H",
    )


def test_an_imaging_report_keeps_its_lines_and_its_pdf() -> None:
    message = hl7.read_results(sample(orders=[samples.SampleOrder(panel="rtg", with_pdf=True)]))
    (order,) = message.orders
    text, attachment = order.observations
    assert text.value_type == "TX" and "\nWniosek:" in text.value
    assert attachment.attachment is not None and attachment.attachment.mime_type == "application/pdf"
    assert attachment.attachment.data.startswith(b"%PDF-") and pdf_problem(attachment.attachment.data) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20261120", dt.datetime(2026, 11, 19, 23, 0, tzinfo=dt.UTC)),
        ("202611201015", dt.datetime(2026, 11, 20, 9, 15, tzinfo=dt.UTC)),
        ("20260701101500.1234", dt.datetime(2026, 7, 1, 8, 15, tzinfo=dt.UTC)),
        ("20261120101500+0000", dt.datetime(2026, 11, 20, 10, 15, tzinfo=dt.UTC)),
        ("", None),
    ],
)
def test_timestamps_are_warsaw_time_unless_they_say(value: str, expected: dt.datetime | None) -> None:
    assert hl7.parse_timestamp(value, "X") == expected


@pytest.mark.parametrize("value", ["99991231", "18000101", "2026133", "20260230", "2026-11-20", "20261120+9999", "x"])
def test_unreadable_or_absurd_timestamps_are_refused(value: str) -> None:
    with pytest.raises(hl7.MessageError):
        hl7.parse_timestamp(value, "X")


def test_the_ack_references_the_message_and_escapes_its_reason() -> None:
    ack = hl7.build_ack(sample(), code="AE", reason="Brak | pacjenta ^ ł", ack_id="CN5", at=AT)
    msh, msa = ack.rstrip("\r").split("\r")
    assert msh.startswith("MSH|^~\\&|CARENET|CARENET|ALAB|ALAB-WAW^Laboratorium ALAB Warszawa|20261120110000+0100||")
    assert "|ACK^R01^ACK|CN5|P|2.5|" in msh and msh.endswith("|UNICODE UTF-8")
    assert msa == "MSA|AE|C1|Brak \\F\\ pacjenta \\S\\ ł"
    assert hl7.build_ack(sample(), code="AE", reason="Brak | pacjenta ^ ł", ack_id="CN5", at=AT) == ack


def test_the_field_limits_are_the_columns() -> None:
    columns = {
        "sender": InboundMessage._meta.get_field("sender"),
        "control_id": InboundMessage._meta.get_field("control_id"),
        "order_number": Result._meta.get_field("placer_order_number"),
        "code": Observation._meta.get_field("code"),
        "coding_system": Observation._meta.get_field("coding_system"),
        "name": Observation._meta.get_field("name"),
        "value": Observation._meta.get_field("value"),
        "unit": Observation._meta.get_field("unit"),
        "reference_range": Observation._meta.get_field("reference_range"),
        "abnormal_flag": Observation._meta.get_field("abnormal_flag"),
        "performed_by": Result._meta.get_field("performed_by"),
        "patient_name": InboundMessage._meta.get_field("patient_name"),
    }
    assert {name: column.max_length for name, column in columns.items()} == hl7.LIMITS
    assert Result._meta.get_field("name").max_length == hl7.LIMITS["name"]


def _mutations(text: str) -> st.SearchStrategy[str]:
    return st.builds(
        lambda start, end, insert: text[:start] + insert + text[end:],
        st.integers(0, len(text)),
        st.integers(0, len(text)),
        st.text(alphabet=st.sampled_from("|^~\\&\r\n\x00\x0b\x1cMSHOBXPID0129.-+ ąę🙂"), max_size=30),
    )


BASE = sample(orders=[samples.SampleOrder(panel="morfologia"), samples.SampleOrder(panel="usg")])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.text(max_size=50).map(lambda t: "MSH" + t), _mutations(BASE)))
def test_random_text_never_raises_anything_but_a_message_error_and_always_gets_an_ack(text: str) -> None:
    cleaned = hl7.clean(text)
    try:
        hl7.read_header(cleaned)
        hl7.read_results(cleaned)
    except hl7.MessageError as error:
        assert error.key in hl7.ERROR_KEYS
    ack = hl7.build_ack(cleaned, code="AR", reason="x", ack_id="CN1", at=AT)
    assert ack.startswith("MSH|^~\\&|") and "\rMSA|AR|" in ack and ack.endswith("\r")


def _pdf(**catalog: object) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    for key, value in catalog.items():
        pdf.Root[f"/{key}"] = value
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _encrypted() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(owner="o", user="u"))
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (_pdf(), None),
        (b"", "not a PDF"),
        (b"%PDF-1.7\n garbage", "not a readable PDF"),
        (b"GIF89a" + _pdf(), "not a PDF"),
        (_pdf(OpenAction=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("x"))), "contains JavaScript"),
        (_pdf(OpenAction=pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe"))), "launch"),
        (_pdf(Names=pikepdf.Dictionary(EmbeddedFiles=pikepdf.Dictionary(Names=pikepdf.Array()))), "embedded"),
        (_encrypted(), "encrypted"),
        # The same check as patients' uploads (carenet.core.pdfs), holes the uploads' review closed included: an
        # address opened on opening chained after "go to page", a form submitted elsewhere.
        (
            _pdf(
                OpenAction=pikepdf.Dictionary(
                    S=pikepdf.Name.GoTo,
                    D=pikepdf.Array([0, pikepdf.Name.Fit]),
                    Next=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://x.example")),
                )
            ),
            "contains",
        ),
        (_pdf(AcroForm=pikepdf.Dictionary(S=pikepdf.Name.SubmitForm)), "contains"),
    ],
)
def test_only_a_harmless_pdf_is_kept(data: bytes, problem: str | None) -> None:
    found = pdf_problem(data)
    assert found == problem if problem is None else (found is not None and problem in found)


def test_an_ed_that_is_not_base64_is_refused() -> None:
    text = sample() + "\rOBX|9|ED|PDF^Raport||^application^pdf^Base64^not*base64!||||||F"
    with pytest.raises(hl7.MessageError) as refused:
        hl7.read_results(text)
    assert refused.value.key == "bad_attachment"
    ok = sample() + "\rOBX|9|ED|PDF^Raport||^application^pdf^Base64^" + base64.b64encode(b"%PDF-").decode() + "||||||F"
    assert hl7.read_results(ok).orders[0].observations[-1].attachment.data == b"%PDF-"
