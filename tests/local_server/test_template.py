"""The SAM template loader: real `sam init` templates, Globals, parameters, every intrinsic,
``--env-vars``, and errors that say where in the template the problem is."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from lambgate.local.template.loader import load_template
from lambgate.local.template.parameters import parse_parameter_overrides
from lambgate.local.template.specs import (
    ApiSpec,
    CorsSpec,
    FunctionSpec,
    RouteSpec,
    Template,
    TemplateError,
    UrlSpec,
)

FIXTURES = Path(__file__).parent / "templates"


def sam_init_project(tmp_path: Path, fixture: str, code_folder: str) -> Path:
    """A `sam init` project: the template and its (empty) code folder."""
    shutil.copy(FIXTURES / fixture, tmp_path / "template.yaml")
    (tmp_path / code_folder).mkdir()
    return tmp_path / "template.yaml"


def write_template(tmp_path: Path, template: dict[str, Any] | str) -> Path:
    """A template file beside a ``src`` code folder; dicts are dumped as YAML."""
    (tmp_path / "src").mkdir(exist_ok=True)
    text = template if isinstance(template, str) else yaml.safe_dump(template, sort_keys=False)
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return path


def function(**properties: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "CodeUri": "src",
            "Handler": "app.handler",
            "Runtime": "python3.12",
            **properties,
        },
    }


def sam(resources: dict[str, Any], **sections: Any) -> dict[str, Any]:
    return {"Transform": "AWS::Serverless-2016-10-31", **sections, "Resources": resources}


def api_event(path: str, method: str, **properties: Any) -> dict[str, Any]:
    return {"Type": "Api", "Properties": {"Path": path, "Method": method, **properties}}


def http_event(**properties: Any) -> dict[str, Any]:
    return {"Type": "HttpApi", "Properties": properties}


def load_error(tmp_path: Path, template: dict[str, Any] | str, **kwargs: Any) -> str:
    with pytest.raises(TemplateError) as caught:
        load_template(write_template(tmp_path, template), **kwargs)
    return str(caught.value)


# ------------------------------------------------------------------ real `sam init` output


def test_sam_init_hello_world_serves_get_hello_on_the_implicit_prod_api(tmp_path: Path) -> None:
    template = load_template(sam_init_project(tmp_path, "sam_init_hello_world.yaml", "hello_world"))

    assert template == Template(
        functions={
            "HelloWorldFunction": FunctionSpec(
                logical_id="HelloWorldFunction",
                code_uri=(tmp_path / "hello_world").resolve(),
                handler="app.lambda_handler",
                runtime="python3.13",
                timeout=3,
                memory_size=128,
                variables={},
                architectures=("x86_64",),
            )
        },
        # SAM's implicit REST API is ServerlessRestApi, stage Prod (the Outputs' URL says so).
        apis={
            "ServerlessRestApi": ApiSpec(
                logical_id="ServerlessRestApi",
                kind="rest",
                stage_name="Prod",
                payload_format_version="1.0",
                implicit=True,
            )
        },
        routes=(
            RouteSpec(
                api_logical_id="ServerlessRestApi",
                kind="rest",
                method="GET",
                path="/hello",
                function="HelloWorldFunction",
                payload_format_version="1.0",
                integration_timeout_ms=29_000,
                event="HelloWorld",
            ),
        ),
        warnings=(),
    )


def test_sam_init_fastapi_httpapi_event_without_path_is_the_default_route(tmp_path: Path) -> None:
    # SAM: "If no Path and Method are specified, SAM will create a default API path that routes
    # any request that doesn't map to a different endpoint to this Lambda function."
    template = load_template(sam_init_project(tmp_path, "sam_init_fastapi.yaml", "app"))

    assert template.apis == {
        "ServerlessHttpApi": ApiSpec(
            logical_id="ServerlessHttpApi",
            kind="http",
            stage_name="$default",
            payload_format_version="2.0",
            implicit=True,
        )
    }
    assert template.routes == (
        RouteSpec(
            api_logical_id="ServerlessHttpApi",
            kind="http",
            method="ANY",
            path="$default",
            function="FastApiFunction",
            payload_format_version="2.0",
            integration_timeout_ms=30_000,
            event="FastApiApi",
        ),
    )


def test_sam_init_powertools_takes_runtime_and_timeout_from_globals(tmp_path: Path) -> None:
    template = load_template(sam_init_project(tmp_path, "sam_init_powertools.yaml", "hello_world"))

    assert template.functions["HelloWorldFunction"] == FunctionSpec(
        logical_id="HelloWorldFunction",
        code_uri=(tmp_path / "hello_world").resolve(),
        handler="app.lambda_handler",
        runtime="python3.13",
        timeout=5,
        memory_size=128,
        variables={
            "POWERTOOLS_SERVICE_NAME": "PowertoolsHelloWorld",
            "POWERTOOLS_METRICS_NAMESPACE": "Powertools",
            "LOG_LEVEL": "INFO",
        },
        architectures=("arm64",),
    )
    assert [(r.method, r.path) for r in template.routes] == [("GET", "/hello")]


def test_code_uri_is_relative_to_the_template_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    path = write_template(project, sam({"Fn": function(CodeUri="src")}))
    monkeypatch.chdir(tmp_path)

    assert load_template(path).functions["Fn"].code_uri == project / "src"


# --------------------------------------------------------------------------------- Globals


def test_globals_maps_merge_and_the_function_wins_per_key(tmp_path: Path) -> None:
    # "Maps are merged", "primitive data types are replaced" (SAM Globals, Overridable section).
    template = sam(
        {
            "Fn": function(
                Timeout=10,
                Environment={"Variables": {"SHARED": "from-function", "OWN": "own"}},
            )
        },
        Globals={
            "Function": {
                "Timeout": 30,
                "MemorySize": 512,
                "Environment": {"Variables": {"SHARED": "from-globals", "GLOBAL": "global"}},
            }
        },
    )
    spec = load_template(write_template(tmp_path, template)).functions["Fn"]

    assert (spec.timeout, spec.memory_size) == (10, 512)
    assert spec.variables == {"SHARED": "from-function", "GLOBAL": "global", "OWN": "own"}


def test_globals_lists_add_up_and_globals_api_shapes_the_implicit_api(tmp_path: Path) -> None:
    template = sam(
        {
            "Fn": function(Events={"Get": api_event("/", "GET", RestApiId={"Ref": "Api"})}),
            "Other": function(Events={"Get": api_event("/other", "GET")}),
            "Api": {
                "Type": "AWS::Serverless::Api",
                "Properties": {"StageName": "v1", "BinaryMediaTypes": ["application~1pdf"]},
            },
        },
        Globals={"Api": {"BinaryMediaTypes": ["image~1png"]}},
    )
    apis = load_template(write_template(tmp_path, template)).apis

    assert apis["Api"].binary_media_types == ("image/png", "application/pdf")
    assert apis["ServerlessRestApi"] == ApiSpec(
        logical_id="ServerlessRestApi",
        kind="rest",
        stage_name="Prod",
        binary_media_types=("image/png",),
        implicit=True,
    )


@pytest.mark.parametrize("section", ["Api", "HttpApi"])
def test_globals_stage_name_is_refused_as_sam_refuses_it(tmp_path: Path, section: str) -> None:
    """SAM's translator: "'StageName' is not a supported property of 'Api'" (samtranslator
    plugins/globals/globals.py: the implicit API's stage is always Prod)."""
    template = sam(
        {"Fn": function(Events={"Get": api_event("/", "GET")})},
        Globals={section: {"StageName": "live"}},
    )

    message = load_error(tmp_path, template)
    assert message.startswith(
        f"Globals.{section}.StageName: 'StageName' is not a supported property of '{section}'"
    )


