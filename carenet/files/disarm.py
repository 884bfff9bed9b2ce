"""Checking and disarming an uploaded file by its content, never by its name or the browser's word (FIL-2).

Bytes in, a disarmed file (or a refusal with a stable code) out:

* the real type comes from the first bytes (JPEG ``FF D8 FF``, PNG's signature, ``%PDF-`` at the very start);
  anything else — SVG, HTML, GIF, WebP, HEIC, ZIP, programs, text, nothing at all — is refused;
* a JPEG or PNG is decoded in full by Pillow (a declared size over :data:`MAX_PIXELS` is a decompression bomb and is
  refused before any pixel is decoded; a truncated or corrupt image is refused), turned upright by its EXIF
  orientation, and encoded again from its pixels alone: no EXIF (GPS), XMP, ICC profile, text chunks, nor anything
  appended after the image (a ZIP, a script) survives;
* a PDF is parsed by pikepdf (qpdf); an encrypted one is refused, and so is one with active content anywhere in it
  — every object is walked, not only the catalogue (JavaScript, launch actions, actions run on opening or on
  events, embedded files and file attachments, rich media and 3D artwork, XFA forms, links to local files); a PDF
  that passes is written out again, so bytes outside its objects (a polyglot's other half after ``%%EOF``)
  disappear.

No Django here: :mod:`carenet.files.services` passes the limits from the settings.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO

import pikepdf
from PIL import Image, ImageOps

from carenet.core import pdfs
from carenet.files.policies import FileRefusal

#: Images larger than this many pixels are refused as decompression bombs (40 megapixels: a phone's photo is 12–50;
#: decoded, 40 MP of RGBA is 160 MB of memory at most).
MAX_PIXELS = 40_000_000
#: The longest side accepted, whatever the area (a 1 × 40 000 000 strip is a bomb too).
MAX_SIDE = 12_000
JPEG_QUALITY = 90

_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"
_PDF = b"%PDF-"


class FileRefused(Exception):
    """The file cannot be stored; ``refusal`` says why (a stable code)."""

    def __init__(self, refusal: FileRefusal, detail: str = "") -> None:
        super().__init__(f"{refusal.value}: {detail}" if detail else refusal.value)
        self.refusal = refusal


@dataclass(frozen=True, slots=True)
class Disarmed:
    content: bytes
    content_type: str


def read_limited(stream: IO[bytes], *, max_bytes: int, size: int | None = None) -> bytes:
    """The bytes of an upload, refused as too large as soon as more than ``max_bytes`` arrive (a declared ``size``
    over the limit is refused before anything is read)."""
    if size is not None and size > max_bytes:
        raise FileRefused(FileRefusal.FILE_TOO_LARGE)
    chunks: list[bytes] = []
    total = 0
    while chunk := stream.read(min(1024 * 1024, max_bytes + 1 - total)):
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            raise FileRefused(FileRefusal.FILE_TOO_LARGE)
    return b"".join(chunks)


def sniff(data: bytes) -> str | None:
    """The content type the first bytes prove, or ``None`` for anything that is not a JPEG, a PNG or a PDF."""
    if data.startswith(_JPEG):
        return "image/jpeg"
    if data.startswith(_PNG):
        return "image/png"
    if data.startswith(_PDF):
        return "application/pdf"
    return None


def disarm(data: bytes, *, max_bytes: int) -> Disarmed:
    """The file disarmed (see the module), or :class:`FileRefused`."""
    if not data:
        raise FileRefused(FileRefusal.FILE_EMPTY)
    if len(data) > max_bytes:
        raise FileRefused(FileRefusal.FILE_TOO_LARGE)
    content_type = sniff(data)
    if content_type is None:
        raise FileRefused(FileRefusal.FILE_TYPE)
    if content_type == "application/pdf":
        content = _disarm_pdf(data)
    else:
        content = _disarm_image(data, fmt="JPEG" if content_type == "image/jpeg" else "PNG")
    if not content:
        raise FileRefused(FileRefusal.FILE_EMPTY)
    if len(content) > max_bytes:  # the stored size is the disarmed one, within the same limit
        raise FileRefused(FileRefusal.FILE_TOO_LARGE)
    return Disarmed(content=content, content_type=content_type)


# --- images ---------------------------------------------------------------------------------------------------


def _check_size(image: Image.Image) -> None:
    width, height = image.size
    if width <= 0 or height <= 0:
        raise FileRefused(FileRefusal.IMAGE_BROKEN, "no pixels")
    if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
        raise FileRefused(FileRefusal.IMAGE_BOMB, f"{width}x{height}")


def _disarm_image(data: bytes, *, fmt: str) -> bytes:
    with warnings.catch_warnings():
        # Pillow's own bomb check (against its global limit) is an error here, never a warning to ignore.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[fmt]) as probe:
                _check_size(probe)
                probe.verify()
            with Image.open(io.BytesIO(data), formats=[fmt]) as image:
                _check_size(image)
                if getattr(image, "n_frames", 1) != 1:  # an animated PNG: more than the one picture shown
                    raise FileRefused(FileRefusal.FILE_TYPE, "animated")
                image.load()
                pixels = _upright_pixels(image, fmt=fmt)
        except FileRefused:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise FileRefused(FileRefusal.IMAGE_BOMB, str(error)) from error
        except (OSError, SyntaxError, ValueError, TypeError, IndexError, KeyError, EOFError, MemoryError) as error:
            raise FileRefused(FileRefusal.IMAGE_BROKEN, str(error)) from error
        except Exception as error:
            raise FileRefused(FileRefusal.IMAGE_BROKEN, repr(error)) from error
    out = io.BytesIO()
    if fmt == "JPEG":
        pixels.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=False)
    else:
        pixels.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _upright_pixels(image: Image.Image, *, fmt: str) -> Image.Image:
    """A new image made of the pixels only (no ``info``: no EXIF, XMP, ICC, text), turned by its EXIF orientation."""
    try:
        turned = ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - an unreadable orientation is no orientation; the pixels are still checked
        turned = image
    if turned.mode.startswith("I;16") or turned.mode == "I":  # 16-bit greys: scaled to 8 bits, never clipped
        turned = turned.convert("I").point(lambda value: value / 256).convert("L")
    if fmt == "JPEG":
        mode = "L" if turned.mode in ("1", "L", "I", "I;16", "F") else "RGB"
    elif turned.mode in ("L", "RGB", "RGBA"):
        mode = turned.mode
    elif turned.mode in ("LA", "PA") or (turned.mode == "P" and "transparency" in turned.info):
        mode = "RGBA"
    else:
        mode = "RGB"
    converted = turned.convert(mode) if turned.mode != mode else turned
    return Image.frombytes(mode, converted.size, converted.tobytes())


# --- PDF ------------------------------------------------------------------------------------------------------


def _disarm_pdf(data: bytes) -> bytes:
    """The PDF written out again once :mod:`carenet.core.pdfs` finds it inert."""
    refusals = {
        "encrypted": FileRefusal.PDF_ENCRYPTED,
        "broken": FileRefusal.PDF_BROKEN,
        "active": FileRefusal.PDF_ACTIVE,
    }
    try:
        pdf = pdfs.open_pdf(data)
    except pdfs.PdfRefused as refused:
        raise FileRefused(refusals[refused.kind], refused.detail) from refused
    with pdf:
        try:
            pdfs.check_inert(pdf)
            out = io.BytesIO()
            pdf.save(
                out,
                linearize=False,
                object_stream_mode=pikepdf.ObjectStreamMode.generate,
                # Streams are copied as they came, never inflated (compressing them again would inflate them
                # first): a few kilobytes of nested /FlateDecode hold terabytes. The walk reads no stream data.
                compress_streams=False,
                stream_decode_level=pikepdf.StreamDecodeLevel.none,
                deterministic_id=True,
            )
        except pdfs.PdfRefused as refused:
            raise FileRefused(refusals[refused.kind], refused.detail) from refused
        except Exception as error:
            raise FileRefused(FileRefusal.PDF_BROKEN, repr(error)) from error
    return out.getvalue()
