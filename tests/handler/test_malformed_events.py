"""Events AWS never sends: each is refused with ``MalformedEvent``, naming the source and the
field, or, when the field is one lambgate does not read, served exactly as before.

A Hypothesis test per source mutates a real event (modelled on live captures, see
:mod:`tests.factories`) in one place: it drops a key, swaps a value for one of another JSON
type, puts ``null`` where a value or a list item was, slips a lone surrogate into a string
(JSON can carry ``"\\ud800"``, Python's ``json`` decodes it) or makes a value huge. The oracle
is the table below of the fields each source reads, in the JSON types AWS sends them; it is
the test's own statement of AWS's formats, written from the pages each factory cites.

The handler then serves a WSGI app and an ASGI app that check what they were given the way
the specs require (``wsgiref.validate.check_environ``, native strings that encode as latin-1;
ASGI's byte strings and types), so that a request served from a mutated event is never built
from garbage.
"""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path as FilePath
from typing import Any
from wsgiref.validate import WSGIWarning, check_environ

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambgate import MalformedEvent, UnknownEventSource, make_handler
from tests.factories import (
    make_alb_event,
    make_function_url_event,
    make_http_v1_event,
    make_http_v2_event,
    make_lambda_context,
    make_rest_event,
)

StartResponse = Callable[..., Callable[[bytes], object]]
_AWS_EVENTS = FilePath(__file__).parent / "aws_events"
_WEBSOCKET_EVENTS = FilePath(__file__).parent / "events"


def _captured(
    name: str, change: Callable[[dict[str, Any]], None], folder: FilePath = _AWS_EVENTS
) -> Callable[[], dict[str, Any]]:
    """A baseline from an event AWS's libraries captured (``aws_events/README.md``,
    ``events/README.md``), with its body sent as text: a mutation of base64 data would only
    ever test the base64 decoder."""
    event = json.loads((folder / name).read_text(encoding="utf-8"))
    change(event)
    return lambda: copy.deepcopy(event)


def _edge_text_body(event: dict[str, Any]) -> None:
    event["Records"][0]["cf"]["request"]["body"].update(data=_BODY, encoding="text")
    # An origin-request trigger: its 1 MB answer holds the echo of a huge value, where a
    # viewer-request trigger's 40 KB would rightly turn it into a 502.
    event["Records"][0]["cf"]["config"]["eventType"] = "origin-request"


def _lattice_text_body(event: dict[str, Any]) -> None:
    event.update(body=_BODY, is_base64_encoded=False)


Path = tuple[str | int, ...]

#: Examples per source, for each of the two interfaces.
EXAMPLES = 500

_HEADERS = [
    ("Accept", "text/html,application/xhtml+xml"),
    ("Accept-Language", "en-GB,en;q=0.9"),
    ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64)"),
    ("Cookie", "session=8f14e45f; theme=dark"),
    ("Content-Type", "application/json"),
]
_QUERY = [("page", "2"), ("tag", "a b"), ("tag", "c")]
_BODY = '{"name": "café", "n": 1}'

BASELINES: dict[str, Callable[[], dict[str, Any]]] = {
    "rest": lambda: make_rest_event(
        method="POST", path="/items/a%20b", query=_QUERY, headers=_HEADERS, body=_BODY
    ),
    "http-v1": lambda: make_http_v1_event(
        method="POST", path="/items/a%20b", query=_QUERY, headers=_HEADERS, body=_BODY
    ),
    "http": lambda: make_http_v2_event(
        method="POST",
        path="/dev/items/a%20b",
        stage="dev",
        query=_QUERY,
        headers=_HEADERS,
        body=_BODY,
    ),  # fmt: skip
    "url": lambda: make_function_url_event(
        method="POST", path="/items/a%20b", query=_QUERY, headers=_HEADERS, body=_BODY
    ),
    "alb": lambda: make_alb_event(
        method="POST", path="/items/a%20b", query=_QUERY, headers=_HEADERS, body=_BODY
    ),
    "alb-multi": lambda: make_alb_event(
        method="POST",
        path="/items/a%20b",
        query=_QUERY,
        headers=_HEADERS,
        body=_BODY,
        multi_value=True,
    ),  # fmt: skip
    "edge": _captured("aws-lambda-go-cloudfront-request.json", _edge_text_body),
    "lattice": _captured("powertools-vpcLatticeEvent.json", _lattice_text_body),
    "lattice-v2": _captured("powertools-vpcLatticeV2EventWithHeaders.json", lambda event: None),
    # One baseline per event type of a WebSocket API, each served by the ASGI app only.
    **{
        f"websocket-{kind}": _captured(
            f"apigw-websocket-request{suffix}.json", lambda event: None, _WEBSOCKET_EVENTS
        )
        for kind, suffix in (
            ("connect", ""),
            ("message", "-send-message"),
            ("disconnect", "-disconnect"),
        )
    },
}


