"""``lambgate deploy`` against moto: real boto3 clients, AWS emulated in-process, and once
over HTTP by ``moto_server`` on 127.0.0.1 through ``AWS_ENDPOINT_URL``.

What moto does not emulate is said where it matters: it ignores the ``Qualifier`` of Function
URL configs (the URL hangs off the function, not the alias), keeps an alias's resource policy
on the version the alias points to (so a new version starts with an empty policy, where AWS
keeps the alias's), has no ``UpdateStage``, and reports every function ``Active`` at once.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from lambgate.deploy import deploy
from lambgate.deploy.aws_errors import explain, is_retryable, with_backoff
from lambgate.deploy.deploy import code_sha256
from lambgate.deploy.deploy_plan import (
    API_PERMISSION_SID,
    URL_INVOKE_PERMISSION_SID,
    URL_PERMISSION_SID,
    DeploySpec,
    FunctionSpec,
    Observed,
    plan,
)
from lambgate.deploy.package import PackageOptions, build_package

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake keys and a region, and nothing from this machine's AWS setup."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def aws(aws_env: None) -> Iterator[None]:
    with mock_aws():
        yield


def _role() -> str:
    iam = boto3.client("iam")
    return str(
        iam.create_role(RoleName="lambgate-test", AssumeRolePolicyDocument=TRUST_POLICY)["Role"][
            "Arn"
        ]
    )


def _zip(tmp_path: Path, body: str = "app = None\n", name: str = "lambda.zip") -> Path:
    source = tmp_path / "src"
    source.mkdir(exist_ok=True)
    (source / "main.py").write_text(body)
    return build_package(PackageOptions(source=source, output=tmp_path / name)).output


def _deploy(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="lambgate deploy")
    deploy.add_arguments(parser)
    return deploy.run(parser.parse_args(argv))


def _full(zip_path: Path, role: str | None, *extra: str) -> tuple[str, ...]:
    arguments = ["--function-name", "web", "--zip", str(zip_path), "--app", "main:app"]
    if role is not None:
        arguments += ["--role", role]
    return (*arguments, "--function-url", "--http-api", *extra)


def test_first_deploy_creates_everything(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role = _role()
    zip_path = _zip(tmp_path)

    assert _deploy(*_full(zip_path, role)) == 0
    out = capsys.readouterr().out

    lam = boto3.client("lambda")
    configuration = lam.get_function(FunctionName="web")["Configuration"]
    assert {key: configuration[key] for key in ("Runtime", "Handler", "Role", "MemorySize")} == {
        "Runtime": "python3.12",
        "Handler": "lambgate.lambda_handler",
        "Role": role,
        "MemorySize": 512,
    }
    assert configuration["Timeout"] == 30
    assert configuration["Environment"] == {"Variables": {"LAMBGATE_APP": "main:app"}}
    assert configuration["Architectures"] == ["x86_64"]
    assert configuration["CodeSha256"] == code_sha256(zip_path.read_bytes())
    alias = lam.get_alias(FunctionName="web", Name="live")
    assert alias["FunctionVersion"] == "1"
    url = lam.get_function_url_config(FunctionName="web", Qualifier="live")
    assert url["AuthType"] == "NONE"
    policy = json.loads(lam.get_policy(FunctionName="web", Qualifier="live")["Policy"])
    statements = {statement["Sid"]: statement for statement in policy["Statement"]}
    assert set(statements) == {URL_PERMISSION_SID, URL_INVOKE_PERMISSION_SID, API_PERMISSION_SID}
    assert statements[URL_PERMISSION_SID]["Action"] == "lambda:InvokeFunctionUrl"
    assert statements[URL_INVOKE_PERMISSION_SID]["Action"] == "lambda:InvokeFunction"

    gateway = boto3.client("apigatewayv2")
    (api,) = gateway.get_apis()["Items"]
    assert (api["Name"], api["ProtocolType"]) == ("web", "HTTP")
    (integration,) = gateway.get_integrations(ApiId=api["ApiId"])["Items"]
    alias_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:web:live"
    assert {
        key: integration[key]
        for key in ("IntegrationType", "IntegrationUri", "PayloadFormatVersion")
    } == {
        "IntegrationType": "AWS_PROXY",
        "IntegrationUri": alias_arn,
        "PayloadFormatVersion": "2.0",
    }
    (route,) = gateway.get_routes(ApiId=api["ApiId"])["Items"]
    assert (route["RouteKey"], route["Target"]) == (
        "$default",
        f"integrations/{integration['IntegrationId']}",
    )
    stage = gateway.get_stage(ApiId=api["ApiId"], StageName="$default")
    assert stage["AutoDeploy"] is True
    # Only this API may invoke the alias, from any of its stages and routes.
    assert statements[API_PERMISSION_SID]["Condition"] == {
        "ArnLike": {"AWS:SourceArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api['ApiId']}/*/*"}
    }
    assert statements[API_PERMISSION_SID]["Principal"] == {"Service": "apigateway.amazonaws.com"}

    lines = out.splitlines()
    assert lines[0] == f"lambgate deploy: web in {REGION} (account {ACCOUNT})"
    assert lines[1].split()[:3] == ["create", "function", "web"]
    assert "deployed: 11 change(s)" in lines
    assert f"Function URL: {url['FunctionUrl']}" in lines
    assert f"HTTP API: {api['ApiEndpoint'].rstrip('/')}/" in lines


def test_second_run_changes_nothing_and_says_so(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role = _role()
    zip_path = _zip(tmp_path)
    assert _deploy(*_full(zip_path, role)) == 0
    capsys.readouterr()
    lam = boto3.client("lambda")
    before = lam.get_function(FunctionName="web")["Configuration"]["LastModified"]

    # The role may be left out once the function exists: the function keeps its own.
    assert _deploy(*_full(zip_path, None)) == 0
    out = capsys.readouterr().out.splitlines()

    # function, alias, URL, its 2 permissions, API, integration, route, stage, permission
    assert [line.split()[0] for line in out[1:11]] == ["unchanged"] * 10
    assert out[11] == "nothing to change: everything is up to date"
    versions = lam.list_versions_by_function(FunctionName="web")["Versions"]
    assert [version["Version"] for version in versions] == ["$LATEST", "1"]
    assert lam.get_function(FunctionName="web")["Configuration"]["LastModified"] == before
    assert len(boto3.client("apigatewayv2").get_apis()["Items"]) == 1


def test_new_code_updates_publishes_and_moves_the_alias(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role = _role()
    assert _deploy(*_full(_zip(tmp_path), role)) == 0
    url_before = boto3.client("lambda").get_function_url_config(FunctionName="web")["FunctionUrl"]
    changed = _zip(tmp_path, "app = 'v2'\n", name="v2.zip")
    capsys.readouterr()

    assert _deploy(*_full(changed, role, "--memory", "1024")) == 0
    out = capsys.readouterr().out.splitlines()

    lam = boto3.client("lambda")
    configuration = lam.get_function(FunctionName="web")["Configuration"]
    assert configuration["CodeSha256"] == code_sha256(changed.read_bytes())
    assert configuration["MemorySize"] == 1024
    assert lam.get_alias(FunctionName="web", Name="live")["FunctionVersion"] == "2"
    version_two = lam.get_function_configuration(FunctionName="web", Qualifier="2")
    assert version_two["CodeSha256"] == code_sha256(changed.read_bytes())
    assert lam.get_function_url_config(FunctionName="web")["FunctionUrl"] == url_before
    assert "  update    function web code" in out
    assert "  update    function web configuration  (MemorySize)" in out
    assert "  update    alias live  (version 1 -> new version)" in out


def test_dry_run_prints_the_plan_and_touches_nothing(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role = _role()
    assert _deploy(*_full(_zip(tmp_path), role, "--dry-run")) == 0
    out = capsys.readouterr().out.splitlines()

    assert [line.split()[:2] for line in out[1:-1]] == [
        ["create", "function"],
        ["publish", "version"],
        ["create", "alias"],
        ["create", "function"],  # function URL
        ["create", "permission"],
        ["create", "permission"],
        ["create", "HTTP"],
        ["create", "integration"],
        ["create", "route"],
        ["create", "stage"],
        ["create", "permission"],
    ]
    assert out[-1] == "dry run: 11 change(s) planned, nothing was changed"
    assert boto3.client("lambda").list_functions()["Functions"] == []
    assert boto3.client("apigatewayv2").get_apis()["Items"] == []


def test_dry_run_after_a_deploy_shows_only_the_code_change(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role = _role()
    original = _zip(tmp_path)
    assert _deploy(*_full(original, role)) == 0
    changed = _zip(tmp_path, "app = 'v2'\n", name="v2.zip")
    capsys.readouterr()

    assert _deploy(*_full(changed, role, "--dry-run")) == 0
    out = capsys.readouterr().out.splitlines()

    changes = [
        line.strip() for line in out[1:] if line.startswith("  ") and "unchanged" not in line
    ]
    assert changes == [
        "update    function web code",
        "publish   version",
        "update    alias live  (version 1 -> new version)",
    ]
    lam = boto3.client("lambda")
    assert lam.get_function(FunctionName="web")["Configuration"]["CodeSha256"] == code_sha256(
        original.read_bytes()
    )
    assert len(lam.list_versions_by_function(FunctionName="web")["Versions"]) == 2


def test_private_url_removes_the_public_permissions(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role = _role()
    zip_path = _zip(tmp_path)
    assert (
        _deploy("--function-name", "web", "--zip", str(zip_path), "--role", role, "--function-url")
        == 0
    )

    assert (
        _deploy(
            "--function-name",
            "web",
            "--zip",
            str(zip_path),
            "--function-url",
            "--url-auth",
            "AWS_IAM",
        )
        == 0
    )

    lam = boto3.client("lambda")
    assert lam.get_function_url_config(FunctionName="web")["AuthType"] == "AWS_IAM"
    with pytest.raises(ClientError) as caught:
        lam.get_policy(FunctionName="web", Qualifier="live")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_missing_role_argument_on_create(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _deploy("--function-name", "web", "--zip", str(_zip(tmp_path))) == 1
    error = capsys.readouterr().err
    assert error.startswith("lambgate deploy: error: function web does not exist yet: --role")


def test_role_that_does_not_exist(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/nobody"
    assert _deploy("--function-name", "web", "--zip", str(_zip(tmp_path)), "--role", role) == 1
    assert capsys.readouterr().err == (
        f"lambgate deploy: error: the role {role} does not exist: create it "
        "(trust lambda.amazonaws.com) or pass the ARN of one that does\n"
    )
    assert boto3.client("lambda").list_functions()["Functions"] == []


def test_no_credentials(
    aws_env: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert _deploy("--function-name", "web", "--zip", str(_zip(tmp_path))) == 1
    error = capsys.readouterr().err
    assert error.startswith("lambgate deploy: error: no usable AWS credentials (Unable to locate")
    assert "--profile" in error


def test_no_region(
    aws_env: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert _deploy("--function-name", "web", "--zip", str(_zip(tmp_path))) == 1
    assert capsys.readouterr().err == (
        "lambgate deploy: error: no AWS region: pass --region, set AWS_REGION or "
        "AWS_DEFAULT_REGION, or set region in your AWS profile\n"
    )


def test_aws_region_and_profile_are_honoured(
    aws: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config"
    config.write_text("[profile staging]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    # A named profile takes its keys from the profile, not from AWS_ACCESS_KEY_ID.
    credentials = tmp_path / "credentials"
    credentials.write_text("[staging]\naws_access_key_id = a\naws_secret_access_key = b\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    zip_path = _zip(tmp_path)

    assert (
        _deploy(
            "--function-name", "web", "--zip", str(zip_path), "--profile", "staging", "--dry-run"
        )
        == 0
    )
    assert capsys.readouterr().out.startswith("lambgate deploy: web in eu-west-1 ")
    monkeypatch.setenv("AWS_REGION", "ap-southeast-2")
    assert _deploy("--function-name", "web", "--zip", str(zip_path), "--dry-run") == 0
    assert capsys.readouterr().out.startswith("lambgate deploy: web in ap-southeast-2 ")
    assert _deploy("--function-name", "web", "--zip", str(zip_path), "--profile", "nope") == 1
    assert "The config profile (nope) could not be found" in capsys.readouterr().err


def _client_error(code: str, message: str, status: int = 400) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "CreateFunction",
    )


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (_client_error("TooManyRequestsException", "Rate exceeded", 429), True),
        (_client_error("ThrottlingException", "Rate exceeded"), True),
        (
            _client_error(
                "ResourceConflictException",
                "The operation cannot be performed at this time. An update is in progress for "
                "resource: arn:aws:lambda:us-east-1:123456789012:function:web",
                409,
            ),
            True,
        ),
        (_client_error("ResourceConflictException", "Function already exist: web", 409), False),
        (
            _client_error(
                "InvalidParameterValueException",
                "The role defined for the function cannot be assumed by Lambda.",
            ),
            True,
        ),
        (_client_error("InvalidParameterValueException", "Unzipped size must be smaller"), False),
        (_client_error("AccessDeniedException", "not authorized", 403), False),
    ],
)
def test_which_errors_are_retried(error: ClientError, retryable: bool) -> None:
    assert is_retryable(error) is retryable


def test_backoff_grows_exponentially_with_full_jitter_then_gives_up() -> None:
    sleeps: list[float] = []
    calls = 0

    def throttled() -> None:
        nonlocal calls
        calls += 1
        raise _client_error("TooManyRequestsException", "Rate exceeded", 429)

    with pytest.raises(ClientError):
        with_backoff(
            throttled,
            attempts=5,
            base_delay=1.0,
            max_delay=5.0,
            sleep=sleeps.append,
            jitter=lambda: 1.0,
        )
    assert calls == 5
    assert sleeps == [1.0, 2.0, 4.0, 5.0]
    assert "after retries with backoff" in explain(_client_error("TooManyRequestsException", "x"))


class _ThrottlingLambda(BaseHTTPRequestHandler):
    """Answers CreateFunction as Lambda does when throttled, then as when it succeeds."""

    throttled_answers = 3
    requests = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).requests += 1
        if type(self).requests <= self.throttled_answers:
            # https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html#API_CreateFunction_Errors
            body = json.dumps(
                {"Reason": "CallerRateLimitExceeded", "Type": "User", "message": "Rate exceeded"}
            )
            self.send_response(429)
            self.send_header("x-amzn-ErrorType", "TooManyRequestsException")
        else:
            body = json.dumps({"FunctionName": "web", "State": "Pending"})
            self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_throttled_create_is_retried_by_botocore_then_by_our_backoff(aws_env: None) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ThrottlingLambda)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = boto3.client(
            "lambda",
            endpoint_url=f"http://127.0.0.1:{server.server_address[1]}",
            config=Config(retries={"mode": "standard", "max_attempts": 2}),
        )
        sleeps: list[float] = []
        answer = with_backoff(
            lambda: client.create_function(
                FunctionName="web", Role=f"arn:aws:iam::{ACCOUNT}:role/r", Code={"ZipFile": b"x"}
            ),
            sleep=sleeps.append,
            jitter=lambda: 0.0,
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert answer["FunctionName"] == "web"
    # botocore tried twice, gave up; we waited once; botocore tried twice more.
    assert _ThrottlingLambda.requests == 4
    assert sleeps == [0.0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def moto_server(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        endpoint = f"http://127.0.0.1:{port}"
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_deploy_over_http_to_moto_server(
    moto_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same deploy, with botocore taking the endpoint from AWS_ENDPOINT_URL."""
    role = _role()
    zip_path = _zip(tmp_path)

    assert _deploy(*_full(zip_path, role)) == 0
    first = capsys.readouterr().out.splitlines()
    assert _deploy(*_full(zip_path, role)) == 0
    second = capsys.readouterr().out.splitlines()

    assert "deployed: 11 change(s)" in first
    assert "nothing to change: everything is up to date" in second
    lam = boto3.client("lambda")
    assert lam.get_alias(FunctionName="web", Name="live")["FunctionVersion"] == "1"
    urls = [line for line in second if line.startswith(("Function URL: ", "HTTP API: "))]
    assert [url.split(": ", 1)[0] for url in urls] == ["Function URL", "HTTP API"]
    assert urls == [line for line in first if line.startswith(("Function URL: ", "HTTP API: "))]


