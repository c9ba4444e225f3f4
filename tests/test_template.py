"""template.yaml is what the tools that consume it accept, and deploys what README says.

Checked offline by the real tools: cfn-lint; the SAM translator (the code behind
``sam deploy``'s transform) on the template as ``sam package`` rewrites it; ``sam validate
--lint`` where the SAM CLI is installed; and every ``Handler`` imported and invoked the way
the Lambda Python runtime does it, with the function's environment and its CodeUri.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cfnlint.api import ManualArgs, lint_file
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

from examples.fastapi_app.app import app as fastapi_app
from examples.flask_app.app import app as flask_app
from lambgate.entry import load_app
from tests.factories import make_function_url_event, make_http_v2_event, make_rest_event

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"
ARTIFACT_BUCKET = "lambgate-artifacts-123456789012"
ARTIFACT_KEY = "9b7a3f0e4c1d2e5f6a7b8c9d0e1f2a3b"  # sam package names the zip by its MD5

FUNCTION_APPS = {
    "FlaskFunction": "examples.flask_app.app:app",
    "FastApiFunction": "examples.fastapi_app.app:app",
}


def read_template() -> dict[str, Any]:
    """The template as the SAM CLI reads it (short-form intrinsics such as ``!Ref``)."""
    document: dict[str, Any] = yaml_parse(TEMPLATE_PATH.read_text())
    return document


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each AWS::Serverless::Function's properties with ``Globals.Function`` merged in."""
    defaults = (template.get("Globals") or {}).get("Function") or {}
    return {
        name: {**defaults, **resource.get("Properties", {})}
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def packaged(template: dict[str, Any]) -> dict[str, Any]:
    """A copy with every local ``CodeUri`` replaced by the S3 object ``sam package`` uploads.
    https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-cli-command-reference-sam-package.html
    """
    result = copy.deepcopy(template)
    for resource in result["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            code_uri = resource["Properties"]["CodeUri"]
            assert isinstance(code_uri, str) and not code_uri.startswith("s3://")
            resource["Properties"]["CodeUri"] = f"s3://{ARTIFACT_BUCKET}/{ARTIFACT_KEY}"
    return result


class FixedManagedPolicies:
    """The translator's managed-policy loader, without its IAM ListPolicies call: the
    template names no managed policy, so an empty map must be enough."""

    def load(self) -> dict[str, str]:
        return {}


@pytest.fixture
def offline_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A region for the translator's boto3 session and no profile or credentials to find."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))


@pytest.fixture
def deployed(offline_aws: None) -> dict[str, Any]:
    """The CloudFormation template the SAM transform makes of the packaged template."""
    output: dict[str, Any] = transform(packaged(read_template()), {}, FixedManagedPolicies())
    return output


def of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


# ----------------------------------------------------------------------------- the linters


def test_cfn_lint_finds_nothing() -> None:
    # Informational rules too, except I4010, which asks for AI-oriented "Context" metadata.
    config = ManualArgs(
        regions=["us-east-1", "eu-west-1"], include_checks=["I"], ignore_checks=["I4010"]
    )
    assert [str(match) for match in lint_file(TEMPLATE_PATH, config=config)] == []


@pytest.mark.skipif(shutil.which("sam") is None, reason="SAM CLI (sam) is not installed")
def test_sam_validate_lint_accepts_the_template(tmp_path: Path) -> None:
    proc = subprocess.run(
        ["sam", "validate", "--lint", "--template", str(TEMPLATE_PATH), "--region", "us-east-1"],
        cwd=ROOT,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "is a valid SAM Template" in proc.stdout + proc.stderr


# ------------------------------------------------------------------------ the SAM transform


@pytest.mark.usefixtures("offline_aws")
def test_transform_refuses_the_unpackaged_template() -> None:
    """CloudFormation cannot read a local directory: ``sam build``/``sam package`` (or
    ``sam deploy``, which packages) must upload the code first. This is why README's recipe
    never hands template.yaml to CloudFormation directly."""
    with pytest.raises(InvalidDocumentException) as raised:
        transform(read_template(), {}, FixedManagedPolicies())
    messages = [str(cause) for cause in raised.value.causes]
    assert len(messages) == len(FUNCTION_APPS)
    assert all("'CodeUri' is not a valid S3 Uri" in message for message in messages)


def test_functions_run_handler_lambda_handler_with_their_app(deployed: dict[str, Any]) -> None:
    lambdas = of_type(deployed, "AWS::Lambda::Function")
    assert {
        name: (
            props["Handler"],
            props["Runtime"],
            props["Environment"]["Variables"]["LAMBGATE_APP"],
            props["Code"],
            props["Architectures"],
            props["Role"],
        )
        for name, props in lambdas.items()
    } == {
        name: (
            "lambgate.lambda_handler",
            "python3.12",
            app,
            {"S3Bucket": ARTIFACT_BUCKET, "S3Key": ARTIFACT_KEY},
            ["arm64"],
            {"Fn::GetAtt": [name.removesuffix("Function") + "Role", "Arn"]},
        )
        for name, app in FUNCTION_APPS.items()
    }
    # Under API Gateway's integration timeouts (29 s REST, 30 s HTTP API), so the app's own
    # 504 is what a client sees rather than the gateway's.
    assert all(0 < props["Timeout"] < 29 for props in lambdas.values())
    assert all(props["MemorySize"] >= 256 for props in lambdas.values())


def test_http_api_sends_every_request_to_fastapi_with_payload_2(
    deployed: dict[str, Any],
) -> None:
    (api,) = (
        props
        for props in of_type(deployed, "AWS::ApiGatewayV2::Api").values()
        if props.get("ProtocolType") != "WEBSOCKET"
    )
    assert list(api["Body"]["paths"]) == ["/$default"]
    route = api["Body"]["paths"]["/$default"]["x-amazon-apigateway-any-method"]
    integration = route["x-amazon-apigateway-integration"]
    assert (integration["type"], integration["payloadFormatVersion"]) == ("aws_proxy", "2.0")
    assert "${FastApiFunction.Arn}" in integration["uri"]["Fn::Sub"]
    (stage,) = (
        props
        for props in of_type(deployed, "AWS::ApiGatewayV2::Stage").values()
        if props["ApiId"] == {"Ref": "HttpApi"}
    )
    # $default serves the API's root URL with no stage prefix, deployed on every change.
    assert (stage["StageName"], stage["AutoDeploy"]) == ("$default", True)


def test_websocket_api_sends_every_route_to_fastapi(deployed: dict[str, Any]) -> None:
    """Each route a Lambda proxy integration of the FastAPI function, whose WebSocket route
    the messages reach; ``$request.body.action`` picks ``nick``, anything else ``$default``."""
    (api,) = (
        props
        for props in of_type(deployed, "AWS::ApiGatewayV2::Api").values()
        if props.get("ProtocolType") == "WEBSOCKET"
    )
    assert api["RouteSelectionExpression"] == "$request.body.action"
    routes = {
        props["RouteKey"]: props["Target"]["Fn::Join"][1][1]["Ref"]
        for props in of_type(deployed, "AWS::ApiGatewayV2::Route").values()
    }
    assert sorted(routes) == ["$connect", "$default", "$disconnect", "nick"]
    integrations = of_type(deployed, "AWS::ApiGatewayV2::Integration")
    for integration_id in routes.values():
        integration = integrations[integration_id]
        assert integration["IntegrationType"] == "AWS_PROXY"
        assert integration["IntegrationUri"]["Fn::Sub"][1] == {
            "FunctionArn": {"Fn::GetAtt": ["FastApiFunction", "Arn"]}
        }
    (stage,) = (
        props
        for props in of_type(deployed, "AWS::ApiGatewayV2::Stage").values()
        if props["ApiId"] == {"Ref": "ChatApi"}
    )
    assert (stage["StageName"], stage["AutoDeploy"]) == ("chat", True)


def test_rest_api_proxies_everything_to_flask_with_binary_types(
    deployed: dict[str, Any],
) -> None:
    (api,) = of_type(deployed, "AWS::ApiGateway::RestApi").values()
    # "~1" stands for "/" in these (SAM's AWS::Serverless::Api BinaryMediaTypes).
    # */*: API Gateway converts a base64 result to binary only when the request's *first*
    # Accept type is listed, and browsers lead with types such as image/avif.
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/lambda-proxy-binary-media.html
    assert {"image~1png", "multipart~1form-data", "*~1*"} <= set(api["BinaryMediaTypes"])
    paths = api["Body"]["paths"]
    assert sorted(paths) == ["/", "/{proxy+}"]
    for path in paths.values():
        integration = path["x-amazon-apigateway-any-method"]["x-amazon-apigateway-integration"]
        assert integration["type"] == "aws_proxy"
        assert "${FlaskFunction.Arn}" in integration["uri"]["Fn::Sub"]


def test_rest_api_has_exactly_the_named_stage(deployed: dict[str, Any]) -> None:
    """Without ``OpenApiVersion`` SAM's deployment also creates a stage called "Stage"
    (aws/serverless-application-model#191); with it, only the named stage exists."""
    (stage,) = of_type(deployed, "AWS::ApiGateway::Stage").values()
    assert stage["StageName"] == {"Ref": "StageName"}
    assert read_template()["Parameters"]["StageName"]["Default"] == "prod"
    (deployment,) = of_type(deployed, "AWS::ApiGateway::Deployment").values()
    assert "StageName" not in deployment


def test_gateways_may_invoke_only_their_own_function(deployed: dict[str, Any]) -> None:
    grants = sorted(
        (props["FunctionName"]["Ref"], props["SourceArn"]["Fn::Sub"][1]["__ApiId__"]["Ref"])
        for props in of_type(deployed, "AWS::Lambda::Permission").values()
        if props["Principal"] == "apigateway.amazonaws.com" and "Ref" in props["FunctionName"]
    )
    assert grants == [
        ("FastApiFunction", "HttpApi"),
        ("FlaskFunction", "RestApi"),  # ANY /
        ("FlaskFunction", "RestApi"),  # ANY /{proxy+}
    ]
    # SAM's WebSocketApi grants each route on its own stage: the API's own ARN, route by route.
    websocket_grants = sorted(
        (props["FunctionName"]["Fn::GetAtt"][0], props["SourceArn"]["Fn::Sub"])
        for props in of_type(deployed, "AWS::Lambda::Permission").values()
        if "Fn::GetAtt" in props["FunctionName"]
    )
    arn = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${ChatApi.ApiId}"
    assert websocket_grants == [
        ("FastApiFunction", f"{arn}/chat/{route}")
        for route in ("$connect", "$default", "$disconnect", "nick")
    ]


def test_function_urls_are_public_with_both_permissions(deployed: dict[str, Any]) -> None:
    """AuthType NONE still needs a resource policy granting the public access, and since
    October 2025 both lambda:InvokeFunctionUrl and lambda:InvokeFunction.
    https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"""
    urls = sorted(
        of_type(deployed, "AWS::Lambda::Url").values(),
        key=lambda url: str(url["TargetFunctionArn"]),
    )
    assert urls == [
        # The FastAPI app's URL streams (README.md, "Streaming").
        {
            "TargetFunctionArn": {"Ref": "FastApiFunction"},
            "AuthType": "NONE",
            "InvokeMode": "RESPONSE_STREAM",
        },
        {"TargetFunctionArn": {"Ref": "FlaskFunction"}, "AuthType": "NONE"},
    ]
    public = sorted(
        (
            props["FunctionName"]["Ref"],
            props["Action"],
            props.get("FunctionUrlAuthType"),
            props.get("InvokedViaFunctionUrl", False),
        )
        for props in of_type(deployed, "AWS::Lambda::Permission").values()
        if props["Principal"] == "*"
    )
    assert public == [
        (function, "lambda:InvokeFunction", None, True)
        if action == "invoke"
        else (function, "lambda:InvokeFunctionUrl", "NONE", False)
        for function in ("FastApiFunction", "FlaskFunction")
        for action in ("invoke", "url")
    ]


def test_the_streaming_function_runs_lambgates_streaming_wrapper(
    deployed: dict[str, Any],
) -> None:
    variables = of_type(deployed, "AWS::Lambda::Function")["FastApiFunction"]["Environment"][
        "Variables"
    ]
    assert variables["AWS_LAMBDA_EXEC_WRAPPER"] == "/var/task/lambgate/streaming/exec-wrapper"


def test_roles_may_only_write_their_own_function_logs(deployed: dict[str, Any]) -> None:
    roles = of_type(deployed, "AWS::IAM::Role")
    assert sorted(roles) == ["FastApiRole", "FlaskRole"]
    for role in roles.values():
        assert role["AssumeRolePolicyDocument"]["Statement"] == [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ]
        # No managed policies (not even AWSLambdaBasicExecutionRole, which allows logging to
        # any group) and nothing inline: the RolePolicy resources below are all they get.
        assert "ManagedPolicyArns" not in role and "Policies" not in role
    assert not of_type(deployed, "AWS::IAM::Policy")
    assert not of_type(deployed, "AWS::IAM::ManagedPolicy")
    granted = {
        (props["RoleName"]["Ref"], props["PolicyName"]): props["PolicyDocument"]["Statement"]
        for props in of_type(deployed, "AWS::IAM::RolePolicy").values()
    }
    assert granted == {
        (f"{app}Role", "write-own-logs"): [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": {"Fn::GetAtt": [f"{app}LogGroup", "Arn"]},
            }
        ]
        for app in ("Flask", "FastApi")
    } | {
        # The chat's sends: post_to_connection (and delete/get) on its own API's stage only.
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-control-access-iam.html
        ("FastApiRole", "manage-chat-connections"): [
            {
                "Effect": "Allow",
                "Action": ["execute-api:ManageConnections"],
                "Resource": {
                    "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:"
                    "${AWS::AccountId}:${ChatApi}/chat/*/@connections/*"
                },
            }
        ]
    }


def test_each_function_logs_to_a_group_with_retention(deployed: dict[str, Any]) -> None:
    """Lambda writes to ``/aws/lambda/<function name>``; a group made by Lambda itself never
    expires, so the template makes that group, with a retention.
    https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html"""
    groups = {
        props["LogGroupName"]["Fn::Sub"]: props["RetentionInDays"]
        for props in of_type(deployed, "AWS::Logs::LogGroup").values()
    }
    assert groups == {
        f"/aws/lambda/${{{name}}}": {"Ref": "LogRetentionInDays"} for name in FUNCTION_APPS
    }
    retention = read_template()["Parameters"]["LogRetentionInDays"]
    assert retention["Default"] in retention["AllowedValues"]


def test_outputs_give_each_url(deployed: dict[str, Any]) -> None:
    outputs = {name: output["Value"] for name, output in deployed["Outputs"].items()}
    assert outputs["HttpApiUrl"] == {
        "Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/"
    }
    assert outputs["RestApiUrl"] == {
        "Fn::Sub": "https://${RestApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${StageName}/"
    }
    assert outputs["FlaskFunctionUrl"] == {"Fn::GetAtt": ["FlaskFunctionUrl", "FunctionUrl"]}
    assert outputs["ChatApiUrl"] == {
        "Fn::Sub": "wss://${ChatApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/chat"
    }
    # Whatever an output names must exist after the transform.
    assert {"HttpApi", "RestApi", "FlaskFunctionUrl", "ChatApi"} <= set(deployed["Resources"])


# ----------------------------------------------------------------------- handlers resolve

#: What the Lambda Python runtime does with ``Handler``: the code directory first on
#: sys.path, ``module.attr`` split at the last dot, the attribute called with the event.
#: https://docs.aws.amazon.com/lambda/latest/dg/python-handler.html
RUNTIME_SCRIPT = """
import importlib, json, os, sys
sys.path.insert(0, os.getcwd())
module_name, _, attr = os.environ["_HANDLER"].rpartition(".")
function = getattr(importlib.import_module(module_name), attr)
app_module = os.environ["LAMBGATE_APP"].partition(":")[0]
result = function(json.load(sys.stdin), None)
files = [sys.modules[module_name].__file__, sys.modules[app_module].__file__]
print(json.dumps({"result": result, "files": files}))
"""


def test_every_function_app_loads() -> None:
    loaded = {
        name: load_app(props["Environment"]["Variables"]["LAMBGATE_APP"])
        for name, props in functions(read_template()).items()
    }
    assert loaded == {"FlaskFunction": flask_app, "FastApiFunction": fastapi_app}


@pytest.mark.parametrize("function", sorted(FUNCTION_APPS))
def test_handler_is_importable_and_serves_from_its_code_uri(function: str) -> None:
    props = functions(read_template())[function]
    code_dir = (TEMPLATE_PATH.parent / props["CodeUri"]).resolve()
    events = {event["Type"] for event in props.get("Events", {}).values()}
    if "Api" in events:
        event = make_rest_event(path="/")
    elif "HttpApi" in events:
        event = make_http_v2_event(path="/")
    else:
        event = make_function_url_event(path="/")
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LAMBGATE_")},
        **props["Environment"]["Variables"],
        "_HANDLER": props["Handler"],
    }
    proc = subprocess.run(
        [sys.executable, "-c", RUNTIME_SCRIPT],
        cwd=code_dir,
        env=environment,
        input=json.dumps(event),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    served = json.loads(proc.stdout)
    assert served["result"]["statusCode"] == 200
    assert json.loads(served["result"]["body"])["message"].startswith("hello from")
    # The app ships from the function's CodeUri (lambgate comes with the build: the Makefile).
    assert Path(served["files"][1]).resolve().is_relative_to(code_dir)


# ------------------------------------------------------------------------------ pipelines


def deploy_commands() -> list[str]:
    """The shell commands of README's Deploy section, continuation lines joined."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Deploy\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [line for block in blocks for line in block.replace("\\\n", " ").splitlines()]


def test_ci_runs_readme_tests_and_the_deploy_build_on_python_312() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    runs = [step["run"] for step in steps if "run" in step]
    pythons = [
        step["with"]["python-version"] for step in steps if "setup-python" in step.get("uses", "")
    ]
    assert pythons == ["3.12"], "the functions' runtime is python3.12; sam build needs it"
    readme = (ROOT / "README.md").read_text()
    test_command = re.search(r"```sh\n.*?\n(.*?)\n```", readme, re.S)
    assert test_command is not None and test_command.group(1) in runs
    sam_build = deploy_commands()[0].split(" && ")[0]
    assert f". .venv/bin/activate && {sam_build}" in runs, "sam build runs python3 -m lambgate"


def test_sam_build_packs_each_apps_requirements() -> None:
    (default,) = re.findall(r"^REQUIREMENTS \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    manifest = ROOT / default
    included = [
        (manifest.parent / line.removeprefix("-r").strip()).resolve()
        for line in manifest.read_text().splitlines()
        if line.startswith("-r")
    ]
    assert included == [
        ROOT / "examples/flask_app/requirements.txt",
        ROOT / "examples/fastapi_app/requirements.txt",
    ]
    assert all(path.is_file() for path in included)
