"""What ``lambgate serve`` will run, decided before anything starts: functions and fronts.

Pure: a template (or an ``APP``) and the options in, a :class:`ServePlan` out, so the port
layout and the functions' settings are tested without a socket. :mod:`.serve` starts it.

Port layout. ``sam local start-api`` serves every API of a template at the root of one port,
where one API's catch-all (``/{proxy+}``, ``$default``) hides every other API. Here each API
gets its own port, still serving its routes at the root: the first API ``--port``, the next
ones the following free numbers (``--lambda-port`` skipped). Function URLs follow from
``--url-port`` (default ``--port`` + 100). Port 0 gives every front a free port of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from lambgate.local.gateway.answers import FrontKind
from lambgate.local.lambda_service.function import FunctionConfig
from lambgate.local.template.api_events import MAX_INTEGRATION_TIMEOUT_MS
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
)

__all__ = [
    "APP_FUNCTION",
    "FORMATS",
    "FrontPlan",
    "ServeOptions",
    "ServePlan",
    "app_function_config",
    "function_config",
    "plan_app",
    "plan_template",
]

#: ``--format`` values: the event source an ``APP`` is served as.
FORMATS: tuple[str, ...] = ("rest", "http", "http-v1", "alb", "alb-multi", "url")
#: The logical id of the one function ``lambgate serve APP`` runs (the Invoke API's name).
APP_FUNCTION = "App"
#: Lambda's timeout for an ``APP`` function: API Gateway's limit, so the gateway's own
#: integration timeout is what a slow request meets first, as when deployed with lambgate.
APP_TIMEOUT_S = 30
APP_MEMORY_MB = 512
#: Formats served with no API in front: the function is the whole front.
_FUNCTION_FRONTS: dict[str, FrontKind] = {"url": "url", "alb": "alb", "alb-multi": "alb-multi"}
#: Where a function URL's port is counted from when ``--url-port`` is not given.
URL_PORT_OFFSET = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeOptions:
    """``lambgate serve``'s flags, one field each."""

    app: str | None = None
    template: Path = Path("template.yaml")
    format: str = "http"
    interface: Literal["auto", "wsgi", "asgi", "handler"] = "auto"
    #: Where ``APP``'s modules are imported from (its ``CodeUri``); default: the cwd.
    app_dir: Path | None = None
    host: str = "127.0.0.1"
    port: int = 3000
    lambda_port: int = 3001
    url_port: int | None = None
    env_vars: Mapping[str, object] | None = None
    parameter_overrides: Mapping[str, str] = field(default_factory=dict)
    stage: str | None = None
    #: ``--reload``: recycle a function's environments when its code changes (:mod:`.reload`).
    reload: bool = False
    #: How the functions' workers run (:mod:`.workers`): ``--isolated``, ``--manifest``,
    #: ``--debug-port`` and ``--debug-function``.
    isolated: bool = False
    manifest: Path | None = None
    debug_port: int | None = None
    debug_function: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FrontPlan:
    """One listening port and what it serves."""

    kind: FrontKind
    port: int
    #: Set for an API front.
    api: ApiSpec | None = None
    routes: tuple[RouteSpec, ...] = ()
    #: Set for a function URL or an ALB target.
    function: str | None = None

    @property
    def name(self) -> str:
        if self.api is not None:
            return self.api.logical_id
        return f"{self.function} URL" if self.kind == "url" else f"{self.function} ALB"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServePlan:
    functions: dict[str, FunctionConfig]
    fronts: tuple[FrontPlan, ...]
    #: Shown under the banner: what the template skipped, and what is not emulated.
    warnings: tuple[str, ...] = ()
    #: Where it came from, for the banner: the template's path or ``APP``.
    origin: str = ""


