"""Hypothesis strategies for requests and responses that an event source can carry whole.

Every source loses something on the way through AWS, so each strategy generates only what its
source carries losslessly; every restriction below names the AWS reason. What all of them
share, because every gateway does it to every request:

- ``Host``, ``X-Forwarded-Proto``, ``X-Forwarded-Port`` and ``X-Forwarded-For`` are present
  (the gateway adds them), so ``scheme`` and ``server`` are the ones they name.
- The client address is an IP with port 0: events carry the source IP but never its port.
- Header names are lower-case (as 2.0 events deliver them, so that every source can carry
  them) and values have no outer whitespace, which HTTP servers strip before any gateway sees
  them; values are native strings (latin-1 characters), as the model keeps them.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from hypothesis import strategies as st

from lambgate.model import Request, Response

__all__ = [
    "CARRIAGES",
    "SOURCE_NAMES",
    "WEBSOCKET_ROUTES",
    "grouped_headers",
    "requests_for",
    "responses_for",
    "websocket_requests",
]

SOURCE_NAMES = (
    "rest",
    "http-v1",
    "http",
    "url",
    "alb",
    "alb-multi",
    "edge",
    "lattice",
    "lattice-v2",
)

#: RFC 3986 ``pchar`` without ``%``: what may stand unescaped inside a path segment.
_PATH_LITERALS = string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@"
#: What may stand unescaped inside a query key or value: ``pchar`` and ``/?`` less the
#: separators ``& = +`` (``+`` means a space in a query).
_QUERY_LITERALS = string.ascii_letters + string.digits + "-._~!$'()*,;:@/?"
_TOKEN = string.ascii_lowercase + string.digits + "-"
#: Header value characters: visible ASCII, space and obs-text (RFC 9110 field-vchar).
_FIELD_CHARS = st.characters(codec="latin-1", exclude_categories=["Cc"], exclude_characters="\x7f")
#: Text anywhere in a URL: any Unicode a browser would send as UTF-8, no surrogates.
_URL_TEXT_CHARS = st.characters(codec="utf-8", exclude_categories=["Cs"])

_STAGES = st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=12)
_EXECUTE_API = "abcdef1234.execute-api.us-east-1.amazonaws.com"
_CUSTOM_HOSTS = ("api.example.com", "example.org", "xn--bcher-kva.example", "localhost")
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_CONTENT_TYPES = (
    None,
    "text/plain; charset=utf-8",
    "text/html",
    "application/json",
    "application/octet-stream",
    "image/png",
)


@dataclass(frozen=True)
class Carriage:
    """What one source carries whole, each field tied to the AWS behaviour that limits it."""

    #: REST, function URLs and ALB pass the path on percent-encoded, so ``raw_path`` keeps any
    #: encoding (``%2F`` included). HTTP APIs hand the function the *decoded* path (live
    #: captures in hotsock/voker ``ingress-paths.json``: ``/slash%2Fvalue`` arrives as
    #: ``/slash/value``): the raw path is rebuilt by encoding, so only the canonical
    #: re-encoding of a path without ``%2F`` round-trips.
    path_kept_encoded: bool
    #: REST and HTTP APIs (1.0) hand over ``multiValueQueryStringParameters``, decoded and
    #: grouped by key: the query comes back grouped, in lambgate's canonical encoding. Payload
    #: 2.0 has ``rawQueryString``, and ALB passes parameters undecoded ("the load balancer does
    #: not decode them"), so there the client's own encoding survives.
    query_decoded: bool
    #: Whether a key may repeat: not in ALB single-value mode ("the load balancer uses the last
    #: value that it receives"). Multi-value maps group repeats by key, so interleaving
    #: (``a=1&b=2&a=3``) survives only in 2.0's ``rawQueryString``.
    query_repeats: bool
    query_interleaved: bool
    #: Whether a header name may repeat: multi-value maps (REST, HTTP API 1.0, ALB multi) group
    #: repeats by name; payload 2.0 joins them with commas and ALB single-value mode keeps the
    #: last, so there each name appears once.
    header_repeats: bool
    #: Payload 2.0 moves ``Cookie`` to the ``cookies`` array (split at ``;``): it comes back
    #: once, last, its cookies joined by ``"; "``.
    cookie_last: bool
    #: Whether a root path (an API Gateway stage) can exist: not on function URLs or ALB.
    #: HTTP APIs put a named stage in the path only on the execute-api domain.
    stage: str  # "none", "any-host" or "execute-api"
    #: How the scheme reaches the function: ``X-Forwarded-Proto``/``-Port``, which every
    #: gateway but CloudFront adds; CloudFront never shows edge functions X-Forwarded-Proto
    #: (a disallowed header) but forwards ``CloudFront-Forwarded-Proto`` when asked to, and
    #: the port is the scheme's.
    forwarding: str = "x-forwarded"


CARRIAGES = {
    "rest": Carriage(
        path_kept_encoded=True,
        query_decoded=True,
        query_repeats=True,
        query_interleaved=False,
        header_repeats=True,
        cookie_last=False,
        stage="any-host",
    ),
    "http-v1": Carriage(
        path_kept_encoded=False,
        query_decoded=True,
        query_repeats=True,
        query_interleaved=False,
        header_repeats=True,
        cookie_last=False,
        stage="execute-api",
    ),
    "http": Carriage(
        path_kept_encoded=False,
        query_decoded=False,
        query_repeats=True,
        query_interleaved=True,
        header_repeats=False,
        cookie_last=True,
        stage="execute-api",
    ),
    "url": Carriage(
        path_kept_encoded=True,
        query_decoded=False,
        query_repeats=True,
        query_interleaved=True,
        header_repeats=False,
        cookie_last=True,
        stage="none",
    ),
    "alb": Carriage(
        path_kept_encoded=True,
        query_decoded=False,
        query_repeats=False,
        query_interleaved=False,
        header_repeats=False,
        cookie_last=False,
        stage="none",
    ),
    "alb-multi": Carriage(
        path_kept_encoded=True,
        query_decoded=False,
        query_repeats=True,
        query_interleaved=False,
        header_repeats=True,
        cookie_last=False,
        stage="none",
    ),
    # CloudFront lists every value of a header under its name, and passes the query as sent.
    "edge": Carriage(
        path_kept_encoded=True,
        query_decoded=False,
        query_repeats=True,
        query_interleaved=True,
        header_repeats=True,
        cookie_last=False,
        stage="none",
        forwarding="cloudfront",
    ),
    # Lattice version 1: one string per header and per (decoded) parameter.
    "lattice": Carriage(
        path_kept_encoded=True,
        query_decoded=True,
        query_repeats=False,
        query_interleaved=False,
        header_repeats=False,
        cookie_last=False,
        stage="none",
    ),
    # Version 2 lists every value, grouped by name.
    "lattice-v2": Carriage(
        path_kept_encoded=True,
        query_decoded=True,
        query_repeats=True,
        query_interleaved=False,
        header_repeats=True,
        cookie_last=False,
        stage="none",
    ),
}


#: Bits saying, per character, whether one that may stand unescaped is escaped anyway
#: (``%41`` for ``A`` is legal) or a space is sent as ``+``; texts here are short.
_ESCAPE_MASKS = st.integers(0, 2**16 - 1)


def _encoded(text: str, literals: str, mask: int, *, plus_for_space: bool = False) -> str:
    """``text`` percent-encoded as some client might have sent it."""
    out = []
    for i, char in enumerate(text):
        optional = mask >> i & 1
        if char == " " and plus_for_space and optional:
            out.append("+")
        elif char in literals and not optional:
            out.append(char)
        else:
            out.append("".join(f"%{byte:02X}" for byte in char.encode("utf-8")))
    return "".join(out)


_SEGMENTS = st.lists(st.text(_URL_TEXT_CHARS, max_size=8), max_size=4)
# HTTP APIs cut the decoded path at "?" before the function sees it (voker
# ingress-paths.json: "/capture/question%3Fvalue" arrives as "/capture/question"), and a "/"
# inside a segment cannot be told from a separator once decoded.
_DECODED_SEGMENTS = st.lists(
    st.text(_URL_TEXT_CHARS.filter(lambda c: c not in "/?"), max_size=8), max_size=4
)


@st.composite
def _path(draw: st.DrawFn, carriage: Carriage) -> tuple[str, str]:
    """``(path, raw_path)``: Unicode, spaces, ``%``, empty segments and a trailing slash."""
    if carriage.path_kept_encoded:
        # A segment may hold "/" (sent as %2F) and "?" or "#" (sent escaped).
        segments = draw(_SEGMENTS)
        raw = "/" + "/".join(_encoded(s, _PATH_LITERALS, draw(_ESCAPE_MASKS)) for s in segments)
        return "/" + "/".join(segments), raw
    path = "/" + "/".join(draw(_DECODED_SEGMENTS))
    return path, quote(path, safe="/:@!$&'()*+,;=-._~")


_QUERY_KEYS = st.lists(st.text(_URL_TEXT_CHARS, min_size=1, max_size=5), unique=True, max_size=4)
#: Values that hold every query separator and escape character at once.
_QUERY_VALUE = st.one_of(
    st.text(_URL_TEXT_CHARS, max_size=6),
    st.sampled_from(["a&b=c", "1+1=2", "100%", "x y", "%2F", "=&+% "]),
)
_ONE_VALUE = st.lists(_QUERY_VALUE, min_size=1, max_size=1)
_SOME_VALUES = st.lists(_QUERY_VALUE, min_size=1, max_size=3)


@st.composite
def _query(draw: st.DrawFn, carriage: Carriage) -> str:
    """Every key has an ``=``: the gateways' maps turn ``?flag`` into ``flag=``."""
    keys = draw(_QUERY_KEYS)
    per_key = _SOME_VALUES if carriage.query_repeats else _ONE_VALUE
    pairs = [(key, value) for key in keys for value in draw(per_key)]
    if carriage.query_interleaved:
        pairs = draw(st.permutations(pairs))
    if carriage.query_decoded:
        # API Gateway decodes the maps, so the client's encoding is gone: the query comes back
        # in lambgate's canonical form, every reserved character escaped.
        return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    # A raw key is encoded once and spelled the same at each repeat, as ALB groups by the
    # undecoded key; values may use "+" or "%20" for a space.
    raw_keys = {key: _encoded(key, _QUERY_LITERALS, draw(_ESCAPE_MASKS)) for key in keys}
    parts = [
        raw_keys[k] + "=" + _encoded(v, _QUERY_LITERALS, draw(_ESCAPE_MASKS), plus_for_space=True)
        for k, v in pairs
    ]
    return "&".join(parts)


