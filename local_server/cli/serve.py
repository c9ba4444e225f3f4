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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from lambgate.errors import ConfigurationError
from lambgate.events.edge import GENERATED_RESPONSE_LIMITS
from lambgate.local.front.server import HTTPServer, run_async, start_server
from lambgate.local.gateway.access_log import AccessLog
from lambgate.local.gateway.destinations import ApiRoutes, DestinationResolver, SingleFunction
from lambgate.local.gateway.gateway import Gateway
from lambgate.local.gateway.websocket_gateway import Connections, WebSocketGateway
from lambgate.local.inspector.app import InspectorApp, InspectorServer, start_inspector
from lambgate.local.inspector.recorder import Recorder
from lambgate.local.inspector.redaction import Redactor
from lambgate.local.lambda_service.function import InitFailed
from lambgate.local.lambda_service.function_pool import FunctionRuntime
from lambgate.local.lambda_service.invoke_api import InvokeServer, start_invoke_api
from lambgate.local.lambda_service.runtime_variables import with_management_endpoint
from lambgate.local.lambda_service.worker_options import WorkerOptions
from lambgate.local.template.function_variables import check_env_vars
from lambgate.local.template.parameters import parse_parameter_overrides
from lambgate.local.template.specs import TemplateError

from .banner import INSPECTOR, INVOKE_API, banner
from .plan import (
    FORMATS,
    FrontPlan,
    ServeOptions,
    ServePlan,
    WebSocketFrontPlan,
    lambda_port,
    plan_app,
    plan_template,
)
from .ports import (
    DEFAULT_INSPECT_PORT,
    DEFAULT_LAMBDA_PORT,
    DEFAULT_PORT,
    PortWish,
    listen_all,
)
from .reload import WORKER_COMMAND, CodeWatcher
from .reload_filter import ReloadFilter
from .workers import add_worker_arguments, worker_options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from lambgate.local.front.websocket_server import WebSocketServer

__all__ = ["Emulator", "add_arguments", "port_number", "run", "serve", "start_emulator"]

#: How long in-flight requests get to finish when the emulator stops.
STOP_GRACE_SECONDS = 3.0


@dataclass(eq=False)
class Front:
    plan: FrontPlan
    gateway: Gateway
    server: HTTPServer
    #: The default port it did not get because it was taken (:mod:`.ports`).
    moved_from: int | None = None


@dataclass(eq=False)
class WebSocketFront:
    plan: WebSocketFrontPlan
    gateway: WebSocketGateway
    server: WebSocketServer
    moved_from: int | None = None


@dataclass(eq=False)
class Emulator:
    """Everything ``lambgate serve`` runs; :meth:`close` stops all of it."""

    plan: ServePlan
    host: str
    runtimes: dict[str, FunctionRuntime]
    fronts: list[Front] = field(default_factory=list)
    websocket_fronts: list[WebSocketFront] = field(default_factory=list)
    invoke: InvokeServer | None = None
    invoke_moved_from: int | None = None
    watcher: CodeWatcher | None = None
    #: The inspector page and what it shows (``None``: ``--no-inspect``).
    inspector: InspectorServer | None = None
    inspector_moved_from: int | None = None
    recorder: Recorder | None = None
    _hurrying: set[asyncio.Future[None]] = field(default_factory=set)

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
        """What is served where, printed at start-up (:mod:`.banner`)."""
        return banner(self)

    def ports(self) -> dict[str, int]:
        """The port of each front (by its first name) and of the Invoke API."""
        ports = {front.plan.names[0]: front.server.port for front in self.fronts}
        ports |= {ws.plan.api.logical_id: ws.server.port for ws in self.websocket_fronts}
        if self.invoke is not None:
            ports[INVOKE_API] = self.invoke.port
        if self.inspector is not None:
            ports[INSPECTOR] = self.inspector.port
        return ports

    def inspector_url(self) -> str | None:
        if self.inspector is None:
            return None
        host = self.inspector.server.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.inspector.port}/"

    async def close(self) -> None:
        """Stop accepting, let requests in flight finish briefly, then end every worker."""
        if self.watcher is not None:
            await self.watcher.close()
        await asyncio.gather(
            *(front.server.close(grace=STOP_GRACE_SECONDS) for front in self.fronts)
        )
        await asyncio.gather(*(front.gateway.close() for front in self.fronts))
        await asyncio.gather(*(ws.server.close() for ws in self.websocket_fronts))
        if self.invoke is not None:
            await self.invoke.close()
        if self.inspector is not None:
            await self.inspector.close()
        await asyncio.gather(*(runtime.close() for runtime in self.runtimes.values()))
        await asyncio.gather(*self._hurrying, return_exceptions=True)

    def hurry(self) -> None:
        """End the requests still in flight now rather than after their grace (the second
        Ctrl-C): :meth:`close`, under way, then goes on at once."""
        servers = [front.server for front in self.fronts]
        if self.invoke is not None:
            servers.append(self.invoke.server)
        for server in servers:
            # A second close of a closing server aborts its connections; the first returns.
            task = asyncio.ensure_future(server.close(grace=0))
            self._hurrying.add(task)
            task.add_done_callback(self._hurrying.discard)