def test_unknown_globals_section_is_an_error(tmp_path: Path) -> None:
    message = load_error(tmp_path, sam({"Fn": function()}, Globals={"Functions": {"Timeout": 3}}))

    assert message == "Globals.Functions: not a SAM Globals section"


# ------------------------------------------------------------------------ APIs and routes


def test_explicit_apis_with_stage_binary_types_variables_and_cors(tmp_path: Path) -> None:
    template = sam(
        {
            "RestApi": {
                "Type": "AWS::Serverless::Api",
                "Properties": {
                    "StageName": "dev",
                    "BinaryMediaTypes": ["image~1png", "*~1*"],
                    "Variables": {"TABLE": "items", "LIMIT": 10},
                    # REST CORS values are quoted header values (SAM's Cors property).
                    "Cors": {
                        "AllowOrigin": "'https://example.com'",
                        "AllowMethods": "'GET,POST'",
                        "AllowHeaders": "'Content-Type,X-Api-Key'",
                        "MaxAge": "'600'",
                    },
                },
            },
            "HttpApi": {
                "Type": "AWS::Serverless::HttpApi",
                "Properties": {
                    "StageName": "v2",
                    "StageVariables": {"MODE": "fast"},
                    "CorsConfiguration": {
                        "AllowOrigins": ["https://example.com"],
                        "AllowMethods": ["GET"],
                        "ExposeHeaders": ["x-total"],
                        "MaxAge": 300,
                        "AllowCredentials": True,
                    },
                },
            },
            "Fn": function(
                Events={
                    "Rest": api_event("/items/{id}", "get", RestApiId={"Ref": "RestApi"}),
                    "Http": http_event(Path="/items/{id}", Method="put", ApiId="HttpApi"),
                }
            ),
        }
    )
    loaded = load_template(write_template(tmp_path, template))

    assert loaded.apis == {
        "RestApi": ApiSpec(
            logical_id="RestApi",
            kind="rest",
            stage_name="dev",
            binary_media_types=("image/png", "*/*"),
            payload_format_version="1.0",
            stage_variables={"TABLE": "items", "LIMIT": "10"},
            cors=CorsSpec(
                allow_origins=("https://example.com",),
                allow_methods=("GET", "POST"),
                allow_headers=("Content-Type", "X-Api-Key"),
                max_age=600,
            ),
        ),
        "HttpApi": ApiSpec(
            logical_id="HttpApi",
            kind="http",
            stage_name="v2",
            payload_format_version="2.0",
            stage_variables={"MODE": "fast"},
            cors=CorsSpec(
                allow_origins=("https://example.com",),
                allow_methods=("GET",),
                expose_headers=("x-total",),
                max_age=300,
                allow_credentials=True,
            ),
        ),
    }
    assert [(r.api_logical_id, r.kind, r.method, r.path) for r in loaded.routes] == [
        ("RestApi", "rest", "GET", "/items/{id}"),
        ("HttpApi", "http", "PUT", "/items/{id}"),
    ]


def test_http_api_payload_format_version_and_timeout_per_route(tmp_path: Path) -> None:
    text = """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.12
      Events:
        V1:
          Type: HttpApi
          Properties: {Path: /v1, Method: ANY, PayloadFormatVersion: 1.0, TimeoutInMillis: 5000}
        V2:
          Type: HttpApi
          Properties: {Path: /v2, Method: GET, PayloadFormatVersion: "2.0"}
"""
    routes = load_template(write_template(tmp_path, text)).routes

    assert [(r.path, r.payload_format_version, r.integration_timeout_ms) for r in routes] == [
        ("/v1", "1.0", 5000),
        ("/v2", "2.0", 30_000),
    ]


def test_function_url_config(tmp_path: Path) -> None:
    template = sam(
        {
            "Fn": function(
                FunctionUrlConfig={
                    "AuthType": "NONE",
                    "Cors": {"AllowOrigins": ["*"], "AllowMethods": ["GET", "POST"]},
                }
            )
        }
    )

    assert load_template(write_template(tmp_path, template)).functions["Fn"].function_url == (
        UrlSpec(
            auth_type="NONE", cors=CorsSpec(allow_origins=("*",), allow_methods=("GET", "POST"))
        )
    )