_FIELD_VALUE = st.text(_FIELD_CHARS, min_size=1, max_size=12).map(str.strip).filter(bool)
_ONE_FIELD_VALUE = st.lists(_FIELD_VALUE, min_size=1, max_size=1)
_SOME_FIELD_VALUES = st.lists(_FIELD_VALUE, min_size=1, max_size=3)
_HEADER_NAMES = st.lists(
    st.one_of(
        st.sampled_from(["accept", "accept-language", "authorization", "user-agent", "via"]),
        st.text(_TOKEN, min_size=1, max_size=8).map("x-".__add__),
    ),
    unique=True,
    max_size=4,
)
_COOKIES = st.lists(
    st.tuples(
        st.text(string.ascii_letters + string.digits + "_", min_size=1, max_size=6),
        st.text(string.ascii_letters + string.digits + "-._~!#$&'()*+/:<=>?@[]^`{|}", max_size=8),
    ).map("=".join),
    max_size=3,
)
_FORWARDED_FOR = st.lists(st.ip_addresses().map(str), min_size=1, max_size=2)
_BODIES = st.one_of(st.binary(max_size=48), st.text(max_size=24).map(str.encode))
_HOSTS = st.sampled_from((_EXECUTE_API, *_CUSTOM_HOSTS))
_SCHEMES = st.sampled_from(("https", "http"))
_PORTS = st.sampled_from((443, 80, 8443))