def function_config(spec: FunctionSpec) -> FunctionConfig:
    """The execution environment settings of a template function."""
    return FunctionConfig(
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


def app_function_config(
    app: str, *, source: str | None, interface: str = "auto", app_dir: Path | None = None
) -> FunctionConfig:
    """The one function serving ``APP``:
    :mod:`lambgate.local.lambda_service.worker.app_handler` in the worker imports it, with
    ``app_dir`` as ``CodeUri``."""
    module, sep, attr = app.partition(":")
    if not sep or not module or not attr:
        raise TemplateError("APP", f"an app is given as module:attr, got {app!r}")
    variables = {"LAMBGATE_APP": app, "LAMBGATE_INTERFACE": interface}
    if source is not None:
        variables["LAMBGATE_SOURCE"] = source
    return FunctionConfig(
        name=APP_FUNCTION,
        code_uri=(app_dir or Path.cwd()).resolve(),
        handler="lambgate.local.lambda_service.worker.app_handler.handler",
        timeout=float(APP_TIMEOUT_S),
        memory_size=APP_MEMORY_MB,
        variables=variables,
    )


def _ports(options: ServeOptions) -> tuple[list[int], list[int]]:
    """Candidate ports for APIs and for function URLs, in order (infinite enough)."""
    if options.port == 0:
        return [0] * 64, [0] * 64
    taken = {options.lambda_port}
    api_ports = [p for p in range(options.port, options.port + 64) if p not in taken]
    url_base = options.url_port if options.url_port is not None else options.port + URL_PORT_OFFSET
    url_ports = [p for p in range(url_base, url_base + 64) if p not in taken]
    return api_ports, url_ports


def plan_template(options: ServeOptions) -> ServePlan:
    """Read the template and lay out its APIs and function URLs on ports."""
    template: Template = load_template(
        options.template,
        parameter_overrides=options.parameter_overrides,
        env_vars=options.env_vars,
    )
    functions = {name: function_config(spec) for name, spec in template.functions.items()}
    api_ports, url_ports = _ports(options)
    fronts: list[FrontPlan] = []
    for api in template.apis.values():
        routes = tuple(r for r in template.routes if r.api_logical_id == api.logical_id)
        if routes:
            fronts.append(
                FrontPlan(kind=api.kind, port=api_ports[len(fronts)], api=api, routes=routes)
            )
    warnings = list(template.warnings)
    # Not emulated yet: saying so beats a browser app that works deployed and fails here.
    not_applied = (
        "is not applied locally: no answer to preflight OPTIONS requests and no "
        "Access-Control-* headers on responses"
    )
    for front in fronts:
        if front.api is not None and front.api.cors is not None:
            name = "Cors" if front.api.kind == "rest" else "CorsConfiguration"
            warnings.append(f"{front.api.logical_id}: {name} {not_applied}")
    urls = [spec for spec in template.functions.values() if spec.function_url is not None]
    for index, spec in enumerate(urls):
        fronts.append(FrontPlan(kind="url", port=url_ports[index], function=spec.logical_id))
        assert spec.function_url is not None
        if spec.function_url.cors is not None:
            warnings.append(f"{spec.logical_id}: FunctionUrlConfig.Cors {not_applied}")
        if spec.function_url.auth_type == "AWS_IAM":
            warnings.append(
                f"{spec.logical_id}: the function URL's AuthType AWS_IAM is not checked locally"
            )
    if not fronts:
        warnings.append("no Api, HttpApi or FunctionUrlConfig in the template: Invoke API only")
    return ServePlan(
        functions=functions,
        fronts=tuple(fronts),
        warnings=tuple(warnings),
        origin=str(options.template),
    )


def plan_app(options: ServeOptions) -> ServePlan:
    """``APP`` as one function behind one catch-all route of ``--format``."""
    assert options.app is not None
    kind = options.format
    if kind not in FORMATS:
        raise TemplateError("--format", f"expected one of {', '.join(FORMATS)}, got {kind!r}")
    config = app_function_config(
        options.app, source=kind, interface=options.interface, app_dir=options.app_dir
    )
    front: FrontPlan
    if kind == "rest":
        # A REST proxy resource does not catch the root: SAM apps declare both, as here.
        api = ApiSpec(logical_id=IMPLICIT_REST_API, kind="rest", stage_name="Prod", implicit=True)
        routes = tuple(_route(api, path) for path in ("/", "/{proxy+}"))
        front = FrontPlan(kind="rest", port=options.port, api=api, routes=routes)
    elif kind in ("http", "http-v1"):
        version = "2.0" if kind == "http" else "1.0"
        api = ApiSpec(
            logical_id=IMPLICIT_HTTP_API,
            kind="http",
            stage_name="$default",
            payload_format_version=version,
            implicit=True,
        )
        front = FrontPlan(
            kind="http", port=options.port, api=api, routes=(_route(api, DEFAULT_ROUTE_PATH),)
        )
    else:
        front = FrontPlan(kind=_FUNCTION_FRONTS[kind], port=options.port, function=APP_FUNCTION)
    return ServePlan(functions={APP_FUNCTION: config}, fronts=(front,), origin=options.app)


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
