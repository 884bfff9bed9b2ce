"""The JSON API (django-ninja): one router per domain, typed schemas, errors mapped to stable codes."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema, Status

from carenet.core.errors import ApplicationError

api = NinjaAPI(
    title="CareNet API",
    version="1",
    description="The JSON API of CareNet: patient portal for mobile apps, booking, consoles.",
    urls_namespace="api",
)


class ErrorOut(Schema):
    code: str
    message: str


@api.exception_handler(ApplicationError)
def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return api.create_response(request, {"code": exc.code, "message": str(exc.message)}, status=exc.status_code)


class HealthOut(Schema):
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
