"""CORS settings in the three shapes SAM accepts, normalised to one ``CorsSpec``.

REST APIs take header values in single quotes (``AllowOrigin: "'*'"``); HTTP APIs and function
URLs take lists.
https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-api-corsconfiguration.html
"""

from __future__ import annotations

from typing import Any

from .properties import REST_API_CORS, PropertyTable, check_properties
from .specs import CorsSpec, TemplateError
from .values import scalar_text

__all__ = ["http_cors", "rest_cors"]


def _unquote(value: Any, location: str) -> str:
    """REST CORS values are header values in single quotes (``"'*'"``), as SAM requires."""
    text = scalar_text(value, location)
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else text


def _csv(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def rest_cors(value: Any, location: str) -> CorsSpec | None:
    location = f"{location}.Cors"
    if value is None:
        return None
    if isinstance(value, str):
        return CorsSpec(allow_origins=(_unquote(value, location),), allow_methods=("*",))
    if not isinstance(value, dict):
        raise TemplateError(location, "expected an origin or a mapping")
    check_properties(value, location, REST_API_CORS)
    if "AllowOrigin" not in value:
        raise TemplateError(f"{location}.AllowOrigin", "required")
    max_age = value.get("MaxAge")
    return CorsSpec(
        allow_origins=(_unquote(value["AllowOrigin"], f"{location}.AllowOrigin"),),
        allow_methods=_csv(_unquote(value.get("AllowMethods", "'*'"), f"{location}.AllowMethods")),
        allow_headers=_csv(_unquote(value.get("AllowHeaders", "''"), f"{location}.AllowHeaders")),
        max_age=int(_unquote(max_age, f"{location}.MaxAge")) if max_age is not None else None,
        allow_credentials=bool(value.get("AllowCredentials", False)),
    )


def http_cors(value: Any, location: str, table: PropertyTable) -> CorsSpec | None:
    """HTTP API ``CorsConfiguration`` and function URL ``Cors`` (``table`` says which):
    lists, not quoted strings."""
    if value is None or value is False:
        return None
    if value is True:
        # SAM: ``CorsConfiguration: true`` allows every origin, header and method.
        return CorsSpec(allow_origins=("*",), allow_methods=("*",), allow_headers=("*",))
    if not isinstance(value, dict):
        raise TemplateError(location, "expected true or a mapping")
    names = {
        "AllowOrigins": "allow_origins",
        "AllowMethods": "allow_methods",
        "AllowHeaders": "allow_headers",
        "ExposeHeaders": "expose_headers",
    }
    check_properties(value, location, table)
    lists: dict[str, tuple[str, ...]] = {}
    for key, attribute in names.items():
        items = value.get(key, [])
        if not isinstance(items, list):
            raise TemplateError(f"{location}.{key}", "expected a list")
        lists[attribute] = tuple(
            scalar_text(item, f"{location}.{key}[{i}]") for i, item in enumerate(items)
        )
    max_age = value.get("MaxAge")
    return CorsSpec(
        **lists,
        max_age=int(scalar_text(max_age, f"{location}.MaxAge")) if max_age is not None else None,
        allow_credentials=bool(value.get("AllowCredentials", False)),
    )
