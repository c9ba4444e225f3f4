"""The values ``Ref`` gives a template's parameters: ``--parameter-overrides``, then each
``Default``, with the pseudo parameters (``AWS::Region``, ...) SAM CLI sets locally.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Any

from .specs import TemplateError
from .values import scalar_text

__all__ = ["PSEUDO_PARAMETERS", "parse_parameter_overrides", "template_parameters"]

#: Values SAM CLI gives the pseudo parameters locally; each can be overridden with
#: ``--parameter-overrides AWS::Region=eu-west-1`` as in SAM.
PSEUDO_PARAMETERS: dict[str, Any] = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::StackName": "local",
    "AWS::StackId": (
        "arn:aws:cloudformation:us-east-1:123456789012:stack/local/"
        "51af3dc0-da77-11e4-872e-1234567db123"
    ),
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NotificationARNs": [],
}

_OVERRIDE_LONG_FORM = re.compile(r"ParameterKey=([^,\s]+),ParameterValue=(.*)")


def parse_parameter_overrides(values: str | list[str] | tuple[str, ...]) -> dict[str, str]:
    """``--parameter-overrides`` text as SAM CLI takes it.

    Both ``Key=Value Key2=Value2`` and ``ParameterKey=Key,ParameterValue=Value`` work, mixed
    freely; a value in double or single quotes may hold spaces.
    """
    items: list[str] = []
    for value in [values] if isinstance(values, str) else values:
        try:
            items.extend(shlex.split(value))
        except ValueError as exc:
            raise TemplateError("--parameter-overrides", f"{exc}: {value!r}") from exc
    overrides: dict[str, str] = {}
    for item in items:
        long_form = _OVERRIDE_LONG_FORM.fullmatch(item)
        if long_form:
            overrides[long_form.group(1)] = long_form.group(2)
            continue
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise TemplateError(
                "--parameter-overrides",
                f"{item!r} is neither Key=Value nor ParameterKey=Key,ParameterValue=Value",
            )
        overrides[key] = value
    return overrides


def template_parameters(
    document: Mapping[str, Any], overrides: Mapping[str, str]
) -> tuple[dict[str, Any], set[str]]:
    """Values by parameter name, and the parameters with neither an override nor a Default:
    a ``Ref`` to one of those is an error only where the emulator needs its value."""
    section = document.get("Parameters") or {}
    if not isinstance(section, dict):
        raise TemplateError("Parameters", "expected a mapping")
    values: dict[str, Any] = dict(PSEUDO_PARAMETERS)
    missing: set[str] = set()
    for key, value in overrides.items():
        if key not in section and key not in PSEUDO_PARAMETERS:
            known = ", ".join(sorted(section)) or "none"
            raise TemplateError(
                "--parameter-overrides",
                f"{key} is not a parameter of the template (it has {known})",
            )
        if key in PSEUDO_PARAMETERS:
            values[key] = value
    for name, declaration in section.items():
        location = f"Parameters.{name}"
        if not isinstance(declaration, dict):
            raise TemplateError(location, "expected a mapping with a Type")
        if name in overrides:
            text, where = overrides[name], f"--parameter-overrides {name}"
        elif "Default" in declaration:
            text = scalar_text(declaration["Default"], f"{location}.Default")
            where = f"{location}.Default"
        else:
            missing.add(name)
            continue
        allowed = declaration.get("AllowedValues")
        if isinstance(allowed, list):
            choices = [scalar_text(v, f"{location}.AllowedValues") for v in allowed]
            if text not in choices:
                raise TemplateError(where, f"{text!r} is not one of {', '.join(choices)}")
        kind = str(declaration.get("Type", "String"))
        # List types give a list to Ref (CommaDelimitedList, List<Number>, List<AWS::...>).
        is_list = kind == "CommaDelimitedList" or kind.startswith("List<")
        values[name] = [item.strip() for item in text.split(",")] if is_list else text
    return values, missing
