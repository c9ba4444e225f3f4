"""WebSocket APIs in a template: SAM's ``AWS::Serverless::WebSocketApi`` and CloudFormation's
``AWS::ApiGatewayV2::Api`` with ``ProtocolType: WEBSOCKET`` read into the routes to serve."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest

from lambgate.local.template.loader import load_template
from lambgate.local.template.specs import WebSocketApiSpec, WebSocketRouteSpec

from .test_template import function, load_error, sam, write_template


def chat_api(**properties: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::Serverless::WebSocketApi",
        "Properties": {
            "RouteSelectionExpression": "$request.body.action",
            "Routes": {
                "$connect": {"FunctionArn": {"Fn::GetAtt": ["Connect", "Arn"]}},
                "$default": {"FunctionArn": {"Fn::GetAtt": ["Chat", "Arn"]}},
                "sendmessage": {
                    "FunctionArn": {"Fn::GetAtt": ["Chat", "Arn"]},
                    "IntegrationTimeout": 5000,
                },
            },
            **properties,
        },
    }


def chat_template(**properties: Any) -> dict[str, Any]:
    return sam({"Chat": function(), "Connect": function(), "ChatApi": chat_api(**properties)})


CHAT_ROUTES = (
    WebSocketRouteSpec(route_key="$connect", function="Connect", integration_timeout_ms=29_000),
    WebSocketRouteSpec(route_key="$default", function="Chat", integration_timeout_ms=29_000),
    WebSocketRouteSpec(route_key="sendmessage", function="Chat", integration_timeout_ms=5000),
)


def test_a_serverless_websocket_api_serves_its_routes_on_sams_default_stage(
    tmp_path: Path,
) -> None:
    template = load_template(write_template(tmp_path, chat_template()))
    assert template.websocket_apis == {
        "ChatApi": WebSocketApiSpec(
            logical_id="ChatApi",
            stage_name="default",
            route_selection_expression="$request.body.action",
            routes=CHAT_ROUTES,
        )
    }
    assert template.routes == ()  # no HTTP route is made of it


@pytest.mark.parametrize(
    "expression",
    ["$request.body.message.type", "${request.body.service}/${request.body.action}", "\\$default"],
)
def test_wrapped_and_nested_selection_expressions_are_accepted(
    tmp_path: Path, expression: str
) -> None:
    template = chat_template(RouteSelectionExpression=expression)
    api = load_template(write_template(tmp_path, template)).websocket_apis["ChatApi"]
    assert api.route_selection_expression == expression


def test_stage_name_and_stage_variables_are_read(tmp_path: Path) -> None:
    template = chat_template(StageName="prod", StageVariables={"table": "chat", "n": 3})
    api = load_template(write_template(tmp_path, template)).websocket_apis["ChatApi"]
    assert (api.stage_name, api.stage_variables) == ("prod", {"table": "chat", "n": "3"})


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        (
            {"Auth": {"AuthType": "AWS_IAM"}},
            "Resources.ChatApi.Properties.Auth: not supported by the local emulator",
        ),
        (
            {"RouteSelectionExpression": "$request.header.x-route"},
            "Resources.ChatApi.Properties.RouteSelectionExpression: '$request.header.x-route' is "
            "not a route selection expression of a WebSocket API ($request.body. followed by a "
            "JSON property path, e.g. $request.body.action)",
        ),
        (
            {"Routes": {"$default": {"FunctionArn": "arn:aws:lambda:us-east-1:1:function:Gone"}}},
            "Resources.ChatApi.Properties.Routes.$default.FunctionArn: "
            "'arn:aws:lambda:us-east-1:1:function:Gone' is not an AWS::Serverless::Function of "
            "this template",
        ),
        (
            {
                "Routes": {
                    "$default": {
                        "FunctionArn": "Chat",
                        "RouteResponseSelectionExpression": "$default",
                    }
                }
            },
            "Resources.ChatApi.Properties.Routes.$default.RouteResponseSelectionExpression: not "
            "supported by the local emulator",
        ),
        (
            {"Routes": {"$default": {"FunctionArn": "Chat", "IntegrationTimeout": 30000}}},
            "Resources.ChatApi.Properties.Routes.$default.IntegrationTimeout",
        ),
        (
            {"Route": {}},
            "Resources.ChatApi.Properties.Route: not a property of AWS::Serverless::WebSocketApi; "
            "did you mean Routes?",
        ),
    ],
)
def test_what_the_emulator_cannot_serve_is_an_error_naming_the_property(
    tmp_path: Path, properties: dict[str, Any], message: str
) -> None:
    assert load_error(tmp_path, chat_template(**properties)).startswith(message)


def gateway_v2_template(**api_properties: Any) -> dict[str, Any]:
    """A hand-written CloudFormation WebSocket API, as AWS's developer guide shows it."""

    def integration(function_id: str) -> dict[str, Any]:
        uri = (
            "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
            f"${{{function_id}.Arn}}/invocations"
        )
        return {
            "Type": "AWS::ApiGatewayV2::Integration",
            "Properties": {
                "ApiId": {"Ref": "Ws"},
                "IntegrationType": "AWS_PROXY",
                "IntegrationUri": {"Fn::Sub": uri},
            },
        }

    def route(key: str, integration_id: str) -> dict[str, Any]:
        return {
            "Type": "AWS::ApiGatewayV2::Route",
            "Properties": {
                "ApiId": {"Ref": "Ws"},
                "RouteKey": key,
                "Target": {"Fn::Join": ["/", ["integrations", {"Ref": integration_id}]]},
            },
        }

    return sam(
        {
            "Chat": function(),
            "Ws": {
                "Type": "AWS::ApiGatewayV2::Api",
                "Properties": {
                    "Name": "chat",
                    "ProtocolType": "WEBSOCKET",
                    "RouteSelectionExpression": "$request.body.action",
                    **api_properties,
                },
            },
            "ChatIntegration": integration("Chat"),
            "DefaultRoute": route("$default", "ChatIntegration"),
            "SendRoute": route("sendmessage", "ChatIntegration"),
            "Stage": {
                "Type": "AWS::ApiGatewayV2::Stage",
                "Properties": {"ApiId": {"Ref": "Ws"}, "StageName": "live", "AutoDeploy": True},
            },
        }
    )


