"""The Terraform module in infra/, checked offline by the tools that will consume it.

- python-hcl2 parses every ``.tf``: references resolve, variables and outputs are wired, the
  gateways reach the function the way AWS documents, and infra/examples/basic deploys what
  template.yaml deploys.
- ``terraform`` (where installed) checks formatting and evaluates every variable validation;
  ``terraform validate`` runs only where the aws provider is available without a registry.
- checkov scans the module in a venv of its own, and every check skipped in a ``.tf`` carries
  its reason and is still needed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
EXAMPLE = INFRA / "examples" / "basic"
TEMPLATE = ROOT / "template.yaml"

# Bump to rescan with a newer checkov; the venv is cached per version.
CHECKOV_VERSION = "3.3.30"

# terraform must not phone home or wait for input, whatever the machine's settings.
TERRAFORM_ENV = {
    **os.environ,
    "CHECKPOINT_DISABLE": "1",
    "TF_IN_AUTOMATION": "1",
    "TF_INPUT": "0",
}


# --------------------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Module:
    """One Terraform module directory, as python-hcl2 reads it."""

    path: Path
    variables: dict[str, dict[str, Any]]
    outputs: dict[str, dict[str, Any]]
    locals: dict[str, Any]
    resources: dict[str, dict[str, Any]]  # "aws_lambda_function.this" -> body
    data: dict[str, dict[str, Any]]  # "aws_iam_policy_document.function" -> body
    modules: dict[str, dict[str, Any]]
    text: str  # every file, comments included, for the skip-comment checks

    def resource(self, address: str) -> dict[str, Any]:
        assert address in self.resources, f"{self.path}: no resource {address}"
        return self.resources[address]


def _blocks_by_two_labels(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for entry in entries:
        for kind, named in entry.items():
            for name, body in named.items():
                address = f"{kind}.{name}"
                assert address not in found, f"{address} declared twice"
                found[address] = body
    return found


def _blocks_by_label(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for entry in entries:
        for name, body in entry.items():
            assert name not in found, f"{name} declared twice"
            found[name] = body
    return found


def load_module(path: Path) -> Module:
    options = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False)
    parts: dict[str, list[Any]] = {}
    texts = []
    for tf in sorted(path.glob("*.tf")):
        texts.append(tf.read_text())
        with tf.open() as handle:
            for key, value in hcl2.load(handle, serialization_options=options).items():
                parts.setdefault(key, []).extend(value)
    local_values: dict[str, Any] = {}
    for block in parts.get("locals", []):
        local_values.update({k: v for k, v in block.items() if k != "__is_block__"})
    return Module(
        path=path,
        variables=_blocks_by_label(parts.get("variable", [])),
        outputs=_blocks_by_label(parts.get("output", [])),
        locals=local_values,
        resources=_blocks_by_two_labels(parts.get("resource", [])),
        data=_blocks_by_two_labels(parts.get("data", [])),
        modules=_blocks_by_label(parts.get("module", [])),
        text="\n".join(texts),
    )


@pytest.fixture(scope="module")
def module() -> Module:
    return load_module(INFRA)


@pytest.fixture(scope="module")
def example() -> Module:
    return load_module(EXAMPLE)


def _expressions(value: Any) -> Iterator[str]:
    """Every string inside a parsed value: where references can hide."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _expressions(item)
    elif isinstance(value, list):
        for item in value:
            yield from _expressions(item)


def _references(value: Any, pattern: str) -> set[str]:
    return {m for text in _expressions(value) for m in re.findall(pattern, text)}


def _everything_but_variables(mod: Module) -> list[Any]:
    return [mod.outputs, mod.locals, mod.resources, mod.data, mod.modules]


def _single(value: Any) -> Any:
    """A nested block as python-hcl2 gives it (a one-element list) or a plain value."""
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def _default(mod: Module, variable: str) -> Any:
    return mod.variables[variable].get("default")


def _conditions(mod: Module, variable: str) -> list[str]:
    return [v["condition"] for v in mod.variables[variable].get("validation", [])]


# ----------------------------------------------------------------------- the module's own wiring


def test_every_tf_file_is_in_a_checked_module() -> None:
    assert {tf.parent for tf in INFRA.rglob("*.tf")} == {INFRA, EXAMPLE}


def test_every_variable_has_a_description_and_a_type(module: Module) -> None:
    missing = {
        name: [key for key in ("description", "type") if not body.get(key)]
        for name, body in module.variables.items()
    }
    assert {name: keys for name, keys in missing.items() if keys} == {}


