"""WSGI apps behind a Lambda event: the PEP 3333 contract as an app sees it, and what a
broken app gets (a 500, never a half-forged response).

PEP 3333: https://peps.python.org/pep-3333/. ``wsgiref.validate`` is the standard library's
own PEP 3333 checker; apps here run under it where the test is about the environ.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.validate import validator

import flask
import pytest

from lambgate import make_handler
from tests.factories import SOURCE_IP, execute_api_domain, make_http_v2_event, make_rest_event

StartResponse = Callable[..., Callable[[bytes], object]]
Environ = dict[str, Any]

API_HOST = execute_api_domain()

#: What the handler answers when the app broke its contract or raised.
REST_INTERNAL_ERROR = {
    "statusCode": 500,
    "headers": {"content-type": "text/plain; charset=utf-8"},
    "multiValueHeaders": {},
    "body": "Internal Server Error",
    "isBase64Encoded": False,
}


def plain_app(
    status: str = "200 OK", headers: list[tuple[str, str]] | None = None, body: bytes = b"ok"
) -> Callable[[Environ, StartResponse], Iterable[bytes]]:
    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        start_response(status, headers if headers is not None else [("Content-Type", "text/plain")])
        return [body]

    return app


def rest_ok(body: str, headers: dict[str, str] | None = None, status: int = 200) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": headers if headers is not None else {"Content-Type": "text/plain"},
        "multiValueHeaders": {},
        "body": body,
        "isBase64Encoded": False,
    }


class TestEnviron:
    def test_every_required_key_has_the_value_and_type_pep_3333_asks_for(self) -> None:
        seen: list[Environ] = []

        def respond(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]

        checked = validator(respond)

        def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
            seen.append(dict(environ))
            return checked(environ, start_response)

        event = make_rest_event(
            path="/caf%C3%A9/%FF",
            raw_query="a=1&a=2&b=x%20y",
            headers=[
                ("Accept", "text/html"),
                ("Accept", "application/json"),
                # An HTTP/2 client may split Cookie into several fields (RFC 9113 8.2.3).
                ("Cookie", "a=1"),
                ("Cookie", "b=2"),
                ("Content-Type", "text/plain"),
            ],
            body=b"hello",
        )
        context = object()
        result = make_handler(app)(event, context)

        assert result == rest_ok("ok")
        (environ,) = seen
        objects = {
            key: environ.pop(key)
            for key in ("wsgi.input", "wsgi.errors", "aws.event", "aws.context")
        }
        assert environ == {
            "REQUEST_METHOD": "GET",
            "SCRIPT_NAME": "/prod",
            # The percent-decoded bytes, each byte one latin-1 character (PEP 3333 "native
            # strings"): é is two characters, and the lone %FF (not UTF-8) survives as \xff.
            "PATH_INFO": "/caf\xc3\xa9/\xff",
            "QUERY_STRING": "a=1&a=2&b=x%20y",
            "SERVER_NAME": API_HOST,
            "SERVER_PORT": "443",
            "SERVER_PROTOCOL": "HTTP/1.1",
            # The gateway's record of the peer, not a header the client could forge.
            "REMOTE_ADDR": SOURCE_IP,
            "HTTP_HOST": API_HOST,
            "HTTP_X_AMZN_TRACE_ID": event["headers"]["X-Amzn-Trace-Id"],
            "HTTP_X_FORWARDED_FOR": SOURCE_IP,
            "HTTP_X_FORWARDED_PORT": "443",
            "HTTP_X_FORWARDED_PROTO": "https",
            "HTTP_ACCEPT": "text/html,application/json",
            # Split cookie fields are joined with "; ", not "," (RFC 9113 8.2.3).
            "HTTP_COOKIE": "a=1; b=2",
            "CONTENT_TYPE": "text/plain",
            "CONTENT_LENGTH": "5",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https",
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
        }
        assert objects["aws.event"] is event
        assert objects["aws.context"] is context
        assert objects["wsgi.errors"] is sys.stderr

    def test_path_info_round_trips_to_the_bytes_the_client_sent(self) -> None:
        # What a framework does with PATH_INFO: encode as latin-1, then decode as it likes.
        paths: list[bytes] = []

        def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
            paths.append(environ["PATH_INFO"].encode("latin-1"))
            start_response("204 No Content", [])
            return []

        make_handler(app)(make_rest_event(path="/a%20b/%E2%9C%93/%FF%2F"), None)

        assert paths == [b"/a b/\xe2\x9c\x93/\xff/"]

    def test_get_with_a_body_announces_content_length(self) -> None:
        seen: list[tuple[str | None, str | None, bytes]] = []

        def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
            length = environ.get("CONTENT_LENGTH")
            body = environ["wsgi.input"].read(int(length)) if length else b""
            seen.append((environ.get("CONTENT_TYPE"), length, body))
            start_response("200 OK", [])
            return []

        event = make_rest_event(body=b'{"q": 1}', headers=[("Content-Type", "application/json")])
        make_handler(app)(event, None)

        assert seen == [("application/json", "8", b'{"q": 1}')]

    def test_no_body_means_no_content_length(self) -> None:
        seen: list[Environ] = []

        def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
            seen.append(environ)
            start_response("200 OK", [])
            return []

        make_handler(app)(make_rest_event(), None)

        assert "CONTENT_LENGTH" not in seen[0]
        assert seen[0]["wsgi.input"].read() == b""

    def test_input_is_readable_and_seekable(self) -> None:
        reads: list[bytes] = []

        def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
            stream = environ["wsgi.input"]
            reads.append(stream.readline())
            reads.append(stream.read())
            stream.seek(0)
            reads.append(stream.read(4))
            start_response("200 OK", [])
            return []

        make_handler(app)(make_rest_event(method="POST", body=b"line1\nline2"), None)

        assert reads == [b"line1\n", b"line2", b"line"]

    def test_errors_stream_reaches_stderr(self, capsys: pytest.CaptureFixture[str]) -> None:
        def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
            environ["wsgi.errors"].write("something to note\n")
            environ["wsgi.errors"].flush()
            start_response("200 OK", [])
            return []

        make_handler(app)(make_rest_event(), None)

        assert capsys.readouterr().err == "something to note\n"

    def test_flask_sees_the_stage_as_script_name(self) -> None:
        app = flask.Flask(__name__)

        @app.get("/items/<item>")
        def item(item: str) -> dict[str, str]:
            return {
                "item": item,
                "self": flask.url_for("item", item=item),
                "external": flask.url_for("item", item=item, _external=True),
            }

        result = make_handler(app)(make_rest_event(path="/items/caf%C3%A9"), None)

        assert result["statusCode"] == 200
        assert flask.json.loads(result["body"]) == {
            "item": "café",
            "self": "/prod/items/caf%C3%A9",
            "external": f"https://{API_HOST}/prod/items/caf%C3%A9",
        }


class TestResponse:
    def test_write_callable_output_comes_before_the_iterable(self) -> None:
        def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
            write = start_response("200 OK", [("Content-Type", "text/plain")])
            write(b"written ")
            return [b"returned"]

        assert make_handler(validator(app))(make_rest_event(), None) == rest_ok("written returned")

    def test_generator_body_is_joined(self) -> None:
        def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            yield b"one "
            yield b""
            yield b"two"

        assert make_handler(validator(app))(make_rest_event(), None) == rest_ok("one two")

    def test_start_response_may_wait_until_the_first_chunk(self) -> None:
        # PEP 3333: start_response may be called as late as the first iteration of the body.
        def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
            start_response("201 Created", [("Content-Type", "text/plain")])
            yield b"late"

        result = make_handler(app)(make_rest_event(), None)

        assert result == rest_ok("late", status=201)

    def test_exc_info_replaces_the_response_before_the_body_is_sent(self) -> None:
        def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain"), ("X-Partial", "yes")])
            try:
                raise LookupError("gone")
            except LookupError:
                start_response("404 Not Found", [("Content-Type", "text/plain")], sys.exc_info())
            return [b"not here"]

        assert make_handler(app)(make_rest_event(), None) == rest_ok("not here", status=404)

    def test_exc_info_after_the_body_started_reraises_the_apps_error(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            yield b"half a page"
            try:
                raise LookupError("the second half is gone")
            except LookupError:
                start_response("500 Oops", [("Content-Type", "text/plain")], sys.exc_info())
            yield b"never"

        with caplog.at_level(logging.ERROR, logger="lambgate"):
            result = make_handler(app)(make_rest_event(), None)

        assert result == REST_INTERNAL_ERROR
        (record,) = caplog.records
        assert record.exc_info is not None
        assert isinstance(record.exc_info[1], LookupError)

    def test_close_is_called_after_a_normal_response(self) -> None:
        closed: list[bool] = []

        class Body:
            def __iter__(self) -> Iterator[bytes]:
                yield b"body"

            def close(self) -> None:
                closed.append(True)

        def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return Body()

        assert make_handler(app)(make_rest_event(), None) == rest_ok("body")
        assert closed == [True]

    def test_close_is_called_when_the_app_raises_mid_iteration(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        cleaned_up: list[str] = []

        def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            try:
                yield b"first"
                raise OSError("disk vanished")
            finally:
                cleaned_up.append("finally ran")

        with caplog.at_level(logging.ERROR, logger="lambgate"):
            assert make_handler(app)(make_rest_event(), None) == REST_INTERNAL_ERROR
        assert cleaned_up == ["finally ran"]
        assert "disk vanished" in caplog.text

    def test_close_is_called_when_a_chunk_is_not_bytes(self) -> None:
        closed: list[bool] = []

        class Body:
            def __iter__(self) -> Iterator[Any]:
                yield "text, not bytes"

            def close(self) -> None:
                closed.append(True)

        def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
            start_response("200 OK", [])
            return Body()

        assert make_handler(app)(make_rest_event(), None) == REST_INTERNAL_ERROR
        assert closed == [True]


def twice_without_exc_info(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", [])
    start_response("404 Not Found", [])
    return [b"which one?"]


def str_chunk(environ: Environ, start_response: StartResponse) -> Iterable[Any]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return ["a str"]


def never_starts(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    return [b"no status"]


def writes_str(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    write: Any = start_response("200 OK", [])
    write("a str")
    return []


@pytest.mark.parametrize(
    ("app", "reason"),
    [
        (twice_without_exc_info, "start_response() called a second time without exc_info"),
        (str_chunk, "WSGI body chunks must be bytes, got str"),
        (never_starts, "WSGI app yielded body before calling start_response()"),
        (writes_str, "write() needs bytes, got str"),
        (plain_app(status="200"), "WSGI status must be like '200 OK', got '200'"),
        (plain_app(status="2OO OK"), "WSGI status must start with 3 digits, got '2OO OK'"),
        (plain_app(status="099 Low"), "WSGI status code out of range: '099 Low'"),
        (
            plain_app(headers=[("X-Name", "snow ☃")]),
            "WSGI headers must be (str, str) pairs encodable as latin-1",
        ),
        (
            plain_app(headers=[("X-Count", 3)]),  # type: ignore[list-item]
            "WSGI headers must be (str, str) pairs encodable as latin-1",
        ),
    ],
    ids=[
        "start-response-twice",
        "str-chunk",
        "no-start-response",
        "write-str",
        "status-without-reason",
        "status-not-numeric",
        "status-below-100",
        "non-latin-1-header",
        "non-str-header",
    ],
)
def test_contract_violations_answer_500_and_log_why(
    app: Callable[[Environ, StartResponse], Iterable[bytes]],
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="lambgate"):
        result = make_handler(app)(make_rest_event(path="/broken"), None)

    assert result == REST_INTERNAL_ERROR
    (record,) = caplog.records
    assert record.getMessage() == "GET /broken: app failed, answering 500"
    assert record.exc_info is not None
    assert reason in str(record.exc_info[1])


@pytest.mark.parametrize("value", ["v\r\nSet-Cookie: session=forged", "v\nX-Evil: 1", "v\rX: 1"])
def test_header_with_cr_or_lf_never_becomes_a_second_header(
    value: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = plain_app(headers=[("Content-Type", "text/plain"), ("X-Echo", value)])

    with caplog.at_level(logging.ERROR, logger="lambgate"):
        result = make_handler(app)(make_rest_event(), None)

    assert result == REST_INTERNAL_ERROR
    assert "holds a CR, LF or NUL" in caplog.text


def test_handler_serves_the_next_request_after_a_broken_one() -> None:
    calls: list[str] = []

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        calls.append(environ["PATH_INFO"])
        if environ["PATH_INFO"] == "/bad":
            start_response("2OO OK", [])
        else:
            start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"fine"]

    lambda_handler = make_handler(app)

    assert lambda_handler(make_rest_event(path="/bad"), None) == REST_INTERNAL_ERROR
    assert lambda_handler(make_rest_event(path="/good"), None) == rest_ok("fine")
    assert calls == ["/bad", "/good"]


def test_header_text_travels_between_event_and_app_unconverted() -> None:
    """Events and results are JSON text, and PEP 3333's environ and ``start_response`` are
    text: an ASCII header value is handed on as the very string it arrived as, both ways,
    where it used to be encoded to bytes for the model and decoded back."""
    seen: list[str] = []
    answered = "max-age=60"

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        seen.append(environ["HTTP_X_TRACE"])
        start_response("200 OK", [("Cache-Control", answered)])
        return [b"ok"]

    event = make_http_v2_event(headers=[("x-trace", "abc-123")])

    result = make_handler(app)(event, None)

    assert seen == ["abc-123"] and seen[0] is event["headers"]["x-trace"]
    assert result["headers"]["Cache-Control"] is answered
