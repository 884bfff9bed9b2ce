"""The JSON API (django-ninja): one router per domain, typed schemas, errors mapped to stable codes.

Every refusal answers ``{"code", "message"}`` with the status of its :class:`ApplicationError`; input the API cannot
read answers 422 ``invalid_input``; a missing or bad credential 401 ``unauthenticated``.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder

from carenet.api.routers import (
    appointments,
    attachments,
    auth,
    closures,
    collection,
    complaints,
    consultations,
    contact,
    documents,
    ecard,
    feedback,
    files,
    package,
    pregnancy,
    questions,
    renewals,
    results,
    slots,
)
from carenet.api.schemas import ErrorOut, InvalidInputOut, Out
from carenet.core.errors import ApplicationError


class FastJSONRenderer(BaseRenderer):
    """PERF (issue 16): every answer serialised once, by orjson, into the very JSON ninja's own renderer writes —
    dates, times, decimals, lazy texts and enums through ninja's encoder (``Z`` for UTC, milliseconds), the rest in
    C; non-ASCII characters as UTF-8 rather than escapes."""

    media_type = "application/json"
    _fallback = NinjaJSONEncoder().default

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return orjson.dumps(data, default=self._fallback, option=orjson.OPT_PASSTHROUGH_DATETIME)


api = NinjaAPI(
    renderer=FastJSONRenderer(),
    title="CareNet API",
    version="1",
    description=(
        "The JSON API of CareNet: slot search and booking for the mobile apps and the portal. Authenticate with "
        "`Authorization: Bearer <token>` (POST /auth/token) or the portal's session (with its CSRF token). Writes "
        "accept an `Idempotency-Key` header: the same key replays the first answer. Every error answers "
        '`{"code", "message"}` with a stable code.'
    ),
    urls_namespace="api",
)

__all__ = ["COMMON_ERRORS", "ErrorOut", "api"]

#: What any operation can answer besides its own refusals (issue 10): a body that is not JSON (400
#: ``invalid_json``), an id that names nothing (404 ``not_found``), a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413
#: ``payload_too_large``, answered by :class:`carenet.api.middleware.ApiEdgeMiddleware`) and input the schemas
#: refuse (422 ``invalid_input``). Added to every operation's documented answers below.
COMMON_ERRORS: dict[int, type] = {400: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: InvalidInputOut}


@api.exception_handler(ApplicationError)
def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return api.create_response(request, {"code": exc.code, "message": str(exc.message)}, status=exc.status_code)


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = [
        {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", ""))} for error in exc.errors
    ]
    first = details[0] if details else {"loc": [], "msg": ""}
    message = _("Invalid input: %(where)s: %(why)s") % {"where": ".".join(first["loc"]), "why": first["msg"]}
    return api.create_response(request, {"code": "invalid_input", "message": message, "details": details}, status=422)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"code": "unauthenticated", "message": _("Log in or send a valid bearer token.")}, status=401
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        # ninja's answer to a body json.loads cannot read; its text (with DEBUG, the parser's) is not for clients.
        message = _("The request body is not valid JSON.")
        return api.create_response(request, {"code": "invalid_json", "message": message}, status=400)
    code = "csrf_failed" if exc.status_code == 403 and "CSRF" in str(exc) else f"http_{exc.status_code}"
    return api.create_response(request, {"code": code, "message": str(exc)}, status=exc.status_code)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"code": "not_found", "message": _("Not found.")}, status=404)


api.add_router("", auth.router)
api.add_router("", slots.router)
api.add_router("", appointments.router)
api.add_router("", ecard.router)
api.add_router("", documents.router)
api.add_router("", questions.router)
api.add_router("", renewals.router)
api.add_router("", results.router)
api.add_router("", collection.router)
api.add_router("", attachments.router)
api.add_router("", files.router)
api.add_router("", consultations.router)
api.add_router("", feedback.router)
api.add_router("", complaints.router)
api.add_router("", contact.router)
api.add_router("", closures.router)  # NET-3
api.add_router("", pregnancy.router)
api.add_router("", package.router)


class HealthOut(Out):
    status: str
    database: str


@api.get("/health", response={200: HealthOut, 503: HealthOut}, tags=["system"], auth=None)
def health(request: HttpRequest) -> Status:
    """Liveness and readiness: answers 200 when the database answers a query, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means "not ready"
        return Status(503, HealthOut(status="unavailable", database="error"))
    return Status(200, HealthOut(status="ok", database=connection.vendor))


def _document_common_errors() -> None:
    """Every operation names the common errors in its answers (kept out of each decorator, so a new operation
    cannot forget them). Runs before ``api.urls`` binds the routers, which copies each operation."""
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for status, schema in COMMON_ERRORS.items():
                    if status not in operation.response_models:
                        operation.response_models[status] = operation._create_response_model(schema)


_document_common_errors()
