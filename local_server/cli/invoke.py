"""``lambgate invoke``: one invocation in a fresh execution environment, as ``sam local invoke``.

The result goes to stdout as JSON, the function's log (ending with its ``REPORT`` line) to
stderr; the exit status is 1 when the invocation failed (``X-Amz-Function-Error`` in AWS).
With ``--stream`` it is ``InvokeWithResponseStream``: a function that streams has each chunk
written to stdout as it writes it (the prelude too, as the API's payload carries it), and an
error that ends the stream is said on stderr.

Without ``--event`` the function gets what a browser's ``GET /`` would make it: the event of
``--format`` for an ``APP`` (default ``http``, as ``serve``), or of the front the template puts
before the function (its first API event, else its function URL). A function no HTTP front
calls gets ``{}``, as from ``sam local invoke`` with no event.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass

from lambgate.errors import ConfigurationError
from lambgate.local.gateway.access_log import AccessLog
from lambgate.local.lambda_service.function import FunctionConfig, InitFailed, InvocationResult
from lambgate.local.lambda_service.function_pool import FunctionRuntime
from lambgate.local.lambda_service.response_stream import InvocationStream
from lambgate.local.lambda_service.worker_options import WorkerOptions
from lambgate.local.template.loader import load_template
from lambgate.local.template.specs import Template, TemplateError

from .event import sample_event
from .plan import FORMATS, ServeOptions, app_function_config, function_config
from .serve import add_common_arguments, options_from_args, report_init_failure
from .workers import add_worker_arguments, worker_options

__all__ = ["add_arguments", "invoke_once", "run"]

#: The kind of event an ``APP`` gets without ``--event`` and ``--format``: ``serve``'s default.
DEFAULT_FORMAT = "http"


@dataclass(frozen=True, slots=True, kw_only=True)
class DefaultEvent:
    """What ``GET /`` would send the function: the event source's kind and API stage."""

    kind: str
    stage: str | None = None


async def invoke_once(
    config: FunctionConfig,
    payload: bytes,
    log: AccessLog,
    options: WorkerOptions | None = None,
    *,
    eager: bool = False,
    on_chunk: Callable[[bytes], None] | None = None,
) -> InvocationResult:
    """Run ``payload`` through a new environment of ``config`` and stop it afterwards.

    ``eager`` imports the handler first (as ``serve APP`` does), so a handler that cannot be
    imported raises :class:`InitFailed` instead of being the invocation's error. With
    ``on_chunk``, a streamed response is handed to it piece by piece as it is written.
    """
    runtime = FunctionRuntime(
        config, log=lambda line: log.function_line(config.name, line), options=options
    )
    readers: list[asyncio.Task[None]] = []

    async def pump(stream: InvocationStream, into: Callable[[bytes], None]) -> None:
        while piece := await stream.read():
            into(piece)

    def take(stream: InvocationStream) -> None:
        assert on_chunk is not None
        readers.append(asyncio.create_task(pump(stream, on_chunk)))

    try:
        if eager:
            await runtime.start_environment()
        invocation = await runtime.invoke(payload, on_stream=take if on_chunk else None)
        await asyncio.gather(*readers)
        return invocation
    finally:
        await runtime.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common_arguments(parser)
    add_worker_arguments(parser, debug_function=False)
    parser.add_argument("--function", "-f", help="logical id of the template function to invoke")
    parser.add_argument(
        "--event",
        "-e",
        default=None,
        metavar="FILE",
        help="the event as a JSON file, or - for stdin (default: the event of a GET /)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="the event source: for APP, what its events are read as (default: detect it); "
        "without --event, the kind of GET / event sent (default: APP http, a template "
        "function its first API's or its URL's)",
    )
    parser.add_argument(
        "--stream",
        action="store_true",
        help="invoke with InvokeWithResponseStream: what the function streams goes to stdout as "
        "it is written (APP runs behind lambgate's streaming wrapper, its default event url)",
    )


