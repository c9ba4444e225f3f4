"""Header maps of events ⇄ the model's header lists, and response headers ⇄ result maps.

Event maps are ``{name: value}`` (one value: the gateway already joined or dropped repeats)
or ``{name: [values]}`` (multi-value). The model keeps an ordered list of text pairs, names as
the gateway delivered them, so repeats survive and neither bridge needs a second pass: each
maps a name to what it wants (``HTTP_USER_AGENT``, ``b"user-agent"``) through a table of the
spellings it has met.

These run for every header of every invocation, so the checks are made all at once, in C:
the names must be among those already found to be HTTP tokens (a new one is checked once and
remembered), and every value must be an ASCII string (``str.isascii`` raises for anything
else, and reads a flag, not the text), which is taken as it is; other text is converted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from operator import itemgetter

from ..errors import ProtocolError
from ..model import Headers
from .fields import is_header_name, not_a_list

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .base import Options

__all__ = [
    "RenderedHeaders",
    "as_latin1",
    "case_variant",
    "forwarded_in_map",
    "forwarded_in_multi_map",
    "header_in_map",
    "headers_from_map",
    "headers_from_multi_map",
    "headers_to_multi_map",
    "native",
    "render_headers",
    "response_header",
    "take_set_cookie",
]

# Header names found to be HTTP tokens, by their spelling in events. Bounded, so that a
# client sending ever-new names cannot grow it without end.
_TOKENS: set[str] = set()
_TOKENS_MAX = 1024


def _check_names(names: Iterable[str]) -> None:
    for name in names:
        if name not in _TOKENS:
            if not is_header_name(name):
                raise ValueError(f"not an HTTP header name: {name!r}")
            if len(_TOKENS) < _TOKENS_MAX:
                _TOKENS.add(name)


def as_latin1(value: str) -> bytes:
    """A header value as bytes: latin-1 as HTTP has it, UTF-8 for what latin-1 cannot hold."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def native(value: str) -> str:
    """A header value as a native string: one character per byte (PEP 3333)."""
    return value if value.isascii() else as_latin1(value).decode("latin-1")


_IS_ASCII = str.isascii
_VALUE = itemgetter(1)


def headers_from_map(headers: Mapping[str, str]) -> Headers:
    """Model headers from a single-value map."""
    pairs = list(headers.items())
    if not _TOKENS.issuperset(headers):
        _check_names(headers)
    if all(map(_IS_ASCII, headers.values())):
        return pairs
    return [(name, native(value)) for name, value in pairs]


def headers_from_multi_map(headers: Mapping[str, list[str]]) -> Headers:
    """Model headers from a multi-value map, every value kept in order."""
    pairs = [
        (name, value)
        for name, values in headers.items()
        for value in (values if values.__class__ is list else not_a_list(values))
    ]
    if not _TOKENS.issuperset(headers):
        _check_names(headers)
    if all(map(_IS_ASCII, map(_VALUE, pairs))):
        return pairs
    return [(name, native(value)) for name, value in pairs]


def header_in_map(headers: Mapping[str, Any], name: str, capitalised: str) -> Any:
    """The entry for header ``name`` (lower-case) in an event's header map, whatever its
    spelling there: the spellings gateways use (``name``, or ``capitalised`` as in
    ``X-Forwarded-Proto``) are looked up first, and only then is every key compared."""
    entry = headers.get(name)
    if entry is None:
        entry = headers.get(capitalised)
        if entry is None:
            for key, value in headers.items():
                if key.lower() == name:
                    return value
    return entry


def forwarded_in_map(headers: Mapping[str, str]) -> tuple[str | None, str | None, str | None]:
    """``Host``, ``X-Forwarded-Proto`` and ``X-Forwarded-Port`` from a single-value map."""
    return (
        header_in_map(headers, "host", "Host"),
        header_in_map(headers, "x-forwarded-proto", "X-Forwarded-Proto"),
        header_in_map(headers, "x-forwarded-port", "X-Forwarded-Port"),
    )


