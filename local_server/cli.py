"""The ``lambgate`` command line (also ``python -m local_server``).

``lambgate event KIND`` prints the event the AWS service of that kind would send Lambda for a
request, built by the same ``request_to_event`` the emulator uses, for test events and for
``sam local invoke -e``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from urllib.parse import quote, unquote, urlsplit

from handler.events import SOURCES, Invocation, get_source
from handler.model import Request

__all__ = ["main"]


def _header(text: str) -> tuple[bytes, bytes]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"a header is NAME:VALUE, got {text!r}")
    return name.strip().lower().encode("latin-1"), value.strip().encode("latin-1")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lambgate", description="Run web apps on AWS Lambda, and emulate AWS locally."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    event = commands.add_parser(
        "event",
        help="print the Lambda event an AWS service sends for a request",
        description="Print the Lambda event an AWS service of KIND sends for one request.",
    )
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
    return parser


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
        b"host": b"abcdef1234.execute-api.us-east-1.amazonaws.com",
        b"user-agent": b"curl/8.5.0",
        b"x-forwarded-for": b"203.0.113.10",
        b"x-forwarded-port": b"443",
        b"x-forwarded-proto": b"https",
    }
    if body:
        added[b"content-length"] = str(len(body)).encode("ascii")
    headers[:0] = [(name, value) for name, value in added.items() if name not in given]
    request = Request(
        method=args.method.upper(),
        path=unquote(raw_path),
        raw_path=raw_path.encode("ascii"),
        query_string=(args.query or split.query).lstrip("?").encode("latin-1"),
        headers=headers,
        body=body,
        client=("203.0.113.10", 0),
    )
    return source.request_to_event(request, Invocation(stage=args.stage))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "event":
        json.dump(_event(args), sys.stdout, indent=2)
        sys.stdout.write("\n")
    return 0
