"""The neutral request and response every event source shares.

Each event module parses its payload into a :class:`Request` and renders a :class:`Response`
back; the WSGI and ASGI bridges see only these two. Keeping them source-agnostic is what lets
a new event source be one new module and nothing else.

How the model carries its fields is chosen so that each value is converted at most once on its
way between the event and the app. Events and results are JSON, so everything travels as
text: the path, the query and the headers stay text (``str``) both ways, which is what WSGI's
environ and ``start_response`` use as they are; the ASGI bridge encodes a request's once, when
it builds the scope, and decodes a response's once, as the app sends them. The decoded path is
computed only when something asks for it (ASGI does, WSGI does not).

Both classes are value objects, treated as immutable once built (their header lists too), with
no validation at construction: they sit on the hot path of every invocation and every field is
produced by our own translators, which guarantee the invariants documented below. They are
hand-written slotted classes rather than frozen dataclasses because a frozen dataclass costs
about 2 µs more to build, a fifth of a warm invocation, and importing ``dataclasses`` costs
several milliseconds of cold start.
"""

from __future__ import annotations

TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Any

__all__ = ["Headers", "Request", "Response"]

#: ``(name, value)`` pairs in order, repeats kept. Values are "native strings" in PEP 3333's
#: sense, one character per byte sent (latin-1), so that WSGI takes them as they are and ASGI
#: encodes them as latin-1. In a :class:`Request`, names are spelled as the gateway delivered
#: them (lower-case from HTTP APIs, function URLs and ALB, the client's spelling from REST
#: APIs): compare them case-insensitively. In a :class:`Response`, as the app gave them.
Headers = list[tuple[str, str]]


class Request:
    """One HTTP request, as a normal HTTP server would have received it.

    ``raw_path`` is the path as it was on the wire: ASCII, still percent-encoded (as ASGI
    ``raw_path``), so ``%2F`` survives there. ``path`` is its percent-decoded text (UTF-8, as
    ASGI ``path``), given by a source that receives the path decoded, and otherwise computed
    from ``raw_path`` on first use. Both exclude ``root_path``: the prefix (an API Gateway
    stage, a custom-domain base path) that the app is mounted under and that links it
    generates must carry. ``query_string`` is the query as on the wire: ASCII, percent-encoded.

    ``event`` and ``context`` are the Lambda event and context the request came from; they are
    not part of equality, so that a request survives a round trip through an event unchanged.
    """

    __slots__ = (
        "_path",
        "body",
        "client",
        "context",
        "event",
        "headers",
        "method",
        "query_string",
        "raw_path",
        "root_path",
        "scheme",
        "server",
    )

    # Positional as well as keyword parameters: the translators build one request per
    # invocation, and matching twelve keywords costs about 1 µs more than passing positions.
    def __init__(
        self,
        method: str,
        raw_path: str,
        path: str | None = None,
        query_string: str = "",
        headers: Headers | None = None,
        body: bytes = b"",
        scheme: str = "https",
        server: tuple[str, int] | None = None,
        client: tuple[str, int] | None = None,
        root_path: str = "",
        event: Any = None,
        context: Any = None,
    ) -> None:
        self.method = method
        self.raw_path = raw_path
        self._path = path
        self.query_string = query_string
        self.headers: Headers = [] if headers is None else headers
        self.body = body
        self.scheme = scheme
        self.server = server
        self.client = client
        self.root_path = root_path
        self.event = event
        self.context = context

    @property
    def path(self) -> str:
        """The percent-decoded path (invalid UTF-8 replaced, as ASGI servers do)."""
        path = self._path
        if path is None:
            raw = self.raw_path
            if "%" in raw:
                from urllib.parse import unquote  # loaded already; not every request needs it

                path = unquote(raw, errors="replace")
            else:
                path = raw
            self._path = path
        return path

    def _key(self) -> tuple[object, ...]:
        return (
            self.method,
            self.path,
            self.raw_path,
            self.query_string,
            self.headers,
            self.body,
            self.scheme,
            self.server,
            self.client,
            self.root_path,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Request):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # headers is a list

    def __repr__(self) -> str:
        fields = ("method", "path", "raw_path", "query_string", "headers", "body", "scheme")
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in fields)
        return (
            f"Request({shown}, server={self.server!r}, client={self.client!r}, "
            f"root_path={self.root_path!r})"
        )

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (lower-case), whatever its case here, or ``None``."""
        for key, value in self.headers:
            if key == name or key.lower() == name:
                return value
        return None


class Response:
    """What the app answered: a status, its headers in order, and the whole body.

    Lambda results carry the body in one piece, so the bridges buffer it here once; header
    names keep the case the app gave them (ALB and REST pass them through as written).
    """

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: Headers | None = None, body: bytes = b"") -> None:
        self.status = status
        self.headers: Headers = [] if headers is None else headers
        self.body = body

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Response):
            return NotImplemented
        return (self.status, self.headers, self.body) == (other.status, other.headers, other.body)

    __hash__ = None  # type: ignore[assignment]  # headers is a list

    def __repr__(self) -> str:
        return f"Response(status={self.status!r}, headers={self.headers!r}, body={self.body!r})"
