"""One HTTP/1.1 client connection: a wire parses, this protocol moves bytes and runs requests.

The wire (:mod:`lambgate.local.front.wire`: httptools or h11) owns parsing and framing, sans
I/O. This :class:`asyncio.Protocol` is driven by its callbacks alone, as uvicorn's are: bytes
in are fed to the wire, and a complete request goes to the handler at once. A handler that
answers synchronously (a ``Response``) is answered within the same callback; an awaitable one
runs as a task or future, whose completion writes the response. Requests are answered strictly
one after another, which is what answers pipelined requests in order; reading pauses while one
is being answered, so a client cannot make us buffer more than one socket read ahead.

One deadline per connection stands for whichever clock runs: the idle keep-alive, the request
head's deadline, a stalled body, a client that reads none of our response, the linger after a
refusal. Its timer is moved lazily: setting a later deadline (the next keep-alive, after every
request) leaves the timer where it is, and when it fires early it sets itself again, so a
busy connection touches the event loop's timers about once per idle period, not per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from email.utils import formatdate
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from lambgate.model import Request, Response

from .messages import (
    head_size,
    internal_error,
    malformed,
    refusal,
    request_from_head,
    response_framing,
    server_wide_options,
    streamed_framing,
)
from .streams import RequestBodyStream, ResponseCut, StreamedResponse
from .wire import InvalidResponse, Parser, Refused, RequestHead, Signal, choose_parser

if TYPE_CHECKING:
    # The front's public configuration lives with start_server, which imports this module.
    from .server import Handler, Limits

__all__ = ["HTTPConnection"]

logger = logging.getLogger("lambgate.http")

#: The wire refuses (431) an unfinished head past this multiple of ``max_head``: AWS counts only
#: the request line and header *values*, so names and framing get room, but memory stays bound.
HEAD_BUFFER_FACTOR = 4
#: After refusing a request, keep reading (and discarding) this long before closing, so a
#: client still sending its body reads our answer instead of a connection reset.
LINGER_SECONDS = 2.0
#: A client that reads none of our response for this long is dropped.
WRITE_TIMEOUT = 30.0


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
        *,
        parser: Parser | None = None,
        coalesce_pipelined: bool = False,
        streams_body: Callable[[RequestHead], bool] | None = None,
    ) -> None:
        self._handler = handler
        #: Which requests go to the handler at their head, their body following in a
        #: :class:`RequestBodyStream` (the Runtime API's streamed posts); ``None``: none.
        self._streams_body = streams_body
        self._body_stream: RequestBodyStream | None = None
        #: A :class:`StreamedResponse` is being sent; a client that reads too slowly is
        #: waited for here.
        self._streaming_out = False
        self._drain_waiter: asyncio.Future[None] | None = None
        self._coalesce = coalesce_pipelined
        #: Answers held back to leave with the answer to a request pipelined behind them.
        self._held: list[bytes] = []
        self._limits = limits
        self._on_finished = on_finished
        self._wire = (parser or choose_parser())(limits.max_head * HEAD_BUFFER_FACTOR)
        self._loop = asyncio.get_running_loop()
        self._client: tuple[str, int] | None = None
        self._server: tuple[str, int] | None = None
        #: Resolved once the connection is closed and no request of it is running: what
        #: :meth:`HTTPServer.close` waits for.
        self.finished: asyncio.Future[None] = self._loop.create_future()
        # The request being read: its head, and its body so far.
        self._head: RequestHead | None = None
        self._pieces: list[bytes] = []
        self._size = 0
        # The request being answered: the handler's task or future, and the method (HEAD
        # responses carry no body).
        self._busy = False
        self._running: asyncio.Future[Any] | None = None
        self._method = "GET"
        # The running clock: when it runs out and what then; the timer waking us no later.
        self._deadline: float | None = None
        self._expired: Callable[[], object] = self._transport_close
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._head_clock = False  # the running timer is the request head's deadline
        self._reading_paused = False
        self._writing_paused = False
        self._draining = False  # a response waits for the client to read it
        self._lingering = False
        self._closing = False
        self._lost = False

    # -- asyncio's callbacks ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._client = _address(transport.get_extra_info("peername"))
        self._server = _address(transport.get_extra_info("sockname"))
        self._advance()

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return
        self._wire.receive_data(data)
        if self._body_stream is not None:
            self._pump_body()
            return
        if self._busy:
            # Answered in turn: until then the bytes wait in the wire, and no more are read.
            if not self._reading_paused:
                self._transport.pause_reading()
                self._reading_paused = True
            return
        self._advance()

    def eof_received(self) -> bool:
        if self._lingering:
            return False  # the client has read our refusal and left: close
        self._wire.receive_data(b"")
        if self._body_stream is not None:
            self._pump_body()
        elif not self._busy:
            self._advance()
        return True  # a half-closed client still wants its answer

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._wire.receive_data(b"")
        if self._body_stream is not None:
            self._body_stream.fail(ConnectionResetError("the connection was lost mid-body"))
            self._body_stream = None
        if self._drain_waiter is not None and not self._drain_waiter.done():
            self._drain_waiter.set_result(None)
        self._stop_timer()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._running is None:
            self._finish()
        elif self._streaming_out:
            # A streamed response has no one to go to: stopping it tells its producer.
            self._running.cancel()
        elif not isinstance(self._running, asyncio.Task):
            # A future's answer (a Runtime API long-poll) has nowhere to go now: its maker
            # sees it cancelled and gives the event to the runtime's next poll. A task runs on
            # (the function keeps running when its client leaves, as on AWS).
            self._running.cancel()

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        if self._drain_waiter is not None and not self._drain_waiter.done():
            self._drain_waiter.set_result(None)
        if self._draining:
            self._draining = False
            self._stop_timer()
            self._next_cycle()

    # -- what the server asks of a connection ---------------------------------------------

    def shutdown(self) -> None:
        """Close now if idle; otherwise finish the request in flight, then close."""
        self._closing = True
        if not self._busy and self._head is None and not self._wire.head_pending:
            self._transport.close()

    def abort(self) -> None:
        """Drop the connection and cancel whatever it was running."""
        if self._running is not None:
            self._running.cancel()
        self._transport.abort()

    # -- reading a request --------------------------------------------------------------------

    def _advance(self) -> None:
        """Read as far as the bytes at hand go; hand a complete request to the handler."""
        try:
            while not self._busy and not self._lingering and not self._transport.is_closing():
                if self._head is None:
                    if not self._read_head():
                        return
                elif not self._read_body():
                    return
        except Refused as refused:
            self._refuse(refused.status, str(refused))
        except Exception:
            logger.exception("HTTP connection from %s failed", self._client)
            self._transport.close()

    def _read_head(self) -> bool:
        """Whether a head was read; otherwise wait (or close) for the next bytes."""
        event = self._wire.next_event()
        if event is Signal.NEED_DATA:
            if self._wire.head_pending:
                if not self._head_clock:
                    self._start_timer(self._limits.header_timeout, self._head_too_slow)
                    self._head_clock = True
            elif self._closing:
                self._transport.close()
                return False
            elif not self._head_clock:
                # Keep-alive idle timeout: close without a word.
                self._start_timer(self._limits.idle_timeout, self._transport_close)
            self._resume_reading()
            return False
        if not isinstance(event, RequestHead):
            self._transport.close()  # the client left between requests
            return False
        self._stop_timer()
        if head_size(event) > self._limits.max_head:
            raise Refused(431, f"request line and header values over {self._limits.max_head}")
        if (problem := malformed(event)) is not None:
            raise Refused(400, problem)
        if self._streams_body is not None and self._streams_body(event):
            self._stream_body(event)
            return True
        max_body = self._limits.max_body
        declared = next((int(v) for n, v in event.headers if n == b"content-length"), 0)
        if declared > max_body:
            # Refused before any 100 Continue, so a client that asked never sends the body.
            raise Refused(413, f"Content-Length {declared} over {max_body}")
        self._head = event
        self._pieces = []
        self._size = 0
        return True

    def _read_body(self) -> bool:
        """Whether the request was handed on; otherwise wait for more of its body."""
        event = self._wire.next_event()
        if event is Signal.END_OF_MESSAGE:
            head, self._head = self._head, None
            assert head is not None
            self._stop_timer()
            # join() hands a lone piece back as it is: most bodies arrive in one.
            body = b"".join(self._pieces)
            self._pieces = []
            trailers = self._wire.trailers
            if trailers:
                # A chunked body's trailers (a streamed Runtime API post's error) are read
                # as headers after the head's.
                head = replace(
                    head,
                    headers=head.headers + trailers,
                    raw_names=head.raw_names + [name for name, _ in trailers],
                )
            request = request_from_head(head, body, client=self._client, server=self._server)
            # OPTIONS * asks about the server, not a resource (malformed() lets no other
            # method through): the front answers it and no function runs.
            self._dispatch(request, server_wide=head.target == b"*")
            return True
        if event is Signal.NEED_DATA:
            if self._wire.expects_continue:
                self._write(self._wire.continue_bytes())
            self._start_timer(self._limits.header_timeout, self._body_stalled)
            self._resume_reading()
            return False
        if isinstance(event, bytes):
            self._pieces.append(event)
            self._size += len(event)
            if self._size > self._limits.max_body:
                raise Refused(413, f"body over {self._limits.max_body}")
            return True
        # A wire raises on a body cut short; nothing else can come before its end.
        raise Refused(400, f"unexpected {event!r} in a request body")

    def _stream_body(self, head: RequestHead) -> None:
        """Hand the request on now, its body to follow through a :class:`RequestBodyStream`.

        The front's body limit does not apply (the handler keeps its own), nor does the
        stall clock: a streamed post pauses as long as its sender does.
        """
        stream = RequestBodyStream(resume=self._resume_body, abort=self._transport_abort)
        self._body_stream = stream
        request = request_from_head(
            head, b"", client=self._client, server=self._server, body_stream=stream
        )
        self._dispatch(request)
        self._pump_body()

    def _pump_body(self) -> None:
        """Move the body bytes at hand into the stream, until it is backlogged or ends."""
        stream = self._body_stream
        while stream is not None and not stream.backlogged:
            try:
                event = self._wire.next_event()
            except Refused as refused:
                stream.fail(ConnectionError(f"the request body is broken: {refused}"))
                self._body_stream = None
                self._transport.close()
                return
            if isinstance(event, bytes):
                stream.feed(event)
            elif event is Signal.END_OF_MESSAGE:
                stream.end(
                    [(n.decode("latin-1"), v.decode("latin-1")) for n, v in self._wire.trailers]
                )
                self._body_stream = None
                return
            elif event is Signal.NEED_DATA:
                self._resume_reading()
                return
            else:
                stream.fail(ConnectionError(f"unexpected {event!r} in a request body"))
                self._body_stream = None
                self._transport.close()
                return
        if stream is not None and not self._reading_paused:
            self._transport.pause_reading()
            self._reading_paused = True

    def _resume_body(self) -> None:
        if self._body_stream is not None and not self._lost:
            self._pump_body()

    def _head_too_slow(self) -> None:
        self._refuse(408, "request head not complete in time")

    def _body_stalled(self) -> None:
        self._refuse(408, "request body stalled")

    # -- answering it -------------------------------------------------------------------------

    def _dispatch(self, request: Request, *, server_wide: bool = False) -> None:
        self._busy = True
        self._head_clock = False
        self._method = request.method
        try:
            answer = server_wide_options() if server_wide else self._handler(request)
        except Exception:
            logger.exception("handler failed on %s %s", request.method, request.path)
            self._respond(internal_error())
            return
        if isinstance(answer, Response):
            self._respond(answer)
            return
        if asyncio.isfuture(answer):
            # A future (the Runtime API's long-poll): answered by a callback when it resolves.
            self._running = answer
            answer.add_done_callback(lambda done: self._resolved(done, request))
        else:
            # A coroutine runs as a task that writes the response itself as it finishes.
            task = self._loop.create_task(self._run(answer, request))
            self._running = task
            task.add_done_callback(self._ran)

    async def _run(self, answer: Awaitable[Response], request: Request) -> None:
        try:
            response = await answer
        except Exception:
            logger.exception("handler failed on %s %s", request.method, request.path)
            response = internal_error()
        if isinstance(response, StreamedResponse):
            await self._send_streamed(response)
        else:
            self._respond(response)

    async def _send_streamed(self, response: StreamedResponse) -> None:
        """Send each chunk as it comes, waiting for a client that reads slower; a producer
        that fails cuts the response short (the client sees the body incomplete)."""
        chunks = response.chunks
        try:
            if self._method == "HEAD" or response.status in (204, 304):
                self._respond(Response(response.status, response.headers, b""))
                return
            date = _http_date(int(time.time()))
            framing = streamed_framing(response, date=date, keep_alive=not self._closing)
            try:
                head = self._wire.streamed_head_bytes(*framing)
            except InvalidResponse:
                logger.exception("handler answered %r: not valid HTTP", response.status)
                self._respond(internal_error())
                return
            self._streaming_out = True
            self._write(head)
            try:
                async for chunk in chunks:
                    if self._lost:
                        return
                    if chunk:
                        self._write(self._wire.chunk_bytes(chunk))
                        if self._writing_paused:
                            await self._drain()
                            if self._transport.is_closing():  # lost, or dropped as too slow
                                return
            except ResponseCut:
                self._transport.abort()
                return
            except Exception:
                logger.exception("streamed response to %s failed; cut short", self._client)
                self._transport.abort()
                return
            self._write(self._wire.end_bytes())
        finally:
            self._streaming_out = False
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()
        if self._writing_paused:
            self._draining = True
            self._start_timer(WRITE_TIMEOUT, self._transport_abort)
            return
        self._next_cycle()

    async def _drain(self) -> None:
        """Until the client has read enough of what was written; it gets
        :data:`WRITE_TIMEOUT` to read anything at all."""
        self._drain_waiter = self._loop.create_future()
        self._start_timer(WRITE_TIMEOUT, self._transport_abort)
        try:
            await self._drain_waiter
        finally:
            self._drain_waiter = None
            self._stop_timer()

    def _resolved(self, done: asyncio.Future[Response], request: Request) -> None:
        self._running = None
        if done.cancelled():  # abort(): no answer, no more requests
            self._transport.close()
        elif (error := done.exception()) is not None:
            logger.error(
                "handler failed on %s %s",
                request.method,
                request.path,
                exc_info=(type(error), error, error.__traceback__),
            )
            self._respond(internal_error())
        else:
            self._respond(done.result())
        if self._lost:
            self._finish()

    def _ran(self, done: asyncio.Task[None]) -> None:
        self._running = None
        if done.cancelled():  # abort(), or the handler gave up: no answer, no more requests
            self._transport.close()
        elif (error := done.exception()) is not None:  # a bug of ours in writing the answer
            logger.error(
                "HTTP connection from %s failed",
                self._client,
                exc_info=(type(error), error, error.__traceback__),
            )
            self._transport.close()
        if self._lost:
            self._finish()

    def _respond(self, response: Response) -> None:
        if self._lost:
            return
        method = self._method
        date = _http_date(int(time.time()))
        keep_alive = not self._closing
        try:
            data = self._wire.response_bytes(
                *response_framing(response, method=method, date=date, keep_alive=keep_alive)
            )
        except InvalidResponse:
            logger.exception("handler answered %s %r: not valid HTTP", method, response.status)
            data = self._wire.response_bytes(
                *response_framing(internal_error(), method=method, date=date, keep_alive=keep_alive)
            )
        if self._coalesce and self._wire.reusable and self._wire.more_received:
            self._held.append(data)
        else:
            self._write(b"".join([*self._held, data]) if self._held else data)
            self._held = []
        if self._writing_paused:
            self._draining = True
            self._start_timer(WRITE_TIMEOUT, self._transport_abort)
            return
        self._next_cycle()

    def _next_cycle(self) -> None:
        if not self._wire.reusable:
            self._transport.close()
            return
        self._wire.start_next_cycle()
        self._busy = False
        self._advance()

    # -- refusing, closing ----------------------------------------------------------------------

    def _refuse(self, status: int, reason: str) -> None:
        """Answer ``status`` if no response has started, then half-close and linger."""
        if not self._lost:
            logger.info("HTTP %d to %s: %s", status, self._client, reason)
        self._busy = True  # nothing more is read or answered on this connection
        self._stop_timer()
        if self._held:
            self._write(b"".join(self._held))
            self._held = []
        if not self._wire.response_started:
            self._write(
                self._wire.response_bytes(*refusal(status, date=_http_date(int(time.time()))))
            )
        if self._transport.is_closing() or self._lost:
            return
        # Closing with unread input makes the kernel send a reset that can destroy our
        # answer before the client reads it; so stop writing, discard input until the
        # client closes, for a bounded time.
        self._lingering = True
        self._resume_reading()
        if self._transport.can_write_eof():
            with contextlib.suppress(OSError):  # the client reset the connection meanwhile
                self._transport.write_eof()
        self._start_timer(LINGER_SECONDS, self._transport_close)

    def _finish(self) -> None:
        if self.finished.done():
            return
        self.finished.set_result(None)
        if self._on_finished is not None:
            self._on_finished(self)

    # -- I/O ------------------------------------------------------------------------------------

    def _resume_reading(self) -> None:
        if self._reading_paused:
            self._transport.resume_reading()
            self._reading_paused = False

    def _start_timer(self, seconds: float, then: Callable[[], object]) -> None:
        """Run ``then`` in ``seconds`` unless the clock is stopped or set again first."""
        self._deadline = deadline = self._loop.time() + seconds
        self._expired = then
        if self._timer is None or self._timer_at > deadline:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self._loop.call_at(deadline, self._tick)
            self._timer_at = deadline

    def _stop_timer(self) -> None:
        self._deadline = None  # the timer, if any, fires and finds nothing to do

    def _tick(self) -> None:
        self._timer = None
        if self._deadline is None:
            return
        if self._loop.time() < self._deadline:  # set later since: wake up then
            self._timer = self._loop.call_at(self._deadline, self._tick)
            self._timer_at = self._deadline
            return
        self._deadline = None
        self._expired()

    def _transport_close(self) -> None:
        self._transport.close()

    def _transport_abort(self) -> None:
        self._transport.abort()

    def _write(self, data: bytes) -> None:
        if data and not self._transport.is_closing():
            self._transport.write(data)