def make_plan(options: ServeOptions) -> ServePlan:
    plan = plan_app(options) if options.app else plan_template(options)
    if (options.reload_include or options.reload_exclude) and not options.reload:
        # uvicorn warns likewise: the globs only say what --reload watches.
        unused = "--reload-include and --reload-exclude do nothing without --reload"
        plan = replace(plan, warnings=(*plan.warnings, unused))
    return plan


def plan_workers(options: ServeOptions, plan: ServePlan) -> dict[str, WorkerOptions]:
    return worker_options(
        plan.functions,
        isolated=options.isolated,
        manifest=options.manifest,
        debug_port=options.debug_port,
        debug_function=options.debug_function,
    )


async def start_emulator(
    options: ServeOptions,
    *,
    log: AccessLog | None = None,
    plan: ServePlan | None = None,
    ports: Mapping[str, int] | None = None,
    on_config_change: Callable[[Path], None] | None = None,
    eager: bool | None = None,
    recorder: Recorder | None = None,
) -> Emulator:
    """Start every front, the Invoke API and the functions of ``options``: an environment of
    each at once when ``eager`` (default: ``options.starts_eagerly``), else on first use.

    ``ports``: the port each front (by its first name) and the Invoke API had before a
    restart, kept where still free. ``on_config_change``: what ``--reload`` calls when the
    template or the ``--env-vars`` file changes. ``recorder``: the inspector's history, kept
    across a restart.
    """
    log = log or AccessLog(sys.stderr)
    plan = plan or make_plan(options)
    kept = ports or {}

    def sink_for(name: str) -> Callable[[str], None]:
        return lambda line: log.function_line(name, line)

    command = WORKER_COMMAND if options.reload else None
    workers = plan_workers(options, plan)
    runtimes = {
        name: FunctionRuntime(config, command=command, log=sink_for(name), options=workers[name])
        for name, config in plan.functions.items()
    }
    emulator = Emulator(plan=plan, host=options.host, runtimes=runtimes)
    if options.inspect:
        emulator.recorder = recorder or Recorder(options.inspect_history)
    observer = emulator.recorder
    host = options.host
    wishes = [_kept(front.port, kept.get(front.names[0])) for front in plan.fronts]
    wishes += [_kept(ws.port, kept.get(ws.api.logical_id)) for ws in plan.websocket_fronts]
    first_websocket = len(plan.fronts)
    # Where a function's boto3 reaches the @connections API: this host, unless it listens on
    # every interface (then loopback, which the functions, here, can always reach).
    ws_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    ws_host = f"[{ws_host}]" if ":" in ws_host else ws_host
    after_fronts = first_websocket + len(plan.websocket_fronts)
    wishes.append(_kept(lambda_port(options), kept.get(INVOKE_API)))
    if observer is not None:
        wishes.append(_kept(inspect_port(options), kept.get(INSPECTOR)))
    started: dict[int, Front] = {}
    started_websockets: dict[int, WebSocketFront] = {}
    #: Every WebSocket API's connections in one table: a function behind two APIs has one
    #: management endpoint variable, yet reaches the clients of both.
    websocket_connections: Connections = {}

    async def start(index: int, port: int) -> None:
        if first_websocket <= index < after_fronts:
            ws_plan = plan.websocket_fronts[index - first_websocket]
            # Imported here, as the HTTP front imports its parser only when it serves.
            from lambgate.local.front.websocket_server import start_websocket_server

            ws_gateway = WebSocketGateway(
                ws_plan.api,
                runtimes,
                connections=websocket_connections,
                log=log,
                observer=observer,
            )
            ws_server = await start_websocket_server(ws_gateway, host, port)
            started_websockets[index] = WebSocketFront(ws_plan, ws_gateway, ws_server)
            return
        if index == after_fronts:
            emulator.invoke = await start_invoke_api(
                runtimes, host=host, port=port, observer=observer
            )
            return
        if index > after_fronts:
            assert observer is not None
            redactor = Redactor(
                options.inspect_redact,
                variables=[config.variables for config in plan.functions.values()],
            )
            app = InspectorApp(observer, runtimes, redactor)
            emulator.inspector = await start_inspector(app, host=options.inspect_host, port=port)
            return
        front_plan = plan.fronts[index]
        resolver: DestinationResolver
        if front_plan.apis:
            resolver = ApiRoutes(front_plan.apis, front_plan.routes)
        else:
            assert front_plan.function is not None
            resolver = SingleFunction(
                front_plan.function,
                front_plan.kind,
                streaming=front_plan.streaming,
                edge_event_type=front_plan.edge_event_type,
            )
        gateway = Gateway(
            resolver, runtimes, log, name=", ".join(front_plan.names), observer=observer
        )
        server = await start_server(gateway.handle, host=host, port=port)
        started[index] = Front(front_plan, gateway, server)

    try:
        moved = await listen_all(wishes, start, host=host)
        if observer is not None:
            *moved, emulator.inspector_moved_from = moved
        *moved, emulator.invoke_moved_from = moved
        emulator.fronts = [replace(started[i], moved_from=moved[i]) for i in range(first_websocket)]
        emulator.websocket_fronts = [
            replace(started_websockets[i], moved_from=moved[i])
            for i in range(first_websocket, after_fronts)
        ]
        for ws in emulator.websocket_fronts:
            # Before any environment starts: the variable is read when a worker starts.
            endpoint = f"http://{ws_host}:{ws.server.port}/{ws.plan.api.stage_name}"
            for name in {route.function for route in ws.plan.api.routes}:
                runtimes[name].config = with_management_endpoint(runtimes[name].config, endpoint)
        if options.starts_eagerly if eager is None else eager:
            await start_environments(runtimes)
        if options.reload:
            emulator.watcher = CodeWatcher(
                runtimes,
                log,
                code_filter=ReloadFilter.from_globs(
                    options.reload_include,
                    options.reload_exclude,
                    roots=[config.code_uri for config in plan.functions.values()],
                ),
                config_files=config_files(options),
                on_config_change=on_config_change,
            )
            await emulator.watcher.start()
    except BaseException:
        emulator.fronts = emulator.fronts or list(started.values())
        emulator.websocket_fronts = emulator.websocket_fronts or list(started_websockets.values())
        await emulator.close()
        raise
    return emulator


