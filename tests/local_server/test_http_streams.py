"""The front's streaming, both ways, on 127.0.0.1 with both parsers: a response whose chunks
leave as they are produced, and a request body handed on as it arrives (the Runtime API's
streamed posts)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

import h11
import pytest

import lambgate.local.front.server
from lambgate.local.front.messages import StreamingRequest
from lambgate.local.front.server import Handler, HTTPServer, Limits
from lambgate.local.front.streams import ResponseCut, StreamedResponse
from lambgate.local.front.wire import ParserName, RequestHead
from lambgate.model import Request, Response

T = TypeVar("T")
BOUND = 5.0


@pytest.fixture(params=["httptools", "h11"])
def parser(request: pytest.FixtureRequest) -> ParserName:
    name: ParserName = request.param
    return name


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coroutine, timeout=20))


async def start(handler: Handler, parser: ParserName, **options: Any) -> HTTPServer:
    return await lambgate.local.front.server.start_server(handler, parser=parser, **options)


class Client:
    """A raw connection whose replies an h11 client reads, event by event."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.h11 = h11.Connection(h11.CLIENT)

    @classmethod
    async def connect(cls, port: int) -> Client:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def event(self) -> Any:
        while True:
            event = self.h11.next_event()
            if event is not h11.NEED_DATA:
                return event
            self.h11.receive_data(await asyncio.wait_for(self.reader.read(65536), BOUND))

    def send(self, data: bytes) -> None:
        self.writer.write(data)

    def get(self, target: bytes) -> None:
        """A GET, told to the h11 client too, so that it can read a second reply."""
        request = h11.Request(method="GET", target=target, headers=[("Host", "x")])
        self.send((self.h11.send(request) or b"") + (self.h11.send(h11.EndOfMessage()) or b""))

    def close(self) -> None:
        self.writer.close()


GET = b"GET /s HTTP/1.1\r\nHost: x\r\n\r\n"


def test_each_chunk_leaves_before_the_next_is_produced_and_the_connection_is_reused(
    parser: ParserName,
) -> None:
    async def main() -> None:
        gate = asyncio.Event()

        async def chunks() -> AsyncIterator[bytes]:
            yield b"first"
            await gate.wait()  # the client must have read "first" already to open this
            yield b"second"

        def handler(request: Request) -> Any:
            async def answer() -> Response:
                if request.path == "/s":
                    return StreamedResponse(200, [("content-type", "text/plain")], chunks())
                return Response(200, [], b"plain")

            return answer()

        server = await start(handler, parser)
        client = await Client.connect(server.port)
        client.get(b"/s")
        head = await client.event()
        assert head.status_code == 200
        assert (b"transfer-encoding", b"chunked") in head.headers
        assert bytes((await client.event()).data) == b"first"
        gate.set()
        assert bytes((await client.event()).data) == b"second"
        assert isinstance(await client.event(), h11.EndOfMessage)
        client.h11.start_next_cycle()
        client.get(b"/plain")
        assert (await client.event()).status_code == 200
        assert bytes((await client.event()).data) == b"plain"
        client.close()
        await server.close()

    run(main())


def test_an_http_10_client_gets_the_body_up_to_the_close(parser: ParserName) -> None:
    async def main() -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"a"
            yield b"b"

        async def answer() -> Response:
            return StreamedResponse(200, [], chunks())

        server = await start(lambda request: answer(), parser)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET / HTTP/1.0\r\n\r\n")
        raw = await asyncio.wait_for(reader.read(), BOUND)  # to the close
        head, _, body = raw.partition(b"\r\n\r\n")
        assert b"transfer-encoding" not in head.lower()
        assert body == b"ab"
        writer.close()
        await server.close()

    run(main())


def test_a_client_leaving_mid_stream_closes_the_producer(parser: ParserName) -> None:
    async def main() -> None:
        closed = asyncio.Event()

        async def chunks() -> AsyncIterator[bytes]:
            try:
                while True:
                    yield b"tick"
                    await asyncio.sleep(0.01)
            finally:
                closed.set()

        async def answer() -> Response:
            return StreamedResponse(200, [], chunks())

        server = await start(lambda request: answer(), parser)
        client = await Client.connect(server.port)
        client.send(GET)
        await client.event()
        await client.event()
        client.close()
        await asyncio.wait_for(closed.wait(), BOUND)
        await server.close()

    run(main())


