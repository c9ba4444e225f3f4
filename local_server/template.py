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
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

__all__ = [
    "DEFAULT_ROUTE_PATH",
    "ApiKind",
    "ApiSpec",
    "CorsSpec",
    "FunctionSpec",
    "RouteSpec",
    "Template",
    "TemplateError",
    "UrlSpec",
    "load_template",
    "parse_parameter_overrides",
]

ApiKind = Literal["rest", "http"]
#: Path of an HTTP API's catch-all route; its route key is the same text.
DEFAULT_ROUTE_PATH = "$default"

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

IMPLICIT_REST_API = "ServerlessRestApi"
IMPLICIT_HTTP_API = "ServerlessHttpApi"


class TemplateError(Exception):
    """The template cannot be served as written; ``location`` says where the problem is."""

    def __init__(self, location: str, message: str) -> None:
        super().__init__(f"{location}: {message}" if location else message)
        self.location = location
        self.message = message


# --------------------------------------------------------------------------- value objects


@dataclass(frozen=True, slots=True, kw_only=True)
class CorsSpec:
    """A CORS configuration, normalised from the three shapes SAM accepts."""

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class UrlSpec:
    """A function URL (``FunctionUrlConfig``)."""

    auth_type: Literal["NONE", "AWS_IAM"]
    cors: CorsSpec | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionSpec:
    logical_id: str
    #: Absolute; relative ``CodeUri`` values are taken from the template's folder.
    code_uri: Path
    handler: str
    runtime: str
    #: Seconds (SAM's default: 3).
    timeout: int = 3
    #: MB (SAM's default: 128).
    memory_size: int = 128
    environment: dict[str, str] = field(default_factory=dict)
    architectures: tuple[str, ...] = ("x86_64",)
    function_url: UrlSpec | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiSpec:
    logical_id: str
    kind: ApiKind
    stage_name: str
    binary_media_types: tuple[str, ...] = ()
    #: The payload format its routes use unless an event says otherwise.
    payload_format_version: str = "1.0"
    stage_variables: dict[str, str] = field(default_factory=dict)
    cors: CorsSpec | None = None
    #: Made by SAM from events without ``RestApiId``/``ApiId``.
    implicit: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteSpec:
    api_logical_id: str
    kind: ApiKind
    #: Upper case, or ``ANY``.
    method: str
    #: ``/items/{id}``, ``/{proxy+}`` or ``$default``.
    path: str
    function: str
    payload_format_version: str
    #: API Gateway's integration timeout for this route, in milliseconds.
    integration_timeout_ms: int
    #: The event's name under ``Events``, for messages and the start-up banner.
    event: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Template:
    functions: dict[str, FunctionSpec]
    apis: dict[str, ApiSpec]
    routes: tuple[RouteSpec, ...]
    #: Parts of the template skipped because they do not change HTTP behaviour, each naming
    #: its location.
    warnings: tuple[str, ...] = ()


# ------------------------------------------------------------------------------ YAML reading

#: CloudFormation's short forms; each becomes the long form (``!Sub x`` -> ``{"Fn::Sub": x}``).
_SHORT_FORMS = frozenset(
    [
        "Ref",
        "Condition",
        "Sub",
        "GetAtt",
        "If",
        "Join",
        "Select",
        "Split",
        "FindInMap",
        "Equals",
        "Not",
        "And",
        "Or",
        "Base64",
        "ImportValue",
        "GetAZs",
        "Cidr",
        "Transform",
        "Length",
        "ToJsonString",
    ]
)


class _CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader plus CloudFormation's tags, strict about duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # PyYAML keeps the last of two equal keys; CloudFormation rejects the template.
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            if key_node.value in seen:
                line = key_node.start_mark.line + 1
                raise TemplateError(f"line {line}", f"duplicate key {key_node.value!r}")
            seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


