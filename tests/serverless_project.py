"""A Serverless-Framework-style project: its own ``handler.py`` (the framework's default file
name, ``Handler: handler.main``) beside folders named ``infra/`` and ``local_server/``, names a
library must never claim. The handler serves a WSGI app with ``from lambgate import
make_handler`` and answers with where each of those imports came from."""

from __future__ import annotations

from pathlib import Path

HANDLER_PY = """\
import infra
import local_server
from lambgate import make_handler


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{environ['PATH_INFO']} {infra.WHO} {local_server.WHO}".encode()]


main = make_handler(app)
"""

TEMPLATE_YAML = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: handler.main
      Runtime: python3.12
"""

#: What the app answers for ``GET /hello`` when every name resolves to its owner.
EXPECTED_BODY = "/hello the app's infra the app's local_server"


def write_serverless_project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "handler.py").write_text(HANDLER_PY)
    (root / "template.yaml").write_text(TEMPLATE_YAML)
    for name in ("infra", "local_server"):
        (root / name).mkdir()
        (root / name / "__init__.py").write_text(f'WHO = "the app\'s {name}"\n')
    return root
