"""One HTTP/1.1 client connection: h11 parses, this protocol moves bytes and runs requests.

The :class:`asyncio.Protocol` callbacks only feed h11 and wake one coroutine per connection;
that coroutine walks request cycles strictly one after another, which is what answers
pipelined requests in order, and it is the only place that awaits the handler. Reading
pauses while a request is being answered, so a client cannot make us buffer more than one
socket read ahead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from email.utils import formatdate
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

import h11

from lambgate.model import Request, Response

from .messages import (
    head_size,
    internal_error,
    malformed,
    refusal,
    request_from_h11,
    response_to_h11,
    server_wide_options,
    smuggling_risk,
)

if TYPE_CHECKING:
    # The front's public configuration lives with start_server, which imports this module.
    from .server import Handler, Limits

__all__ = ["HTTPConnection"]

logger = logging.getLogger("lambgate.http")

#: h11 refuses (431) an unfinished head past this multiple of ``max_head``: AWS counts only
#: the request line and header *values*, so names and framing get room, but memory stays bound.
HEAD_BUFFER_FACTOR = 4
#: After refusing a request, keep reading (and discarding) this long before closing, so a
#: client still sending its body reads our answer instead of a connection reset.
LINGER_SECONDS = 2.0
#: A client that reads none of our response for this long is dropped.
WRITE_TIMEOUT = 30.0


CONTINUE = h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue")


class _Refused(Exception):
    """The front answers ``status`` itself and closes the connection."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@lru_cache(maxsize=1)
def _http_date(second: int) -> bytes:
    return formatdate(second, usegmt=True).encode("ascii")


def _address(info: Any) -> tuple[str, int] | None:
    """``(host, port)`` of a socket address; IPv6 adds flow info and scope, dropped here."""
    if isinstance(info, tuple) and len(info) >= 2:
        return str(info[0]), int(info[1])
    return None


