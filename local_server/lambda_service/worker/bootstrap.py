"""lambgate's lean Lambda runtime client: the program an execution environment runs.

It does what AWS's Python runtime does, with the standard library (and httptools, the
emulator's own HTTP parser, to read the Runtime API's responses, where installed: kept out of
the function's sight), so an environment starts in tens of milliseconds: import the handler
named by ``_HANDLER`` once, then loop
``/next`` → ``handler(event, context)`` → ``/response`` or ``/error`` against the Runtime API at
``AWS_LAMBDA_RUNTIME_API`` (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
Init failures go to ``/init/error`` under the error types AWS's runtime uses
(``Runtime.ImportModuleError``, ``Runtime.HandlerNotFound``, …: aws-lambda-python-runtime-
interface-client ``lambda_runtime_exception.py``), and the process exits, as there.

Run as a script (``python -P .../bootstrap.py``); it imports nothing from lambgate, so the
function's own modules are the only ones on its path besides the standard library. What the
emulator adds is read from the ``_LAMBGATE_*`` variables, which the function never sees
(:func:`apply_worker_options`): the import check (``import_check.py``) and the debugger
(``debugger.py``), modules beside this file that it loads from their files when asked for.
"""

from __future__ import annotations

import decimal
import importlib
import importlib.util
import io
import json
import logging
import math
import os
import re
import socket
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable
from types import FrameType, ModuleType
from typing import Any, Protocol, cast

__all__ = [
    "DEBUG_PORT_VARIABLE",
    "IMPORTS_VARIABLE",
    "TERMINAL_VARIABLE",
    "LambdaContext",
    "apply_worker_options",
    "main",
]

API_PREFIX = "/2018-06-01/runtime"
ERROR_CONTENT_TYPE = "application/vnd.aws.lambda.error+json"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"

Handler = Callable[[Any, "LambdaContext"], Any]

#: What the emulator asks of this worker beyond Lambda's own variables. They are removed from
#: ``os.environ`` before the function's code runs, which sees only what Lambda would set.
#: The import policy (JSON) for ``import_check.py``; absent: no check.
IMPORTS_VARIABLE = "_LAMBGATE_IMPORTS"
#: The path of the terminal ``breakpoint()`` debugs on; absent or empty: there is none.
TERMINAL_VARIABLE = "_LAMBGATE_TERMINAL"
#: ``--debug-port``: debugpy waits for a client on 127.0.0.1 at this port before init.
DEBUG_PORT_VARIABLE = "_LAMBGATE_DEBUG_PORT"
#: The names the modules beside this file are loaded under.
DEBUGGER = "_lambgate_debugger"
IMPORT_CHECK = "_lambgate_import_check"


class CognitoIdentity:
    """``context.identity``: AWS's runtime always sets an object, empty outside Mobile SDK calls."""

    def __init__(self, identity: dict[str, Any] | None) -> None:
        identity = identity or {}
        self.cognito_identity_id: str | None = identity.get("cognitoIdentityId")
        self.cognito_identity_pool_id: str | None = identity.get("cognitoIdentityPoolId")


class Client:
    """``context.client_context.client``: the calling app, as the AWS Mobile SDK describes it."""

    def __init__(self, client: dict[str, Any]) -> None:
        self.installation_id: str | None = client.get("installation_id")
        self.app_title: str | None = client.get("app_title")
        self.app_version_name: str | None = client.get("app_version_name")
        self.app_version_code: str | None = client.get("app_version_code")
        self.app_package_name: str | None = client.get("app_package_name")


class ClientContext:
    """``context.client_context``: an object, not the JSON dict, as AWS's runtime gives it.

    Code written for Lambda reads ``context.client_context.custom``; awslambdaric builds this
    object with ``.custom``, ``.env`` and ``.client`` (``lambda_context.py``).
    """

    def __init__(self, client_context: dict[str, Any]) -> None:
        self.custom: Any = client_context.get("custom")
        self.env: Any = client_context.get("env")
        client = client_context.get("client")
        self.client: Client | None = Client(client) if isinstance(client, dict) else None


