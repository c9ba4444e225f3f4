"""Which bodies travel as text and which as base64, decided by media type, in one place.

A ``Content-Type`` header carries parameters and any case (``Text/HTML; charset=UTF-8``);
:func:`media_type` reduces it to what every rule below compares: ``text/html``.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_TEXT_MIME_TYPES",
    "is_binary_media_type",
    "is_text_type",
    "media_type",
    "travels_as_text",
]

#: Media types a result sends as text whatever ``text_mime_types`` says, beside ``text/*``,
#: ``*+json`` and ``*+xml``; every other body goes out base64 (see ``result_body``).
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
