"""The AWS side of one front: HTTP request → route → event → function → AWS's HTTP answer.

A :class:`Gateway` is the handler the HTTP front (:mod:`lambgate.local.front.server`) calls.
It does what API Gateway, a function URL or an ALB does around a Lambda function:

1. adds the headers every front adds (:data:`ADDED_HEADERS`), the peer appended to
   ``X-Forwarded-For``;
2. picks the route (:mod:`.route_matching`), or answers as the front does when there is none
   (:mod:`.answers`);
3. builds the event with the same ``request_to_event`` the event sources use in Lambda, with
   a fresh request id and the real clock;
4. invokes the function in its execution environment
   (:mod:`lambgate.local.lambda_service.function_pool`), waiting no longer than the front's
   integration timeout (unless a debugger holds the function); the function keeps running
   after, as in AWS;
5. reads the result with the source's ``result_to_response``, or answers the front's own
   error (:mod:`.answers`) and logs why in plain words; a streaming destination (a function
   URL in ``RESPONSE_STREAM`` mode, a REST route in ``STREAM`` mode) instead reads the
   stream's prelude and relays its chunks as the function writes them (:mod:`.stream_relay`).

Which route a request takes, and what the event says about it, is a
:class:`~lambgate.local.gateway.destinations.Destination`, found by the front's resolver
(:mod:`.destinations`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lambgate.errors import ResultError
from lambgate.lambda_limits import SYNC_REQUEST_LIMIT
from lambgate.local.front.messages import ReceivedRequest
from lambgate.local.front.streams import StreamedResponse
from lambgate.local.lambda_service.exchange import Exchange, ExchangeSink
from lambgate.local.lambda_service.function import InvocationResult
from lambgate.local.lambda_service.function_pool import FunctionRuntime
from lambgate.local.lambda_service.response_stream import StreamEnd, StreamHolder
from lambgate.local.lambda_service.tracing import new_request_id, trace_root
from lambgate.local.lambda_service.waiting import first_done
from lambgate.model import Request, Response

from .access_log import AccessLog
from .answers import FRONT_ERRORS, GatewayAnswer
from .destinations import Destination, DestinationResolver
from .stream_relay import read_head, relay

__all__ = ["ADDED_HEADERS", "Gateway", "answer_to_response", "forwarded"]

#: "The maximum size of the request body that you can send to a Lambda function is 1 MB."
#: (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html)
ALB_MAX_REQUEST_BODY = 1024 * 1024


#: The headers every front adds to a request before the function sees it: "The load balancer
#: adds the following headers to every request: X-Amzn-Trace-Id, X-Forwarded-For,
#: X-Forwarded-Port, and X-Forwarded-Proto"
#: (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html);
#: API Gateway and function URLs send the same four.
ADDED_HEADERS = ("X-Amzn-Trace-Id", "X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto")
_ADDED_NAMES = frozenset(name.lower() for name in ADDED_HEADERS)

#: How API Gateway spells the headers it adds or rewrites in a REST event, whatever the
#: client sent: the example event in https://docs.aws.amazon.com/apigateway/latest/
#: developerguide/set-up-lambda-proxy-integrations.html and hotsock/voker's live captures.
AWS_HEADER_SPELLINGS: dict[str, str] = {
    name.lower(): name for name in ("Host", "User-Agent", *ADDED_HEADERS)
}


def header_spellings(request: Request) -> dict[str, str]:
    """The names a REST event spells out: the client's own, and AWS's for the ones it adds."""
    client = request.header_spellings if isinstance(request, ReceivedRequest) else {}
    return client | AWS_HEADER_SPELLINGS


def forwarded(request: Request, destination: Destination) -> Request:
    """``request`` with the headers the front adds (:data:`ADDED_HEADERS`) before the
    function sees it.

    The peer is appended to any ``X-Forwarded-For`` the client sent; proto and port are the
    front's own, replacing the client's; a client's trace id is kept. Locally the front is
    plain HTTP on its own port, so links the app builds from these point back at it. The stage
    a path led with (``/prod/items``) moves out of the path, to the root path where the event
    shows it (:class:`~.destinations.Destination`).
    """
    peer = request.client[0] if request.client else "127.0.0.1"
    port = request.server[1] if request.server else 80
    headers: list[tuple[str, str]] = []
    chain: list[str] = []
    trace: str | None = None
    for name, value in request.headers:
        if name == "x-forwarded-for":
            chain.append(value)
        elif name == "x-amzn-trace-id":
            trace = value
        elif name not in _ADDED_NAMES:  # proto and port: the front's own replace them
            headers.append((name, value))
    chain.append(peer)
    headers += [
        ("x-amzn-trace-id", trace or trace_root()),
        ("x-forwarded-for", ", ".join(chain)),
        ("x-forwarded-port", str(port)),
        ("x-forwarded-proto", request.scheme),
    ]
    path, raw_path, root_path = request.path, request.raw_path, request.root_path
    if destination.stage_prefix:
        cut = len(destination.stage_prefix)  # ASCII: the same length encoded or not
        path, raw_path = path[cut:] or "/", raw_path[cut:] or "/"
        root_path += destination.root_path
    return Request(
        method=request.method,
        path=path,
        raw_path=raw_path,
        query_string=request.query_string,
        headers=headers,
        body=request.body,
        scheme=request.scheme,
        server=request.server,
        client=request.client,
        root_path=root_path,
    )


def answer_to_response(answer: GatewayAnswer) -> Response:
    return Response(status=answer.status, headers=list(answer.headers), body=answer.body)


@dataclass(slots=True)  # not frozen, for the cost (see InvocationResult)
class _Outcome:
    response: Response
    cold: bool | None
    #: What the inspector shows: the event sent, the invocation, why the front answered.
    event: bytes | None = None
    invocation: InvocationResult | None = None
    reason: str | None = None
    #: The invocation still running after the front stopped waiting (integration timeout).
    running: asyncio.Task[InvocationResult] | None = None


class Gateway:
    """The request handler of one front (``handle`` is what :func:`http.start_server` takes)."""

    def __init__(
        self,
        resolver: DestinationResolver,
        runtimes: Mapping[str, FunctionRuntime],
        log: AccessLog,
        *,
        name: str = "",
        observer: ExchangeSink | None = None,
    ) -> None:
        self.resolver = resolver
        self.kind = resolver.kind
        self.runtimes = runtimes
        self.log = log
        self.name = name or resolver.kind
        #: Gets every request's :class:`Exchange` (the inspector); ``None``: nothing recorded.
        self.observer = observer
        #: Invocations the front stopped waiting for; they run on, as in AWS.
        self.outliving: set[asyncio.Task[InvocationResult]] = set()
        #: Functions already told to stream through the wrapper (said once each).
        self._told_to_stream: set[str] = set()

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        request_id = new_request_id()
        query = "?" + request.query_string if request.query_string else ""
        asked = request.raw_path + query
        # Only REST events spell header names out (an API port serving any REST API is "rest").
        spellings = header_spellings(request) if self.kind == "rest" else None
        target = self.resolver.resolve(
            request,
            request_id=request_id,
            epoch_ms=int(time.time() * 1000),
            header_spellings=spellings,
        )
        if isinstance(target, GatewayAnswer):
            outcome = _Outcome(answer_to_response(target), None)
            function = None
            kind = self.kind
        else:
            outcome = await self._call(target, forwarded(request, target))
            function = target.function
            kind = target.kind
        response = outcome.response
        request_id_header = FRONT_ERRORS[kind].request_id_header
        if request_id_header is not None:
            response.headers.append((request_id_header, request_id))

        def done(cold: bool | None) -> None:
            duration_ms = (time.perf_counter() - started) * 1000
            self.log.request(
                method=request.method,
                target=asked,
                status=response.status,
                duration_ms=duration_ms,
                function=function,
                cold=cold,
            )
            if self.observer is not None:
                self._observe(request, request_id, target, outcome, duration_ms)

        if isinstance(response, StreamedResponse):
            # Logged once the stream is over, with the whole of its duration.
            response.chunks = _when_over(response.chunks, outcome.running, done)
        else:
            done(outcome.cold)
        return response

    def _observe(
        self,
        request: Request,
        request_id: str,
        target: Destination | GatewayAnswer,
        outcome: _Outcome,
        duration_ms: float,
    ) -> None:
        """Hand the inspector references to what this request made; nothing is copied."""
        assert self.observer is not None
        destination = target if isinstance(target, Destination) else None
        exchange = Exchange(
            started=time.time() - duration_ms / 1000,
            request_id=request_id,
            front=self.name,
            kind=destination.kind if destination else self.kind,
            request=request,
            replay=self.handle,
            function=destination.function if destination else None,
            route=destination.route if destination else None,
            stage=destination.invocation.stage if destination else None,
            event=outcome.event,
            invocation=outcome.invocation,
            response=outcome.response,
            reason=outcome.reason,
            duration_ms=duration_ms,
        )
        self.observer(exchange)
        if outcome.running is not None:
            # Its log lines and REPORT, for the page, once the function is done after all.
            outcome.running.add_done_callback(lambda done: _late_invocation(exchange, done))

    async def _call(self, target: Destination, request: Request) -> _Outcome:
        errors = FRONT_ERRORS[target.kind]
        if target.kind in ("alb", "alb-multi") and len(request.body) > ALB_MAX_REQUEST_BODY:
            reason = self._explain(
                target, f"the request body is over ALB's {ALB_MAX_REQUEST_BODY} bytes"
            )
            return _Outcome(answer_to_response(errors.invoke_refused), None, reason=reason)
        event = target.source.request_to_event(request, target.invocation)
        payload = json.dumps(event).encode("utf-8")
        if len(payload) > SYNC_REQUEST_LIMIT:
            reason = self._explain(
                target,
                f"the event is {len(payload)} bytes, over Lambda's {SYNC_REQUEST_LIMIT}-byte "
                "limit for a synchronous invocation, so Lambda refused to run the function",
            )
            return _Outcome(answer_to_response(errors.invoke_refused), None, payload, None, reason)
        if target.streaming:
            return await self._call_streaming(target, payload)
        runtime = self.runtimes[target.function]
        task = asyncio.create_task(runtime.invoke(payload))
        try:
            await first_done(task, timeout=target.integration_timeout)
            if not task.done() and runtime.debugging:
                # A developer is stepping through the function: wait for it, not AWS's clock.
                await first_done(task, timeout=None)
        except asyncio.CancelledError:
            self._outlive(task, target)  # the client left; the function does not notice
            raise
        if not task.done():
            assert target.integration_timeout is not None and errors.integration_timeout
            self._outlive(task, target)
            timed_out = self._explain(
                target,
                f"no answer within the integration timeout of {target.integration_timeout:g} s; "
                "the function keeps running, as in AWS",
            )
            return _Outcome(
                answer_to_response(errors.integration_timeout),
                None,
                payload,
                None,
                timed_out,
                running=task,
            )
        invoked = task.result()
        response, why = self._judge(target, request, invoked)
        return _Outcome(response, invoked.cold, payload, invoked, why)

    async def _call_streaming(self, target: Destination, payload: bytes) -> _Outcome:
        """Invoke with ``InvokeWithResponseStream`` and answer with the chunks as they come.

        The integration timeout runs until the stream begins; after that the function's own
        timeout ends it, as a streaming front waits for its stream up to 15 minutes.
        """
        errors = FRONT_ERRORS[target.kind]
        failed = answer_to_response(errors.function_failed)
        runtime = self.runtimes[target.function]
        holder = StreamHolder()
        task = asyncio.create_task(runtime.invoke(payload, on_stream=holder.take))
        try:
            await first_done(holder.taken, task, timeout=target.integration_timeout)
            if not holder.taken.done() and not task.done() and runtime.debugging:
                await first_done(holder.taken, task, timeout=None)
            if holder.taken.done():
                stream = holder.taken.result()
                try:
                    status, headers, first = await read_head(stream, target.kind)
                except ResultError as error:
                    stream.close()
                    self._outlive(task, target)
                    reason = self._explain(target, f"malformed streamed response: {error}")
                    return _Outcome(failed, None, payload, None, reason, running=task)
        except asyncio.CancelledError:
            holder.abandon()  # the client left before the stream began
            self._outlive(task, target)
            raise
        if holder.taken.done():
            self.outliving.add(task)
            task.add_done_callback(self.outliving.discard)

            def ended(end: StreamEnd | None) -> None:
                if end is None:
                    self._explain(
                        target,
                        "the client disconnected mid-stream; as on AWS, the function keeps "
                        "running to its end or its timeout, and is billed for all of it "
                        "(https://docs.aws.amazon.com/lambda/latest/dg/"
                        "configuration-response-streaming.html)",
                    )
                elif end.error_type is not None or end.broken:
                    why = end.error_type or "its runtime broke the stream"
                    self._explain(
                        target,
                        f"the function failed after its stream began ({why}); the client's "
                        "response was cut short",
                    )

            chunks = relay(stream, first, ended)
            response = StreamedResponse(status, headers, chunks)
            return _Outcome(response, None, payload, None, None, running=task)
        if not task.done():
            assert target.integration_timeout is not None and errors.integration_timeout
            holder.abandon()
            self._outlive(task, target)
            timed_out = self._explain(
                target,
                f"no stream within the integration timeout of {target.integration_timeout:g} s; "
                "the function keeps running, as in AWS",
            )
            answer = answer_to_response(errors.integration_timeout)
            return _Outcome(answer, None, payload, None, timed_out, running=task)
        invoked = task.result()
        if invoked.function_error is not None:
            summary = _error_summary(invoked.payload)
            reason = self._explain(target, f"the function failed: {summary}")
            return _Outcome(failed, invoked.cold, payload, invoked, reason)
        if target.kind == "url":
            # A function that does not stream answers whole: InvokeWithResponseStream returns
            # its result as the payload, and the URL passes it on as it is.
            if target.function not in self._told_to_stream:
                self._told_to_stream.add(target.function)
                self._explain(
                    target,
                    "the function answered without streaming, so its result is the body as it "
                    "is; a Python function streams through lambgate's wrapper "
                    "(AWS_LAMBDA_EXEC_WRAPPER, see the README's Streaming section)",
                )
            whole = Response(200, [("content-type", "application/json")], invoked.payload)
            return _Outcome(whole, invoked.cold, payload, invoked)
        reason = self._explain(
            target,
            "the function answered without streaming: a REST API in STREAM mode needs the HTTP "
            "integration prelude; a Python function streams through lambgate's wrapper "
            "(AWS_LAMBDA_EXEC_WRAPPER, see the README's Streaming section)",
        )
        return _Outcome(failed, invoked.cold, payload, invoked, reason)

    def _judge(
        self, target: Destination, request: Request, invoked: InvocationResult
    ) -> tuple[Response, str | None]:
        """The function's response as the front passes it on, or the front's own error and
        why."""
        if invoked.function_error is not None:
            summary = _error_summary(invoked.payload)
            return _failed(target), self._explain(target, f"the function failed: {summary}")
        if len(invoked.payload) > target.source.result_limit:
            reason = (
                f"the result is {len(invoked.payload)} bytes, over the "
                f"{target.source.result_limit}-byte limit of this front"
            )
            return _failed(target), self._explain(target, reason)
        try:
            result = json.loads(invoked.payload)
            return target.source.result_to_response(result, request, target.invocation), None
        except ValueError as error:  # ResultError is a ValueError, and so is bad JSON
            reason = str(error) if isinstance(error, ResultError) else "the result is not JSON"
            return _failed(target), self._explain(
                target, f"malformed Lambda proxy response: {reason}"
            )

    def _explain(self, target: Destination, reason: str) -> str:
        """Log why the client got the front's error; the reason, for the inspector."""
        self.log.explain(f"{target.function} ({self.name} {target.route}): {reason}")
        return reason

    def _outlive(self, task: asyncio.Task[InvocationResult], target: Destination) -> None:
        self.outliving.add(task)

        def finished(done: asyncio.Task[InvocationResult]) -> None:
            self.outliving.discard(done)
            if done.cancelled():
                return
            error = done.exception()
            if error is None:
                took = done.result().duration_ms
                self._explain(target, f"finished after the client was answered ({took:.0f} ms)")

        task.add_done_callback(finished)

    async def close(self) -> None:
        """Cancel invocations still running after their clients were answered."""
        tasks = list(self.outliving)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _when_over(
    chunks: AsyncIterator[bytes],
    running: asyncio.Task[InvocationResult] | None,
    done: Callable[[bool | None], None],
) -> AsyncIterator[bytes]:
    """``chunks``, then ``done`` (with whether the invocation was a cold start) once both the
    stream and the invocation are over. A stream read to its end waits the moment its
    invocation takes to report, so the response ends recorded."""
    completed = False
    try:
        async for chunk in chunks:
            yield chunk
        completed = True
    finally:
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()
        if running is not None and completed and not running.done():
            await asyncio.wait({running}, timeout=REPORT_WAIT_S)
        if running is None:
            done(None)
        elif running.done():
            done(_cold(running))
        else:
            running.add_done_callback(lambda task: done(_cold(task)))


#: How long the end of a streamed response waits for its invocation's report.
REPORT_WAIT_S = 1.0


def _cold(task: asyncio.Task[InvocationResult]) -> bool | None:
    if task.cancelled() or task.exception() is not None:
        return None
    return task.result().cold


def _failed(target: Destination) -> Response:
    """The front's own answer to a failed invocation: built only then, not for every result."""
    return answer_to_response(FRONT_ERRORS[target.kind].function_failed)


def _late_invocation(exchange: Exchange, done: asyncio.Task[InvocationResult]) -> None:
    if not done.cancelled() and done.exception() is None:
        exchange.invocation = done.result()


def _error_summary(payload: bytes) -> str:
    """``ValueError: boom`` from Lambda's error document, in the words the function gave."""
    try:
        document: Any = json.loads(payload)
    except ValueError:
        return payload[:200].decode("utf-8", "replace")
    if not isinstance(document, dict):
        return str(document)[:200]
    kind = document.get("errorType") or "Error"
    message = document.get("errorMessage") or ""
    return f"{kind}: {message}" if message else str(kind)