def test_streaming_url_and_rest_route_are_read(tmp_path: Path) -> None:
    """``InvokeMode: RESPONSE_STREAM`` and SAM's ``ResponseTransferMode: RESPONSE_STREAM``
    (whose integration timeout may reach 15 minutes); a route without it buffers."""
    template = sam(
        {
            "Fn": function(
                FunctionUrlConfig={"AuthType": "NONE", "InvokeMode": "RESPONSE_STREAM"},
                Events={
                    "Stream": api_event(
                        "/s", "GET", ResponseTransferMode="RESPONSE_STREAM", TimeoutInMillis=600_000
                    ),
                    "Whole": api_event("/w", "GET", ResponseTransferMode="BUFFERED"),
                },
            )
        }
    )
    loaded = load_template(write_template(tmp_path, template))
    assert loaded.functions["Fn"].function_url == UrlSpec(
        auth_type="NONE", invoke_mode="RESPONSE_STREAM"
    )
    routes = {route.path: route for route in loaded.routes}
    assert (routes["/s"].streaming, routes["/s"].integration_timeout_ms) == (True, 600_000)
    assert (routes["/w"].streaming, routes["/w"].integration_timeout_ms) == (False, 29_000)


def test_non_http_events_are_listed_as_warnings_not_routes(tmp_path: Path) -> None:
    template = sam(
        {
            "Worker": function(
                Events={
                    "Queue": {"Type": "SQS", "Properties": {"Queue": "arn:aws:sqs:x"}},
                    "Get": api_event("/", "GET"),
                }
            )
        }
    )
    loaded = load_template(write_template(tmp_path, template))

    assert [r.event for r in loaded.routes] == ["Get"]
    assert loaded.warnings == (
        "Resources.Worker.Properties.Events.Queue: SQS events are not HTTP and are not emulated; "
        "the function is reachable through the Invoke API only",
    )


def test_layers_not_in_the_template_are_accepted_with_a_warning(tmp_path: Path) -> None:
    template = sam({"Fn": function(Layers=["arn:aws:lambda:us-east-1:1:layer:x:1"])})

    assert load_template(write_template(tmp_path, template)).warnings == (
        "Resources.Fn.Properties.Layers: arn:aws:lambda:us-east-1:1:layer:x:1 is not in this "
        "template, so it is not mounted locally; imports from it fail",
    )