def _source_of(case: str) -> str:
    """The source a baseline's event belongs to: ``websocket-connect`` is ``websocket``."""
    return "websocket" if case.startswith("websocket-") else case


#: ``(baseline, interface)``: WSGI has no WebSocket, so WebSocket events go to ASGI only.
CASES = [
    (case, interface)
    for case in BASELINES
    for interface in ("wsgi", "asgi")
    if not (case.startswith("websocket-") and interface == "wsgi")
]


class Field:
    """A field as AWS sends it: its JSON types (``None`` for ``null``), whether it must be
    present, not null and not empty, whether it is only ever ASCII, and whether it is a path
    (which starts with ``/``). A ``present`` field must be there but may be empty."""

    def __init__(
        self,
        *types: type | None,
        required: bool = False,
        present: bool = False,
        ascii: bool = False,
        path: bool = False,
    ) -> None:
        self.types = types
        self.required = required
        self.present = present
        self.ascii = ascii
        self.path = path


TEXT, TEXT_OR_NULL = Field(str, required=True), Field(str, None)
#: An HTTP method, an IP address.
ASCII, ASCII_OR_NULL = Field(str, required=True, ascii=True), Field(str, None, ascii=True)
PATH = Field(str, None, path=True)
FLAG = Field(bool, None)
OBJECT, OBJECT_OR_NULL = Field(dict, required=True), Field(dict, None)
LIST = Field(list, required=True)
LIST_OR_NULL = Field(list, None)

