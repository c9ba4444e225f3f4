"""The shared routes (see the package docstring) as Falcon apps: ``wsgi_app`` (falcon.App)
and ``asgi_app`` (falcon.asgi.App). Falcon has no URL builder, so ``/links`` and ``/go`` are
left out."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import falcon
import falcon.asgi

from . import BINARY, GZIP_JSON, event_method


def _echo(req: Any, body: bytes, event: Any, context: Any) -> dict[str, Any]:
    return {
        "method": req.method,
        "root_path": req.root_path,
        "path": req.path,
        "query": [
            [key, value] for key, value in parse_qsl(req.query_string, keep_blank_values=True)
        ],
        "probe": req.get_header("X-Probe"),
        "cookies": req.cookies,
        "body": body.decode("utf-8"),
        "client": req.remote_addr,
        "scheme": req.scheme,
        "url_root": req.prefix + "/",
        "aws_request_id": context.aws_request_id,
        "aws_event_method": event_method(event),
    }


def _empty(resp: Any, code: int) -> None:
    resp.status = code


def _cookies(resp: Any) -> None:
    resp.content_type = "text/plain"
    resp.text = ""
    # Falcon's defaults are Secure; these match the other apps' plain cookies.
    resp.set_cookie("first", "1", secure=False, http_only=False)
    resp.set_cookie("second", "2", secure=False)


class Echo:
    def on_get(self, req: falcon.Request, resp: falcon.Response, rest: str = "") -> None:
        env = req.env
        resp.media = _echo(req, req.bounded_stream.read(), env["aws.event"], env["aws.context"])

    on_head = on_post = on_get


class Other:
    def on_post_form(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = [list(pair) for pair in parse_qsl(req.bounded_stream.read().decode())]

    def on_post_json(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = req.get_media()

    def on_post_upload(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = "application/octet-stream"
        resp.data = req.bounded_stream.read()

    def on_get_download(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = "image/png"
        resp.data = BINARY

    on_head_download = on_get_download

    def on_get_cookies(self, req: falcon.Request, resp: falcon.Response) -> None:
        _cookies(resp)

    def on_get_status(self, req: falcon.Request, resp: falcon.Response, code: int) -> None:
        _empty(resp, code)

    def on_get_gzip(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = "application/json"
        resp.set_header("Content-Encoding", "gzip")
        resp.data = GZIP_JSON


class AsyncEcho:
    async def on_get(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response, rest: str = ""
    ) -> None:
        body = await req.stream.read()
        resp.media = _echo(req, body, req.scope["aws.event"], req.scope["aws.context"])

    on_head = on_post = on_get


class AsyncOther:
    async def on_post_form(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        body = await req.stream.read()
        resp.media = [list(pair) for pair in parse_qsl(body.decode())]

    async def on_post_json(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.media = await req.get_media()

    async def on_post_upload(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.content_type = "application/octet-stream"
        resp.data = await req.stream.read()

    async def on_get_download(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.content_type = "image/png"
        resp.data = BINARY

    on_head_download = on_get_download

    async def on_get_cookies(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        _cookies(resp)

    async def on_get_status(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response, code: int
    ) -> None:
        _empty(resp, code)

    async def on_get_gzip(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.content_type = "application/json"
        resp.set_header("Content-Encoding", "gzip")
        resp.data = GZIP_JSON


def _routes(app: Any, echo: object, other: object) -> Any:
    app.add_route("/echo", echo)
    app.add_route("/echo/{rest:path}", echo)
    for name in ("form", "json", "upload", "download", "cookies", "gzip"):
        app.add_route(f"/{name}", other, suffix=name)
    app.add_route("/status/{code:int}", other, suffix="status")
    return app


wsgi_app = _routes(falcon.App(), Echo(), Other())
asgi_app = _routes(falcon.asgi.App(), AsyncEcho(), AsyncOther())
