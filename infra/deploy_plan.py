"""What ``lambgate deploy`` has to do: the wanted state against what AWS reports, no I/O.

:func:`plan` compares a :class:`DeploySpec` with an :class:`Observed` snapshot (read by
``lambgate.deploy.deploy``) and returns the steps in the order they must run. An empty list of
changes is what makes a second deploy of the same zip a no-op, and ``--dry-run`` prints this
list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "API_PERMISSION_SID",
    "CREATE_ARCHITECTURE",
    "CREATE_DEFAULTS",
    "CREATE_RUNTIME",
    "URL_INVOKE_PERMISSION_SID",
    "URL_PERMISSION_SID",
    "DeploySpec",
    "FunctionSpec",
    "Observed",
    "Step",
    "function_changes",
    "plan",
]

# Settings used when the function is created and the user gave none: an adapter serving a web
# app wants more than Lambda's 128 MB default, and API Gateway HTTP APIs stop waiting after 30 s
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html).
CREATE_DEFAULTS: Mapping[str, int] = {"MemorySize": 512, "Timeout": 30}
# The runtime and architecture of a new function when --python/--arch are not given; an
# existing function keeps its own, which the wheels in its code were built for.
CREATE_RUNTIME = "python3.12"
CREATE_ARCHITECTURE = "x86_64"
URL_PERMISSION_SID = "lambgate-function-url"
URL_INVOKE_PERMISSION_SID = "lambgate-function-url-invoke"
API_PERMISSION_SID = "lambgate-http-api"

Action = Literal["create", "update", "publish", "delete", "unchanged"]


@dataclass(frozen=True, kw_only=True)
class FunctionSpec:
    """The function as the user wants it. ``None`` means "keep what the function has"."""

    name: str
    runtime: str | None
    architecture: str | None
    handler: str
    code_sha256: str
    role: str | None = None
    memory: int | None = None
    timeout: int | None = None
    environment: Mapping[str, str] = field(default_factory=dict)

    def configuration(self, current: Mapping[str, Any] | None) -> dict[str, Any]:
        """The settings to send, as CreateFunction/UpdateFunctionConfiguration name them.

        Environment variables given are set; the function's others are kept.
        """
        current = current or {}
        variables = dict(current.get("Environment", {}).get("Variables", {}))
        variables.update(self.environment)
        settings: dict[str, Any] = {
            "Runtime": self.runtime if self.runtime is not None else current.get("Runtime"),
            "Handler": self.handler,
            "Role": self.role if self.role is not None else current.get("Role"),
            "MemorySize": self.memory if self.memory is not None else current.get("MemorySize"),
            "Timeout": self.timeout if self.timeout is not None else current.get("Timeout"),
            "Environment": {"Variables": variables},
        }
        return {key: value for key, value in settings.items() if value is not None}

    def create_configuration(self) -> dict[str, Any]:
        return {**CREATE_DEFAULTS, "Runtime": CREATE_RUNTIME, **self.configuration(None)}

    @property
    def create_architecture(self) -> str:
        return self.architecture if self.architecture is not None else CREATE_ARCHITECTURE


@dataclass(frozen=True, kw_only=True)
class DeploySpec:
    function: FunctionSpec
    alias: str = "live"
    # True: a URL on the alias; False: none (an existing one is deleted); None: leave as is.
    function_url: bool | None = None
    url_auth: Literal["NONE", "AWS_IAM"] = "NONE"
    http_api: bool = False
    api_name: str = ""
    # The ARN the API may invoke the function from, known once the API id is.
    region: str = ""
    account: str = ""
    partition: str = "aws"

    def alias_arn(self) -> str:
        name = self.function.name
        return (
            f"arn:{self.partition}:lambda:{self.region}:{self.account}:function:{name}:{self.alias}"
        )

    def api_source_arn(self, api_id: str) -> str:
        # Any stage, any route of this API and no other: the scoping Terraform's
        # aws_lambda_permission examples use (execution_arn + "/*/*").
        return f"arn:{self.partition}:execute-api:{self.region}:{self.account}:{api_id}/*/*"


@dataclass(frozen=True, kw_only=True)
class Observed:
    """What AWS reported; ``None`` for what does not exist."""

    function: Mapping[str, Any] | None = None
    alias: Mapping[str, Any] | None = None
    alias_target: Mapping[str, Any] | None = None
    url: Mapping[str, Any] | None = None
    permissions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    api: Mapping[str, Any] | None = None
    integration: Mapping[str, Any] | None = None
    route: Mapping[str, Any] | None = None
    stage: Mapping[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class Step:
    """One change (or confirmed non-change); ``kind`` picks the code that applies it."""

    kind: str
    action: Action
    resource: str
    detail: str = ""
    key: str = ""

    @property
    def changes(self) -> bool:
        return self.action != "unchanged"

    def __str__(self) -> str:
        detail = f"  ({self.detail})" if self.detail else ""
        return f"{self.action:<9} {self.resource}{detail}"


def function_changes(spec: FunctionSpec, current: Mapping[str, Any]) -> list[str]:
    """Names of the settings whose value differs from ``current`` (a FunctionConfiguration)."""
    wanted = spec.configuration(current)
    changed = [
        key for key, value in wanted.items() if key != "Environment" and current.get(key) != value
    ]
    # GetFunction leaves Environment out when there are no variables.
    if current.get("Environment", {}).get("Variables", {}) != wanted["Environment"]["Variables"]:
        changed.append("Environment")
    if spec.architecture is not None and current.get("Architectures", ["x86_64"]) != [
        spec.architecture
    ]:
        changed.append("Architectures")
    return changed


def _function_steps(spec: FunctionSpec, observed: Observed) -> tuple[list[Step], bool]:
    current = observed.function
    name = f"function {spec.name}"
    if current is None:
        wanted = spec.create_configuration()
        detail = (
            f"{wanted['Runtime']}, {spec.create_architecture}, handler {spec.handler}, "
            f"{wanted['MemorySize']} MB, {wanted['Timeout']} s"
        )
        return [Step(kind="function", action="create", resource=name, detail=detail)], True
    steps = []
    changed = function_changes(spec, current)
    # The architecture is set with the code (UpdateFunctionCode.Architectures).
    code_changed = current.get("CodeSha256") != spec.code_sha256 or "Architectures" in changed
    if code_changed:
        steps.append(Step(kind="function-code", action="update", resource=f"{name} code"))
    settings = [setting for setting in changed if setting != "Architectures"]
    if settings:
        steps.append(
            Step(
                kind="function-configuration",
                action="update",
                resource=f"{name} configuration",
                detail=", ".join(settings),
            )
        )
    if not steps:
        steps.append(Step(kind="function", action="unchanged", resource=name))
    return steps, code_changed or bool(settings)


def _alias_steps(spec: DeploySpec, observed: Observed, function_changed: bool) -> list[Step]:
    target = observed.alias_target
    publish = (
        function_changed
        or target is None
        or target.get("CodeSha256") != spec.function.code_sha256
        or bool(function_changes(spec.function, target))
    )
    steps = []
    if publish:
        steps.append(Step(kind="version", action="publish", resource="version"))
    name = f"alias {spec.alias}"
    if observed.alias is None:
        steps.append(Step(kind="alias", action="create", resource=name, detail="-> new version"))
        return steps
    version = observed.alias.get("FunctionVersion")
    if publish:
        detail = f"version {version} -> new version"
        steps.append(Step(kind="alias", action="update", resource=name, detail=detail))
    else:
        detail = f"-> version {version}"
        steps.append(Step(kind="alias", action="unchanged", resource=name, detail=detail))
    return steps


def _url_steps(spec: DeploySpec, observed: Observed) -> list[Step]:
    """The Function URL and its public permissions, as --function-url asks; without it (None)
    an existing URL stays as it is, permissions included, and --no-function-url deletes both.
    """
    steps = []
    url = observed.url
    if spec.function_url is None:
        if url is not None:
            detail = f"{url.get('FunctionUrl', '')}, kept; --no-function-url deletes it"
            steps.append(
                Step(kind="url", action="unchanged", resource="function URL", detail=detail)
            )
            for sid in (URL_PERMISSION_SID, URL_INVOKE_PERMISSION_SID):
                if sid in observed.permissions:
                    steps.append(
                        Step(
                            kind="permission",
                            key=sid,
                            action="unchanged",
                            resource=f"permission {sid}",
                        )
                    )
        return steps
    if spec.function_url:
        if url is None:
            detail = f"auth {spec.url_auth}"
            steps.append(Step(kind="url", action="create", resource="function URL", detail=detail))
        elif url.get("AuthType") != spec.url_auth:
            detail = f"auth {url.get('AuthType')} -> {spec.url_auth}"
            steps.append(Step(kind="url", action="update", resource="function URL", detail=detail))
        else:
            detail = str(url.get("FunctionUrl", ""))
            steps.append(
                Step(kind="url", action="unchanged", resource="function URL", detail=detail)
            )
    elif url is not None:
        detail = str(url.get("FunctionUrl", ""))
        steps.append(Step(kind="url", action="delete", resource="function URL", detail=detail))
    public = spec.function_url and spec.url_auth == "NONE"
    # AuthType NONE needs a public resource policy, and since October 2025 a new URL needs
    # both actions granted: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html
    for sid, grants in (
        (URL_PERMISSION_SID, "public lambda:InvokeFunctionUrl"),
        (URL_INVOKE_PERMISSION_SID, "public lambda:InvokeFunction through the URL"),
    ):
        resource = f"permission {sid}"
        present = sid in observed.permissions
        if public and not present:
            steps.append(
                Step(kind="permission", key=sid, action="create", resource=resource, detail=grants)
            )
        elif not public and present:
            reason = "the URL is deleted" if not spec.function_url else "the URL is not public"
            steps.append(
                Step(kind="permission", key=sid, action="delete", resource=resource, detail=reason)
            )
        elif public:
            steps.append(Step(kind="permission", key=sid, action="unchanged", resource=resource))
    return steps


def _api_steps(spec: DeploySpec, observed: Observed) -> list[Step]:
    if not spec.http_api:
        return []
    steps = []
    api, integration = observed.api, observed.integration
    name = f"HTTP API {spec.api_name}"
    if api is None:
        steps.append(Step(kind="api", action="create", resource=name))
    else:
        steps.append(Step(kind="api", action="unchanged", resource=name, detail=api["ApiId"]))

    wanted = f"AWS_PROXY, payload 2.0 -> alias {spec.alias}"
    if integration is None:
        steps.append(
            Step(kind="integration", action="create", resource="integration", detail=wanted)
        )
    elif (
        integration.get("IntegrationUri") != spec.alias_arn()
        or integration.get("PayloadFormatVersion") != "2.0"
        or integration.get("IntegrationType") != "AWS_PROXY"
    ):
        steps.append(
            Step(kind="integration", action="update", resource="integration", detail=wanted)
        )
    else:
        steps.append(Step(kind="integration", action="unchanged", resource="integration"))

    route = observed.route
    if route is None:
        steps.append(Step(kind="route", action="create", resource="route $default"))
    elif (
        integration is None or route.get("Target") != f"integrations/{integration['IntegrationId']}"
    ):
        steps.append(
            Step(kind="route", action="update", resource="route $default", detail="target")
        )
    else:
        steps.append(Step(kind="route", action="unchanged", resource="route $default"))

    stage = observed.stage
    if stage is None:
        steps.append(
            Step(kind="stage", action="create", resource="stage $default", detail="auto-deploy")
        )
    elif not stage.get("AutoDeploy"):
        steps.append(
            Step(kind="stage", action="update", resource="stage $default", detail="auto-deploy")
        )
    else:
        steps.append(Step(kind="stage", action="unchanged", resource="stage $default"))

    statement = observed.permissions.get(API_PERMISSION_SID)
    resource = f"permission {API_PERMISSION_SID}"
    if statement is None:
        action: Action = "create"
    elif api is None or statement_source_arn(statement) != spec.api_source_arn(api["ApiId"]):
        action = "update"
    else:
        action = "unchanged"
    detail = "" if action == "unchanged" else "the API may invoke the alias"
    steps.append(
        Step(
            kind="permission",
            key=API_PERMISSION_SID,
            action=action,
            resource=resource,
            detail=detail,
        )
    )
    return steps


def statement_source_arn(statement: Mapping[str, Any]) -> str | None:
    arn = statement.get("Condition", {}).get("ArnLike", {}).get("AWS:SourceArn")
    return arn if isinstance(arn, str) else None


def plan(spec: DeploySpec, observed: Observed) -> list[Step]:
    function_steps, function_changed = _function_steps(spec.function, observed)
    return [
        *function_steps,
        *_alias_steps(spec, observed, function_changed),
        *_url_steps(spec, observed),
        *_api_steps(spec, observed),
    ]
