"""Lambda's invocation payload limits, in one place for the handler and the emulator.

"Invocation payload (request and response): 6 MB each for synchronous; 1 MB for asynchronous"
(https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). The Invoke API
refuses a larger request with ``RequestTooLargeException`` (413) and fails a larger response
with ``Function.ResponseSizeTooLarge``, whose message gives the exact figure: "Response
payload size exceeded maximum allowed payload size (6291556 bytes)"
(https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html).
"""

from __future__ import annotations

__all__ = ["ASYNC_REQUEST_LIMIT", "SYNC_REQUEST_LIMIT", "SYNC_RESPONSE_LIMIT"]

#: The largest synchronous event, in bytes of JSON: 6 MiB.
SYNC_REQUEST_LIMIT = 6 * 1024 * 1024
#: The largest synchronous result, in bytes of serialised JSON: 6 MiB and 100 bytes.
SYNC_RESPONSE_LIMIT = 6 * 1024 * 1024 + 100
#: The largest asynchronous (``Event``) payload: 1 MiB.
ASYNC_REQUEST_LIMIT = 1024 * 1024
