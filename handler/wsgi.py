"""A neutral Request through a WSGI app (PEP 3333) into a neutral Response.

Lambda wants the whole result at once, so the body is buffered; "headers sent" in PEP 3333's
sense is the moment the first non-empty body chunk (or ``write()``) arrives, which is what
``exc_info`` is judged against. This module imports no asyncio: WSGI cold starts stay cheap.
"""

from __future__ import annotations

import sys
from io import BytesIO
from itertools import chain
from urllib.parse import unquote_to_bytes

from .errors import ProtocolError
from .model import Headers, Request, Response

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .types import ExcInfo, WSGIApp

__all__ = ["WSGICycle", "request_to_environ", "run_wsgi"]

# environ keys by header-name spelling, remembered (bounded) since names repeat across
# requests. PEP 3333 names two headers CONTENT_TYPE / CONTENT_LENGTH rather than HTTP_*.
_KEYS = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}
_KEYS_MAX = 1024


def _key(name: str) -> str:
    """``HTTP_NAME``, or ``""`` for a name with an underscore: ``X_Forwarded_For`` would land on
    the same key as the proxy's ``X-Forwarded-For`` and forge it, so such headers are dropped,
    as Werkzeug's server, gunicorn, nginx and Apache drop them."""
    if "_" in name:
        key = ""
    else:
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
    if len(_KEYS) < _KEYS_MAX:
        _KEYS[name] = key
    return key


#: Every environ's keys, in order, and the values that never change: copying this is cheaper
#: than building a dict of twenty keys (and the copy is sized for them already).
_ENVIRON: dict[str, Any] = {
    "REQUEST_METHOD": "",
    "SCRIPT_NAME": "",
    "PATH_INFO": "",
    "QUERY_STRING": "",
    "SERVER_NAME": "",
    "SERVER_PORT": "",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "wsgi.version": (1, 0),
    "wsgi.url_scheme": "",
    "wsgi.input": None,
    "wsgi.errors": None,
    # One request at a time per execution environment, many environments at once, each
    # reused for the next request.
    "wsgi.multithread": False,
    "wsgi.multiprocess": True,
    "wsgi.run_once": False,
    "wsgi.input_terminated": True,
    "aws.event": None,
    "aws.context": None,
}


def request_to_environ(request: Request) -> dict[str, Any]:
    """The PEP 3333 environ for ``request``.

    ``PATH_INFO`` and ``SCRIPT_NAME`` are the percent-decoded bytes read as latin-1, as PEP 3333
    asks of every native string, so an app that re-encodes them gets the exact bytes back.
    Header values are native strings in the model already.
    """
    raw_path = request.raw_path
    root = request.root_path
    server = request.server or ("localhost", 443 if request.scheme == "https" else 80)
    environ = _ENVIRON.copy()
    environ["REQUEST_METHOD"] = request.method
    environ["SCRIPT_NAME"] = root if root.isascii() else root.encode("utf-8").decode("latin-1")
    environ["PATH_INFO"] = (
        unquote_to_bytes(raw_path).decode("latin-1") if "%" in raw_path else raw_path
    )
    environ["QUERY_STRING"] = request.query_string
    environ["SERVER_NAME"] = server[0]
    environ["SERVER_PORT"] = str(server[1])
    environ["wsgi.url_scheme"] = request.scheme
    environ["wsgi.input"] = BytesIO(request.body)
    environ["wsgi.errors"] = sys.stderr
    environ["aws.event"] = request.event
    environ["aws.context"] = request.context
    if request.client:
        # Left out when the gateway names no client (an ALB health check): PEP 3333 allows
        # that, and a made-up loopback address would pass checks like Django's INTERNAL_IPS.
        environ["REMOTE_ADDR"] = request.client[0]
    keys = _KEYS
    for name, value in request.headers:
        key = keys.get(name)
        if key is None:
            key = _key(name)
        if key:
            if key in environ:
                # Repeats are joined, as HTTP allows and CGI needs ("; " for Cookie).
                value = environ[key] + ("; " if key == "HTTP_COOKIE" else ",") + value
            environ[key] = value
    if request.body:
        # The gateway read the whole body: its length is known even when the client sent it
        # chunked, and a GET with a body must still announce it.
        environ["CONTENT_LENGTH"] = str(len(request.body))
    return environ


class WSGICycle:
    """One call of the app: tracks start_response and what has been "sent"."""

    __slots__ = ("chunks", "headers", "sent", "status")

    def __init__(self) -> None:
        self.status: int | None = None
        self.headers: Headers = []
        self.chunks: list[bytes] = []
        self.sent = False

    def start_response(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: ExcInfo | None = None,
    ) -> Callable[[bytes], None]:
        if exc_info is not None:
            if self.sent:
                # PEP 3333: too late to change the response; re-raise the app's error.
                raise exc_info[1].with_traceback(exc_info[2])
        elif self.status is not None:
            raise ProtocolError("start_response() called a second time without exc_info")
        code = _STATUS_CODES.get(status) if status.__class__ is str else None
        self.status = code or _parse_status(status)
        # The model keeps them as native strings, as given (copied: the app's list is its own).
        # All at once in C: every name and value a string, and ASCII or else latin-1.
        try:
            text = "".join(chain.from_iterable(headers))
            if not text.isascii():
                text.encode("latin-1")
        except (TypeError, ValueError):
            raise ProtocolError(
                f"WSGI headers must be (str, str) pairs encodable as latin-1, got {headers!r}"
            ) from None
        self.headers = list(headers)
        return self.write

    def write(self, data: bytes) -> None:
        if self.status is None:
            raise ProtocolError("write() called before start_response()")
        if not isinstance(data, bytes):
            raise ProtocolError(f"write() needs bytes, got {type(data).__name__}")
        if data:
            self.sent = True
            self.chunks.append(data)


# Status lines by their text, remembered (bounded): an app answers with a handful of them.
_STATUS_CODES: dict[str, int] = {}
_STATUS_CODES_MAX = 256


def _parse_status(status: str) -> int:
    if not isinstance(status, str) or len(status) < 4 or status[3] != " ":
        raise ProtocolError(f"WSGI status must be like '200 OK', got {status!r}")
    try:
        code = int(status[:3])
    except ValueError:
        raise ProtocolError(f"WSGI status must start with 3 digits, got {status!r}") from None
    if code < 100:
        raise ProtocolError(f"WSGI status code out of range: {status!r}")
    if len(_STATUS_CODES) < _STATUS_CODES_MAX:
        _STATUS_CODES[status] = code
    return code


def run_wsgi(app: WSGIApp, request: Request) -> Response:
    """Call ``app`` for ``request``; errors propagate (the caller answers 500), but the
    app's iterable is closed whatever happens, as PEP 3333 requires."""
    cycle = WSGICycle()
    result = app(request_to_environ(request), cycle.start_response)
    try:
        for chunk in result:
            if not isinstance(chunk, bytes):
                raise ProtocolError(f"WSGI body chunks must be bytes, got {type(chunk).__name__}")
            if chunk:
                if cycle.status is None:
                    raise ProtocolError("WSGI app yielded body before calling start_response()")
                cycle.sent = True
                cycle.chunks.append(chunk)
    finally:
        close = None if result.__class__ is list else getattr(result, "close", None)
        if close is not None:
            close()
    if cycle.status is None:
        raise ProtocolError("WSGI app returned without calling start_response()")
    chunks = cycle.chunks
    return Response(
        cycle.status, cycle.headers, chunks[0] if len(chunks) == 1 else b"".join(chunks)
    )
