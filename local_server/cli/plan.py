"""What ``lambgate serve`` will run, decided before anything starts: functions and fronts.

Pure: a template (or an ``APP``) and the options in, a :class:`ServePlan` out, so the port
layout and the functions' settings are tested without a socket. :mod:`.serve` starts it.

Port layout. As ``sam local start-api`` does, every API of a template is served on ``--port``,
at the root and (as on AWS) under its stage; but an API with a route that would take a request
an API already there takes (:func:`~lambgate.local.gateway.shared_port.first_collision`) gets a
port of its own, the next numbers after ``--port`` (``--lambda-port`` skipped), and the banner
says which request. APIs join the shared port in template order, those with a ``$default``
route last: ``sam local`` mounts ``$default`` behind every other route, so what it serves on
that port is what lambgate serves there. Function URLs follow from ``--url-port`` (default
``--port`` + 100). Port 0 gives every front a free port of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from lambgate.local.gateway.answers import FrontKind
from lambgate.local.gateway.shared_port import (
    DEFAULT_STAGE,
    Collision,
    first_collision,
    stage_routes,
)
from lambgate.local.lambda_service.exec_wrapper import (
    EXEC_WRAPPER_VARIABLE,
    LAMBGATE_WRAPPER,
    TASK_ROOT,
    WrapperError,
    resolve_wrapper,
)
from lambgate.local.lambda_service.function import DEFAULT_REGION, FunctionConfig
from lambgate.local.template.api_events import MAX_INTEGRATION_TIMEOUT_MS
from lambgate.local.template.function_variables import (
    env_var_overrides,
    env_vars_for_unknown_functions,
)
from lambgate.local.template.layers import layer_paths, layer_requirements
from lambgate.local.template.loader import load_template
from lambgate.local.template.resources import IMPLICIT_HTTP_API, IMPLICIT_REST_API
from lambgate.local.template.specs import (
    DEFAULT_ROUTE_PATH,
    ApiSpec,
    FunctionSpec,
    RouteSpec,
    Template,
    TemplateError,
    WebSocketApiSpec,
)

from .ports import DEFAULT_LAMBDA_PORT, DEFAULT_PORT, PortWish

__all__ = [
    "APP_FUNCTION",
    "FORMATS",
    "FrontPlan",
    "ServeOptions",
    "ServePlan",
    "WebSocketFrontPlan",
    "app_function_config",
    "function_config",
    "lambda_port",
    "plan_app",
    "plan_template",
]

#: ``--format`` values: the event source an ``APP`` is served as.
FORMATS: tuple[str, ...] = (
    "rest",
    "http",
    "http-v1",
    "alb",
    "alb-multi",
    "url",
    "edge",
    "lattice",
    "lattice-v2",
)
#: The logical id of the one function ``lambgate serve APP`` runs (the Invoke API's name).
APP_FUNCTION = "App"
#: Lambda's timeout for an ``APP`` function: API Gateway's limit, so the gateway's own
#: integration timeout is what a slow request meets first, as when deployed with lambgate.
APP_TIMEOUT_S = 30
APP_MEMORY_MB = 512
#: Formats served with no API in front: the function is the whole front.
_FUNCTION_FRONTS: dict[str, FrontKind] = {
    "url": "url",
    "alb": "alb",
    "alb-multi": "alb-multi",
    "edge": "edge",
    "lattice": "lattice",
    "lattice-v2": "lattice-v2",
}
#: The formats whose front can read a streamed response (``--stream``).
STREAMING_FORMATS = ("url", "rest")
#: Where a function URL's port is counted from when ``--url-port`` is not given.
URL_PORT_OFFSET = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeOptions:
    """``lambgate serve``'s flags, one field each."""

    app: str | None = None
    template: Path = Path("template.yaml")
    format: str = "http"
    #: ``--stream``: ``APP`` runs behind lambgate's streaming wrapper and its front streams.
    stream: bool = False
    interface: Literal["auto", "wsgi", "asgi", "handler"] = "auto"
    #: Where ``APP``'s modules are imported from (its ``CodeUri``); default: the cwd.
    app_dir: Path | None = None
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    #: ``None``: :data:`~.ports.DEFAULT_LAMBDA_PORT`, or a free port when that is taken.
    lambda_port: int | None = None
    #: ``None``: ``port`` + :data:`URL_PORT_OFFSET`, or free ports when those are taken.
    url_port: int | None = None
    env_vars: Mapping[str, object] | None = None
    #: The developer's environment (default ``os.environ``): all of it reaches an ``APP``;
    #: a template's functions get the variables they declare (SAM's rule).
    shell_env: Mapping[str, str] | None = None
    parameter_overrides: Mapping[str, str] = field(default_factory=dict)
    stage: str | None = None
    #: ``--edge-event-type``: the CloudFront trigger an ``edge`` APP is behind (default
    #: ``viewer-request``).
    edge_event_type: str | None = None
    #: Where ``env_vars`` came from: ``--reload`` reads it again when it changes.
    env_vars_file: Path | None = None
    #: ``--reload``: recycle a function's environments when its code changes (:mod:`.reload`).
    reload: bool = False
    #: ``--reload-include`` and ``--reload-exclude`` globs (:mod:`.reload_filter`).
    reload_include: tuple[str, ...] = ()
    reload_exclude: tuple[str, ...] = ()
    #: ``--warm-containers``, SAM's option: ``EAGER`` starts each function's environment (and
    #: imports its handler) at start-up, ``LAZY`` on its first invocation; either is reused.
    warm_containers: Literal["EAGER", "LAZY"] = "LAZY"

    @property
    def starts_eagerly(self) -> bool:
        """Whether environments start before the banner: ``EAGER``, and always for an
        ``APP``, so that an app that cannot be imported stops the server, as uvicorn does."""
        return self.app is not None or self.warm_containers == "EAGER"

    #: How the functions' workers run (:mod:`.workers`): ``--isolated``, ``--manifest``,
    #: ``--debug-port`` and ``--debug-function``.
    isolated: bool = False
    manifest: Path | None = None
    debug_port: int | None = None
    debug_function: str | None = None

    #: The inspector page (:mod:`lambgate.local.inspector`): ``--no-inspect`` turns it off;
    #: ``--inspect-port`` (``None``: :data:`.ports.DEFAULT_INSPECT_PORT`, moved when taken),
    #: ``--inspect-host`` (loopback whatever ``--host`` says), ``--inspect-history``,
    #: ``--inspect-redact``.
    inspect: bool = True
    inspect_port: int | None = None
    inspect_host: str = "127.0.0.1"
    inspect_history: int = 500
    inspect_redact: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class FrontPlan:
    """One listening port and what it serves."""

    kind: FrontKind
    port: PortWish
    #: Set for an API front: the APIs on this port (several share ``--port``), their routes.
    apis: tuple[ApiSpec, ...] = ()
    routes: tuple[RouteSpec, ...] = ()
    #: Set for a function URL or an ALB target.
    function: str | None = None
    #: Why an API has a port of its own: a request it and an API on ``--port`` would both take.
    collision: Collision | None = None
    #: A function URL in ``RESPONSE_STREAM`` mode: its responses stream.
    streaming: bool = False
    #: For an ``edge`` front: the CloudFront trigger (``viewer-request`` or ``origin-request``).
    edge_event_type: str = "viewer-request"

    @property
    def names(self) -> tuple[str, ...]:
        """The logical ids of its APIs, or its function URL's (ALB target's) name."""
        if self.apis:
            return tuple(api.logical_id for api in self.apis)
        return (f"{self.function} URL" if self.kind == "url" else f"{self.function} ALB",)