#: The fields each source's translation reads ("*" is any key or index), in the types AWS
#: sends them. Single-value maps that a multi-value map stands beside are not read.
_V1 = {
    ("httpMethod",): ASCII,
    ("path",): PATH,
    ("multiValueHeaders",): OBJECT_OR_NULL,
    ("multiValueHeaders", "*"): LIST,
    ("multiValueHeaders", "*", "*"): TEXT,
    ("requestContext",): OBJECT_OR_NULL,
    ("requestContext", "domainName"): TEXT_OR_NULL,
    ("requestContext", "identity"): OBJECT_OR_NULL,
    ("requestContext", "identity", "sourceIp"): ASCII_OR_NULL,
    ("multiValueQueryStringParameters",): OBJECT_OR_NULL,
    ("multiValueQueryStringParameters", "*"): LIST,
    ("multiValueQueryStringParameters", "*", "*"): TEXT,
    ("body",): TEXT_OR_NULL,
    ("isBase64Encoded",): FLAG,
}
_V2 = {
    ("requestContext",): OBJECT,
    ("requestContext", "http"): OBJECT,
    ("requestContext", "http", "method"): ASCII,
    ("requestContext", "http", "sourceIp"): ASCII_OR_NULL,
    ("requestContext", "stage"): TEXT_OR_NULL,
    ("requestContext", "domainName"): TEXT_OR_NULL,
    ("headers",): OBJECT_OR_NULL,
    ("headers", "*"): TEXT,
    ("rawPath",): PATH,
    ("rawQueryString",): TEXT_OR_NULL,
    ("body",): TEXT_OR_NULL,
    ("isBase64Encoded",): FLAG,
}
_CF = ("Records", 0, "cf")
_CF_REQUEST = (*_CF, "request")
READS: dict[str, dict[Path, Field]] = {
    "rest": {**_V1, ("requestContext", "path"): PATH},
    "http-v1": {**_V1, ("requestContext", "stage"): TEXT_OR_NULL},
    # HTTP APIs move Cookie into "cookies"; function URLs keep the header, and then
    # "cookies" is not read.
    "http": {**_V2, ("cookies",): LIST_OR_NULL, ("cookies", "*"): TEXT},
    "url": _V2,
    "alb": {
        ("httpMethod",): ASCII,
        ("path",): PATH,
        ("headers",): OBJECT_OR_NULL,
        ("headers", "*"): TEXT,
        ("queryStringParameters",): OBJECT_OR_NULL,
        ("queryStringParameters", "*"): TEXT,
        ("body",): TEXT_OR_NULL,
        ("isBase64Encoded",): FLAG,
    },
    "alb-multi": {
        ("httpMethod",): ASCII,
        ("path",): PATH,
        ("multiValueHeaders",): OBJECT_OR_NULL,
        ("multiValueHeaders", "*"): LIST,
        ("multiValueHeaders", "*", "*"): TEXT,
        ("multiValueQueryStringParameters",): OBJECT_OR_NULL,
        ("multiValueQueryStringParameters", "*"): LIST,
        ("multiValueQueryStringParameters", "*", "*"): TEXT,
        ("body",): TEXT_OR_NULL,
        ("isBase64Encoded",): FLAG,
    },
    # CloudFront sends one record; only Records[0] is read.
    "edge": {
        ("Records",): LIST,
        ("Records", 0): OBJECT,
        _CF: OBJECT,
        (*_CF, "config"): OBJECT_OR_NULL,
        (*_CF, "config", "distributionDomainName"): TEXT_OR_NULL,
        _CF_REQUEST: OBJECT,
        (*_CF_REQUEST, "method"): ASCII,
        (*_CF_REQUEST, "uri"): Field(str, required=True, path=True),
        (*_CF_REQUEST, "querystring"): TEXT_OR_NULL,
        (*_CF_REQUEST, "clientIp"): ASCII_OR_NULL,
        (*_CF_REQUEST, "headers"): OBJECT_OR_NULL,
        (*_CF_REQUEST, "headers", "*"): LIST,
        (*_CF_REQUEST, "headers", "*", "*"): OBJECT,
        (*_CF_REQUEST, "headers", "*", "*", "key"): TEXT_OR_NULL,
        (*_CF_REQUEST, "headers", "*", "*", "value"): Field(str, present=True),
        (*_CF_REQUEST, "body"): OBJECT_OR_NULL,
        (*_CF_REQUEST, "body", "data"): TEXT_OR_NULL,
        (*_CF_REQUEST, "body", "encoding"): TEXT_OR_NULL,
        (*_CF_REQUEST, "body", "inputTruncated"): FLAG,
    },
    "lattice": {
        ("method",): ASCII,
        ("raw_path",): Field(str, required=True, path=True),
        ("headers",): OBJECT_OR_NULL,
        ("headers", "*"): TEXT,
        ("query_string_parameters",): OBJECT_OR_NULL,
        ("query_string_parameters", "*"): TEXT,
        ("body",): TEXT_OR_NULL,
        ("is_base64_encoded",): FLAG,
    },
    # Only a $connect or $disconnect event carries headers and a query; a single-value map
    # is read only where its multi-value map is absent.
    "websocket": {
        ("requestContext",): OBJECT,
        ("requestContext", "eventType"): TEXT,
        ("requestContext", "connectionId"): TEXT,
        ("requestContext", "routeKey"): TEXT,
        ("requestContext", "domainName"): TEXT_OR_NULL,
        ("requestContext", "stage"): TEXT_OR_NULL,
        ("requestContext", "identity"): OBJECT_OR_NULL,
        ("requestContext", "identity", "sourceIp"): ASCII_OR_NULL,
        # A close code outside 1000-4999 is reported as 1005, "no status".
        ("requestContext", "disconnectStatusCode"): Field(int, None),
        ("requestContext", "disconnectReason"): TEXT_OR_NULL,
        ("multiValueHeaders",): OBJECT_OR_NULL,
        ("multiValueHeaders", "*"): LIST,
        # The $disconnect capture holds empty values (X-Forwarded-For, x-api-key).
        ("multiValueHeaders", "*", "*"): Field(str, present=True),
        ("multiValueQueryStringParameters",): OBJECT_OR_NULL,
        ("multiValueQueryStringParameters", "*"): LIST,
        ("multiValueQueryStringParameters", "*", "*"): TEXT,
        ("body",): TEXT_OR_NULL,
        ("isBase64Encoded",): FLAG,
    },
    # Values are lists as AWS documents them; early captures hold single strings.
    "lattice-v2": {
        ("method",): ASCII,
        ("path",): Field(str, required=True, path=True),
        ("headers",): OBJECT_OR_NULL,
        ("headers", "*"): Field(list, str),
        ("headers", "*", "*"): TEXT,
        ("queryStringParameters",): OBJECT_OR_NULL,
        ("queryStringParameters", "*"): Field(list, str),
        ("queryStringParameters", "*", "*"): TEXT,
        ("body",): TEXT_OR_NULL,
        ("isBase64Encoded",): FLAG,
    },
}

