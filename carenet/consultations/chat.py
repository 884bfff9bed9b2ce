"""The chat of an online consultation (TEL-2): stored with the consultation, numbered, sent exactly once.

Every message is a row: the room's socket (``carenet.realtime``), the pages and the API read the same rows, and a
client that reconnects asks for the messages after the last number (``seq``) it has. The numbers have no gaps and no
duplicates whoever posts at the same time: the consultation's ``last_seq`` is raised in the transaction that stores
the message (a conditional UPDATE that locks the row on PostgreSQL; SQLite queues writers). A client names each
message with its own id; a resend after a dropped connection — even two resends at once — finds the stored message
(the unique constraint on consultation, author and client id has the last word) and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import User
from carenet.accounts.permissions import Action
from carenet.accounts.selectors import actor_for_user
from carenet.consultations.events import publish
from carenet.consultations.models import ChatMessage, Consultation
from carenet.consultations.selectors import access_consultation, consultation_not_found, side_of
from carenet.core import clock
from carenet.core.errors import Conflict, ValidationFailed
from carenet.core.validation import text_problem

#: The longest message, in characters (after the spaces around it are dropped).
MAX_TEXT = 2000
#: A client's own id of a message: what it resends the message with.
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,40}", re.ASCII)
#: Messages read at once when a client catches up.
CATCH_UP_BATCH = 500


def _text_checked(text: object) -> str:
    if not isinstance(text, str):
        raise ValidationFailed(_("A message must be text."), code="text_invalid")
    problem = text_problem(text)
    if problem is not None:
        raise ValidationFailed(
            _("The message contains characters that cannot be sent (control characters)."), code="text_invalid"
        )
    cleaned = text.strip()
    if not cleaned:
        raise ValidationFailed(_("Write a message before sending it."), code="text_empty")
    if len(cleaned) > MAX_TEXT:
        raise ValidationFailed(
            _("A message may have at most %(limit)s characters.") % {"limit": MAX_TEXT}, code="text_too_long"
        )
    return cleaned


def _client_id_checked(client_id: object) -> str:
    if not isinstance(client_id, str) or CLIENT_ID.fullmatch(client_id) is None:
        raise ValidationFailed(
            _("The message's id must be 1–40 letters, digits, hyphens or underscores."), code="client_id_invalid"
        )
    return client_id


def _stored(consultation_id: int, author: User, client_id: str) -> ChatMessage | None:
    return (
        ChatMessage.objects.select_related("author__patient", "consultation__clinician")
        .filter(consultation_id=consultation_id, author=author, client_id=client_id)
        .first()
    )


def chat_post(
    *, actor: User, consultation_id: int, client_id: str, text: str, now: dt.datetime | None = None
) -> tuple[ChatMessage, bool]:
    """Store ``text`` from ``actor`` on their side of the consultation (``selectors.side_of``), only while it is in
    progress; returns the message and whether it is new. A resend with the same ``client_id`` returns the stored
    message and ``False`` (also after the consultation ended: the client is only told it arrived). A new message is
    published to the room (``{"type": "chat", ...}``) once its transaction commits."""
    client_id = _client_id_checked(client_id)
    cleaned = _text_checked(text)
    at = now or clock.now()
    who = actor_for_user(actor)
    consultation = access_consultation(actor=who, consultation_id=consultation_id, action=Action.CONSULTATION_JOIN)
    side = side_of(who, consultation)
    if side is None:
        raise consultation_not_found()
    stored = _stored(consultation.pk, actor, client_id)
    if stored is not None:
        return stored, False
    try:
        with transaction.atomic():
            raised = Consultation.objects.filter(pk=consultation.pk, status=Consultation.Status.IN_PROGRESS).update(
                last_seq=F("last_seq") + 1
            )
            if not raised:
                raise Conflict(
                    _("The consultation is not in progress: messages can be sent only during it."),
                    code="not_in_progress",
                )
            seq = Consultation.objects.values_list("last_seq", flat=True).get(pk=consultation.pk)
            message = ChatMessage.objects.create(
                consultation=consultation,
                seq=seq,
                side=side,
                author=actor,
                client_id=client_id,
                text=cleaned,
                sent_at=at,
            )
            publish(consultation.pk, {"type": "chat", **message_json(message)})
    except IntegrityError:
        # The same message resent at the same time: the other transaction stored it (and this one's number went
        # back with the rollback, so the numbering keeps no gap).
        stored = _stored(consultation.pk, actor, client_id)
        if stored is None:
            raise
        return stored, False
    return message, True


def chat_after(*, consultation: Consultation, after_seq: int, limit: int = CATCH_UP_BATCH) -> list[ChatMessage]:
    """The messages numbered after ``after_seq``, in order, at most ``limit``."""
    return list(
        ChatMessage.objects.select_related("author__patient", "consultation__clinician")
        .filter(consultation=consultation, seq__gt=max(after_seq, 0))
        .order_by("seq")[: max(limit, 0)]
    )


def transcript(consultation: Consultation) -> list[ChatMessage]:
    """Every message of the consultation, in order (the record after it ended)."""
    return list(
        ChatMessage.objects.select_related("author__patient", "consultation__clinician")
        .filter(consultation=consultation)
        .order_by("seq")
    )


def author_name(message: ChatMessage) -> str:
    """Who wrote the message, as the room shows it: the clinician's title and name, the patient's (or guardian's)
    name."""
    author = message.author
    if message.side == ChatMessage.Side.CLINICIAN:
        clinician = message.consultation.clinician
        if clinician is not None and clinician.user_id == author.pk:
            return str(clinician)
    else:
        try:
            return author.patient.full_name
        except ObjectDoesNotExist:
            pass
    return author.get_full_name() or author.get_username()


def message_json(message: ChatMessage) -> dict[str, Any]:
    """The message as the socket and the API send it (``seq`` orders it; ``id`` is the sender's own id)."""
    return {
        "seq": message.seq,
        "id": message.client_id,
        "side": message.side,
        "author": author_name(message),
        "text": message.text,
        "at": message.sent_at.isoformat(),
    }