@dataclass(frozen=True, slots=True, kw_only=True)
class WebSocketFrontPlan:
    """A WebSocket API on a port of its own (its own domain on AWS): ``ws://HOST:PORT/stage``."""

    api: WebSocketApiSpec
    port: PortWish


@dataclass(frozen=True, slots=True, kw_only=True)
class ServePlan:
    functions: dict[str, FunctionConfig]
    fronts: tuple[FrontPlan, ...]
    #: After the APIs' ports, one each.
    websocket_fronts: tuple[WebSocketFrontPlan, ...] = ()
    #: Shown under the banner: what the template skipped, and what is not emulated.
    warnings: tuple[str, ...] = ()
    #: Where it came from, for the banner: the template's path or ``APP``.
    origin: str = ""


def function_config(spec: FunctionSpec) -> FunctionConfig:
    """The execution environment settings of a template function; a wrapper script it names
    that is not there is a :class:`TemplateError`, before any environment starts."""
    config = FunctionConfig(
        name=spec.logical_id,
        code_uri=spec.code_uri,
        handler=spec.handler,
        runtime=spec.runtime,
        timeout=float(spec.timeout),
        memory_size=spec.memory_size,
        variables=dict(spec.variables),
        region=spec.region,
        build_method=spec.build_method,
        # Lambda merges layers into /opt in the order listed, a later one's files over an
        # earlier one's (https://docs.aws.amazon.com/lambda/latest/dg/adding-layers.html):
        # here the later comes first on the path.
        layer_paths=tuple(
            path for layer in reversed(spec.layers) for path in layer_paths(layer, spec.runtime)
        ),
        layer_requirements=tuple(
            manifest for layer in spec.layers if (manifest := layer_requirements(layer))
        ),
    )
    try:
        resolve_wrapper(config)
    except WrapperError as error:
        location = f"Resources.{spec.logical_id}.Properties.Environment.Variables"
        raise TemplateError(f"{location}.{EXEC_WRAPPER_VARIABLE}", str(error)) from None
    return config


