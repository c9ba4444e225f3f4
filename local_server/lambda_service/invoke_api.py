"""The Lambda Invoke API, as ``sam local start-lambda`` serves it on its own port.

``POST /2015-03-31/functions/{FunctionName}/invocations``
(https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html), with functions named by
their template logical id, so ``boto3.client("lambda", endpoint_url=...)`` and
``aws lambda invoke --endpoint-url ...`` work unchanged:

- ``X-Amz-Invocation-Type: RequestResponse`` (default): 200 and the function's result; a
  function error is still 200, with ``X-Amz-Function-Error: Unhandled`` and the error document.
- ``Event``: 202 at once; the function runs in the background.
- ``DryRun``: 204, nothing runs.
- ``X-Amz-Log-Type: Tail``: the last 4 KB of the invocation's log, base64, in
  ``X-Amz-Log-Result``.

``POST /2021-11-15/functions/{FunctionName}/response-streaming-invocations``
(https://docs.aws.amazon.com/lambda/latest/api/API_InvokeWithResponseStream.html) answers as
the function writes: the stream's content type as ``Content-Type``, then an event stream of
``PayloadChunk`` events, one per piece, and ``InvokeComplete`` with the error, if any, and the
log's tail when asked (:mod:`.event_stream`). boto3's ``invoke_with_response_stream`` reads it.
A function that does not stream arrives as one chunk.

Service errors use the REST-JSON error shape boto3 reads: the type in ``X-Amzn-ErrorType``,
``{"Type": "User", "message": ...}`` in the body (``Message`` where the API model says so).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from lambgate.lambda_limits import ASYNC_REQUEST_LIMIT, SYNC_REQUEST_LIMIT
from lambgate.local.front.server import HTTPServer, Limits, start_server
from lambgate.local.front.streams import StreamedResponse
from lambgate.model import Request, Response

from .event_stream import invoke_complete, payload_chunk
from .exchange import Exchange, ExchangeSink
from .function import DEFAULT_REGION, LATEST, InvocationResult, function_arn
from .function_pool import FunctionRuntime
from .response_stream import InvocationStream, StreamHolder
from .waiting import first_done

__all__ = ["InvokeAPI", "InvokeServer", "start_invoke_api"]

INVOKE_PATH = re.compile(r"/2015-03-31/functions/(?P<name>[^/]+)/invocations")
STREAM_PATH = re.compile(r"/2021-11-15/functions/(?P<name>[^/]+)/response-streaming-invocations")
#: "arn:aws:lambda:region:account:function:Name[:qualifier]", "account:function:Name", or
#: "Name[:qualifier]": the forms API_Invoke.html lists for FunctionName.
FUNCTION_NAME = re.compile(
    r"(?:(?:arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:)?\d{12}:function:)?"
    r"(?P<name>[a-zA-Z0-9_-]+)(?::(?P<qualifier>[a-zA-Z0-9$_-]+))?"
)
INVOCATION_TYPES = ("Event", "RequestResponse", "DryRun")


#: Error shapes of the Lambda API model (botocore ``lambda/2015-03-31/service-2.json``):
#: HTTP status, and the body member carrying the message (its case differs by shape).
SERVICE_ERRORS: dict[str, tuple[int, str]] = {
    "ResourceNotFoundException": (404, "Message"),
    "InvalidRequestContentException": (400, "message"),
    "InvalidParameterValueException": (400, "message"),
    "RequestTooLargeException": (413, "message"),
    "UnknownOperationException": (404, "message"),
}


class ServiceError(Exception):
    """An error the Lambda service itself answers, before or instead of running the function."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message

    def to_response(self, request_id: str) -> Response:
        status, message_key = SERVICE_ERRORS[self.error_type]
        body = json.dumps({"Type": "User", message_key: self.message}).encode()
        headers = [
            ("content-type", "application/json"),
            ("x-amzn-requestid", request_id),
            ("x-amzn-errortype", self.error_type),
        ]
        return Response(status=status, headers=headers, body=body)


