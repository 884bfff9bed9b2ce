"""The MLLP listener (CLN-3, issue 12): HL7 v2 messages in over TCP, one ACK back for each.

``hl7.mllp.start_hl7_server`` frames the stream (``<VT> message <FS><CR>``). For every frame the connection's
handler calls :func:`carenet.results.services.message_receive` in a worker thread (``sync_to_async``, thread
sensitive: one thread does the database work, in arrival order, and the event loop keeps serving other
connections) and writes its ACK back on the same connection, so several messages on one connection are answered
in order. A connection closed in the middle of a frame stores nothing (the partial frame is never handed on); a
frame that does not begin with ``<VT>`` is answered ``AR`` and the connection closed; a frame beyond the stream
limit likewise. Nothing a client sends stops the server: errors are logged, other connections are unaffected.

MLLP has no encryption and no authentication: a deployment puts it behind a VPN or a TLS tunnel (stunnel) and a
firewall that admits only the laboratories' addresses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connection
from hl7.mllp import HL7StreamReader, HL7StreamWriter, InvalidBlockError, start_hl7_server

from carenet.core import clock
from carenet.results import hl7 as results_hl7

logger = logging.getLogger(__name__)

#: The stream limit: a frame may be a little larger than the largest message read (it is refused with AR, kept).
STREAM_LIMIT = results_hl7.MAX_MESSAGE_CHARS + 1024 * 1024
#: A client that sends nothing for this long is disconnected.
IDLE_SECONDS = 300.0
#: Connections served at once (a network has a few laboratories); more are closed at once: each one may hold a
#: frame of up to :data:`STREAM_LIMIT` in memory and a file descriptor for :data:`IDLE_SECONDS`.
MAX_CONNECTIONS = 32
_open_connections = 0


def _receive_in_thread(data: bytes) -> str:
    """Decode, receive, answer — in the database thread, with fresh connections around it (not inside an outer
    transaction: the demo and the tests run the listener inside theirs)."""
    from carenet.results.services import message_receive

    fresh = not connection.in_atomic_block
    if fresh:
        close_old_connections()
    try:
        text = results_hl7.decode_frame(data)
        try:
            return message_receive(text).message
        except Exception:
            logger.exception("HL7 message could not be processed")
            return results_hl7.build_ack(
                results_hl7.clean(text),
                code="AE",
                reason="Internal error: the message was not stored; send it again later.",
                ack_id="CNERR",
                at=clock.now(),
            )
    finally:
        if fresh:
            close_old_connections()


receive_frame: Callable[[bytes], Awaitable[str]] = sync_to_async(_receive_in_thread, thread_sensitive=True)


def _refusal(reason: str) -> bytes:
    return results_hl7.build_ack("", code="AR", reason=reason, ack_id="CNERR", at=clock.now()).encode()


async def handle_connection(reader: HL7StreamReader, writer: HL7StreamWriter) -> None:
    """One client: read frames until it closes; answer each in turn. Beyond :data:`MAX_CONNECTIONS` open at once,
    the connection is closed without reading it."""
    global _open_connections
    peer = writer.get_extra_info("peername")
    if _open_connections >= MAX_CONNECTIONS:
        logger.warning("MLLP connection from %s refused: %d connections open already", peer, _open_connections)
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()
        return
    _open_connections += 1
    try:
        await _serve(reader, writer, peer)
    finally:
        _open_connections -= 1


async def _serve(reader: HL7StreamReader, writer: HL7StreamWriter, peer: object) -> None:
    try:
        while True:
            try:
                block = await asyncio.wait_for(reader.readblock(), timeout=IDLE_SECONDS)
            except asyncio.IncompleteReadError as incomplete:
                if incomplete.partial.strip():
                    logger.warning("MLLP connection from %s closed in the middle of a message: ignored", peer)
                return
            except InvalidBlockError:
                logger.warning("MLLP frame from %s does not begin with <VT>: refused, connection closed", peer)
                writer.writeblock(_refusal("Not an MLLP frame."))
                await writer.drain()
                return
            except ValueError:
                logger.warning(
                    "MLLP frame from %s larger than %d bytes: refused, connection closed", peer, STREAM_LIMIT
                )
                writer.writeblock(_refusal("The message is larger than CareNet accepts."))
                await writer.drain()
                return
            except TimeoutError:
                logger.info("MLLP connection from %s idle: closed", peer)
                return
            ack = await receive_frame(block)
            writer.writeblock(ack.encode("utf-8"))
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    except Exception:
        logger.exception("MLLP connection from %s failed", peer)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()


async def start(host: str, port: int) -> asyncio.Server:
    """Start listening (port 0: a free port, see ``server.sockets[0].getsockname()``)."""
    return await start_hl7_server(handle_connection, host, port, limit=STREAM_LIMIT, encoding="utf-8")


async def serve_forever(host: str, port: int, *, ready: Callable[[str, int], None] | None = None) -> None:
    server = await start(host, port)
    address = server.sockets[0].getsockname()
    logger.info("MLLP listener on %s:%s", address[0], address[1])
    if ready is not None:
        ready(address[0], address[1])
    async with server:
        await server.serve_forever()


async def send(host: str, port: int, messages: list[str], *, timeout: float = 30.0) -> list[str]:
    """Send messages on one connection, each followed by its ACK (what a laboratory's system does)."""
    from hl7.mllp import open_hl7_connection

    reader, writer = await asyncio.wait_for(
        open_hl7_connection(host, port, encoding="utf-8", limit=STREAM_LIMIT), timeout
    )
    answers: list[str] = []
    try:
        for message in messages:
            writer.writeblock(message.encode("utf-8"))
            await writer.drain()
            block = await asyncio.wait_for(reader.readblock(), timeout)
            answers.append(block.decode("utf-8", errors="replace"))
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()
    return answers


async def serve_and_send(messages: list[str], *, host: str = "127.0.0.1") -> list[str]:
    """Start a listener on a free port, send ``messages`` to it over one connection, stop it; the ACKs."""
    server = await start(host, 0)
    port = server.sockets[0].getsockname()[1]
    try:
        return await send(host, port, messages)
    finally:
        server.close()
        await server.wait_closed()