def app_function_config(
    app: str,
    *,
    source: str | None,
    interface: str = "auto",
    app_dir: Path | None = None,
    env_vars: Mapping[str, object] | None = None,
    shell_env: Mapping[str, str] | None = None,
    stream: bool = False,
) -> FunctionConfig:
    """The one function serving ``APP``:
    :mod:`lambgate.local.lambda_service.worker.app_handler` in the worker imports it, with
    ``app_dir`` as ``CodeUri``.

    Its environment is what a uvicorn user's app sees: the shell's variables (``shell_env``,
    default ``os.environ``, the region included), then ``--env-vars``'s ``Parameters`` block
    and the block named :data:`APP_FUNCTION`; Lambda's reserved variables still win
    (:mod:`lambgate.local.lambda_service.runtime_variables`).
    """
    module, sep, attr = app.partition(":")
    if not sep or not module or not attr:
        raise TemplateError("APP", f"an app is given as module:attr, got {app!r}")
    shell = os.environ if shell_env is None else shell_env
    variables = {
        **shell,
        **env_var_overrides(APP_FUNCTION, env_vars or {}),
        "LAMBGATE_APP": app,
        "LAMBGATE_INTERFACE": interface,
    }
    if source is not None:
        variables["LAMBGATE_SOURCE"] = source
    if stream:
        # The one setting a deployed function needs (README, "Response streaming on AWS").
        variables[EXEC_WRAPPER_VARIABLE] = str(TASK_ROOT / LAMBGATE_WRAPPER)
    return FunctionConfig(
        name=APP_FUNCTION,
        code_uri=(app_dir or Path.cwd()).resolve(),
        handler="lambgate.local.lambda_service.worker.app_handler.handler",
        timeout=float(APP_TIMEOUT_S),
        memory_size=APP_MEMORY_MB,
        variables=variables,
        # botocore reads AWS_DEFAULT_REGION; the AWS CLI v2 and the SDKs also read AWS_REGION.
        region=shell.get("AWS_REGION") or shell.get("AWS_DEFAULT_REGION") or DEFAULT_REGION,
    )


def _ports(options: ServeOptions) -> tuple[Iterator[PortWish], Iterator[PortWish]]:
    """Ports for APIs (the first is the shared one) and for function URLs, in order."""
    if options.port == 0:
        zero = PortWish(number=0, given_by="--port")
        return iter([zero] * 64), iter([zero] * 64)
    lambda_port = DEFAULT_LAMBDA_PORT if options.lambda_port is None else options.lambda_port
    apis = (p for p in range(options.port + 1, options.port + 64) if p != lambda_port)
    api_ports = [
        PortWish(number=options.port, given_by="--port"),
        *(PortWish(number=p) for p in apis),
    ]
    if options.url_port is None:
        first_url = PortWish(number=options.port + URL_PORT_OFFSET)
    else:
        first_url = PortWish(number=options.url_port, given_by="--url-port")
    more = (p for p in range(first_url.number + 1, first_url.number + 64) if p != lambda_port)
    url_ports = [first_url, *(PortWish(number=p) for p in more)]
    return iter(api_ports), iter(url_ports)