def test_resources_whose_condition_is_false_are_not_served(tmp_path: Path) -> None:
    template = sam(
        {
            "Always": function(Events={"Get": api_event("/a", "GET")}),
            "OnlyInProd": {
                **function(Events={"Get": api_event("/p", "GET")}),
                "Condition": "IsProd",
            },
        },
        Parameters={"Stage": {"Type": "String", "Default": "dev"}},
        Conditions={"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
    )
    path = write_template(tmp_path, template)

    assert list(load_template(path).functions) == ["Always"]
    prod = load_template(path, parameter_overrides={"Stage": "prod"})
    assert list(prod.functions) == ["Always", "OnlyInProd"]
    assert [r.path for r in prod.routes] == ["/a", "/p"]


# ---------------------------------------------------------------------------- intrinsics

INTRINSICS_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Hosts:
    Type: CommaDelimitedList
    Default: "a.example,b.example"
Mappings:
  StageConfig:
    dev: {LogLevel: DEBUG}
    prod: {LogLevel: WARNING}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDev: !Not [!Condition IsProd]
  ProdOrEu: !Or [!Condition IsProd, !Equals [!Ref "AWS::Region", eu-west-1]]
  DevInUs: !And [!Condition IsDev, !Equals [!Ref "AWS::Region", us-east-1]]
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.12
      Policies:
        - Statement:
            Resource: !ImportValue never-read
      Environment:
        Variables:
          REF_PARAMETER: !Ref Stage
          REF_PSEUDO: !Ref AWS::AccountId
          REF_RESOURCE: !Ref Table
          SUB: !Sub "${AWS::StackName}-${Stage}-${AWS::Region}"
          SUB_GETATT: !Sub "${Table.Arn}/index/*"
          SUB_LIST: !Sub ["${Name}.${AWS::URLSuffix}", {Name: !Ref Stage}]
          SUB_LITERAL: !Sub "${!NotAVariable}"
          GETATT: !GetAtt Fn.Arn
          GETATT_LONG: {"Fn::GetAtt": [Table, Arn]}
          GETATT_ROLE: !GetAtt FnRole.Arn
          IF: !If [IsProd, prod-value, dev-value]
          JOIN: !Join [",", !Ref Hosts]
          SELECT: !Select [1, !Ref Hosts]
          SPLIT: !Select [0, !Split ["-", "left-right"]]
          FIND_IN_MAP: !FindInMap [StageConfig, !Ref Stage, LogLevel]
          BASE64: !Base64 hello
          GET_AZS: !Select [0, !GetAZs ""]
          OR: !If [ProdOrEu, "yes", "no"]
          AND: !If [DevInUs, "yes", "no"]
          NUMBER: 42
          BOOLEAN: true
          ONLY_IN_PROD: !If [IsProd, "set", !Ref AWS::NoValue]
"""


def test_every_intrinsic_resolves_with_parameter_defaults(tmp_path: Path) -> None:
    environment = (
        load_template(write_template(tmp_path, INTRINSICS_TEMPLATE)).functions["Fn"].variables
    )

    assert environment == {
        "REF_PARAMETER": "dev",
        "REF_PSEUDO": "123456789012",
        # SAM CLI resolves a resource's Ref to its logical id locally.
        "REF_RESOURCE": "Table",
        "SUB": "local-dev-us-east-1",
        "SUB_GETATT": "arn:aws:dynamodb:us-east-1:123456789012:table/Table/index/*",
        "SUB_LIST": "dev.amazonaws.com",
        # "${!Literal}" writes "${Literal}" (Fn::Sub reference).
        "SUB_LITERAL": "${NotAVariable}",
        "GETATT": "arn:aws:lambda:us-east-1:123456789012:function:Fn",
        "GETATT_LONG": "arn:aws:dynamodb:us-east-1:123456789012:table/Table",
        "GETATT_ROLE": "arn:aws:iam::123456789012:role/FnRole",
        "IF": "dev-value",
        "JOIN": "a.example,b.example",
        "SELECT": "b.example",
        "SPLIT": "left",
        "FIND_IN_MAP": "DEBUG",
        "BASE64": "aGVsbG8=",
        "GET_AZS": "us-east-1a",
        "OR": "no",
        "AND": "yes",
        "NUMBER": "42",
        "BOOLEAN": "true",
        # AWS::NoValue removes the property it stands for.
    }


def test_overrides_flip_conditions_mappings_and_pseudo_parameters(tmp_path: Path) -> None:
    path = write_template(tmp_path, INTRINSICS_TEMPLATE)
    environment = (
        load_template(
            path,
            parameter_overrides=parse_parameter_overrides("Stage=prod AWS::Region=eu-west-1"),
        )
        .functions["Fn"]
        .variables
    )

    assert {
        name: environment[name]
        for name in ("IF", "FIND_IN_MAP", "OR", "AND", "SUB", "GET_AZS", "ONLY_IN_PROD")
    } == {
        "IF": "prod-value",
        "FIND_IN_MAP": "WARNING",
        "OR": "yes",
        "AND": "no",
        "SUB": "local-prod-eu-west-1",
        "GET_AZS": "eu-west-1a",
        "ONLY_IN_PROD": "set",
    }


def test_if_choosing_no_value_removes_a_top_level_function_property(tmp_path: Path) -> None:
    """https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html#cfn-pseudo-param-novalue:
    the property is absent, so SAM's defaults apply."""
    no_value = {"Ref": "AWS::NoValue"}
    template = sam(
        {
            "Fn": function(
                Timeout={"Fn::If": ["IsProd", 30, no_value]},
                MemorySize={"Fn::If": ["IsProd", 1024, no_value]},
                Environment={"Fn::If": ["IsProd", {"Variables": {"A": "b"}}, no_value]},
                FunctionUrlConfig={"Fn::If": ["IsProd", no_value, {"AuthType": "NONE"}]},
            )
        },
        Parameters={"Env": {"Type": "String", "Default": "dev"}},
        Conditions={"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
    )
    path = write_template(tmp_path, template)
    dev = load_template(path).functions["Fn"]
    prod = load_template(path, parameter_overrides={"Env": "prod"}).functions["Fn"]

    assert (dev.timeout, dev.memory_size, dev.variables, dev.function_url) == (
        3,
        128,
        {},
        UrlSpec(auth_type="NONE", cors=None),
    )
    assert (prod.timeout, prod.memory_size, prod.variables, prod.function_url) == (
        30,
        1024,
        {"A": "b"},
        None,
    )


def test_no_value_where_a_value_is_needed_is_named_not_printed_as_an_object(
    tmp_path: Path,
) -> None:
    template = sam({"Fn": function(Handler={"Fn::Select": [0, {"Ref": "AWS::NoValue"}]})})
    message = load_error(tmp_path, template)
    assert "AWS::NoValue" in message and "object at 0x" not in message


def test_unsupported_intrinsic_names_its_location(tmp_path: Path) -> None:
    template = sam(
        {"Fn": function(Environment={"Variables": {"CIDR": {"Fn::Cidr": ["10.0.0.0/16", 2, 8]}}})}
    )

    assert load_error(tmp_path, template) == (
        "Resources.Fn.Properties.Environment.Variables.CIDR: Fn::Cidr is not supported by the "
        "local emulator (or give CIDR a value with --env-vars)"
    )


def test_import_value_in_an_environment_variable_needs_env_vars(tmp_path: Path) -> None:
    template = sam(
        {"Fn": function(Environment={"Variables": {"TABLE": {"Fn::ImportValue": "shared-table"}}})}
    )
    path = write_template(tmp_path, template)

    with pytest.raises(TemplateError) as caught:
        load_template(path)
    assert (
        caught.value.location
        == "Resources.Fn.Properties.Environment.Variables.TABLE.Fn::ImportValue"
    )
    assert load_template(path, env_vars={"Fn": {"TABLE": "items"}}).functions["Fn"].variables == {
        "TABLE": "items"
    }


def test_ref_to_an_unknown_name_is_an_error(tmp_path: Path) -> None:
    template = sam({"Fn": function(Handler={"Ref": "HandlerName"})})

    assert load_error(tmp_path, template) == (
        "Resources.Fn.Properties.Handler.Ref: Ref to HandlerName, which is no parameter or resource"
    )


def test_parameter_without_default_needs_an_override_where_it_is_used(tmp_path: Path) -> None:
    template = sam(
        {"Fn": function(Runtime={"Ref": "Runtime"})},
        Parameters={"Runtime": {"Type": "String"}},
    )
    path = write_template(tmp_path, template)

    with pytest.raises(TemplateError, match="parameter Runtime has no Default"):
        load_template(path)
    assert load_template(path, parameter_overrides={"Runtime": "python3.11"}).functions[
        "Fn"
    ].runtime == ("python3.11")


def test_override_outside_allowed_values_or_unknown_parameter_is_an_error(tmp_path: Path) -> None:
    path = write_template(tmp_path, INTRINSICS_TEMPLATE)

    with pytest.raises(TemplateError) as outside:
        load_template(path, parameter_overrides={"Stage": "qa"})
    assert str(outside.value) == "--parameter-overrides Stage: 'qa' is not one of dev, prod"
    with pytest.raises(TemplateError) as unknown:
        load_template(path, parameter_overrides={"Stgae": "prod"})
    assert str(unknown.value) == (
        "--parameter-overrides: Stgae is not a parameter of the template (it has Hosts, Stage)"
    )


@pytest.mark.parametrize(
    ("declaration", "value", "problem"),
    [
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html
        ({"AllowedPattern": "[a-z]+"}, "Prod", "'Prod' does not match AllowedPattern [a-z]+"),
        # The pattern matches the whole value, not a part of it.
        ({"AllowedPattern": "[a-z]+"}, "prod!", "'prod!' does not match AllowedPattern [a-z]+"),
        ({"MinLength": 3}, "ab", "'ab' is shorter than MinLength 3"),
        ({"MaxLength": "4"}, "abcde", "'abcde' is longer than MaxLength 4"),
        ({"Type": "Number", "MinValue": 1}, "0", "'0' is less than MinValue 1"),
        ({"Type": "Number", "MaxValue": 10}, "10.5", "'10.5' is more than MaxValue 10"),
        ({"Type": "Number"}, "ten", "'ten' is not a Number"),
        # Each item of a CommaDelimitedList is held to the pattern and the allowed values.
        (
            {"Type": "CommaDelimitedList", "AllowedPattern": "[a-z]+"},
            "a,b,C",
            "'a,b,C' does not match AllowedPattern [a-z]+",
        ),
        (
            {"Type": "CommaDelimitedList", "AllowedValues": ["a", "b"]},
            "a,c",
            "'a,c' is not one of a, b",
        ),
        # CloudFormation words the error with the ConstraintDescription when there is one.
        (
            {"AllowedPattern": "[a-z]+", "ConstraintDescription": "lower-case letters only"},
            "Prod",
            "'Prod' does not match AllowedPattern [a-z]+: lower-case letters only",
        ),
    ],
)
def test_an_override_that_breaks_a_constraint_is_an_error(
    tmp_path: Path, declaration: dict[str, Any], value: str, problem: str
) -> None:
    parameter = {"Type": "String", **declaration}
    path = write_template(tmp_path, sam({"Fn": function()}, Parameters={"Name": parameter}))

    with pytest.raises(TemplateError) as caught:
        load_template(path, parameter_overrides={"Name": value})
    assert str(caught.value) == f"--parameter-overrides Name: {problem}"


def test_a_default_that_breaks_a_constraint_is_an_error_and_values_that_keep_them_load(
    tmp_path: Path,
) -> None:
    parameters = {
        "Name": {"Type": "String", "Default": "ab", "MinLength": 3, "AllowedPattern": "[a-z]+"},
        "Size": {"Type": "Number", "Default": 5, "MinValue": 1, "MaxValue": 10},
    }
    path = write_template(tmp_path, sam({"Fn": function()}, Parameters=parameters))

    with pytest.raises(TemplateError) as caught:
        load_template(path)
    assert str(caught.value) == "Parameters.Name.Default: 'ab' is shorter than MinLength 3"
    load_template(path, parameter_overrides={"Name": "abc", "Size": "10"})


def test_conditions_that_refer_to_each_other_are_an_error(tmp_path: Path) -> None:
    template = sam(
        {"Fn": {**function(), "Condition": "A"}},
        Conditions={"A": {"Condition": "B"}, "B": {"Fn::Not": [{"Condition": "A"}]}},
    )

    assert "conditions refer to each other: A -> B -> A" in load_error(tmp_path, template)


# ------------------------------------------------------------------------- parameter text


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Stage=prod Size=3", {"Stage": "prod", "Size": "3"}),
        (
            "ParameterKey=Stage,ParameterValue=prod ParameterKey=Size,ParameterValue=3",
            {"Stage": "prod", "Size": "3"},
        ),
        (
            ["Stage=prod", "ParameterKey=Hosts,ParameterValue=a,b"],
            {"Stage": "prod", "Hosts": "a,b"},
        ),
        (
            'Greeting="hello world" Url=https://x.example/?a=b',
            {
                "Greeting": "hello world",
                "Url": "https://x.example/?a=b",
            },
        ),
    ],
)
def test_parse_parameter_overrides(given: str | list[str], expected: dict[str, str]) -> None:
    assert parse_parameter_overrides(given) == expected