async def start_environments(runtimes: Mapping[str, FunctionRuntime]) -> None:
    """Start one environment of every function at once (``--warm-containers EAGER``); once
    all have finished starting, raise the first :class:`InitFailed`, in template order."""
    started = await asyncio.gather(
        *(runtime.start_environment() for runtime in runtimes.values()), return_exceptions=True
    )
    for outcome in started:
        if isinstance(outcome, BaseException):
            raise outcome


def report_init_failure(
    failure: InitFailed, log: AccessLog, command: str, *, fatal: bool = True
) -> None:
    """The function's init log when its own code raised (it holds the traceback), then one
    line; a handler that is not there is that line alone. Not ``fatal``: a ``--reload``
    restart, which goes on serving."""
    if failure.code_failed:
        for line in failure.log:
            log.function_line(failure.function, line)
    log.write(
        f"lambgate {command}: error: {failure}" if fatal else f"lambgate: --reload: {failure}"
    )


def inspect_port(options: ServeOptions) -> PortWish:
    """The inspector's port: ``--inspect-port``, else a default that moves when taken."""
    if options.inspect_port is None:
        return PortWish(number=DEFAULT_INSPECT_PORT)
    return PortWish(number=options.inspect_port, given_by="--inspect-port")


def _kept(wish: PortWish, port: int | None) -> PortWish:
    return wish if port is None else replace(wish, number=port)


def config_files(options: ServeOptions) -> list[Path]:
    """The files ``--reload`` starts everything again for: the template, ``--env-vars``."""
    files = [] if options.app else [options.template]
    return files + ([options.env_vars_file] if options.env_vars_file else [])