def forwarded_in_multi_map(
    headers: Mapping[str, list[str]],
) -> tuple[str | None, str | None, str | None]:
    """The same from a multi-value map: the last value of each, the one nearest the gateway."""
    host, proto, port = (
        header_in_map(headers, "host", "Host"),
        header_in_map(headers, "x-forwarded-proto", "X-Forwarded-Proto"),
        header_in_map(headers, "x-forwarded-port", "X-Forwarded-Port"),
    )
    return (host[-1] if host else None, proto[-1] if proto else None, port[-1] if port else None)


#: A response's headers as every result format starts from them: ``single`` maps each name
#: (the first spelling the app used) to its first value, in the app's order; ``repeated``
#: holds every value of the names sent more than once (usually none); ``spellings`` maps each
#: lower-case name to its key in both; and whether the body can travel as text.
RenderedHeaders = tuple[dict[str, str], dict[str, list[str]], dict[str, str], bool]


def render_headers(headers: Headers, options: Options) -> RenderedHeaders:
    """A response's headers, checked the way an HTTP server checks them, in one pass.

    A value holding CR, LF or NUL would let the app forge a second header or split the
    response, so it is a protocol error (the response becomes a 500), never passed on.
    """
    single: dict[str, str] = {}
    repeated: dict[str, list[str]] = {}
    spellings: dict[str, str] = {}
    exclude = options.exclude_headers
    content_type = content_encoding = None
    try:
        for name, value in headers:
            # A name never holds a control character (RFC 9110 token); isprintable covers
            # them all. A printable value holds none either; others (a tab) are looked at.
            if not name.isprintable() or (
                not value.isprintable() and ("\r" in value or "\n" in value or "\0" in value)
            ):
                raise ProtocolError(f"response header {name!r} holds a CR, LF or NUL: {value!r}")
            lower = name.lower()
            first = spellings.get(lower)
            if first is None:
                if exclude and lower in exclude:
                    continue
                spellings[lower] = name
                single[name] = value
                if lower == "content-type":
                    content_type = value
                elif lower == "content-encoding":
                    content_encoding = value
            elif first in repeated:
                repeated[first].append(value)
            else:
                repeated[first] = [single[first], value]
    except (AttributeError, TypeError, ValueError):
        raise ProtocolError(f"response headers must be pairs of strings, got {headers!r}") from None
    return single, repeated, spellings, options.sends_as_text(content_type, content_encoding)


def take_set_cookie(rendered: RenderedHeaders) -> tuple[str, list[str]] | None:
    """``(spelling, values)`` of ``Set-Cookie``, taken out of ``rendered``; ``None`` if absent."""
    single, repeated, spellings, _ = rendered
    name = spellings.pop("set-cookie", None)
    if name is None:
        return None
    first = single.pop(name)
    return name, repeated.pop(name, None) or [first]


def headers_to_multi_map(headers: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """``{name: [values]}``, repeats grouped under the first spelling of the name."""
    result: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    for name, value in headers:
        key = spelling.setdefault(name.lower(), name)
        result.setdefault(key, []).append(value)
    return result


def response_header(headers: Headers, name: str) -> str | None:
    """The first value of ``name`` (lower-case), whatever case it is written in."""
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def case_variant(name: str, index: int) -> str:
    """The ``index``-th spelling of ``name`` by upper-casing letters in binary counting order:
    distinct for up to 2**letters repeats (1024 for ``set-cookie``). Formats with one string
    per header name (ALB single-value mode, VPC Lattice) pass names that differ only in case
    on as separate headers: that is how several ``Set-Cookie`` headers get through them."""
    if index == 0:
        return name
    chars = list(name.lower())
    letters = [i for i, char in enumerate(chars) if char.isalpha()]
    for bit, position in enumerate(letters):
        if index >> bit & 1:
            chars[position] = chars[position].upper()
    return "".join(chars)