def _construct_short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if suffix not in _SHORT_FORMS:
        line = node.start_mark.line + 1
        raise TemplateError(f"line {line}", f"unknown tag !{suffix}")
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        # ``!GetAtt Fn.Arn``: the resource name ends at the first dot.
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _construct_short_form)
# Keep ``2010-09-09`` and friends as text: CloudFormation has no timestamp type.
_CloudFormationLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_document(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(str(path), f"cannot read the template: {exc.strerror}") from exc
    try:
        # A SafeLoader subclass: no arbitrary objects are built.
        document = yaml.load(text, Loader=_CloudFormationLoader)
    except TemplateError as exc:
        raise TemplateError(f"{path}, {exc.location}", exc.message) from exc
    except yaml.YAMLError as exc:
        raise TemplateError(str(path), f"not valid YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise TemplateError(str(path), "a template is a mapping with a Resources section")
    return document


# -------------------------------------------------------------------- parameter overrides

_OVERRIDE_LONG_FORM = re.compile(r"ParameterKey=([^,\s]+),ParameterValue=(.*)")


def parse_parameter_overrides(values: str | list[str] | tuple[str, ...]) -> dict[str, str]:
    """``--parameter-overrides`` text as SAM CLI takes it.

    Both ``Key=Value Key2=Value2`` and ``ParameterKey=Key,ParameterValue=Value`` work, mixed
    freely; a value in double or single quotes may hold spaces.
    """
    import shlex

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


# ------------------------------------------------------------------------------- intrinsics


class _NoValue:
    """``Ref: AWS::NoValue``: the property it stands for is removed."""


NO_VALUE = _NoValue()


def _is_intrinsic(value: Any) -> bool:
    if not isinstance(value, dict) or len(value) != 1:
        return False
    (key,) = value
    return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::"))


def _where(location: str, *parts: str | int) -> str:
    for part in parts:
        location = f"{location}[{part}]" if isinstance(part, int) else f"{location}.{part}"
    return location


def _scalar_text(value: Any, location: str) -> str:
    """A resolved value as CloudFormation text (``true`` -> ``"true"``, ``3`` -> ``"3"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise TemplateError(location, f"expected a string, found {_describe(value)}")


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    return repr(value)


_GETATT_SERVICE = {
    "AWS::Serverless::Function": "lambda",
    "AWS::Lambda::Function": "lambda",
    "AWS::Serverless::SimpleTable": "dynamodb",
    "AWS::Serverless::StateMachine": "states",
    "AWS::Serverless::LayerVersion": "lambda",
    "AWS::IAM::Role": "iam",
}

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


@dataclass
class _Resolver:
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
        if _is_intrinsic(value):
            ((name, argument),) = value.items()
            function = _INTRINSICS.get(name)
            if function is None:
                raise TemplateError(location, f"{name} is not supported by the local emulator")
            return function(self, argument, _where(location, name))
        if isinstance(value, dict):
            resolved_map = {}
            for key, item in value.items():
                resolved = self.resolve(item, _where(location, str(key)))
                if resolved is not NO_VALUE:
                    resolved_map[key] = resolved
            return resolved_map
        if isinstance(value, list):
            resolved_list = [
                self.resolve(item, _where(location, i)) for i, item in enumerate(value)
            ]
            return [item for item in resolved_list if item is not NO_VALUE]
        return value

    def text(self, value: Any, location: str) -> str:
        return _scalar_text(self.resolve(value, location), location)

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
            return self.condition(value["Condition"], _where(location, "Condition"))
        resolved = self.resolve(value, location)
        if isinstance(resolved, bool):
            return resolved
        if resolved == "true" or resolved == "false":
            return bool(resolved == "true")
        raise TemplateError(location, f"expected a condition, found {_describe(resolved)}")

    # -- the functions

    def ref(self, name: Any, location: str) -> Any:
        if not isinstance(name, str):
            raise TemplateError(location, f"Ref takes a name, found {_describe(name)}")
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
        return self._attribute(resource, resource_type, attribute)

    def _attribute(self, resource: str, resource_type: str, attribute: str) -> str:
        """A plausible value of the attribute: ARNs in the account and region used locally."""
        region, account = self.region, self.account
        if resource_type == "AWS::Lambda::Url" and attribute == "FunctionUrl":
            return f"https://{resource.lower()}.lambda-url.{region}.on.aws/"
        if resource_type in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi"):
            if attribute == "RootResourceId":
                return "a1b2c3d4e5"
            if attribute == "ApiEndpoint":
                return f"https://{resource.lower()}.execute-api.{region}.amazonaws.com"
        if attribute.endswith("Arn"):
            service = _GETATT_SERVICE.get(resource_type)
            if service is None:
                parts = resource_type.split("::")
                service = parts[1].lower() if len(parts) == 3 else "unknown"
            if service == "lambda":
                return f"arn:aws:lambda:{region}:{account}:function:{resource}"
            if service == "iam":
                return f"arn:aws:iam::{account}:role/{resource}"
            if service == "s3":
                return f"arn:aws:s3:::{resource.lower()}"
            if service == "dynamodb":
                return f"arn:aws:dynamodb:{region}:{account}:table/{resource}"
            return f"arn:aws:{service}:{region}:{account}:{resource}"
        if attribute == "QueueUrl":
            return f"https://sqs.{region}.amazonaws.com/{account}/{resource}"
        if attribute in ("QueueName", "TopicName", "Name"):
            return resource
        return f"{resource}.{attribute}"

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
                return self.text(variables[name], _where(location, 1, name))
            if "." in name and name not in self.parameters:
                return self.get_att(name.split(".", 1), location)
            return _scalar_text(self.ref(name, location), f"{location} (${{{name}}})")

        return _SUB_VARIABLE.sub(replace, text)

    def if_(self, argument: Any, location: str) -> Any:
        if not isinstance(argument, list) or len(argument) != 3:
            raise TemplateError(location, "Fn::If takes [Condition, IfTrue, IfFalse]")
        chosen = 1 if self.condition(argument[0], _where(location, 0)) else 2
        return self.resolve(argument[chosen], _where(location, chosen))

    def join(self, argument: Any, location: str) -> str:
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError(location, "Fn::Join takes [delimiter, [values]]")
        delimiter = self.text(argument[0], _where(location, 0))
        values = self._list(argument[1], _where(location, 1))
        return delimiter.join(_scalar_text(v, _where(location, 1, i)) for i, v in enumerate(values))

    def select(self, argument: Any, location: str) -> Any:
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError(location, "Fn::Select takes [index, [values]]")
        index_text = self.text(argument[0], _where(location, 0))
        values = self._list(argument[1], _where(location, 1))
        if not index_text.isdigit() or int(index_text) >= len(values):
            raise TemplateError(location, f"index {index_text} is outside a list of {len(values)}")
        return values[int(index_text)]

    def split(self, argument: Any, location: str) -> list[str]:
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError(location, "Fn::Split takes [delimiter, string]")
        delimiter = self.text(argument[0], _where(location, 0))
        return self.text(argument[1], _where(location, 1)).split(delimiter)

    def find_in_map(self, argument: Any, location: str) -> Any:
        if not isinstance(argument, list) or len(argument) not in (3, 4):
            raise TemplateError(location, "Fn::FindInMap takes [Map, TopKey, SecondKey]")
        keys = [self.text(argument[i], _where(location, i)) for i in range(3)]
        found: Any = self.mappings
        for key in keys:
            if not isinstance(found, dict) or key not in found:
                if len(argument) == 4 and isinstance(argument[3], dict):
                    # AWS::LanguageExtensions' ``DefaultValue``.
                    return self.resolve(argument[3].get("DefaultValue"), _where(location, 3))
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
        left, right = (self.resolve(v, _where(location, i)) for i, v in enumerate(argument))
        if isinstance(left, list) or isinstance(right, list):
            return bool(left == right)
        return _scalar_text(left, location) == _scalar_text(right, location)

    def not_(self, argument: Any, location: str) -> bool:
        if not isinstance(argument, list) or len(argument) != 1:
            raise TemplateError(location, "Fn::Not takes [condition]")
        return not self._truth(argument[0], _where(location, 0))

    def and_(self, argument: Any, location: str) -> bool:
        conditions = self._conditions(argument, location, "Fn::And")
        return all(self._truth(c, _where(location, i)) for i, c in enumerate(conditions))

    def or_(self, argument: Any, location: str) -> bool:
        conditions = self._conditions(argument, location, "Fn::Or")
        return any(self._truth(c, _where(location, i)) for i, c in enumerate(conditions))

    def _conditions(self, argument: Any, location: str, name: str) -> list[Any]:
        if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
            raise TemplateError(location, f"{name} takes 2 to 10 conditions")
        return argument

    def _list(self, value: Any, location: str) -> list[Any]:
        resolved = self.resolve(value, location)
        if not isinstance(resolved, list):
            raise TemplateError(location, f"expected a list, found {_describe(resolved)}")
        return resolved


_INTRINSICS: dict[str, Callable[[_Resolver, Any, str], Any]] = {
    "Ref": _Resolver.ref,
    "Fn::GetAtt": _Resolver.get_att,
    "Fn::Sub": _Resolver.sub,
    "Fn::If": _Resolver.if_,
    "Fn::Join": _Resolver.join,
    "Fn::Select": _Resolver.select,
    "Fn::Split": _Resolver.split,
    "Fn::FindInMap": _Resolver.find_in_map,
    "Fn::Base64": _Resolver.base64,
    "Fn::GetAZs": _Resolver.get_azs,
    "Fn::ImportValue": _Resolver.import_value,
    "Fn::Equals": _Resolver.equals,
    "Fn::Not": _Resolver.not_,
    "Fn::And": _Resolver.and_,
    "Fn::Or": _Resolver.or_,
}


# ------------------------------------------------------------------------- property tables

#: Properties whose effect is outside what the emulator serves (IAM, deployment, tracing):
#: accepted and not read. Anything neither read nor listed here is a ``TemplateError``, so a
#: property that would change HTTP behaviour is never skipped unnoticed.
_INERT_FUNCTION_PROPERTIES = frozenset(
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
_READ_FUNCTION_PROPERTIES = frozenset(
    [
        "Architectures",
        "CodeUri",
        "Environment",
        "Events",
        "FunctionUrlConfig",
        "Handler",
        "MemorySize",
        "PackageType",
        "Runtime",
        "Timeout",
    ]
)
#: Accepted, but the function may not behave as deployed: said in ``Template.warnings``.
_WARNED_FUNCTION_PROPERTIES = {
    "Layers": "layers are not mounted locally; imports from them fail",
    "FileSystemConfigs": "EFS file systems are not mounted locally",
}

_INERT_API_PROPERTIES = frozenset(
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
_READ_API_PROPERTIES = frozenset({"Auth", "BinaryMediaTypes", "Cors", "StageName", "Variables"})

_INERT_HTTP_API_PROPERTIES = frozenset(
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
_READ_HTTP_API_PROPERTIES = frozenset({"Auth", "CorsConfiguration", "StageName", "StageVariables"})

_REST_EVENT_PROPERTIES = frozenset(
    {"Auth", "Method", "Path", "RequestModel", "RequestParameters", "RestApiId", "TimeoutInMillis"}
)
_HTTP_EVENT_PROPERTIES = frozenset(
    {"ApiId", "Auth", "Method", "Path", "PayloadFormatVersion", "RouteSettings", "TimeoutInMillis"}
)

_REST_METHODS = frozenset({"ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"})

#: Integration timeouts, ms: REST 50 ms to 29 s (https://docs.aws.amazon.com/apigateway/latest/
#: developerguide/api-gateway-execution-service-limits-table.html), HTTP APIs up to 30 s
#: (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html).
_TIMEOUT_LIMITS_MS: dict[ApiKind, int] = {"rest": 29_000, "http": 30_000}

#: Resource types that define HTTP entry points the emulator does not serve: a template using
#: them would answer differently locally, so they are errors rather than skipped.
_UNSERVED_HTTP_RESOURCES = {
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
_KNOWN_GLOBALS = frozenset(
    {"Function", "Api", "HttpApi", "SimpleTable", "LayerVersion", "StateMachine"}
)


# -------------------------------------------------------------------------------- loading


def _merge_global(global_value: Any, local_value: Any) -> Any:
    """SAM's Globals rule: maps merge, lists add up, anything else the resource's value wins.

    An intrinsic is a value, not a map: the resource's replaces the global one.
    https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-template-anatomy-globals.html
    """
    if (
        isinstance(global_value, dict)
        and isinstance(local_value, dict)
        and not _is_intrinsic(global_value)
        and not _is_intrinsic(local_value)
    ):
        merged = dict(global_value)
        for key, value in local_value.items():
            merged[key] = _merge_global(global_value[key], value) if key in merged else value
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return global_value + local_value
    return local_value


def _with_globals(global_properties: Any, properties: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(global_properties, dict):
        return properties
    merged = _merge_global(global_properties, properties)
    assert isinstance(merged, dict)
    return merged


def _check_properties(
    properties: Mapping[str, Any],
    location: str,
    read: frozenset[str],
    inert: frozenset[str] = frozenset(),
    warned: Mapping[str, str] | None = None,
    warnings: list[str] | None = None,
) -> None:
    for name in properties:
        if name in read or name in inert:
            continue
        if warned and name in warned and warnings is not None:
            warnings.append(f"{location}.{name}: {warned[name]}")
            continue
        raise TemplateError(f"{location}.{name}", "not supported by the local emulator")


def _sam_env_text(value: Any) -> str:
    """An ``--env-vars`` value as SAM CLI passes it (``samcli/local/lambdafn/env_vars.py``)."""
    if isinstance(value, dict | list | tuple) or value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class _Loader:
    document: dict[str, Any]
    directory: Path
    resolver: _Resolver
    env_vars: Mapping[str, Any]
    warnings: list[str] = field(default_factory=list)
    apis: dict[str, ApiSpec] = field(default_factory=dict)
    routes: list[RouteSpec] = field(default_factory=list)
    route_origins: dict[tuple[str, str, str], str] = field(default_factory=dict)

    @property
    def globals(self) -> dict[str, Any]:
        section = self.document.get("Globals") or {}
        return section if isinstance(section, dict) else {}

    # -- APIs

    def rest_api(self, logical_id: str, raw: Mapping[str, Any], *, implicit: bool) -> ApiSpec:
        location = f"Resources.{logical_id}.Properties"
        properties = _with_globals(self.globals.get("Api"), dict(raw))
        for name in ("DefinitionBody", "DefinitionUri"):
            if name in raw:
                raise TemplateError(f"{location}.{name}", "OpenAPI definitions are not read")
        _check_properties(properties, location, _READ_API_PROPERTIES, _INERT_API_PROPERTIES)
        resolve = self.resolver
        stage = "Prod" if implicit else None  # SAM names the implicit API's stage Prod
        if "StageName" in properties:
            stage = resolve.text(properties["StageName"], f"{location}.StageName")
        if stage is None:
            raise TemplateError(f"{location}.StageName", "AWS::Serverless::Api needs a StageName")
        binary = resolve.resolve(properties.get("BinaryMediaTypes", []), f"{location}.Binary")
        if not isinstance(binary, list):
            raise TemplateError(f"{location}.BinaryMediaTypes", "expected a list")
        _check_api_auth(properties.get("Auth"), f"{location}.Auth", resolve)
        return ApiSpec(
            logical_id=logical_id,
            kind="rest",
            stage_name=stage,
            # ``~1`` stands for ``/`` in binary media types, as in JSON Pointer (SAM docs,
            # AWS::Serverless::Api BinaryMediaTypes).
            binary_media_types=tuple(
                _scalar_text(t, f"{location}.BinaryMediaTypes[{i}]").replace("~1", "/")
                for i, t in enumerate(binary)
            ),
            payload_format_version="1.0",
            stage_variables=self._text_map(properties.get("Variables"), f"{location}.Variables"),
            cors=_rest_cors(resolve.resolve(properties.get("Cors"), f"{location}.Cors"), location),
            implicit=implicit,
        )

    def http_api(self, logical_id: str, raw: Mapping[str, Any], *, implicit: bool) -> ApiSpec:
        location = f"Resources.{logical_id}.Properties"
        properties = _with_globals(self.globals.get("HttpApi"), dict(raw))
        for name in ("DefinitionBody", "DefinitionUri"):
            if name in raw:
                raise TemplateError(f"{location}.{name}", "OpenAPI definitions are not read")
        _check_properties(
            properties, location, _READ_HTTP_API_PROPERTIES, _INERT_HTTP_API_PROPERTIES
        )
        resolve = self.resolver
        stage = "$default"
        if "StageName" in properties:
            stage = resolve.text(properties["StageName"], f"{location}.StageName")
        _check_api_auth(properties.get("Auth"), f"{location}.Auth", resolve)
        cors_value = resolve.resolve(
            properties.get("CorsConfiguration"), f"{location}.CorsConfiguration"
        )
        return ApiSpec(
            logical_id=logical_id,
            kind="http",
            stage_name=stage,
            payload_format_version="2.0",
            stage_variables=self._text_map(
                properties.get("StageVariables"), f"{location}.StageVariables"
            ),
            cors=_http_cors(cors_value, f"{location}.CorsConfiguration"),
            implicit=implicit,
        )

    def _text_map(self, value: Any, location: str) -> dict[str, str]:
        resolved = self.resolver.resolve(value or {}, location)
        if not isinstance(resolved, dict):
            raise TemplateError(location, f"expected a mapping, found {_describe(resolved)}")
        return {str(k): _scalar_text(v, f"{location}.{k}") for k, v in resolved.items()}

    # -- functions

    def function(self, logical_id: str, raw: Mapping[str, Any]) -> FunctionSpec:
        location = f"Resources.{logical_id}.Properties"
        properties = _with_globals(self.globals.get("Function"), dict(raw))
        if "InlineCode" in properties or "ImageUri" in properties:
            name = "InlineCode" if "InlineCode" in properties else "ImageUri"
            raise TemplateError(f"{location}.{name}", "only CodeUri folders are run locally")
        _check_properties(
            properties,
            location,
            _READ_FUNCTION_PROPERTIES,
            _INERT_FUNCTION_PROPERTIES,
            _WARNED_FUNCTION_PROPERTIES,
            self.warnings,
        )
        resolve = self.resolver
        if "PackageType" in properties:
            package_type = resolve.text(properties["PackageType"], f"{location}.PackageType")
            if package_type != "Zip":
                raise TemplateError(f"{location}.PackageType", f"{package_type} is not run locally")
        for required in ("CodeUri", "Handler", "Runtime"):
            if required not in properties:
                raise TemplateError(f"{location}.{required}", "required (here or in Globals)")
        spec = FunctionSpec(
            logical_id=logical_id,
            code_uri=self._code_uri(properties["CodeUri"], f"{location}.CodeUri"),
            handler=resolve.text(properties["Handler"], f"{location}.Handler"),
            runtime=resolve.text(properties["Runtime"], f"{location}.Runtime"),
            timeout=self._integer(properties.get("Timeout", 3), f"{location}.Timeout", 1, 900),
            memory_size=self._integer(
                properties.get("MemorySize", 128), f"{location}.MemorySize", 128, 10_240
            ),
            environment=self._environment(logical_id, properties.get("Environment"), location),
            architectures=self._architectures(properties.get("Architectures"), location),
            function_url=self._function_url(properties.get("FunctionUrlConfig"), location),
        )
        events = properties.get("Events") or {}
        if not isinstance(events, dict):
            raise TemplateError(f"{location}.Events", "expected a mapping of events")
        for name, event in events.items():
            self._event(logical_id, str(name), event, f"{location}.Events.{name}")
        return spec

    def _code_uri(self, value: Any, location: str) -> Path:
        resolved = self.resolver.resolve(value, location)
        if isinstance(resolved, dict):
            raise TemplateError(
                location, "code in S3 ({Bucket, Key}) is not run locally; use a local folder"
            )
        text = _scalar_text(resolved, location)
        if text.startswith("s3://"):
            raise TemplateError(location, f"code in S3 ({text}) is not run locally")
        path = (self.directory / text).resolve()
        if not path.is_dir():
            what = "an archive" if path.is_file() else "missing"
            raise TemplateError(location, f"{path} is {what}; CodeUri must be a source folder")
        return path

    def _integer(self, value: Any, location: str, low: int, high: int) -> int:
        text = self.resolver.text(value, location)
        try:
            number = int(text)
        except ValueError:
            raise TemplateError(location, f"expected a whole number, found {text!r}") from None
        if not low <= number <= high:
            raise TemplateError(location, f"{number} is outside {low}..{high}")
        return number

    def _architectures(self, value: Any, location: str) -> tuple[str, ...]:
        if value is None:
            return ("x86_64",)
        resolved = self.resolver.resolve(value, f"{location}.Architectures")
        if (
            not isinstance(resolved, list)
            or len(resolved) != 1
            or resolved[0] not in ("x86_64", "arm64")
        ):
            raise TemplateError(f"{location}.Architectures", "expected one of [x86_64] or [arm64]")
        return (str(resolved[0]),)

    def _environment(self, logical_id: str, value: Any, location: str) -> dict[str, str]:
        location = f"{location}.Environment"
        if value is None:
            variables: Any = {}
        elif isinstance(value, dict) and set(value) <= {"Variables"}:
            variables = value.get("Variables") or {}
        else:
            raise TemplateError(location, "expected {Variables: {NAME: value}}")
        if _is_intrinsic(variables) or not isinstance(variables, dict):
            raise TemplateError(f"{location}.Variables", "expected a mapping of variables")
        # ``--env-vars``: "Parameters" applies to every function, the function's own entry
        # wins, and only variables the template declares are overridden (SAM CLI's
        # ``EnvironmentVariables.resolve``).
        overrides: dict[str, Any] = {}
        for key in ("Parameters", logical_id):
            section = self.env_vars.get(key)
            if isinstance(section, dict):
                overrides.update(section)
        environment: dict[str, str] = {}
        for name, raw in variables.items():
            name = str(name)
            if name in overrides:
                environment[name] = _sam_env_text(overrides[name])
                continue
            where = f"{location}.Variables.{name}"
            try:
                resolved = self.resolver.resolve(raw, where)
            except TemplateError as exc:
                raise TemplateError(
                    exc.location, f"{exc.message} (or give {name} a value with --env-vars)"
                ) from exc
            if resolved is not NO_VALUE:
                environment[name] = _scalar_text(resolved, where)
        for name in overrides:
            if name not in variables and logical_id in self.env_vars:
                self.warnings.append(
                    f"--env-vars: {logical_id}.{name} is not declared in the template's "
                    "Environment.Variables; SAM ignores it, and so does lambgate"
                )
        return environment

    def _function_url(self, value: Any, location: str) -> UrlSpec | None:
        if value is None:
            return None
        location = f"{location}.FunctionUrlConfig"
        resolved = self.resolver.resolve(value, location)
        if not isinstance(resolved, dict):
            raise TemplateError(location, "expected a mapping")
        _check_properties(resolved, location, frozenset({"AuthType", "Cors", "InvokeMode"}))
        auth_type = resolved.get("AuthType")
        if auth_type not in ("NONE", "AWS_IAM"):
            raise TemplateError(f"{location}.AuthType", "expected NONE or AWS_IAM")
        if resolved.get("InvokeMode", "BUFFERED") != "BUFFERED":
            raise TemplateError(f"{location}.InvokeMode", "only BUFFERED is emulated")
        return UrlSpec(auth_type=auth_type, cors=_http_cors(resolved.get("Cors"), location))

    # -- events and routes

    def _event(self, function: str, name: str, event: Any, location: str) -> None:
        if not isinstance(event, dict) or "Type" not in event:
            raise TemplateError(location, "an event needs a Type")
        event_type = event["Type"]
        properties = event.get("Properties") or {}
        if not isinstance(properties, dict):
            raise TemplateError(f"{location}.Properties", "expected a mapping")
        location = f"{location}.Properties"
        if event_type == "Api":
            self._rest_route(function, name, properties, location)
        elif event_type == "HttpApi":
            self._http_route(function, name, properties, location)
        else:
            self.warnings.append(
                f"{location.rsplit('.', 1)[0]}: {event_type} events are not HTTP and are not "
                "emulated; the function is reachable through the Invoke API only"
            )

    def _rest_route(self, function: str, name: str, properties: dict[str, Any], where: str) -> None:
        _check_properties(properties, where, _REST_EVENT_PROPERTIES)
        api_id = self._api_reference(properties.get("RestApiId"), f"{where}.RestApiId", "rest")
        _check_event_auth(properties.get("Auth"), f"{where}.Auth", self.resolver)
        model = self.resolver.resolve(properties.get("RequestModel") or {}, f"{where}.RequestModel")
        if isinstance(model, dict) and (
            model.get("ValidateBody") or model.get("ValidateParameters")
        ):
            raise TemplateError(f"{where}.RequestModel", "request validation is not emulated")
        for required in ("Path", "Method"):
            if required not in properties:
                raise TemplateError(f"{where}.{required}", "required for Api events")
        method = self.resolver.text(properties["Method"], f"{where}.Method").upper()
        if method not in _REST_METHODS:
            raise TemplateError(f"{where}.Method", f"{method} is not an API Gateway method")
        path = _route_path(self.resolver.text(properties["Path"], f"{where}.Path"), f"{where}.Path")
        self._add_route(
            RouteSpec(
                api_logical_id=api_id,
                kind="rest",
                method=method,
                path=path,
                function=function,
                payload_format_version="1.0",
                integration_timeout_ms=self._timeout(properties, where, "rest"),
                event=name,
            ),
            where,
        )

    def _http_route(self, function: str, name: str, properties: dict[str, Any], where: str) -> None:
        _check_properties(properties, where, _HTTP_EVENT_PROPERTIES)
        api_id = self._api_reference(properties.get("ApiId"), f"{where}.ApiId", "http")
        _check_event_auth(properties.get("Auth"), f"{where}.Auth", self.resolver)
        # With neither Path nor Method, SAM makes the API's ``$default`` route
        # (AWS::Serverless::Function HttpApi event, "Method" and "Path").
        method = "ANY"
        if "Method" in properties:
            method = self.resolver.text(properties["Method"], f"{where}.Method").upper()
            if method == "X-AMAZON-APIGATEWAY-ANY-METHOD":
                method = "ANY"
            if method not in _REST_METHODS:
                raise TemplateError(f"{where}.Method", f"{method} is not an HTTP API method")
        if "Path" in properties:
            path_text = self.resolver.text(properties["Path"], f"{where}.Path")
            path = path_text if path_text == DEFAULT_ROUTE_PATH else _route_path(path_text, where)
        elif method == "ANY":
            path = DEFAULT_ROUTE_PATH
        else:
            raise TemplateError(f"{where}.Path", f"required with Method {method}")
        version = "2.0"
        if "PayloadFormatVersion" in properties:
            value = self.resolver.resolve(
                properties["PayloadFormatVersion"], f"{where}.PayloadFormatVersion"
            )
            # Unquoted ``1.0`` arrives from YAML as a float.
            version = f"{value:.1f}" if isinstance(value, float) else str(value)
            if version not in ("1.0", "2.0"):
                raise TemplateError(f"{where}.PayloadFormatVersion", "expected 1.0 or 2.0")
        self._add_route(
            RouteSpec(
                api_logical_id=api_id,
                kind="http",
                method=method,
                path=path,
                function=function,
                payload_format_version=version,
                integration_timeout_ms=self._timeout(properties, where, "http"),
                event=name,
            ),
            where,
        )

    def _api_reference(self, value: Any, location: str, kind: ApiKind) -> str:
        implicit = IMPLICIT_REST_API if kind == "rest" else IMPLICIT_HTTP_API
        if value is None:
            if implicit not in self.apis:
                build = self.rest_api if kind == "rest" else self.http_api
                self.apis[implicit] = build(implicit, {}, implicit=True)
            return implicit
        # SAM takes a logical id or a Ref to one; a Ref resolves to the logical id here.
        api_id = self.resolver.text(value, location)
        api = self.apis.get(api_id)
        wanted = "AWS::Serverless::Api" if kind == "rest" else "AWS::Serverless::HttpApi"
        if api is None or api.kind != kind:
            raise TemplateError(location, f"{api_id} is not an {wanted} in this template")
        return api_id

    def _timeout(self, properties: Mapping[str, Any], where: str, kind: ApiKind) -> int:
        limit = _TIMEOUT_LIMITS_MS[kind]
        if "TimeoutInMillis" not in properties:
            return limit
        return self._integer(properties["TimeoutInMillis"], f"{where}.TimeoutInMillis", 50, limit)

    def _add_route(self, route: RouteSpec, where: str) -> None:
        key = (route.api_logical_id, route.method, route.path)
        if key in self.route_origins:
            raise TemplateError(
                where,
                f"{route.method} {route.path} on {route.api_logical_id} is already served by "
                f"{self.route_origins[key]}",
            )
        self.route_origins[key] = where
        self.routes.append(route)


_PATH_VARIABLE = re.compile(r"\{[A-Za-z0-9._-]+\+?\}")


def _route_path(path: str, location: str) -> str:
    """A route path as API Gateway accepts it: ``/``, literals, ``{name}``, a last ``{name+}``."""
    if not path.startswith("/"):
        raise TemplateError(location, f"{path!r} must start with /")
    if path == "/":
        return path
    segments = path[1:].split("/")
    for index, segment in enumerate(segments):
        if not segment:
            raise TemplateError(location, f"{path!r} has an empty segment or a trailing /")
        if "{" in segment or "}" in segment:
            if not _PATH_VARIABLE.fullmatch(segment):
                raise TemplateError(location, f"{segment!r} is not a {{name}} variable")
            if segment.endswith("+}") and index != len(segments) - 1:
                raise TemplateError(location, "a greedy {name+} variable must come last")
    return path


def _check_api_auth(value: Any, location: str, resolver: _Resolver) -> None:
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


def _check_event_auth(value: Any, location: str, resolver: _Resolver) -> None:
    if value is None:
        return
    auth = resolver.resolve(value, location)
    if not isinstance(auth, dict):
        raise TemplateError(location, "expected a mapping")
    if auth.get("Authorizer") not in (None, "NONE"):
        raise TemplateError(f"{location}.Authorizer", "authorizers are not emulated")
    if auth.get("ApiKeyRequired"):
        raise TemplateError(f"{location}.ApiKeyRequired", "API keys are not emulated")
    if auth.get("ResourcePolicy"):
        raise TemplateError(f"{location}.ResourcePolicy", "resource policies are not emulated")


def _unquote(value: Any, location: str) -> str:
    """REST CORS values are header values in single quotes (``"'*'"``), as SAM requires."""
    text = _scalar_text(value, location)
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else text


def _csv(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _rest_cors(value: Any, location: str) -> CorsSpec | None:
    location = f"{location}.Cors"
    if value is None:
        return None
    if isinstance(value, str):
        return CorsSpec(allow_origins=(_unquote(value, location),), allow_methods=("*",))
    if not isinstance(value, dict):
        raise TemplateError(location, "expected an origin or a mapping")
    _check_properties(
        value,
        location,
        frozenset({"AllowCredentials", "AllowHeaders", "AllowMethods", "AllowOrigin", "MaxAge"}),
    )
    if "AllowOrigin" not in value:
        raise TemplateError(f"{location}.AllowOrigin", "required")
    max_age = value.get("MaxAge")
    return CorsSpec(
        allow_origins=(_unquote(value["AllowOrigin"], f"{location}.AllowOrigin"),),
        allow_methods=_csv(_unquote(value.get("AllowMethods", "'*'"), f"{location}.AllowMethods")),
        allow_headers=_csv(_unquote(value.get("AllowHeaders", "''"), f"{location}.AllowHeaders")),
        max_age=int(_unquote(max_age, f"{location}.MaxAge")) if max_age is not None else None,
        allow_credentials=bool(value.get("AllowCredentials", False)),
    )


def _http_cors(value: Any, location: str) -> CorsSpec | None:
    """HTTP API ``CorsConfiguration`` and function URL ``Cors``: lists, not quoted strings."""
    if value is None or value is False:
        return None
    if value is True:
        # SAM: ``CorsConfiguration: true`` allows every origin, header and method.
        return CorsSpec(allow_origins=("*",), allow_methods=("*",), allow_headers=("*",))
    if not isinstance(value, dict):
        raise TemplateError(location, "expected true or a mapping")
    names = {
        "AllowOrigins": "allow_origins",
        "AllowMethods": "allow_methods",
        "AllowHeaders": "allow_headers",
        "ExposeHeaders": "expose_headers",
    }
    _check_properties(value, location, frozenset({*names, "MaxAge", "AllowCredentials"}))
    lists: dict[str, tuple[str, ...]] = {}
    for key, attribute in names.items():
        items = value.get(key, [])
        if not isinstance(items, list):
            raise TemplateError(f"{location}.{key}", "expected a list")
        lists[attribute] = tuple(
            _scalar_text(item, f"{location}.{key}[{i}]") for i, item in enumerate(items)
        )
    max_age = value.get("MaxAge")
    return CorsSpec(
        **lists,
        max_age=int(_scalar_text(max_age, f"{location}.MaxAge")) if max_age is not None else None,
        allow_credentials=bool(value.get("AllowCredentials", False)),
    )


def _parameters(
    document: Mapping[str, Any], overrides: Mapping[str, str]
) -> tuple[dict[str, Any], set[str]]:
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
            text = _scalar_text(declaration["Default"], f"{location}.Default")
            where = f"{location}.Default"
        else:
            missing.add(name)
            continue
        allowed = declaration.get("AllowedValues")
        if isinstance(allowed, list):
            choices = [_scalar_text(v, f"{location}.AllowedValues") for v in allowed]
            if text not in choices:
                raise TemplateError(where, f"{text!r} is not one of {', '.join(choices)}")
        kind = str(declaration.get("Type", "String"))
        # List types give a list to Ref (CommaDelimitedList, List<Number>, List<AWS::...>).
        is_list = kind == "CommaDelimitedList" or kind.startswith("List<")
        values[name] = [item.strip() for item in text.split(",")] if is_list else text
    return values, missing


def _resource_types(resources: Mapping[str, Any]) -> dict[str, str]:
    """Logical ids a Ref or GetAtt may name, with the resources SAM adds itself."""
    types: dict[str, str] = {}
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise TemplateError(f"Resources.{logical_id}", "a resource needs a Type")
        resource_type = resource["Type"]
        types[logical_id] = resource_type
        if resource_type != "AWS::Serverless::Function":
            continue
        properties = resource.get("Properties") or {}
        if "Role" not in properties:
            types.setdefault(f"{logical_id}Role", "AWS::IAM::Role")
        if "FunctionUrlConfig" in properties:
            types.setdefault(f"{logical_id}Url", "AWS::Lambda::Url")
        for event in (properties.get("Events") or {}).values():
            event_properties = (event.get("Properties") or {}) if isinstance(event, dict) else {}
            kind = event.get("Type") if isinstance(event, dict) else None
            if kind == "Api" and "RestApiId" not in event_properties:
                types.setdefault(IMPLICIT_REST_API, "AWS::Serverless::Api")
            if kind == "HttpApi" and "ApiId" not in event_properties:
                types.setdefault(IMPLICIT_HTTP_API, "AWS::Serverless::HttpApi")
    return types


def load_template(
    path: str | Path,
    *,
    parameter_overrides: Mapping[str, str] | None = None,
    env_vars: Mapping[str, Any] | None = None,
) -> Template:
    """Read the SAM template at ``path`` into the functions, APIs and routes to serve.

    ``env_vars`` is the parsed ``--env-vars`` JSON: ``{"Parameters": {...}}`` for every
    function and ``{"FnLogicalId": {...}}`` for one.
    """
    path = Path(path).resolve()
    document = _read_document(path)
    resources = document.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateError("Resources", "a template needs at least one resource")
    for section in document.get("Globals") or {}:
        if section not in _KNOWN_GLOBALS:
            raise TemplateError(f"Globals.{section}", "not a SAM Globals section")
    if env_vars is not None and not (
        isinstance(env_vars, Mapping) and all(isinstance(v, dict) for v in env_vars.values())
    ):
        raise TemplateError("--env-vars", 'expected {"FunctionId": {"NAME": "value"}, ...}')

    parameters, missing = _parameters(document, parameter_overrides or {})
    conditions = document.get("Conditions") or {}
    mappings = document.get("Mappings") or {}
    resolver = _Resolver(
        parameters=parameters,
        missing_parameters=missing,
        mappings=mappings if isinstance(mappings, dict) else {},
        conditions=conditions if isinstance(conditions, dict) else {},
        resource_types=_resource_types(resources),
    )
    loader = _Loader(document, path.parent, resolver, env_vars or {})

    def present(logical_id: str, resource: Mapping[str, Any]) -> bool:
        if "Condition" not in resource:
            return True
        return resolver.condition(resource["Condition"], f"Resources.{logical_id}.Condition")

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
            loader.apis[logical_id] = loader.rest_api(logical_id, properties, implicit=False)
        elif resource["Type"] == "AWS::Serverless::HttpApi":
            properties = properties_of(logical_id, resource)
            loader.apis[logical_id] = loader.http_api(logical_id, properties, implicit=False)

    functions: dict[str, FunctionSpec] = {}
    for logical_id, resource in resources.items():
        resource_type = resource["Type"]
        if not present(logical_id, resource):
            continue
        if resource_type in _UNSERVED_HTTP_RESOURCES:
            raise TemplateError(
                f"Resources.{logical_id}",
                f"{resource_type} is not served locally: {_UNSERVED_HTTP_RESOURCES[resource_type]}",
            )
        if resource_type == "AWS::Serverless::Function":
            functions[logical_id] = loader.function(logical_id, properties_of(logical_id, resource))
        elif resource_type == "AWS::Lambda::Function":
            loader.warnings.append(
                f"Resources.{logical_id}: AWS::Lambda::Function is not run locally; "
                "declare it as AWS::Serverless::Function"
            )

    for key in env_vars or {}:
        if key != "Parameters" and key not in functions:
            loader.warnings.append(f"--env-vars: {key} is not a function of the template")

    return Template(
        functions=functions,
        apis=dict(loader.apis),
        routes=tuple(loader.routes),
        warnings=tuple(loader.warnings),
    )