class LambdaContext:
    """The ``context`` argument, with the attributes and method AWS's Python runtime gives it.

    https://docs.aws.amazon.com/lambda/latest/dg/python-context.html. ``memory_limit_in_mb``
    is the environment variable's string, exactly as the AWS runtime passes it.
    """

    def __init__(
        self,
        *,
        aws_request_id: str,
        invoked_function_arn: str,
        deadline_ms: int,
        client_context: dict[str, Any] | None,
        identity: dict[str, Any] | None,
    ) -> None:
        self.aws_request_id = aws_request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.client_context = ClientContext(client_context) if client_context is not None else None
        self.identity = CognitoIdentity(identity)
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def __repr__(self) -> str:
        return (
            f"LambdaContext(aws_request_id={self.aws_request_id!r}, "
            f"function_name={self.function_name!r}, "
            f"invoked_function_arn={self.invoked_function_arn!r})"
        )


class RuntimeAPIError(Exception):
    """The Runtime API answered with something that is not an HTTP response."""


class InitFailure(Exception):
    """The handler could not be loaded; ``error`` is what goes to ``/init/error``."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error["errorMessage"])
        self.error = error


#: A Runtime API response: its status, its headers (names in lower case), its body, and
#: whether the connection stays open after it.
Reply = tuple[int, dict[str, str], bytes, bool]


class ResponseReader(Protocol):
    """Reads the responses of one connection, in order, however many one read brought."""

    def read(self) -> Reply: ...


ReaderFactory = Callable[[socket.socket], ResponseReader]


class LlhttpReader:
    """Responses parsed by httptools (llhttp, in C), at about a twentieth of the cost of
    http.client (whose headers go through the ``email`` package), paid twice per invocation."""

    def __init__(self, connection: socket.socket, parser_class: Any) -> None:
        self._connection = connection
        self._parser = parser_class(self)
        self._parsed: deque[Reply] = deque()
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []

    # -- llhttp's callbacks --

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        parser = self._parser
        body = b"".join(self._body)
        reply = (parser.get_status_code(), self._headers, body, parser.should_keep_alive())
        self._parsed.append(reply)
        self._headers, self._body = {}, []

    def read(self) -> Reply:
        while not self._parsed:
            data = self._connection.recv(65536)
            if not data:
                raise ConnectionResetError("the Runtime API closed the connection")
            try:
                self._parser.feed_data(data)
            except Exception as error:  # httptools.HttpParserError: not valid HTTP
                raise RuntimeAPIError(f"Runtime API response: {error}") from None
        return self._parsed.popleft()


class _Unclosable(io.BufferedReader):
    """The connection's one read buffer: http.client closes each response's ``fp`` when its
    body is read, which must not end the buffer the next (pipelined) response is already in."""

    def close(self) -> None:
        pass


class _Stream:
    """What :class:`http.client.HTTPResponse` reads a response from (``makefile``)."""

    def __init__(self, reader: io.BufferedReader) -> None:
        self.reader = reader

    def makefile(self, mode: str) -> io.BufferedReader:
        return self.reader


class HttpClientReader:
    """Responses parsed by the standard library's http.client, from one read buffer kept
    across them: where httptools is not importable. Imported only then: http.client and the
    ``email`` package behind it take tens of milliseconds to import, which would be counted
    in every cold start's Init Duration."""

    def __init__(self, connection: socket.socket) -> None:
        import http.client

        self._client = http.client
        self._stream = _Stream(_Unclosable(socket.SocketIO(connection, "rb")))

    def read(self) -> Reply:
        # HTTPResponse only asks its "socket" for makefile(): the shared buffer.
        response = self._client.HTTPResponse(cast(socket.socket, self._stream))
        try:
            response.begin()
            body = response.read()
        except self._client.RemoteDisconnected:
            raise  # a ConnectionResetError too: the request is sent again
        except self._client.HTTPException as error:
            raise RuntimeAPIError(f"Runtime API response: {error!r}") from None
        headers = {name.lower(): value for name, value in response.headers.items()}
        return response.status, headers, body, not response.will_close


def _httptools_parser() -> Any | None:
    """httptools' response parser, from the interpreter's own packages, or ``None``.

    Imported with the function's folders (``PYTHONPATH``: its CodeUri, its layers) off
    ``sys.path``, so a copy the function ships is never run by the runtime client; and taken
    out of ``sys.modules`` again, so the function's own ``import httptools`` is found, checked
    (the import warning, ``--isolated``) and refused exactly as if this had not happened.
    """
    function_paths = set(os.environ.get("PYTHONPATH", "").split(os.pathsep))
    saved, loaded = sys.path[:], set(sys.modules)
    sys.path[:] = [path for path in saved if path and path not in function_paths]
    try:
        module = importlib.import_module("httptools")
        return module.HttpResponseParser
    except (ImportError, AttributeError):  # not installed, or not the httptools we know
        return None
    finally:
        sys.path[:] = saved
        for name in set(sys.modules) - loaded:
            if name.partition(".")[0] == "httptools":
                del sys.modules[name]