def test_every_declared_variable_is_used_and_every_used_variable_is_declared(
    module: Module,
) -> None:
    used = _references(_everything_but_variables(module), r"\bvar\.(\w+)")
    assert used == set(module.variables)


def test_every_local_and_data_source_used_is_defined(module: Module) -> None:
    everything = _everything_but_variables(module)
    assert _references(everything, r"\blocal\.(\w+)") <= set(module.locals)
    assert {f"{k}.{n}" for k, n in _references(everything, r"\bdata\.(\w+)\.(\w+)")} <= set(
        module.data
    )


def test_every_resource_reference_points_at_a_declared_resource(module: Module) -> None:
    referenced = {
        f"{kind}.{name}"
        for kind, name in _references(
            _everything_but_variables(module), r"(?<![\w.])(aws_\w+)\.(\w+)"
        )
    }
    assert referenced - set(module.resources) == set()


def test_outputs_are_the_documented_ones_and_optional_ones_are_null_when_off(
    module: Module,
) -> None:
    assert set(module.outputs) == {
        "function_name",
        "function_arn",
        "role_arn",
        "http_api_url",
        "function_url",
        "rest_api_url",
        "websocket_api_url",
        "log_group_name",
    }
    for name, body in module.outputs.items():
        assert body.get("description"), f"output {name} has no description"
    # one() of an empty splat is null, of a one-element splat its value.
    assert module.outputs["http_api_url"]["value"] == (
        "${one(aws_apigatewayv2_stage.default[*].invoke_url)}"
    )
    assert module.outputs["function_url"]["value"] == (
        "${one(aws_lambda_function_url.this[*].function_url)}"
    )
    assert module.outputs["rest_api_url"]["value"] == (
        "${one(aws_api_gateway_stage.this[*].invoke_url)}"
    )
    assert module.outputs["websocket_api_url"]["value"] == (
        "${one(aws_apigatewayv2_stage.websocket[*].invoke_url)}"
    )


def test_versions_pin_terraform_and_the_aws_provider(module: Module) -> None:
    text = (INFRA / "versions.tf").read_text()
    terraform = hcl2.loads(
        text, serialization_options=hcl2.SerializationOptions(strip_string_quotes=True)
    )["terraform"][0]
    assert terraform["required_version"] == ">= 1.5"
    aws = terraform["required_providers"][0]["aws"]
    # 6.28 has invoked_via_function_url, which a public Function URL needs (function_url.tf).
    assert aws == {"source": "hashicorp/aws", "version": ">= 6.28, < 7.0"}


def test_function_runs_lambgate_from_the_zip(module: Module) -> None:
    function = module.resource("aws_lambda_function.this")
    assert function["function_name"] == "${var.name}"
    assert function["handler"] == "${var.handler}"
    assert _default(module, "handler") == "lambgate.lambda_handler"
    assert function["runtime"] == "${var.runtime}"
    assert _default(module, "runtime") == "python3.12"
    assert function["architectures"] == ["${var.architecture}"]
    assert function["filename"] == "${var.filename}"
    # Without source_code_hash a rebuilt zip with the same path is never uploaded.
    assert function["source_code_hash"] == "${filebase64sha256(var.filename)}"
    assert function["role"] == "${aws_iam_role.function.arn}"
    variables = _single(function["environment"])["variables"]
    # LAMBGATE_APP is merged last, so var.environment cannot override it.
    assert re.fullmatch(
        r"\$\{merge\(var\.environment, local\.streaming_environment, "
        r"\{LAMBGATE_APP = var\.app\}\)\}",
        variables,
    )


