"""Lambda's invocation payload limits, in one place for the handler and the emulator.

"Invocation payload (request and response): 6 MB each for synchronous; 1 MB for asynchronous"
(https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). The Invoke API
refuses a larger request with ``RequestTooLargeException`` (413) and fails a larger response
with ``Function.ResponseSizeTooLarge``, whose message gives the exact figure: "Response
payload size exceeded maximum allowed payload size (6291556 bytes)"
(https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html).

A streamed response may be larger: "response streaming functions can return payloads up to
200 MB, compared to the 6 MB maximum for buffered responses"; "the streaming rate for the first
6 MB of your function's response is uncapped", then "Lambda streams the response at a maximum
rate of 2 MBps" (https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html).
"""

from __future__ import annotations

__all__ = [
    "ASYNC_REQUEST_LIMIT",
    "STREAMED_RESPONSE_LIMIT",
    "STREAM_CAPPED_RATE",
    "STREAM_UNCAPPED_BYTES",
    "SYNC_REQUEST_LIMIT",
    "SYNC_RESPONSE_LIMIT",
]

#: The largest synchronous event, in bytes of JSON: 6 MiB.
SYNC_REQUEST_LIMIT = 6 * 1024 * 1024
#: The largest synchronous result, in bytes of serialised JSON: 6 MiB and 100 bytes.
SYNC_RESPONSE_LIMIT = 6 * 1024 * 1024 + 100
#: The largest asynchronous (``Event``) payload: 1 MiB.
ASYNC_REQUEST_LIMIT = 1024 * 1024
#: The largest streamed response body: 200 MB (counted as MiB, as the 6 MB limit is).
STREAMED_RESPONSE_LIMIT = 200 * 1024 * 1024
#: The bytes of a streamed response sent at full speed before the bandwidth cap applies.
STREAM_UNCAPPED_BYTES = 6 * 1024 * 1024
#: The cap past those: 2 MBps, in bytes a second.
STREAM_CAPPED_RATE = 2 * 1024 * 1024