async def serve(options: ServeOptions, *, log: AccessLog | None = None) -> None:
    """Run until SIGINT (Ctrl-C) or SIGTERM, then stop cleanly: no worker outlives us.

    Under ``--reload``, a changed template or ``--env-vars`` file starts everything again
    from them, on the same ports, once they read without error.
    """
    log = log or AccessLog(sys.stderr)
    changed = asyncio.Event()

    def config_changed(_: Path) -> None:
        changed.set()

    emulator = await start_emulator(options, log=log, on_config_change=config_changed)
    stop = asyncio.Event()

    def on_signal() -> None:
        # The first signal stops gracefully; another, while that runs, ends requests in
        # flight at once (as uvicorn's second Ctrl-C does): never a KeyboardInterrupt.
        if stop.is_set():
            log.write("lambgate: stopping now, ending requests in flight")
            emulator.hurry()
        stop.set()

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal)
    try:
        log.write(emulator.banner())
        while not stop.is_set():
            waits = {asyncio.ensure_future(event.wait()) for event in (stop, changed)}
            _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for waiting in pending:
                waiting.cancel()
            if changed.is_set() and not stop.is_set():
                changed.clear()
                emulator = await _start_again(emulator, options, log, config_changed)
        log.write("lambgate: stopping (Ctrl-C again to end requests in flight now)")
    finally:
        stop.set()
        await emulator.close()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def _start_again(
    emulator: Emulator,
    options: ServeOptions,
    log: AccessLog,
    on_config_change: Callable[[Path], None],
) -> Emulator:
    """The emulator of the changed template and ``--env-vars``, or the running one if they
    do not read."""
    try:
        options = replace(options, env_vars=read_env_vars(options.env_vars_file))
        plan = make_plan(options)
    except (TemplateError, ConfigurationError, OSError, ValueError) as error:
        log.write(f"lambgate: --reload: {error}; still serving the previous version")
        return emulator
    ports = emulator.ports()
    await emulator.close()
    try:
        emulator = await start_emulator(
            options,
            log=log,
            plan=plan,
            ports=ports,
            on_config_change=on_config_change,
            recorder=emulator.recorder,
        )
    except InitFailed as failure:
        # The previous version is gone already: serve this one, starting on first use.
        report_init_failure(failure, log, "serve", fatal=False)
        emulator = await start_emulator(
            options,
            log=log,
            plan=plan,
            ports=ports,
            on_config_change=on_config_change,
            eager=False,
            recorder=emulator.recorder,
        )
    log.write(emulator.banner())
    return emulator


# -- command line --------------------------------------------------------------------------


def read_env_vars(path: str | Path | None) -> dict[str, object] | None:
    """``--env-vars FILE``: SAM's JSON, ``{"Parameters": {...}, "FnLogicalId": {...}}``."""
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as file:
            document = json.load(file)
    except OSError as error:
        raise TemplateError("--env-vars", f"cannot read {path}: {error.strerror}") from None
    except ValueError as error:  # JSONDecodeError, or bytes that are not UTF-8
        raise TemplateError("--env-vars", f"{path} is not JSON: {error}") from None
    check_env_vars(document)
    return dict(document)


