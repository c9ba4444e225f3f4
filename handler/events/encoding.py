"""Bytes and text ⇄ the JSON strings of events: bodies, query strings and paths.

Lambda events and results are JSON, so every byte string crosses as text. These functions
decide how, once, for all sources: paths and queries stay text in the model (ASCII,
percent-encoded, as on the wire), bodies are bytes, and a body's media type decides whether it
travels as text or base64.
"""

from __future__ import annotations

from binascii import Error as Base64Error
from binascii import a2b_base64, b2a_base64
from collections.abc import Iterable, Mapping
from urllib.parse import quote, unquote_plus

from .fields import FieldError, not_a_list

__all__ = [
    "DEFAULT_TEXT_MIME_TYPES",
    "body_from_event",
    "body_to_event",
    "encode_path",
    "is_binary_media_type",
    "is_text_type",
    "media_type",
    "multi_pairs",
    "query_from_multi_map",
    "query_from_pairs",
    "query_from_raw_multi_map",
    "query_from_raw_pairs",
    "query_to_multi_map",
    "query_to_raw_pairs",
    "raw_query",
    "travels_as_text",
    "wire_path",
]

# Characters left as they are when a decoded path is put back on the wire: RFC 3986 pchar
# plus "/". Everything else (space, "?", "#", "%", non-ASCII) is percent-encoded.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# Strings made only of these need no quoting: checking is far cheaper than quote().
_PATH_VERBATIM = frozenset(_ALNUM + _PATH_SAFE)
_QUERY_JOINED_VERBATIM = frozenset(_ALNUM + "-._~=&")
# What a raw (undecoded) path or query may hold as it is; anything else (a space in a
# hand-made test event, raw UTF-8 text) is percent-encoded as a browser would.
_RAW_SAFE = "%/:@!$&'()*+,;=-._~?[]"
_RAW_VERBATIM = frozenset(_ALNUM + _RAW_SAFE)


def body_from_event(body: str | None, is_base64: bool | None) -> bytes:
    """The request body bytes from an event's ``body`` and ``isBase64Encoded``.

    Base64 is decoded strictly (``binascii`` ``strict_mode``, in C: no second pass over the
    text, which is what makes a large upload cost little more than the decoding itself).
    """
    if is_base64 is True:
        try:
            return a2b_base64(body, strict_mode=True) if body else b""
        except (Base64Error, ValueError) as exc:
            raise FieldError(f"body is not base64, though isBase64Encoded is true: {exc}") from None
    if is_base64 is not False and is_base64 is not None:
        raise TypeError("isBase64Encoded")
    return b"" if body is None else body.encode("utf-8")


def body_to_event(body: bytes, as_text: bool) -> tuple[str, bool]:
    """``(body, isBase64Encoded)`` for an event or result: text when asked and valid UTF-8."""
    if not body:
        return "", False
    if as_text:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return b2a_base64(body, newline=False).decode("ascii"), True


def query_from_multi_map(multi: Mapping[str, list[str]]) -> str:
    """A query string from ``multiValueQueryStringParameters`` (decoded), as
    :func:`query_from_pairs` makes it: in one pass when nothing needs escaping."""
    parts = [
        key + "=" + value
        for key, values in multi.items()
        for value in (values if values.__class__ is list else not_a_list(values))
    ]
    return _unescaped(parts) or query_from_pairs(multi_pairs(multi))


def query_from_pairs(pairs: Iterable[tuple[str, str]]) -> str:
    """A query string from decoded ``(key, value)`` pairs, encoded losslessly.

    Every reserved character is escaped (``quote`` with no safe characters), so values that
    hold ``& = + %`` or spaces decode back to exactly themselves.
    """
    return _unescaped([key + "=" + value for key, value in pairs]) or "&".join(
        [quote(key, safe="") + "=" + quote(value, safe="") for key, value in pairs]
    )


def _unescaped(parts: list[str]) -> str | None:
    """``key=value`` ``parts`` joined with ``&``, if no key or value needs escaping (the
    usual case): then the text holds only unreserved characters and one ``=`` and ``&`` per
    part, which three calls in C tell."""
    query = "&".join(parts)
    if (
        _QUERY_JOINED_VERBATIM.issuperset(query)
        and query.count("=") == len(parts)
        and query.count("&") == len(parts) - 1
    ):
        return query
    return None


