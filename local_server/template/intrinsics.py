"""Evaluates CloudFormation's intrinsic functions and conditions against one template.

Each function is a method looked up in ``INTRINSICS``; a name missing from the table is a
``TemplateError`` where it is used, so a template using it loads as long as the emulator never
needs that value.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .resources import attribute_value
from .specs import TemplateError
from .values import NO_VALUE, child_location, describe_value, is_intrinsic, scalar_text

__all__ = ["INTRINSICS", "IntrinsicResolver"]

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


@dataclass
class IntrinsicResolver:
    """Evaluates intrinsic functions against the template's parameters, mappings, conditions."""

    parameters: dict[str, Any]
    missing_parameters: set[str]
    mappings: dict[str, Any]
    conditions: dict[str, Any]
    #: logical id -> resource type, including the resources SAM makes implicitly.
    resource_types: dict[str, str]
    _condition_values: dict[str, bool] = field(default_factory=dict)
    _evaluating: list[str] = field(default_factory=list)

    @property
    def region(self) -> str:
        return str(self.parameters["AWS::Region"])

    @property
    def account(self) -> str:
        return str(self.parameters["AWS::AccountId"])

    # -- entry points

    def resolve(self, value: Any, location: str) -> Any:
        """``value`` with every intrinsic evaluated; ``NO_VALUE`` entries removed."""
        if is_intrinsic(value):
            ((name, argument),) = value.items()
            function = INTRINSICS.get(name)
            if function is None:
                raise TemplateError(location, f"{name} is not supported by the local emulator")
            return function(self, argument, child_location(location, name))
        if isinstance(value, dict):
            resolved_map = {}
            for key, item in value.items():
                resolved = self.resolve(item, child_location(location, str(key)))
                if resolved is not NO_VALUE:
                    resolved_map[key] = resolved
            return resolved_map
        if isinstance(value, list):
            resolved_list = [
                self.resolve(item, child_location(location, i)) for i, item in enumerate(value)
            ]
            return [item for item in resolved_list if item is not NO_VALUE]
        return value

    def text(self, value: Any, location: str) -> str:
        return scalar_text(self.resolve(value, location), location)

    def whole_number(self, value: Any, location: str, low: int, high: int) -> int:
        """A number property (``Timeout``, ``MemorySize``) within the limits AWS sets."""
        text = self.text(value, location)
        try:
            number = int(text)
        except ValueError:
            raise TemplateError(location, f"expected a whole number, found {text!r}") from None
        if not low <= number <= high:
            raise TemplateError(location, f"{number} is outside {low}..{high}")
        return number

    def condition(self, name: Any, location: str) -> bool:
        if not isinstance(name, str) or name not in self.conditions:
            raise TemplateError(location, f"no condition named {name!r} in Conditions")
        if name in self._condition_values:
            return self._condition_values[name]
        if name in self._evaluating:
            cycle = " -> ".join([*self._evaluating, name])
            raise TemplateError(location, f"conditions refer to each other: {cycle}")
        self._evaluating.append(name)
        try:
            value = self._truth(self.conditions[name], f"Conditions.{name}")
        finally:
            self._evaluating.pop()
        self._condition_values[name] = value
        return value

    def _truth(self, value: Any, location: str) -> bool:
        if isinstance(value, dict) and list(value) == ["Condition"]:
            return self.condition(value["Condition"], child_location(location, "Condition"))
        resolved = self.resolve(value, location)
        if isinstance(resolved, bool):
            return resolved
        if resolved == "true" or resolved == "false":
            return bool(resolved == "true")
        raise TemplateError(location, f"expected a condition, found {describe_value(resolved)}")

    def chosen(self, value: Any, location: str) -> Any:
        """``value`` with each ``Fn::If`` around it replaced by its chosen branch, unresolved:
        a property's shape is then read (and its parts resolved) as if written plainly."""
        while is_intrinsic(value) and "Fn::If" in value:
            argument = value["Fn::If"]
            if not isinstance(argument, list) or len(argument) != 3:
                return value
            chosen = 1 if self.condition(argument[0], child_location(location, "Fn::If", 0)) else 2
            value = argument[chosen]
            location = child_location(location, "Fn::If", chosen)
        return value

    def removed(self, value: Any, location: str) -> bool:
        """Whether ``value`` is ``Ref: AWS::NoValue``, maybe chosen by ``Fn::If``: the property
        is absent.

        "AWS::NoValue Removes the corresponding resource property when specified as a return
        value in the Fn::If intrinsic function" (https://docs.aws.amazon.com/AWSCloudFormation/
        latest/UserGuide/pseudo-parameter-reference.html). Only conditions are evaluated, so
        the branch not taken is never resolved.
        """
        return bool(self.chosen(value, location) == {"Ref": "AWS::NoValue"})

    # -- the functions

    def ref(self, name: Any, location: str) -> Any:
        if not isinstance(name, str):
            raise TemplateError(location, f"Ref takes a name, found {describe_value(name)}")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.missing_parameters:
            raise TemplateError(
                location,
                f"parameter {name} has no Default; give it one with --parameter-overrides",
            )
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resource_types:
            # As in SAM CLI: a resource's Ref is its logical id (a function's name locally).
            return name
        raise TemplateError(location, f"Ref to {name}, which is no parameter or resource")

    def get_att(self, argument: Any, location: str) -> str:
        if isinstance(argument, list) and len(argument) == 2:
            resource, attribute = argument[0], self.resolve(argument[1], location)
        else:
            raise TemplateError(location, "Fn::GetAtt takes [Resource, Attribute]")
        if not isinstance(resource, str) or not isinstance(attribute, str):
            raise TemplateError(location, "Fn::GetAtt takes a resource and attribute name")
        resource_type = self.resource_types.get(resource)
        if resource_type is None:
            raise TemplateError(location, f"Fn::GetAtt on {resource}, which is no resource")
        return attribute_value(
            resource, resource_type, attribute, region=self.region, account=self.account
        )

    def sub(self, argument: Any, location: str) -> str:
        if isinstance(argument, str):
            text, variables = argument, {}
        elif (
            isinstance(argument, list)
            and len(argument) == 2
            and isinstance(argument[0], str)
            and isinstance(argument[1], dict)
        ):
            text, variables = argument
        else:
            raise TemplateError(location, "Fn::Sub takes a string or [string, {variables}]")

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"  # ``${!Literal}`` writes ``${Literal}``
            name = name.strip()
            if name in variables:
                return self.text(variables[name], child_location(location, 1, name))
            if "." in name and name not in self.parameters:
                return self.get_att(name.split(".", 1), location)
            return scalar_text(self.ref(name, location), f"{location} (${{{name}}})")

        return _SUB_VARIABLE.sub(replace, text)

    def if_(self, argument: Any, location: str) -> Any:
        if not isinstance(argument, list) or len(argument) != 3:
            raise TemplateError(location, "Fn::If takes [Condition, IfTrue, IfFalse]")
        chosen = 1 if self.condition(argument[0], child_location(location, 0)) else 2
        return self.resolve(argument[chosen], child_location(location, chosen))

    def join(self, argument: Any, location: str) -> str:
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError(location, "Fn::Join takes [delimiter, [values]]")
        delimiter = self.text(argument[0], child_location(location, 0))
        values = self._list(argument[1], child_location(location, 1))
        return delimiter.join(
            scalar_text(v, child_location(location, 1, i)) for i, v in enumerate(values)
        )

    def select(self, argument: Any, location: str) -> Any:
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError(location, "Fn::Select takes [index, [values]]")
        index_text = self.text(argument[0], child_location(location, 0))
        values = self._list(argument[1], child_location(location, 1))
        if not index_text.isdigit() or int(index_text) >= len(values):
            raise TemplateError(location, f"index {index_text} is outside a list of {len(values)}")
        return values[int(index_text)]

    def split(self, argument: Any, location: str) -> list[str]:
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError(location, "Fn::Split takes [delimiter, string]")
        delimiter = self.text(argument[0], child_location(location, 0))
        return self.text(argument[1], child_location(location, 1)).split(delimiter)

    def find_in_map(self, argument: Any, location: str) -> Any:
        if not isinstance(argument, list) or len(argument) not in (3, 4):
            raise TemplateError(location, "Fn::FindInMap takes [Map, TopKey, SecondKey]")
        keys = [self.text(argument[i], child_location(location, i)) for i in range(3)]
        found: Any = self.mappings
        for key in keys:
            if not isinstance(found, dict) or key not in found:
                if len(argument) == 4 and isinstance(argument[3], dict):
                    # AWS::LanguageExtensions' ``DefaultValue``.
                    return self.resolve(
                        argument[3].get("DefaultValue"), child_location(location, 3)
                    )
                path = ".".join(keys[: keys.index(key) + 1])
                raise TemplateError(location, f"Mappings has no {path}")
            found = found[key]
        return self.resolve(found, location)

    def base64(self, argument: Any, location: str) -> str:
        return base64.b64encode(self.text(argument, location).encode()).decode()

    def get_azs(self, argument: Any, location: str) -> list[str]:
        region = self.text(argument, location) or self.region
        return [f"{region}{zone}" for zone in "abc"]

    def import_value(self, argument: Any, location: str) -> Any:
        raise TemplateError(
            location,
            "Fn::ImportValue reads another stack's export, which does not exist locally",
        )

    def equals(self, argument: Any, location: str) -> bool:
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError(location, "Fn::Equals takes [value, value]")
        left, right = (self.resolve(v, child_location(location, i)) for i, v in enumerate(argument))
        if isinstance(left, list) or isinstance(right, list):
            return bool(left == right)
        return scalar_text(left, location) == scalar_text(right, location)

    def not_(self, argument: Any, location: str) -> bool:
        if not isinstance(argument, list) or len(argument) != 1:
            raise TemplateError(location, "Fn::Not takes [condition]")
        return not self._truth(argument[0], child_location(location, 0))

    def and_(self, argument: Any, location: str) -> bool:
        conditions = self._conditions(argument, location, "Fn::And")
        return all(self._truth(c, child_location(location, i)) for i, c in enumerate(conditions))

    def or_(self, argument: Any, location: str) -> bool:
        conditions = self._conditions(argument, location, "Fn::Or")
        return any(self._truth(c, child_location(location, i)) for i, c in enumerate(conditions))

    def _conditions(self, argument: Any, location: str, name: str) -> list[Any]:
        if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
            raise TemplateError(location, f"{name} takes 2 to 10 conditions")
        return argument

    def _list(self, value: Any, location: str) -> list[Any]:
        resolved = self.resolve(value, location)
        if not isinstance(resolved, list):
            raise TemplateError(location, f"expected a list, found {describe_value(resolved)}")
        return resolved


INTRINSICS: dict[str, Callable[[IntrinsicResolver, Any, str], Any]] = {
    "Ref": IntrinsicResolver.ref,
    "Fn::GetAtt": IntrinsicResolver.get_att,
    "Fn::Sub": IntrinsicResolver.sub,
    "Fn::If": IntrinsicResolver.if_,
    "Fn::Join": IntrinsicResolver.join,
    "Fn::Select": IntrinsicResolver.select,
    "Fn::Split": IntrinsicResolver.split,
    "Fn::FindInMap": IntrinsicResolver.find_in_map,
    "Fn::Base64": IntrinsicResolver.base64,
    "Fn::GetAZs": IntrinsicResolver.get_azs,
    "Fn::ImportValue": IntrinsicResolver.import_value,
    "Fn::Equals": IntrinsicResolver.equals,
    "Fn::Not": IntrinsicResolver.not_,
    "Fn::And": IntrinsicResolver.and_,
    "Fn::Or": IntrinsicResolver.or_,
}
