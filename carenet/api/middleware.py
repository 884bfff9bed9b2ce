"""The API's edge (issue 10): every answer under ``/api/`` is JSON ``{"code", "message"}``, also when Django, not
the API, answers — a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413), a path the API does not have (404), a method
an operation does not have (405), an unexpected error (500, without its details)."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

API_PREFIX = "/api/"
#: FIL-1: the one endpoint whose body may be larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` — a patient's file upload,
#: up to ``CARENET_FILE_MAX_BYTES`` plus this much room for the multipart envelope and the form's other fields.
FILE_UPLOAD_PATH = f"{API_PREFIX}v1/files"
FILE_UPLOAD_FORM_ROOM = 64 * 1024


def _file_upload_limit(request: HttpRequest) -> int | None:
    if request.method == "POST" and request.path.rstrip("/") == FILE_UPLOAD_PATH:
        return int(settings.CARENET_FILE_MAX_BYTES) + FILE_UPLOAD_FORM_ROOM
    return None


def _read_body(request: HttpRequest, *, limit: int) -> None:
    """``request.body`` with ``limit`` instead of ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (Django's own property, with the
    other limit): a body declared over it is refused before a byte of it is read."""
    if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
        raise RequestDataTooBig
    body = request.read()
    request._body = body  # what HttpRequest.body keeps, so later reads see it
    request._stream = BytesIO(body)


#: status → (code, message) of the answers Django writes itself.
_ANSWERS = {
    400: ("bad_request", _("The request could not be read.")),
    403: ("forbidden", _("You may not do this.")),
    404: ("not_found", _("Not found.")),
    405: ("method_not_allowed", _("This method is not allowed here.")),
    413: ("payload_too_large", _("The request body is too large.")),
    500: ("server_error", _("Something went wrong on our side. Please try again later.")),
}


def error_answer(request: HttpRequest, status: int) -> JsonResponse:
    code, message = _ANSWERS.get(status, (f"http_{status}", _("The request failed.")))
    # In the caller's language: outside the view, LocaleMiddleware's choice is no longer in force.
    with translation.override(translation.get_language_from_request(request)):
        return JsonResponse({"code": code, "message": str(message)}, status=status)


class ApiEdgeMiddleware:
    """Put it before any middleware that reads the body (CSRF): the body is read here first, so a body over the
    limit answers 413 JSON wherever it would have been read, with DEBUG on or off."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        try:
            upload_limit = _file_upload_limit(request)
            if upload_limit is not None:
                _read_body(request, limit=upload_limit)
            else:
                request.body  # noqa: B018 - reading it checks DATA_UPLOAD_MAX_MEMORY_SIZE once, here
        except RequestDataTooBig:
            return error_answer(request, 413)
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith("application/json"):
            answer = error_answer(request, response.status_code)
            if response.has_header("Allow"):
                answer["Allow"] = response["Allow"]
            return answer
        return response
