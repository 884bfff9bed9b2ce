"""``Idempotency-Key`` for API writes (issue 3): the same key replays the first answer; the same key with another
request is refused (422 ``idempotency_key_reused``); a retry while the first is still running waits for its answer
(409 ``idempotency_in_progress`` only for a claim committed without an answer, which this version never leaves).

The first request claims the key by inserting its record, runs the service and stores the answer, all in ONE
transaction: a concurrent twin's insert waits on the unique key until that transaction ends, then replays the stored
answer (or, if the first died, finds no record and runs for real). One commit per API write instead of three (the
B3 benchmark: each commit waits for the disk). The service's own transaction becomes a savepoint of it, so a
refusal is rolled back while its answer is kept. A request that dies with an unexpected error rolls back its claim
with everything else, so the client's retry runs for real. A committed claim without an answer (left by an earlier
version that committed the claim first) answers 409 and is taken over after :data:`IN_PROGRESS_TIMEOUT`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Status
from pydantic import BaseModel

from carenet.accounts.models import User
from carenet.api.models import IdempotencyRecord
from carenet.core import clock
from carenet.core.errors import ApplicationError, Conflict, ValidationFailed
from carenet.core.inserts import insert_unless_present, update_row

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
#: Records are kept this long; a key may be reused after that.
RETENTION = dt.timedelta(hours=24)
#: A claim older than this without an answer belongs to a request that died; a retry takes it over.
IN_PROGRESS_TIMEOUT = dt.timedelta(minutes=2)

#: What an endpoint body returns: the status and the output schema (or plain JSON data).
Answer = tuple[int, BaseModel | dict[str, Any] | None]


def request_fingerprint(request: HttpRequest) -> str:
    """SHA-256 of the method, the path (with its query) and the canonical JSON body — or, for a multipart form (a
    file upload, FIL-1), its fields and the SHA-256 of each file: a retry's multipart boundary is new, its content
    the same."""
    if request.content_type == "multipart/form-data":
        fields = sorted((key, value) for key, values in request.POST.lists() for value in values)
        files = sorted((key, _file_digest(upload)) for key, uploads in request.FILES.lists() for upload in uploads)
        canonical = json.dumps([fields, files], ensure_ascii=False)
        payload = "\n".join([request.method or "", request.get_full_path(), canonical])
        return hashlib.sha256(payload.encode()).hexdigest()
    try:
        body = json.loads(request.body or b"null")
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (ValueError, UnicodeDecodeError):
        canonical = request.body.decode("latin-1")
    payload = "\n".join([request.method or "", request.get_full_path(), canonical])
    return hashlib.sha256(payload.encode()).hexdigest()


def _file_digest(upload: Any) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return f"{upload.name}:{digest.hexdigest()}"


def idempotent(request: HttpRequest, *, user: User, key: str | None, run: Callable[[], Answer]) -> Status:
    """Answer a write once per key: run ``run`` (which calls one service) the first time, replay its answer after.

    Without a key the write simply runs. Refusals (:class:`ApplicationError`) are answers too and are replayed.
    """
    if key is None or key == "":
        return _as_status(*_answer(run))
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(_("The Idempotency-Key is too long."), code="idempotency_key_invalid")
    fingerprint = request_fingerprint(request)
    now = clock.now()
    with transaction.atomic():
        record = _claim(user=user, key=key, fingerprint=fingerprint, now=now)
        if record.request_fingerprint != fingerprint:
            raise ValidationFailed(
                _("This Idempotency-Key was already used for another request."), code="idempotency_key_reused"
            )
        if record.status_code is not None:
            return Status(record.status_code, record.response_body)
        if not getattr(record, "claimed_now", False):
            raise Conflict(_("A request with this Idempotency-Key is still running."), code="idempotency_in_progress")
        status_code, body = _answer(run)
        data = _jsonable(body)
        update_row(IdempotencyRecord, record.pk, status_code=status_code, response_body=data)
    # The first answer from the endpoint's own schema object (the API renders it without validating it again, as
    # without a key); a replay renders the stored JSON of it — the same bytes (issue 16).
    return Status(status_code, body if isinstance(body, BaseModel) else data)


def _claim(*, user: User, key: str, fingerprint: str, now: dt.datetime) -> IdempotencyRecord:
    """The key's record, created (and marked ``claimed_now``) if this request is the first, or taken over if the
    first died or expired."""
    for _attempt in range(3):
        record_id = _insert_if_new(user=user, key=key, fingerprint=fingerprint, now=now)
        if record_id is None:
            existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
            if existing is None:
                continue  # released between our insert and our read: try again
            expired = existing.created_at <= now - RETENTION
            abandoned = existing.status_code is None and existing.created_at <= now - IN_PROGRESS_TIMEOUT
            if expired or abandoned:
                taken = IdempotencyRecord.objects.filter(pk=existing.pk, created_at=existing.created_at).update(
                    request_fingerprint=fingerprint, status_code=None, response_body=None, created_at=now
                )
                if taken:
                    existing.request_fingerprint, existing.status_code, existing.response_body = fingerprint, None, None
                    existing.claimed_now = True  # type: ignore[attr-defined]
            return existing
        record = IdempotencyRecord(pk=record_id, user=user, key=key, request_fingerprint=fingerprint, created_at=now)
        record._state.adding = False
        record.claimed_now = True  # type: ignore[attr-defined]
        return record
    raise Conflict(_("A request with this Idempotency-Key is still running."), code="idempotency_in_progress")


def _insert_if_new(*, user: User, key: str, fingerprint: str, now: dt.datetime) -> int | None:
    """The claim's insert as ONE statement, ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` (issue 16,
    :func:`carenet.core.inserts.insert_unless_present`): the new record's id, or None when the key already has a
    record. A twin's insert still waits on the unique key for the first request's transaction to end (PostgreSQL),
    then inserts if that one rolled back or does nothing if it committed — as the plain insert did, without the
    savepoint it needed to survive its IntegrityError (three statements: SAVEPOINT, INSERT, RELEASE)."""
    record = IdempotencyRecord(user_id=user.pk, key=key, request_fingerprint=fingerprint, created_at=now)
    return record.pk if insert_unless_present(record) else None


def _answer(run: Callable[[], Answer]) -> Answer:
    try:
        return run()
    except ApplicationError as exc:
        return exc.status_code, {"code": exc.code, "message": str(exc.message)}


def _jsonable(body: BaseModel | dict[str, Any] | None) -> Any:
    if isinstance(body, BaseModel):
        return body.model_dump(mode="json")
    return json.loads(json.dumps(body, default=str))


def _as_status(status_code: int, body: BaseModel | dict[str, Any] | None) -> Status:
    return Status(status_code, body)


def idempotency_prune(*, now: dt.datetime) -> int:
    """Forget answers older than :data:`RETENTION`; returns how many."""
    deleted, _rows = IdempotencyRecord.objects.filter(created_at__lt=now - RETENTION).delete()
    return deleted