def test_parse_parameter_overrides_rejects_a_bare_word() -> None:
    with pytest.raises(TemplateError, match="'prod' is neither Key=Value"):
        parse_parameter_overrides("prod")


# ----------------------------------------------------------------------------- --env-vars


def test_env_vars_file_overrides_only_declared_variables_function_entry_first(
    tmp_path: Path,
) -> None:
    template = sam(
        {
            "Api": function(Environment={"Variables": {"TABLE": "t", "DEBUG": "0", "MODE": "a"}}),
            "Worker": function(Environment={"Variables": {"TABLE": "t"}}),
        }
    )
    env_vars = {
        "Parameters": {"TABLE": "from-parameters", "DEBUG": True},
        "Api": {"MODE": "from-function", "TABLE": "api-table", "UNDECLARED": "x"},
    }
    loaded = load_template(write_template(tmp_path, template), env_vars=env_vars)

    assert loaded.functions["Api"].variables == {
        "TABLE": "api-table",
        "DEBUG": "true",  # SAM CLI writes booleans as true/false
        "MODE": "from-function",
    }
    assert loaded.functions["Worker"].variables == {"TABLE": "from-parameters"}
    assert loaded.warnings == (
        "--env-vars: Api.UNDECLARED is not declared in the template's Environment.Variables; "
        "SAM ignores it, and so does lambgate",
    )


