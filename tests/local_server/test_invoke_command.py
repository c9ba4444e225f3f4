"""``lambgate invoke`` without ``--event``: the function gets what ``GET /`` through its front
would give it, so an app answers as in a browser instead of failing on an event it cannot read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lambgate.events import detect

from .running_emulator import APPS


def invoke(*arguments: str, cwd: Path = APPS) -> Any:
    """The result ``lambgate invoke`` printed, once it succeeded."""
    proc = subprocess.run(
        [sys.executable, "-m", "lambgate", "invoke", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def event_seen(*arguments: str, cwd: Path = APPS) -> dict[str, Any]:
    """The event ``plain_handlers.echo`` (or a function running it) was given."""
    event: dict[str, Any] = json.loads(invoke(*arguments, cwd=cwd)["body"])["event"]
    return event


def test_an_app_gets_an_http_api_get_slash_like_serve_by_default() -> None:
    event = event_seen("plain_handlers:echo")
    assert detect(event).name == "http"
    assert (event["routeKey"], event["rawPath"]) == ("$default", "/")
    assert event["requestContext"]["http"]["method"] == "GET"


@pytest.mark.parametrize("kind", ["rest", "http-v1", "url", "alb"])
def test_format_chooses_the_kind_of_the_get_slash(kind: str) -> None:
    event = event_seen("plain_handlers:echo", "--format", kind)
    assert detect(event).name == kind


def test_a_web_app_answers_the_get_slash(tmp_path: Path) -> None:
    """Once answered with "pass source= to make_handler": an empty event is no request."""
    (tmp_path / "hello.py").write_text(
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [environ['REQUEST_METHOD'].encode() + b' ' + environ['PATH_INFO'].encode()]\n"
    )
    result = invoke("hello:app", cwd=tmp_path)
    assert (result["statusCode"], result["body"]) == (200, "GET /")


def test_a_template_function_gets_its_first_apis_event_with_its_stage() -> None:
    # EchoFunction's first event is a REST API route, on SAM's implicit API (stage Prod).
    event = event_seen("--template", "template.yaml", "--function", "EchoFunction")
    assert detect(event).name == "rest"
    assert (event["httpMethod"], event["path"], event["requestContext"]["stage"]) == (
        "GET",
        "/",
        "Prod",
    )


def test_a_template_function_no_front_calls_gets_an_empty_event(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Worker:\n"
        "    Type: AWS::Serverless::Function\n"
        f"    Properties: {{CodeUri: {APPS}, Handler: plain_handlers.echo, Runtime: python3.12}}\n"
    )
    assert event_seen(cwd=tmp_path) == {}