def port_number(text: str) -> int:
    """A TCP port from the command line: 0 (any free port) to 65535."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= number <= 65_535:
        raise argparse.ArgumentTypeError(f"{number} is not a port (0 to 65535; 0 is any free one)")
    return number


def history_size(text: str) -> int:
    """``--inspect-history``: a whole number of invocations, at least 1."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{number}: keep at least 1 invocation")
    return number


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
        default=None,
        help="the AWS front APP is served behind (default: http, an HTTP API payload 2.0; "
        "with --stream, url)",
    )
    parser.add_argument(
        "--stream",
        action="store_true",
        help="APP streams its responses as behind a function URL in RESPONSE_STREAM mode (or "
        "a REST API in STREAM mode, with --format rest), through lambgate's streaming runtime",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=port_number,
        default=DEFAULT_PORT,
        help=f"port of the APIs (default {DEFAULT_PORT}); an API whose routes collide with "
        "another's gets the next free one",
    )
    parser.add_argument(
        "--lambda-port",
        type=port_number,
        default=None,
        help=f"Invoke API port (default {DEFAULT_LAMBDA_PORT}, or a free one if that is taken)",
    )
    parser.add_argument(
        "--url-port",
        type=port_number,
        default=None,
        help="first function URL's port (default: --port + 100, or a free one if taken)",
    )
    parser.add_argument(
        "--no-inspect",
        dest="inspect",
        action="store_false",
        help="serve no inspector page",
    )
    parser.add_argument(
        "--inspect-port",
        type=port_number,
        default=None,
        help=f"the inspector page's port (default {DEFAULT_INSPECT_PORT}, or a free one if "
        "that is taken)",
    )
    parser.add_argument(
        "--inspect-host",
        default="127.0.0.1",
        help="address the inspector binds (default 127.0.0.1, whatever --host says: the page "
        "shows every request and event)",
    )
    parser.add_argument(
        "--inspect-history",
        type=history_size,
        default=500,
        metavar="N",
        help="how many invocations the inspector keeps (default 500)",
    )
    parser.add_argument(
        "--inspect-redact",
        nargs="+",
        default=[],
        metavar="NAME",
        help="also mask these variables and headers in the inspector (AWS credentials always are)",
    )
    parser.add_argument(
        "--stage",
        default=None,
        help="stage name of every API (default: the template's), in events and leading paths",
    )
    parser.add_argument(
        "--edge-event-type",
        choices=tuple(GENERATED_RESPONSE_LIMITS),
        default=None,
        help="--format edge only: the CloudFront trigger APP is behind (default viewer-request; "
        "origin-request allows a 1 MB generated response)",
    )
    parser.add_argument(
        "--reload",
        action="store_true",
        help="restart a function's environments when its code changes (*.py under its "
        "CodeUri), and everything when the template or --env-vars file does",
    )
    parser.add_argument(
        "--reload-include",
        action="append",
        default=[],
        metavar="GLOB",
        help="also reload for files matching GLOB, as uvicorn's (repeatable; e.g. '*.html')",
    )
    parser.add_argument(
        "--reload-exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="never reload for files (or a folder) matching GLOB, as uvicorn's (repeatable); "
        "excluded already: .*, .py[cod], .sw.*, ~*, __pycache__, virtualenvs, .aws-sam",
    )
    parser.add_argument(
        "--warm-containers",
        choices=("EAGER", "LAZY"),
        default="LAZY",
        help="EAGER: start every function's environment at start-up; LAZY (default): at its "
        "first invocation (an APP is always imported at start-up)",
    )


def options_from_args(args: argparse.Namespace) -> ServeOptions:
    overrides = parse_parameter_overrides(list(args.parameter_overrides))
    stream = getattr(args, "stream", False)
    return ServeOptions(
        app=args.app,
        template=args.template,
        format=getattr(args, "format", None) or ("url" if stream else "http"),
        stream=stream,
        interface=args.interface,
        app_dir=args.app_dir,
        host=getattr(args, "host", "127.0.0.1"),
        port=getattr(args, "port", DEFAULT_PORT),
        lambda_port=getattr(args, "lambda_port", None),
        url_port=getattr(args, "url_port", None),
        env_vars=read_env_vars(args.env_vars),
        env_vars_file=Path(args.env_vars) if args.env_vars else None,
        parameter_overrides=overrides,
        stage=getattr(args, "stage", None),
        edge_event_type=getattr(args, "edge_event_type", None),
        reload=getattr(args, "reload", False),
        reload_include=tuple(getattr(args, "reload_include", ())),
        reload_exclude=tuple(getattr(args, "reload_exclude", ())),
        warm_containers=getattr(args, "warm_containers", "LAZY"),
        isolated=args.isolated,
        manifest=args.manifest,
        debug_port=args.debug_port,
        debug_function=getattr(args, "debug_function", None),
        inspect=getattr(args, "inspect", True),
        inspect_port=getattr(args, "inspect_port", None),
        inspect_host=getattr(args, "inspect_host", "127.0.0.1"),
        inspect_history=getattr(args, "inspect_history", 500),
        inspect_redact=tuple(getattr(args, "inspect_redact", ())),
    )


def run(args: argparse.Namespace) -> int:
    log = AccessLog(sys.stderr)
    try:
        options = options_from_args(args)
        run_async(serve(options, log=log))
    except (TemplateError, ConfigurationError) as error:
        log.write(f"lambgate serve: error: {error}")
        return 2
    except OSError as error:
        log.write(f"lambgate serve: error: {error}")
        return 1
    except InitFailed as failure:
        report_init_failure(failure, log, "serve")
        return 1
    except KeyboardInterrupt:
        # Ctrl-C before the emulator was up: what had started is stopped, nothing to say.
        return 130
    return 0