#: Where each source keeps its header map: a key there must be an HTTP header name.
HEADER_MAPS: dict[str, set[Path]] = {
    "edge": {(*_CF_REQUEST, "headers")},
}
_DEFAULT_HEADER_MAPS = {("headers",), ("multiValueHeaders",)}

#: Fields detection looks at: changing one (or what holds it) may make the event another
#: source's, or none's.
DETECTION: dict[str, set[Path]] = {
    "rest": {("httpMethod",)},
    "http-v1": {("httpMethod",), ("version",)},
    "http": {("version",), ("routeKey",)},
    "url": {("version",), ("routeKey",), ("requestContext", "domainName")},
    "alb": {("requestContext", "elb")},
    "alb-multi": {
        ("requestContext", "elb"),
        ("multiValueHeaders",),
        ("multiValueQueryStringParameters",),
    },
    "edge": {(*_CF_REQUEST, "response")},
    "lattice": {("raw_path",), ("method",)},
    "lattice-v2": {("version",), ("method",), ("routeKey",)},
    # The $connect capture also holds REST's httpMethod and path.
    "websocket": {
        ("requestContext", "eventType"),
        ("requestContext", "connectionId"),
        ("httpMethod",),
        ("version",),
    },
}

#: Header values gateways write themselves, and what they write there.
GATEWAY_HEADERS: dict[str, Callable[[str], bool]] = {
    "x-forwarded-port": lambda value: value.isdigit() and int(value) <= 65535,
    "x-forwarded-proto": lambda value: value.lower() in ("http", "https"),
}

#: What a mutation puts where a value was: every JSON type, empty and not, and nulls.
OTHER_VALUES: list[Any] = [None, 0, -1, 1.5, True, False, "", "text", [], ["a"], [None], {}]
OTHER_VALUES.append({"k": "v"})
HUGE_TEXT = "x" * 200_000


def _paths(value: Any, prefix: Path = ()) -> Iterable[Path]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from _paths(item, (*prefix, index))


def _get(event: Any, path: Path) -> Any:
    for key in path:
        event = event[key]
    return event


class Mutation:
    """One change to an event: ``value`` replaces what is at ``path``, ``drop`` removes it,
    or ``rename`` moves it to another key."""

    def __init__(
        self,
        path: Path,
        *,
        value: Any = None,
        drop: bool = False,
        rename: str | None = None,
        how: str,
    ) -> None:
        self.path = path
        self.value = value
        self.drop = drop
        self.rename = rename
        self.how = how

    def apply(self, event: dict[str, Any]) -> None:
        parent = _get(event, self.path[:-1])
        if self.rename is not None:
            parent[self.rename] = parent.pop(self.path[-1])
        elif self.drop:
            del parent[self.path[-1]]
        else:
            parent[self.path[-1]] = self.value

    def __repr__(self) -> str:
        if self.rename is not None:
            shown = f"renamed {self.rename!r}"
        else:
            shown = "dropped" if self.drop else f"= {_short(self.value)}"
        return f"<{self.how}: {_rendered(self.path)} {shown}>"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 60 else text[:40] + f"... ({len(text)} chars)"