def test_shell_environment_overrides_declared_variables_and_env_vars_override_both(
    tmp_path: Path,
) -> None:
    """SAM CLI's EnvironmentVariables.resolve: template value, then the shell's, then
    ``--env-vars`` (samcli/local/lambdafn/env_vars.py); undeclared shell variables stay out."""
    template = sam(
        {"Fn": function(Environment={"Variables": {"TABLE": "t", "MODE": "a", "KEEP": "k"}})}
    )
    loaded = load_template(
        write_template(tmp_path, template),
        env_vars={"Fn": {"MODE": "from-env-vars"}},
        shell_env={"TABLE": "from-shell", "MODE": "from-shell", "UNDECLARED": "x"},
    )

    assert loaded.functions["Fn"].variables == {
        "TABLE": "from-shell",
        "MODE": "from-env-vars",
        "KEEP": "k",
    }


def test_region_override_is_the_functions_region(tmp_path: Path) -> None:
    path = write_template(tmp_path, sam({"Fn": function()}))
    overridden = load_template(path, parameter_overrides={"AWS::Region": "eu-west-1"})

    assert load_template(path).functions["Fn"].region == "us-east-1"
    assert overridden.functions["Fn"].region == "eu-west-1"


# -------------------------------------------------------------------- errors and locations


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("hello", "'hello' must start with /"),
        ("/items/", "'/items/' has an empty segment or a trailing /"),
        ("/{proxy+}/more", "a greedy {name+} variable must come last"),
        ("/items/{id", "'{id' is not a {name} variable"),
    ],
)
def test_bad_event_path_names_the_event(tmp_path: Path, path: str, message: str) -> None:
    template = sam({"HelloFn": function(Events={"Get": api_event(path, "GET")})})

    assert load_error(tmp_path, template) == (
        f"Resources.HelloFn.Properties.Events.Get.Properties.Path: {message}"
    )


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        (
            {"CodeUri": {"Bucket": "b", "Key": "k.zip"}},
            "Resources.Fn.Properties.CodeUri: code in S3 ({Bucket, Key}) is not run locally; "
            "use a local folder",
        ),
        (
            {"CodeUri": "s3://bucket/code.zip"},
            "Resources.Fn.Properties.CodeUri: code in S3 (s3://bucket/code.zip) is not run locally",
        ),
        (
            {"Events": {"Get": api_event("/", "GET", Auth={"Authorizer": "MyCognito"})}},
            "Resources.Fn.Properties.Events.Get.Properties.Auth.Authorizer: authorizers are not "
            "emulated",
        ),
        (
            {"Events": {"Get": api_event("/", "GET", RestApiId="Missing")}},
            "Resources.Fn.Properties.Events.Get.Properties.RestApiId: Missing is not an "
            "AWS::Serverless::Api in this template",
        ),
        (
            {"Events": {"Get": api_event("/", "FETCH")}},
            "Resources.Fn.Properties.Events.Get.Properties.Method: FETCH is not an API Gateway "
            "method",
        ),
        (
            {"Events": {"Get": http_event(Path="/", Method="GET", TimeoutInMillis=31_000)}},
            "Resources.Fn.Properties.Events.Get.Properties.TimeoutInMillis: 31000 is outside "
            "50..30000",
        ),
        (
            {"Events": {"Get": api_event("/", "GET", Unknown=1)}},
            "Resources.Fn.Properties.Events.Get.Properties.Unknown: not a property of an Api event",
        ),
        (
            {"SomethingNew": True},
            "Resources.Fn.Properties.SomethingNew: not a property of AWS::Serverless::Function",
        ),
        (
            {"Handlr": "app.handler"},
            "Resources.Fn.Properties.Handlr: not a property of AWS::Serverless::Function; did "
            "you mean Handler?",
        ),
        (
            {"ImageConfig": {"Command": ["app.handler"]}},
            "Resources.Fn.Properties.ImageConfig: not supported by the local emulator",
        ),
        (
            {"Events": {"Get": api_event("/", "GET", Pth="/x")}},
            "Resources.Fn.Properties.Events.Get.Properties.Pth: not a property of an Api event; "
            "did you mean Path?",
        ),
        (
            {"Events": {"Get": http_event(Path="/", Method="GET", PayloadFormat="2.0")}},
            "Resources.Fn.Properties.Events.Get.Properties.PayloadFormat: not a property of an "
            "HttpApi event; did you mean PayloadFormatVersion?",
        ),
        (
            {"FunctionUrlConfig": {"AuthType": "NONE", "Cors": {"AllowOrigin": ["*"]}}},
            "Resources.Fn.Properties.FunctionUrlConfig.Cors.AllowOrigin: not a property of "
            "FunctionUrlConfig.Cors; did you mean AllowOrigins?",
        ),
        (
            {"Runtime": "nodejs20.x"},
            "Resources.Fn.Properties.Runtime: nodejs20.x is not a Python runtime; lambgate runs "
            "Python functions only",
        ),
        (
            {"FunctionUrlConfig": {"AuthType": "NONE", "InvokeMode": "STREAM"}},
            "Resources.Fn.Properties.FunctionUrlConfig.InvokeMode: expected BUFFERED or "
            "RESPONSE_STREAM, got 'STREAM'",
        ),
        (
            {"Events": {"Get": api_event("/", "GET", ResponseTransferMode="STREAM")}},
            "Resources.Fn.Properties.Events.Get.Properties.ResponseTransferMode: expected "
            "BUFFERED or RESPONSE_STREAM, got 'STREAM'",
        ),
        (
            {
                "Events": {
                    "Get": api_event(
                        "/", "GET", ResponseTransferMode="RESPONSE_STREAM", TimeoutInMillis=900_001
                    )
                }
            },
            "Resources.Fn.Properties.Events.Get.Properties.TimeoutInMillis: 900001 is outside "
            "50..900000",
        ),
        ({"Timeout": 0}, "Resources.Fn.Properties.Timeout: 0 is outside 1..900"),
    ],
)
def test_unsupported_settings_are_errors_at_their_location(
    tmp_path: Path, properties: dict[str, Any], message: str
) -> None:
    assert load_error(tmp_path, sam({"Fn": function(**properties)})) == message