def test_plan_updates_only_what_drifted() -> None:
    """Drift moto cannot produce: a stage without auto-deploy, an API recreated under the same
    name (the permission still names the old one), settings changed in the console."""
    spec = DeploySpec(
        function=FunctionSpec(
            name="web",
            runtime="python3.12",
            architecture="arm64",
            handler="lambgate.lambda_handler",
            code_sha256="abc=",
            timeout=10,
            environment={"LAMBGATE_APP": "main:app"},
        ),
        http_api=True,
        api_name="web",
        region=REGION,
        account=ACCOUNT,
    )
    configuration = {
        "CodeSha256": "abc=",
        "Runtime": "python3.12",
        "Handler": "lambgate.lambda_handler",
        "Role": "arn:aws:iam::123456789012:role/r",
        "MemorySize": 512,
        "Timeout": 30,
        "Architectures": ["x86_64"],
        # A variable set by hand stays: --env sets the ones given and keeps the others.
        "Environment": {"Variables": {"LAMBGATE_APP": "main:app", "DEBUG": "1"}},
    }
    observed = Observed(
        function=configuration,
        alias={"FunctionVersion": "3"},
        alias_target=configuration,
        permissions={
            API_PERMISSION_SID: {
                "Sid": API_PERMISSION_SID,
                "Condition": {
                    "ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:us-east-1:1:old/*/*"}
                },
            }
        },
        api={"ApiId": "new", "Name": "web"},
        integration={
            "IntegrationId": "i1",
            "IntegrationType": "AWS_PROXY",
            "IntegrationUri": spec.alias_arn(),
            "PayloadFormatVersion": "2.0",
        },
        route={"RouteId": "r1", "Target": "integrations/i1"},
        stage={"StageName": "$default", "AutoDeploy": False},
    )

    changes = [str(step) for step in plan(spec, observed) if step.changes]

    assert changes == [
        "update    function web code",
        "update    function web configuration  (Timeout)",
        "publish   version",
        "update    alias live  (version 3 -> new version)",
        "update    stage $default  (auto-deploy)",
        "update    permission lambgate-http-api  (the API may invoke the alias)",
    ]