#: Objects with fixed fields: lambgate's messages write their fields dotted, and the keys of
#: maps (headers, parameters) in brackets.
_OBJECTS = {"requestContext", "http", "identity", "elb", "authorizer", "cf", "request", "config"}
_OBJECTS.add("body")  # only edge's body is an object


def _rendered(path: Path) -> str:
    """A path as lambgate's messages write it: ``requestContext.http['x'][0]``."""
    out = str(path[0])
    for parent, key in zip(path, path[1:], strict=False):
        if isinstance(key, int):
            out += f"[{key}]"
        elif parent in _OBJECTS or isinstance(parent, int):  # an object in a list
            out += f".{key}"
        else:
            out += f"[{key!r}]"
    return out


@st.composite
def mutations(draw: st.DrawFn, event: dict[str, Any]) -> Mutation:
    path = draw(st.sampled_from(sorted(_paths(event), key=repr)))
    current = _get(event, path)
    parent = _get(event, path[:-1])
    hows = ["swap", "null", "surrogate", "unicode", "huge"]
    if isinstance(parent, dict):
        hows += ["drop", "rename"]
    if isinstance(current, list):
        hows.append("null item")
    how = draw(st.sampled_from(hows))
    if how == "drop":
        return Mutation(path, drop=True, how=how)
    if how == "rename":
        name = draw(st.sampled_from(["", "a b", "x\ud800", "X-Ü", "x:y", "X-New"]))
        return Mutation(path, rename=name, how=how)
    if how == "null":
        return Mutation(path, value=None, how=how)
    if how == "null item":
        return Mutation(path, value=[*current, None], how=how)
    if how == "surrogate":
        if isinstance(current, str):
            at = draw(st.integers(0, len(current)))
            surrogate = draw(st.sampled_from(["\ud800", "\udfff", "\udc80"]))
            return Mutation(path, value=current[:at] + surrogate + current[at:], how=how)
        return Mutation(path, value="\udc80", how=how)
    if how == "unicode":
        text = current if isinstance(current, str) else ""
        at = draw(st.integers(0, len(text)))
        return Mutation(
            path, value=text[:at] + draw(st.sampled_from(["é", "日本", "😀"])) + text[at:], how=how
        )
    if how == "huge":
        if isinstance(current, str):
            return Mutation(path, value=current + HUGE_TEXT, how=how)
        if isinstance(current, list):
            return Mutation(path, value=current * 5_000, how=how)
        if isinstance(current, bool | None):
            return Mutation(path, value=10**400, how=how)
        if isinstance(current, int | float):
            return Mutation(path, value=10**400, how=how)
        return Mutation(path, value={f"k{i}": "v" for i in range(5_000)} | current, how=how)
    other = draw(st.sampled_from([v for v in OTHER_VALUES if type(v) is not type(current)]))
    return Mutation(path, value=other, how=how)


def _pattern_for(source: str, path: Path) -> Path | None:
    """The pattern of the field at ``path`` if the source reads it, else ``None``."""
    for pattern in READS[source]:
        if len(pattern) == len(path) and all(
            p in ("*", k) for p, k in zip(pattern, path, strict=True)
        ):
            return pattern
    return None


def _spec_for(source: str, path: Path) -> Field | None:
    pattern = _pattern_for(source, path)
    return None if pattern is None else READS[source][pattern]


