"""A Lambda Runtime API client that can stream a response, on ``http.client`` alone.

The calls are Lambda's (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html): long-poll
``/next`` for an event, post the result or the error. Streaming is the custom-runtime mode
AWS documents in "Implementing response streaming in a custom runtime"
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming):
the response is posted with ``Lambda-Runtime-Function-Response-Mode: streaming`` and
``Transfer-Encoding: chunked``, each chunk leaving as the app sends it, and an error after the
stream began is reported in the ``Lambda-Runtime-Function-Error-Type`` and
``Lambda-Runtime-Function-Error-Body`` trailers.

``http.client`` frames a chunked body but cannot send trailers, so the chunk framing (three
lines of RFC 9112 section 7.1) is written here; everything else is ``http.client``'s. One
keep-alive connection serves the whole environment, as AWS's own runtime clients keep one.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket

from ..lambda_limits import STREAMED_RESPONSE_LIMIT
from ..model import Headers
from .prelude import CONTENT_TYPE, response_to_prelude

__all__ = ["ClientGone", "RuntimeEvent", "ResponseStream", "RuntimeClient", "StreamTooLarge"]

_BASE = "/2018-06-01/runtime"
ERROR_TYPE = "Lambda-Runtime-Function-Error-Type"
ERROR_BODY = "Lambda-Runtime-Function-Error-Body"


class ClientGone(ConnectionError):
    """The stream cannot be written any more: Lambda closed it."""


class StreamTooLarge(Exception):
    """The app sent more than Lambda's streamed-response limit."""


class RuntimeEvent:
    """One event from ``/next``, with the headers the context is built from."""

    __slots__ = ("body", "headers", "request_id")

    def __init__(self, request_id: str, body: bytes, headers: dict[str, str]) -> None:
        self.request_id = request_id
        self.body = body
        self.headers = headers


def error_document(exc: BaseException) -> dict[str, object]:
    """The error JSON Lambda reports, as AWS's Python runtime shapes it."""
    import traceback

    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


class ResponseStream:
    """The body of one streamed response: the prelude goes with the first chunk.

    ``start`` takes the status and headers; nothing is written before the first ``write``
    (or ``finish``), so an app that fails before its first byte can still answer 500.
    """

    def __init__(self, connection: http.client.HTTPConnection, request_id: str) -> None:
        self._connection = connection
        self._request_id = request_id
        self._head: tuple[int, Headers] = (200, [])
        self._posted = False
        self.started = False
        self.sent = 0
        self.gone = False

    def start(self, status: int, headers: Headers) -> None:
        self._head = (status, headers)

    def write(self, data: bytes) -> None:
        """Send ``data`` as one chunk (with the prelude first, the first time)."""
        if not data and self.started:
            return
        self.sent += len(data)
        if self.sent > STREAMED_RESPONSE_LIMIT:
            raise StreamTooLarge(
                f"the streamed response passed Lambda's {STREAMED_RESPONSE_LIMIT}-byte limit"
            )
        if not self.started:
            self.started = True
            data = response_to_prelude(*self._head) + data
        self._send(b"%x\r\n%s\r\n" % (len(data), data) if data else b"")

    def finish(self, error: BaseException | None = None, error_type: str = "") -> None:
        """End the stream; with ``error``, as Lambda reads a failure after the first byte."""
        if not self.gone:
            try:
                if not self.started:
                    self.write(b"")
                trailer = b""
                if error is not None:
                    # The type in the trailer and in the body agree, as in a buffered error.
                    document = error_document(error)
                    if error_type:
                        document["errorType"] = error_type
                    body = base64.b64encode(json.dumps(document).encode())
                    kind = str(document["errorType"]).encode("latin-1", "replace")
                    trailer = b"%s: %s\r\n%s: %s\r\n" % (
                        ERROR_TYPE.encode(),
                        kind,
                        ERROR_BODY.encode(),
                        body,
                    )
                self._send(b"0\r\n" + trailer + b"\r\n")
                self._connection.getresponse().read()
            except (OSError, http.client.HTTPException):
                self.gone = True
        if self.gone:
            self._connection.close()  # http.client reconnects for the next call

    def fileno(self) -> int:
        """The socket's descriptor, watched for Lambda closing the stream early."""
        sock = self._connection.sock
        return sock.fileno() if isinstance(sock, socket.socket) else -1

    def _send(self, data: bytes) -> None:
        if self.gone:
            raise ClientGone("the response stream was closed")
        if not self._posted:
            self._posted = True
            connection = self._connection
            connection.putrequest(
                "POST",
                f"{_BASE}/invocation/{self._request_id}/response",
                skip_accept_encoding=True,
            )
            connection.putheader("Lambda-Runtime-Function-Response-Mode", "streaming")
            connection.putheader("Transfer-Encoding", "chunked")
            connection.putheader("Content-Type", CONTENT_TYPE)
            connection.putheader("Trailer", f"{ERROR_TYPE}, {ERROR_BODY}")
            connection.endheaders()
        try:
            self._connection.send(data)
        except OSError as exc:
            self.gone = True
            raise ClientGone("the response stream was closed") from exc


class RuntimeClient:
    """The Runtime API at ``AWS_LAMBDA_RUNTIME_API`` (``host:port``)."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self._connection = http.client.HTTPConnection(host, int(port))

    def next(self) -> RuntimeEvent:
        """The next event, waiting as long as it takes (the environment is frozen meanwhile)."""
        self._connection.request("GET", f"{_BASE}/invocation/next")
        response = self._connection.getresponse()
        body = response.read()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return RuntimeEvent(headers["lambda-runtime-aws-request-id"], body, headers)

    def stream(self, request_id: str) -> ResponseStream:
        return ResponseStream(self._connection, request_id)

    def post_result(self, request_id: str, body: bytes) -> None:
        self._post(f"{_BASE}/invocation/{request_id}/response", body, {})

    def post_error(self, request_id: str, exc: BaseException, error_type: str = "") -> None:
        self._post_error(f"{_BASE}/invocation/{request_id}/error", exc, error_type)

    def post_init_error(self, exc: BaseException, error_type: str = "") -> None:
        self._post_error(f"{_BASE}/init/error", exc, error_type)

    def _post_error(self, path: str, exc: BaseException, error_type: str) -> None:
        document = error_document(exc)
        if error_type:
            document["errorType"] = error_type
        headers = {ERROR_TYPE: str(document["errorType"])}
        self._post(path, json.dumps(document).encode(), headers)

    def _post(self, path: str, body: bytes, headers: dict[str, str]) -> None:
        self._connection.request(
            "POST", path, body, {"Content-Type": "application/json", **headers}
        )
        self._connection.getresponse().read()
