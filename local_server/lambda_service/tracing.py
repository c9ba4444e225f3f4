"""X-Ray trace ids, in the one shape both the Lambda service and the gateway send.

The gateway puts a new root in ``X-Amzn-Trace-Id`` when the client sent none, and the Lambda
service hands each invocation a trace header in ``Lambda-Runtime-Trace-Id`` (the runtime puts
it in ``_X_AMZN_TRACE_ID``). Locally nothing is sampled and nothing is sent to X-Ray: the ids
only have to look like AWS's, so code that parses them works.
"""

from __future__ import annotations

import time
import uuid

__all__ = ["trace_header", "trace_root"]


def trace_root() -> str:
    """A new ``Root=1-<8 hex seconds>-<24 hex>``: version 1, the epoch time of the request and
    96 random bits
    (https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader)."""
    return f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"


def trace_header() -> str:
    """A new ``Root=…;Parent=<16 hex>;Sampled=0``: the trace header of one invocation, with a
    parent segment id and the sampling decision (not sampled), as the same page describes."""
    return f"{trace_root()};Parent={uuid.uuid4().hex[:16]};Sampled=0"