def _template_function(
    options: ServeOptions, function: str | None
) -> tuple[FunctionConfig, DefaultEvent | None]:
    template = load_template(
        options.template,
        parameter_overrides=options.parameter_overrides,
        env_vars=options.env_vars,
        shell_env=options.shell_env,
    )
    if function is None:
        if len(template.functions) != 1:
            names = ", ".join(template.functions) or "none"
            raise TemplateError("--function", f"name the function to invoke (one of: {names})")
        function = next(iter(template.functions))
    spec = template.functions.get(function)
    if spec is None:
        names = ", ".join(template.functions) or "none"
        raise TemplateError("--function", f"no function {function!r} (the template has {names})")
    return function_config(spec), _front_event(template, function)


def _front_event(template: Template, function: str) -> DefaultEvent | None:
    """The event of the first front the template puts before ``function``, if any."""
    for route in template.routes:
        if route.function == function:
            stage = template.apis[route.api_logical_id].stage_name
            if route.kind == "rest":
                return DefaultEvent(kind="rest", stage=stage)
            kind = "http" if route.payload_format_version == "2.0" else "http-v1"
            return DefaultEvent(kind=kind, stage=stage)
    if template.functions[function].function_url is not None:
        return DefaultEvent(kind="url")
    return None


def _read_event(source: str) -> bytes:
    if source == "-":
        payload = sys.stdin.buffer.read()
    else:
        try:
            with open(source, "rb") as file:
                payload = file.read()
        except OSError as error:
            raise TemplateError("--event", f"cannot read {source}: {error.strerror}") from None
    try:
        json.loads(payload)
    except ValueError as error:
        raise TemplateError("--event", f"the event is not JSON: {error}") from None
    return payload


def _default_payload(default: DefaultEvent | None) -> bytes:
    if default is None:
        return b"{}"
    return json.dumps(sample_event(default.kind, stage=default.stage)).encode()


def run(args: argparse.Namespace) -> int:
    log = AccessLog(sys.stderr)
    try:
        options = options_from_args(args)
        default: DefaultEvent | None
        if options.app is not None:
            config = app_function_config(
                options.app,
                source=args.format,
                interface=options.interface,
                app_dir=options.app_dir,
                env_vars=options.env_vars,
                shell_env=options.shell_env,
                stream=args.stream,
            )
            default = DefaultEvent(kind=args.format or ("url" if args.stream else DEFAULT_FORMAT))
        else:
            if args.format is not None and args.event is not None:
                message = "for a template function it only chooses the event sent without --event"
                raise TemplateError("--format", message)
            config, default = _template_function(options, args.function)
            if args.format is not None:
                default = DefaultEvent(kind=args.format)
        workers = worker_options(
            {config.name: config},
            isolated=args.isolated,
            manifest=args.manifest,
            debug_port=args.debug_port,
        )
        payload = _default_payload(default) if args.event is None else _read_event(args.event)
        eager = options.app is not None
        invocation = asyncio.run(
            invoke_once(
                config,
                payload,
                log,
                workers[config.name],
                eager=eager,
                on_chunk=_write_chunk if args.stream else None,
            )
        )
    except (TemplateError, ConfigurationError, OSError) as error:
        log.write(f"lambgate invoke: error: {error}")
        return 2
    except InitFailed as failure:
        report_init_failure(failure, log, "invoke")
        return 1
    except KeyboardInterrupt:
        return 130
    if invocation.streamed is not None:
        return _stream_ended(invocation, log)
    try:
        document = json.loads(invocation.payload)
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    except ValueError:
        sys.stdout.write(invocation.payload.decode("utf-8", "replace") + "\n")
    sys.stdout.flush()
    return 1 if invocation.function_error is not None else 0


def _write_chunk(piece: bytes) -> None:
    sys.stdout.buffer.write(piece)
    sys.stdout.buffer.flush()


def _stream_ended(invocation: InvocationResult, log: AccessLog) -> int:
    """After a streamed response: its error, said on stderr, as ``InvokeComplete`` has it."""
    if invocation.function_error is None:
        return 0
    try:
        document = json.loads(invocation.payload)
    except ValueError:
        document = None
    summary = invocation.payload.decode("utf-8", "replace")
    if isinstance(document, dict):
        summary = f"{document.get('errorType')}: {document.get('errorMessage')}"
    log.write(f"lambgate invoke: the stream ended with an error: {summary}")
    return 1
