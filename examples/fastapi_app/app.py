"""The bundled ASGI example: a small FastAPI app with lifespan state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    # Runs once per execution environment, not per request.
    yield {"greeting": "hello from FastAPI on lambgate"}


app = FastAPI(lifespan=lifespan)


@app.get("/")
async def index(request: Request) -> dict[str, Any]:
    return {"message": request.state.greeting, "items": str(request.url_for("items"))}


@app.get("/items")
async def items(tag: Annotated[list[str] | None, Query()] = None) -> dict[str, Any]:
    return {"items": tag or []}


@app.post("/echo")
async def echo(request: Request) -> dict[str, Any]:
    return {"json": await request.json()}
