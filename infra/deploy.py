"""``lambgate deploy``: ship a zip built by ``lambgate package`` to Lambda with boto3.

It reads what exists, plans (``lambgate.deploy.deploy_plan``), prints the plan, and applies only the
changes: create or update the function and wait until Lambda has applied them, publish a
version, point an alias at it, and put a Function URL and/or an HTTP API in front of the
alias. Run twice with the same zip, the second run changes nothing. ``--dry-run`` stops
after the plan and only ever reads.

AWS settings come from where every AWS tool reads them: ``--profile``/``AWS_PROFILE``,
``--region``/``AWS_REGION``/``AWS_DEFAULT_REGION``/the profile, and ``AWS_ENDPOINT_URL``
(botocore's own support) for emulators such as moto.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .aws_errors import DeployError, error_code, explain, retry_config, with_backoff
from .dependencies import ARCHITECTURES, PYTHON_VERSIONS
from .deploy_plan import (
    API_PERMISSION_SID,
    URL_INVOKE_PERMISSION_SID,
    URL_PERMISSION_SID,
    DeploySpec,
    FunctionSpec,
    Observed,
    Step,
    plan,
)
from .package import LAMBDA_ZIPPED_LIMIT

__all__ = ["Deployer", "add_arguments", "run"]

NOT_FOUND_CODES = frozenset({"ResourceNotFoundException", "NotFoundException"})


def _missing_is_none(call: Callable[[], Mapping[str, Any]]) -> Mapping[str, Any] | None:
    try:
        return call()
    except Exception as error:
        if error_code(error) in NOT_FOUND_CODES:
            return None
        raise


@dataclass(kw_only=True)
class Live:
    """Identifiers learnt while applying: later steps need what earlier ones created."""

    version: str | None = None
    url: str | None = None
    api_id: str | None = None
    api_endpoint: str | None = None
    integration_id: str | None = None
    route_id: str | None = None


class Deployer:
    """Reads and changes one function and what fronts it, through boto3 clients."""

    def __init__(self, session: Any, spec: DeploySpec, code: bytes) -> None:
        config = retry_config()
        self.spec = spec
        self.code = code
        self.lambda_ = session.client("lambda", config=config)
        self.apigateway = session.client("apigatewayv2", config=config)
        self.live = Live()

    # -- reading ---------------------------------------------------------------------------

    def observe(self) -> Observed:
        lam, name, alias_name = self.lambda_, self.spec.function.name, self.spec.alias
        found = _missing_is_none(lambda: lam.get_function(FunctionName=name))
        function = found["Configuration"] if found is not None else None
        alias = alias_target = url = None
        permissions: dict[str, Mapping[str, Any]] = {}
        if function is not None:
            alias = _missing_is_none(lambda: lam.get_alias(FunctionName=name, Name=alias_name))
        if alias is not None:
            version = alias["FunctionVersion"]
            alias_target = lam.get_function_configuration(FunctionName=name, Qualifier=version)
            url = _missing_is_none(
                lambda: lam.get_function_url_config(FunctionName=name, Qualifier=alias_name)
            )
            policy = _missing_is_none(
                lambda: lam.get_policy(FunctionName=name, Qualifier=alias_name)
            )
            if policy is not None:
                statements = json.loads(policy["Policy"]).get("Statement", [])
                permissions = {statement["Sid"]: statement for statement in statements}
            self.live.version = version
            self.live.url = url.get("FunctionUrl") if url is not None else None
        api = self._observe_api() if self.spec.http_api else {}
        return Observed(
            function=function,
            alias=alias,
            alias_target=alias_target,
            url=url,
            permissions=permissions,
            api=api.get("api"),
            integration=api.get("integration"),
            route=api.get("route"),
            stage=api.get("stage"),
        )

    def _observe_api(self) -> dict[str, Mapping[str, Any] | None]:
        gateway = self.apigateway
        apis = [
            api
            for page in gateway.get_paginator("get_apis").paginate()
            for api in page.get("Items", [])
            if api.get("Name") == self.spec.api_name and api.get("ProtocolType") == "HTTP"
        ]
        if len(apis) > 1:
            ids = ", ".join(api["ApiId"] for api in apis)
            raise DeployError(
                f"several HTTP APIs are named {self.spec.api_name} ({ids}); "
                "delete the extras or choose another --api-name"
            )
        if not apis:
            return {"api": None, "integration": None, "route": None, "stage": None}
        api = apis[0]
        api_id = api["ApiId"]
        self.live.api_id, self.live.api_endpoint = api_id, api.get("ApiEndpoint")
        routes = [
            route
            for page in gateway.get_paginator("get_routes").paginate(ApiId=api_id)
            for route in page.get("Items", [])
            if route.get("RouteKey") == "$default"
        ]
        route = routes[0] if routes else None
        integration = None
        target = route.get("Target", "") if route is not None else ""
        if target.startswith("integrations/"):
            integration_id = target.removeprefix("integrations/")
            integration = _missing_is_none(
                lambda: gateway.get_integration(ApiId=api_id, IntegrationId=integration_id)
            )
        if integration is None:
            wanted = self.spec.alias_arn()
            integration = next(
                (
                    item
                    for page in gateway.get_paginator("get_integrations").paginate(ApiId=api_id)
                    for item in page.get("Items", [])
                    if item.get("IntegrationUri") == wanted
                ),
                None,
            )
        stage = _missing_is_none(lambda: gateway.get_stage(ApiId=api_id, StageName="$default"))
        self.live.integration_id = integration["IntegrationId"] if integration else None
        self.live.route_id = route["RouteId"] if route else None
        return {"api": api, "integration": integration, "route": route, "stage": stage}

    # -- changing --------------------------------------------------------------------------

    def apply(self, steps: list[Step], log: TextIO) -> None:
        for step in steps:
            if not step.changes:
                continue
            APPLY[step.kind](self, step)
            log.write(f"  {'done':<9} {step.resource}\n")

    def _wait(self, waiter_name: str) -> None:
        from botocore.exceptions import WaiterError  # type: ignore[import-untyped]

        try:
            self.lambda_.get_waiter(waiter_name).wait(FunctionName=self.spec.function.name)
        except WaiterError as error:
            configuration = (error.last_response or {}).get("Configuration", {})
            reason = configuration.get("StateReason") or configuration.get(
                "LastUpdateStatusReason", str(error)
            )
            raise DeployError(f"Lambda did not finish updating the function: {reason}") from error

    def _function(self, step: Step) -> None:
        function = self.spec.function
        settings = function.create_configuration()
        if "Role" not in settings:
            raise DeployError(
                f"function {function.name} does not exist yet: --role ROLE_ARN is needed to "
                "create it (an IAM role Lambda can assume, with AWSLambdaBasicExecutionRole)"
            )
        with_backoff(
            lambda: self.lambda_.create_function(
                FunctionName=function.name,
                Code={"ZipFile": self.code},
                Architectures=[function.create_architecture],
                PackageType="Zip",
                **settings,
            )
        )
        # A new function is Pending until Lambda has set it up:
        # https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html
        self._wait("function_active_v2")

    def _function_code(self, step: Step) -> None:
        function = self.spec.function
        # Without --arch the function keeps its architecture (Lambda's default for the call).
        architectures = (
            {} if function.architecture is None else {"Architectures": [function.architecture]}
        )
        with_backoff(
            lambda: self.lambda_.update_function_code(
                FunctionName=function.name, ZipFile=self.code, **architectures
            )
        )
        self._wait("function_updated_v2")

    def _function_configuration(self, step: Step) -> None:
        function = self.spec.function
        current = self.lambda_.get_function_configuration(FunctionName=function.name)
        with_backoff(
            lambda: self.lambda_.update_function_configuration(
                FunctionName=function.name, **function.configuration(current)
            )
        )
        self._wait("function_updated_v2")

    def _version(self, step: Step) -> None:
        # CodeSha256 makes Lambda refuse to publish code other than the zip just uploaded.
        published = with_backoff(
            lambda: self.lambda_.publish_version(
                FunctionName=self.spec.function.name, CodeSha256=self.spec.function.code_sha256
            )
        )
        self.live.version = published["Version"]

    def _alias(self, step: Step) -> None:
        call = self.lambda_.create_alias if step.action == "create" else self.lambda_.update_alias
        with_backoff(
            lambda: call(
                FunctionName=self.spec.function.name,
                Name=self.spec.alias,
                FunctionVersion=self.live.version,
            )
        )

    def _url(self, step: Step) -> None:
        lam = self.lambda_
        if step.action == "delete":
            with_backoff(
                lambda: lam.delete_function_url_config(
                    FunctionName=self.spec.function.name, Qualifier=self.spec.alias
                )
            )
            self.live.url = None
            return
        call = (
            lam.create_function_url_config
            if step.action == "create"
            else lam.update_function_url_config
        )
        answer = with_backoff(
            lambda: call(
                FunctionName=self.spec.function.name,
                Qualifier=self.spec.alias,
                AuthType=self.spec.url_auth,
            )
        )
        self.live.url = answer["FunctionUrl"]

    def _permission(self, step: Step) -> None:
        lam, name, alias = self.lambda_, self.spec.function.name, self.spec.alias
        if step.action in {"delete", "update"}:
            with_backoff(
                lambda: lam.remove_permission(
                    FunctionName=name, Qualifier=alias, StatementId=step.key
                )
            )
        if step.action == "delete":
            return
        grants: dict[str, dict[str, Any]] = {
            URL_PERMISSION_SID: {
                "Action": "lambda:InvokeFunctionUrl",
                "Principal": "*",
                "FunctionUrlAuthType": "NONE",
            },
            URL_INVOKE_PERMISSION_SID: {
                "Action": "lambda:InvokeFunction",
                "Principal": "*",
                "InvokedViaFunctionUrl": True,
            },
        }
        if step.key == API_PERMISSION_SID:
            grant: dict[str, Any] = {
                "Action": "lambda:InvokeFunction",
                "Principal": "apigateway.amazonaws.com",
                "SourceArn": self.spec.api_source_arn(self._api_id()),
            }
        else:
            grant = grants[step.key]
        with_backoff(
            lambda: lam.add_permission(
                FunctionName=name, Qualifier=alias, StatementId=step.key, **grant
            )
        )

    def _api_id(self) -> str:
        if self.live.api_id is None:
            raise AssertionError("the plan creates the API before what needs its id")
        return self.live.api_id

    def _api(self, step: Step) -> None:
        created = with_backoff(
            lambda: self.apigateway.create_api(
                Name=self.spec.api_name,
                ProtocolType="HTTP",
                Tags={"lambgate:function": self.spec.function.name},
            )
        )
        self.live.api_id, self.live.api_endpoint = created["ApiId"], created.get("ApiEndpoint")

    def _integration(self, step: Step) -> None:
        settings = {
            "ApiId": self._api_id(),
            "IntegrationType": "AWS_PROXY",
            "IntegrationUri": self.spec.alias_arn(),
            "PayloadFormatVersion": "2.0",
        }
        if step.action == "create":
            answer = with_backoff(lambda: self.apigateway.create_integration(**settings))
        else:
            answer = with_backoff(
                lambda: self.apigateway.update_integration(
                    IntegrationId=self.live.integration_id, **settings
                )
            )
        self.live.integration_id = answer["IntegrationId"]

    def _route(self, step: Step) -> None:
        target = f"integrations/{self.live.integration_id}"
        if step.action == "create":
            answer = with_backoff(
                lambda: self.apigateway.create_route(
                    ApiId=self._api_id(), RouteKey="$default", Target=target
                )
            )
            self.live.route_id = answer["RouteId"]
        else:
            with_backoff(
                lambda: self.apigateway.update_route(
                    ApiId=self._api_id(), RouteId=self.live.route_id, Target=target
                )
            )

    def _stage(self, step: Step) -> None:
        call = (
            self.apigateway.create_stage
            if step.action == "create"
            else self.apigateway.update_stage
        )
        with_backoff(lambda: call(ApiId=self._api_id(), StageName="$default", AutoDeploy=True))

    def urls(self) -> list[tuple[str, str]]:
        found = []
        if self.spec.function_url is not False and self.live.url:
            found.append(("Function URL", self.live.url))
        if self.spec.http_api and self.live.api_endpoint:
            # The $default stage serves at the API's root.
            found.append(("HTTP API", self.live.api_endpoint.rstrip("/") + "/"))
        return found


APPLY: dict[str, Callable[[Deployer, Step], None]] = {
    "function": Deployer._function,
    "function-code": Deployer._function_code,
    "function-configuration": Deployer._function_configuration,
    "version": Deployer._version,
    "alias": Deployer._alias,
    "url": Deployer._url,
    "permission": Deployer._permission,
    "api": Deployer._api,
    "integration": Deployer._integration,
    "route": Deployer._route,
    "stage": Deployer._stage,
}


def _environment_pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"an environment variable is NAME=VALUE, got {text!r}")
    return name, value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--function-name", required=True, help="the Lambda function's name")
    parser.add_argument(
        "--zip", type=Path, default=Path("lambda.zip"), help="zip from `lambgate package`"
    )
    parser.add_argument("--app", help="module:attr of the app; sets LAMBGATE_APP")
    parser.add_argument(
        "--handler", default="lambgate.lambda_handler", help="default lambgate.lambda_handler"
    )
    parser.add_argument("--role", help="execution role ARN (needed to create the function)")
    parser.add_argument(
        "--python",
        dest="python_version",
        choices=sorted(PYTHON_VERSIONS),
        help="Lambda Python runtime version (3.12 when creating, else unchanged)",
    )
    parser.add_argument(
        "--arch",
        dest="architecture",
        choices=sorted(ARCHITECTURES),
        help="architecture the zip was packaged for (x86_64 when creating, else unchanged)",
    )
    parser.add_argument("--memory", type=int, help="MB (512 when creating, else unchanged)")
    parser.add_argument("--timeout", type=int, help="seconds (30 when creating, else unchanged)")
    parser.add_argument(
        "--env",
        action="append",
        type=_environment_pair,
        default=[],
        metavar="NAME=VALUE",
        help="set an environment variable (repeatable); others are kept",
    )
    parser.add_argument("--alias", default="live", help="alias moved to the new version")
    parser.add_argument(
        "--function-url",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a Function URL on the alias; --no-function-url deletes it and its permissions; "
        "without either, an existing URL is left as it is",
    )
    parser.add_argument(
        "--url-auth",
        choices=["NONE", "AWS_IAM"],
        default="NONE",
        help="with --function-url: NONE (public, the default) or AWS_IAM",
    )
    parser.add_argument("--http-api", action="store_true", help="an HTTP API in front of the alias")
    parser.add_argument("--api-name", help="HTTP API name (default: the function name)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    parser.add_argument("--profile", help="AWS profile (default: AWS_PROFILE)")
    parser.add_argument("--region", help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION)")


def code_sha256(code: bytes) -> str:
    """Lambda's CodeSha256: the base64 of the zip's SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(code).digest()).decode("ascii")