def lambda_port(options: ServeOptions) -> PortWish:
    """The Invoke API's port."""
    if options.lambda_port is None:
        return PortWish(number=DEFAULT_LAMBDA_PORT)
    return PortWish(number=options.lambda_port, given_by="--lambda-port")


#: An API and its routes.
_Served = tuple[ApiSpec, tuple[RouteSpec, ...]]


def _served_apis(template: Template, stage: str | None) -> list[_Served]:
    """The APIs with routes, each with ``--stage`` applied, in template order."""
    served = []
    for api in template.apis.values():
        routes = tuple(r for r in template.routes if r.api_logical_id == api.logical_id)
        if routes:
            served.append((replace(api, stage_name=stage) if stage else api, routes))
    return served


def _share_port(apis: Sequence[_Served]) -> tuple[list[ApiSpec], list[tuple[ApiSpec, Collision]]]:
    """The APIs that share ``--port`` (template order), and each other with what keeps it out."""
    shared: list[_Served] = []
    alone: list[tuple[ApiSpec, Collision]] = []
    # sam local mounts $default behind every other route (sorted() keeps template order).
    in_order = sorted(apis, key=lambda pair: any(r.path == DEFAULT_ROUTE_PATH for r in pair[1]))
    for api, routes in in_order:
        collisions = (
            first_collision(routes, api.stage_name, other_routes, other.stage_name)
            for other, other_routes in shared
        )
        collision = next((found for found in collisions if found is not None), None)
        if collision is None:
            shared.append((api, routes))
        else:
            alone.append((api, collision))
    on_port = {api.logical_id for api, _ in shared}
    return [api for api, _ in apis if api.logical_id in on_port], alone


def plan_template(options: ServeOptions) -> ServePlan:
    """Read the template and lay out its APIs and function URLs on ports."""
    if options.stream:
        raise TemplateError(
            "--stream",
            "is for APP; a template's function URL streams with FunctionUrlConfig.InvokeMode "
            "RESPONSE_STREAM, an Api event with ResponseTransferMode RESPONSE_STREAM",
        )
    if options.edge_event_type is not None:
        raise TemplateError("--edge-event-type", "is for serving an APP with --format edge")
    template: Template = load_template(
        options.template,
        parameter_overrides=options.parameter_overrides,
        env_vars=options.env_vars,
        shell_env=options.shell_env,
    )
    functions = {name: function_config(spec) for name, spec in template.functions.items()}
    api_ports, url_ports = _ports(options)
    served = _served_apis(template, options.stage)
    routes_of = {api.logical_id: routes for api, routes in served}
    shared, alone = _share_port(served)
    fronts: list[FrontPlan] = []
    if shared:
        routes = tuple(r for api in shared for r in routes_of[api.logical_id])
        fronts.append(
            FrontPlan(kind=shared[0].kind, port=next(api_ports), apis=tuple(shared), routes=routes)
        )
    for api, collision in alone:
        fronts.append(
            FrontPlan(
                kind=api.kind,
                port=next(api_ports),
                apis=(api,),
                routes=routes_of[api.logical_id],
                collision=collision,
            )
        )
    websocket_fronts = tuple(
        WebSocketFrontPlan(api=api, port=next(api_ports))
        for api in template.websocket_apis.values()
    )
    warnings = list(template.warnings)
    for api, routes in served:
        for route in stage_routes(routes, api.stage_name):
            rest = route.path[len(api.stage_name) + 1 :] or "/"
            warnings.append(
                f"{api.logical_id}: route {route.path} begins with the stage name; it is at "
                f"/{api.stage_name}{route.path} as on AWS, and at {route.path} only while no "
                f"route takes {rest}"
            )
    # Not emulated yet: saying so beats a browser app that works deployed and fails here.
    not_applied = (
        "is not applied locally: no answer to preflight OPTIONS requests and no "
        "Access-Control-* headers on responses"
    )
    for api, _ in served:
        if api.cors is not None:
            name = "Cors" if api.kind == "rest" else "CorsConfiguration"
            warnings.append(f"{api.logical_id}: {name} {not_applied}")
    urls = [spec for spec in template.functions.values() if spec.function_url is not None]
    for spec in urls:
        assert spec.function_url is not None
        fronts.append(
            FrontPlan(
                kind="url",
                port=next(url_ports),
                function=spec.logical_id,
                streaming=spec.function_url.invoke_mode == "RESPONSE_STREAM",
            )
        )
        if spec.function_url.cors is not None:
            warnings.append(f"{spec.logical_id}: FunctionUrlConfig.Cors {not_applied}")
        if spec.function_url.auth_type == "AWS_IAM":
            warnings.append(
                f"{spec.logical_id}: the function URL's AuthType AWS_IAM is not checked locally"
            )
    if not fronts and not websocket_fronts:
        warnings.append(
            "no Api, HttpApi, WebSocketApi or FunctionUrlConfig in the template: Invoke API only"
        )
    return ServePlan(
        functions=functions,
        fronts=tuple(fronts),
        websocket_fronts=websocket_fronts,
        warnings=tuple(warnings),
        origin=str(options.template),
    )


