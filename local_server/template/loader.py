"""Reads a SAM template into what the emulator serves: functions, APIs and routes.

The loader resolves what it reads and nothing else, so an intrinsic it cannot evaluate (an
``Fn::ImportValue`` in a ``Policies`` block, say) only matters where the emulator needs the
value. Whatever would change what a client sees over HTTP and is not emulated is a
``TemplateError`` naming where it is (``Resources.HelloFn.Properties.Events.Get...``); what
does not change HTTP behaviour but is still skipped (an SQS event) is listed in
``Template.warnings``. Nothing is dropped silently.

Sources: the SAM specification (https://docs.aws.amazon.com/serverless-application-model/
latest/developerguide/sam-specification.html), the intrinsic function reference
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html)
and SAM CLI's ``samcli/local/lambdafn/env_vars.py`` for ``--env-vars``.

This module puts the steps in order; each lives in its own module: ``yaml_tags`` (the YAML
and its tags), ``parameters``, ``resources`` and ``intrinsics`` (what ``Ref``, ``Fn::*`` and
conditions evaluate to), ``globals``, ``properties`` (what is read, ignored or refused),
``apis``, ``functions``, ``function_variables``, ``api_events``, ``cors``, ``websocket_apis``
and ``specs`` (the value objects it returns).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .api_events import RouteCollector
from .apis import http_api, rest_api
from .function_variables import check_env_vars, env_vars_for_unknown_functions
from .functions import FunctionReader
from .globals import check_globals, globals_section, with_globals
from .intrinsics import IntrinsicResolver
from .layers import read_layers
from .parameters import template_parameters
from .properties import UNSERVED_HTTP_RESOURCES
from .resources import resource_types
from .specs import FunctionSpec, Template, TemplateError, WebSocketApiSpec
from .websocket_apis import (
    gateway_v2_websocket_apis,
    serverless_websocket_api,
    websocket_resource_ids,
)
from .yaml_tags import read_document

__all__ = ["load_template"]


def load_template(
    path: str | Path,
    *,
    parameter_overrides: Mapping[str, str] | None = None,
    env_vars: Mapping[str, Any] | None = None,
    shell_env: Mapping[str, str] | None = None,
) -> Template:
    """Read the SAM template at ``path`` into the functions, APIs and routes to serve.

    ``env_vars`` is the parsed ``--env-vars`` JSON: ``{"Parameters": {...}}`` for every
    function and ``{"FnLogicalId": {...}}`` for one. ``shell_env`` (``os.environ`` unless
    given) overrides the template's declared variables, below ``env_vars``, as in SAM CLI.
    """
    path = Path(path).resolve()
    document = read_document(path)
    resources = document.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateError("Resources", "a template needs at least one resource")
    check_globals(document)
    check_env_vars(env_vars)

    parameters, missing = template_parameters(document, parameter_overrides or {})
    conditions = document.get("Conditions") or {}
    mappings = document.get("Mappings") or {}
    resolver = IntrinsicResolver(
        parameters=parameters,
        missing_parameters=missing,
        mappings=mappings if isinstance(mappings, dict) else {},
        conditions=conditions if isinstance(conditions, dict) else {},
        resource_types=resource_types(resources),
    )
    global_sections = globals_section(document)
    warnings: list[str] = []
    routes = RouteCollector(resolver=resolver, globals=global_sections, warnings=warnings)

    def present(logical_id: str, resource: Mapping[str, Any]) -> bool:
        if "Condition" not in resource:
            return True
        return resolver.condition(resource["Condition"], f"Resources.{logical_id}.Condition")

    function_reader = FunctionReader(
        resolver=resolver,
        directory=path.parent,
        env_vars=env_vars or {},
        shell_env=os.environ if shell_env is None else shell_env,
        global_properties=global_sections.get("Function"),
        warnings=warnings,
        routes=routes,
        layers=read_layers(resources, resolver=resolver, directory=path.parent, present=present),
    )

    def properties_of(logical_id: str, resource: Mapping[str, Any]) -> dict[str, Any]:
        properties = resource.get("Properties") or {}
        if not isinstance(properties, dict):
            raise TemplateError(f"Resources.{logical_id}.Properties", "expected a mapping")
        return properties

    # APIs first, so events can name any API whatever the order of resources.
    for logical_id, resource in resources.items():
        if not present(logical_id, resource):
            continue
        if resource["Type"] == "AWS::Serverless::Api":
            properties = properties_of(logical_id, resource)
            routes.apis[logical_id] = rest_api(
                logical_id,
                properties,
                resolver=resolver,
                global_properties=global_sections.get("Api"),
                implicit=False,
            )
        elif resource["Type"] == "AWS::Serverless::HttpApi":
            properties = properties_of(logical_id, resource)
            routes.apis[logical_id] = http_api(
                logical_id,
                properties,
                resolver=resolver,
                global_properties=global_sections.get("HttpApi"),
                implicit=False,
            )

    websocket_ids = websocket_resource_ids(resources, resolver)
    functions: dict[str, FunctionSpec] = {}
    for logical_id, resource in resources.items():
        resource_type = resource["Type"]
        if not present(logical_id, resource):
            continue
        if resource_type in UNSERVED_HTTP_RESOURCES and logical_id not in websocket_ids:
            raise TemplateError(
                f"Resources.{logical_id}",
                f"{resource_type} is not served locally: {UNSERVED_HTTP_RESOURCES[resource_type]}",
            )
        if resource_type == "AWS::Serverless::Function":
            properties = properties_of(logical_id, resource)
            functions[logical_id] = function_reader.read(
                logical_id, properties, resource.get("Metadata")
            )
        elif resource_type == "AWS::Lambda::Function":
            warnings.append(
                f"Resources.{logical_id}: AWS::Lambda::Function is not run locally; "
                "declare it as AWS::Serverless::Function"
            )

    warnings.extend(env_vars_for_unknown_functions(env_vars or {}, functions))

    # After the functions, whose logical ids the routes' ARNs must name.
    websocket_apis: dict[str, WebSocketApiSpec] = gateway_v2_websocket_apis(
        resources, resolver=resolver, present=present, functions=functions
    )
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::Serverless::WebSocketApi" and present(logical_id, resource):
            websocket_apis[logical_id] = serverless_websocket_api(
                logical_id,
                with_globals(
                    global_sections.get("WebSocketApi"), properties_of(logical_id, resource)
                ),
                resolver=resolver,
                functions=functions,
            )

    return Template(
        functions=functions,
        apis=dict(routes.apis),
        routes=tuple(routes.routes),
        websocket_apis=websocket_apis,
        warnings=tuple(warnings),
    )