def _read_zip(path: Path) -> bytes:
    if not path.is_file():
        raise DeployError(f"{path} does not exist: build it with `lambgate package -o {path}`")
    code = path.read_bytes()
    if len(code) > LAMBDA_ZIPPED_LIMIT:
        raise DeployError(
            f"{path} is {len(code)} bytes, past the {LAMBDA_ZIPPED_LIMIT} bytes Lambda accepts "
            "uploaded directly; deploy it from S3 (Terraform or SAM) instead"
        )
    return code


def _session(args: argparse.Namespace) -> Any:
    import boto3  # type: ignore[import-untyped]

    # botocore reads AWS_DEFAULT_REGION; the AWS CLI v2 and the SDKs also read AWS_REGION.
    region = args.region or os.environ.get("AWS_REGION") or None
    session = boto3.Session(profile_name=args.profile, region_name=region)
    if session.region_name is None:
        from botocore.exceptions import NoRegionError

        raise NoRegionError()
    return session


def _check_role(session: Any, role: str) -> str | None:
    """Fail early, with a clear message, when the role does not exist.

    Nothing the deploy does needs iam:GetRole (CreateFunction needs iam:PassRole:
    https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html), so a
    deployer without it is not stopped: the check is skipped, and a note (returned) says so.
    """
    name = role.rsplit("/", 1)[-1]
    if ":role/" not in role:
        raise DeployError(
            f"--role must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME), got {role}"
        )
    try:
        session.client("iam", config=retry_config()).get_role(RoleName=name)
    except Exception as error:
        code = error_code(error)
        if code == "NoSuchEntity":
            raise DeployError(
                f"the role {role} does not exist: create it (trust lambda.amazonaws.com) "
                "or pass the ARN of one that does"
            ) from error
        if code in {"AccessDenied", "AccessDeniedException"}:
            return f"not allowed iam:GetRole, so not checking that {role} exists; Lambda will"
        raise
    return None