class HTTPConnection(asyncio.Protocol):
    """Serves requests from one client until it leaves, idles out or breaks the protocol."""

    _transport: asyncio.Transport

    def __init__(
        self,
        handler: Handler,
        limits: Limits,
        on_finished: Callable[[HTTPConnection], None] | None = None,
    ) -> None:
        self._handler = handler
        self._limits = limits
        self._on_finished = on_finished
        self._h11 = h11.Connection(
            h11.SERVER, max_incomplete_event_size=limits.max_head * HEAD_BUFFER_FACTOR
        )
        self._client: tuple[str, int] | None = None
        self._server: tuple[str, int] | None = None
        self._data_arrived = asyncio.Event()
        self._writable = asyncio.Event()
        self._writable.set()
        self._lost = asyncio.Event()
        self._reading = False  # the task is reading a request; otherwise input waits
        self._reading_paused = False
        self._waiting_idle = False
        self._lingering = False
        self._closing = False
        self.task: asyncio.Task[None] | None = None

    # -- asyncio callbacks: feed h11 and wake the task, never await ----------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._client = _address(transport.get_extra_info("peername"))
        self._server = _address(transport.get_extra_info("sockname"))
        self.task = asyncio.get_running_loop().create_task(self._serve())
        if self._on_finished is not None:
            on_finished = self._on_finished
            self.task.add_done_callback(lambda _: on_finished(self))

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return
        self._h11.receive_data(data)
        self._data_arrived.set()
        if not self._reading and not self._reading_paused:
            self._transport.pause_reading()
            self._reading_paused = True

    def eof_received(self) -> bool:
        if self._lingering:
            return False  # the client has read our refusal and left: close
        self._h11.receive_data(b"")
        self._data_arrived.set()
        return True  # a half-closed client still wants its answer

    def connection_lost(self, exc: Exception | None) -> None:
        self._h11.receive_data(b"")
        self._lost.set()
        self._data_arrived.set()
        self._writable.set()

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    # -- what the server asks of a connection ---------------------------------------------

    def shutdown(self) -> None:
        """Close now if idle; otherwise finish the request in flight, then close."""
        self._closing = True
        if self._waiting_idle and not self._data_arrived.is_set():
            self._transport.close()

    def abort(self) -> None:
        """Drop the connection and cancel whatever it was running."""
        if self.task is not None:
            self.task.cancel()
        self._transport.abort()

    # -- the request cycle ------------------------------------------------------------------

    async def _serve(self) -> None:
        try:
            while await self._serve_one():
                self._h11.start_next_cycle()
        except _Refused as refused:
            logger.info("HTTP %d to %s: %s", refused.status, self._client, refused)
            await self._refuse(refused.status)
        except h11.RemoteProtocolError as error:
            if not self._lost.is_set():
                logger.info("HTTP %d to %s: %s", error.error_status_hint, self._client, error)
            await self._refuse(error.error_status_hint)
        except Exception:
            logger.exception("HTTP connection from %s failed", self._client)
        finally:
            self._transport.close()

    async def _serve_one(self) -> bool:
        """Read one request and answer it; whether the connection may carry another."""
        head = await self._receive_head()
        if head is None:
            return False
        request = await self._receive_body(head)
        try:
            if head.target == b"*":  # OPTIONS * (malformed() lets no other method through)
                response = server_wide_options()
            else:
                response = await self._handler(request)
        except Exception:
            logger.exception("handler failed on %s %s", request.method, request.path)
            response = internal_error()
        await self._send(response, method=request.method)
        return self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE

    async def _receive_head(self) -> h11.Request | None:
        """The next request's head, or ``None`` when the connection should end quietly."""
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        self._reading = True
        while (event := self._h11.next_event()) is h11.NEED_DATA:
            if deadline is None and self._h11.trailing_data[0]:
                deadline = loop.time() + self._limits.header_timeout
            if deadline is None:
                if self._closing:
                    return None
                self._waiting_idle = True
                arrived = await self._wait_for_data(self._limits.idle_timeout)
                self._waiting_idle = False
                if not arrived:
                    return None  # keep-alive idle timeout: close without a word
            elif not await self._wait_for_data(deadline - loop.time()):
                raise _Refused(408, "request head not complete in time")
        if not isinstance(event, h11.Request):
            return None  # ConnectionClosed: the client left between requests
        if head_size(event) > self._limits.max_head:
            raise _Refused(431, f"request line and header values over {self._limits.max_head}")
        if smuggling_risk(event):
            raise _Refused(400, "both Transfer-Encoding and Content-Length")
        if (problem := malformed(event)) is not None:
            raise _Refused(400, problem)
        return event

    async def _receive_body(self, head: h11.Request) -> Request:
        """The whole request, body de-chunked, once the client has sent all of it."""
        max_body = self._limits.max_body
        declared = next((int(v) for n, v in head.headers if n == b"content-length"), 0)
        if declared > max_body:
            # Refused before any 100 Continue, so a client that asked never sends the body.
            raise _Refused(413, f"Content-Length {declared} over {max_body}")
        body = bytearray()
        while True:
            event = self._h11.next_event()
            if event is h11.NEED_DATA:
                if self._h11.they_are_waiting_for_100_continue:
                    self._write(self._h11.send(CONTINUE))
                if not await self._wait_for_data(self._limits.header_timeout):
                    raise _Refused(408, "request body stalled")
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > max_body:
                    raise _Refused(413, f"body over {max_body}")
            elif isinstance(event, h11.EndOfMessage):
                break
            else:  # h11 raises on a body cut short; nothing else can come before its end
                raise _Refused(400, f"unexpected {event!r} in a request body")
        self._reading = False
        return request_from_h11(head, bytes(body), client=self._client, server=self._server)

    async def _send(self, response: Response, *, method: str) -> None:
        date = _http_date(int(time.time()))
        keep_alive = not self._closing
        try:
            head, body = response_to_h11(response, method=method, date=date, keep_alive=keep_alive)
        except h11.LocalProtocolError:
            logger.exception("handler answered %s %r: not valid HTTP", method, response.status)
            head, body = response_to_h11(
                internal_error(), method=method, date=date, keep_alive=keep_alive
            )
        data = self._h11.send(head) or b""
        if body:
            data += self._h11.send(h11.Data(data=body)) or b""
        self._write(data + (self._h11.send(h11.EndOfMessage()) or b""))
        if not self._writable.is_set():
            try:
                async with asyncio.timeout(WRITE_TIMEOUT):
                    await self._writable.wait()
            except TimeoutError:
                self._transport.abort()

    async def _refuse(self, status: int) -> None:
        """Answer ``status`` if no response has started, then half-close and linger."""
        if self._h11.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            head, body = refusal(status, date=_http_date(int(time.time())))
            data = self._h11.send(head) or b""
            data += self._h11.send(h11.Data(data=body)) or b""
            self._write(data + (self._h11.send(h11.EndOfMessage()) or b""))
        if self._transport.is_closing() or self._lost.is_set():
            return
        # Closing with unread input makes the kernel send a reset that can destroy our
        # answer before the client reads it; so stop writing, discard input until the
        # client closes, for a bounded time.
        self._lingering = True
        if self._reading_paused:
            self._transport.resume_reading()
        if self._transport.can_write_eof():
            with contextlib.suppress(OSError):  # the client reset the connection meanwhile
                self._transport.write_eof()
        try:
            async with asyncio.timeout(LINGER_SECONDS):
                await self._lost.wait()
        except TimeoutError:
            pass

    # -- I/O ----------------------------------------------------------------------------------

    async def _wait_for_data(self, timeout: float) -> bool:
        """Whether bytes (or the end of input) arrived within ``timeout`` seconds."""
        if timeout <= 0:
            return False
        if self._reading_paused:
            self._transport.resume_reading()
            self._reading_paused = False
        self._data_arrived.clear()
        try:
            async with asyncio.timeout(timeout):
                await self._data_arrived.wait()
        except TimeoutError:
            return False
        return True

    def _write(self, data: bytes | None) -> None:
        if data and not self._transport.is_closing():
            self._transport.write(data)
