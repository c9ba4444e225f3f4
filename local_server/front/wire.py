"""The server side of one HTTP/1.1 connection, sans I/O, and the parsers that can drive it.

A :class:`Wire` takes the bytes a client sent and gives back events (a request's head, pieces
of its body, its end), and turns a response into the bytes to send. It never touches a socket
or a clock: :mod:`lambgate.local.front.connection` owns the I/O, the timeouts and the limits,
and is written once against this interface. Two parsers implement it, as uvicorn offers both:

- ``httptools`` (llhttp, in C): the fast one, chosen when it is installed;
- ``h11`` (pure Python): always there, the reference the front was first written on.

Where the two disagree on malformed input, each keeps its own reading (llhttp is stricter on
bare line feeds, folded headers and lower-case methods; h11 folds an identical repeated
``Content-Length`` into one, llhttp refuses it), and every such answer is a 4xx: no request
that one refuses reaches a handler through the other in a different shape.
"""

from __future__ import annotations

import enum
import importlib.util
import re
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Literal, Protocol

__all__ = [
    "PARSERS",
    "InvalidResponse",
    "Parser",
    "ParserName",
    "Refused",
    "RequestHead",
    "Signal",
    "Wire",
    "WireEvent",
    "choose_parser",
    "header_block",
    "reason_phrase",
]


class Refused(Exception):
    """The client broke the protocol or a limit: the front answers ``status`` and closes."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class InvalidResponse(Exception):
    """A handler's response cannot be written as valid HTTP/1.1 (the front sends a 500)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestHead:
    """A request line and its headers, as both parsers report them."""

    method: str
    target: bytes
    #: ``b"1.1"`` or ``b"1.0"``.
    http_version: bytes
    #: Lower-cased names, values without surrounding blanks, in arrival order.
    headers: list[tuple[bytes, bytes]]
    #: The names as the client spelled them, one for each of ``headers`` (REST API events keep
    #: spellings; nothing else reads them).
    raw_names: list[bytes]


class Signal(enum.Enum):
    """The events of a :class:`Wire` that carry no data."""

    #: Nothing complete yet: wait for more bytes.
    NEED_DATA = "need data"
    #: The request's body is complete.
    END_OF_MESSAGE = "end of message"
    #: The client closed the connection between requests.
    CLOSED = "closed"


#: What :meth:`Wire.next_event` returns: a head, a piece of body, or a :class:`Signal`.
WireEvent = RequestHead | bytes | Signal


class Wire(Protocol):
    """One connection's HTTP/1.1 state; requests are read and answered strictly in turn."""

    def receive_data(self, data: bytes) -> None:
        """Bytes from the client; ``b""`` when it will send no more."""

    def next_event(self) -> WireEvent:
        """The next event, or :attr:`Signal.NEED_DATA`; raises :class:`Refused`."""

    @property
    def trailers(self) -> list[tuple[bytes, bytes]]:
        """The trailer fields of the request just read (a chunked body's, lower-cased names);
        the Runtime API reads a streamed response's error from them."""

    @property
    def head_pending(self) -> bool:
        """Part of the next request's head has arrived (its clock is running)."""

    @property
    def more_received(self) -> bool:
        """Bytes of a request after the current one have arrived (it was pipelined)."""

    @property
    def expects_continue(self) -> bool:
        """The client sent ``Expect: 100-continue`` and waits before sending the body."""

    def continue_bytes(self) -> bytes:
        """The ``100 Continue`` interim response; the client then sends its body."""

    def response_bytes(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
        """The whole response, framed by the caller (``Content-Length``, ``Date``); adds
        ``Connection: close`` when the client asked for it. Raises :class:`InvalidResponse`
        before changing any state, so a 500 can still be sent instead."""

    def streamed_head_bytes(self, status: int, headers: list[tuple[bytes, bytes]]) -> bytes:
        """The head of a response whose body follows in pieces (:meth:`chunk_bytes`, then
        :meth:`end_bytes`): chunked transfer coding for HTTP/1.1, the body up to the close
        for HTTP/1.0. ``headers`` carry no framing. Raises :class:`InvalidResponse` before
        changing any state."""

    def chunk_bytes(self, data: bytes) -> bytes:
        """One non-empty piece of a streamed body, framed."""

    def end_bytes(self) -> bytes:
        """What ends a streamed body (the last chunk); the response is then complete."""

    @property
    def response_started(self) -> bool:
        """A response has been (partly) written: a refusal can no longer be sent."""

    @property
    def reusable(self) -> bool:
        """The request and its response are complete and both sides keep the connection."""

    def start_next_cycle(self) -> None:
        """Go on to the next request (only when :attr:`reusable`)."""


#: Builds the wire of one connection; ``max_incomplete_head`` bounds an unfinished head.
Parser = Callable[[int], Wire]
ParserName = Literal["auto", "h11", "httptools"]


def _h11(max_incomplete_head: int) -> Wire:
    from .h11_wire import H11Wire

    return H11Wire(max_incomplete_head)


def _httptools(max_incomplete_head: int) -> Wire:
    from .httptools_wire import HttptoolsWire

    return HttptoolsWire(max_incomplete_head)


#: The parsers by name, as uvicorn's ``--http`` names them.
PARSERS: dict[str, Parser] = {"h11": _h11, "httptools": _httptools}


def choose_parser(name: ParserName = "auto") -> Parser:
    """``auto``: httptools when installed (it is in ``lambgate[local]``), else h11."""
    if name == "auto":
        name = "httptools" if importlib.util.find_spec("httptools") is not None else "h11"
    if name not in PARSERS:
        raise ValueError(f"unknown HTTP parser {name!r}; choose from {sorted(PARSERS)}")
    return PARSERS[name]


_REASONS = {status.value: status.phrase.encode("ascii") for status in HTTPStatus}


def reason_phrase(status: int) -> bytes:
    """The standard phrase for ``status`` (API Gateway sends them), empty when unknown."""
    return _REASONS.get(status, b"")


# RFC 9110 section 5 as h11 spells it (h11/_abnf.py): a token for names; for values, visible
# characters and obs-text, blanks only between them. h11 holds the responses it frames to these
# rules; the httptools wire frames its own and holds them to this copy, so a function's bad
# header is the same 500 whichever parser runs.
_NAME = rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+"
_VALUE = rb"(?:[\x21-\x7e\x80-\xff]+(?:[ \t]+[\x21-\x7e\x80-\xff]+)*)?"
#: A whole header block, ``name: value\r\n`` lines, checked in one match; a Content-Length
#: must be digits.
_HEADER_BLOCK = re.compile(
    rb"(?:(?i:content-length): [0-9]+\r\n|(?!(?i:content-length):)"
    + _NAME
    + rb": "
    + _VALUE
    + rb"\r\n)*"
)


def header_block(status: int, headers: list[tuple[bytes, bytes]]) -> bytes:
    """The ``name: value\r\n`` lines of ``headers``; :class:`InvalidResponse` unless they and
    ``status`` can go on the wire."""
    if not 200 <= status < 1000:
        raise InvalidResponse(f"status {status} is not a final response status")
    block = b"".join([b"%s: %s\r\n" % header for header in headers])
    # One line per header: a line break inside a value must not pass for the next header.
    if block.count(b"\n") != len(headers) or _HEADER_BLOCK.fullmatch(block) is None:
        raise InvalidResponse(f"illegal header among {headers!r}")
    return block