def deploy(args: argparse.Namespace, out: TextIO) -> int:
    code = _read_zip(args.zip)
    session = _session(args)
    identity = session.client("sts", config=retry_config()).get_caller_identity()
    arn_parts = identity["Arn"].split(":")
    environment = dict(args.env)
    if args.app:
        environment["LAMBGATE_APP"] = args.app
    spec = DeploySpec(
        function=FunctionSpec(
            name=args.function_name,
            runtime=f"python{args.python_version}" if args.python_version else None,
            architecture=args.architecture,
            handler=args.handler,
            code_sha256=code_sha256(code),
            role=args.role,
            memory=args.memory,
            timeout=args.timeout,
            environment=environment,
        ),
        alias=args.alias,
        function_url=args.function_url,
        url_auth=args.url_auth,
        http_api=args.http_api,
        api_name=args.api_name or args.function_name,
        region=session.region_name,
        account=identity["Account"],
        partition=arn_parts[1],
    )
    note = _check_role(session, args.role) if args.role else None
    deployer = Deployer(session, spec, code)
    steps = plan(spec, deployer.observe())
    changes = [step for step in steps if step.changes]
    out.write(f"lambgate deploy: {spec.function.name} in {spec.region} (account {spec.account})\n")
    if note is not None:
        out.write(f"  note: {note}\n")
    for step in steps:
        out.write(f"  {step}\n")
    if args.dry_run:
        out.write(f"dry run: {len(changes)} change(s) planned, nothing was changed\n")
    elif not changes:
        out.write("nothing to change: everything is up to date\n")
    else:
        deployer.apply(steps, out)
        out.write(f"deployed: {len(changes)} change(s)\n")
    for label, url in deployer.urls():
        out.write(f"{label}: {url}\n")
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        import boto3  # noqa: F401  (what deploying needs; packaging does not)
        from botocore.exceptions import BotoCoreError, ClientError
    except ModuleNotFoundError as error:
        sys.stderr.write(
            f"lambgate deploy: error: deploying needs boto3 (no module named {error.name!r}): "
            "pip install boto3\n"
        )
        return 1
    try:
        return deploy(args, sys.stdout)
    except DeployError as error:
        message = str(error)
    except (BotoCoreError, ClientError) as error:
        message = explain(error)
    sys.stderr.write(f"lambgate deploy: error: {message}\n")
    return 1
