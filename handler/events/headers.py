"""Header lists ⇄ the header maps of events and results.

Event maps are ``{name: value}`` (one value, the gateway already joined or dropped repeats)
or ``{name: [values]}`` (multi-value). The model keeps an ordered list of byte pairs with
lower-case names, so repeats survive and the ASGI/WSGI bridges need no second pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ..errors import ProtocolError
from ..model import Headers

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "as_latin1",
    "headers_from_map",
    "headers_from_multi_map",
    "headers_to_map",
    "headers_to_multi_map",
    "render_headers",
]


def as_latin1(value: str) -> bytes:
    """A header value as bytes: latin-1 as HTTP has it, UTF-8 for what latin-1 cannot hold."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def headers_from_map(headers: Mapping[str, str] | None) -> Headers:
    """Model headers from a single-value map (``None`` from a console test event is fine)."""
    if not headers:
        return []
    return [(name.lower().encode("latin-1"), as_latin1(value)) for name, value in headers.items()]


def headers_from_multi_map(headers: Mapping[str, Sequence[str]]) -> Headers:
    """Model headers from a multi-value map, every value kept in order."""
    return [
        (name.lower().encode("latin-1"), as_latin1(value))
        for name, values in headers.items()
        for value in values
    ]


def render_headers(headers: Headers, exclude: frozenset[str]) -> list[tuple[str, str]]:
    """Response headers as text, checked the way an HTTP server would check them.

    A value holding CR, LF or NUL would let the app forge a second header or split the
    response, so it is a protocol error (the response becomes a 500), never passed on.
    """
    rendered = []
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1")
        if exclude and name.lower() in exclude:
            continue
        value = raw_value.decode("latin-1")
        if "\r" in value or "\n" in value or "\0" in value or "\n" in name or "\r" in name:
            raise ProtocolError(f"response header {name!r} holds a CR, LF or NUL: {value!r}")
        rendered.append((name, value))
    return rendered


def headers_to_multi_map(headers: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """``{name: [values]}``, repeats grouped under the first spelling of the name."""
    result: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    for name, value in headers:
        key = spelling.setdefault(name.lower(), name)
        result.setdefault(key, []).append(value)
    return result


def headers_to_map(headers: Iterable[tuple[str, str]], joiner: str = ",") -> dict[str, str]:
    """``{name: value}`` with repeats joined, as payload 2.0 results and ALB want them."""
    return {name: joiner.join(values) for name, values in headers_to_multi_map(headers).items()}


def header_text(headers: Headers, name: bytes) -> str | None:
    """The first value of ``name`` (lower-case) as text, whatever case the app wrote it in."""
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def single_or_multi(headers: Mapping[str, Any] | None, multi: Mapping[str, Any] | None) -> Headers:
    """Prefer the multi-value map when the event has one: it alone keeps every repeat."""
    if multi:
        return headers_from_multi_map(multi)
    return headers_from_map(headers)