def plan_app(options: ServeOptions) -> ServePlan:
    """``APP`` as one function behind one catch-all route of ``--format``."""
    assert options.app is not None
    kind = options.format
    if kind not in FORMATS:
        raise TemplateError("--format", f"expected one of {', '.join(FORMATS)}, got {kind!r}")
    if options.stream and kind not in STREAMING_FORMATS:
        raise TemplateError(
            "--stream",
            f"the {kind} format cannot stream (AWS buffers it); use --format url or --format rest",
        )
    if options.edge_event_type is not None and kind != "edge":
        raise TemplateError("--edge-event-type", f"is for --format edge, not --format {kind}")
    config = app_function_config(
        options.app,
        source=kind,
        interface=options.interface,
        app_dir=options.app_dir,
        env_vars=options.env_vars,
        shell_env=options.shell_env,
        stream=options.stream,
    )
    front: FrontPlan
    port = PortWish(number=options.port, given_by="--port")
    if kind == "rest":
        # A REST proxy resource does not catch the root: SAM apps declare both, as here.
        api = ApiSpec(
            logical_id=IMPLICIT_REST_API,
            kind="rest",
            stage_name=options.stage or "Prod",
            implicit=True,
        )
        routes = tuple(
            replace(_route(api, path), streaming=options.stream) for path in ("/", "/{proxy+}")
        )
        front = FrontPlan(kind="rest", port=port, apis=(api,), routes=routes)
    elif kind in ("http", "http-v1"):
        version = "2.0" if kind == "http" else "1.0"
        api = ApiSpec(
            logical_id=IMPLICIT_HTTP_API,
            kind="http",
            stage_name=options.stage or DEFAULT_STAGE,
            payload_format_version=version,
            implicit=True,
        )
        front = FrontPlan(
            kind="http", port=port, apis=(api,), routes=(_route(api, DEFAULT_ROUTE_PATH),)
        )
    else:
        front = FrontPlan(
            kind=_FUNCTION_FRONTS[kind],
            port=port,
            function=APP_FUNCTION,
            streaming=options.stream,
            edge_event_type=options.edge_event_type or "viewer-request",
        )
    warnings = env_vars_for_unknown_functions(
        options.env_vars or {}, [APP_FUNCTION], owner=f"APP (its function is {APP_FUNCTION})"
    )
    return ServePlan(
        functions={APP_FUNCTION: config},
        fronts=(front,),
        warnings=tuple(warnings),
        origin=options.app,
    )


def _route(api: ApiSpec, path: str) -> RouteSpec:
    return RouteSpec(
        api_logical_id=api.logical_id,
        kind=api.kind,
        method="ANY",
        path=path,
        function=APP_FUNCTION,
        payload_format_version=api.payload_format_version,
        integration_timeout_ms=MAX_INTEGRATION_TIMEOUT_MS[api.kind],
    )
