"""Is a PDF inert? The one check of every PDF CareNet serves to a patient or a clinician — a patient's upload
(FIL-2) and a laboratory's report (CLN-3): pikepdf (qpdf) parses it, an encrypted one is refused, and so is one with
active content anywhere in it — every object is walked, not only the catalogue (JavaScript, launch actions, actions
run on opening or on events, embedded files and file attachments, rich media and 3D artwork, XFA forms, links to
local files or to other files). Pure: no Django.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any, Literal

import pikepdf

#: A PDF with more objects than this is refused (walking it would take too long).
MAX_PDF_OBJECTS = 200_000


class PdfRefused(Exception):
    """Why a PDF is not served: ``kind`` is ``encrypted``, ``broken`` or ``active``; ``detail`` names what was found
    (``/JavaScript``, ``/OpenAction/Launch``, ``/EmbeddedFiles`` …)."""

    def __init__(self, kind: Literal["encrypted", "broken", "active"], detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


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
#: holds gigabytes. qpdf's limits are process-wide: set once here, for every PDF CareNet reads.
MAX_INFLATED_BYTES = 64 * 1024 * 1024
pikepdf.settings.set_qpdf_limits(flate_max_memory=MAX_INFLATED_BYTES)


def open_pdf(data: bytes) -> pikepdf.Pdf:
    """The parsed PDF (the caller closes it); refused when it is encrypted or qpdf cannot read it."""
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as error:
        raise PdfRefused("encrypted") from error
    except Exception as error:
        raise PdfRefused("broken", repr(error)) from error
    if pdf.is_encrypted:  # opened with the empty password: still encrypted, still refused
        pdf.close()
        raise PdfRefused("encrypted")
    return pdf


def check_inert(pdf: pikepdf.Pdf) -> None:
    """Refuses a PDF with too many objects, no pages, or active content in any object."""
    try:
        objects = pdf.objects
        if len(objects) > MAX_PDF_OBJECTS:
            raise PdfRefused("broken", "too many objects")
        if len(pdf.pages) == 0:
            raise PdfRefused("broken", "no pages")
        _check_inert(pdf.trailer)
        for obj in objects:
            _check_inert(obj)
    except PdfRefused:
        raise
    except Exception as error:
        raise PdfRefused("broken", repr(error)) from error


def _check_inert(root: Any) -> None:
    """Refuses active content in ``root`` and every direct object inside it (indirect ones are walked on their own,
    as the caller walks every object of the file)."""
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        obj, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise PdfRefused("broken", "nested too deep")
        if isinstance(obj, pikepdf.Stream | pikepdf.Dictionary):
            if obj.get("/S") == pikepdf.Name.Thread and "/F" in obj:  # an article in another file, like /GoToR
                raise PdfRefused("active", "/Thread")
            for key in list(obj.keys()):
                if key in _ACTIVE_KEYS:
                    raise PdfRefused("active", key)
                value = obj.get(key)
                if _active_value(key, value):
                    raise PdfRefused("active", _named(key, value))
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


def _named(key: str, value: Any) -> str:
    """What was found, for the refusal: the key, and for an action run on opening the action's type too."""
    if key == "/OpenAction" and isinstance(value, pikepdf.Dictionary):
        return f"/OpenAction{value.get('/S', '')}"
    return key