def _problems(source: str, path: Path, value: Any) -> bool:
    """Whether ``value`` at ``path`` (with what it holds) is not what AWS sends there."""
    field = _spec_for(source, path)
    if field is None:
        return False
    if value is None:
        return None not in field.types
    if type(value) not in field.types:
        return True
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        if field.required and not value:
            return True
        if field.ascii and not value.isascii():
            return True
        if field.path and value and not value.startswith("/"):
            return True
        name = [key for key in path if isinstance(key, str)][-1].lower()
        # A WebSocket connection's scheme and port are wss and 443, whatever these say.
        gateway_header = name in GATEWAY_HEADERS and source != "websocket"
        if path[0] in ("headers", "multiValueHeaders") and gateway_header:
            return not GATEWAY_HEADERS[name](value)
        if source == "edge" and path[-1] == "key":
            return bool(value) and not _is_header_name(value)
        if source == "edge" and path[-1] == "encoding":
            return value not in ("base64", "text")
        if source.startswith(("alb", "lattice")) and name == "x-forwarded-for":
            # ALB appends the address it saw, which names the client.
            return not value.rpartition(",")[2].isascii()
        return False
    if isinstance(value, dict):
        return any(_problems(source, (*path, key), item) for key, item in value.items())
    if isinstance(value, list):
        return any(_problems(source, (*path, index), item) for index, item in enumerate(value))
    return False


