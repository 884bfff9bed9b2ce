"""CareNet's typed errors: every refusal has a stable code (for the API) and a translated message (for people).

Front doors map them: the API to an HTTP status with ``{"code", "message"}``, a page to a form error.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise


class ApplicationError(Exception):
    """Base of every error CareNet reports to a user on purpose."""

    status_code = 400
    default_code = "error"

    def __init__(self, message: str | Promise, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(str(message))
        self.message = message
        self.code = code or self.default_code
        self.details = details or {}

    def __str__(self) -> str:
        return str(self.message)


class ValidationFailed(ApplicationError):
    """Input that does not make sense (bad PESEL, reversed dates); nothing was changed."""

    status_code = 422
    default_code = "invalid"


class NotFound(ApplicationError):
    """The object does not exist or the actor may not know it exists."""

    status_code = 404
    default_code = "not_found"


class PermissionDenied(ApplicationError):
    status_code = 403
    default_code = "forbidden"


class Conflict(ApplicationError):
    """The request lost to the state of the world (slot taken, duplicate)."""

    status_code = 409
    default_code = "conflict"