@dataclass(eq=False)
class InvokeAPI:
    """Routes Invoke calls to the functions' runtimes; ``Event`` invocations run as tasks."""

    functions: Mapping[str, FunctionRuntime]
    region: str = DEFAULT_REGION
    background: set[asyncio.Task[InvocationResult]] = field(default_factory=set)
    #: Gets an :class:`Exchange` for every invocation that ran (the inspector).
    observer: ExchangeSink | None = None

    async def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        try:
            return await self._invoke(request, request_id)
        except ServiceError as error:
            return error.to_response(request_id)

    async def _invoke(self, request: Request, request_id: str) -> Response:
        match = INVOKE_PATH.fullmatch(request.path)
        if match is None and request.method == "POST":
            streaming = STREAM_PATH.fullmatch(request.path)
            if streaming is not None:
                return await self._invoke_streaming(request, request_id, streaming["name"])
        if match is None or request.method != "POST":
            raise ServiceError("UnknownOperationException", "Unknown operation")
        runtime = self._function(match["name"], request.query_string)
        invocation_type = _header(request, "x-amz-invocation-type") or "RequestResponse"
        if invocation_type not in INVOCATION_TYPES:
            raise ServiceError(
                "InvalidParameterValueException",
                f"1 validation error detected: Value '{invocation_type}' at 'invocationType' "
                "failed to satisfy constraint: Member must satisfy enum value set: "
                "[Event, RequestResponse, DryRun]",
            )
        payload = _payload(request, invocation_type)
        client_context = _client_context(request)
        headers = [("x-amzn-requestid", request_id)]
        if invocation_type == "DryRun":
            return Response(status=204, headers=headers)
        started = time.time()
        if invocation_type == "Event":
            task = asyncio.create_task(
                runtime.invoke(payload, request_id=request_id, client_context=client_context)
            )
            self.background.add(task)
            task.add_done_callback(self._forget)
            accepted = Response(status=202, headers=headers)
            if self.observer is not None:
                exchange = self._exchange(request, request_id, runtime, payload, started)
                exchange.response = accepted
                task.add_done_callback(lambda done: self._observe_event(exchange, done))
            return accepted
        invocation = await runtime.invoke(
            payload, request_id=request_id, client_context=client_context
        )
        headers += [
            ("content-type", "application/json"),
            ("x-amz-executed-version", LATEST),
        ]
        if invocation.function_error is not None:
            headers.append(("x-amz-function-error", invocation.function_error))
        if _header(request, "x-amz-log-type") == "Tail":
            headers.append(("x-amz-log-result", base64.b64encode(invocation.log_tail).decode()))
        response = Response(status=200, headers=headers, body=invocation.payload)
        if self.observer is not None:
            exchange = self._exchange(request, request_id, runtime, payload, started)
            exchange.invocation, exchange.response = invocation, response
            exchange.duration_ms = (time.time() - started) * 1000
            self.observer(exchange)
        return response

    async def _invoke_streaming(self, request: Request, request_id: str, name: str) -> Response:
        """``InvokeWithResponseStream``: the function's pieces as event-stream messages."""
        runtime = self._function(name, request.query_string)
        invocation_type = _header(request, "x-amz-invocation-type") or "RequestResponse"
        if invocation_type not in ("RequestResponse", "DryRun"):
            raise ServiceError(
                "InvalidParameterValueException",
                f"1 validation error detected: Value '{invocation_type}' at 'invocationType' "
                "failed to satisfy constraint: Member must satisfy enum value set: "
                "[RequestResponse, DryRun]",
            )
        payload = _payload(request, invocation_type)
        client_context = _client_context(request)
        headers = [("x-amzn-requestid", request_id)]
        if invocation_type == "DryRun":
            return Response(status=204, headers=headers)
        tail = _header(request, "x-amz-log-type") == "Tail"
        started = time.time()
        holder = StreamHolder()
        task = asyncio.create_task(
            runtime.invoke(
                payload,
                request_id=request_id,
                client_context=client_context,
                on_stream=holder.take,
            )
        )
        try:
            await first_done(holder.taken, task, timeout=None)
        except asyncio.CancelledError:
            holder.abandon()
            task.cancel()
            raise
        stream = holder.taken.result() if holder.taken.done() else None
        headers += [
            ("content-type", stream.content_type if stream else "application/json"),
            ("x-amz-executed-version", LATEST),
        ]
        done: Callable[[InvocationResult], None] | None = None
        if self.observer is not None:
            exchange = self._exchange(request, request_id, runtime, payload, started)
            exchange.response = Response(200, headers)
            observer = self.observer

            def done(invocation: InvocationResult) -> None:
                exchange.invocation = invocation
                exchange.duration_ms = (time.time() - started) * 1000
                observer(exchange)

        return StreamedResponse(200, headers, _stream_events(stream, task, tail=tail, done=done))

    def _exchange(
        self,
        request: Request,
        request_id: str,
        runtime: FunctionRuntime,
        payload: bytes,
        started: float,
    ) -> Exchange:
        return Exchange(
            started=started,
            request_id=request_id,
            front="Invoke API",
            kind="invoke",
            request=request,
            replay=self.handle,
            function=runtime.config.name,
            event=payload,
        )

    def _observe_event(self, exchange: Exchange, done: asyncio.Task[InvocationResult]) -> None:
        """An ``Event`` invocation, recorded once it has run (its client had its 202)."""
        assert self.observer is not None
        if not done.cancelled() and done.exception() is None:
            exchange.invocation = done.result()
        exchange.duration_ms = (time.time() - exchange.started) * 1000
        self.observer(exchange)

    def _function(self, raw_name: str, query_string: str) -> FunctionRuntime:
        match = FUNCTION_NAME.fullmatch(raw_name)
        qualifier = parse_qs(query_string).get("Qualifier", [None])[-1]
        name = match["name"] if match else raw_name
        qualifier = qualifier or (match["qualifier"] if match else None)
        runtime = self.functions.get(name)
        if runtime is None or qualifier not in (None, LATEST):
            arn = function_arn(name, self.region)
            if qualifier is not None:
                arn += f":{qualifier}"
            raise ServiceError("ResourceNotFoundException", f"Function not found: {arn}")
        return runtime

    def _forget(self, task: asyncio.Task[InvocationResult]) -> None:
        self.background.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: a failed Event invocation is in its log already

    async def close(self) -> None:
        """Cancel ``Event`` invocations still running."""
        tasks = list(self.background)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _stream_events(
    stream: InvocationStream | None,
    task: asyncio.Task[InvocationResult],
    *,
    tail: bool,
    done: Callable[[InvocationResult], None] | None = None,
) -> AsyncIterator[bytes]:
    """A ``PayloadChunk`` per piece as the function writes it (the whole result when it did
    not stream), then ``InvokeComplete``. A caller that leaves closes the stream: it is read to
    its end and dropped, as on AWS."""
    finished = False
    try:
        if stream is not None:
            while piece := await stream.read():
                yield payload_chunk(piece)
        invocation = await task
        finished = True
    finally:
        if not finished:
            if stream is not None:
                stream.close()
            else:
                task.cancel()
    error_code = error_details = None
    if invocation.function_error is not None:
        try:
            document = json.loads(invocation.payload)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            document = {}
        error_code = str(document.get("errorType") or invocation.function_error)
        error_details = str(document.get("errorMessage") or "")
    elif stream is None and invocation.payload:
        yield payload_chunk(invocation.payload)
    if done is not None:
        done(invocation)
    log = base64.b64encode(invocation.log_tail).decode() if tail else None
    yield invoke_complete(error_code=error_code, error_details=error_details, log_result=log)