def test_a_gateway_v2_websocket_api_serves_its_routes_integrations_and_stage(
    tmp_path: Path,
) -> None:
    template = load_template(write_template(tmp_path, gateway_v2_template()))
    assert template.websocket_apis == {
        "Ws": WebSocketApiSpec(
            logical_id="Ws",
            stage_name="live",
            route_selection_expression="$request.body.action",
            routes=(
                WebSocketRouteSpec(
                    route_key="$default", function="Chat", integration_timeout_ms=29_000
                ),
                WebSocketRouteSpec(
                    route_key="sendmessage", function="Chat", integration_timeout_ms=29_000
                ),
            ),
        )
    }


def test_a_gateway_v2_http_api_is_still_refused(tmp_path: Path) -> None:
    template = gateway_v2_template(ProtocolType="HTTP")
    assert load_error(tmp_path, template).startswith("Resources.Ws: AWS::ApiGatewayV2::Api is not")


def test_a_gateway_v2_websocket_api_without_a_stage_says_so(tmp_path: Path) -> None:
    template = gateway_v2_template()
    del template["Resources"]["Stage"]
    assert load_error(tmp_path, template) == (
        "Resources.Ws: a WebSocket API is reached through one AWS::ApiGatewayV2::Stage naming it "
        "in ApiId; found 0"
    )


@pytest.fixture
def offline_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A region for the translator's boto3 session and no profile or credentials to find."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))


class NoManagedPolicies:
    """The translator's managed-policy loader without its IAM call: no policy is named."""

    def load(self) -> dict[str, str]:
        return {}