@st.composite
def requests_for(draw: st.DrawFn, source: str) -> Request:
    """A request ``source`` carries whole (see :class:`Carriage` for what that means)."""
    carriage = CARRIAGES[source]
    root_path = ""
    if carriage.stage != "none" and draw(st.booleans()):
        root_path = "/" + draw(_STAGES)
    # HTTP APIs show a named stage in the path only on the execute-api domain.
    host = _EXECUTE_API if carriage.stage == "execute-api" and root_path else draw(_HOSTS)
    scheme = draw(_SCHEMES)
    port = draw(_PORTS)
    forwarded_for = draw(_FORWARDED_FOR)
    groups: list[tuple[str, list[str]]] = [
        ("host", [host]),
        ("x-forwarded-proto", [scheme]),
        ("x-forwarded-port", [str(port)]),
        # The gateway appends the peer it saw; ALB reads the client from this header.
        ("x-forwarded-for", [", ".join(forwarded_for)]),
    ]
    if carriage.forwarding == "cloudfront":
        groups[1:3] = [("cloudfront-forwarded-proto", [scheme])]
        port = 443 if scheme == "https" else 80
    content_type = draw(_CONTENT_TYPE_CHOICES)
    if content_type:
        groups.append(("content-type", [content_type]))
    per_name = _SOME_FIELD_VALUES if carriage.header_repeats else _ONE_FIELD_VALUE
    groups.extend((name, draw(per_name)) for name in draw(_HEADER_NAMES))
    groups = draw(st.permutations(groups))
    cookies = draw(_COOKIES)
    cookie_group = ("cookie", ["; ".join(cookies)])
    if cookies and carriage.cookie_last:
        groups.append(cookie_group)
    elif cookies:
        groups.insert(draw(st.integers(0, len(groups))), cookie_group)
    headers = [(name, value) for name, values in groups for value in values]
    path, raw_path = draw(_path(carriage))
    body = draw(_BODIES)
    return Request(
        method=draw(st.sampled_from(_METHODS)),
        path=path,
        raw_path=raw_path,
        query_string=draw(_query(carriage)),
        headers=headers,
        body=body,
        scheme=scheme,
        server=(host, port),
        client=(forwarded_for[-1], 0),
        root_path=root_path,
    )


