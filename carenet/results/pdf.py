"""Is an attached report really a harmless PDF? (CLN-3, FIL-2's rules for patients' uploads, issue 12.)

A laboratory's PDF is served to the patient, so it passes the same content checks as a patient's upload: it starts
with ``%PDF-``, pikepdf parses it, and it carries no JavaScript, no launch action, no embedded file, no XFA form and
no encryption. :func:`pdf_problem` says what is wrong, or ``None``. Pure: no Django.
"""

from __future__ import annotations

import io
from typing import Any

import pikepdf

#: The largest report stored (the message itself is capped at about 12 MB).
PDF_MAX_BYTES = 8 * 1024 * 1024
_MAX_NODES = 200_000
_FORBIDDEN_KEYS = frozenset({"/JS", "/JavaScript", "/EmbeddedFiles", "/EmbeddedFile", "/XFA", "/RichMedia"})
_FORBIDDEN_ACTIONS = frozenset({"/JavaScript", "/Launch", "/ImportData", "/RichMediaExecute", "/SubmitForm"})


def pdf_problem(data: bytes) -> str | None:
    """``None`` for an acceptable PDF, else a short English reason (``"not a PDF"``, ``"contains JavaScript"``…)."""
    if len(data) > PDF_MAX_BYTES:
        return "too large"
    if not data.startswith(b"%PDF-"):
        return "not a PDF"
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:
                return "encrypted"
            return _walk(pdf)
    except pikepdf.PasswordError:
        return "encrypted"
    except Exception:  # noqa: BLE001 - whatever pikepdf/qpdf raises, the file is not one we serve
        return "not a readable PDF"


def _walk(pdf: pikepdf.Pdf) -> str | None:
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [pdf.trailer]
    visited = 0
    while stack:
        node = stack.pop()
        visited += 1
        if visited > _MAX_NODES:
            return "too complex"
        if isinstance(node, pikepdf.Object) and node.is_indirect:
            key = node.objgen
            if key in seen:
                continue
            seen.add(key)
        if isinstance(node, pikepdf.Dictionary | pikepdf.Stream):
            keys = set(node.keys())
            if keys & _FORBIDDEN_KEYS:
                found = keys & _FORBIDDEN_KEYS
                return "contains JavaScript" if found & {"/JS", "/JavaScript"} else "contains embedded content"
            action = node.get("/S")
            if isinstance(action, pikepdf.Name) and str(action) in _FORBIDDEN_ACTIONS:
                return "contains JavaScript" if str(action) == "/JavaScript" else "contains a launch action"
            if node.get("/Type") == pikepdf.Name.Filespec and "/EF" in keys:
                return "contains embedded content"
            stack.extend(node.get(name) for name in keys)
        elif isinstance(node, pikepdf.Array):
            stack.extend(node)
    return None
