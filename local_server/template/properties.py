"""Which properties of each SAM resource and event the emulator reads, accepts unread, or
warns about; anything else is a ``TemplateError`` naming it.

One :class:`PropertyTable` per place a property can stand, so what is supported locally can be
read in one place. Each also lists every property SAM defines there, so an error tells a
property the emulator does not support ("not supported by the local emulator") from a name SAM
does not know at all (``Handlr``: "not a property of AWS::Serverless::Function; did you mean
Handler?"). The lists are SAM's specification
(https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-resources-and-properties.html);
the tests hold them equal to the SAM translator's own schema.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .specs import TemplateError

__all__ = [
    "API",
    "API_EVENT",
    "FUNCTION",
    "FUNCTION_URL",
    "FUNCTION_URL_CORS",
    "HTTP_API",
    "HTTP_API_CORS",
    "HTTP_API_EVENT",
    "REST_API_CORS",
    "UNSERVED_HTTP_RESOURCES",
    "WEBSOCKET_API",
    "WEBSOCKET_API_ROUTE",
    "PropertyTable",
    "check_properties",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class PropertyTable:
    """The properties of one place in a template (a resource type, an event type, a setting)."""

    #: What they are properties of, as an error names it.
    owner: str
    #: Every property SAM (or CloudFormation) defines there.
    defined: frozenset[str]
    #: The properties the emulator reads.
    read: frozenset[str]
    #: Properties whose effect is outside what the emulator serves (IAM, deployment,
    #: tracing): accepted and not read. Anything defined but neither read nor inert is a
    #: ``TemplateError``, so a property that would change HTTP behaviour is never skipped
    #: unnoticed.
    inert: frozenset[str] = frozenset()
    #: Accepted, but the function may not behave as deployed: said in ``Template.warnings``.
    warned: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        undefined = (self.read | self.inert | self.warned.keys()) - self.defined
        assert not undefined, f"{self.owner}: {sorted(undefined)} are not defined"


FUNCTION = PropertyTable(
    owner="AWS::Serverless::Function",
    defined=frozenset(
        [
            "Architectures",
            "AssumeRolePolicyDocument",
            "AutoPublishAlias",
            "AutoPublishAliasAllProperties",
            "AutoPublishCodeSha256",
            "CapacityProviderConfig",
            "CodeSigningConfigArn",
            "CodeUri",
            "DeadLetterQueue",
            "DeploymentPreference",
            "Description",
            "DurableConfig",
            "Environment",
            "EphemeralStorage",
            "EventInvokeConfig",
            "Events",
            "FileSystemConfigs",
            "FunctionName",
            "FunctionScalingConfig",
            "FunctionUrlConfig",
            "Handler",
            "ImageConfig",
            "ImageUri",
            "InlineCode",
            "KmsKeyArn",
            "Layers",
            "LoggingConfig",
            "MemorySize",
            "PackageType",
            "PermissionsBoundary",
            "Policies",
            "PropagateTags",
            "ProvisionedConcurrencyConfig",
            "PublishToLatestPublished",
            "RecursiveLoop",
            "ReservedConcurrentExecutions",
            "Role",
            "RolePath",
            "Runtime",
            "RuntimeManagementConfig",
            "SnapStart",
            "SourceKMSKeyArn",
            "Tags",
            "TenancyConfig",
            "Timeout",
            "Tracing",
            "VersionDeletionPolicy",
            "VersionDescription",
            "VpcConfig",
        ]
    ),
    read=frozenset(
        [
            "Architectures",
            "CodeUri",
            "Environment",
            "Events",
            "FunctionUrlConfig",
            "Handler",
            "MemorySize",
            "Layers",
            "PackageType",
            "Runtime",
            "Timeout",
        ]
    ),
    inert=frozenset(
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
    ),
    warned={
        "FileSystemConfigs": "EFS file systems are not mounted locally",
    },
)


API = PropertyTable(
    owner="AWS::Serverless::Api",
    defined=frozenset(
        [
            "AccessLogSetting",
            "AlwaysDeploy",
            "ApiKeySourceType",
            "Auth",
            "BinaryMediaTypes",
            "CacheClusterEnabled",
            "CacheClusterSize",
            "CanarySetting",
            "Cors",
            "DefinitionBody",
            "DefinitionUri",
            "Description",
            "DisableExecuteApiEndpoint",
            "Domain",
            "EndpointAccessMode",
            "EndpointConfiguration",
            "FailOnWarnings",
            "GatewayResponses",
            "MergeDefinitions",
            "MethodSettings",
            "MinimumCompressionSize",
            "Mode",
            "Models",
            "Name",
            "OpenApiVersion",
            "Policy",
            "PropagateTags",
            "SecurityPolicy",
            "StageName",
            "Tags",
            "TracingEnabled",
            "Variables",
        ]
    ),
    read=frozenset({"Auth", "BinaryMediaTypes", "Cors", "StageName", "Variables"}),
    inert=frozenset(
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
    ),
)

HTTP_API = PropertyTable(
    owner="AWS::Serverless::HttpApi",
    defined=frozenset(
        [
            "AccessLogSettings",
            "Auth",
            "CorsConfiguration",
            "DefaultRouteSettings",
            "DefinitionBody",
            "DefinitionUri",
            "Description",
            "DisableExecuteApiEndpoint",
            "Domain",
            "FailOnWarnings",
            "Name",
            "PropagateTags",
            "RouteSettings",
            "StageName",
            "StageVariables",
            "Tags",
        ]
    ),
    read=frozenset({"Auth", "CorsConfiguration", "StageName", "StageVariables"}),
    inert=frozenset(
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
    ),
)

API_EVENT = PropertyTable(
    owner="an Api event",
    defined=frozenset(
        [
            "Auth",
            "Method",
            "Path",
            "RequestModel",
            "RequestParameters",
            "ResponseTransferMode",
            "RestApiId",
            "TimeoutInMillis",
        ]
    ),
    read=frozenset(
        {
            "Auth",
            "Method",
            "Path",
            "RequestModel",
            "RequestParameters",
            "ResponseTransferMode",
            "RestApiId",
            "TimeoutInMillis",
        }
    ),
)

HTTP_API_EVENT = PropertyTable(
    owner="an HttpApi event",
    defined=frozenset(
        {
            "ApiId",
            "Auth",
            "Method",
            "Path",
            "PayloadFormatVersion",
            "RouteSettings",
            "TimeoutInMillis",
        }
    ),
    read=frozenset(
        {
            "ApiId",
            "Auth",
            "Method",
            "Path",
            "PayloadFormatVersion",
            "RouteSettings",
            "TimeoutInMillis",
        }
    ),
)

#: ``Cors`` of an ``AWS::Serverless::Api`` (header values in single quotes).
REST_API_CORS = PropertyTable(
    owner="Cors",
    defined=frozenset(
        {"AllowCredentials", "AllowHeaders", "AllowMethods", "AllowOrigin", "MaxAge"}
    ),
    read=frozenset({"AllowCredentials", "AllowHeaders", "AllowMethods", "AllowOrigin", "MaxAge"}),
)

_URL_CORS = frozenset(
    {"AllowCredentials", "AllowHeaders", "AllowMethods", "AllowOrigins", "ExposeHeaders", "MaxAge"}
)
#: ``CorsConfiguration`` of an ``AWS::Serverless::HttpApi``.
HTTP_API_CORS = PropertyTable(owner="CorsConfiguration", defined=_URL_CORS, read=_URL_CORS)
#: ``FunctionUrlConfig.Cors``: CloudFormation's ``AWS::Lambda::Url`` ``Cors``
#: (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-lambda-url-cors.html).
FUNCTION_URL_CORS = PropertyTable(owner="FunctionUrlConfig.Cors", defined=_URL_CORS, read=_URL_CORS)

FUNCTION_URL = PropertyTable(
    owner="FunctionUrlConfig",
    defined=frozenset({"AuthType", "Cors", "InvokeMode"}),
    read=frozenset({"AuthType", "Cors", "InvokeMode"}),
)

#: Resource types that define HTTP entry points the emulator does not serve: a template using
#: them would answer differently locally, so they are errors rather than skipped.
WEBSOCKET_API = PropertyTable(
    owner="AWS::Serverless::WebSocketApi",
    defined=frozenset(
        [
            "AccessLogSettings",
            "ApiKeySelectionExpression",
            "Auth",
            "DefaultRouteSettings",
            "Description",
            "DisableExecuteApiEndpoint",
            "DisableSchemaValidation",
            "Domain",
            "FailOnWarnings",
            "IpAddressType",
            "Name",
            "PropagateTags",
            "RouteSelectionExpression",
            "RouteSettings",
            "Routes",
            "StageName",
            "StageVariables",
            "Tags",
        ]
    ),
    read=frozenset({"RouteSelectionExpression", "Routes", "StageName", "StageVariables"}),
    # ``Auth`` (a $connect authorizer) and ``ApiKeySelectionExpression`` (API keys) decide
    # who may connect: neither is emulated, so both are refused.
    inert=frozenset(
        [
            "AccessLogSettings",
            "DefaultRouteSettings",
            "Description",
            "DisableExecuteApiEndpoint",
            "DisableSchemaValidation",
            "Domain",
            "FailOnWarnings",
            "IpAddressType",
            "Name",
            "PropagateTags",
            "RouteSettings",
            "Tags",
        ]
    ),
)

WEBSOCKET_API_ROUTE = PropertyTable(
    owner="a WebSocketApi route",
    defined=frozenset(
        [
            "ApiKeyRequired",
            "FunctionArn",
            "IntegrationTimeout",
            "ModelSelectionExpression",
            "OperationName",
            "RequestModels",
            "RequestParameters",
            "RouteResponseSelectionExpression",
        ]
    ),
    read=frozenset({"FunctionArn", "IntegrationTimeout"}),
    inert=frozenset({"OperationName"}),
    # Request validation, API keys and two-way routes (the function's result sent back to
    # the client) would change what the client sees and are not emulated: refused.
)

UNSERVED_HTTP_RESOURCES = {
    "AWS::ApiGateway::RestApi": "use AWS::Serverless::Api with Api events",
    "AWS::ApiGateway::Resource": "use Api events on an AWS::Serverless::Function",
    "AWS::ApiGateway::Method": "use Api events on an AWS::Serverless::Function",
    "AWS::ApiGateway::GatewayResponse": "custom gateway responses are not emulated",
    "AWS::ApiGateway::Authorizer": "authorizers are not emulated",
    # With ``ProtocolType: WEBSOCKET`` these three are served (``template.websocket_apis``).
    "AWS::ApiGatewayV2::Api": "use AWS::Serverless::HttpApi with HttpApi events",
    "AWS::ApiGatewayV2::Route": "use HttpApi events on an AWS::Serverless::Function",
    "AWS::ApiGatewayV2::Integration": "use HttpApi events on an AWS::Serverless::Function",
    "AWS::ApiGatewayV2::Authorizer": "authorizers are not emulated",
    "AWS::Lambda::Url": "use FunctionUrlConfig on an AWS::Serverless::Function",
}


def check_properties(
    properties: Mapping[str, Any],
    location: str,
    table: PropertyTable,
    warnings: list[str] | None = None,
) -> None:
    """Fail on the first property neither read nor inert; a ``warned`` one becomes a warning.

    A name SAM does not define there gets the closest one it does as a suggestion
    (``difflib``'s, as Python's own "did you mean" for a misspelt name).
    """
    for name in properties:
        if name in table.read or name in table.inert:
            continue
        if name in table.warned and warnings is not None:
            warnings.append(f"{location}.{name}: {table.warned[name]}")
            continue
        if name in table.defined:
            raise TemplateError(f"{location}.{name}", "not supported by the local emulator")
        close = difflib.get_close_matches(str(name), sorted(table.defined), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise TemplateError(f"{location}.{name}", f"not a property of {table.owner}{hint}")