def default_reader() -> ReaderFactory:
    """The fastest reader this interpreter has: llhttp's, else http.client's."""
    parser_class = _httptools_parser()
    if parser_class is None:
        return HttpClientReader
    return lambda connection: LlhttpReader(connection, parser_class)


class RuntimeClient:
    """HTTP/1.1 to the Runtime API on one kept-alive connection, reopened if the server drops it.

    Each request leaves in one write, a post's head and body together, and the reply to an
    invocation goes out with the next ``/next`` behind it (HTTP/1.1 pipelining): the Runtime
    API reads both at once, and nothing waits on a round trip in between. Responses are
    parsed by ``reader`` (default: :func:`default_reader`).
    """

    def __init__(self, address: str, reader: ReaderFactory | None = None) -> None:
        self.address = address
        host, _, port = address.rpartition(":")
        self._host, self._port = host, int(port)
        self._socket: socket.socket | None = None
        self._new_reader = reader or default_reader()
        self._reader: ResponseReader | None = None
        #: Requests to send, and requests sent whose responses are still to be read: a
        #: connection the server drops takes the latter back to the former.
        self._unsent: list[bytes] = []
        self._unanswered: list[bytes] = []

    def _connect(self) -> socket.socket:
        if self._socket is None:
            connection = socket.create_connection((self._host, self._port))
            # A request is one write: nothing for Nagle's algorithm to gather.
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._reader = self._new_reader(connection)
            self._socket = connection
        return self._socket

    def _reconnect(self) -> None:
        """Drop the connection; what it left unanswered is sent again on the next one."""
        self.close()
        self._unsent = self._unanswered + self._unsent
        self._unanswered = []

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
            self._reader = None

    def _request(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> bytes:
        lines = [f"{method} {API_PREFIX}{path} HTTP/1.1", f"Host: {self.address}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        return "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + (body or b"")

    def _exchange(self, requests: list[bytes]) -> tuple[int, dict[str, str], bytes]:
        """Send ``requests`` (with any left unsent) and read the oldest unanswered response."""
        self._unsent += requests
        for attempt in (1, 2):
            try:
                connection = self._connect()
                if self._unsent:
                    connection.sendall(b"".join(self._unsent))
                    self._unanswered += self._unsent
                    self._unsent = []
                assert self._reader is not None
                status, headers, body, keep_alive = self._reader.read()
                del self._unanswered[0]
                if not keep_alive:
                    self._reconnect()
                return status, headers, body
            except (ConnectionResetError, BrokenPipeError):
                # The server closed the idle kept-alive connection while the handler ran: the
                # requests never reached it, so sending them again on a new one is safe.
                self._reconnect()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def next_invocation(self) -> tuple[int, dict[str, str], bytes]:
        """``GET /invocation/next``, unless the last reply already asked for it."""
        if self._unanswered or self._unsent:
            return self._exchange([])
        return self._exchange([self._request("GET", "/invocation/next", None, {})])

    def post(
        self,
        path: str,
        body: bytes,
        content_type: str = "application/json",
        error_type: str | None = None,
        *,
        then_next: bool = False,
    ) -> int:
        """Post ``body``; with ``then_next``, ask for the next invocation in the same write."""
        headers = {"Content-Type": content_type}
        if error_type is not None:
            headers = {"Content-Type": ERROR_CONTENT_TYPE, ERROR_TYPE_HEADER: error_type}
        requests = [self._request("POST", path, body, headers)]
        if then_next:
            requests.append(self._request("GET", "/invocation/next", None, {}))
        status, _, _ = self._exchange(requests)
        return status


def load_handler(name: str) -> Handler:
    """Import ``module.function`` once, failing with the error AWS's runtime would report."""
    try:
        module_name, function_name = name.rsplit(".", 1)
    except ValueError as error:
        raise InitFailure(
            make_error(f"Bad handler '{name}': {error}", "Runtime.MalformedHandlerName", [])
        ) from None
    try:
        if module_name.split(".")[0] in sys.builtin_module_names:
            raise InitFailure(
                make_error(
                    f"Cannot use built-in module {module_name} as a handler module",
                    "Runtime.BuiltInModuleConflict",
                    [],
                )
            )
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        raise InitFailure(
            make_error(
                f"Unable to import module '{module_name}': {error}", "Runtime.ImportModuleError", []
            )
        ) from None
    except SyntaxError as error:
        trace = [f'  File "{error.filename}" Line {error.lineno}\n    {error.text}']
        raise InitFailure(
            make_error(
                f"Syntax error in module '{module_name}': {error}",
                "Runtime.UserCodeSyntaxError",
                trace,
            )
        ) from None
    except InitFailure:
        raise
    except Exception as error:
        raise InitFailure(exception_to_error(error)) from None
    try:
        handler: Handler = getattr(module, function_name)
    except AttributeError:
        raise InitFailure(
            make_error(
                f"Handler '{function_name}' missing on module '{module_name}'",
                "Runtime.HandlerNotFound",
                [],
            )
        ) from None
    return handler


def make_error(
    message: str, error_type: str, stack_trace: list[str], request_id: str = ""
) -> dict[str, Any]:
    return {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id,
        "stackTrace": stack_trace,
    }


def exception_to_error(error: BaseException, request_id: str = "") -> dict[str, Any]:
    """The ``{errorMessage, errorType, requestId, stackTrace}`` AWS's runtime sends for ``error``.

    The traceback starts at the user's frame: frames of this file are dropped, as AWS drops
    those of its ``bootstrap.py``.
    """
    frames = traceback.extract_tb(error.__traceback__)
    while frames and frames[0].filename == __file__:
        frames.pop(0)
    return make_error(str(error), type(error).__name__, traceback.format_list(frames), request_id)


def log_error(error: dict[str, Any]) -> None:
    """Print the error as AWS's runtime logs it: ``[ERROR] Type: message`` then the traceback."""
    lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}"]
    if error["stackTrace"]:
        lines.append("Traceback (most recent call last):")
        lines.extend(line.rstrip("\n") for line in error["stackTrace"])
    print("\n".join(lines), file=sys.stderr, flush=True)


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id, as AWS's log format expects."""

    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def configure_logging() -> RequestIdFilter:
    """The root logger AWS's Python runtime installs: ``[LEVEL]\\ttime\\trequest id\\tmessage``."""
    request_ids = RequestIdFilter()
    stream = logging.StreamHandler(sys.stdout)
    stream.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
            "%Y-%m-%dT%H:%M:%S",
        )
    )
    stream.formatter.converter = time.gmtime  # type: ignore[union-attr]
    stream.addFilter(request_ids)
    logging.getLogger().addHandler(stream)
    return request_ids


