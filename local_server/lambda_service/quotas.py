"""Lambda's payload quotas, once for every part that enforces them.

The Invoke API refuses a request over them, the gateway refuses an event over them before it
invokes (as the Lambda API refuses API Gateway's call), and the Runtime API refuses a response
over them; all three read the numbers here.
"""

from __future__ import annotations

__all__ = ["MAX_ASYNC_PAYLOAD_BYTES", "MAX_SYNC_PAYLOAD_BYTES"]

#: "Invocation payload (request and response): 6 MB each for synchronous; 1 MB for
#: asynchronous" (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html):
#: 6,291,456 and 1,048,576 bytes.
MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024
MAX_ASYNC_PAYLOAD_BYTES = 1024 * 1024
