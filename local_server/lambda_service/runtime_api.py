"""The Lambda Runtime API (version 2018-06-01) that one execution environment talks to.

An environment's runtime — our lean :mod:`.worker.bootstrap` or AWS's own
``awslambdaric`` — learns the endpoint from ``AWS_LAMBDA_RUNTIME_API`` and drives everything
through four calls, as in Lambda (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):

- ``GET  /2018-06-01/runtime/invocation/next``          long-poll for the next event
- ``POST /2018-06-01/runtime/invocation/{id}/response`` the handler's result
- ``POST /2018-06-01/runtime/invocation/{id}/error``    the handler's error
- ``POST /2018-06-01/runtime/init/error``               the handler could not be loaded

:class:`RuntimeAPI` is the state of that conversation for one environment and answers each
call as :class:`lambgate.model.Request` → :class:`lambgate.model.Response`; the socket is
``lambgate.local.front.server``'s. Status codes follow the OpenAPI file AWS publishes with that page
(``runtime-api.zip``): 202 on accepted posts, 400 for an unknown request id, 403 for a call the
current state forbids, 413 for an oversized response.

Every call is answered synchronously but the long-poll: a ``/next`` with no event waiting gets
a future, which :meth:`RuntimeAPI.submit` resolves with the event. No task runs per call, and
an event submitted to a runtime already waiting is on its way before ``submit`` returns.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from lambgate.events.headers import native
from lambgate.lambda_limits import STREAMED_RESPONSE_LIMIT, SYNC_RESPONSE_LIMIT
from lambgate.local.front.streams import RequestBodyStream
from lambgate.local.front.wire import RequestHead
from lambgate.model import Request, Response

from .response_stream import TOO_LARGE, InvocationStream, StreamEnd

__all__ = [
    "MAX_RESPONSE_BYTES",
    "InvocationRequest",
    "RuntimeAPI",
    "RuntimeReply",
]

#: Largest synchronous response Lambda accepts from a runtime; larger posts get 413 and the
#: caller sees ``Function.ResponseSizeTooLarge``.
MAX_RESPONSE_BYTES = SYNC_RESPONSE_LIMIT

ERROR_TYPE_HEADER = "lambda-runtime-function-error-type"
RESPONSE_MODE_HEADER = "lambda-runtime-function-response-mode"
JSON = [("content-type", "application/json")]

ReplyKind = Literal["response", "error", "too_large"]


@dataclass(frozen=True, slots=True, kw_only=True)
class InvocationRequest:
    """One event waiting to be handed to the runtime by ``/next``, with its headers' values."""

    request_id: str
    payload: bytes
    deadline_ms: int
    invoked_function_arn: str
    trace_id: str
    client_context: str | None = None
    cognito_identity: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RuntimeReply:
    """What the runtime posted for an invocation (or for its init), and when it arrived."""

    kind: ReplyKind
    body: bytes
    #: ``Lambda-Runtime-Function-Error-Type``: Lambda builds the error from it when the body is
    #: missing or unreadable (note at the top of the OpenAPI file).
    error_type: str | None
    at: float
    #: Posted in streaming mode (``Lambda-Runtime-Function-Response-Mode: streaming``): the
    #: reply comes at the post's head, and ``stream`` brings the body as it is written (a
    #: prelude first when its content type is the HTTP integration's).
    stream: InvocationStream | None = None

    @property
    def streamed(self) -> bool:
        return self.stream is not None


@dataclass(slots=True)
class _InFlight:
    """The invocation the runtime holds between ``/next`` and its reply."""

    request: InvocationRequest
    delivered: asyncio.Future[float]
    reply: asyncio.Future[RuntimeReply]


#: What a call is answered with: a response now, or (a waiting ``/next``) a future one.
Answer = Response | asyncio.Future[Response]


