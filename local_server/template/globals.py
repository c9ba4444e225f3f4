"""SAM's ``Globals`` section: defaults merged into each function and API before it is read.

https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-template-anatomy-globals.html
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .specs import TemplateError
from .values import is_intrinsic

__all__ = ["check_globals", "globals_section", "with_globals"]

_KNOWN_GLOBALS = frozenset(
    {"Function", "Api", "HttpApi", "WebSocketApi", "SimpleTable", "LayerVersion", "StateMachine"}
)


#: The properties SAM takes in the API sections of Globals (samtranslator 1.115
#: ``plugins/globals/globals.py``, ``supported_properties``). ``StageName`` is not one:
#: "StageName cannot be overridden for Implicit APIs because of the current plugin
#: architecture", so SAM refuses the template rather than rename the ``Prod`` stage.
_API_GLOBALS: dict[str, tuple[str, ...]] = {
    "Api": (
        "Auth",
        "Name",
        "DefinitionUri",
        "CacheClusterEnabled",
        "CacheClusterSize",
        "MergeDefinitions",
        "Variables",
        "EndpointConfiguration",
        "MethodSettings",
        "BinaryMediaTypes",
        "MinimumCompressionSize",
        "Cors",
        "GatewayResponses",
        "AccessLogSetting",
        "CanarySetting",
        "TracingEnabled",
        "OpenApiVersion",
        "Domain",
        "AlwaysDeploy",
        "PropagateTags",
        "SecurityPolicy",
        "EndpointAccessMode",
    ),
    "HttpApi": (
        "Auth",
        "AccessLogSettings",
        "StageVariables",
        "Tags",
        "CorsConfiguration",
        "DefaultRouteSettings",
        "Domain",
        "RouteSettings",
        "FailOnWarnings",
        "PropagateTags",
    ),
    # Neither ``Routes`` nor ``StageName`` (nor ``Auth``): each WebSocketApi names its own.
    "WebSocketApi": (
        "AccessLogSettings",
        "ApiKeySelectionExpression",
        "DefaultRouteSettings",
        "DisableExecuteApiEndpoint",
        "DisableSchemaValidation",
        "Domain",
        "FailOnWarnings",
        "IpAddressType",
        "PropagateTags",
        "RouteSelectionExpression",
        "RouteSettings",
        "StageVariables",
        "Tags",
    ),
}


def check_globals(document: Mapping[str, Any]) -> None:
    """A misspelt section would apply to nothing; SAM rejects it, and so does the loader.

    So are API properties SAM does not take from Globals, in SAM's words.
    """
    sections = document.get("Globals") or {}
    for section in sections:
        if section not in _KNOWN_GLOBALS:
            raise TemplateError(f"Globals.{section}", "not a SAM Globals section")
    for section, supported in _API_GLOBALS.items():
        properties = sections.get(section)
        for name in properties if isinstance(properties, dict) else ():
            if name not in supported:
                raise TemplateError(
                    f"Globals.{section}.{name}",
                    f"'{name}' is not a supported property of '{section}'. Must be one of the "
                    f"following values - {list(supported)}",
                )


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