def optional_json(raw: str | None) -> dict[str, Any] | None:
    return json.loads(raw) if raw else None


#: Runtimes whose awslambdaric writes non-ASCII text as UTF-8 rather than ``\uXXXX`` escapes.
UTF8_RUNTIMES = frozenset(f"AWS_Lambda_python3.{minor}" for minor in range(12, 16))


def marshal_response(output: Any) -> tuple[bytes, str]:
    """The response body and content type, as AWS's runtime marshals a handler's return value.

    awslambdaric (``lambda_runtime_marshaller.py``) passes ``bytes`` through untouched, writes
    ``Decimal`` (what boto3's DynamoDB layer returns for numbers) as a JSON number, a NaN
    ``Decimal`` as ``NaN``, and keeps non-ASCII text unescaped on python3.12 and later.
    """
    if isinstance(output, bytes):
        return output, "application/unknown"
    # The standard library cannot write a raw number from ``default``: each Decimal becomes a
    # marker string that no user string can equal (a fresh random token, drawn at the first
    # Decimal: most results have none), replaced afterwards.
    marker = ""
    numbers: list[str] = []

    def encode_decimal(value: object) -> object:
        nonlocal marker
        if isinstance(value, decimal.Decimal):
            if value.is_nan():
                return math.nan
            if not marker:
                import uuid  # only for results with a Decimal: most have none

                marker = f"decimal-{uuid.uuid4().hex}-"
            numbers.append(str(value))
            return f"{marker}{len(numbers) - 1}"
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    ensure_ascii = os.environ.get("AWS_EXECUTION_ENV") not in UTF8_RUNTIMES
    text = json.dumps(output, default=encode_decimal, ensure_ascii=ensure_ascii)
    if numbers:
        text = re.sub(f'"{marker}(\\d+)"', lambda match: numbers[int(match[1])], text)
    return text.encode(), "application/json"