def test_role_may_only_write_to_its_own_log_group(module: Module) -> None:
    assume = _single(module.data["aws_iam_policy_document.assume_role"]["statement"])
    assert assume["actions"] == ["sts:AssumeRole"]
    assert _single(assume["principals"]) == {
        "type": "Service",
        "identifiers": ["lambda.amazonaws.com"],
        "__is_block__": True,
    }
    policy = module.data["aws_iam_policy_document.function"]
    write_logs = _single(policy["statement"])
    assert write_logs["actions"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert write_logs["resources"] == ["${aws_cloudwatch_log_group.function.arn}:*"]
    # The only other statement: kms:Decrypt on the caller's own key, and only if given one.
    kms = _single(policy["dynamic"])["statement"]
    assert kms["for_each"] == "${var.kms_key_arn == null ? [] : [var.kms_key_arn]}"
    assert _single(kms["content"])["actions"] == ["kms:Decrypt"]
    attached = module.resource("aws_iam_role_policy.function")
    assert attached["policy"] == "${data.aws_iam_policy_document.function.json}"
    # No managed policies: AWSLambdaBasicExecutionRole would allow every log group.
    assert "aws_iam_role_policy_attachment" not in module.text


def test_log_group_is_the_one_lambda_writes_to(module: Module) -> None:
    group = module.resource("aws_cloudwatch_log_group.function")
    assert group["name"] == "${local.log_group_name}"
    # https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
    assert module.locals["log_group_name"] == "/aws/lambda/${var.name}"
    assert group["retention_in_days"] == "${var.log_retention_in_days}"
    function = module.resource("aws_lambda_function.this")
    assert "aws_cloudwatch_log_group.function" in str(function["depends_on"])


def test_http_api_proxies_everything_with_payload_2(module: Module) -> None:
    api = module.resource("aws_apigatewayv2_api.http")
    assert api["protocol_type"] == "HTTP"
    integration = module.resource("aws_apigatewayv2_integration.lambda")
    assert integration["integration_type"] == "AWS_PROXY"
    assert integration["payload_format_version"] == "2.0"
    assert integration["integration_uri"] == "${aws_lambda_function.this.invoke_arn}"
    route = module.resource("aws_apigatewayv2_route.default")
    assert route["route_key"] == "$default"
    assert route["target"] == "integrations/${aws_apigatewayv2_integration.lambda[0].id}"
    stage = module.resource("aws_apigatewayv2_stage.default")
    assert (stage["name"], stage["auto_deploy"]) == ("$default", True)
    for body in (api, integration, route, stage):
        assert body["count"] == "${local.http_api_count}"
    assert module.locals["http_api_count"] == "${var.http_api ? 1 : 0}"


def test_gateways_may_invoke_the_function_from_their_own_api_only(module: Module) -> None:
    for address, api in [
        ("aws_lambda_permission.http_api", "aws_apigatewayv2_api.http[0]"),
        ("aws_lambda_permission.rest_api", "aws_api_gateway_rest_api.this[0]"),
        ("aws_lambda_permission.websocket_api", "aws_apigatewayv2_api.websocket[0]"),
    ]:
        permission = module.resource(address)
        assert {k: v for k, v in permission.items() if k not in ("count", "statement_id")} == {
            "action": "lambda:InvokeFunction",
            "function_name": "${aws_lambda_function.this.function_name}",
            "principal": "apigateway.amazonaws.com",
            # Without source_arn any API in any account could invoke the function.
            "source_arn": f"${{{api}.execution_arn}}/*",
            "__is_block__": True,
        }


def test_function_url_is_optional_and_public_only_through_the_url(module: Module) -> None:
    url = module.resource("aws_lambda_function_url.this")
    assert url["count"] == "${var.function_url ? 1 : 0}"
    assert url["authorization_type"] == "${var.function_url_auth_type}"
    assert _default(module, "function_url") is False
    assert module.locals["function_url_public"] == (
        '${var.function_url && var.function_url_auth_type == "NONE"}'
    )
    # https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html#urls-auth-none
    public = {
        k: v
        for k, v in module.resource("aws_lambda_permission.function_url_public").items()
        if k != "statement_id"
    }
    assert public == {
        "count": "${local.function_url_public ? 1 : 0}",
        "action": "lambda:InvokeFunctionUrl",
        "function_name": "${aws_lambda_function.this.function_name}",
        "principal": "*",
        "function_url_auth_type": "NONE",
        "__is_block__": True,
    }
    invoke = {
        k: v
        for k, v in module.resource("aws_lambda_permission.function_url_public_invoke").items()
        if k != "statement_id"
    }
    assert invoke == {
        "count": "${local.function_url_public ? 1 : 0}",
        "action": "lambda:InvokeFunction",
        "function_name": "${aws_lambda_function.this.function_name}",
        "principal": "*",
        # Without it, anyone could call the Invoke API on the function directly.
        "invoked_via_function_url": True,
        "__is_block__": True,
    }


def test_a_streaming_function_url_sets_the_wrapper_lambgate_streams_through(
    module: Module,
) -> None:
    url = module.resource("aws_lambda_function_url.this")
    assert url["invoke_mode"] == "${var.function_url_invoke_mode}"
    assert _default(module, "function_url_invoke_mode") == "BUFFERED"
    assert module.locals["function_url_streams"] == (
        '${var.function_url && var.function_url_invoke_mode == "RESPONSE_STREAM"}'
    )
    # README.md, "Streaming": the one setting a streaming function needs.
    wrapper = "/var/task/lambgate/streaming/exec-wrapper"
    assert wrapper in module.locals["streaming_environment"]
    assert "AWS_LAMBDA_EXEC_WRAPPER" in module.locals["streaming_environment"]


def test_rest_api_proxies_root_and_every_path(module: Module) -> None:
    api = module.resource("aws_api_gateway_rest_api.this")
    assert api["count"] == "${local.rest_api_count}"
    assert module.locals["rest_api_count"] == "${var.rest_api ? 1 : 0}"
    assert _default(module, "rest_api") is False
    assert api["binary_media_types"] == "${var.binary_media_types}"
    assert module.resource("aws_api_gateway_resource.proxy")["path_part"] == "{proxy+}"
    for name in ("root", "proxy"):
        method = module.resource(f"aws_api_gateway_method.{name}")
        assert method["http_method"] == "ANY"
        integration = module.resource(f"aws_api_gateway_integration.{name}")
        assert integration["type"] == "AWS_PROXY"
        # Lambda is always invoked with POST, whatever the client sent.
        assert integration["integration_http_method"] == "POST"
        assert integration["uri"] == "${aws_lambda_function.this.invoke_arn}"
        assert integration["http_method"] == f"${{aws_api_gateway_method.{name}[0].http_method}}"
    root_method = module.resource("aws_api_gateway_method.root")
    assert root_method["resource_id"] == "${aws_api_gateway_rest_api.this[0].root_resource_id}"
    stage = module.resource("aws_api_gateway_stage.this")
    assert stage["stage_name"] == "${var.rest_api_stage_name}"
    assert stage["deployment_id"] == "${aws_api_gateway_deployment.this[0].id}"
    # A deployment is a snapshot: it must be retaken when an integration changes.
    triggers = module.resource("aws_api_gateway_deployment.this")["triggers"]["redeployment"]
    for name in ("root", "proxy"):
        assert f"aws_api_gateway_integration.{name}[0].id" in triggers
        assert f"aws_api_gateway_method.{name}[0].id" in triggers


def test_websocket_api_is_optional_and_sends_every_route_to_the_function(
    module: Module,
) -> None:
    assert _default(module, "websocket_api") is False
    assert module.locals["websocket_api_count"] == "${var.websocket_api ? 1 : 0}"
    api = module.resource("aws_apigatewayv2_api.websocket")
    assert api["protocol_type"] == "WEBSOCKET"
    assert api["route_selection_expression"] == "${var.websocket_route_selection_expression}"
    assert _default(module, "websocket_route_selection_expression") == "$request.body.action"
    integration = module.resource("aws_apigatewayv2_integration.websocket")
    assert integration["integration_type"] == "AWS_PROXY"
    assert integration["integration_uri"] == "${aws_lambda_function.this.invoke_arn}"
    # A WebSocket API's integrations may take 50 ms to 29 s.
    assert integration["timeout_milliseconds"] == 29000
    # $connect, $disconnect and $default, then the app's own keys; no routes when off.
    assert module.locals["websocket_route_keys"] == (
        '${var.websocket_api ? toset(concat(["$connect", "$disconnect", "$default"], '
        "var.websocket_route_keys)) : toset([])}"
    )
    route = module.resource("aws_apigatewayv2_route.websocket")
    assert route["for_each"] == "${local.websocket_route_keys}"
    assert route["target"] == "integrations/${aws_apigatewayv2_integration.websocket[0].id}"
    stage = module.resource("aws_apigatewayv2_stage.websocket")
    assert (stage["name"], stage["auto_deploy"]) == ("${var.websocket_api_stage_name}", True)
    for body in (api, integration, stage, module.resource("aws_lambda_permission.websocket_api")):
        assert body["count"] == "${local.websocket_api_count}"


def test_role_may_manage_only_its_own_websocket_stages_connections(module: Module) -> None:
    """post_to_connection (an ASGI app's websocket.send through lambgate), delete_connection
    and get_connection need execute-api:ManageConnections on the stage's @connections.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-control-access-iam.html"""
    document = module.data["aws_iam_policy_document.manage_connections"]
    assert document["count"] == "${local.websocket_api_count}"
    statement = _single(document["statement"])
    assert statement["actions"] == ["execute-api:ManageConnections"]
    assert statement["resources"] == [
        "${aws_apigatewayv2_stage.websocket[0].execution_arn}/*/@connections/*"
    ]
    attached = module.resource("aws_iam_role_policy.manage_connections")
    assert attached["count"] == "${local.websocket_api_count}"
    assert attached["role"] == "${aws_iam_role.function.id}"
    assert attached["policy"] == "${data.aws_iam_policy_document.manage_connections[0].json}"


# ----------------------------------------------------------------------- the example root module


def test_example_passes_only_declared_variables_and_every_required_one(
    module: Module, example: Module
) -> None:
    required = {name for name, body in module.variables.items() if "default" not in body}
    assert example.modules, "infra/examples/basic uses the module"
    for name, call in example.modules.items():
        assert call["source"] == "../.."
        arguments = set(call) - {"source", "__is_block__"}
        assert arguments - set(module.variables) == set(), name
        assert required - arguments == set(), name


def test_example_outputs_name_existing_module_outputs(module: Module, example: Module) -> None:
    used = _references(example.outputs, r"\bmodule\.(\w+)\.(\w+)")
    assert used
    for call, output in used:
        assert call in example.modules
        assert output in module.outputs


# --------------------------------------------------------------------- parity with template.yaml


class _CloudFormationLoader(yaml.SafeLoader):
    """Reads !Ref, !GetAtt, !Sub and friends as {"Ref": ...} / {"Fn::X": ...}."""


def _construct_intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    return {suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _construct_intrinsic)


@dataclass(frozen=True)
class DeployedFunction:
    """What a function gets, from template.yaml or from a module call in the example."""

    app: str
    handler: str
    runtime: str
    architecture: str
    memory_size: int
    timeout: int
    http_api_payload: str | None  # None: no HTTP API in front of it
    function_url_auth: str | None
    #: The function URL's invoke mode, and the wrapper its streaming needs.
    function_url_invoke_mode: str | None
    exec_wrapper: str | None
    rest_api_stage: str | None
    binary_media_types: tuple[str, ...]
    #: The WebSocket API in front of it: (stage, selection expression, route keys), or None.
    websocket_api: tuple[str, str, frozenset[str]] | None = None


def _template() -> dict[str, Any]:
    if not TEMPLATE.exists():
        pytest.skip("template.yaml is not there yet: nothing to compare the Terraform with")
    document = yaml.load(TEMPLATE.read_text(), Loader=_CloudFormationLoader)
    assert isinstance(document, dict)
    return document


def _parameter_default(template: dict[str, Any], value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return template["Parameters"][value["Ref"]]["Default"]
    return value


def _template_functions(template: dict[str, Any]) -> list[DeployedFunction]:
    resources = template["Resources"]
    globals_ = template.get("Globals", {}).get("Function", {})
    functions = []
    for name, body in resources.items():
        if body["Type"] != "AWS::Serverless::Function":
            continue
        props = {**globals_, **body["Properties"]}
        events = props.get("Events", {}).values()
        http = [e for e in events if e["Type"] == "HttpApi"]
        rest = [e for e in events if e["Type"] == "Api"]
        stage = None
        binary: tuple[str, ...] = ()
        if rest:
            api_ids = {e["Properties"]["RestApiId"]["Ref"] for e in rest}
            assert len(api_ids) == 1, "one REST API per function, as the module builds"
            api = resources[api_ids.pop()]["Properties"]
            stage = str(_parameter_default(template, api["StageName"]))
            # In SAM, "~1" stands for "/" in BinaryMediaTypes.
            binary = tuple(t.replace("~1", "/") for t in api.get("BinaryMediaTypes", []))
        functions.append(
            DeployedFunction(
                websocket_api=_template_websocket_api(resources, name),
                app=props["Environment"]["Variables"]["LAMBGATE_APP"],
                handler=props["Handler"],
                runtime=props["Runtime"],
                architecture=props.get("Architectures", ["x86_64"])[0],
                memory_size=int(props.get("MemorySize", 128)),
                timeout=int(props.get("Timeout", 3)),
                # SAM's HttpApi events default to payload format 2.0.
                http_api_payload=(
                    str(http[0].get("Properties", {}).get("PayloadFormatVersion", "2.0"))
                    if http
                    else None
                ),
                function_url_auth=props.get("FunctionUrlConfig", {}).get("AuthType"),
                function_url_invoke_mode=(
                    props["FunctionUrlConfig"].get("InvokeMode", "BUFFERED")
                    if "FunctionUrlConfig" in props
                    else None
                ),
                exec_wrapper=props["Environment"]["Variables"].get("AWS_LAMBDA_EXEC_WRAPPER"),
                rest_api_stage=stage,
                binary_media_types=binary,
            )
        )
    return functions


def _template_websocket_api(
    resources: dict[str, Any], function: str
) -> tuple[str, str, frozenset[str]] | None:
    """The SAM WebSocketApi whose routes all invoke ``function`` (the module's shape)."""
    found = []
    for body in resources.values():
        if body["Type"] != "AWS::Serverless::WebSocketApi":
            continue
        props = body["Properties"]
        # !GetAtt Name.Arn, in the short form's "Name.Arn" or the long form's [Name, Arn].
        arns = [route["FunctionArn"]["Fn::GetAtt"] for route in props["Routes"].values()]
        targets = {arn.split(".")[0] if isinstance(arn, str) else arn[0] for arn in arns}
        if function in targets:
            assert targets == {function}, "one function behind each WebSocket API"
            found.append(
                (
                    props.get("StageName", "default"),
                    props["RouteSelectionExpression"],
                    frozenset(props["Routes"]),
                )
            )
    assert len(found) <= 1, "one WebSocket API per function, as the module builds"
    return found[0] if found else None


def _resolve(example: Module, value: Any) -> Any:
    if isinstance(value, str) and (m := re.fullmatch(r"\$\{local\.(\w+)\}", value)):
        return example.locals[m.group(1)]
    return value


def _example_functions(module: Module, example: Module) -> list[DeployedFunction]:
    payload = module.resource("aws_apigatewayv2_integration.lambda")["payload_format_version"]
    functions = []
    for call in example.modules.values():

        def argument(name: str, call: dict[str, Any] = call) -> Any:
            return _resolve(example, call.get(name, _default(module, name)))

        rest = bool(argument("rest_api"))
        websocket = None
        if argument("websocket_api"):
            keys = {"$connect", "$disconnect", "$default", *argument("websocket_route_keys")}
            websocket = (
                argument("websocket_api_stage_name"),
                argument("websocket_route_selection_expression"),
                frozenset(keys),
            )
        url = bool(argument("function_url"))
        streams = url and argument("function_url_invoke_mode") == "RESPONSE_STREAM"
        functions.append(
            DeployedFunction(
                websocket_api=websocket,
                app=argument("app"),
                handler=argument("handler"),
                runtime=argument("runtime"),
                architecture=argument("architecture"),
                memory_size=int(argument("memory_size")),
                timeout=int(argument("timeout")),
                http_api_payload=payload if argument("http_api") else None,
                function_url_auth=argument("function_url_auth_type") if url else None,
                function_url_invoke_mode=argument("function_url_invoke_mode") if url else None,
                # The module sets the wrapper for a streaming URL (function_url.tf).
                exec_wrapper="/var/task/lambgate/streaming/exec-wrapper" if streams else None,
                rest_api_stage=argument("rest_api_stage_name") if rest else None,
                binary_media_types=tuple(argument("binary_media_types")) if rest else (),
            )
        )
    return functions


def test_example_deploys_what_template_yaml_deploys(module: Module, example: Module) -> None:
    by_app = {f.app: f for f in _template_functions(_template())}
    assert by_app, "template.yaml deploys at least one function"
    assert {f.app: f for f in _example_functions(module, example)} == by_app


def test_log_retention_and_stage_rules_match_template_yaml(module: Module) -> None:
    parameters = _template()["Parameters"]
    retention = parameters["LogRetentionInDays"]
    assert _default(module, "log_retention_in_days") == retention["Default"]
    (condition,) = _conditions(module, "log_retention_in_days")
    allowed = re.search(r"contains\(\[([\d, ]+)\]", condition)
    assert allowed is not None
    assert [int(n) for n in allowed.group(1).split(",")] == retention["AllowedValues"]
    (condition,) = _conditions(module, "rest_api_stage_name")
    assert f'"{parameters["StageName"]["AllowedPattern"]}"' in condition


def test_roles_allow_the_same_actions_as_template_yaml(module: Module) -> None:
    template_actions = set()
    for body in _template()["Resources"].values():
        if body["Type"] == "AWS::IAM::RolePolicy":
            for statement in body["Properties"]["PolicyDocument"]["Statement"]:
                template_actions.update(statement["Action"])
    module_actions = set()
    for document in ("function", "manage_connections"):
        policy = module.data[f"aws_iam_policy_document.{document}"]
        module_actions.update(_single(policy["statement"])["actions"])
    assert module_actions == template_actions


# ------------------------------------------------------------------------------ terraform itself


def _terraform() -> str:
    path = shutil.which("terraform")
    if path is None:
        pytest.skip("terraform is not on PATH; the fmt and validation checks need it")
    return path


def _run(command: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=TERRAFORM_ENV, capture_output=True, text=True, timeout=timeout
    )


def test_terraform_fmt_is_clean() -> None:
    proc = _run([_terraform(), "fmt", "-check", "-recursive", "-diff", str(INFRA)], ROOT, 60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


_GOOD = {"name": "lambgate-demo", "filename": "dist/app.zip", "app": "examples.flask_app.app:app"}

# (variables given on top of _GOOD, the variable terraform must reject or None)
_VALIDATION_CASES = [
    ({}, None),
    ({"app": "examples/flask_app:app"}, "app"),
    ({"app": "examples.flask_app.app"}, "app"),
    ({"app": "pkg.module:factory.attr"}, None),
    ({"filename": "dist/app.tar.gz"}, "filename"),
    ({"name": "x" * 58}, "name"),
    ({"name": "has.dot"}, "name"),
    ({"handler": "lambda_handler"}, "handler"),
    ({"runtime": "python3.10"}, "runtime"),
    ({"runtime": "python3.13"}, None),
    ({"architecture": "aarch64"}, "architecture"),
    ({"memory_size": 127}, "memory_size"),
    ({"memory_size": 10240}, None),
    ({"timeout": 901}, "timeout"),
    ({"timeout": 1.5}, "timeout"),
    ({"environment": {"LAMBGATE_APP": "other:app"}}, "environment"),
    ({"environment": {"1ST": "x"}}, "environment"),
    ({"environment": {"LAMBGATE_LIFESPAN": "off"}}, None),
    ({"log_retention_in_days": 13}, "log_retention_in_days"),
    ({"log_retention_in_days": 3653}, None),
    ({"kms_key_arn": "alias/mine"}, "kms_key_arn"),
    ({"function_url_auth_type": "IAM"}, "function_url_auth_type"),
    ({"function_url_invoke_mode": "STREAM"}, "function_url_invoke_mode"),
    ({"function_url_invoke_mode": "RESPONSE_STREAM"}, None),
    ({"rest_api_stage_name": "v1/beta"}, "rest_api_stage_name"),
    ({"binary_media_types": ["image"]}, "binary_media_types"),
    ({"binary_media_types": ["image/png", "*/*"]}, None),
    ({"websocket_api_stage_name": "a/b"}, "websocket_api_stage_name"),
    (
        {"websocket_route_selection_expression": "$request.header.x"},
        "websocket_route_selection_expression",
    ),
    ({"websocket_route_selection_expression": "${request.body.a}/${request.body.b}"}, None),
    ({"websocket_route_keys": ["$default"]}, "websocket_route_keys"),
    ({"websocket_route_keys": ["nick", "join"]}, None),
]


@pytest.fixture(scope="module")
def variables_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """variables.tf alone: terraform evaluates its validations with no provider installed."""
    directory = tmp_path_factory.mktemp("variables-only")
    shutil.copy(INFRA / "variables.tf", directory)
    return directory


@pytest.mark.parametrize(
    ("overrides", "rejected"),
    _VALIDATION_CASES,
    ids=[
        f"{next(iter(o), 'defaults')}-{'rejected' if r else 'accepted'}"
        for o, r in _VALIDATION_CASES
    ],
)
def test_terraform_evaluates_variable_validations(
    variables_only: Path, overrides: dict[str, Any], rejected: str | None
) -> None:
    terraform = _terraform()
    var_file = variables_only / "case.tfvars.json"
    var_file.write_text(json.dumps({**_GOOD, **overrides}))
    proc = _run(
        [terraform, "plan", "-input=false", "-no-color", f"-var-file={var_file}"],
        variables_only,
        60,
    )
    output = proc.stdout + proc.stderr
    if rejected is None:
        assert proc.returncode == 0, output
    else:
        assert proc.returncode != 0
        assert "Invalid value for variable" in output, output
        assert f"var.{rejected}" in output, output


# Messages terraform init prints when it cannot get the provider, i.e. no registry here.
_NO_PROVIDER = re.compile(
    r"Failed to query available provider packages|Failed to install provider|"
    r"no available releases match|could not connect to registry|registry\.terraform\.io"
)


def test_terraform_validate_where_the_aws_provider_is_available(tmp_path: Path) -> None:
    """Needs hashicorp/aws without a registry: in a plugin directory named by
    LAMBGATE_TF_PLUGIN_DIR, or one of terraform's implicit local mirror directories."""
    terraform = _terraform()
    copy = tmp_path / "infra"
    shutil.copytree(INFRA, copy, ignore=shutil.ignore_patterns(".terraform*"))
    plugin_dir = os.environ.get("LAMBGATE_TF_PLUGIN_DIR")
    for directory in (copy, copy / "examples" / "basic"):
        init = [terraform, "init", "-backend=false", "-input=false", "-no-color"]
        if plugin_dir:
            init.append(f"-plugin-dir={plugin_dir}")
        proc = _run(init, directory, 180)
        if proc.returncode != 0 and _NO_PROVIDER.search(proc.stdout + proc.stderr):
            pytest.skip(
                "terraform init cannot get hashicorp/aws (>= 6.28, < 7.0) without a provider "
                "registry; set LAMBGATE_TF_PLUGIN_DIR to a plugin directory holding it"
            )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        proc = _run([terraform, "validate", "-no-color"], directory, 120)
        assert proc.returncode == 0, proc.stdout + proc.stderr


# --------------------------------------------------------------------------------------- checkov


def _checkov() -> Path:
    """The python of a venv holding checkov (its pins clash with the dev extra), built once
    per checkov version and shared by later runs.

    pip runs in a scratch venv that is renamed into place only when complete, so an
    interrupted or concurrent install never leaves a half-built venv behind. Renaming keeps
    ``python -m`` working (pyvenv.cfg is found beside the interpreter), unlike the console
    scripts, whose shebangs name the scratch path.
    """
    home = Path(tempfile.gettempdir()) / f"lambgate-checkov-{CHECKOV_VERSION}"
    python = home / "bin" / "python"
    if python.exists():
        return python
    scratch = Path(tempfile.mkdtemp(prefix="lambgate-checkov-build-"))
    try:
        venv.EnvBuilder(with_pip=True).create(scratch)
        install = [str(scratch / "bin" / "python"), "-m", "pip", "install", "-q"]
        try:
            proc = subprocess.run(
                [*install, f"checkov=={CHECKOV_VERSION}"],
                capture_output=True,
                text=True,
                timeout=900,
            )
        except subprocess.TimeoutExpired:
            pytest.skip("pip install checkov took over 15 minutes; no scan")
        if proc.returncode != 0:
            pytest.skip(f"cannot install checkov (offline?): {proc.stderr.strip()[-500:]}")
        with contextlib.suppress(OSError):  # another run got there first: use its venv
            scratch.rename(home)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return python


_SKIP_COMMENT = re.compile(r"#checkov:skip=(CKV2?_AWS_\d+):(.*)")


def test_checkov_passes_and_every_skip_is_justified_and_still_needed() -> None:
    proc = subprocess.run(
        [
            str(_checkov()),
            "-m",
            "checkov.main",
            "--directory",
            str(INFRA),
            "--framework",
            "terraform",
            "--output",
            "json",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(proc.stdout)
    assert report["summary"]["resource_count"] > 0, proc.stderr
    results = report["results"]
    assert results["parsing_errors"] == []
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}"
        for c in results["failed_checks"]
    ]
    assert failed == []
    skipped = {(c["check_id"], Path(c["file_path"]).name) for c in results["skipped_checks"]}
    comments = []
    for tf in sorted(INFRA.rglob("*.tf")):
        for check_id, reason in _SKIP_COMMENT.findall(tf.read_text()):
            comments.append((check_id, tf.name))
            assert len(reason.split()) >= 6, f"{tf.name}: {check_id} needs a real reason"
    assert comments, "the skip comments are where the justifications live"
    # A skip checkov no longer reports is a stale excuse: delete it.
    assert [c for c in comments if c not in skipped] == []
