"""``lambgate serve``: a template's (or an APP's) functions behind their AWS fronts, locally.

:func:`start_emulator` turns a :class:`~.plan.ServePlan` into running parts: one
:class:`~lambgate.local.lambda_service.function_pool.FunctionRuntime` per function (its
execution environments start on the first request, as Lambda's do), one HTTP front per API or
function URL with a :class:`~lambgate.local.gateway.gateway.Gateway` behind it, and the Invoke
API on ``--lambda-port`` (``sam local start-lambda``). :func:`serve` runs that until SIGINT or
SIGTERM, then stops every front and every worker.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lambgate.errors import ConfigurationError
from lambgate.local.front.server import HTTPServer, start_server, warn_if_exposed
from lambgate.local.gateway.access_log import AccessLog
from lambgate.local.gateway.destinations import ApiRoutes, DestinationResolver, SingleFunction
from lambgate.local.gateway.gateway import Gateway
from lambgate.local.lambda_service.function_pool import FunctionRuntime
from lambgate.local.lambda_service.invoke_api import InvokeServer, start_invoke_api
from lambgate.local.lambda_service.worker_options import WorkerOptions
from lambgate.local.template.parameters import parse_parameter_overrides
from lambgate.local.template.specs import DEFAULT_ROUTE_PATH, TemplateError

from .plan import FORMATS, FrontPlan, ServeOptions, ServePlan, plan_app, plan_template
from .reload import WORKER_COMMAND, CodeWatcher
from .workers import add_worker_arguments, banner_lines, worker_options

__all__ = ["Emulator", "add_arguments", "run", "serve", "start_emulator"]

#: How long in-flight requests get to finish when the emulator stops.
STOP_GRACE_SECONDS = 3.0

_KIND_NAMES = {
    "rest": "REST API",
    "http": "HTTP API",
    "url": "function URL",
    "alb": "ALB",
    "alb-multi": "ALB, multi-value headers",
}


@dataclass(eq=False)
class Front:
    plan: FrontPlan
    gateway: Gateway
    server: HTTPServer


@dataclass(eq=False)
class Emulator:
    """Everything ``lambgate serve`` runs; :meth:`close` stops all of it."""

    plan: ServePlan
    host: str
    runtimes: dict[str, FunctionRuntime]
    fronts: list[Front] = field(default_factory=list)
    invoke: InvokeServer | None = None
    watcher: CodeWatcher | None = None

    def url(self, front: Front) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{front.server.port}"

    def front(self, name: str) -> Front:
        """The front serving the API (logical id) or the function URL (``Fn URL``) ``name``."""
        for front in self.fronts:
            if front.plan.name == name or front.plan.function == name:
                return front
        raise KeyError(name)

    @property
    def pids(self) -> set[int]:
        """Worker processes alive now, across every function."""
        return {pid for runtime in self.runtimes.values() for pid in runtime.pids}

    async def recycle_all(self) -> None:
        """Retire every execution environment: the next request cold-starts on current code.

        The hook for ``--reload``: idle workers end now, busy ones after their answer.
        """
        await asyncio.gather(*(runtime.recycle() for runtime in self.runtimes.values()))

    def banner(self) -> str:
        lines = [f"lambgate serving {self.plan.origin} (Ctrl-C to stop)"]
        for front in self.fronts:
            plan = front.plan
            if plan.api is not None:
                api = front.gateway.resolver
                assert isinstance(api, ApiRoutes)
                lines.append(
                    f"  {plan.name} ({_KIND_NAMES[plan.kind]}, stage {api.stage}) {self.url(front)}"
                )
                width = max(len(_route_text(r.method, r.path)) for r in plan.routes)
                for route in plan.routes:
                    text = _route_text(route.method, route.path)
                    lines.append(f"    {text:<{width}}  -> {route.function}")
            else:
                lines.append(
                    f"  {plan.function} ({_KIND_NAMES[plan.kind]}) {self.url(front)}  (any path)"
                )
        if self.invoke is not None:
            names = ", ".join(self.runtimes)
            lines.append(
                f"  Invoke API http://{self.host}:{self.invoke.port} (boto3 endpoint_url): {names}"
            )
        if self.watcher is not None:
            watched = ", ".join(str(path) for path in self.watcher.watched)
            lines.append(f"  --reload: watching {watched}")
        lines += banner_lines(
            self.plan.functions, {name: rt.options for name, rt in self.runtimes.items()}
        )
        warning = warn_if_exposed(self.host)
        lines += [f"  warning: {text}" for text in (*self.plan.warnings, warning) if text]
        return "\n".join(lines)

    async def close(self) -> None:
        """Stop accepting, let requests in flight finish briefly, then end every worker."""
        if self.watcher is not None:
            await self.watcher.close()
        await asyncio.gather(
            *(front.server.close(grace=STOP_GRACE_SECONDS) for front in self.fronts)
        )
        await asyncio.gather(*(front.gateway.close() for front in self.fronts))
        if self.invoke is not None:
            await self.invoke.close()
        await asyncio.gather(*(runtime.close() for runtime in self.runtimes.values()))


def _route_text(method: str, path: str) -> str:
    return path if path == DEFAULT_ROUTE_PATH else f"{method} {path}"


def make_plan(options: ServeOptions) -> ServePlan:
    return plan_app(options) if options.app else plan_template(options)


def plan_workers(options: ServeOptions, plan: ServePlan) -> dict[str, WorkerOptions]:
    return worker_options(
        plan.functions,
        isolated=options.isolated,
        manifest=options.manifest,
        debug_port=options.debug_port,
        debug_function=options.debug_function,
    )


async def start_emulator(
    options: ServeOptions, *, log: AccessLog | None = None, plan: ServePlan | None = None
) -> Emulator:
    """Start every front, the Invoke API and (lazily) the functions of ``options``."""
    log = log or AccessLog(sys.stderr)
    plan = plan or make_plan(options)

    def sink_for(name: str) -> Callable[[str], None]:
        return lambda line: log.function_line(name, line)

    command = WORKER_COMMAND if options.reload else None
    workers = plan_workers(options, plan)
    runtimes = {
        name: FunctionRuntime(config, command=command, log=sink_for(name), options=workers[name])
        for name, config in plan.functions.items()
    }
    emulator = Emulator(plan=plan, host=options.host, runtimes=runtimes)
    try:
        for front_plan in plan.fronts:
            resolver: DestinationResolver
            if front_plan.api is not None:
                resolver = ApiRoutes(front_plan.api, front_plan.routes, stage=options.stage)
            else:
                assert front_plan.function is not None
                resolver = SingleFunction(front_plan.function, front_plan.kind)
            gateway = Gateway(resolver, runtimes, log, name=front_plan.name)
            server = await start_server(gateway.handle, host=options.host, port=front_plan.port)
            emulator.fronts.append(Front(front_plan, gateway, server))
        emulator.invoke = await start_invoke_api(
            runtimes, host=options.host, port=options.lambda_port
        )
        if options.reload:
            emulator.watcher = CodeWatcher(runtimes, log)
            await emulator.watcher.start()
    except BaseException:
        await emulator.close()
        raise
    return emulator


async def serve(options: ServeOptions, *, log: AccessLog | None = None) -> None:
    """Run until SIGINT (Ctrl-C) or SIGTERM, then stop cleanly: no worker outlives us."""
    log = log or AccessLog(sys.stderr)
    emulator = await start_emulator(options, log=log)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        log.write(emulator.banner())
        await stop.wait()
        log.write("lambgate: stopping")
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await emulator.close()


# -- command line --------------------------------------------------------------------------


def read_env_vars(path: str | None) -> dict[str, object] | None:
    """``--env-vars FILE``: SAM's JSON, ``{"Parameters": {...}, "FnLogicalId": {...}}``."""
    if path is None:
        return None
    with open(path, encoding="utf-8") as file:
        document = json.load(file)
    if not isinstance(document, dict):
        raise TemplateError("--env-vars", f"{path} must hold a JSON object")
    return document


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags ``serve`` and ``invoke`` share: where the functions come from."""
    parser.add_argument(
        "app",
        nargs="?",
        metavar="APP",
        help="module:attr of a WSGI app, an ASGI app or a Lambda handler (instead of a template)",
    )
    parser.add_argument(
        "--template",
        "-t",
        type=Path,
        default=Path("template.yaml"),
        help="SAM template (default: template.yaml)",
    )
    parser.add_argument(
        "--app-dir",
        type=Path,
        default=None,
        help="where APP's modules are imported from (default: the current folder)",
    )
    parser.add_argument(
        "--interface",
        choices=("auto", "wsgi", "asgi", "handler"),
        default="auto",
        help="what APP is (default: auto, from its signature)",
    )
    parser.add_argument("--env-vars", metavar="FILE", help="SAM-style JSON of environment values")
    parser.add_argument(
        "--parameter-overrides",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="template parameter values",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common_arguments(parser)
    add_worker_arguments(parser, debug_function=True)
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="http",
        help="the AWS front APP is served behind (default: http, an HTTP API payload 2.0)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=3000, help="first API's port (default 3000)")
    parser.add_argument(
        "--lambda-port", type=int, default=3001, help="Invoke API port (default 3001)"
    )
    parser.add_argument(
        "--url-port",
        type=int,
        default=None,
        help="first function URL's port (default: --port + 100)",
    )
    parser.add_argument("--stage", default=None, help="stage name the events carry")
    parser.add_argument(
        "--reload",
        action="store_true",
        help="restart a function's environments when a file under its CodeUri changes",
    )


def options_from_args(args: argparse.Namespace) -> ServeOptions:
    overrides = parse_parameter_overrides(list(args.parameter_overrides))
    return ServeOptions(
        app=args.app,
        template=args.template,
        format=getattr(args, "format", None) or "http",
        interface=args.interface,
        app_dir=args.app_dir,
        host=getattr(args, "host", "127.0.0.1"),
        port=getattr(args, "port", 3000),
        lambda_port=getattr(args, "lambda_port", 3001),
        url_port=getattr(args, "url_port", None),
        env_vars=read_env_vars(args.env_vars),
        parameter_overrides=overrides,
        stage=getattr(args, "stage", None),
        reload=getattr(args, "reload", False),
        isolated=args.isolated,
        manifest=args.manifest,
        debug_port=args.debug_port,
        debug_function=getattr(args, "debug_function", None),
    )


def run(args: argparse.Namespace) -> int:
    log = AccessLog(sys.stderr)
    try:
        options = options_from_args(args)
        asyncio.run(serve(options, log=log))
    except (TemplateError, ConfigurationError, OSError) as error:
        log.write(f"lambgate serve: {error}")
        return 2 if not isinstance(error, OSError) else 1
    return 0
