"""The Lambda entry points: ``make_handler(app)`` and the zero-code ``lambda_handler``.

This is the only place in the package with I/O concerns: logging, the event loop (through
:mod:`.asgi`, imported only for ASGI apps), signal handling and importing the user's app.
A fault in the app never escapes: it becomes a 500 (or 504) result and a log line with the
traceback, and the environment goes on serving. An event that is not an HTTP request does
escape, as an :class:`~lambgate.errors.EventError`: the invocation itself is wrong.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping

from .errors import AppTimeout, CompletedWithError, ConfigurationError, ProtocolError
from .events import detect, get_source
from .events.base import EventSource, Options
from .events.encoding import DEFAULT_TEXT_MIME_TYPES, media_type
from .model import Request, Response

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .types import Interface, LambdaHandler, LifespanMode, SourceName

__all__ = ["handler_from_environment", "is_asgi", "load_app", "make_handler"]


class _LambgateLog:
    """The ``lambgate`` logger, imported on first use: ``logging`` costs milliseconds of cold
    start, and a healthy invocation never logs."""

    def error(self, msg: str, *args: object, **kwargs: Any) -> None:
        import logging

        logging.getLogger("lambgate").error(msg, *args, **kwargs)


_LOG = _LambgateLog()

_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE, without importing inspect at cold start

_ERROR_HEADERS = [("content-type", "text/plain; charset=utf-8")]
_INTERNAL_ERROR = Response(status=500, headers=_ERROR_HEADERS, body=b"Internal Server Error")
_TIMEOUT = Response(status=504, headers=_ERROR_HEADERS, body=b"Gateway Timeout")
_NO_BODY_STATUSES = frozenset({204, 304})


def is_asgi(app: Any) -> bool:
    """Whether ``app`` is an ASGI 3 callable: it, or its ``__call__``, is ``async def``.

    ``getattr(app, "__call__")`` also finds a callable a wrapper stores on the instance
    (Sentry's ``SentryAsgiMiddleware`` sets ``self.__call__``).
    """
    # Not a callability test: the bound __call__ itself is what is inspected.
    for candidate in (app, getattr(app, "__call__", None)):  # noqa: B004
        func = getattr(candidate, "__func__", candidate)
        func = getattr(func, "func", func)  # functools.partial
        code = getattr(func, "__code__", None)
        if code is not None and code.co_flags & _CO_COROUTINE:
            return True
        if getattr(func, "_is_coroutine_marker", None) is not None:  # markcoroutinefunction
            return True
    return False


def make_handler(
    app: Any,
    *,
    interface: Interface = "auto",
    lifespan: LifespanMode = "auto",
    base_path: str | None = None,
    text_mime_types: Iterable[str] | None = None,
    exclude_headers: Iterable[str] = (),
    source: SourceName | None = None,
    logger: Any = None,
    timeout_margin_ms: int = 500,
    root_in_path: bool | None = None,
    websocket_endpoint: str | None = None,
) -> LambdaHandler:
    """A Lambda handler ``fn(event, context) -> result`` serving ``app``.

    ``interface``: ``"auto"`` (ASGI if the app is ``async``), ``"asgi"`` or ``"wsgi"``.
    ``lifespan`` (ASGI): ``"auto"``, ``"on"`` or ``"off"``; startup runs now, during init.
    ``base_path``: a custom domain's API mapping, such as ``"/v1"``.
    ``text_mime_types``: media types sent as text in addition to the defaults.
    ``exclude_headers``: response headers never passed to the gateway.
    ``source``: force an event source (``rest``, ``http-v1``, ``http``, ``alb``,
    ``alb-multi``, ``url``, ``edge``, ``lattice``, ``lattice-v2``, ``websocket``) instead of
    detecting it per event.
    ``logger``: an aws-lambda-powertools ``Logger``: every log line of a request carries its
    request id and the cold-start flag.
    ``timeout_margin_ms``: an ASGI request is cancelled this long before the Lambda deadline.
    ``root_in_path`` (ASGI): whether ``scope["path"]`` includes ``root_path``, as the ASGI spec
    has it; ``None`` decides by the app (Falcon's ASGI app reads it as relative).
    ``websocket_endpoint``: the API Gateway Management API endpoint WebSocket sends go to;
    by default boto3's own endpoint setting, else ``https://{domainName}/{stage}``.
    """
    if interface == "auto":
        interface = "asgi" if is_asgi(app) else "wsgi"
    run: Callable[[Request], Response]
    runner: Any = None
    from functools import partial  # loaded already by the events package

    if interface == "wsgi":
        from .wsgi import run_wsgi

        run = partial(run_wsgi, app)

    elif interface == "asgi":
        from .asgi import ASGIRunner

        run = runner = ASGIRunner(
            app, lifespan=lifespan, timeout_margin_ms=timeout_margin_ms, root_in_path=root_in_path
        )
        _close_on_exit(runner.close)
    else:
        raise ConfigurationError(f"interface must be 'auto', 'asgi' or 'wsgi', not {interface!r}")
    # "/" is the console's "(none)" mapping: no base path at all.
    base = (base_path or "").strip("/")
    options = Options(
        base_path=f"/{base}" if base else "",
        text_mime_types=DEFAULT_TEXT_MIME_TYPES
        | {media_type(mime) for mime in (text_mime_types or ())},
        exclude_headers=frozenset(name.lower() for name in exclude_headers),
    )
    forced = get_source(source) if source else None
    log = logger if logger is not None else _LOG
    # WebSocket API events run the app's websocket scope (imported with the first one).
    run_websocket: Callable[[Request], Response] | None = None

    def handle(event: Any, context: Any) -> dict[str, Any]:
        nonlocal run_websocket
        kind = forced or detect(event)
        request = kind.event_to_request(event, context, options)
        serve: Callable[[Request], Response] = run
        if kind.name == "websocket":
            if run_websocket is None:
                # A WSGI app raises ConfigurationError here, out of the handler.
                run_websocket = _websocket_runner(run, websocket_endpoint)
            serve = run_websocket
        try:
            response = serve(request)
        except AppTimeout as exc:
            log.error("%s %s timed out: %s", request.method, request.path, exc)
            response = _TIMEOUT
        except Exception as exc:
            response = _completed_or_500(exc, request, log)
        return render(kind, response, request, options, log)

    def stream(event: Any, context: Any, open_stream: Callable[[], Any]) -> dict[str, Any] | None:
        # The streaming runtime's entry (lambgate.streaming), imported only when it runs.
        from .streaming.invocation import STREAMING_SOURCES, log_buffering_once, serve_streamed

        kind = forced or detect(event)
        if kind.name not in STREAMING_SOURCES:
            log_buffering_once(kind.name, kind.result_limit)
            return handle(event, context)
        request = kind.event_to_request(event, context, options)
        if interface == "asgi":
            from .streaming.asgi_stream import stream_asgi

            serve_streamed(partial(stream_asgi, runner), request, open_stream())
        else:
            from .streaming.wsgi_stream import stream_wsgi

            serve_streamed(partial(stream_wsgi, app), request, open_stream())
        return None

    entry = handle
    if logger is not None and hasattr(logger, "inject_lambda_context"):
        # Powertools adds the request id and cold_start to every line logged during the call.
        entry = logger.inject_lambda_context(handle)
    entry.lambgate_stream = stream  # type: ignore[attr-defined]
    return entry


def _websocket_runner(
    run: Callable[[Request], Response], endpoint: str | None
) -> Callable[[Request], Response]:
    from .asgi import ASGIRunner
    from .websocket import ManagementAPI, WebSocketRunner, wsgi_cannot_serve

    if not isinstance(run, ASGIRunner):
        raise wsgi_cannot_serve()
    return WebSocketRunner(run, ManagementAPI(endpoint))


def _completed_or_500(exc: Exception, request: Request, log: Any) -> Response:
    if isinstance(exc, CompletedWithError):
        log.error(
            "%s %s: app raised after its response was sent",
            request.method,
            request.path,
            exc_info=exc.__cause__,
        )
        return exc.response
    log.error("%s %s: app failed, answering 500", request.method, request.path, exc_info=exc)
    return _INTERNAL_ERROR


def render(
    kind: EventSource, response: Response, request: Request, options: Options, log: Any
) -> dict[str, Any]:
    """The result for ``kind``, guarded like an HTTP server guards its output: no body where
    HTTP forbids one, no forged headers, and nothing over the service's size limit."""
    if response.body and (request.method == "HEAD" or response.status in _NO_BODY_STATUSES):
        response = Response(status=response.status, headers=response.headers)
    try:
        result = kind.response_to_result(response, request, options)
    except ProtocolError as exc:
        log.error("%s %s: %s; answering 500", request.method, request.path, exc)
        result = kind.response_to_result(_INTERNAL_ERROR, request, options)
    body = result.get("body") or ""
    # Measured as the Python 3.11 runtime sends it: json.dumps with ensure_ascii, where a
    # character can take 12 bytes (a \uXXXX surrogate pair); newer runtimes send UTF-8, never
    # more (awslambdaric lambda_runtime_marshaller.py). A base64 body is ASCII, one byte a
    # character. Only a result that may be near the limit is serialised to measure it.
    growth = 1 if result.get("isBase64Encoded") else 12
    if len(body) * growth + 8192 > kind.result_limit:
        import json

        size = len(json.dumps(result))
        if size > kind.result_limit:
            log.error(
                "%s %s: the %s result is %d bytes, over the %d-byte limit of the %s source; "
                "answering 500 instead of letting the invocation fail",
                request.method,
                request.path,
                kind.name,
                size,
                kind.result_limit,
                kind.name,
            )
            result = kind.response_to_result(_INTERNAL_ERROR, request, options)
    return result


def _close_on_exit(close: Callable[[], None]) -> None:
    """Run ``close`` when the environment ends: at interpreter exit, and on SIGTERM, which
    Lambda sends before shutting down an environment (the previous handler still runs)."""
    import atexit
    import signal
    import threading

    atexit.register(close)
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum: int, frame: Any) -> None:
        close()
        if callable(previous):
            previous(signum, frame)
        else:
            raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_sigterm)


def load_app(spec: str) -> Any:
    """The object named by ``package.module:attr`` (``attr`` may be dotted), or a clear error."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ConfigurationError(f"app must be given as 'package.module:attr', got {spec!r}")
    import importlib

    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(
            f"cannot import module {module_name!r} for {spec!r}: {exc}"
        ) from exc
    for part in attr.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ConfigurationError(f"module {module_name!r} has no attribute {attr!r}") from None
    return target


def handler_from_environment(environ: Mapping[str, str] | None = None) -> LambdaHandler:
    """The handler ``LAMBGATE_APP`` names, with every other ``make_handler`` option read from
    its ``LAMBGATE_*`` variable (:mod:`.settings`)."""
    from .settings import read_settings  # the zero-code entry only, once per environment

    settings = read_settings(os.environ if environ is None else environ)
    return make_handler(
        load_app(settings.app),
        interface=settings.interface,
        lifespan=settings.lifespan,
        base_path=settings.base_path,
        text_mime_types=settings.text_mime_types,
        exclude_headers=settings.exclude_headers,
        source=settings.source,
        timeout_margin_ms=settings.timeout_margin_ms,
        root_in_path=settings.root_in_path,
    )