def query_to_multi_map(query: str) -> dict[str, list[str]]:
    """Decoded ``{key: [values]}`` as API Gateway builds ``multiValueQueryStringParameters``.

    ``+`` decodes to a space, as API Gateway does (a literal plus arrives as ``%2B``).
    """
    result: dict[str, list[str]] = {}
    for key, value in query_to_raw_pairs(query):
        result.setdefault(unquote_plus(key), []).append(unquote_plus(value))
    return result


def query_to_raw_pairs(query: str) -> list[tuple[str, str]]:
    """Undecoded ``(key, value)`` pairs, as ALB passes them on."""
    pairs = []
    for part in query.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((key, value))
    return pairs


def raw_query(text: str) -> str:
    """A raw query string as the model keeps it: verbatim when ASCII, escaped where not."""
    return text if text.isascii() else quote(text, safe=_RAW_SAFE)


def multi_pairs(multi: Mapping[str, list[str]]) -> list[tuple[str, str]]:
    """The ``(key, value)`` pairs of a multi-value map, in order."""
    return [
        (key, value)
        for key, values in multi.items()
        for value in (values if values.__class__ is list else not_a_list(values))
    ]


def query_from_raw_multi_map(multi: Mapping[str, list[str]]) -> str:
    """A query string from ALB's undecoded ``multiValueQueryStringParameters``."""
    return _raw_query_from_parts(
        [
            key + "=" + value
            for key, values in multi.items()
            for value in (values if values.__class__ is list else not_a_list(values))
        ]
    )


def query_from_raw_pairs(pairs: Iterable[tuple[str, str]]) -> str:
    """A query string from ALB's undecoded parameters: joined, never encoded a second time."""
    return _raw_query_from_parts([key + "=" + value for key, value in pairs])


def _raw_query_from_parts(parts: list[str]) -> str:
    query = "&".join(parts)
    # A raw value is what the client sent; only characters no HTTP client could have sent
    # unescaped (a space from a hand-made test event) are escaped here.
    return query if _RAW_VERBATIM.issuperset(query) else quote(query, safe=_RAW_SAFE)


def wire_path(path: str) -> str:
    """A path that arrived percent-encoded, as the model keeps it: ASCII, as it came."""
    return path if path.isascii() else quote(path, safe=_RAW_SAFE)


def encode_path(path: str) -> str:
    """The wire form of a path that arrived already decoded (HTTP APIs)."""
    if path.isascii() and _PATH_VERBATIM.issuperset(path):
        return path
    return quote(path, safe=_PATH_SAFE)


# Which bodies travel as text and which as base64, decided by media type, in one place. A
# Content-Type carries parameters and any case (``Text/HTML; charset=UTF-8``): media_type
# reduces it to what every rule compares (``text/html``).

#: Media types a result sends as text whatever ``text_mime_types`` says, beside ``text/*``,
#: ``*+json`` and ``*+xml``; every other body goes out base64 (see ``Options.sends_as_text``).
DEFAULT_TEXT_MIME_TYPES = frozenset(
    {
        "application/json",
        "application/javascript",
        "application/xml",
        "application/ecmascript",
        "application/x-www-form-urlencoded",
        "application/graphql",
        "image/svg+xml",
    }
)


def media_type(content_type: str) -> str:
    """``type/subtype`` of a ``Content-Type`` value: lower-case, without parameters."""
    return content_type.partition(";")[0].strip().lower()


def is_text_type(content_type: str | None, text_mime_types: frozenset[str]) -> bool:
    """Whether a result body of ``content_type`` can travel as a JSON string."""
    if not content_type:
        return False
    mime = media_type(content_type)
    return mime.startswith("text/") or mime in text_mime_types or mime.endswith(("+json", "+xml"))


def travels_as_text(content_type: str | None, text_types: frozenset[str]) -> bool:
    """Whether a gateway hands a request body of ``content_type`` to the function as text:
    ``text/*`` and the gateway's own list; everything else, no type included, as base64."""
    if not content_type:
        return False
    mime = media_type(content_type)
    return mime.startswith("text/") or mime in text_types


def is_binary_media_type(content_type: str | None, patterns: tuple[str, ...]) -> bool:
    """Whether ``content_type`` is one of a REST API's ``binaryMediaTypes`` (``*/*`` and
    ``image/*`` allowed)."""
    if not content_type or not patterns:
        return False
    mime = media_type(content_type)
    major = mime.partition("/")[0]
    return any(p == "*/*" or p == mime or p == f"{major}/*" for p in patterns)
