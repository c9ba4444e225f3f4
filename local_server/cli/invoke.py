"""``lambgate invoke``: one invocation in a fresh execution environment, as ``sam local invoke``.

The result goes to stdout as JSON, the function's log (ending with its ``REPORT`` line) to
stderr; the exit status is 1 when the invocation failed (``X-Amz-Function-Error`` in AWS).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from lambgate.errors import ConfigurationError
from lambgate.local.gateway.access_log import AccessLog
from lambgate.local.lambda_service.function import FunctionConfig, InvocationResult
from lambgate.local.lambda_service.function_pool import FunctionRuntime
from lambgate.local.lambda_service.worker_options import WorkerOptions
from lambgate.local.template.loader import load_template
from lambgate.local.template.specs import TemplateError

from .plan import FORMATS, ServeOptions, app_function_config, function_config
from .serve import add_common_arguments, options_from_args
from .workers import add_worker_arguments, worker_options

__all__ = ["add_arguments", "invoke_once", "run"]


async def invoke_once(
    config: FunctionConfig, payload: bytes, log: AccessLog, options: WorkerOptions | None = None
) -> InvocationResult:
    """Run ``payload`` through a new environment of ``config`` and stop it afterwards."""
    runtime = FunctionRuntime(
        config, log=lambda line: log.function_line(config.name, line), options=options
    )
    try:
        return await runtime.invoke(payload)
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
        help="the event as a JSON file, or - for stdin (default: {})",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="for APP: the event source to read events as (default: detect it)",
    )


def _config(options: ServeOptions, function: str | None) -> FunctionConfig:
    if options.app:
        return app_function_config(
            options.app,
            source=options.format if options.format != "auto" else None,
            interface=options.interface,
            app_dir=options.app_dir,
        )
    template = load_template(
        options.template,
        parameter_overrides=options.parameter_overrides,
        env_vars=options.env_vars,
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
    return function_config(spec)


def _read_event(source: str | None) -> bytes:
    if source is None:
        return b"{}"
    if source == "-":
        payload = sys.stdin.buffer.read()
    else:
        with open(source, "rb") as file:
            payload = file.read()
    try:
        json.loads(payload)
    except ValueError as error:
        raise TemplateError("--event", f"the event is not JSON: {error}") from None
    return payload


def run(args: argparse.Namespace) -> int:
    log = AccessLog(sys.stderr)
    try:
        options = options_from_args(args)
        if options.app is None and args.format is not None:
            raise TemplateError("--format", "only applies to APP")
        if options.app is not None:
            options = ServeOptions(
                app=options.app,
                format=args.format or "auto",
                interface=options.interface,
                app_dir=options.app_dir,
            )
        config = _config(options, args.function)
        workers = worker_options(
            {config.name: config},
            isolated=args.isolated,
            manifest=args.manifest,
            debug_port=args.debug_port,
        )
        payload = _read_event(args.event)
        invocation = asyncio.run(invoke_once(config, payload, log, workers[config.name]))
    except (TemplateError, ConfigurationError, OSError) as error:
        log.write(f"lambgate invoke: {error}")
        return 2
    try:
        document = json.loads(invocation.payload)
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    except ValueError:
        sys.stdout.write(invocation.payload.decode("utf-8", "replace") + "\n")
    sys.stdout.flush()
    return 1 if invocation.function_error is not None else 0
