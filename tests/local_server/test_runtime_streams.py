"""The Runtime API reading a streamed ``/response`` post as the runtime writes it, over
127.0.0.1: its reader gets each chunk before the next is sent, Lambda's size limit ends it,
and a reader that gives up cuts the runtime's post."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from lambgate.local.front.server import HTTPServer, start_server
from lambgate.local.lambda_service.response_stream import InvocationStream
from lambgate.local.lambda_service.runtime_api import InvocationRequest, RuntimeAPI

T = TypeVar("T")
BOUND = 5.0
REQUEST_ID = "8f507cfc-0000-4000-8000-00000000abcd"


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coroutine, timeout=20))


async def runtime_with_an_event(
    limit: int | None = None,
) -> tuple[RuntimeAPI, HTTPServer, asyncio.Future[Any]]:
    api = RuntimeAPI() if limit is None else RuntimeAPI(stream_limit=limit)
    server = await start_server(api.handle, streams_body=RuntimeAPI.streams_body)
    _, reply = api.submit(
        InvocationRequest(
            request_id=REQUEST_ID,
            payload=b"{}",
            deadline_ms=int((time.time() + 30) * 1000),
            invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:f",
            trace_id="Root=1-5759e988-bd862e3fe1be46a994272793",
        )
    )
    return api, server, reply


async def post_head(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Take the event, then start a streamed post of its response (no body yet)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: r\r\n\r\n")
    await asyncio.wait_for(reader.readuntil(b"{}"), BOUND)
    writer.write(
        f"POST /2018-06-01/runtime/invocation/{REQUEST_ID}/response HTTP/1.1\r\n".encode()
        + b"Host: r\r\nLambda-Runtime-Function-Response-Mode: streaming\r\n"
        b"Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    return reader, writer


def test_the_invocation_reads_each_chunk_before_the_runtime_sends_the_next() -> None:
    async def main() -> None:
        _, server, reply = await runtime_with_an_event()
        reader, writer = await post_head(server.port)
        stream: InvocationStream = (await asyncio.wait_for(reply, BOUND)).stream
        assert stream.content_type == "application/octet-stream"
        writer.write(b"3\r\none\r\n")
        assert await asyncio.wait_for(stream.read(), BOUND) == b"one"
        writer.write(b"3\r\ntwo\r\n0\r\n\r\n")
        assert await asyncio.wait_for(stream.read(), BOUND) == b"two"
        assert await stream.read() == b""
        end = stream.ended.result()
        assert (end.error_type, end.size) == (None, 6)
        assert b" 202 " in await asyncio.wait_for(reader.readuntil(b"\r\n"), BOUND)
        writer.close()
        await server.close(grace=0)

    run(main())


def test_past_the_streamed_limit_the_stream_ends_too_large_and_the_post_is_refused() -> None:
    async def main() -> None:
        _, server, reply = await runtime_with_an_event(limit=5)
        reader, writer = await post_head(server.port)
        stream: InvocationStream = (await asyncio.wait_for(reply, BOUND)).stream
        writer.write(b"4\r\nabcd\r\n4\r\nefgh\r\n")
        assert await asyncio.wait_for(stream.read_all(), BOUND) == b"abcd"
        end = stream.ended.result()
        assert end.error_type == "Function.ResponseSizeTooLarge"
        assert end.error_body is not None and b"(5 bytes)" in end.error_body
        answer = await asyncio.wait_for(reader.read(), BOUND)
        assert answer.startswith(b"HTTP/1.1 413 ")
        assert json.loads(answer.partition(b"\r\n\r\n")[2])["errorType"] == (
            "RequestEntityTooLarge"
        )
        writer.close()
        await server.close(grace=0)

    run(main())


def test_a_reader_that_gives_up_leaves_the_runtimes_post_running_to_its_end() -> None:
    """As on AWS, a stream whose client left is not cut: the runtime writes the rest, which
    is dropped, and its post is answered as usual when it ends."""

    async def main() -> None:
        _, server, reply = await runtime_with_an_event()
        reader, writer = await post_head(server.port)
        stream: InvocationStream = (await asyncio.wait_for(reply, BOUND)).stream
        writer.write(b"3\r\none\r\n")
        assert await asyncio.wait_for(stream.read(), BOUND) == b"one"
        stream.close()
        await asyncio.sleep(0.05)
        assert not stream.ended.done()
        writer.write(b"5\r\nthree\r\n0\r\n\r\n")
        end = await asyncio.wait_for(stream.ended, BOUND)
        assert (end.error_type, end.broken, end.size) == (None, False, 8)
        answer = await asyncio.wait_for(reader.readuntil(b"\r\n"), BOUND)
        assert answer.startswith(b"HTTP/1.1 202 ")
        writer.close()
        await server.close(grace=0)

    run(main())