def load_beside(name: str, file: str) -> ModuleType:
    """A module from a file beside this one: ``-P`` keeps this folder off ``sys.path``, so the
    function can never import these by accident, and they are loaded only when asked for."""
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(os.path.dirname(os.path.abspath(__file__)), file)
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def apply_worker_options() -> None:
    """Before the handler is imported: wait for a debugger (``--debug-port``), or let
    ``breakpoint()`` debug on the emulator's terminal; then install the import check."""
    imports = os.environ.pop(IMPORTS_VARIABLE, None)
    terminal = os.environ.pop(TERMINAL_VARIABLE, None) or None
    debug_port = os.environ.pop(DEBUG_PORT_VARIABLE, None)
    if debug_port:
        load_beside(DEBUGGER, "debugger.py").wait_for_debugger(int(debug_port))
    elif "PYTHONBREAKPOINT" not in os.environ:
        # The function did not choose its own debugger: pdb on the terminal, not on stdin.

        def breakpoint_hook(*args: Any, **kwargs: Any) -> None:
            frame: FrameType = sys._getframe(1)
            debugger = load_beside(DEBUGGER, "debugger.py")
            debugger.breakpoint_hook(terminal, frame, *args, **kwargs)

        sys.breakpointhook = breakpoint_hook
    if imports:
        load_beside(IMPORT_CHECK, "import_check.py").install(json.loads(imports))


def end_debugging() -> None:
    """After each invocation: release the terminal if the handler stopped at a breakpoint."""
    debugger = sys.modules.get(DEBUGGER)
    if debugger is not None:
        debugger.end_invocation()


def serve(client: RuntimeClient, handler: Handler, request_ids: RequestIdFilter) -> None:
    """The invoke loop; returns only if the Runtime API stops answering."""
    while True:
        status, headers, body = client.next_invocation()
        if status != 200:
            # 403/500: "Container error. Non-recoverable state. Runtime should exit promptly."
            return
        request_id = headers["lambda-runtime-aws-request-id"]
        request_ids.request_id = request_id
        trace_id = headers.get("lambda-runtime-trace-id")
        if trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = trace_id
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        try:
            context = LambdaContext(
                aws_request_id=request_id,
                invoked_function_arn=headers.get("lambda-runtime-invoked-function-arn", ""),
                deadline_ms=int(headers.get("lambda-runtime-deadline-ms", "0")),
                client_context=optional_json(headers.get("lambda-runtime-client-context")),
                identity=optional_json(headers.get("lambda-runtime-cognito-identity")),
            )
            event = json.loads(body) if body else None
            try:
                output = handler(event, context)
            finally:
                end_debugging()
        except Exception as error:
            failure = exception_to_error(error, request_id)
        else:
            try:
                result, content_type = marshal_response(output)
            except (TypeError, ValueError) as error:
                # AWS's runtime: lambda_runtime_marshaller.py, "Unable to marshal response".
                failure = make_error(
                    f"Unable to marshal response: {error}", "Runtime.MarshalError", [], request_id
                )
            else:
                sys.stdout.flush()
                # A 413 (response too large) ends the invocation on the service side; AWS's
                # runtime posts nothing more for it, so neither do we (brefphp/bref#1483).
                client.post(
                    f"/invocation/{request_id}/response", result, content_type, then_next=True
                )
                continue
        log_error(failure)
        sys.stdout.flush()
        client.post(
            f"/invocation/{request_id}/error",
            json.dumps(failure).encode(),
            error_type=failure["errorType"],
            then_next=True,
        )


def main() -> int:
    client = RuntimeClient(os.environ["AWS_LAMBDA_RUNTIME_API"])
    request_ids = configure_logging()
    apply_worker_options()
    try:
        try:
            handler = load_handler(os.environ["_HANDLER"])
        except InitFailure as failure:
            log_error(failure.error)
            client.post(
                "/init/error",
                json.dumps(failure.error).encode(),
                error_type=failure.error["errorType"],
            )
            return 1
        serve(client, handler, request_ids)
    except (ConnectionError, RuntimeAPIError):
        # The Runtime API is gone (the emulator stopped, or was killed) or is not one: this
        # environment ends too rather than outlive it.
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
