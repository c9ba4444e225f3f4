"""Bytes ⇄ JSON-string conversions every source needs: bodies, query strings and paths.

Lambda events and results are JSON, so every byte string crosses as text. These functions
decide how, once, for all sources.
"""

from __future__ import annotations

import binascii
from base64 import b64decode, b64encode
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote, unquote, unquote_plus

from ..errors import MalformedEvent

__all__ = [
    "body_from_event",
    "body_to_event",
    "body_to_result",
    "decode_path",
    "encode_path",
    "is_text_type",
    "query_from_pairs",
    "query_from_raw_map",
    "query_to_multi_map",
    "query_to_raw_pairs",
    "raw_query",
]

# Characters left as they are when a decoded path is put back on the wire: RFC 3986 pchar
# plus "/". Everything else (space, "?", "#", "%", non-ASCII) is percent-encoded.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# Strings made only of these need no quoting: checking is far cheaper than quote().
_PATH_VERBATIM = frozenset(_ALNUM + _PATH_SAFE)
_QUERY_VERBATIM = frozenset(_ALNUM + "-._~")


def body_from_event(body: str | None, is_base64: bool | None) -> bytes:
    """The request body bytes from an event's ``body`` and ``isBase64Encoded``."""
    if not body:
        return b""
    if is_base64:
        try:
            return b64decode(body, validate=True)
        except binascii.Error as exc:
            raise MalformedEvent(f"isBase64Encoded is true but body is not base64: {exc}") from None
    return body.encode("utf-8")


def body_to_event(body: bytes, as_text: bool) -> tuple[str, bool]:
    """``(body, isBase64Encoded)`` for an event or result: text when asked and valid UTF-8."""
    if not body:
        return "", False
    if as_text:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return b64encode(body).decode("ascii"), True


def is_text_type(content_type: str | None, text_mime_types: frozenset[str]) -> bool:
    """Whether a body of ``content_type`` can travel as a JSON string rather than base64."""
    if not content_type:
        return False
    mime = content_type.partition(";")[0].strip().lower()
    return mime.startswith("text/") or mime in text_mime_types or mime.endswith(("+json", "+xml"))


def body_to_result(
    body: bytes,
    content_type: str | None,
    content_encoding: str | None,
    text_mime_types: frozenset[str],
) -> tuple[str, bool]:
    """``(body, isBase64Encoded)`` for a result.

    Any ``Content-Encoding`` other than ``identity`` means compressed bytes: those must go out
    base64 whatever the media type, or the gateway mangles them.
    """
    as_text = is_text_type(content_type, text_mime_types) and (
        not content_encoding or content_encoding.strip().lower() == "identity"
    )
    return body_to_event(body, as_text)


def query_from_pairs(pairs: Iterable[tuple[str, str]]) -> bytes:
    """A query string from decoded ``(key, value)`` pairs, encoded losslessly.

    Every reserved character is escaped (``quote`` with no safe characters), so values that
    hold ``& = + %`` or spaces decode back to exactly themselves.
    """
    verbatim = _QUERY_VERBATIM.issuperset
    return "&".join(
        (key if verbatim(key) else quote(key, safe=""))
        + "="
        + (value if verbatim(value) else quote(value, safe=""))
        for key, value in pairs
    ).encode("ascii")


def query_to_multi_map(query: bytes) -> dict[str, list[str]]:
    """Decoded ``{key: [values]}`` as API Gateway builds ``multiValueQueryStringParameters``.

    ``+`` decodes to a space, as API Gateway does (a literal plus arrives as ``%2B``).
    """
    result: dict[str, list[str]] = {}
    for key, value in query_to_raw_pairs(query):
        result.setdefault(unquote_plus(key), []).append(unquote_plus(value))
    return result


def query_to_raw_pairs(query: bytes) -> list[tuple[str, str]]:
    """Undecoded ``(key, value)`` pairs, as ALB passes them on."""
    pairs = []
    for part in query.decode("latin-1").split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((key, value))
    return pairs


# What a raw (undecoded) query may hold as it is; anything else (a space in a hand-made test
# event, raw UTF-8 text) is percent-encoded as a browser would.
_RAW_QUERY_SAFE = "%/:@!$&'()*+,;=-._~?[]"


def raw_query(text: str) -> bytes:
    """A raw query string as bytes: verbatim when ASCII, escaped where it is not."""
    try:
        return text.encode("ascii")
    except UnicodeEncodeError:
        return quote(text, safe=_RAW_QUERY_SAFE).encode("ascii")


def query_from_raw_map(params: Mapping[str, Sequence[str] | str | None]) -> bytes:
    """A query string from ALB's undecoded parameters: joined, never encoded a second time."""
    parts: list[str] = []
    for key, values in params.items():
        if values is None or isinstance(values, str):
            values = [values or ""]
        parts.extend(f"{key}={value}" for value in values)
    # A raw value is what the client sent; only characters no HTTP client could have sent
    # unescaped (a space from a hand-made test event) are escaped here.
    return quote("&".join(parts), safe=_RAW_QUERY_SAFE).encode("ascii")


def decode_path(raw_path: str) -> tuple[str, bytes]:
    """``(path, raw_path)`` from a path that arrived percent-encoded."""
    raw = raw_path.encode("utf-8")
    if "%" not in raw_path:
        return raw_path, raw
    return unquote(raw_path), raw


def encode_path(path: str) -> tuple[str, bytes]:
    """``(path, raw_path)`` from a path that arrived already decoded (HTTP APIs)."""
    if _PATH_VERBATIM.issuperset(path):
        return path, path.encode("ascii")
    return path, quote(path, safe=_PATH_SAFE).encode("ascii")
