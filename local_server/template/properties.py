"""Which properties of each SAM resource and event the emulator reads, accepts unread, or
warns about; anything else is a ``TemplateError`` naming it.

One table per resource, so what is supported locally can be read in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .specs import TemplateError

__all__ = [
    "READ_HTTP_API_PROPERTIES",
    "HTTP_EVENT_PROPERTIES",
    "INERT_API_PROPERTIES",
    "INERT_FUNCTION_PROPERTIES",
    "INERT_HTTP_API_PROPERTIES",
    "READ_API_PROPERTIES",
    "READ_FUNCTION_PROPERTIES",
    "REST_EVENT_PROPERTIES",
    "UNSERVED_HTTP_RESOURCES",
    "WARNED_FUNCTION_PROPERTIES",
    "check_properties",
]

#: Properties whose effect is outside what the emulator serves (IAM, deployment, tracing):
#: accepted and not read. Anything neither read nor listed here is a ``TemplateError``, so a
#: property that would change HTTP behaviour is never skipped unnoticed.
INERT_FUNCTION_PROPERTIES = frozenset(
    [
        "AssumeRolePolicyDocument",
        "AutoPublishAlias",
        "AutoPublishAliasAllProperties",
        "AutoPublishCodeSha256",
        "CodeSigningConfigArn",
        "DeadLetterQueue",
        "DeploymentPreference",
        "Description",
        "EphemeralStorage",
        "EventInvokeConfig",
        "FunctionName",
        "KmsKeyArn",
        "LoggingConfig",
        "PermissionsBoundary",
        "Policies",
        "PropagateTags",
        "ProvisionedConcurrencyConfig",
        "RecursiveLoop",
        "ReservedConcurrentExecutions",
        "Role",
        "RolePath",
        "RuntimeManagementConfig",
        "SnapStart",
        "SourceKMSKeyArn",
        "Tags",
        "Tracing",
        "VersionDescription",
        "VpcConfig",
    ]
)
READ_FUNCTION_PROPERTIES = frozenset(
    [
        "Architectures",
        "CodeUri",
        "Environment",
        "Events",
        "FunctionUrlConfig",
        "Handler",
        "Layers",
        "MemorySize",
        "PackageType",
        "Runtime",
        "Timeout",
    ]
)
#: Accepted, but the function may not behave as deployed: said in ``Template.warnings``.
WARNED_FUNCTION_PROPERTIES = {
    "FileSystemConfigs": "EFS file systems are not mounted locally",
}

INERT_API_PROPERTIES = frozenset(
    [
        "AccessLogSetting",
        "AlwaysDeploy",
        "ApiKeySourceType",
        "CacheClusterEnabled",
        "CacheClusterSize",
        "CanarySetting",
        "Description",
        "DisableExecuteApiEndpoint",
        "Domain",
        "EndpointConfiguration",
        "FailOnWarnings",
        "MergeDefinitions",
        "MethodSettings",
        "Mode",
        "Models",
        "Name",
        "OpenApiVersion",
        "PropagateTags",
        "Tags",
        "TracingEnabled",
    ]
)
READ_API_PROPERTIES = frozenset({"Auth", "BinaryMediaTypes", "Cors", "StageName", "Variables"})

INERT_HTTP_API_PROPERTIES = frozenset(
    [
        "AccessLogSettings",
        "DefaultRouteSettings",
        "Description",
        "DisableExecuteApiEndpoint",
        "Domain",
        "FailOnWarnings",
        "Name",
        "PropagateTags",
        "RouteSettings",
        "Tags",
    ]
)
READ_HTTP_API_PROPERTIES = frozenset({"Auth", "CorsConfiguration", "StageName", "StageVariables"})

REST_EVENT_PROPERTIES = frozenset(
    {"Auth", "Method", "Path", "RequestModel", "RequestParameters", "RestApiId", "TimeoutInMillis"}
)
HTTP_EVENT_PROPERTIES = frozenset(
    {"ApiId", "Auth", "Method", "Path", "PayloadFormatVersion", "RouteSettings", "TimeoutInMillis"}
)

#: Resource types that define HTTP entry points the emulator does not serve: a template using
#: them would answer differently locally, so they are errors rather than skipped.
UNSERVED_HTTP_RESOURCES = {
    "AWS::ApiGateway::RestApi": "use AWS::Serverless::Api with Api events",
    "AWS::ApiGateway::Resource": "use Api events on an AWS::Serverless::Function",
    "AWS::ApiGateway::Method": "use Api events on an AWS::Serverless::Function",
    "AWS::ApiGateway::GatewayResponse": "custom gateway responses are not emulated",
    "AWS::ApiGateway::Authorizer": "authorizers are not emulated",
    "AWS::ApiGatewayV2::Api": "use AWS::Serverless::HttpApi with HttpApi events",
    "AWS::ApiGatewayV2::Route": "use HttpApi events on an AWS::Serverless::Function",
    "AWS::ApiGatewayV2::Integration": "use HttpApi events on an AWS::Serverless::Function",
    "AWS::ApiGatewayV2::Authorizer": "authorizers are not emulated",
    "AWS::Lambda::Url": "use FunctionUrlConfig on an AWS::Serverless::Function",
}


def check_properties(
    properties: Mapping[str, Any],
    location: str,
    read: frozenset[str],
    inert: frozenset[str] = frozenset(),
    warned: Mapping[str, str] | None = None,
    warnings: list[str] | None = None,
) -> None:
    """Fail on the first property neither read nor inert; a ``warned`` one becomes a warning."""
    for name in properties:
        if name in read or name in inert:
            continue
        if warned and name in warned and warnings is not None:
            warnings.append(f"{location}.{name}: {warned[name]}")
            continue
        raise TemplateError(f"{location}.{name}", "not supported by the local emulator")
