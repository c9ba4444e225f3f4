"""The bundled ASGI example: a FastAPI app with lifespan state, unchanged for Lambda.

Deployed by ``template.yaml`` with ``Handler: lambgate.lambda_handler`` and
``LAMBGATE_APP=examples.fastapi_app.app:app``. lambgate runs the lifespan once per execution
environment, during Lambda's init phase, so what it sets up (here a greeting, a visit counter,
a pre-rendered image and the chat's nicknames) is shared by every request that environment
serves.

The WebSocket route ``/`` is the chat behind the template's WebSocket API: API Gateway invokes
the function once per message, so what a connection must remember (its nickname) is kept
keyed by the connection's id, never in the endpoint's local variables.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import escape
from typing import Annotated, Any, TypedDict

from fastapi import (
    FastAPI,
    File,
    Form,
    HTTPException,
    Query,
    Request,
    UploadFile,
    WebSocket,
    WebSocketDisconnect,
)
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel

from examples.png import parse_hex_color, solid_png


class State(TypedDict):
    greeting: str
    visits: dict[str, int]
    logo: bytes
    #: The chat's nickname of each connection, by connection id. A module-level store lives
    #: as long as one execution environment; a deployment with several keeps it in DynamoDB.
    nicknames: dict[str, str]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    # Runs once per execution environment, not per request: the place for connection pools
    # and anything expensive to build.
    yield {
        "greeting": "hello from FastAPI on lambgate",
        "visits": {"count": 0},
        "logo": solid_png(16, 16, (0x23, 0x6B, 0x8E)),
        "nicknames": {},
    }


app = FastAPI(lifespan=lifespan)


class Order(BaseModel):
    item: str
    quantity: int
    unit_price: float


@app.get("/")
async def index(request: Request) -> dict[str, Any]:
    visits: dict[str, int] = request.state.visits
    visits["count"] += 1
    return {
        "message": request.state.greeting,
        "visits": visits["count"],
        "items": str(request.url_for("items")),
        "form": str(request.url_for("form_page")),
        "swatch": str(request.url_for("swatch").include_query_params(color="ff8800")),
    }


@app.get("/sse/count")
async def count(
    to: Annotated[int, Query(ge=1, le=1000)] = 10,
    delay: Annotated[float, Query(ge=0, le=5)] = 0.2,
) -> StreamingResponse:
    """Server-Sent Events: a counter, one event every ``delay`` seconds, each sent as it is
    counted. Behind the streaming function URL the client sees them one by one; behind the
    HTTP API (which cannot stream) all at once when the last is counted."""

    async def events() -> AsyncIterator[str]:
        for number in range(1, to + 1):
            yield f"id: {number}\ndata: {number}\n\n"
            if number < to:
                await asyncio.sleep(delay)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"cache-control": "no-store"}
    )


@app.get("/items")
async def items(tag: Annotated[list[str] | None, Query()] = None) -> dict[str, Any]:
    return {"items": tag or []}


@app.post("/echo")
async def echo(request: Request) -> dict[str, Any]:
    return {"json": await request.json()}


@app.post("/orders", status_code=201)
async def create_order(order: Order) -> dict[str, Any]:
    return {**order.model_dump(), "total": round(order.quantity * order.unit_price, 2)}


@app.get("/form", response_class=HTMLResponse)
async def form_page(request: Request) -> str:
    return (
        "<!doctype html>\n<title>lambgate form</title>\n"
        f'<form method="post" action="{request.url_for("greet").path}">\n'
        '  <input name="name"> <button>Greet</button>\n</form>\n'
        f'<form method="post" action="{request.url_for("upload").path}"'
        ' enctype="multipart/form-data">\n'
        '  <input type="file" name="file"> <button>Upload</button>\n</form>\n'
    )


@app.post("/form", response_class=HTMLResponse)
async def greet(name: Annotated[str, Form()] = "stranger") -> str:
    return f"<!doctype html>\n<p>Hello, {escape(name)}!</p>\n"


@app.post("/upload")
async def upload(file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    data = await file.read()
    return {
        "filename": file.filename,
        "content_type": file.content_type,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


@app.get("/swatch.png")
async def swatch(color: str = "ff8800", size: int = 8) -> Response:
    try:
        image = solid_png(size, size, parse_hex_color(color))
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    return Response(image, media_type="image/png")


@app.get("/logo.png")
async def logo(request: Request) -> Response:
    return Response(request.state.logo, media_type="image/png")


@app.post("/login")
async def login(
    request: Request,
    user: Annotated[str, Form()] = "guest",
    theme: Annotated[str, Form()] = "light",
) -> RedirectResponse:
    response = RedirectResponse(request.url_for("whoami"), status_code=303)
    # Scoped to the app's root (the REST stage, ``/prod``), not to everything on the host.
    path = request.scope.get("root_path") or "/"
    response.set_cookie("user", user, path=path, httponly=True, secure=True, samesite="lax")
    response.set_cookie("theme", theme, path=path, samesite="lax")
    return response


@app.get("/whoami")
async def whoami(request: Request) -> dict[str, str | None]:
    return {"user": request.cookies.get("user"), "theme": request.cookies.get("theme")}


@app.get("/go")
async def go(request: Request) -> RedirectResponse:
    return RedirectResponse(request.url_for("items"))


@app.websocket("/")
async def chat(websocket: WebSocket) -> None:
    """Echoes each message with the sender's nickname; ``{"action": "nick", "name": ...}``
    (the WebSocket API's ``nick`` route) sets it. Under lambgate each message is one
    invocation; under a plain ASGI server, one loop serves the whole connection."""
    nicknames: dict[str, str] = websocket.state.nicknames
    # lambgate names the API Gateway connection; elsewhere the connection object is the key.
    connection = websocket.scope.get("aws.connection_id") or str(id(websocket))
    await websocket.accept()
    try:
        while True:
            text = await websocket.receive_text()
            try:
                message = json.loads(text)
            except ValueError:
                message = None
            if isinstance(message, dict) and message.get("action") == "nick":
                nicknames[connection] = str(message.get("name") or "anonymous")
                await websocket.send_json({"nick": nicknames[connection]})
            else:
                sender = nicknames.get(connection, "anonymous")
                await websocket.send_json({"from": sender, "echo": text})
    except WebSocketDisconnect:
        nicknames.pop(connection, None)
