"""The error documents a failed invocation answers with, worded as Lambda words them.

The caller of the Invoke API sees ``{"errorType": …, "errorMessage": …}`` with
``X-Amz-Function-Error: Unhandled``
(https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html).
"""

from __future__ import annotations

import json
import signal

from .runtime_api import MAX_RESPONSE_BYTES, RuntimeReply

__all__ = [
    "error_document",
    "error_payload",
    "exit_description",
    "response_too_large_document",
    "runtime_exit_document",
    "timeout_document",
]


def exit_description(returncode: int) -> str:
    """The process status as Lambda words it: ``exit status 3``, ``signal: segmentation fault``.

    Lambda's service is written in Go and prints Go's ``ProcessState`` (seen in function
    errors such as "Runtime exited with error: signal: killed"); Linux's ``strsignal`` gives
    the same words as Go's signal table once lower-cased.
    """
    if returncode >= 0:
        return f"exit status {returncode}"
    number = -returncode
    try:
        name = signal.strsignal(signal.Signals(number)) or f"signal {number}"
    except ValueError:
        name = f"signal {number}"
    return f"signal: {name.lower()}"


def error_document(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


def error_payload(reply: RuntimeReply) -> bytes:
    """The error document the caller sees: the runtime's body, or one built from its header.

    "Lambda's default behavior is to use Lambda-Runtime-Function-Error-Type header value to
    construct an error response when error payload is not provided or can not be read."
    (the Runtime API's OpenAPI file).
    """
    try:
        document = json.loads(reply.body)
    except ValueError:
        document = None
    if isinstance(document, dict):
        return reply.body
    return error_document(reply.error_type or "Runtime.Unknown", "Unknown application error.")


def response_too_large_document() -> bytes:
    # https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
    message = (
        f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."
    )
    return error_document("Function.ResponseSizeTooLarge", message)


def runtime_exit_document(request_id: str, status: str) -> bytes:
    message = f"RequestId: {request_id} Error: Runtime exited with error: {status}"
    return error_document("Runtime.ExitError", message)


def timeout_document(request_id: str, timeout: float) -> bytes:
    """Lambda ends the environment at the deadline and answers ``Sandbox.Timedout``."""
    message = f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds"
    return error_document("Sandbox.Timedout", message)