def test_redeploy_without_python_or_arch_keeps_the_functions_own(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The zip holds wheels for the function's runtime and architecture; a routine
    re-deploy (here: one environment variable) must not switch them back to the defaults."""
    role = _role()
    zip_path = _zip(tmp_path)
    base = ("--function-name", "web", "--zip", str(zip_path), "--app", "main:app")
    assert _deploy(*base, "--role", role, "--arch", "arm64", "--python", "3.11") == 0
    capsys.readouterr()

    assert _deploy(*base, "--env", "FEATURE=1") == 0
    out = capsys.readouterr().out.splitlines()

    configuration = boto3.client("lambda").get_function_configuration(FunctionName="web")
    assert (configuration["Runtime"], configuration["Architectures"]) == ("python3.11", ["arm64"])
    assert configuration["Environment"] == {
        "Variables": {"LAMBGATE_APP": "main:app", "FEATURE": "1"}
    }
    changes = [
        line.strip()
        for line in out[1:]
        if line.startswith("  ") and not line.startswith(("  unchanged", "  done"))
    ]
    assert changes == [
        "update    function web configuration  (Environment)",
        "publish   version",
        "update    alias live  (version 1 -> new version)",
    ]


def test_redeploy_with_python_and_arch_changes_them(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role = _role()
    zip_path = _zip(tmp_path)
    base = ("--function-name", "web", "--zip", str(zip_path))
    assert _deploy(*base, "--role", role) == 0
    capsys.readouterr()

    assert _deploy(*base, "--arch", "arm64", "--python", "3.13") == 0

    # moto ignores UpdateFunctionCode's Architectures; Lambda applies it with the code:
    # https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionCode.html
    configuration = boto3.client("lambda").get_function_configuration(FunctionName="web")
    assert configuration["Runtime"] == "python3.13"
    out = capsys.readouterr().out.splitlines()
    assert "  update    function web code" in out
    assert "  update    function web configuration  (Runtime)" in out


def _url_and_policy() -> tuple[str | None, set[str]]:
    lam = boto3.client("lambda")
    try:
        url = lam.get_function_url_config(FunctionName="web", Qualifier="live")["FunctionUrl"]
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ResourceNotFoundException"
        url = None
    try:
        policy = json.loads(lam.get_policy(FunctionName="web", Qualifier="live")["Policy"])
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ResourceNotFoundException"
        return url, set()
    return url, {statement["Sid"] for statement in policy["Statement"]}


def test_redeploy_without_function_url_leaves_the_url_working(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A public URL without its permissions answers 403 Forbidden
    (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html): leaving out
    --function-url must keep both or neither, and it keeps both."""
    role = _role()
    base = ("--function-name", "web", "--zip", str(_zip(tmp_path)), "--app", "main:app")
    assert _deploy(*base, "--role", role, "--function-url") == 0
    url, _ = _url_and_policy()
    capsys.readouterr()

    assert _deploy(*base) == 0
    out = capsys.readouterr().out.splitlines()

    assert _url_and_policy() == (url, {URL_PERMISSION_SID, URL_INVOKE_PERMISSION_SID})
    assert f"  unchanged function URL  ({url}, kept; --no-function-url deletes it)" in out
    assert "nothing to change: everything is up to date" in out
    assert f"Function URL: {url}" in out


def test_no_function_url_deletes_the_url_and_its_permissions(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role = _role()
    base = ("--function-name", "web", "--zip", str(_zip(tmp_path)))
    assert _deploy(*base, "--role", role, "--function-url") == 0
    url, _ = _url_and_policy()
    capsys.readouterr()

    assert _deploy(*base, "--no-function-url", "--dry-run") == 0
    planned = capsys.readouterr().out.splitlines()
    assert _deploy(*base, "--no-function-url") == 0
    out = capsys.readouterr().out.splitlines()

    changes = [
        f"  delete    function URL  ({url})",
        f"  delete    permission {URL_PERMISSION_SID}  (the URL is deleted)",
        f"  delete    permission {URL_INVOKE_PERMISSION_SID}  (the URL is deleted)",
    ]
    assert [line for line in planned if line.startswith("  delete")] == changes
    assert [line for line in out if line.startswith("  delete")] == changes
    assert _url_and_policy() == (None, set())
    assert not [line for line in out if line.startswith("Function URL:")]
    # Once gone, --no-function-url has nothing left to do.
    assert _deploy(*base, "--no-function-url") == 0
    assert "nothing to change: everything is up to date" in capsys.readouterr().out


class _IamDenyingGetRole(BaseHTTPRequestHandler):
    """IAM as a least-privilege deployer (lambda:*, iam:PassRole) sees it: GetRole denied."""

    actions: list[str] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        type(self).actions.append(body.split("Action=", 1)[1].split("&", 1)[0])
        # https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html (AccessDenied,
        # 403), in the query protocol's error document.
        answer = (
            '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error>'
            "<Type>Sender</Type><Code>AccessDenied</Code><Message>User: "
            f"arn:aws:iam::{ACCOUNT}:user/ci is not authorized to perform: iam:GetRole on "
            "resource: role lambgate-test because no identity-based policy allows the "
            "iam:GetRole action</Message></Error><RequestId>1</RequestId></ErrorResponse>"
        ).encode()
        self.send_response(403)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_deployer_without_iam_get_role_can_still_create_the_function(
    aws: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """CreateFunction needs iam:PassRole on the role, not iam:GetRole
    (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html). moto
    cannot enforce IAM on Lambda's GET calls, so IAM alone is a local server that denies."""
    role = _role()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _IamDenyingGetRole)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", f"http://127.0.0.1:{server.server_address[1]}")
    try:
        code = _deploy("--function-name", "web", "--zip", str(_zip(tmp_path)), "--role", role)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    assert code == 0
    out = capsys.readouterr().out.splitlines()
    assert _IamDenyingGetRole.actions == ["GetRole"]
    assert out[1] == (
        f"  note: not allowed iam:GetRole, so not checking that {role} exists; Lambda will"
    )
    configuration = boto3.client("lambda").get_function_configuration(FunctionName="web")
    assert configuration["Role"] == role
