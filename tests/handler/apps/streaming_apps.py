"""Apps that stream, as users write them: Starlette, sse-starlette, FastAPI and Flask."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator

from fastapi import FastAPI
from flask import Flask, Response, stream_with_context
from sse_starlette import EventSourceResponse
from starlette.responses import PlainTextResponse, StreamingResponse

MEGABYTE = 1024 * 1024

fastapi_app = FastAPI()


@fastapi_app.get("/sse")
async def sse() -> EventSourceResponse:
    async def events() -> AsyncIterator[dict[str, str]]:
        for number in range(3):
            yield {"data": str(number)}
            await asyncio.sleep(0.05)

    return EventSourceResponse(events())


@fastapi_app.get("/slow-sse")
async def slow_sse() -> EventSourceResponse:
    """Three events 0.4 s apart: a client that gets each as it is sent sees the gaps."""

    async def events() -> AsyncIterator[dict[str, str]]:
        for number in range(3):
            if number:
                await asyncio.sleep(0.4)
            yield {"data": str(number)}

    return EventSourceResponse(events())


@fastapi_app.get("/megabytes/{count}")
async def megabytes(count: int) -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        for _ in range(count):
            yield b"x" * MEGABYTE

    return StreamingResponse(body(), media_type="application/octet-stream")


@fastapi_app.get("/cookies")
async def cookies() -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        yield b"first,"
        yield b"second"

    response = StreamingResponse(body(), status_code=201, media_type="text/plain")
    response.set_cookie("a", "1")
    response.set_cookie("b", "2")
    response.headers["x-app"] = "streams"
    return response


@fastapi_app.get("/big")
async def big() -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        for _ in range(7):
            yield b"x" * MEGABYTE

    return StreamingResponse(body(), media_type="application/octet-stream")


@fastapi_app.get("/boom")
async def boom() -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        yield b"partial"
        raise RuntimeError("the model went away")

    return StreamingResponse(body(), media_type="text/plain")


@fastapi_app.get("/fails-early")
async def fails_early() -> StreamingResponse:
    raise RuntimeError("before any byte")


@fastapi_app.get("/forever")
async def forever() -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        while True:
            yield b"tick\n"
            await asyncio.sleep(0.1)

    return StreamingResponse(body(), media_type="text/plain")


@fastapi_app.get("/ticks/{count}")
async def ticks(count: int) -> StreamingResponse:
    """``count`` ticks 0.1 s apart, then a log line: how long the app ran shows in the log."""

    async def body() -> AsyncIterator[bytes]:
        for _ in range(count):
            yield b"tick\n"
            await asyncio.sleep(0.1)
        logging.getLogger("app").warning("sent all %d ticks", count)

    return StreamingResponse(body(), media_type="text/plain")


@fastapi_app.get("/sys-path")
async def sys_path() -> dict[str, object]:
    """Where the app's imports are looked for, and the PYTHONPATH it sees."""
    return {"path": sys.path, "PYTHONPATH": os.environ.get("PYTHONPATH")}


@fastapi_app.get("/plain")
async def plain() -> PlainTextResponse:
    return PlainTextResponse("not streamed", headers={"x-kind": "plain"})


@fastapi_app.get("/logs")
async def logs() -> PlainTextResponse:
    logging.getLogger("app").info("an info line")
    logging.getLogger("app").warning("a warning line")
    return PlainTextResponse("logged")


flask_app = Flask(__name__)


@flask_app.get("/stream")
def flask_stream() -> Response:
    def lines() -> Iterator[str]:
        for number in range(3):
            yield f"line {number}\n"

    return Response(stream_with_context(lines()), mimetype="text/plain")


@flask_app.get("/forever")
def flask_forever() -> Response:
    def ticks() -> Iterator[str]:
        while True:
            yield "tick\n"
            time.sleep(0.05)

    return Response(ticks(), mimetype="text/plain")


@flask_app.get("/ticks/<int:count>")
def flask_ticks(count: int) -> Response:
    def lines() -> Iterator[str]:
        for _ in range(count):
            yield "tick\n"
            time.sleep(0.1)
        logging.getLogger("app").warning("sent all %d ticks", count)

    return Response(lines(), mimetype="text/plain")
