"""Why an event could not be translated, named by the event's own field.

The translators read an event without checking each field first: that would cost on every
invocation, and AWS sends well-formed events. They are written so that a field of the wrong
type or value makes them fail (a Python error, or one of their few cheap checks), never pass
garbage on. When one fails, its source walks its table of the fields it reads, in the types AWS
sends them, and reports the first that is wrong:
``rest event: headers['x-a'] must be a string, got list``.

A translator that checks something the table cannot express (valid base64, a numeric port)
raises :class:`FieldError`, whose message names the field itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import MalformedEvent

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "FAILURES",
    "FieldError",
    "Spec",
    "checked_text",
    "flag",
    "header_map",
    "is_header_name",
    "list_of",
    "malformed",
    "map_of",
    "not_a_list",
    "obj",
    "shown",
    "text",
    "text_or",
]

#: What a translator raises on a field of the wrong type or value.
FAILURES = (AttributeError, LookupError, TypeError, ValueError)


class FieldError(ValueError):
    """A field holds a value AWS never sends; the message names the field."""


#: RFC 9110 ``tchar``: what a header name is made of.
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def is_header_name(name: str) -> bool:
    """Whether ``name`` is an HTTP header name: a token, RFC 9110 section 5.1."""
    return bool(name) and _TOKEN.issuperset(name)


def checked_text(value: str) -> str:
    """``value`` if it is text that can be encoded (no lone surrogate); raises otherwise.

    Called only for a value that ``isascii()`` did not pass, which is one C-level test for
    the usual case and fails with ``AttributeError`` on every JSON type but a string.
    """
    value.encode("utf-8")
    return value


def text_or(value: Any, default: str) -> str:
    """A text field's value, or ``default`` when it is absent, null or empty; any other type
    raises (where ``value or default`` would let ``0`` or ``[]`` pass as "absent")."""
    if value.__class__ is str:
        return value or default
    if value is None:
        return default
    raise TypeError(f"expected a string, got {type(value).__name__}")


def not_a_list(values: object) -> list[str]:
    """Raises: a multi-value map holds ``values`` where a list belongs (iterating a string
    instead would pass its characters on as values)."""
    raise TypeError(f"a multi-value map holds a {type(values).__name__}, not a list")


# The kinds of field, and what a message says each must be.
_TEXT, _FLAG, _OBJECT, _MAP, _LIST = "text", "flag", "object", "map", "list"
_EXPECTED = {
    _TEXT: "a string",
    _FLAG: "true or false",
    _OBJECT: "an object",
    _MAP: "an object",
    _LIST: "a list",
}


class Spec:
    """The type AWS sends one field in; ``required`` fields may be neither absent nor null,
    ``nonempty`` text not empty either."""

    __slots__ = ("ascii", "fields", "items", "kind", "nonempty", "path", "required", "token_keys")

    def __init__(
        self,
        kind: str,
        *,
        required: bool = False,
        nonempty: bool = False,
        ascii: bool = False,
        path: bool = False,
        fields: dict[str, Spec] | None = None,
        items: Spec | None = None,
        token_keys: bool = False,
    ) -> None:
        self.kind = kind
        self.required = required
        self.nonempty = nonempty
        self.ascii = ascii
        self.path = path
        self.fields = fields or {}
        self.items = items
        self.token_keys = token_keys

    def not_null(self) -> Spec:
        """This type where ``null`` is not allowed: the items of lists and maps."""
        return Spec(
            self.kind,
            required=True,
            nonempty=self.nonempty,
            ascii=self.ascii,
            path=self.path,
            fields=self.fields,
            items=self.items,
            token_keys=self.token_keys,
        )

    def problem(self, value: Any, path: str) -> str | None:
        """What is wrong with ``value`` at ``path``, or ``None``."""
        kind = self.kind
        if value is None:
            return f"{path} must be {_EXPECTED[kind]}, got null" if self.required else None
        wrong_type = f"{path} must be {_EXPECTED[kind]}, got {_type_name(value)}"
        if kind == _TEXT:
            if not isinstance(value, str):
                return wrong_type
            if self.nonempty and not value:
                return f"{path} must not be empty"
            if self.ascii and not value.isascii():
                return f"{path} must be ASCII, got {shown(value)}"
            if self.path and value and not value.startswith("/"):
                return f"{path} must start with '/', got {shown(value)}"
            return _text_problem(value, path)
        if kind == _FLAG:
            return None if isinstance(value, bool) else wrong_type
        if kind == _LIST:
            if not isinstance(value, list):
                return wrong_type
            assert self.items is not None
            for index, item in enumerate(value):
                found = self.items.problem(item, f"{path}[{index}]")
                if found:
                    return found
            return None
        if not isinstance(value, Mapping):
            return wrong_type
        if kind == _MAP:  # any key, one type of value
            assert self.items is not None
            for key, item in value.items():
                found = self._key_problem(key, path) or self.items.problem(item, f"{path}[{key!r}]")
                if found:
                    return found
            return None
        return self.object_problem(value, path + ".")

    def object_problem(self, value: Mapping[Any, Any], prefix: str = "") -> str | None:
        for name, spec in self.fields.items():
            if name not in value:
                if spec.required:
                    return f"{prefix}{name} is missing"
                continue
            found = spec.problem(value[name], prefix + name)
            if found:
                return found
        return None

    def _key_problem(self, key: Any, path: str) -> str | None:
        if not isinstance(key, str):
            return f"{path} has a key that is not a string: {key!r}"
        if self.token_keys and not is_header_name(key):
            return f"{path} has a name that is not an HTTP header name: {shown(key)}"
        return _text_problem(key, f"{path} key {key!r}")


def shown(value: str) -> str:
    """``value`` as a message quotes it: a huge one cut short."""
    return repr(value) if len(value) <= 80 else f"{value[:60]!r}... ({len(value)} characters)"


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _text_problem(value: str, path: str) -> str | None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"{path} holds a lone surrogate ({value[exc.start]!r} at {exc.start}), not text"
    return None


def text(*, required: bool = False, ascii: bool = False, path: bool = False) -> Spec:
    """A string of Unicode text (JSON cannot carry anything else, but a lone surrogate);
    ``required`` text must not be empty either; ``ascii`` text (an HTTP method, an IP
    address) is only ever ASCII; a ``path``, when not empty, starts with ``/``."""
    return Spec(_TEXT, required=required, nonempty=required, ascii=ascii, path=path)


def flag() -> Spec:
    return Spec(_FLAG)


def obj(*, required: bool = False, **fields: Spec) -> Spec:
    """A JSON object with these fields (others are not read, so not checked)."""
    return Spec(_OBJECT, required=required, fields=fields)


def map_of(items: Spec) -> Spec:
    """A JSON object with any keys, every value of type ``items`` (not null)."""
    return Spec(_MAP, items=items.not_null())


def header_map(items: Spec) -> Spec:
    """A map of header names (HTTP tokens) to ``items`` (not null)."""
    return Spec(_MAP, items=items.not_null(), token_keys=True)


def list_of(items: Spec) -> Spec:
    """A JSON array of ``items`` (not null)."""
    return Spec(_LIST, items=items.not_null())


def malformed(source: str, event_fields: Spec, event: Any, failure: Exception) -> MalformedEvent:
    """The :class:`MalformedEvent` for a translation of ``event`` that raised ``failure``."""
    if isinstance(failure, FieldError):
        problem = str(failure)
    elif not isinstance(event, Mapping):
        problem = f"the event must be a JSON object, got {_type_name(event)}"
    else:
        problem = event_fields.object_problem(event) or (
            # Every field the translator reads is in its table: reaching this is a bug in it.
            f"cannot be translated ({type(failure).__name__}: {failure})"
        )
    return MalformedEvent(f"{source} event: {problem}")
