"""The neutral request and response every event source shares.

Each event module parses its payload into a :class:`Request` and renders a :class:`Response`
back; the WSGI and ASGI bridges see only these two. Keeping them source-agnostic is what lets
a new event source be one new module and nothing else.

Both are frozen value objects with no validation at construction: they sit on the hot path of
every invocation and every field is produced by our own translators, which already guarantee
the invariants documented below. Their header lists are never mutated after construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Headers", "Request", "Response"]

#: ``(name, value)`` pairs in arrival order, repeats kept. Names are lower-case latin-1 bytes
#: (as ASGI requires); values are latin-1 bytes exactly as they travelled.
Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """One HTTP request, as a normal HTTP server would have received it.

    ``path`` is the percent-decoded path (UTF-8, as ASGI ``path``); ``raw_path`` is the path as
    it was on the wire, still percent-encoded (as ASGI ``raw_path``), so ``%2F`` survives there.
    Both exclude ``root_path``: the prefix (an API Gateway stage, a custom-domain base path)
    that the app is mounted under and that links it generates must carry.
    """

    method: str
    path: str
    raw_path: bytes
    query_string: bytes = b""
    headers: Headers = field(default_factory=list)
    body: bytes = b""
    scheme: str = "https"
    server: tuple[str, int] | None = None
    client: tuple[str, int] | None = None
    root_path: str = ""
    #: The Lambda event and context the request came from; not part of equality, so that a
    #: request survives a round trip through an event unchanged.
    event: Any = field(default=None, compare=False, repr=False)
    context: Any = field(default=None, compare=False, repr=False)

    def header(self, name: bytes) -> bytes | None:
        """The first value of header ``name`` (lower-case), or ``None``."""
        for key, value in self.headers:
            if key == name:
                return value
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    """What the app answered: a status, its headers in order, and the whole body.

    Lambda results carry the body in one piece, so the bridges buffer it here once; header
    names keep the case the app gave them (ALB and REST pass them through as written).
    """

    status: int
    headers: Headers = field(default_factory=list)
    body: bytes = b""