def test_missing_code_folder_is_an_error(tmp_path: Path) -> None:
    message = load_error(tmp_path, sam({"Fn": function(CodeUri="nowhere")}))

    assert message == (
        f"Resources.Fn.Properties.CodeUri: {tmp_path / 'nowhere'} is missing; CodeUri must be "
        "a source folder"
    )


def test_the_same_route_twice_on_one_api_is_an_error(tmp_path: Path) -> None:
    template = sam(
        {
            "A": function(Events={"Get": api_event("/items", "GET")}),
            "B": function(Events={"List": api_event("/items", "get")}),
        }
    )

    assert load_error(tmp_path, template) == (
        "Resources.B.Properties.Events.List.Properties: GET /items on ServerlessRestApi is "
        "already served by Resources.A.Properties.Events.Get.Properties"
    )


def test_api_gateway_resources_the_emulator_does_not_serve_are_errors(tmp_path: Path) -> None:
    template = sam({"Fn": function(), "Raw": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {}}})

    assert load_error(tmp_path, template) == (
        "Resources.Raw: AWS::ApiGatewayV2::Api is not served locally: use "
        "AWS::Serverless::HttpApi with HttpApi events"
    )


def test_openapi_definition_body_is_an_error(tmp_path: Path) -> None:
    template = sam(
        {
            "Fn": function(),
            "Api": {
                "Type": "AWS::Serverless::Api",
                "Properties": {"StageName": "x", "DefinitionBody": {"openapi": "3.0"}},
            },
        }
    )

    assert load_error(tmp_path, template) == (
        "Resources.Api.Properties.DefinitionBody: OpenAPI definitions are not read"
    )


def test_duplicate_yaml_keys_are_an_error_with_their_line(tmp_path: Path) -> None:
    text = (
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Type: AWS::Lambda::Function\n"
    )
    path = write_template(tmp_path, text)

    with pytest.raises(TemplateError) as caught:
        load_template(path)
    assert str(caught.value) == f"{path}, line 4: duplicate key 'Type'"


def test_unknown_yaml_tag_is_an_error(tmp_path: Path) -> None:
    text = "Resources:\n  Fn:\n    Type: !Bogus x\n"
    path = write_template(tmp_path, text)

    with pytest.raises(TemplateError) as caught:
        load_template(path)
    assert str(caught.value) == f"{path}, line 3: unknown tag !Bogus"


def test_template_format_version_stays_text(tmp_path: Path) -> None:
    # Unquoted, ``2010-09-09`` is a YAML timestamp; CloudFormation reads text.
    text = (
        "AWSTemplateFormatVersion: 2010-09-09\n"
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {CodeUri: src, Handler: a.b, Runtime: python3.12,\n"
        "      Environment: {Variables: {VERSION: !Sub '${AWS::Partition}'}}}\n"
    )

    assert load_template(write_template(tmp_path, text)).functions["Fn"].variables == {
        "VERSION": "aws"
    }


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            sam(
                {"Fn": function(Events={"Get": http_event(Path="/", Method="GET")})},
                Globals={"HttpApi": {"Auth": {"DefaultAuthorizer": "Jwt"}}},
            ),
            "Resources.ServerlessHttpApi.Properties.Auth.DefaultAuthorizer: authorizers are not "
            "emulated",
        ),
        (
            sam({"Fn": function(Events={"Get": http_event(Method="GET")})}),
            "Resources.Fn.Properties.Events.Get.Properties.Path: required with Method GET",
        ),
        (
            sam({"Fn": function(Events={"Get": http_event(Path="/", PayloadFormatVersion="3.0")})}),
            "Resources.Fn.Properties.Events.Get.Properties.PayloadFormatVersion: expected 1.0 or "
            "2.0",
        ),
        (
            sam({"Fn": function(Handler={"Fn::GetAtt": ["Nothing", "Arn"]})}),
            "Resources.Fn.Properties.Handler.Fn::GetAtt: Fn::GetAtt on Nothing, which is no "
            "resource",
        ),
        (
            sam({"Fn": function(Handler={"Fn::Select": [5, ["a", "b"]]})}),
            "Resources.Fn.Properties.Handler.Fn::Select: index 5 is outside a list of 2",
        ),
        (
            sam(
                {"Fn": function(Handler={"Fn::FindInMap": ["Handlers", "prod", "name"]})},
                Mappings={"Handlers": {"dev": {"name": "app.handler"}}},
            ),
            "Resources.Fn.Properties.Handler.Fn::FindInMap: Mappings has no Handlers.prod",
        ),
        (
            sam(
                {"Fn": function(Handler={"Fn::Sub": "${Hosts}"})},
                Parameters={"Hosts": {"Type": "CommaDelimitedList", "Default": "a,b"}},
            ),
            "Resources.Fn.Properties.Handler.Fn::Sub (${Hosts}): expected a string, found a list",
        ),
        (
            sam({"Fn": function(PackageType="Image")}),
            "Resources.Fn.Properties.PackageType: Image is not run locally",
        ),
        (
            sam({"Fn": function(InlineCode="def handler(e, c): pass")}),
            "Resources.Fn.Properties.InlineCode: only CodeUri folders are run locally",
        ),
        (
            {"Resources": {"Fn": {"Type": "AWS::Serverless::Function", "Properties": {}}}},
            "Resources.Fn.Properties.CodeUri: required (here or in Globals)",
        ),
        (
            {"Resources": {}},
            "Resources: a template needs at least one resource",
        ),
        (
            sam({"Fn": {"Properties": {}}}),
            "Resources.Fn: a resource needs a Type",
        ),
    ],
)
def test_more_errors_at_their_location(
    tmp_path: Path, template: dict[str, Any], message: str
) -> None:
    assert load_error(tmp_path, template) == message


