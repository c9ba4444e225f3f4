"""The HTTP integration prelude: a streamed response's status and headers, before its body.

A streaming function that answers a function URL or a REST API in ``STREAM`` mode sends its
body with content type ``application/vnd.awslambda.http-integration-response``: first a JSON
document ``{"statusCode", "headers", "cookies"}``, then eight NUL bytes, then the body as
the app sends it. API Gateway "begins the payload stream after it receives the valid metadata
and delimiter", and the metadata must come within the first 16 KB
(https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html;
the function URL side is Node's ``awslambda.HttpResponseStream.from``,
https://docs.aws.amazon.com/lambda/latest/dg/config-rs-write-functions.html).

Both directions live here: :func:`response_to_prelude` runs in Lambda, :func:`prelude_to_response`
is what the gateway does with it (the emulator's side), so the format has one home.
"""

from __future__ import annotations

import json

from ..errors import ResultError
from ..model import Headers

__all__ = [
    "CONTENT_TYPE",
    "DELIMITER",
    "PRELUDE_LIMIT",
    "prelude_to_response",
    "response_to_prelude",
]

#: The content type of the streamed payload that carries a prelude.
CONTENT_TYPE = "application/vnd.awslambda.http-integration-response"
#: What ends the prelude: eight NUL bytes.
DELIMITER = b"\x00" * 8
#: The prelude and its delimiter must arrive within this many bytes of the stream.
PRELUDE_LIMIT = 16 * 1024


def response_to_prelude(status: int, headers: Headers) -> bytes:
    """The prelude for ``status`` and ``headers``, delimiter included.

    ``Set-Cookie`` headers go to ``cookies``, one entry each (a header map cannot repeat a
    name); other repeated names are joined with commas, as payload 2.0 results are.
    """
    single: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        lower = name.lower()
        if lower == "set-cookie":
            cookies.append(value)
        elif lower in single:
            single[lower] += "," + value
        else:
            single[lower] = value
    document: dict[str, object] = {"statusCode": status, "headers": single}
    if cookies:
        document["cookies"] = cookies
    return json.dumps(document, separators=(",", ":")).encode("utf-8") + DELIMITER


def prelude_to_response(data: bytes) -> tuple[int, Headers, bytes] | None:
    """``(status, headers, rest of data)`` once ``data`` holds the whole prelude; ``None``
    while more is needed. A prelude past :data:`PRELUDE_LIMIT` or not a JSON object with an
    integer ``statusCode`` is a :class:`~lambgate.errors.ResultError` naming the field."""
    end = data.find(DELIMITER)
    if end < 0:
        if len(data) > PRELUDE_LIMIT:
            raise ResultError(f"no prelude delimiter within the first {PRELUDE_LIMIT} bytes")
        return None
    try:
        document = json.loads(data[:end])
    except ValueError as exc:
        raise ResultError(f"the streamed prelude is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ResultError("the streamed prelude must be a JSON object")
    status = document.get("statusCode", 200)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise ResultError(f"prelude field 'statusCode' is not an HTTP status: {status!r}")
    headers: Headers = []
    single = document.get("headers") or {}
    if not isinstance(single, dict):
        raise ResultError("prelude field 'headers' must be an object")
    for name, value in single.items():
        headers.append((str(name), str(value)))
    for name, values in (document.get("multiValueHeaders") or {}).items():
        headers.extend((str(name), str(value)) for value in values)
    cookies = document.get("cookies") or []
    if not isinstance(cookies, list):
        raise ResultError("prelude field 'cookies' must be a list")
    headers.extend(("set-cookie", str(cookie)) for cookie in cookies)
    return status, headers, data[end + len(DELIMITER) :]