#: Which sources carry a repeated response header other than ``Set-Cookie``:
#: ``multiValueHeaders`` exists for REST, HTTP API 1.0 and ALB multi-value mode; 2.0
#: ``headers`` and ALB single-value ``headers`` hold one string per name.
_RESPONSE_REPEATS = {"rest", "http-v1", "alb-multi", "edge"}
_RESPONSE_HEADER_NAMES = st.sampled_from(
    ["Cache-Control", "X-Request-Id", "vary", "Link", "x-custom", "ETag"]
)
_RESPONSE_NAME_LISTS = st.lists(_RESPONSE_HEADER_NAMES, unique_by=str.lower, max_size=4)
_STATUSES = st.sampled_from([200, 201, 204, 301, 304, 400, 404, 418, 429, 500, 503, 599])
_CONTENT_TYPE_CHOICES = st.sampled_from(_CONTENT_TYPES)
# Apps spell the name every way; the AWS ALB example itself writes "Set-cookie".
_SET_COOKIE_SPELLINGS = st.sampled_from(["Set-Cookie", "set-cookie", "Set-cookie", "SET-COOKIE"])


@st.composite
def responses_for(draw: st.DrawFn, source: str) -> Response:
    """A response ``source`` carries whole: repeats only where it has multi-value headers, and
    always several ``Set-Cookie`` headers, which every source must keep apart (REST and 1.0 in
    ``multiValueHeaders``, 2.0 in ``cookies``, ALB single-value mode by varying the case)."""
    per_name = _SOME_FIELD_VALUES if source in _RESPONSE_REPEATS else _ONE_FIELD_VALUE
    headers = [(name, value) for name in draw(_RESPONSE_NAME_LISTS) for value in draw(per_name)]
    content_type = draw(_CONTENT_TYPE_CHOICES)
    # REST turns a base64 body back into bytes only when the Content-Type (or the first
    # Accept type) is a binary media type; without one the client gets the base64 text.
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings-workflow.html
    if source == "rest" and content_type is None:
        content_type = "application/octet-stream"
    if content_type:
        headers.append(("Content-Type", content_type))
    if draw(st.booleans()):
        headers.append(("Content-Encoding", "gzip"))
    cookies = draw(_COOKIES)
    spelling = draw(_SET_COOKIE_SPELLINGS)
    headers.extend((spelling, f"{c}; Path=/; HttpOnly") for c in cookies)
    headers = draw(st.permutations(headers))
    body = draw(_BODIES)
    return Response(status=draw(_STATUSES), headers=headers, body=body)


def grouped_headers(headers: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Header values per lower-case name, in order: what survives a JSON header map, where the
    order *between* names is the map's and HTTP gives it no meaning."""
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name.lower(), []).append(value)
    return grouped


#: The routes of a WebSocket API: its two handshake routes, the default and a custom one.
WEBSOCKET_ROUTES = ("$connect", "$disconnect", "$default", "sendmessage")


@st.composite
def websocket_requests(draw: st.DrawFn, route: str) -> Request:
    """A request an API Gateway WebSocket event carries whole. ``$connect`` and
    ``$disconnect`` carry the handshake's headers (grouped by name, in
    ``multiValueHeaders``) and query (decoded, grouped by key) and no body; a message carries
    only its body (text, or base64 when the frame was binary). There is no path: the
    connection's URL is ``wss://{domainName}/{stage}``.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html
    """
    root_path = "/" + draw(_STAGES) if draw(st.booleans()) else ""
    host = draw(_HOSTS)
    client = str(draw(st.ip_addresses()))
    headers: list[tuple[str, str]] = []
    query = ""
    body = b""
    if route in ("$connect", "$disconnect"):
        groups = [("host", [host]), *((n, draw(_SOME_FIELD_VALUES)) for n in draw(_HEADER_NAMES))]
        headers = [(name, value) for name, values in groups for value in values]
        query = draw(_query(CARRIAGES["rest"]))
    else:
        body = draw(_BODIES)
    return Request(
        method="GET",
        path="/",
        raw_path="/",
        query_string=query,
        headers=headers,
        body=body,
        scheme="wss",
        server=(host, 443),
        client=(client, 0),
        root_path=root_path,
    )
