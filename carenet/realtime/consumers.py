"""The room's socket of an online consultation (TEL-2, TEL-3): chat, the queue's live state, WebRTC signalling.

One URL, ``/ws/consultations/``, for the patient's pages, the clinician's console and the mobile app. The protocol
(JSON text frames):

* the client says ``{"type": "hello", "token": "...", "after": <last seq it has>}`` first, within
  :attr:`ConsultationConsumer.hello_seconds` (else close 4401). The token (``consultations.tokens``) names the
  user, the consultation and the side — and, when a page asked for it, the browser session: then the socket must
  come with that session's cookie, still logged in. The permission table and ``side_of`` are asked again with that
  user. Refused:
  an ``error`` frame (``token_invalid``, ``not_allowed``, ``consultation_not_found``) then close 4403 (4404 for a
  consultation the user cannot reach; 4429 with ``too_many_connections`` for a user who holds
  :data:`SOCKETS_PER_USER` room sockets in this process already). Accepted: ``welcome`` (side, ICE servers,
  state), every stored message after ``after`` as ``chat`` frames in order, and a ``peer`` frame for the other
  side when it is connected;
* then ``chat`` (``id``, ``text``) → stored once (``consultations.chat``) and sent to both sides as ``chat`` (the
  sender's copy is its acknowledgement; a resend of a stored id is acknowledged to the sender alone); ``signal``
  (``data`` with a ``description`` or a ``candidate``, only while in progress) → relayed to the other side's
  sockets only; ``ping`` → ``pong``;
* the server also sends ``state`` on every change (queue position, taken, ended) and ``peer`` when the other
  side's socket comes or goes. After a final state (ended, left) the socket stays open and read-only — the chat and
  the signals answer ``not_in_progress`` — until the client closes it (the room's pages reload on a new status): a
  server that closed it would only make clients reconnect.

A refused client message gets ``{"type": "error", "code", "message"}`` and the socket stays open: ``not_json``,
``binary_frame``, ``too_large`` (over :data:`MAX_FRAME` bytes), ``bad_message`` (a field of the wrong type),
``unknown_type``, ``already_joined``, ``too_fast`` (more than :data:`CHAT_LIMIT` messages in
:data:`RATE_WINDOW` seconds, or :data:`FRAME_LIMIT` frames), ``not_in_progress`` and the chat's own codes
(``text_empty``, ``text_too_long``, ``text_invalid``, ``client_id_invalid``). A chat error carries the message's
``id``. A user switched off (or logged out of the token's session) since the hello gets ``not_allowed`` and close
4403 at their next message, signal or the room's next change.

Nothing lives in the server's memory but what this socket sent: the state and the messages are read from the
database, so a restarted server, or another one behind the same Redis, carries on. Presence needs no store either:
a socket that joins asks the others in the group to announce themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter, deque
from collections.abc import Iterator
from importlib import import_module
from typing import Any, ClassVar

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.http.cookie import parse_cookie
from django.utils import translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from carenet.accounts.models import User
from carenet.accounts.permissions import Action
from carenet.accounts.reads import Door, What, patient_reads_record
from carenet.accounts.selectors import actor_for_user
from carenet.consultations import chat
from carenet.consultations.events import group_of
from carenet.consultations.ice import ice_servers
from carenet.consultations.models import ChatMessage, Consultation
from carenet.consultations.selectors import access_consultation, side_of, state_json
from carenet.consultations.tokens import session_digest, socket_ticket
from carenet.core import clock
from carenet.core.errors import ApplicationError, NotFound

logger = logging.getLogger(__name__)

#: The largest frame a client may send, in bytes (an SDP offer is a few kilobytes).
MAX_FRAME = 64 * 1024
#: Rate limits per socket: chat messages and all frames within a sliding window of seconds.
RATE_WINDOW = 10.0
CHAT_LIMIT = 20
FRAME_LIMIT = 200
#: Room sockets one user may hold at once in one server process (tabs, devices); more is a flood.
SOCKETS_PER_USER = 10
#: Close codes: no (valid) hello in time; hello refused; the consultation is not there for this user.
CLOSE_NO_HELLO = 4401
CLOSE_REFUSED = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_MANY = 4429

# Group messages between the sockets of one consultation (channel-layer "type" → handler method).
_PRESENCE = "consultation.presence"
_SIGNAL = "consultation.signal"


class Refused(Exception):
    def __init__(self, close_code: int, code: str) -> None:
        super().__init__(code)
        self.close_code = close_code
        self.code = code


#: How deep a signal's ``data`` may nest (``data`` → ``description`` → its fields: WebRTC's are flat).
SIGNAL_DEPTH = 4


def _nested_deeper(value: object, levels: int) -> bool:
    """Whether JSON ``value`` nests more than ``levels`` objects or arrays deep (read without recursion)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > levels:
                return True
            pending.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _encodable(text: str) -> bool:
    """Whether ``text`` is text a socket (or the channel layer) can carry: no lone surrogate ("\ud800" in JSON)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _int_or_none(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 2**31:
        return value
    return None


def _cookies_of(scope: dict[str, Any]) -> dict[str, str]:
    headers = dict(scope.get("headers", []))
    return parse_cookie(headers.get(b"cookie", b"").decode("latin1"))


def _session_holds(session_key: str, digest: str, user: User) -> bool:
    """Whether the browser session a page's token was issued in (``digest``) is the socket's own (its cookie) and
    still logged in as ``user`` — not logged out, not ended by a change of the password."""
    if not session_key or not constant_time_compare(session_digest(session_key), digest):
        return False
    data = import_module(settings.SESSION_ENGINE).SessionStore(session_key).load()
    return str(data.get(SESSION_KEY, "")) == str(user.pk) and constant_time_compare(
        str(data.get(HASH_SESSION_KEY, "")), user.get_session_auth_hash()
    )


def _language_of(scope: dict[str, Any]) -> str:
    """Polish or English for the socket's messages: the language the user chose on the site (its cookie), else the
    browser's Accept-Language, else Polish."""
    headers = dict(scope.get("headers", []))
    chosen = _cookies_of(scope).get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in ("pl", "en"):
        return chosen
    for part in headers.get(b"accept-language", b"").decode("latin1").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith(("en", "pl")):
            return tag[:2]
    return str(settings.LANGUAGE_CODE)


