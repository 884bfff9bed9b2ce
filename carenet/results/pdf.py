"""Is an attached report really a harmless PDF? (CLN-3, FIL-2's rules for patients' uploads, issue 12.)

A laboratory's PDF is served to the patient, so it passes the same content check as a patient's upload
(:mod:`carenet.core.pdfs`): it starts with ``%PDF-``, pikepdf parses it, it is not encrypted and no object in it
carries active content. :func:`pdf_problem` says what is wrong, or ``None``. Pure: no Django.
"""

from __future__ import annotations

from carenet.core import pdfs

#: The largest report stored (the message itself is capped at about 12 MB).
PDF_MAX_BYTES = 8 * 1024 * 1024


def pdf_problem(data: bytes) -> str | None:
    """``None`` for an acceptable PDF, else a short English reason (``"not a PDF"``, ``"contains JavaScript"``…)."""
    if len(data) > PDF_MAX_BYTES:
        return "too large"
    if not data.startswith(b"%PDF-"):
        return "not a PDF"
    try:
        with pdfs.open_pdf(data) as pdf:
            pdfs.check_inert(pdf)
    except pdfs.PdfRefused as refused:
        return _reason(refused)
    return None


def _reason(refused: pdfs.PdfRefused) -> str:
    if refused.kind == "encrypted":
        return "encrypted"
    if refused.kind == "broken":
        return "not a readable PDF"
    if "JavaScript" in refused.detail or refused.detail == "/JS":
        return "contains JavaScript"
    if "Launch" in refused.detail:
        return "contains a launch action"
    if "Embedded" in refused.detail or "FileAttachment" in refused.detail or refused.detail == "/EF":
        return "contains embedded content"
    return "contains active content"