@dataclass(slots=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    call: Callable[[RuntimeAPI, Request, re.Match[str]], Answer]


def _error(status: int, error_type: str, message: str) -> Response:
    body = json.dumps({"errorMessage": message, "errorType": error_type}).encode()
    return Response(status=status, headers=list(JSON), body=body)


ACCEPTED = Response(status=202, headers=list(JSON), body=b'{"status":"OK"}')


@dataclass(slots=True, eq=False)
class RuntimeAPI:
    """One environment's side of the Runtime API: a one-slot mailbox of events and replies.

    The environment :meth:`submit` s an invocation and awaits the two futures it gets back
    (delivered to the runtime, replied to); the HTTP handler :meth:`handle` feeds them. Nothing
    here reads a clock but the event loop's, so durations come out of the reply timestamps.
    """

    #: Resolved with the loop time of the first ``/next``: the runtime finished its init.
    initialized: asyncio.Future[float] = field(init=False)
    #: Resolved when the runtime reports ``/init/error``.
    init_error: asyncio.Future[RuntimeReply] = field(init=False)
    _loop: asyncio.AbstractEventLoop = field(init=False)
    #: The invocation submitted and not yet delivered (one slot: one at a time).
    _pending: _InFlight | None = field(init=False, default=None)
    #: ``/next`` calls waiting for an invocation, oldest first.
    _polls: deque[asyncio.Future[Response]] = field(init=False)
    _current: _InFlight | None = field(init=False, default=None)
    #: The largest streamed response: Lambda's 200 MB.
    stream_limit: int = STREAMED_RESPONSE_LIMIT
    #: Resolved by the runtime's first ``/next`` since the current invocation was delivered
    #: (:meth:`next_poll`).
    _next_poll: asyncio.Future[float] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.initialized = self._loop.create_future()
        self.init_error = self._loop.create_future()
        self._polls = deque()

    def submit(
        self, request: InvocationRequest
    ) -> tuple[asyncio.Future[float], asyncio.Future[RuntimeReply]]:
        """Hand ``request`` to the runtime's ``/next``; one at a time per environment."""
        if self._pending is not None:
            raise RuntimeError("an invocation is already waiting for this runtime")
        in_flight = _InFlight(request, self._loop.create_future(), self._loop.create_future())
        while self._polls:
            poll = self._polls.popleft()
            if not poll.done():  # a /next whose connection dropped was cancelled
                poll.set_result(self._deliver(in_flight))
                break
        else:
            self._pending = in_flight
        return in_flight.delivered, in_flight.reply

    @staticmethod
    def streams_body(head: RequestHead) -> bool:
        """Whether the front should hand on this request at its head, its body to follow as
        it arrives (``start_server(streams_body=...)``): a streamed ``/response`` post."""
        return (
            head.method == "POST"
            and head.target.endswith(b"/response")
            and (b"lambda-runtime-function-response-mode", b"streaming") in head.headers
        )

    def handle(self, request: Request) -> Answer:
        if request.path == NEXT_PATH:  # the call of every invocation: no pattern to try
            if request.method != "GET":
                return _error(405, "MethodNotAllowed", f"{request.method} is not allowed here")
            return self._next()
        for route in ROUTES:
            match = route.pattern.fullmatch(request.path)
            if match is None:
                continue
            if request.method != route.method:
                return _error(405, "MethodNotAllowed", f"{request.method} is not allowed here")
            return route.call(self, request, match)
        return _error(404, "NotFound", f"No Runtime API resource at {request.path}")

    def next_poll(self) -> asyncio.Future[float]:
        """Resolved (with the loop time) when the runtime next asks for an event: it is done
        with the invocation in hand, even one whose stream was cut short."""
        if self._next_poll is None:
            self._next_poll = self._loop.create_future()
        return self._next_poll

    def _next(self) -> Answer:
        if not self.initialized.done():
            self.initialized.set_result(self._loop.time())
        asked = self.next_poll()
        if not asked.done():
            asked.set_result(self._loop.time())
        if self._pending is not None:
            in_flight, self._pending = self._pending, None
            return self._deliver(in_flight)
        poll: asyncio.Future[Response] = self._loop.create_future()
        self._polls.append(poll)
        return poll

    def _deliver(self, in_flight: _InFlight) -> Response:
        """The ``/next`` response carrying ``in_flight``, which is now the current one."""
        self._current = in_flight
        self._next_poll = None
        if not in_flight.delivered.done():
            in_flight.delivered.set_result(self._loop.time())
        event = in_flight.request
        headers = [
            ("content-type", "application/json"),
            ("lambda-runtime-aws-request-id", event.request_id),
            ("lambda-runtime-deadline-ms", str(event.deadline_ms)),
            ("lambda-runtime-invoked-function-arn", event.invoked_function_arn),
            ("lambda-runtime-trace-id", event.trace_id),
        ]
        if event.client_context is not None:
            headers.append(("lambda-runtime-client-context", native(event.client_context)))
        if event.cognito_identity is not None:
            headers.append(("lambda-runtime-cognito-identity", native(event.cognito_identity)))
        return Response(status=200, headers=headers, body=event.payload)

    def _reply(self, request: Request, match: re.Match[str]) -> Answer:
        current = self._current
        if current is None or current.request.request_id != match["request_id"]:
            return _error(400, "InvalidRequestID", f"Invalid request ID: {match['request_id']}")
        if current.reply.done():
            return _error(403, "InvalidStateTransition", "The invocation was already answered")
        at = self._loop.time()
        if match["kind"] == "response" and request.header(RESPONSE_MODE_HEADER) == "streaming":
            return self._streamed(current, request, at)
        if match["kind"] == "response" and len(request.body) > MAX_RESPONSE_BYTES:
            current.reply.set_result(
                RuntimeReply(kind="too_large", body=b"", error_type=None, at=at)
            )
            return _error(
                413,
                "RequestEntityTooLarge",
                f"Exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).",
            )
        kind: ReplyKind = "response" if match["kind"] == "response" else "error"
        current.reply.set_result(
            RuntimeReply(kind=kind, body=request.body, error_type=_error_type(request), at=at)
        )
        return ACCEPTED

    def _streamed(self, current: _InFlight, request: Request, at: float) -> Answer:
        """A streamed response: the invocation gets it now, and reads the body as it comes;
        the post is answered at its end (202, or 413 past Lambda's 200 MB)."""
        body = getattr(request, "body_stream", None)
        if not isinstance(body, RequestBodyStream):
            # The whole post arrived at once (a front without streams_body): its trailers
            # were read as headers.
            body = RequestBodyStream(resume=_nothing, abort=_nothing)
            body.feed(request.body)
            body.end(list(request.headers))
        answer: asyncio.Future[Response] = self._loop.create_future()

        def ended(end: StreamEnd) -> None:
            if answer.done():
                return
            if end.error_type == TOO_LARGE and end.error_body is not None:
                message = json.loads(end.error_body)["errorMessage"]
                answer.set_result(_error(413, "RequestEntityTooLarge", message))
            else:
                answer.set_result(ACCEPTED)

        stream = InvocationStream(
            body,
            content_type=request.header("content-type") or "application/octet-stream",
            on_end=ended,
            limit=self.stream_limit,
        )
        current.reply.set_result(
            RuntimeReply(kind="response", body=b"", error_type=None, at=at, stream=stream)
        )
        return answer

    def _init_error(self, request: Request, match: re.Match[str]) -> Answer:
        if self.initialized.done() or self.init_error.done():
            return _error(403, "InvalidStateTransition", "Init already completed")
        at = self._loop.time()
        self.init_error.set_result(
            RuntimeReply(kind="error", body=request.body, error_type=_error_type(request), at=at)
        )
        return ACCEPTED


def _nothing() -> None:
    """A whole body needs no resuming, and has no connection of its own to drop."""


def _error_type(request: Request) -> str | None:
    return request.header(ERROR_TYPE_HEADER)


NEXT_PATH = "/2018-06-01/runtime/invocation/next"

ROUTES = (
    _Route(
        "POST",
        re.compile(
            r"/2018-06-01/runtime/invocation/(?P<request_id>[^/]+)/(?P<kind>response|error)"
        ),
        RuntimeAPI._reply,
    ),
    _Route("POST", re.compile(r"/2018-06-01/runtime/init/error"), RuntimeAPI._init_error),
)
