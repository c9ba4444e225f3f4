"""The ``lambgate`` command line (also ``python -m lambgate``).

Each subcommand is one row of :data:`COMMANDS`: a name, a one-line help, a function adding
its arguments to an ``argparse`` parser and a function running it (``run(args) -> exit
status``). A new subcommand is one new row.

- ``serve``: the template's functions (or one APP) behind their AWS fronts (:mod:`.serve`);
- ``invoke``: one invocation in a fresh execution environment (:mod:`.invoke_command`);
- ``event``: the event the AWS service of a kind would send Lambda for a request, built by the
  same ``request_to_event`` the emulator uses, for test events and ``sam local invoke -e``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from lambgate.deploy import deploy, package
from lambgate.events import SOURCES, GatewayContext, get_source
from lambgate.model import Request

from . import invoke_command, serve

__all__ = ["COMMANDS", "Command", "build_parser", "main"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """One ``lambgate`` subcommand."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"a header is NAME:VALUE, got {text!r}")
    return name.strip().lower(), value.strip()


def add_event_arguments(event: argparse.ArgumentParser) -> None:
    event.add_argument(
        "kind",
        choices=[source.name for source in SOURCES],
        metavar="KIND",
        help="event source: " + ", ".join(source.name for source in SOURCES),
    )
    event.add_argument("--method", default="GET", help="HTTP method (default GET)")
    event.add_argument("--path", default="/", help="request path, percent-encoded as on the wire")
    event.add_argument("--query", default="", help="query string, as on the wire (a=1&b=2)")
    event.add_argument(
        "--header",
        action="append",
        type=_header,
        default=[],
        metavar="NAME:VALUE",
        help="a request header (repeatable)",
    )
    event.add_argument("--body", default="", help="request body; @FILE reads a file")
    event.add_argument("--stage", default=None, help="API Gateway stage name")


def _event(args: argparse.Namespace) -> dict[str, object]:
    source = get_source(args.kind)
    split = urlsplit(args.path)
    raw_path = quote(split.path or "/", safe="/%:@!$&'()*+,;=-._~")
    body = b""
    if args.body.startswith("@"):
        with open(args.body[1:], "rb") as file:
            body = file.read()
    elif args.body:
        body = args.body.encode("utf-8")
    headers = list(args.header)
    given = {name for name, _ in headers}
    # What every AWS front end adds to a request before Lambda sees it.
    added = {
        "host": "abcdef1234.execute-api.us-east-1.amazonaws.com",
        "user-agent": "curl/8.5.0",
        "x-forwarded-for": "203.0.113.10",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    if body:
        added["content-length"] = str(len(body))
    headers[:0] = [(name, value) for name, value in added.items() if name not in given]
    request = Request(
        method=args.method.upper(),
        path=unquote(raw_path),
        raw_path=raw_path,
        query_string=(args.query or split.query).lstrip("?"),
        headers=headers,
        body=body,
        client=("203.0.113.10", 0),
        # REST's requestContext.path carries the stage, its path does not (hotsock/voker's
        # live capture apigwv1-request.json: "/live/capture/..." on stage "live").
        root_path=f"/{args.stage}" if args.kind == "rest" and args.stage else "",
    )
    invocation = GatewayContext(stage=args.stage)
    if args.kind == "rest" and raw_path == "/":
        # A greedy /{proxy+} never takes the root: AWS routes it to the "/" resource, which
        # has no path parameters.
        invocation = GatewayContext(stage=args.stage, resource="/")
    return source.request_to_event(request, invocation)


def run_event(args: argparse.Namespace) -> int:
    json.dump(_event(args), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


COMMANDS: tuple[Command, ...] = (
    Command(
        name="serve",
        help="serve a SAM template's functions (or one APP) behind their AWS fronts, locally",
        add_arguments=serve.add_arguments,
        run=serve.run,
    ),
    Command(
        name="invoke",
        help="run one invocation of a function in a fresh execution environment",
        add_arguments=invoke_command.add_arguments,
        run=invoke_command.run,
    ),
    Command(
        name="package",
        help="build the deployment zip: the app, lambgate's handler and requirements for Lambda",
        add_arguments=package.add_arguments,
        run=package.run,
    ),
    Command(
        name="deploy",
        help="create or update the function, its alias, function URL and HTTP API with boto3",
        add_arguments=deploy.add_arguments,
        run=deploy.run,
    ),
    Command(
        name="event",
        help="print the Lambda event an AWS service sends for a request",
        add_arguments=add_event_arguments,
        run=run_event,
    ),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lambgate", description="Run web apps on AWS Lambda, and emulate AWS locally."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        subparser = commands.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(subparser)
        subparser.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    status: int = args.run(args)
    return status
