"""The inspector's own HTTP app, served by the emulator's front on a port of its own.

==========================================  =============================================
``GET /``, ``/page.css``, ``/page.js``      the page (static files shipped in the package)
``GET /api/invocations``                    the list, newest first
``GET /api/invocations/N``                  one invocation, opened (:func:`.views.detail`)
``GET /api/invocations/N/event.json``       its event, a file ``lambgate invoke --event`` takes
``GET /api/invocations/N/body/PART``        a body (``request``, ``response``) as sent
``POST /api/invocations/N/replay``          send its request through its front again
``GET /api/environments``                   each function's execution environments
``GET /api/events``                         Server-Sent Events: new invocations as they come
==========================================  =============================================

The front answers whole responses, so the event stream is SSE's long-poll form: a request
waits until something new is recorded (or :data:`PUSH_WAIT_S` passes), is answered with those
events and a ``retry`` of zero, and the browser's ``EventSource`` asks again at once with the
``Last-Event-ID`` it got: every invocation reaches the page as it is recorded, with no
polling interval and nothing lost between two answers.

The page shows what the functions received, credentials included, so only the page itself may
read it: a request whose ``Host`` is a name other than ``localhost`` (what a DNS-rebinding
site sends) or whose ``Origin`` is another site is refused with 403, and a replay must carry
the ``X-Lambgate-Inspector`` header, which no cross-site form can send without a CORS
preflight the inspector never allows.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from lambgate.local.front.server import HTTPServer, start_server
from lambgate.local.front.streams import StreamedResponse
from lambgate.local.lambda_service.function_pool import FunctionRuntime
from lambgate.model import Request, Response

from .environments import environments_view
from .recorder import Record, Recorder
from .redaction import Redactor
from .views import detail, event_text, summary

__all__ = ["PUSH_WAIT_S", "InspectorApp", "InspectorServer", "start_inspector"]

#: How long an event-stream request waits for news before it is answered with none.
PUSH_WAIT_S = 15.0
STATIC = Path(__file__).resolve().parent / "static"
_STATIC_TYPES = {
    "page.html": "text/html; charset=utf-8",
    "page.css": "text/css; charset=utf-8",
    "page.js": "text/javascript; charset=utf-8",
}
_ONE = re.compile(r"/api/invocations/(?P<number>\d+)(?P<rest>/[a-z./]+)?")

Route = Callable[[Request, Record], Awaitable[Response] | Response]
#: The header the page sends with a replay (see the module's docstring).
REPLAY_HEADER = "x-lambgate-inspector"
_AUTHORITY = re.compile(r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<host>[^:]*))(?::\d*)?")


def _json(document: Any, status: int = 200) -> Response:
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return Response(status, [("content-type", "application/json")], body)


def _not_found(what: str) -> Response:
    return _json({"message": f"no {what}"}, 404)


class InspectorApp:
    """Answers the page's requests from a :class:`Recorder` and the functions' pools."""

    def __init__(
        self,
        recorder: Recorder,
        runtimes: Mapping[str, FunctionRuntime],
        redactor: Redactor,
    ) -> None:
        self.recorder = recorder
        self.runtimes = runtimes
        self.redactor = redactor
        self.pages = {
            "/": "page.html",
            "/page.html": "page.html",
            "/page.css": "page.css",
            "/page.js": "page.js",
        }
        self.lists: dict[str, Callable[[Request], Awaitable[Response] | Response]] = {
            "/api/invocations": self.invocations,
            "/api/environments": self.environments,
            "/api/events": self.events,
        }
        self.ones: dict[tuple[str, str], Route] = {
            ("GET", ""): self.one,
            ("GET", "/event.json"): self.event,
            ("GET", "/body/request"): self.request_body,
            ("GET", "/body/response"): self.response_body,
            ("POST", "/replay"): self.replay,
        }
        self.replays: set[asyncio.Task[Response]] = set()

    def handle(self, request: Request) -> Awaitable[Response] | Response:
        refusal = _foreign(request)
        if refusal is not None:
            return _json({"message": refusal}, 403)
        path = request.path
        if path in self.pages and request.method == "GET":
            name = self.pages[path]
            body = (STATIC / name).read_bytes()
            return Response(200, [("content-type", _STATIC_TYPES[name])], body)
        listing = self.lists.get(path)
        if listing is not None and request.method == "GET":
            return listing(request)
        match = _ONE.fullmatch(path)
        if match is None:
            return _not_found(f"page {path}")
        route = self.ones.get((request.method, match["rest"] or ""))
        if route is None:
            return _not_found(f"{request.method} {path}")
        record = self.recorder.find(int(match["number"]))
        if record is None:
            return _not_found(f"invocation {match['number']} (older ones are forgotten)")
        return route(request, record)

    def invocations(self, request: Request) -> Response:
        return _json([summary(record, self.redactor) for record in self.recorder.newest_first()])

    def environments(self, request: Request) -> Response:
        return _json(environments_view(self.runtimes, self.redactor))

    async def events(self, request: Request) -> Response:
        seen = _last_seen(request)
        if seen is not None and seen > self.recorder.count:
            # A page left open across a restart of the emulator counts from its old numbers:
            # send it everything this one recorded, under this one's numbering.
            seen = 0
        news: list[Record] = []
        if seen is not None:
            if seen >= self.recorder.count:
                await self.recorder.wait_for_news(PUSH_WAIT_S)
            news = self.recorder.after(seen)
        latest = self.recorder.count
        rows = [summary(record, self.redactor) for record in news]
        data = json.dumps(rows, ensure_ascii=False)
        body = f"retry: 0\nid: {latest}\nevent: invocations\ndata: {data}\n\n".encode()
        headers = [("content-type", "text/event-stream"), ("cache-control", "no-store")]
        return Response(200, headers, body)

    def one(self, request: Request, record: Record) -> Response:
        return _json(detail(record, self.redactor))

    def event(self, request: Request, record: Record) -> Response:
        text = event_text(record, self.redactor.for_headers(record.exchange.request.headers))
        if text is None:
            return _not_found("whole event (none was built, or it was over the size kept)")
        disposition = f'attachment; filename="event-{record.exchange.request_id}.json"'
        headers = [("content-type", "application/json"), ("content-disposition", disposition)]
        return Response(200, headers, (text + "\n").encode("utf-8"))

    def request_body(self, request: Request, record: Record) -> Response:
        return self._download(record.exchange.request.body, record, "request")

    def response_body(self, request: Request, record: Record) -> Response:
        response = record.exchange.response
        return self._download(response.body if response else b"", record, "response")

    def _download(self, body: bytes, record: Record, part: str) -> Response:
        """A body as sent, but with the secret values masked that the page masks elsewhere."""
        redactor = self.redactor.for_headers(record.exchange.request.headers)
        if redactor.values:
            text = body.decode("utf-8", "surrogateescape")
            body = redactor.text(text).encode("utf-8", "surrogateescape")
        name = f"{part}-body-{record.exchange.request_id}.bin"
        headers = [
            ("content-type", "application/octet-stream"),
            ("content-disposition", f'attachment; filename="{name}"'),
        ]
        return Response(200, headers, body)

    async def replay(self, request: Request, record: Record) -> Response:
        if request.header(REPLAY_HEADER) is None:
            return _json({"message": f"a replay carries the {REPLAY_HEADER} header"}, 403)
        if record.cut and "request" in record.cut:
            return _json({"message": "its body was over the size kept; it cannot be replayed"}, 409)
        if record.exchange.kind == "websocket":
            return _json({"message": "a WebSocket event belongs to its connection"}, 409)
        before = self.recorder.count
        exchange = record.exchange
        # Shielded: the function runs on if the page goes away, as a client's would.
        task = asyncio.ensure_future(_read_whole(exchange.replay(exchange.request)))
        self.replays.add(task)
        task.add_done_callback(self.replays.discard)
        response = await asyncio.shield(task)
        # The front records the very request object it was given.
        news = self.recorder.after(before)
        replayed = next((r.number for r in news if r.exchange.request is exchange.request), None)
        return _json({"status": response.status, "number": replayed})


def _foreign(request: Request) -> str | None:
    """Why ``request`` may come from another site (see the module's docstring), or ``None``."""
    host = request.header("host")
    if host is not None and not _local_authority(host):
        return f"the inspector answers its own page only, not host {host!r}"
    origin = request.header("origin")
    if origin is not None and origin != "null":
        authority = origin.partition("://")[2]
        if not _local_authority(authority):
            return f"the inspector answers its own page only, not pages from {origin!r}"
    return None


def _local_authority(authority: str) -> bool:
    """Whether ``host[:port]`` names this machine by address or as ``localhost``: a DNS name
    may be rebound to 127.0.0.1 by any site, an address cannot."""
    match = _AUTHORITY.fullmatch(authority)
    if match is None:
        return False
    host = match["ipv6"] or match["host"] or ""
    if host.lower() == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _last_seen(request: Request) -> int | None:
    """The last invocation number the page has: ``Last-Event-ID`` on a reconnection, else
    ``?after=N`` (the newest of the list it loaded); ``None``: neither."""
    for text in (request.header("last-event-id"), _query_after(request.query_string)):
        if text is not None and text.isdigit():
            return int(text)
    return None


def _query_after(query: str) -> str | None:
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if name == "after":
            return value
    return None


class InspectorServer:
    """The inspector listening on its port."""

    def __init__(self, app: InspectorApp, server: HTTPServer) -> None:
        self.app = app
        self.server = server

    @property
    def port(self) -> int:
        return self.server.port

    async def close(self) -> None:
        self.app.recorder.close()
        await self.server.close(grace=1.0)
        await asyncio.gather(*self.app.replays, return_exceptions=True)


async def start_inspector(app: InspectorApp, *, host: str, port: int) -> InspectorServer:
    return InspectorServer(app, await start_server(app.handle, host=host, port=port))


async def _read_whole(answer: Awaitable[Response]) -> Response:
    """The replayed response, a streamed one read to its end as a client would read it (its
    function then finishes, and the front records it)."""
    response = await answer
    if isinstance(response, StreamedResponse):
        async for _ in response.chunks:
            pass
    return response
