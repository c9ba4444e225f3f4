"""The shared routes (see the package docstring) as a FastAPI app (ASGI, on Starlette)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from . import BINARY, GZIP_JSON, event_method

app = FastAPI()


@app.api_route("/echo", methods=["GET", "HEAD", "POST"])
@app.api_route("/echo/{rest:path}", methods=["GET", "HEAD", "POST"], name="echo")
async def echo(request: Request, rest: str = "") -> Any:
    body = await request.body()
    return JSONResponse(
        {
            "method": request.method,
            "root_path": request.scope.get("root_path", ""),
            "path": request.url.path.removeprefix(request.scope.get("root_path", "")),
            "query": [list(pair) for pair in request.query_params.multi_items()],
            "probe": ",".join(request.headers.getlist("x-probe")),
            "cookies": request.cookies,
            "body": body.decode("utf-8"),
            "client": request.client.host if request.client else None,
            "scheme": request.url.scheme,
            "url_root": str(request.base_url),
            "aws_request_id": request.scope["aws.context"].aws_request_id,
            "aws_event_method": event_method(request.scope["aws.event"]),
        }
    )


@app.post("/form")
async def form(request: Request) -> Any:
    data = await request.form()
    return [list(pair) for pair in data.multi_items()]


@app.post("/json")
async def json_body(request: Request) -> Any:
    return await request.json()


@app.post("/upload")
async def upload(request: Request) -> Response:
    return Response(await request.body(), media_type="application/octet-stream")


@app.api_route("/download", methods=["GET", "HEAD"])
async def download() -> Response:
    return Response(BINARY, media_type="image/png")


@app.get("/cookies")
async def cookies() -> Response:
    response = Response("", media_type="text/plain")
    response.set_cookie("first", "1")
    response.set_cookie("second", "2", httponly=True)
    return response


@app.get("/status/{code}")
async def status(code: int) -> Response:
    return Response(status_code=code)


@app.get("/gzip")
async def compressed() -> Response:
    return Response(GZIP_JSON, media_type="application/json", headers={"Content-Encoding": "gzip"})


@app.get("/raw/{rest:path}")
async def raw(request: Request, rest: str) -> Any:
    """The path as routed and as it was on the wire: only ASGI can carry the latter."""
    return {"path": request.scope["path"], "raw_path": request.scope["raw_path"].decode()}


@app.get("/links")
async def links(request: Request) -> Any:
    return {
        "absolute": str(request.url_for("echo", rest="x")),
        "relative": request.url_for("echo", rest="x").path,
    }


@app.get("/go")
async def go(request: Request) -> Response:
    return RedirectResponse(request.url_for("echo", rest="x"))