def _header(request: Request, name: str) -> str | None:
    return request.header(name)


def _payload(request: Request, invocation_type: str) -> bytes:
    limit = ASYNC_REQUEST_LIMIT if invocation_type == "Event" else SYNC_REQUEST_LIMIT
    if len(request.body) > limit:
        raise ServiceError(
            "RequestTooLargeException",
            f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
        )
    if not request.body:
        # An Invoke without a payload hands the function an empty JSON object.
        return b"{}"
    try:
        json.loads(request.body)
    except ValueError as error:
        raise ServiceError(
            "InvalidRequestContentException",
            f"Could not parse request body into json: {error}",
        ) from None
    return request.body


def _client_context(request: Request) -> str | None:
    """``X-Amz-Client-Context`` is base64 JSON; the runtime receives the JSON itself."""
    raw = request.header("x-amz-client-context")
    if raw is None:
        return None
    try:
        decoded = base64.b64decode(raw, validate=True).decode()
        json.loads(decoded)
    except (binascii.Error, ValueError):
        raise ServiceError(
            "InvalidRequestContentException", "Client context must be a valid Base64 JSON"
        ) from None
    return decoded


@dataclass(eq=False)
class InvokeServer:
    """The Invoke API listening on a port; closing it stops background invocations too."""

    api: InvokeAPI
    server: HTTPServer

    @property
    def port(self) -> int:
        return self.server.port

    async def close(self) -> None:
        await self.server.close()
        await self.api.close()


async def start_invoke_api(
    functions: Mapping[str, FunctionRuntime],
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    region: str = DEFAULT_REGION,
    observer: ExchangeSink | None = None,
) -> InvokeServer:
    """Serve the Invoke API for ``functions`` (logical id → runtime); they stay the caller's."""
    api = InvokeAPI(functions, region=region, observer=observer)
    # Payloads over 6 MB must reach us to be refused with Lambda's own 413.
    server = await start_server(
        api.handle, host=host, port=port, limits=Limits(max_body=2 * SYNC_REQUEST_LIMIT)
    )
    return InvokeServer(api, server)
