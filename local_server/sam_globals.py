"""SAM's ``Globals`` section: defaults merged into each function and API before it is read.

https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-template-anatomy-globals.html
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .cfn_values import is_intrinsic
from .sam_specs import TemplateError

__all__ = ["check_globals", "globals_section", "with_globals"]

_KNOWN_GLOBALS = frozenset(
    {"Function", "Api", "HttpApi", "SimpleTable", "LayerVersion", "StateMachine"}
)


def check_globals(document: Mapping[str, Any]) -> None:
    """A misspelt section would apply to nothing; SAM rejects it, and so does the loader."""
    for section in document.get("Globals") or {}:
        if section not in _KNOWN_GLOBALS:
            raise TemplateError(f"Globals.{section}", "not a SAM Globals section")


def globals_section(document: Mapping[str, Any]) -> dict[str, Any]:
    section = document.get("Globals") or {}
    return section if isinstance(section, dict) else {}


def with_globals(global_properties: Any, properties: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(global_properties, dict):
        return properties
    merged = _merge_global(global_properties, properties)
    assert isinstance(merged, dict)
    return merged


def _merge_global(global_value: Any, local_value: Any) -> Any:
    """SAM's Globals rule: maps merge, lists add up, anything else the resource's value wins.

    An intrinsic is a value, not a map: the resource's replaces the global one.
    https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-template-anatomy-globals.html
    """
    if (
        isinstance(global_value, dict)
        and isinstance(local_value, dict)
        and not is_intrinsic(global_value)
        and not is_intrinsic(local_value)
    ):
        merged = dict(global_value)
        for key, value in local_value.items():
            merged[key] = _merge_global(global_value[key], value) if key in merged else value
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return global_value + local_value
    return local_value
