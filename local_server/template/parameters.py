"""The values ``Ref`` gives a template's parameters: ``--parameter-overrides``, then each
``Default``, with the pseudo parameters (``AWS::Region``, ...) SAM CLI sets locally.

A value is held to its parameter's constraints as CloudFormation holds it when a stack is
created (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html):
``AllowedValues`` and ``AllowedPattern`` (which "must match the entire parameter value", and
each item of a ``CommaDelimitedList``), ``MinLength``/``MaxLength`` for strings and
``MinValue``/``MaxValue`` for a ``Number``; the error says the ``ConstraintDescription`` when
there is one, as CloudFormation's does.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Any

from lambgate.events.base import ACCOUNT_ID, REGION

from .specs import TemplateError
from .values import scalar_text

__all__ = [
    "PSEUDO_PARAMETERS",
    "check_constraints",
    "parse_parameter_overrides",
    "template_parameters",
]

#: Values SAM CLI gives the pseudo parameters locally; each can be overridden with
#: ``--parameter-overrides AWS::Region=eu-west-1`` as in SAM.
PSEUDO_PARAMETERS: dict[str, Any] = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::StackName": "local",
    "AWS::StackId": (
        f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/local/"
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
        kind = str(declaration.get("Type", "String"))
        # List types give a list to Ref (CommaDelimitedList, List<Number>, List<AWS::...>).
        is_list = kind == "CommaDelimitedList" or kind.startswith("List<")
        items = [item.strip() for item in text.split(",")] if is_list else [text]
        check_constraints(name, declaration, kind, text, items, where)
        values[name] = items if is_list else text
    return values, missing


def check_constraints(
    name: str,
    declaration: Mapping[str, Any],
    kind: str,
    text: str,
    items: list[str],
    where: str,
) -> None:
    """Refuse a value its parameter's constraints forbid, as CloudFormation would.

    ``items`` are the values of a list type (each is held to ``AllowedValues`` and
    ``AllowedPattern``), else ``[text]``; ``where`` names the value's origin for the error.
    """
    location = f"Parameters.{name}"
    described = declaration.get("ConstraintDescription")
    because = f": {scalar_text(described, location)}" if described is not None else ""

    def broken(problem: str) -> TemplateError:
        return TemplateError(where, f"{text!r} {problem}{because}")

    allowed = declaration.get("AllowedValues")
    if isinstance(allowed, list):
        choices = [scalar_text(v, f"{location}.AllowedValues") for v in allowed]
        if any(item not in choices for item in items):
            raise broken(f"is not one of {', '.join(choices)}")
    pattern = declaration.get("AllowedPattern")
    if pattern is not None:
        pattern_text = scalar_text(pattern, f"{location}.AllowedPattern")
        try:
            compiled = re.compile(pattern_text)
        except re.error as error:
            message = f"not a regular expression: {error}"
            raise TemplateError(f"{location}.AllowedPattern", message) from None
        if any(compiled.fullmatch(item) is None for item in items):
            raise broken(f"does not match AllowedPattern {pattern_text}")
    if kind == "String":
        shortest = _bound(declaration, "MinLength", location)
        longest = _bound(declaration, "MaxLength", location)
        if shortest is not None and len(text) < shortest:
            raise broken(f"is shorter than MinLength {shortest:g}")
        if longest is not None and len(text) > longest:
            raise broken(f"is longer than MaxLength {longest:g}")
    elif kind == "Number":
        try:
            number = float(text)
        except ValueError:
            raise broken("is not a Number") from None
        least = _bound(declaration, "MinValue", location)
        most = _bound(declaration, "MaxValue", location)
        if least is not None and number < least:
            raise broken(f"is less than MinValue {least:g}")
        if most is not None and number > most:
            raise broken(f"is more than MaxValue {most:g}")


def _bound(declaration: Mapping[str, Any], key: str, location: str) -> float | None:
    if key not in declaration:
        return None
    text = scalar_text(declaration[key], f"{location}.{key}")
    try:
        return float(text)
    except ValueError:
        raise TemplateError(f"{location}.{key}", f"expected a number, found {text!r}") from None
