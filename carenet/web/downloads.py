"""Serving a stored private file (a patient's file, FIL-2; a result's PDF report, CLN-3) to someone the caller has
already checked: always as a download, never rendered by the browser, never cached by anything in between."""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase

from carenet.core.names import clean_file_name


def download_name(name: str, *, default: str = "plik") -> str:
    """A download name safe in a header and on any disk (:func:`carenet.core.names.clean_file_name`)."""
    return clean_file_name(name, default=default)


def private_file_response(stored: FieldFile, *, filename: str, content_type: str) -> HttpResponseBase:
    """A stored file as an attachment with its checked content type: ``Content-Disposition: attachment``,
    ``X-Content-Type-Options: nosniff``, ``Cache-Control: private, no-store``; 404 when the stored file is gone."""
    try:
        handle = stored.open("rb")
    except (FileNotFoundError, OSError):
        return HttpResponse(status=404)
    response = FileResponse(handle, as_attachment=True, filename=download_name(filename), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
