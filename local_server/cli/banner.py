"""What ``lambgate serve`` prints at start-up: what is served where, and why.

Each API with its type, stage and URL (and its URL under the stage, as on AWS), its routes,
and why it has a port of its own when it does; each function URL; the Invoke API; a port that
moved because it was taken; what ``--reload`` watches; debugging and isolation
(:mod:`.workers`); then the warnings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambgate.local.front.server import warn_if_exposed
from lambgate.local.gateway.shared_port import DEFAULT_STAGE
from lambgate.local.template.specs import DEFAULT_ROUTE_PATH

from .workers import banner_lines

if TYPE_CHECKING:
    from .serve import Emulator

__all__ = ["INSPECTOR", "INVOKE_API", "banner"]

#: The Invoke API's name in the banner and in ``Emulator.ports``.
INVOKE_API = "Invoke API"
#: The inspector page's, likewise.
INSPECTOR = "Inspector"

_KIND_NAMES = {
    "rest": "REST API",
    "http": "HTTP API",
    "url": "function URL",
    "alb": "ALB",
    "alb-multi": "ALB, multi-value headers",
    "edge": "Lambda@Edge, viewer request",
    "lattice": "VPC Lattice, event version 1",
    "lattice-v2": "VPC Lattice, event version 2",
}


def banner(emulator: Emulator) -> str:
    lines = [f"lambgate serving {emulator.plan.origin} (Ctrl-C to stop)"]
    for front in emulator.fronts:
        plan = front.plan
        url = emulator.url(front)
        moved = _moved(front.moved_from)
        if not plan.apis:
            kind = _KIND_NAMES[plan.kind] + (", RESPONSE_STREAM" if plan.streaming else "")
            lines.append(f"  {plan.function} ({kind}) {url}  (any path){moved}")
            continue
        for api in plan.apis:
            stage = api.stage_name
            staged = f"  (also under {url}/{stage}, as on AWS)" if stage != DEFAULT_STAGE else ""
            lines.append(
                f"  {api.logical_id} ({_KIND_NAMES[api.kind]}, stage {stage}) {url}{staged}{moved}"
            )
            if plan.collision is not None:
                lines.append(f"    on a port of its own: {plan.collision}")
            routes = [r for r in plan.routes if r.api_logical_id == api.logical_id]
            width = max(len(_route_text(r.method, r.path)) for r in routes)
            for route in routes:
                text = _route_text(route.method, route.path)
                streams = "  (STREAM)" if route.streaming else ""
                lines.append(f"    {text:<{width}}  -> {route.function}{streams}")
    host = f"[{emulator.host}]" if ":" in emulator.host else emulator.host
    for ws in emulator.websocket_fronts:
        ws_api = ws.plan.api
        lines.append(
            f"  {ws_api.logical_id} (WebSocket API, stage {ws_api.stage_name}) "
            f"ws://{host}:{ws.server.port}/{ws_api.stage_name}{_moved(ws.moved_from)}"
        )
        width = max(len(ws_route.route_key) for ws_route in ws_api.routes)
        for ws_route in ws_api.routes:
            lines.append(f"    {ws_route.route_key:<{width}}  -> {ws_route.function}")
    if emulator.invoke is not None:
        names = ", ".join(emulator.runtimes)
        lines.append(
            f"  {INVOKE_API} http://{emulator.host}:{emulator.invoke.port} (boto3 endpoint_url): "
            f"{names}{_moved(emulator.invoke_moved_from)}"
        )
    inspector = emulator.inspector_url()
    if inspector is not None:
        lines.append(
            f"  {INSPECTOR} {inspector} (every request, its event, result and log; replay)"
            f"{_moved(emulator.inspector_moved_from)}"
        )
    if emulator.watcher is not None:
        lines.append(f"  --reload: watching {emulator.watcher.describe()}")
    options = {name: runtime.options for name, runtime in emulator.runtimes.items()}
    lines += banner_lines(emulator.plan.functions, options)
    warning = warn_if_exposed(emulator.host)
    exposed_page = None
    if emulator.inspector is not None:
        exposed_page = warn_if_exposed(emulator.inspector.server.host)
        if exposed_page is not None:
            exposed_page = "the inspector page shows every request, event and log line: " + (
                exposed_page
            )
    warnings = (*emulator.plan.warnings, warning, exposed_page)
    lines += [f"  warning: {text}" for text in warnings if text]
    return "\n".join(lines)


def _route_text(method: str, path: str) -> str:
    return path if path == DEFAULT_ROUTE_PATH else f"{method} {path}"


def _moved(taken: int | None) -> str:
    return "" if taken is None else f"  (port {taken} was taken)"
