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
from decimal import Decimal
from typing import IO, Any

import pikepdf
from PIL import Image, ImageOps

from carenet.files.policies import FileRefusal

#: Images larger than this many pixels are refused as decompression bombs (40 megapixels: a phone's photo is 12–50;
#: decoded, 40 MP of RGBA is 160 MB of memory at most).
MAX_PIXELS = 40_000_000
#: The longest side accepted, whatever the area (a 1 × 40 000 000 strip is a bomb too).
MAX_SIDE = 12_000
#: A PDF with more objects than this is refused (walking it would take too long).
MAX_PDF_OBJECTS = 200_000
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

#: Keys whose mere presence is active content (or a carrier of it), wherever they are.
_ACTIVE_KEYS = {
    "/JS",
    "/JavaScript",
    "/AA",
    "/Launch",
    "/EmbeddedFiles",
    "/EmbeddedFile",
    "/EF",
    "/RichMedia",
    "/RichMediaContent",
    "/RichMediaSettings",
    "/XFA",
    "/3DD",  # 3D artwork (it runs its own scripts)
    "/OnInstantiate",  # the script of a 3D artwork
}
#: Values of ``/S`` (action types) and ``/Subtype`` / ``/Type`` that are active content.
_ACTIVE_NAMES = {
    "/JavaScript",
    "/Launch",
    "/ImportData",
    "/SubmitForm",
    "/GoToE",
    "/GoToR",
    "/RichMediaExecute",
    "/Rendition",
    "/Movie",
    "/Sound",
    "/FileAttachment",
    "/RichMedia",
    "/Screen",
    "/EmbeddedFile",
    "/3D",
    "/GoTo3DView",
}
_MAX_DEPTH = 64
#: The most a compressed stream qpdf must read (an object stream) may inflate to: a kilobyte of nested /FlateDecode
#: holds gigabytes. qpdf's limits are process-wide; the other reader of PDFs (results' reports) only parses too.
MAX_INFLATED_BYTES = 64 * 1024 * 1024
pikepdf.settings.set_qpdf_limits(flate_max_memory=MAX_INFLATED_BYTES)


def _disarm_pdf(data: bytes) -> bytes:
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as error:
        raise FileRefused(FileRefusal.PDF_ENCRYPTED) from error
    except Exception as error:
        raise FileRefused(FileRefusal.PDF_BROKEN, repr(error)) from error
    with pdf:
        if pdf.is_encrypted:  # opened with the empty password: still encrypted, still refused
            raise FileRefused(FileRefusal.PDF_ENCRYPTED)
        try:
            objects = pdf.objects
            if len(objects) > MAX_PDF_OBJECTS:
                raise FileRefused(FileRefusal.PDF_BROKEN, "too many objects")
            if len(pdf.pages) == 0:
                raise FileRefused(FileRefusal.PDF_BROKEN, "no pages")
            _check_inert(pdf.trailer)
            for obj in objects:
                _check_inert(obj)
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
        except FileRefused:
            raise
        except Exception as error:
            raise FileRefused(FileRefusal.PDF_BROKEN, repr(error)) from error
    return out.getvalue()


def _check_inert(root: Any) -> None:
    """Refuses active content in ``root`` and every direct object inside it (indirect ones are walked on their own,
    as the caller walks every object of the file)."""
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        obj, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise FileRefused(FileRefusal.PDF_BROKEN, "nested too deep")
        if isinstance(obj, pikepdf.Stream | pikepdf.Dictionary):
            if obj.get("/S") == pikepdf.Name.Thread and "/F" in obj:  # an article in another file, like /GoToR
                raise FileRefused(FileRefusal.PDF_ACTIVE, "/Thread")
            for key in list(obj.keys()):
                if key in _ACTIVE_KEYS:
                    raise FileRefused(FileRefusal.PDF_ACTIVE, key)
                value = obj.get(key)
                if _active_value(key, value):
                    raise FileRefused(FileRefusal.PDF_ACTIVE, key)
                if isinstance(value, pikepdf.Object) and not value.is_indirect:
                    stack.append((value, depth + 1))
        elif isinstance(obj, pikepdf.Array):
            for item in obj:
                if isinstance(item, pikepdf.Object) and not item.is_indirect:
                    stack.append((item, depth + 1))


def _active_value(key: str, value: Any) -> bool:
    """An action or annotation type that runs or carries something, a link to a local file, an action on opening
    the document other than going to a page."""
    if key in ("/S", "/Subtype", "/Type") and isinstance(value, pikepdf.Name):
        return str(value) in _ACTIVE_NAMES
    if key == "/URI" and isinstance(value, pikepdf.String):
        return not str(value).strip().lower().startswith(("http://", "https://", "mailto:"))
    if key == "/FontMatrix":  # six numbers; anything else ran as code in pdf.js (CVE-2024-4367)
        return not isinstance(value, pikepdf.Array) or not all(
            isinstance(item, int | float | Decimal) for item in value
        )
    if key == "/OpenAction" and isinstance(value, pikepdf.Dictionary):
        # Only "go to a page" — and nothing chained after it (/Next would run on opening too).
        return bool(value.get("/S") != pikepdf.Name.GoTo or "/Next" in value)
    return False
