"""The :class:`~lambgate.local.front.wire.Wire` on httptools (llhttp, in C): the fast parser.

llhttp parses every complete message in the bytes it is fed and reports them through
callbacks; this wire queues them as events, so the connection reads pipelined requests one at
a time as it does with h11. What llhttp leaves to servers is done here, the way h11 does it:
only HTTP/1.0 and 1.1, exactly one ``Host`` in HTTP/1.1, blanks trimmed from header values,
``Connection: close`` (and any HTTP/1.0 request) ending the connection after its response, and
a bound on an unfinished head. Responses are framed here too, held to the same header rules
as h11's (:func:`~lambgate.local.front.wire.header_block`).
"""

from __future__ import annotations

from collections import deque

import httptools

from .wire import Refused, RequestHead, Signal, WireEvent, header_block, reason_phrase

__all__ = ["HttptoolsWire"]

_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_CLOSE = (b"connection", b"close")


class _Head:
    """A parsed head in the queue, with what its message asks of the connection."""

    __slots__ = ("expects_continue", "head", "keep_alive")

    def __init__(self, head: RequestHead, *, keep_alive: bool, expects_continue: bool) -> None:
        self.head = head
        self.keep_alive = keep_alive
        self.expects_continue = expects_continue


class _Trailers:
    """A chunked body's trailer fields, queued just before its end."""

    __slots__ = ("fields",)

    def __init__(self, fields: list[tuple[bytes, bytes]]) -> None:
        self.fields = fields


def _status_of(error: httptools.HttpParserError) -> int:
    """501 for a transfer coding llhttp does not implement (RFC 9112 section 6.1, as h11
    answers), 400 for everything else."""
    return 501 if "`Transfer-Encoding`" in str(error) else 400


