"""Reading a function's result the way the gateways do (the emulator's side).

The gateways are strict: a result of the wrong shape is not passed through but replaced by
the gateway's own error. Each check here raises :class:`ResultError` with the reason the
gateway would log, so the emulator can answer as AWS does and say why in plain words.
"""

from __future__ import annotations

from binascii import a2b_base64
from collections.abc import Mapping

from ..errors import ResultError
from ..model import Headers
from .headers import native

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["result_body", "result_headers", "result_mapping", "result_status"]


def result_mapping(result: Any, allowed: frozenset[str] | None) -> Mapping[str, Any]:
    """The result as a mapping; with ``allowed``, keys outside it are refused."""
    if not isinstance(result, Mapping):
        raise ResultError(f"the result is a {type(result).__name__}, not a JSON object")
    if allowed is not None:
        unknown = sorted(set(result) - allowed)
        if unknown:
            raise ResultError(f"the result has keys the gateway does not accept: {unknown}")
    return result


def result_status(result: Mapping[str, Any]) -> int:
    """``statusCode`` as an int in 100..599 (a string of digits is accepted, as AWS does)."""
    status = result.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise ResultError(f"Invalid status code: {status!r}")
    return status


def _header_value(name: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ResultError(f"header {name!r} has a {type(value).__name__} value, not a string")
    try:
        return native(str(value))
    except UnicodeEncodeError:
        raise ResultError(f"header {name!r} holds a lone surrogate") from None


def result_headers(result: Mapping[str, Any], *, multi: bool, single: bool = True) -> Headers:
    """Headers from ``headers`` and/or ``multiValueHeaders``.

    Where both name a header, the multi-value list wins, as API Gateway documents: "If the
    same key-value pair is specified in both, only the values from multiValueHeaders will
    appear" (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html).
    """
    headers: Headers = []
    multi_map = result.get("multiValueHeaders") if multi else None
    if multi_map is not None and not isinstance(multi_map, Mapping):
        raise ResultError("multiValueHeaders is not a JSON object")
    single_map = result.get("headers") if single else None
    if single_map is not None and not isinstance(single_map, Mapping):
        raise ResultError("headers is not a JSON object")
    seen = {name.lower() for name in multi_map} if multi_map else set()
    for name, value in (single_map or {}).items():
        if name.lower() not in seen:
            headers.append((native(name), _header_value(name, value)))
    for name, values in (multi_map or {}).items():
        if not isinstance(values, list):
            raise ResultError(f"multiValueHeaders[{name!r}] is not a list")
        headers.extend((native(name), _header_value(name, value)) for value in values)
    return headers


def result_body(result: Mapping[str, Any], *, decode_base64: bool = True) -> bytes:
    """The body bytes; base64 is decoded when ``isBase64Encoded`` and ``decode_base64``."""
    body = result.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise ResultError(f"body is a {type(body).__name__}, not a string")
    if result.get("isBase64Encoded") and decode_base64:
        try:
            return a2b_base64(body, strict_mode=True)
        except ValueError:  # binascii.Error, and non-ASCII text
            raise ResultError("isBase64Encoded is true but body is not valid base64") from None
    return body.encode("utf-8")
