"""Header lists ⇄ the header maps of events and results.

Event maps are ``{name: value}`` (one value, the gateway already joined or dropped repeats)
or ``{name: [values]}`` (multi-value). The model keeps an ordered list of byte pairs with
lower-case names, so repeats survive and the ASGI/WSGI bridges need no second pass.

These run for every header of every invocation, so each direction is one pass, and header
names, which repeat from request to request, are converted once and remembered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ..errors import ProtocolError
from ..model import Headers

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "RenderedHeaders",
    "as_latin1",
    "header_text",
    "headers_from_map",
    "headers_from_multi_map",
    "headers_to_multi_map",
    "render_headers",
    "single_or_multi",
]

# Lower-cased, encoded header names by their spelling in events. Bounded, so that a client
# sending ever-new names cannot grow it without end.
_NAMES: dict[str, bytes] = {}
_NAMES_MAX = 1024


def _name(name: str) -> bytes:
    encoded = name.lower().encode("latin-1")
    if len(_NAMES) < _NAMES_MAX:
        _NAMES[name] = encoded
    return encoded


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
    names = _NAMES
    try:
        return [
            (names.get(name) or _name(name), value.encode("latin-1"))
            for name, value in headers.items()
        ]
    except UnicodeEncodeError:
        return [(_name(name), as_latin1(value)) for name, value in headers.items()]


def headers_from_multi_map(headers: Mapping[str, Sequence[str]]) -> Headers:
    """Model headers from a multi-value map, every value kept in order."""
    names = _NAMES
    try:
        return [
            (names.get(name) or _name(name), value.encode("latin-1"))
            for name, values in headers.items()
            for value in values
        ]
    except UnicodeEncodeError:
        return [
            (_name(name), as_latin1(value)) for name, values in headers.items() for value in values
        ]


def single_or_multi(headers: Mapping[str, Any] | None, multi: Mapping[str, Any] | None) -> Headers:
    """Prefer the multi-value map when the event has one: it alone keeps every repeat."""
    if multi:
        return headers_from_multi_map(multi)
    return headers_from_map(headers)


class RenderedHeaders:
    """A response's headers as text, grouped by name, with what the translators need to know.

    ``groups`` maps each name (first spelling the app used) to its values in order;
    ``content_type`` and ``content_encoding`` decide text versus base64.
    """

    __slots__ = ("content_encoding", "content_type", "groups")

    def __init__(self) -> None:
        self.groups: dict[str, list[str]] = {}
        self.content_type: str | None = None
        self.content_encoding: str | None = None


def render_headers(headers: Headers, exclude: frozenset[str]) -> RenderedHeaders:
    """Response headers as text, checked the way an HTTP server checks them, in one pass.

    A value holding CR, LF or NUL would let the app forge a second header or split the
    response, so it is a protocol error (the response becomes a 500), never passed on.
    """
    rendered = RenderedHeaders()
    groups = rendered.groups
    spelling: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1")
        value = raw_value.decode("latin-1")
        lower = name.lower()
        if exclude and lower in exclude:
            continue
        # A name never holds a control character (RFC 9110 token); isprintable covers them all.
        if "\r" in value or "\n" in value or "\0" in value or not name.isprintable():
            raise ProtocolError(f"response header {name!r} holds a CR, LF or NUL: {value!r}")
        if lower == "content-type":
            rendered.content_type = rendered.content_type or value
        elif lower == "content-encoding":
            rendered.content_encoding = rendered.content_encoding or value
        key = spelling.get(lower)
        if key is None:
            spelling[lower] = name
            groups[name] = [value]
        else:
            groups[key].append(value)
    return rendered


def headers_to_multi_map(headers: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """``{name: [values]}``, repeats grouped under the first spelling of the name."""
    result: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    for name, value in headers:
        key = spelling.setdefault(name.lower(), name)
        result.setdefault(key, []).append(value)
    return result


def header_text(headers: Headers, name: bytes) -> str | None:
    """The first value of ``name`` (lower-case) as text, whatever case it is written in."""
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None
