"""Small real apps, one module per framework, answering the same routes the same way.

Every app serves:

- ``/echo`` and ``/echo/<anything>`` (GET, HEAD, POST): JSON describing the request as the
  framework understood it (see :data:`ECHO_KEYS`);
- ``POST /form`` and ``POST /json``: the parsed body, as the framework parses it;
- ``POST /upload``: the request body bytes back, ``application/octet-stream``;
- ``GET /download``: :data:`BINARY` as ``image/png``;
- ``GET /cookies``: two ``Set-Cookie`` headers;
- ``GET /status/<code>``: an empty response with that status (204, 304);
- ``GET /gzip``: :data:`GZIP_JSON` with ``Content-Encoding: gzip``;
- ``GET /links`` and ``GET /go``: the links of tests/handler/test_links.py.
"""

from __future__ import annotations

import gzip

__all__ = ["BINARY", "ECHO_KEYS", "GZIP_JSON", "JSON_DOC"]

#: Every byte value, so any text decoding on the way would show.
BINARY = bytes(range(256))
JSON_DOC = b'{"compressed": true}'
#: Fixed mtime, so the bytes are the same in every run.
GZIP_JSON = gzip.compress(JSON_DOC, mtime=0)

ECHO_KEYS = (
    "method",  # the request method
    "root_path",  # SCRIPT_NAME / root_path: where the app is mounted
    "path",  # the route path, decoded, without root_path
    "query",  # [[key, value], ...] decoded, repeats and order kept
    "probe",  # every X-Probe header value, joined with ","
    "cookies",  # {name: value} parsed from Cookie
    "body",  # the body as text
    "client",  # the client address the framework reports
    "scheme",
    "url_root",  # the absolute URL of the app's root, as the framework builds it
    "aws_request_id",  # from the aws.context the environ/scope carries
    "aws_event_method",  # httpMethod/requestContext.http.method of the aws.event carried
)


def event_method(event: dict[str, object]) -> object:
    """The method as the raw event spells it: proof that the event itself was passed on."""
    if "httpMethod" in event:
        return event["httpMethod"]
    if "method" in event:  # VPC Lattice
        return event["method"]
    if "Records" in event:  # Lambda@Edge
        return event["Records"][0]["cf"]["request"]["method"]  # type: ignore[index]
    context = event["requestContext"]
    assert isinstance(context, dict)
    return context["http"]["method"]