def test_the_cloudformation_sam_makes_of_a_websocket_api_serves_the_same_routes(
    tmp_path: Path, offline_aws: None
) -> None:
    """Both readers agree: SAM's own transform of the WebSocketApi (its ApiGatewayV2 Api,
    Routes, Integrations and Stage) loads into the spec the SAM resource loads into."""
    from samtranslator.translator.transform import transform  # the real SAM translator

    template = chat_template(StageName="prod")
    packaged = copy.deepcopy(template)
    for resource in packaged["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/key.zip"
    transformed = transform(packaged, {}, NoManagedPolicies())
    gateway_v2 = {
        logical_id: resource
        for logical_id, resource in transformed["Resources"].items()
        if resource["Type"].startswith("AWS::ApiGatewayV2::")
    }
    assert {r["Type"] for r in gateway_v2.values()} >= {
        "AWS::ApiGatewayV2::Api",
        "AWS::ApiGatewayV2::Route",
        "AWS::ApiGatewayV2::Integration",
        "AWS::ApiGatewayV2::Stage",
    }
    cloudformation = copy.deepcopy(template)
    del cloudformation["Resources"]["ChatApi"]
    cloudformation["Resources"].update(gateway_v2)

    from_sam = load_template(write_template(tmp_path, template)).websocket_apis["ChatApi"]
    from_cfn = load_template(write_template(tmp_path, cloudformation)).websocket_apis["ChatApi"]
    assert from_cfn == from_sam


def _sam_transform(template: dict[str, Any]) -> dict[str, Any]:
    """The real SAM translator's CloudFormation of ``template`` (its code in S3)."""
    from samtranslator.translator.transform import transform

    packaged = copy.deepcopy(template)
    for resource in packaged["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/key.zip"
    transformed: dict[str, Any] = transform(packaged, {}, NoManagedPolicies())
    return transformed


def test_globals_websocket_api_applies_as_sam_applies_it(tmp_path: Path, offline_aws: None) -> None:
    """SAM takes ``Globals.WebSocketApi`` (its selection expression, stage variables, ...):
    a template using it was refused as naming no Globals section."""
    template = chat_template(StageVariables={"table": "chat"})
    del template["Resources"]["ChatApi"]["Properties"]["RouteSelectionExpression"]
    template["Globals"] = {
        "WebSocketApi": {
            "RouteSelectionExpression": "$request.body.type",
            "StageVariables": {"region": "eu"},
        }
    }
    api = load_template(write_template(tmp_path, template)).websocket_apis["ChatApi"]
    assert api.route_selection_expression == "$request.body.type"
    assert api.stage_variables == {"region": "eu", "table": "chat"}
    # What SAM's own transform makes of the same template says the same.
    resources = _sam_transform(template)["Resources"]
    assert resources["ChatApi"]["Properties"]["RouteSelectionExpression"] == "$request.body.type"
    (stage,) = (r for r in resources.values() if r["Type"] == "AWS::ApiGatewayV2::Stage")
    assert stage["Properties"]["StageVariables"] == {"region": "eu", "table": "chat"}


@pytest.mark.parametrize("name", ["StageName", "Routes"])
def test_globals_websocket_api_refuses_what_sam_refuses_by_name(
    tmp_path: Path, offline_aws: None, name: str
) -> None:
    from samtranslator.model.exceptions import InvalidDocumentException

    template = chat_template()
    template["Globals"] = {"WebSocketApi": {name: "prod" if name == "StageName" else {}}}
    message = load_error(tmp_path, template)
    assert message.startswith(
        f"Globals.WebSocketApi.{name}: '{name}' is not a supported property of 'WebSocketApi'."
    )
    with pytest.raises(InvalidDocumentException) as refused:
        _sam_transform(template)
    said = [str(cause) for cause in refused.value.causes]
    assert any(name in text and "is not a supported property of" in text for text in said), said
