"""The ids of a request: request ids and X-Ray trace ids, in the shapes AWS gives them, made
in one place for the Lambda service and the gateway alike.

The gateway puts a new root in ``X-Amzn-Trace-Id`` when the client sent none, and the Lambda
service hands each invocation a trace header in ``Lambda-Runtime-Trace-Id`` (the runtime puts
it in ``_X_AMZN_TRACE_ID``). Locally nothing is sampled and nothing is sent to X-Ray: the ids
only have to look like AWS's, so code that parses them works. They identify, they protect
nothing: each is a few random bits from a generator of their own, seeded from the system's
randomness, and formatted directly, for every request makes several (:func:`uuid.uuid4` costs
a system call and twice the time for each).
"""

from __future__ import annotations

import random
import time

__all__ = ["new_request_id", "trace_header", "trace_root"]

_bits = random.Random().getrandbits  # seeded from os.urandom; apart from the global generator


def new_request_id() -> str:
    """A new request id: a random (version 4) UUID, as API Gateway and Lambda write theirs."""
    digits = f"{_bits(128):032x}"
    variant = "89ab"[int(digits[16], 16) & 3]
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:]}"


def trace_root() -> str:
    """A new ``Root=1-<8 hex seconds>-<24 hex>``: version 1, the epoch time of the request and
    96 random bits
    (https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader)."""
    return f"Root=1-{int(time.time()):08x}-{_bits(96):024x}"


def trace_header() -> str:
    """A new ``Root=…;Parent=<16 hex>;Sampled=0``: the trace header of one invocation, with a
    parent segment id and the sampling decision (not sampled), as the same page describes."""
    return f"{trace_root()};Parent={_bits(64):016x};Sampled=0"
