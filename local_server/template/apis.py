"""``AWS::Serverless::Api`` and ``AWS::Serverless::HttpApi`` resources, read into ``ApiSpec``.

An OpenAPI definition, an authorizer or an API key would change what clients see, and none
is emulated: each is a ``TemplateError`` rather than an API that answers differently locally.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .cors import http_cors, rest_cors
from .globals import with_globals
from .intrinsics import IntrinsicResolver
from .properties import API, HTTP_API, HTTP_API_CORS, PropertyTable, check_properties
from .specs import ApiSpec, TemplateError
from .values import describe_value, scalar_text

__all__ = ["http_api", "rest_api", "text_map"]


def _api_properties(
    logical_id: str,
    raw: Mapping[str, Any],
    global_properties: Any,
    table: PropertyTable,
) -> tuple[str, dict[str, Any]]:
    """``(location, properties)``: the API's properties over its Globals, checked against what
    the emulator reads or may ignore; an OpenAPI definition is refused."""
    location = f"Resources.{logical_id}.Properties"
    properties = with_globals(global_properties, dict(raw))
    for name in ("DefinitionBody", "DefinitionUri"):
        if name in raw:
            raise TemplateError(f"{location}.{name}", "OpenAPI definitions are not read")
    check_properties(properties, location, table)
    return location, properties


def rest_api(
    logical_id: str,
    raw: Mapping[str, Any],
    *,
    resolver: IntrinsicResolver,
    global_properties: Any,
    implicit: bool,
) -> ApiSpec:
    """``global_properties`` is ``Globals.Api``; ``implicit`` is SAM's ``ServerlessRestApi``."""
    location, properties = _api_properties(logical_id, raw, global_properties, API)
    stage = "Prod" if implicit else None  # SAM names the implicit API's stage Prod
    if "StageName" in properties:
        stage = resolver.text(properties["StageName"], f"{location}.StageName")
    if stage is None:
        raise TemplateError(f"{location}.StageName", "AWS::Serverless::Api needs a StageName")
    binary = resolver.resolve(properties.get("BinaryMediaTypes", []), f"{location}.Binary")
    if not isinstance(binary, list):
        raise TemplateError(f"{location}.BinaryMediaTypes", "expected a list")
    _check_api_auth(properties.get("Auth"), f"{location}.Auth", resolver)
    return ApiSpec(
        logical_id=logical_id,
        kind="rest",
        stage_name=stage,
        # ``~1`` stands for ``/`` in binary media types, as in JSON Pointer (SAM docs,
        # AWS::Serverless::Api BinaryMediaTypes).
        binary_media_types=tuple(
            scalar_text(t, f"{location}.BinaryMediaTypes[{i}]").replace("~1", "/")
            for i, t in enumerate(binary)
        ),
        payload_format_version="1.0",
        stage_variables=text_map(resolver, properties.get("Variables"), f"{location}.Variables"),
        cors=rest_cors(resolver.resolve(properties.get("Cors"), f"{location}.Cors"), location),
        implicit=implicit,
    )


def http_api(
    logical_id: str,
    raw: Mapping[str, Any],
    *,
    resolver: IntrinsicResolver,
    global_properties: Any,
    implicit: bool,
) -> ApiSpec:
    """``global_properties`` is ``Globals.HttpApi``; ``implicit`` is ``ServerlessHttpApi``."""
    location, properties = _api_properties(logical_id, raw, global_properties, HTTP_API)
    stage = "$default"
    if "StageName" in properties:
        stage = resolver.text(properties["StageName"], f"{location}.StageName")
    _check_api_auth(properties.get("Auth"), f"{location}.Auth", resolver)
    cors_value = resolver.resolve(
        properties.get("CorsConfiguration"), f"{location}.CorsConfiguration"
    )
    return ApiSpec(
        logical_id=logical_id,
        kind="http",
        stage_name=stage,
        payload_format_version="2.0",
        stage_variables=text_map(
            resolver, properties.get("StageVariables"), f"{location}.StageVariables"
        ),
        cors=http_cors(cors_value, f"{location}.CorsConfiguration", HTTP_API_CORS),
        implicit=implicit,
    )


def text_map(resolver: IntrinsicResolver, value: Any, location: str) -> dict[str, str]:
    """A mapping of text values (stage variables): CloudFormation scalars read as text."""
    resolved = resolver.resolve(value or {}, location)
    if not isinstance(resolved, dict):
        raise TemplateError(location, f"expected a mapping, found {describe_value(resolved)}")
    return {str(k): scalar_text(v, f"{location}.{k}") for k, v in resolved.items()}


def _check_api_auth(value: Any, location: str, resolver: IntrinsicResolver) -> None:
    """Authorizers and API keys answer 401/403 before the function runs: not emulated."""
    if value is None:
        return
    auth = resolver.resolve(value, location)
    if not isinstance(auth, dict):
        raise TemplateError(location, "expected a mapping")
    default = auth.get("DefaultAuthorizer")
    if default not in (None, "NONE"):
        raise TemplateError(f"{location}.DefaultAuthorizer", "authorizers are not emulated")
    if auth.get("ApiKeyRequired"):
        raise TemplateError(f"{location}.ApiKeyRequired", "API keys are not emulated")
    if auth.get("ResourcePolicy"):
        raise TemplateError(f"{location}.ResourcePolicy", "resource policies are not emulated")