def _close_requested(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether a response's own ``Connection`` header closes the connection."""
    return any(
        name.lower() == b"connection" and b"close" in value.lower().replace(b" ", b"").split(b",")
        for name, value in headers
    )


class HttptoolsWire:
    """One server connection: llhttp's callbacks fill a queue that :meth:`next_event` drains."""

    def __init__(self, max_incomplete_head: int) -> None:
        self._parser = httptools.HttpRequestParser(self)
        self._max_incomplete_head = max_incomplete_head
        self._events: deque[WireEvent | _Head | Refused | _Trailers] = deque()
        # The message being parsed (it may be ahead of the one being answered).
        self._url = b""
        self._raw_headers: list[tuple[bytes, bytes]] = []
        #: Fields after a chunked body (llhttp reports them as headers, past the head).
        self._parsed_trailers: list[tuple[bytes, bytes]] = []
        self._trailers: list[tuple[bytes, bytes]] = []
        self._in_message = False
        self._in_head = False
        self._parsed_keep_alive = True
        self._head_began_in_chunk = False
        self._incomplete_head_bytes = 0
        #: No more events: the client closed, broke the protocol, or its last request said
        #: ``Connection: close`` (later bytes are ignored, as h11 does).
        self._stopped = False
        self._eof = False
        # The cycle being answered.
        self._keep_alive = True
        self._http11 = True
        #: A streamed response is being sent with chunked transfer coding.
        self._chunked = False
        self._streaming = False
        self._expects_continue = False
        self._request_done = False
        self._response_done = False

    # -- llhttp's callbacks ---------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._url = b""
        self._raw_headers = []
        self._in_message = True
        self._in_head = True
        self._head_began_in_chunk = True
        self._incomplete_head_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._in_head:
            self._raw_headers.append((name, value))
        else:
            self._parsed_trailers.append((name.lower(), value.strip(b" \t")))

    def on_headers_complete(self) -> None:
        self._in_head = False
        if self._stopped:
            return
        version = self._parser.get_http_version()
        if version not in ("1.1", "1.0"):
            self._refuse(400, f"HTTP/{version} is not HTTP/1.x")
            return
        headers: list[tuple[bytes, bytes]] = []
        hosts = 0
        expects_continue = False
        for raw_name, value in self._raw_headers:
            name = raw_name.lower()
            # llhttp drops the blanks before a value, RFC 9112 section 5 both sides.
            value = value.rstrip(b" \t")
            headers.append((name, value))
            if name == b"host":
                hosts += 1
            elif name == b"expect":
                expects_continue = value.lower() == b"100-continue" and version == "1.1"
        if version == "1.1" and hosts != 1:
            self._refuse(400, "an HTTP/1.1 request needs exactly one Host header")
            return
        # HTTP/1.0 closes after each answer, Connection: keep-alive or not, as h11 has it.
        keep_alive = version == "1.1" and self._parser.should_keep_alive()
        self._parsed_keep_alive = keep_alive
        head = RequestHead(
            method=self._parser.get_method().decode("ascii"),
            target=self._url,
            http_version=version.encode("ascii"),
            headers=headers,
            raw_names=[name for name, _ in self._raw_headers],
        )
        self._events.append(_Head(head, keep_alive=keep_alive, expects_continue=expects_continue))

    def on_body(self, body: bytes) -> None:
        if not self._stopped:
            self._events.append(body)

    def on_message_complete(self) -> None:
        self._in_message = False
        if self._stopped:
            return
        if self._parsed_trailers:
            self._events.append(_Trailers(self._parsed_trailers))
            self._parsed_trailers = []
        self._events.append(Signal.END_OF_MESSAGE)
        if not self._parsed_keep_alive:
            self._stopped = True

    # -- the wire ------------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        if not data:
            if self._in_message:
                self._refuse(400, "the client closed the connection in the middle of a request")
            self._eof = self._stopped = True
            return
        if self._stopped:
            return
        self._head_began_in_chunk = False
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:
            # An Upgrade (or CONNECT) request that this server answers as plain HTTP, as h11
            # does: the bytes after it are the next request, for a fresh parser.
            offset = int(upgrade.args[0]) if upgrade.args else len(data)
            self._parser = httptools.HttpRequestParser(self)
            if offset < len(data):
                self.receive_data(data[offset:])
            return
        except httptools.HttpParserError as error:
            self._refuse(_status_of(error), str(error) or type(error).__name__)
            return
        if self._in_head and not self._head_began_in_chunk:
            # Counted from the chunk after the one the head began in: a pipelined burst never
            # counts toward the next head, and memory stays bound by the limit plus one read.
            self._incomplete_head_bytes += len(data)
            if self._incomplete_head_bytes > self._max_incomplete_head:
                self._refuse(431, "request head too long")

    def _refuse(self, status: int, reason: str) -> None:
        if not self._stopped:
            self._stopped = True
            self._events.append(Refused(status, reason))

    def next_event(self) -> WireEvent:
        if not self._events:
            return Signal.CLOSED if self._eof else Signal.NEED_DATA
        event = self._events.popleft()
        if isinstance(event, _Head):
            self._keep_alive = event.keep_alive
            self._http11 = event.head.http_version == b"1.1"
            self._expects_continue = event.expects_continue
            return event.head
        if isinstance(event, Refused):
            raise event
        if isinstance(event, _Trailers):  # the end of its message is queued right behind
            self._trailers = event.fields
            return self.next_event()
        if event is Signal.END_OF_MESSAGE:
            self._request_done = True
        self._expects_continue = False  # body bytes arrived: the client is not waiting
        return event

    @property
    def trailers(self) -> list[tuple[bytes, bytes]]:
        return self._trailers

    @property
    def head_pending(self) -> bool:
        return self._in_head

    @property
    def more_received(self) -> bool:
        return bool(self._events) or self._in_message

    @property
    def expects_continue(self) -> bool:
        return self._expects_continue

    def continue_bytes(self) -> bytes:
        self._expects_continue = False
        return _CONTINUE

    def response_bytes(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
        if not self._keep_alive:
            # As h11 does: whatever the response said of the connection, it now closes.
            headers = [(n, v) for n, v in headers if n.lower() != b"connection"] + [_CLOSE]
        block = header_block(status, headers)
        if self._keep_alive and b"onnection: " in block and _close_requested(headers):
            self._keep_alive = False
        self._response_done = True
        self._expects_continue = False
        return b"HTTP/1.1 %d %s\r\n%s\r\n%s" % (status, reason_phrase(status), block, body)

    def streamed_head_bytes(self, status: int, headers: list[tuple[bytes, bytes]]) -> bytes:
        # RFC 9112 section 7.1: chunked, so the connection can stay open after it. HTTP/1.0
        # has no chunks: its body runs to the close (section 6.3), which every HTTP/1.0
        # request here ends with anyway.
        if self._http11:
            headers = [*headers, (b"transfer-encoding", b"chunked")]
        head = self.response_bytes(status, headers, b"")
        self._chunked = self._http11
        self._streaming = True
        self._response_done = False
        return head

    def chunk_bytes(self, data: bytes) -> bytes:
        return b"%x\r\n%s\r\n" % (len(data), data) if self._chunked else data

    def end_bytes(self) -> bytes:
        self._response_done = True
        self._streaming = False
        return b"0\r\n\r\n" if self._chunked else b""

    @property
    def response_started(self) -> bool:
        return self._response_done or self._streaming

    @property
    def reusable(self) -> bool:
        return self._request_done and self._response_done and self._keep_alive

    def start_next_cycle(self) -> None:
        self._trailers = []
        self._chunked = False
        self._streaming = False
        self._request_done = False
        self._response_done = False
        self._expects_continue = False