def _echo_wsgi(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    """Checks the environ as PEP 3333 asks, then answers with what a framework reads."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WSGIWarning)  # unusual methods, which are allowed
        check_environ(environ)
    seen = {key: value for key, value in environ.items() if "." not in key}
    for key, value in seen.items():
        assert isinstance(value, str), (key, value)
        value.encode("latin-1")  # native strings: one character per byte
    assert seen["SERVER_PORT"].isdigit()
    body = environ["wsgi.input"].read()
    seen["body"] = body.decode("latin-1")
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(seen, sort_keys=True).encode()]


async def _echo_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Checks the scope's types as the ASGI HTTP spec gives them, then answers with it."""
    if scope["type"] == "websocket":
        await _echo_websocket(scope, receive, send)
        return
    if scope["type"] != "http":
        return
    assert all(isinstance(scope[key], str) for key in ("method", "path", "root_path", "scheme"))
    assert all(isinstance(scope[key], bytes) for key in ("raw_path", "query_string"))
    assert all(isinstance(n, bytes) and isinstance(v, bytes) for n, v in scope["headers"])
    assert all(name == name.lower() for name, _ in scope["headers"])
    host, port = scope["server"]
    assert isinstance(host, str) and isinstance(port, int)
    assert scope["client"] is None or isinstance(scope["client"][0], str)
    scope["path"].encode("utf-8")
    message = await receive()
    seen = {
        "path": scope["path"],
        "raw_path": scope["raw_path"].decode("latin-1"),
        "query_string": scope["query_string"].decode("latin-1"),
        "headers": [[n.decode("latin-1"), v.decode("latin-1")] for n, v in scope["headers"]],
        "server": [host, port],
        "client": scope["client"],
        "body": message["body"].decode("latin-1"),
    }
    body = json.dumps(seen, sort_keys=True).encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


#: What the WebSocket app saw in the last invocation (a WebSocket result carries no echo).
_WEBSOCKET_SEEN: list[dict[str, Any]] = []


async def _echo_websocket(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Checks the scope and messages as the ASGI WebSocket spec gives them; a $connect is
    accepted, a message or disconnect received."""
    assert all(isinstance(scope[key], str) for key in ("path", "root_path", "scheme"))
    assert all(isinstance(scope[key], bytes) for key in ("raw_path", "query_string"))
    assert all(isinstance(n, bytes) and isinstance(v, bytes) for n, v in scope["headers"])
    assert all(name == name.lower() for name, _ in scope["headers"])
    assert scope["server"] is None or isinstance(scope["server"][0], str)
    assert scope["client"] is None or isinstance(scope["client"][0], str)
    assert all(isinstance(p, str) for p in scope["subprotocols"])
    (scope["root_path"] + scope["path"]).encode("utf-8")
    assert (await receive())["type"] == "websocket.connect"
    seen: dict[str, Any] = {
        "path": scope["path"],
        "root_path": scope["root_path"],
        "query_string": scope["query_string"].decode("latin-1"),
        "headers": [[n.decode("latin-1"), v.decode("latin-1")] for n, v in scope["headers"]],
        "server": scope["server"],
        "client": scope["client"],
    }
    if scope["aws.event"]["requestContext"]["eventType"] == "CONNECT":
        _WEBSOCKET_SEEN.append(seen)
        await send({"type": "websocket.accept"})
        return
    message = await receive()
    if message["type"] == "websocket.receive":
        text, data = message.get("text"), message.get("bytes")
        assert (text is None) != (data is None)
        assert text is None or isinstance(text, str)
        if text is not None:
            text.encode("utf-8")
        assert data is None or isinstance(data, bytes)
    else:
        assert message["type"] == "websocket.disconnect"
        assert isinstance(message["code"], int) and 1000 <= message["code"] <= 4999
        assert isinstance(message["reason"], str)
        message["reason"].encode("utf-8")
    _WEBSOCKET_SEEN.append({**seen, "message": message})


_HANDLERS = {"wsgi": make_handler(_echo_wsgi), "asgi": make_handler(_echo_asgi, lifespan="off")}


def _outcome(interface: str, event: dict[str, Any]) -> Any:
    _WEBSOCKET_SEEN.clear()
    try:
        result = _HANDLERS[interface](event, make_lambda_context())
    except (MalformedEvent, UnknownEventSource) as error:
        return error
    return {**result, "websocket_seen": _WEBSOCKET_SEEN[0]} if _WEBSOCKET_SEEN else result


_SERVED: dict[tuple[str, str], Any] = {}


def _served_as_is(case: str, interface: str) -> Any:
    """The result for the baseline's event as AWS sends it."""
    if (case, interface) not in _SERVED:
        _SERVED[case, interface] = _outcome(interface, BASELINES[case]())
    return _SERVED[case, interface]


@pytest.mark.parametrize(("case", "interface"), CASES)
@settings(
    max_examples=EXAMPLES,
    deadline=2_000,  # huge values must not take long: a hang fails the example
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_a_mutated_event_is_refused_by_name_or_served_as_aws_sends_it(
    case: str, interface: str, data: st.DataObject
) -> None:
    source = _source_of(case)
    baseline = BASELINES[case]()
    expected_same = _served_as_is(case, interface)
    assert isinstance(expected_same, dict) and _status(expected_same) == 200
    mutation = data.draw(mutations(baseline))
    event = BASELINES[case]()
    mutation.apply(event)

    outcome = _outcome(interface, event)

    if isinstance(outcome, dict):
        # Served: the apps above checked what they saw; the result is the 200 they gave.
        assert _status(outcome) == 200, (mutation, outcome)
    if any(path[: len(mutation.path)] == mutation.path for path in DETECTION[source]):
        # The event may now be another source's, or none's: any clean outcome will do.
        return
    field = _spec_for(source, mutation.path)
    if field is None:
        # A field this source does not read: nothing the app sees may change.
        assert outcome == expected_same, (mutation, outcome)
        return
    # A required field may not go; an entry of a map (a header, a parameter) may.
    is_entry = _pattern_for(source, mutation.path)[-1] == "*"  # type: ignore[index]
    if mutation.rename is not None:
        # A fixed field under another name is gone; an entry under a bad name is refused.
        if not is_entry:
            refused = field.required or field.present
        elif mutation.path[:-1] in HEADER_MAPS.get(source, _DEFAULT_HEADER_MAPS):
            refused = not _is_header_name(mutation.rename)
        else:
            refused = not _is_text(mutation.rename)
    elif mutation.drop:
        refused = (field.required or field.present) and not is_entry
    else:
        refused = _problems(source, mutation.path, mutation.value)
    if mutation.path in (("isBase64Encoded",), ("is_base64_encoded",)) and mutation.value is True:
        refused = True  # the body is JSON text, not base64
    if mutation.path == (*_CF_REQUEST, "body", "encoding") and mutation.value == "base64":
        refused = True
    if refused:
        assert isinstance(outcome, MalformedEvent), (mutation, outcome)
        message = str(outcome)
        assert message.startswith(f"{source} event: "), message
        if mutation.rename is not None and is_entry:
            # Named by the map that holds it, and the name itself.
            assert _rendered(mutation.path[:-1]) in message, (mutation, message)
            assert repr(mutation.rename) in message, (mutation, message)
        else:
            assert _names(message, mutation.path), (mutation, message)
    else:
        assert isinstance(outcome, dict), (mutation, outcome)


def _status(result: dict[str, Any]) -> int:
    """The status of a result: ``statusCode``, or CloudFront's ``status`` string."""
    return int(result["status"]) if "status" in result else int(result["statusCode"])


_TCHAR = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_header_name(name: str) -> bool:
    """RFC 9110 section 5.1: a field name is a token."""
    return bool(name) and set(name) <= _TCHAR


def _names(message: str, path: Path) -> bool:
    """Whether ``message`` names the field at ``path``, or the one of its keys it is about."""
    keys = [key for key in path if isinstance(key, str)]
    return _rendered(path) in message or any(key.lower() in message.lower() for key in keys[-1:])


# The examples the issue reported, each once, with the message a user sees.


@pytest.mark.parametrize(
    ("make_event", "change", "message"),
    [
        (
            lambda: make_http_v2_event(headers=[("x-a", "1")]),
            lambda event: event["headers"].update({"x-a": ["1", "2"]}),
            "http event: headers['x-a'] must be a string, got list",
        ),
        (
            lambda: make_alb_event(headers=[("x-a", "1")]),
            lambda event: event["headers"].update({"x-a": None}),
            "alb event: headers['x-a'] must be a string, got null",
        ),
        (
            lambda: make_rest_event(query=[("q", "1")]),
            lambda event: event["multiValueQueryStringParameters"].update({"q": [None]}),
            "rest event: multiValueQueryStringParameters['q'][0] must be a string, got null",
        ),
        (
            lambda: make_http_v2_event(method="POST", body="x"),
            lambda event: event.update(body={"a": 1}),
            "http event: body must be a string, got dict",
        ),
        (
            lambda: make_function_url_event(method="POST", body="x"),
            lambda event: event.update(body="caf\udce9"),
            "url event: body holds a lone surrogate ('\\udce9' at 3), not text",
        ),
        (
            make_rest_event,
            lambda event: event.update(requestContext="prod"),
            "rest event: requestContext must be an object, got str",
        ),
        (
            make_alb_event,
            lambda event: event.update(path=404),
            "alb event: path must be a string, got int",
        ),
        (
            make_http_v2_event,
            lambda event: event.update(cookies=[None]),
            "http event: cookies[0] must be a string, got null",
        ),
        (
            make_rest_event,
            lambda event: event["multiValueHeaders"].update({"X-Forwarded-Port": ["https"]}),
            "rest event: headers: X-Forwarded-Port must be a port number, got 'https'",
        ),
        (
            lambda: make_http_v1_event(method="POST", body="plain"),
            lambda event: event.update(isBase64Encoded=True),
            "http-v1 event: body is not base64, though isBase64Encoded is true: ",
        ),
        # Found by the property above: the app was handed a reason that was not text.
        (
            BASELINES["websocket-disconnect"],
            lambda event: event["requestContext"].update(disconnectReason=0),
            "websocket event: requestContext.disconnectReason must be a string, got int",
        ),
        (
            BASELINES["websocket-message"],
            lambda event: event["requestContext"].update(routeKey=None),
            "websocket event: requestContext.routeKey must be a string, got null",
        ),
    ],
    ids=[
        "header-list",
        "header-null",
        "query-null-item",
        "body-dict",
        "body-surrogate",
        "request-context-string",
        "path-number",
        "cookie-null",
        "port-not-a-number",
        "body-not-base64",
        "websocket-reason-number",
        "websocket-route-null",
    ],
)
def test_the_reported_events_are_refused_naming_source_and_field(
    make_event: Callable[[], dict[str, Any]], change: Callable[[dict[str, Any]], None], message: str
) -> None:
    event = make_event()
    change(event)

    for handler in _HANDLERS.values():
        with pytest.raises(MalformedEvent) as caught:
            handler(event, make_lambda_context())
        assert str(caught.value).startswith(message)


def test_a_refused_event_leaves_the_environment_serving() -> None:
    for handle in _HANDLERS.values():
        event = make_http_v2_event()
        event["headers"]["host"] = 443

        with pytest.raises(MalformedEvent):
            handle(event, make_lambda_context())

        assert handle(make_http_v2_event(), make_lambda_context())["statusCode"] == 200
