"""``lambgate event``: the event an AWS service sends Lambda for one HTTP request.

Built by the same ``request_to_event`` the emulator uses, for test events (``sam local invoke
-e``, ``lambgate invoke --event``) and for what ``lambgate invoke`` sends when given none: a
``GET /`` of the chosen kind (:func:`sample_event`). Standard library only, so it works with
a plain ``pip install lambgate``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from urllib.parse import quote, unquote, urlsplit

from lambgate.events import SOURCES, GatewayContext, get_source
from lambgate.events.edge import GENERATED_RESPONSE_LIMITS
from lambgate.model import Request

__all__ = ["add_arguments", "run", "sample_event"]

#: The client every sample event comes from (TEST-NET-3, RFC 5737).
CLIENT_IP = "203.0.113.10"
#: The host a client addresses, for the services that are not reached on execute-api.
_HOSTS = {
    "edge": "d111111abcdef8.cloudfront.net",
    "lattice": "lattice-svc-027b423199122da5f.7d67968.vpc-lattice-svcs.us-east-1.on.aws",
    "lattice-v2": "lattice-svc-027b423199122da5f.7d67968.vpc-lattice-svcs.us-east-1.on.aws",
}


def sample_event(
    kind: str,
    *,
    method: str = "GET",
    path: str = "/",
    query: str = "",
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    stage: str | None = None,
    route: str | None = None,
    edge_event_type: str = "viewer-request",
) -> dict[str, object]:
    """The event of source ``kind`` for a request from a client at :data:`CLIENT_IP`; for
    ``websocket``, the event of ``route`` (``$default`` when not given); for ``edge``, of the
    ``edge_event_type`` trigger."""
    source = get_source(kind)
    split = urlsplit(path)
    raw_path = quote(split.path or "/", safe="/%:@!$&'()*+,;=-._~")
    all_headers = list(headers)
    given = {name for name, _ in all_headers}
    # A client's usual headers, and those every front adds (gateway.gateway.ADDED_HEADERS) for
    # a client over HTTPS, but X-Amzn-Trace-Id: random, it would change every event.
    added = {
        "host": _HOSTS.get(kind, "abcdef1234.execute-api.us-east-1.amazonaws.com"),
        "user-agent": "curl/8.5.0",
        "x-forwarded-for": CLIENT_IP,
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    if body:
        added["content-length"] = str(len(body))
    if kind == "websocket" and route == "$connect":
        # The handshake's own headers; the key is RFC 6455's example nonce.
        added["sec-websocket-key"] = "dGhlIHNhbXBsZSBub25jZQ=="
        added["sec-websocket-version"] = "13"
    all_headers[:0] = [(name, value) for name, value in added.items() if name not in given]
    request = Request(
        method=method.upper(),
        path=unquote(raw_path),
        raw_path=raw_path,
        query_string=(query or split.query).lstrip("?"),
        headers=all_headers,
        body=body,
        client=(CLIENT_IP, 0),
        # REST's requestContext.path carries the stage, its path does not (hotsock/voker's
        # live capture apigwv1-request.json: "/live/capture/..." on stage "live").
        root_path=f"/{stage}" if kind == "rest" and stage else "",
    )
    invocation = GatewayContext(stage=stage, route_key=route, edge_event_type=edge_event_type)
    if kind == "rest" and raw_path == "/":
        # A greedy /{proxy+} never takes the root: AWS routes it to the "/" resource, which
        # has no path parameters.
        invocation = GatewayContext(stage=stage, resource="/", edge_event_type=edge_event_type)
    return source.request_to_event(request, invocation)


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"a header is NAME:VALUE, got {text!r}")
    return name.strip().lower(), value.strip()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "kind",
        choices=[source.name for source in SOURCES],
        metavar="KIND",
        help="event source: " + ", ".join(source.name for source in SOURCES),
    )
    parser.add_argument("--method", default="GET", help="HTTP method (default GET)")
    parser.add_argument("--path", default="/", help="request path, percent-encoded as on the wire")
    parser.add_argument("--query", default="", help="query string, as on the wire (a=1&b=2)")
    parser.add_argument(
        "--header",
        action="append",
        type=_header,
        default=[],
        metavar="NAME:VALUE",
        help="a request header (repeatable)",
    )
    parser.add_argument("--body", default="", help="request body; @FILE reads a file")
    parser.add_argument("--stage", default=None, help="API Gateway stage name")
    parser.add_argument(
        "--route",
        default=None,
        metavar="ROUTE",
        help="websocket only: the route key, $connect (CONNECT), $disconnect (DISCONNECT), "
        "$default or a custom route (MESSAGE); default $default",
    )
    parser.add_argument(
        "--edge-event-type",
        choices=tuple(GENERATED_RESPONSE_LIMITS),
        default=None,
        help="edge only: the CloudFront trigger (default viewer-request)",
    )


def _route_problem(kind: str, route: str | None) -> str | None:
    """Why ``--route`` cannot be used, if it cannot. API Gateway reserves the ``$`` prefix for
    its three predefined routes
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html)."""
    if route is None:
        return None
    if kind != "websocket":
        return f"--route is for websocket events, not {kind}"
    if not route:
        return "--route: a route key cannot be empty"
    if route.startswith("$") and route not in ("$connect", "$disconnect", "$default"):
        return (
            f"--route: {route!r} is not a route: the $ routes are $connect, $disconnect and "
            "$default"
        )
    return None


def run(args: argparse.Namespace) -> int:
    problem = _route_problem(args.kind, args.route)
    if args.edge_event_type is not None and args.kind != "edge":
        problem = f"--edge-event-type is for edge events, not {args.kind}"
    if problem:
        sys.stderr.write(f"lambgate event: error: {problem}\n")
        return 2
    body = args.body.encode("utf-8")
    if args.body.startswith("@"):
        try:
            with open(args.body[1:], "rb") as file:
                body = file.read()
        except OSError as error:
            sys.stderr.write(
                f"lambgate event: error: --body: cannot read {args.body[1:]}: {error.strerror}\n"
            )
            return 2
    event = sample_event(
        args.kind,
        method=args.method,
        path=args.path,
        query=args.query,
        headers=args.header,
        body=body,
        stage=args.stage,
        route=args.route,
        edge_event_type=args.edge_event_type or "viewer-request",
    )
    json.dump(event, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
