"""The wire's requests and responses to and from lambgate's :class:`~lambgate.model.Request`
and ``Response``.

No sockets and no clocks here: the connection in :mod:`lambgate.local.front.connection` owns
the I/O and calls these to turn what the parser read (:class:`~.wire.RequestHead`) into a
request, and a response (or one of the gateway's own refusals) into the status, headers and
body the wire frames.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_to_bytes

from lambgate.model import Request, Response

from .streams import RequestBodyStream
from .wire import RequestHead

__all__ = [
    "ERROR_BODIES",
    "Framed",
    "ReceivedRequest",
    "StreamingRequest",
    "head_size",
    "internal_error",
    "malformed",
    "refusal",
    "request_from_head",
    "response_framing",
    "server_wide_options",
    "split_target",
    "streamed_framing",
]

#: The body of each answer the front gives on its own, before any function runs. API Gateway
#: answers 413 with ``{"message":"Request Entity Too Large"}``
#: (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html gives the
#: 10 MB limit); the other statuses use the same ``{"message": reason}`` shape as its other
#: gateway responses.
ERROR_BODIES: dict[int, bytes] = {
    400: b'{"message":"Bad Request"}',
    408: b'{"message":"Request Timeout"}',
    413: b'{"message":"Request Entity Too Large"}',
    431: b'{"message":"Request Header Fields Too Large"}',
    501: b'{"message":"Not Implemented"}',
}

# Framing is the server's job: a Lambda result has one whole body, so Content-Length is
# computed here and whatever framing the function named is dropped.
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})

#: What a wire frames: status, headers (framing included) and the body bytes to send.
Framed = tuple[int, list[tuple[bytes, bytes]], bytes]


def split_target(target: bytes) -> tuple[bytes, bytes]:
    """``(raw_path, query_string)`` of a request target.

    The absolute form (``GET http://host/p?q``) must be accepted by servers
    (https://www.rfc-editor.org/rfc/rfc9112#section-3.2.2); its authority is dropped here as
    ``Host`` already names it.
    """
    if not target.startswith(b"/") and b"://" in target:
        after_scheme = target.partition(b"://")[2]
        ends = [index for index in (after_scheme.find(b"/"), after_scheme.find(b"?")) if index >= 0]
        rest = after_scheme[min(ends) :] if ends else b""
        target = rest if rest.startswith(b"/") else b"/" + rest
    raw_path, _, query_string = target.partition(b"?")
    return raw_path, query_string


#: An absolute-form target (RFC 9112 section 3.2.2) of the schemes a gateway serves.
_ABSOLUTE_FORM = re.compile(rb"https?://[^/?#]+", re.IGNORECASE)
#: Control characters, which RFC 9110 section 5.5 makes invalid in a field value ("Field
#: values containing CR, LF, or NUL characters are invalid and dangerous ... Field values
#: containing other CTL characters are also invalid"); HTAB is whitespace and allowed. h11
#: itself refuses NUL, CR and LF only (llhttp, lenient, not all of them).
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def malformed(event: RequestHead) -> str | None:
    """Why a request the wire accepted is still not one to serve (answered 400), or ``None``.

    Checked here, once, whichever parser read the head. h11 takes any request-target (and
    llhttp nearly any); RFC 9112 section 3.2 allows four forms. The origin-form
    (``/path?query``) is what clients send; the absolute-form (``http://host/path``) "a
    server MUST accept" (section 3.2.2), and :func:`split_target` takes its path; the
    asterisk-form ``*`` is for ``OPTIONS`` only (3.2.4, answered by
    :func:`server_wide_options`) and the authority-form for ``CONNECT`` only (3.2.3), which
    no AWS front serves. Anything else (``GET foo``) would reach the app as a path no client
    can mean.
    """
    target = event.target
    if not (
        target.startswith(b"/")
        or _ABSOLUTE_FORM.match(target)
        or (target == b"*" and event.method == "OPTIONS")
    ):
        return f"request target {target[:100]!r} is not origin-form"
    for name, value in event.headers:
        if _CONTROL.search(value):
            return f"control character in the value of header {name.decode('latin-1')}"
    return None


def server_wide_options() -> Response:
    """The answer to ``OPTIONS *``, a question about the server rather than any resource
    (RFC 9110 section 9.3.7): success and no content, which must say Content-Length 0;
    no function is asked."""
    return Response(status=200, headers=[], body=b"")


def head_size(event: RequestHead) -> int:
    """Bytes of the request line plus header values, as the HTTP API quota counts them.

    "Total combined size of request line and header values: 10240 bytes"
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html).
    """
    # "METHOD SP target SP HTTP/x.y": two spaces and "HTTP/".
    line = len(event.method) + len(event.target) + len(event.http_version) + 7
    return line + sum(len(value) for _, value in event.headers)


class ReceivedRequest(Request):
    """A request off the wire, which also knows how the client spelled each header name.

    ``headers`` are lower-cased as everywhere in lambgate, but REST API events carry names as
    the client sent them, so the gateway needs the spellings the parser kept.
    """

    __slots__ = ("_raw_names", "_spellings")

    def __init__(self, *, raw_names: list[bytes], **fields: Any) -> None:
        super().__init__(**fields)
        self._raw_names = raw_names
        self._spellings: dict[str, str] | None = None

    @property
    def header_spellings(self) -> dict[str, str]:
        """Lower-case name → the client's first spelling of it (worked out when first read:
        only REST API events need it)."""
        if self._spellings is None:
            spellings: dict[str, str] = {}
            for raw in self._raw_names:
                name = raw.decode("latin-1")
                spellings.setdefault(name.lower(), name)
            self._spellings = spellings
        return self._spellings


class StreamingRequest(ReceivedRequest):
    """A request handed on at its head: ``body`` is empty and ``body_stream`` brings the body
    as it arrives (a streamed Runtime API post, :mod:`.streams`)."""

    __slots__ = ("body_stream",)

    def __init__(self, *, body_stream: RequestBodyStream, **fields: Any) -> None:
        super().__init__(**fields)
        self.body_stream = body_stream


def request_from_head(
    head: RequestHead,
    body: bytes,
    *,
    client: tuple[str, int] | None,
    server: tuple[str, int] | None,
    body_stream: RequestBodyStream | None = None,
) -> Request:
    """The :class:`Request` a normal HTTP server would hand an app for this request; with
    ``body_stream``, a :class:`StreamingRequest` whose body comes from it."""
    raw_path, query_string = split_target(head.target)
    build: type[ReceivedRequest] = ReceivedRequest
    extra: dict[str, Any] = {}
    if body_stream is not None:
        build, extra = StreamingRequest, {"body_stream": body_stream}
    return build(
        **extra,
        raw_names=head.raw_names,
        method=head.method,
        # As ASGI's path: percent-decoded, then UTF-8 (invalid sequences replaced).
        path=unquote_to_bytes(raw_path).decode("utf-8", "replace"),
        raw_path=raw_path.decode("latin-1"),
        query_string=query_string.decode("latin-1"),
        # The model carries header text as PEP 3333's native strings, one character per byte.
        headers=[(name.decode("latin-1"), value.decode("latin-1")) for name, value in head.headers],
        body=body,
        scheme="http",
        server=server,
        client=client,
        root_path="",
    )


def response_framing(
    response: Response, *, method: str, date: bytes | None = None, keep_alive: bool = True
) -> Framed:
    """The status, headers and body bytes to send for ``response``.

    The wire validates status and headers before it changes any state, so a bad response can
    still be replaced by a 500. A HEAD answer keeps the Content-Length the function gave (it
    describes the GET body) but sends no body; 204 and 304 carry neither.
    """
    headers = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in response.headers
        if name.lower() not in _FRAMING_HEADERS
    ]
    body = response.body
    if response.status in (204, 304):
        body = b""
    elif method == "HEAD":
        declared = [value for name, value in response.headers if name.lower() == "content-length"]
        headers.append((b"content-length", (declared[0] if declared else str(len(body))).encode()))
        body = b""
    else:
        headers.append((b"content-length", str(len(body)).encode()))
    if date is not None:
        headers.append((b"date", date))
    if not keep_alive:
        headers.append((b"connection", b"close"))
    return response.status, headers, body


def streamed_framing(
    response: Response, *, date: bytes | None = None, keep_alive: bool = True
) -> tuple[int, list[tuple[bytes, bytes]]]:
    """The status and headers of a response whose body is streamed: the function's framing
    headers are dropped, as for a whole body, and the wire frames the chunks itself."""
    headers = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in response.headers
        if name.lower() not in _FRAMING_HEADERS
    ]
    if date is not None:
        headers.append((b"date", date))
    if not keep_alive:
        headers.append((b"connection", b"close"))
    return response.status, headers


def internal_error() -> Response:
    """What the client sees when the handler itself fails: a bug in the emulator's own
    pipeline, not an AWS answer, so plain text, and the traceback goes only to the log."""
    return Response(
        status=500,
        headers=[("content-type", "text/plain; charset=utf-8")],
        body=b"Internal Server Error",
    )


def refusal(status: int, *, date: bytes | None = None) -> Framed:
    """The front's own answer for ``status`` (one of :data:`ERROR_BODIES`, else 400), always
    closing the connection: what follows on the wire can no longer be trusted."""
    if status not in ERROR_BODIES:
        status = 400
    body = ERROR_BODIES[status]
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    if date is not None:
        headers.append((b"date", date))
    return status, headers, body
