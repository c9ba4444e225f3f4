"""h11 events to and from lambgate's :class:`~lambgate.model.Request` and ``Response``.

No sockets and no clocks here: the connection in :mod:`lambgate.local.http_connection` owns
the I/O and calls these to turn what h11 parsed into a request, and a response (or one of the
gateway's own refusals) back into h11 events.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any
from urllib.parse import unquote_to_bytes

import h11

from lambgate.model import Request, Response

__all__ = [
    "ERROR_BODIES",
    "ReceivedRequest",
    "head_size",
    "internal_error",
    "reason_phrase",
    "refusal",
    "request_from_h11",
    "response_to_h11",
    "smuggling_risk",
    "split_target",
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


def reason_phrase(status: int) -> bytes:
    """The standard phrase for ``status`` (API Gateway sends them), empty when unknown."""
    try:
        return HTTPStatus(status).phrase.encode("ascii")
    except ValueError:
        return b""


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


def head_size(event: h11.Request) -> int:
    """Bytes of the request line plus header values, as the HTTP API quota counts them.

    "Total combined size of request line and header values: 10240 bytes"
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html).
    """
    # "METHOD SP target SP HTTP/x.y": two spaces and "HTTP/".
    line = len(event.method) + len(event.target) + len(event.http_version) + 7
    return line + sum(len(value) for _, value in event.headers)


def smuggling_risk(event: h11.Request) -> bool:
    """Whether the request names both Transfer-Encoding and Content-Length.

    h11 lets Transfer-Encoding win, as RFC 9112 allows, but a proxy in front of us may have
    framed the body by Content-Length instead; RFC 9112 section 6.1 says such a message
    "ought to be handled as an error", and answering 400 closes the smuggling door.
    (h11 itself refuses conflicting Content-Length values.)
    """
    names = {name for name, _ in event.headers}
    return b"transfer-encoding" in names and b"content-length" in names


class ReceivedRequest(Request):
    """A request off the wire, which also knows how the client spelled each header name.

    ``headers`` are lower-cased as everywhere in lambgate, but REST API events carry names as
    the client sent them, so the gateway needs the spellings h11 keeps in ``raw_items()``.
    """

    __slots__ = ("header_spellings",)

    def __init__(self, *, header_spellings: dict[str, str], **fields: Any) -> None:
        super().__init__(**fields)
        #: Lower-case name → the client's first spelling of it.
        self.header_spellings = header_spellings


def request_from_h11(
    event: h11.Request,
    body: bytes,
    *,
    client: tuple[str, int] | None,
    server: tuple[str, int] | None,
) -> Request:
    """The :class:`Request` a normal HTTP server would hand an app for this h11 request."""
    raw_path, query_string = split_target(event.target)
    spellings: dict[str, str] = {}
    for name, _ in event.headers.raw_items():
        spellings.setdefault(name.lower().decode("latin-1"), name.decode("latin-1"))
    return ReceivedRequest(
        header_spellings=spellings,
        method=event.method.decode("ascii"),
        # As ASGI's path: percent-decoded, then UTF-8 (invalid sequences replaced).
        path=unquote_to_bytes(raw_path).decode("utf-8", "replace"),
        raw_path=raw_path.decode("latin-1"),
        query_string=query_string.decode("latin-1"),
        # h11 hands names lower-cased and values as sent (surrounding blanks trimmed, as
        # RFC 9112 requires); repeats stay in arrival order.
        headers=[
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in event.headers
        ],
        body=body,
        scheme="http",
        server=server,
        client=client,
        root_path="",
    )


def response_to_h11(
    response: Response, *, method: str, date: bytes | None = None, keep_alive: bool = True
) -> tuple[h11.Response, bytes]:
    """The h11 response event and the body bytes to send for ``response``.

    Building the event validates status and headers without touching the connection, so a
    bad response can still be replaced by a 500. A HEAD answer keeps the Content-Length the
    function gave (it describes the GET body) but sends no body; 204 and 304 carry neither.
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
    event = h11.Response(
        status_code=response.status, headers=headers, reason=reason_phrase(response.status)
    )
    return event, body


def internal_error() -> Response:
    """What the client sees when the handler itself fails: a bug in the emulator's own
    pipeline, not an AWS answer, so plain text, and the traceback goes only to the log."""
    return Response(
        status=500,
        headers=[("content-type", "text/plain; charset=utf-8")],
        body=b"Internal Server Error",
    )


def refusal(status: int, *, date: bytes | None = None) -> tuple[h11.Response, bytes]:
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
    return h11.Response(status_code=status, headers=headers, reason=reason_phrase(status)), body