def test_a_producer_that_cuts_the_stream_leaves_the_body_incomplete_without_a_traceback(
    parser: ParserName, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> bytes:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"partial"
            raise ResponseCut("the function failed")

        async def answer() -> Response:
            return StreamedResponse(200, [], chunks())

        server = await start(lambda request: answer(), parser)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(GET)
        raw = await asyncio.wait_for(reader.read(), BOUND)
        writer.close()
        await server.close()
        return raw

    with caplog.at_level(logging.INFO, logger="lambgate.http"):
        raw = run(main())
    assert raw.endswith(b"7\r\npartial\r\n")  # no last chunk: the client knows it is cut
    assert not [record for record in caplog.records if record.exc_info]


def test_a_streamed_request_body_is_read_as_it_arrives_with_its_trailers_and_no_limit(
    parser: ParserName,
) -> None:
    async def main() -> None:
        pieces: list[bytes] = []
        first_read = asyncio.Event()

        def streams(head: RequestHead) -> bool:
            return head.target == b"/stream"

        def handler(request: Request) -> Any:
            assert isinstance(request, StreamingRequest) and request.body == b""

            async def answer() -> Response:
                stream = request.body_stream
                while piece := await stream.read():
                    pieces.append(piece)
                    first_read.set()
                trailers = dict(stream.trailers)
                return Response(200, [], trailers["x-end"].encode())

            return answer()

        server = await start(handler, parser, streams_body=streams, limits=Limits(max_body=16))
        client = await Client.connect(server.port)
        client.send(
            b"POST /stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Trailer: X-End\r\n\r\n14\r\n" + b"a" * 20 + b"\r\n"
        )
        # The handler has the first piece while the client has not sent the rest.
        await asyncio.wait_for(first_read.wait(), BOUND)
        client.send(b"14\r\n" + b"b" * 20 + b"\r\n0\r\nX-End: done\r\n\r\n")
        reply = await client.event()
        assert reply.status_code == 200
        assert bytes((await client.event()).data) == b"done"
        assert b"".join(pieces) == b"a" * 20 + b"b" * 20  # past max_body: not the front's
        client.close()
        await server.close()

    run(main())


def test_a_streamed_request_body_cut_short_raises_for_its_reader(parser: ParserName) -> None:
    async def main() -> None:
        failed: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()

        def handler(request: Request) -> Any:
            assert isinstance(request, StreamingRequest)

            async def answer() -> Response:
                try:
                    while await request.body_stream.read():
                        pass
                except ConnectionError as error:
                    failed.set_result(error)
                return Response(200, [], b"")

            return answer()

        server = await start(handler, parser, streams_body=lambda head: True)
        client = await Client.connect(server.port)
        client.send(
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n"
        )
        await asyncio.sleep(0.05)
        client.close()
        assert isinstance(await asyncio.wait_for(failed, BOUND), ConnectionError)
        await server.close()

    run(main())


def test_a_client_that_reads_slowly_holds_the_producer_back(parser: ParserName) -> None:
    async def main() -> None:
        produced = 0
        total = 64

        async def chunks() -> AsyncIterator[bytes]:
            nonlocal produced
            for _ in range(total):
                produced += 1
                yield b"x" * (1024 * 1024)

        async def answer() -> Response:
            return StreamedResponse(200, [], chunks())

        server = await start(lambda request: answer(), parser)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port, limit=1024)
        writer.write(GET)
        await asyncio.sleep(0.5)  # reading nothing: the socket buffers fill
        assert produced < total / 2
        received = 0
        while chunk := await asyncio.wait_for(reader.read(1 << 20), BOUND):
            received += len(chunk)
            if received >= total * 1024 * 1024:
                break
        assert produced == total
        writer.close()
        await server.close()

    run(main())
