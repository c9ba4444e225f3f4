"""``lambgate serve``: a template's (or an APP's) functions behind their AWS fronts, locally.

:func:`start_emulator` turns a :class:`~.plan.ServePlan` into running parts: one
:class:`~lambgate.local.lambda_service.function_pool.FunctionRuntime` per function (its
execution environments start on the first request, as Lambda's do), one HTTP front per port
(the APIs sharing ``--port``, an API with a port of its own, a function URL) with a
:class:`~lambgate.local.gateway.gateway.Gateway` behind it, and the Invoke API on
``--lambda-port`` (``sam local start-lambda``), each bound as :mod:`.ports` says.
:func:`serve` runs that until SIGINT or SIGTERM, then stops every front and every worker.
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
from lambgate.local.gateway.shared_port import DEFAULT_STAGE
from lambgate.local.lambda_service.function_pool import FunctionRuntime
from lambgate.local.lambda_service.invoke_api import InvokeServer, start_invoke_api
from lambgate.local.template.parameters import parse_parameter_overrides
from lambgate.local.template.specs import DEFAULT_ROUTE_PATH, TemplateError

from .plan import (
    FORMATS,
    FrontPlan,
    ServeOptions,
    ServePlan,
    lambda_port,
    plan_app,
    plan_template,
)
from .ports import DEFAULT_LAMBDA_PORT, DEFAULT_PORT, listen
from .reload import WORKER_COMMAND, CodeWatcher

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
    #: The default port it did not get because it was taken (:mod:`.ports`).
    moved_from: int | None = None


@dataclass(eq=False)
class Emulator:
    """Everything ``lambgate serve`` runs; :meth:`close` stops all of it."""

    plan: ServePlan
    host: str
    runtimes: dict[str, FunctionRuntime]
    fronts: list[Front] = field(default_factory=list)
    invoke: InvokeServer | None = None
    invoke_moved_from: int | None = None
    watcher: CodeWatcher | None = None

    def url(self, front: Front) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{front.server.port}"

    def front(self, name: str) -> Front:
        """The front serving the API (logical id) or the function URL (``Fn URL``) ``name``."""
        for front in self.fronts:
            if name in front.plan.names or front.plan.function == name:
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
            moved = _moved(front.moved_from)
            if not plan.apis:
                lines.append(
                    f"  {plan.function} ({_KIND_NAMES[plan.kind]}) {self.url(front)}"
                    f"  (any path){moved}"
                )
                continue
            for api in plan.apis:
                staged = (
                    f"  (also under {self.url(front)}/{api.stage_name}, as on AWS)"
                    if api.stage_name != DEFAULT_STAGE
                    else ""
                )
                lines.append(
                    f"  {api.logical_id} ({_KIND_NAMES[api.kind]}, stage {api.stage_name}) "
                    f"{self.url(front)}{staged}{moved}"
                )
                if plan.collision is not None:
                    lines.append(f"    on a port of its own: {plan.collision}")
                routes = [r for r in plan.routes if r.api_logical_id == api.logical_id]
                width = max(len(_route_text(r.method, r.path)) for r in routes)
                for route in routes:
                    text = _route_text(route.method, route.path)
                    lines.append(f"    {text:<{width}}  -> {route.function}")
        if self.invoke is not None:
            names = ", ".join(self.runtimes)
            lines.append(
                f"  Invoke API http://{self.host}:{self.invoke.port} (boto3 endpoint_url): "
                f"{names}{_moved(self.invoke_moved_from)}"
            )
        if self.watcher is not None:
            watched = ", ".join(str(path) for path in self.watcher.watched)
            lines.append(f"  --reload: watching {watched}")
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


def _moved(taken: int | None) -> str:
    return "" if taken is None else f"  (port {taken} was taken)"


def make_plan(options: ServeOptions) -> ServePlan:
    return plan_app(options) if options.app else plan_template(options)


async def start_emulator(
    options: ServeOptions, *, log: AccessLog | None = None, plan: ServePlan | None = None
) -> Emulator:
    """Start every front, the Invoke API and (lazily) the functions of ``options``."""
    log = log or AccessLog(sys.stderr)
    plan = plan or make_plan(options)

    def sink_for(name: str) -> Callable[[str], None]:
        return lambda line: log.function_line(name, line)

    command = WORKER_COMMAND if options.reload else None
    runtimes = {
        name: FunctionRuntime(config, command=command, log=sink_for(name))
        for name, config in plan.functions.items()
    }
    emulator = Emulator(plan=plan, host=options.host, runtimes=runtimes)
    host = options.host
    invoke_port = lambda_port(options)
    taken = {front.port.number for front in plan.fronts} | {invoke_port.number}

    async def start_front(front_plan: FrontPlan) -> Front:
        resolver: DestinationResolver
        if front_plan.apis:
            resolver = ApiRoutes(front_plan.apis, front_plan.routes)
        else:
            assert front_plan.function is not None
            resolver = SingleFunction(front_plan.function, front_plan.kind)
        gateway = Gateway(resolver, runtimes, log, name=", ".join(front_plan.names))

        async def start(port: int) -> HTTPServer:
            return await start_server(gateway.handle, host=host, port=port)

        server, moved_from = await listen(start, front_plan.port, host=host, avoid=taken)
        return Front(front_plan, gateway, server, moved_from)

    async def start_invoke() -> None:
        async def start(port: int) -> InvokeServer:
            return await start_invoke_api(runtimes, host=host, port=port)

        invoke, moved_from = await listen(start, invoke_port, host=host, avoid=taken)
        emulator.invoke, emulator.invoke_moved_from = invoke, moved_from

    try:
        # Ports the user chose first, so that none of lambgate's defaults can take one.
        started: dict[int, Front] = {}
        given = [i for i, front in enumerate(plan.fronts) if front.port.given_by is not None]
        for index in given:
            started[index] = await start_front(plan.fronts[index])
        if invoke_port.given_by is not None:
            await start_invoke()
        for index, front_plan in enumerate(plan.fronts):
            if index not in started:
                started[index] = await start_front(front_plan)
        emulator.fronts = [started[index] for index in range(len(plan.fronts))]
        if emulator.invoke is None:
            await start_invoke()
        if options.reload:
            emulator.watcher = CodeWatcher(runtimes, log)
            await emulator.watcher.start()
    except BaseException:
        emulator.fronts = list(started.values())
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
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="http",
        help="the AWS front APP is served behind (default: http, an HTTP API payload 2.0)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port of the APIs (default {DEFAULT_PORT}); an API whose routes collide with "
        "another's gets the next free one",
    )
    parser.add_argument(
        "--lambda-port",
        type=int,
        default=None,
        help=f"Invoke API port (default {DEFAULT_LAMBDA_PORT}, or a free one if that is taken)",
    )
    parser.add_argument(
        "--url-port",
        type=int,
        default=None,
        help="first function URL's port (default: --port + 100, or a free one if taken)",
    )
    parser.add_argument(
        "--stage",
        default=None,
        help="stage name of every API (default: the template's), in events and leading paths",
    )
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
        port=getattr(args, "port", DEFAULT_PORT),
        lambda_port=getattr(args, "lambda_port", None),
        url_port=getattr(args, "url_port", None),
        env_vars=read_env_vars(args.env_vars),
        parameter_overrides=overrides,
        stage=getattr(args, "stage", None),
        reload=getattr(args, "reload", False),
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
