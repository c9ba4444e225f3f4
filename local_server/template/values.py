"""How CloudFormation values read once resolved, and how the loader names where they are.

Every ``TemplateError`` carries a location like ``Resources.Fn.Properties.Events.Get.Path``;
these helpers build it and phrase what was found there.
"""

from __future__ import annotations

from typing import Any

from .specs import TemplateError

__all__ = ["NO_VALUE", "child_location", "describe_value", "is_intrinsic", "scalar_text"]


class _NoValue:
    """``Ref: AWS::NoValue``: the property it stands for is removed."""


NO_VALUE = _NoValue()


def is_intrinsic(value: Any) -> bool:
    """``{"Fn::Sub": ...}`` is one value to evaluate, not a mapping to walk or merge."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    (key,) = value
    return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::"))


def child_location(location: str, *parts: str | int) -> str:
    """``Events`` + ``"Get"`` gives ``Events.Get``; an index gives ``Items[0]``."""
    for part in parts:
        location = f"{location}[{part}]" if isinstance(part, int) else f"{location}.{part}"
    return location


def scalar_text(value: Any, location: str) -> str:
    """A resolved value as CloudFormation text (``true`` -> ``"true"``, ``3`` -> ``"3"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise TemplateError(location, f"expected a string, found {describe_value(value)}")


def describe_value(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    if value is NO_VALUE:
        return "Ref AWS::NoValue, which removes a property but is no value"
    return repr(value)