class ConsultationConsumer(AsyncWebsocketConsumer):
    """One socket of one side of one consultation (see the module's docstring for the protocol)."""

    #: Seconds a client has to say hello after connecting.
    hello_seconds: float = 10.0
    #: Per user id, the sockets of this process that said a valid hello and are still open.
    sockets_of: ClassVar[Counter[int]] = Counter()

    async def connect(self) -> None:
        # Set by an accepted hello (with ``group``); 0 before.
        self.user_id = 0
        self.consultation_id = 0
        self.side: str | None = None
        self.group: str | None = None
        self.caught_up = 0
        self.counted_user = 0
        # Refused after the hello (the user switched off or logged out): closing, nothing more is forwarded.
        self.shut = False
        # The browser session the socket came with (its cookie), and the one its token was issued in.
        self.session_key = _cookies_of(self.scope).get(settings.SESSION_COOKIE_NAME, "")
        self.session = ""
        self.language = _language_of(self.scope)
        self.frames: deque[float] = deque()
        self.chats: deque[float] = deque()
        self.hello_timer: asyncio.Task[None] | None = None
        await self.accept()
        self.hello_timer = asyncio.ensure_future(self._hello_deadline())

    async def _hello_deadline(self) -> None:
        await asyncio.sleep(self.hello_seconds)
        if self.group is None:
            await self.close(code=CLOSE_NO_HELLO)

    def _uncount(self) -> None:
        if self.counted_user:
            self.sockets_of[self.counted_user] -= 1
            if self.sockets_of[self.counted_user] <= 0:
                del self.sockets_of[self.counted_user]
            self.counted_user = 0

    async def disconnect(self, code: int) -> None:
        if self.hello_timer is not None:
            self.hello_timer.cancel()
        self._uncount()
        if self.group is not None and self.channel_layer is not None:
            group, self.group = self.group, None
            with contextlib.suppress(Exception):  # a layer that is down forgets a hint, never data
                await self.channel_layer.group_send(
                    group, {"type": _PRESENCE, "op": "leave", "side": self.side, "channel": self.channel_name}
                )
            with contextlib.suppress(Exception):
                await self.channel_layer.group_discard(group, self.channel_name)

    # --- Frames from the client ------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _language(self) -> Iterator[None]:
        with translation.override(self.language):
            yield

    async def _send_json(self, content: dict[str, Any]) -> None:
        text = json.dumps(content, ensure_ascii=False)
        if not _encodable(text):  # a lone surrogate echoed back ("\ud800" is valid JSON): escaped, it is sent
            text = json.dumps(content)
        await self.send(text_data=text)

    async def _error(self, code: str, message: str, **extra: Any) -> None:
        await self._send_json({"type": "error", "code": code, "message": message, **extra})

    def _too_fast(self, times: deque[float], limit: int) -> bool:
        now = time.monotonic()
        while times and now - times[0] > RATE_WINDOW:
            times.popleft()
        if len(times) >= limit:
            return True
        times.append(now)
        return False

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        with self._language():
            content = await self._frame(text_data, bytes_data)
            if content is None:
                return
            kind = content.get("type")
            if self.group is None:
                if kind != "hello":
                    await self._error("hello_first", _("Say hello with the room's token first."))
                    await self.close(code=CLOSE_NO_HELLO)
                    return
                await self._hello(content)
            elif kind == "hello":
                await self._error("already_joined", _("This connection has already joined the room."))
            elif kind == "chat":
                await self._chat(content)
            elif kind == "signal":
                await self._signal(content)
            elif kind == "ping":
                await self._send_json({"type": "pong"})
            else:
                await self._error("unknown_type", _("Unknown kind of message."))

    async def _frame(self, text_data: str | None, bytes_data: bytes | None) -> dict[str, Any] | None:
        """The frame as a JSON object, or ``None`` after telling the client why not."""
        if self._too_fast(self.frames, FRAME_LIMIT):
            await self._error("too_fast", _("Too many messages at once; please wait a moment."))
            return None
        if text_data is None:
            await self._error("binary_frame", _("Only text (JSON) messages are accepted."))
            return None
        if len(text_data) > MAX_FRAME or len(text_data.encode("utf-8", "surrogatepass")) > MAX_FRAME:
            await self._error("too_large", _("The message is too large."))
            return None
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            await self._error("not_json", _("The message is not valid JSON."))
            return None
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self._error("bad_message", _("A message must be a JSON object with a type."))
            return None
        return content

    # --- hello -------------------------------------------------------------------------------------------------------

    async def _hello(self, content: dict[str, Any]) -> None:
        after = content.get("after", 0)
        after = _int_or_none(after)
        if after is None:
            await self._error("bad_message", _("The hello's “after” must be a whole number."))
            await self.close(code=CLOSE_NO_HELLO)
            return
        ticket = socket_ticket(content.get("token"))
        if ticket is None:
            await self._error("token_invalid", _("The room's link has expired; please open the room again."))
            await self.close(code=CLOSE_REFUSED)
            return
        if self.sockets_of[ticket.user_id] >= SOCKETS_PER_USER:
            await self._error("too_many_connections", _("Too many rooms are open; close the other tabs or devices."))
            await self.close(code=CLOSE_TOO_MANY)
            return
        # Counted now, before the first wait: hellos arriving at once cannot all slip under the limit.
        self.sockets_of[ticket.user_id] += 1
        self.counted_user = ticket.user_id
        # Into the group before the state and the messages are read: a change made meanwhile comes both ways (and
        # a message is sent once, by its number), never neither. Nothing is forwarded before the hello is accepted.
        group = group_of(ticket.consultation_id)
        if self.channel_layer is not None:
            await self.channel_layer.group_add(group, self.channel_name)
        try:
            welcome, messages = await self._admit(
                ticket.user_id, ticket.consultation_id, ticket.side, after, ticket.session
            )
        except Refused as refused:
            self._uncount()
            if self.channel_layer is not None:
                await self.channel_layer.group_discard(group, self.channel_name)
            message = (
                _("No such online consultation.")
                if refused.close_code == CLOSE_NOT_FOUND
                else _("You cannot join this consultation.")
            )
            await self._error(refused.code, message)
            await self.close(code=refused.close_code)
            return
        self.user_id, self.consultation_id, self.side = ticket.user_id, ticket.consultation_id, ticket.side
        self.session = ticket.session
        self.group = group
        if self.hello_timer is not None:
            self.hello_timer.cancel()
        await self._send_json(welcome)
        self.caught_up = after
        batch = messages
        while batch:
            for message in batch:
                await self._send_json({"type": "chat", **message})
            self.caught_up = batch[-1]["seq"]
            if len(batch) < chat.CATCH_UP_BATCH:
                break
            batch = await self._messages_after(self.caught_up)
        if self.channel_layer is not None:
            await self.channel_layer.group_send(
                self.group, {"type": _PRESENCE, "op": "join", "side": self.side, "channel": self.channel_name}
            )

    @database_sync_to_async
    def _admit(
        self, user_id: int, consultation_id: int, side: str, after: int, session: str
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None or (session and not _session_holds(self.session_key, session, user)):
            raise Refused(CLOSE_REFUSED, "not_allowed")
        actor = actor_for_user(user)
        try:
            consultation = access_consultation(
                actor=actor, consultation_id=consultation_id, action=Action.CONSULTATION_JOIN
            )
        except NotFound as missing:
            raise Refused(CLOSE_NOT_FOUND, missing.code) from None
        if side_of(actor, consultation) != side:
            raise Refused(CLOSE_REFUSED, "not_allowed")
        now = clock.now()
        # CLN-6: what the room shows (the chat, the state) is a read of the patient's consultation, once per socket.
        patient_reads_record(
            actor=actor,
            patient_ids=[consultation.patient_id],
            what=What.CONSULTATIONS,
            door=Door.STAFF if side == ChatMessage.Side.CLINICIAN else Door.PORTAL,
            reference=consultation.pk,
            now=now,
        )
        welcome = {
            "type": "welcome",
            "side": side,
            "ice_servers": ice_servers(user_id=user.pk, now=now),
            "state": state_json(consultation, now=now),
        }
        messages = [
            chat.message_json(message) for message in chat.chat_after(consultation=consultation, after_seq=after)
        ]
        return welcome, messages

    @database_sync_to_async
    def _messages_after(self, after: int) -> list[dict[str, Any]]:
        consultation = Consultation.objects.get(pk=self.consultation_id)
        return [chat.message_json(message) for message in chat.chat_after(consultation=consultation, after_seq=after)]

    # --- chat --------------------------------------------------------------------------------------------------------

    async def _chat(self, content: dict[str, Any]) -> None:
        client_id, text = content.get("id"), content.get("text")
        if not isinstance(client_id, str) or not isinstance(text, str):
            await self._error("bad_message", _("A chat message needs an id and a text."))
            return
        if self._too_fast(self.chats, CHAT_LIMIT):
            await self._error("too_fast", _("Too many messages at once; please wait a moment."), id=client_id[:40])
            return
        try:
            message, created = await self._post(client_id, text)
        except ApplicationError as refused:
            await self._error(refused.code, str(refused.message), id=client_id[:40])
            if refused.code == "not_allowed":
                await self.close(code=CLOSE_REFUSED)
            return
        if not created:
            # Stored before: the sender did not hear back; the other side has it already.
            await self._send_json({"type": "chat", **message})

    def _still_allowed(self) -> User:
        """The socket's user, unless switched off since the hello, or logged out of the page's session the token was
        issued in: then they post and signal nothing more."""
        user = User.objects.filter(pk=self.user_id, is_active=True).first()
        if user is None or (self.session and not _session_holds(self.session_key, self.session, user)):
            raise ApplicationError(_("You cannot join this consultation."), code="not_allowed")
        return user

    @database_sync_to_async
    def _allowed(self) -> bool:
        try:
            self._still_allowed()
        except ApplicationError:
            return False
        return True

    @database_sync_to_async
    def _post(self, client_id: str, text: str) -> tuple[dict[str, Any], bool]:
        user = self._still_allowed()
        message, created = chat.chat_post(
            actor=user, consultation_id=self.consultation_id, client_id=client_id, text=text
        )
        return chat.message_json(message), created

    # --- signalling -------------------------------------------------------------------------------------------------

    async def _signal(self, content: dict[str, Any]) -> None:
        data = content.get("data")
        if (
            not isinstance(data, dict)
            or not (
                isinstance(data.get("description"), dict)
                # a candidate, or null: the end of the candidates
                or ("candidate" in data and (data["candidate"] is None or isinstance(data["candidate"], dict)))
            )
            or _nested_deeper(data, SIGNAL_DEPTH)
            or not _encodable(json.dumps(data, ensure_ascii=False))
        ):
            # Relayed as it is: a deeply nested one would only break the channel layer's copy of it, a lone
            # surrogate the layer's encoding or the other side's socket.
            await self._error("bad_message", _("A signal needs a description or a candidate."))
            return
        try:
            in_progress = await self._in_progress()
        except ApplicationError as refused:
            await self._error(refused.code, str(refused.message))
            await self.close(code=CLOSE_REFUSED)
            return
        if not in_progress:
            await self._error("not_in_progress", _("The consultation is not in progress."))
            return
        if self.channel_layer is not None and self.group is not None:
            await self.channel_layer.group_send(
                self.group, {"type": _SIGNAL, "side": self.side, "channel": self.channel_name, "data": data}
            )

    @database_sync_to_async
    def _in_progress(self) -> bool:
        self._still_allowed()
        return Consultation.objects.filter(pk=self.consultation_id, status=Consultation.Status.IN_PROGRESS).exists()

    # --- Group messages --------------------------------------------------------------------------------------------

    async def consultation_event(self, message: dict[str, Any]) -> None:
        """A change published by the domain (``consultations.events.publish``): forwarded, chat once per number."""
        event = message.get("event")
        if self.group is None or self.shut or not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return
        if not await self._allowed():
            # Switched off or logged out since the hello: the room's news (its chat) no longer reaches them.
            self.shut = True
            with self._language():
                await self._error("not_allowed", _("You cannot join this consultation."))
            await self.close(code=CLOSE_REFUSED)
            return
        if event["type"] == "chat":
            seq = event.get("seq")
            if isinstance(seq, int) and seq <= self.caught_up:
                return
        await self._send_json(event)

    async def consultation_presence(self, message: dict[str, Any]) -> None:
        if self.group is None or message.get("channel") == self.channel_name:
            return
        op, side = message.get("op"), message.get("side")
        if side != self.side:
            await self._send_json({"type": "peer", "side": side, "present": op != "leave"})
            if op == "join" and self.channel_layer is not None:
                # Tell the newcomer this side is here.
                await self.channel_layer.send(
                    message["channel"],
                    {"type": _PRESENCE, "op": "here", "side": self.side, "channel": self.channel_name},
                )
        elif op == "leave" and self.channel_layer is not None:
            # Another socket of this side went (a second tab closed): this one is still here.
            await self.channel_layer.group_send(
                self.group, {"type": _PRESENCE, "op": "here", "side": self.side, "channel": self.channel_name}
            )

    async def consultation_signal(self, message: dict[str, Any]) -> None:
        if self.group is None or message.get("channel") == self.channel_name or message.get("side") == self.side:
            return
        await self._send_json({"type": "signal", "from": message.get("side"), "data": message.get("data")})