def test_cors_shorthands(tmp_path: Path) -> None:
    template = sam(
        {
            "Fn": function(
                Events={
                    "Rest": api_event("/", "GET"),
                    "Http": http_event(Path="/", Method="GET"),
                }
            )
        },
        # REST: a quoted origin; HTTP API: true allows every origin, method and header (SAM).
        Globals={"Api": {"Cors": "'https://example.com'"}, "HttpApi": {"CorsConfiguration": True}},
    )
    apis = load_template(write_template(tmp_path, template)).apis

    assert apis["ServerlessRestApi"].cors == CorsSpec(
        allow_origins=("https://example.com",), allow_methods=("*",)
    )
    assert apis["ServerlessHttpApi"].cors == CorsSpec(
        allow_origins=("*",), allow_methods=("*",), allow_headers=("*",)
    )


def test_plain_lambda_functions_and_unknown_env_var_sections_are_warned_about(
    tmp_path: Path,
) -> None:
    template = sam(
        {
            "Fn": function(),
            "Raw": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "x.y"}},
        }
    )
    loaded = load_template(write_template(tmp_path, template), env_vars={"Ghost": {"A": "1"}})

    assert loaded.warnings == (
        "Resources.Raw: AWS::Lambda::Function is not run locally; declare it as "
        "AWS::Serverless::Function",
        "--env-vars: Ghost is not a function of the template",
    )


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("Resources: [a, b\n", ", line 2, column 1", "not valid YAML"),
        ("- just\n- a list\n", "", "a template is a mapping with a Resources section"),
    ],
)
def test_files_that_are_not_templates(tmp_path: Path, text: str, where: str, message: str) -> None:
    path = write_template(tmp_path, text)

    with pytest.raises(TemplateError, match=message) as caught:
        load_template(path)
    assert caught.value.location == f"{path}{where}"


def test_env_vars_of_the_wrong_shape_are_an_error(tmp_path: Path) -> None:
    message = load_error(tmp_path, sam({"Fn": function()}), env_vars={"Fn": "not-a-mapping"})

    assert message == '--env-vars: expected {"FunctionId": {"NAME": "value"}, ...}'


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        (
            {"Type": "AWS::Serverless::Api", "Properties": {"StageNme": "v1"}},
            "Resources.Api.Properties.StageNme: not a property of AWS::Serverless::Api; did you "
            "mean StageName?",
        ),
        (
            {"Type": "AWS::Serverless::Api", "Properties": {"StageName": "v1", "Policy": {}}},
            "Resources.Api.Properties.Policy: not supported by the local emulator",
        ),
        (
            {"Type": "AWS::Serverless::HttpApi", "Properties": {"CorsConfig": True}},
            "Resources.Api.Properties.CorsConfig: not a property of AWS::Serverless::HttpApi; "
            "did you mean CorsConfiguration?",
        ),
        (
            {
                "Type": "AWS::Serverless::HttpApi",
                "Properties": {"CorsConfiguration": {"AllowOrigin": ["*"]}},
            },
            "Resources.Api.Properties.CorsConfiguration.AllowOrigin: not a property of "
            "CorsConfiguration; did you mean AllowOrigins?",
        ),
        (
            {
                "Type": "AWS::Serverless::Api",
                "Properties": {"StageName": "v1", "Cors": {"AllowOrigins": "'*'"}},
            },
            "Resources.Api.Properties.Cors.AllowOrigins: not a property of Cors; did you mean "
            "AllowOrigin?",
        ),
    ],
)
def test_a_misspelt_api_property_suggests_the_one_sam_defines(
    tmp_path: Path, resource: dict[str, Any], message: str
) -> None:
    template = sam({"Api": resource, "Fn": function()})
    assert load_error(tmp_path, template) == message


def test_the_properties_sam_defines_are_the_sam_translators() -> None:
    """Each table's ``defined`` is what SAM's own schema defines there, so a real property is
    never called a misspelling, nor a misspelling "not supported"."""
    from samtranslator.internal.schema_source import (  # the SAM translator's own schema
        aws_serverless_api,
        aws_serverless_function,
        aws_serverless_httpapi,
        aws_serverless_websocketapi,
    )

    from lambgate.local.template import properties

    expected = [
        (properties.FUNCTION, aws_serverless_function.Properties),
        (properties.API, aws_serverless_api.Properties),
        (properties.HTTP_API, aws_serverless_httpapi.Properties),
        (properties.API_EVENT, aws_serverless_function.ApiEventProperties),
        (properties.HTTP_API_EVENT, aws_serverless_function.HttpApiEventProperties),
        (properties.FUNCTION_URL, aws_serverless_function.FunctionUrlConfig),
        (properties.REST_API_CORS, aws_serverless_api.Cors),
        (properties.HTTP_API_CORS, aws_serverless_httpapi.CorsConfiguration),
        (properties.WEBSOCKET_API, aws_serverless_websocketapi.Properties),
        (properties.WEBSOCKET_API_ROUTE, aws_serverless_websocketapi.WebSocketApiRoute),
    ]
    for table, model in expected:
        assert table.defined == set(model.__fields__) | beyond_schema(table.owner), table.owner


def beyond_schema(owner: str) -> set[str]:
    """Properties the translator takes that its schema leaves out: ``FailOnWarnings`` of a
    WebSocketApi is in ``SamWebSocketApi.property_types`` and in its Globals, not its schema."""
    if owner != "AWS::Serverless::WebSocketApi":
        return set()
    from samtranslator.internal.schema_source import aws_serverless_websocketapi
    from samtranslator.model.sam_resources import SamWebSocketApi

    return set(SamWebSocketApi.property_types) - set(
        aws_serverless_websocketapi.Properties.__fields__
    )
