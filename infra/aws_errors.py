"""What went wrong talking to AWS, in words a user can act on, and when to try again.

botocore already retries throttled calls (``standard`` retry mode, configured in
:func:`retry_config`). What it gives up on, and the conflicts Lambda reports while a
previous update is still being applied, get a second, longer backoff here.

Exceptions::

    DeployError          a message for the user; ``lambgate deploy`` exits 1 with it
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = [
    "DeployError",
    "THROTTLING_CODES",
    "error_code",
    "explain",
    "is_retryable",
    "retry_config",
    "with_backoff",
]

T = TypeVar("T")

# Codes AWS services use for "slow down"; botocore's standard retry mode knows the same list
# (botocore/retries/standard.py, ThrottlingErrorDetector). Lambda answers 429
# TooManyRequestsException: https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)
# Messages of errors that clear by themselves, by error code:
# - Lambda refuses a change while the last one is still applied ("The operation cannot be
#   performed at this time. An update is in progress for resource: ..."):
#   https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html
# - a role created seconds ago is not yet visible to Lambda ("The role defined for the
#   function cannot be assumed by Lambda"): IAM is eventually consistent,
#   https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html
TRANSIENT_MESSAGES = {
    "ResourceConflictException": "in progress",
    "InvalidParameterValueException": "cannot be assumed by Lambda",
}


class DeployError(Exception):
    """A deploy step failed; the message says what to do about it."""


def error_code(error: BaseException) -> str | None:
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return None
    code = response.get("Error", {}).get("Code")
    return code if isinstance(code, str) else None


def _error_message(error: BaseException) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        message = response.get("Error", {}).get("Message")
        if isinstance(message, str):
            return message
    return str(error)


def is_retryable(error: BaseException) -> bool:
    code = error_code(error)
    if code is None:
        return False
    if code in THROTTLING_CODES:
        return True
    fragment = TRANSIENT_MESSAGES.get(code)
    return fragment is not None and fragment in _error_message(error)


def with_backoff(
    call: Callable[[], T],
    *,
    attempts: int = 6,
    base_delay: float = 1.0,
    max_delay: float = 20.0,
    sleep: Callable[[float], None] = time.sleep,
    jitter: Callable[[], float] = random.random,
) -> T:
    """Run ``call``; on a retryable error wait (exponential, full jitter) and run it again.

    Full jitter spreads the retries of many clients throttled at once:
    https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
    """
    for attempt in range(attempts):
        try:
            return call()
        except Exception as error:
            if not is_retryable(error) or attempt == attempts - 1:
                raise
            sleep(jitter() * min(max_delay, base_delay * 2**attempt))
    raise AssertionError("unreachable: the last attempt returns or raises")


def retry_config() -> Any:
    """botocore's ``standard`` retries, unless the user chose theirs with AWS_RETRY_MODE or
    AWS_MAX_ATTEMPTS (an explicit Config would override those)."""
    from botocore.config import Config  # type: ignore[import-untyped]

    if "AWS_RETRY_MODE" in os.environ or "AWS_MAX_ATTEMPTS" in os.environ:
        return Config()
    return Config(retries={"mode": "standard", "max_attempts": 8})


def explain(error: BaseException) -> str:
    """The message ``lambgate deploy`` prints for an error from boto3 or botocore."""
    from botocore import exceptions  # type: ignore[import-untyped]

    code = error_code(error)
    if isinstance(error, exceptions.NoCredentialsError | exceptions.PartialCredentialsError):
        return (
            f"no usable AWS credentials ({error}): run `aws configure` or `aws sso login`, "
            "pass --profile, or set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
        )
    if isinstance(error, exceptions.NoRegionError):
        return (
            "no AWS region: pass --region, set AWS_REGION or AWS_DEFAULT_REGION, "
            "or set region in your AWS profile"
        )
    if isinstance(error, exceptions.ProfileNotFound):
        return f"{error}: check --profile / AWS_PROFILE against ~/.aws/config"
    if isinstance(error, exceptions.EndpointConnectionError | exceptions.ConnectionClosedError):
        return f"cannot reach AWS ({error}); check the network, --region and AWS_ENDPOINT_URL"
    if code in {"ExpiredToken", "ExpiredTokenException"}:
        return "your AWS session has expired: log in again (e.g. `aws sso login`)"
    if code in {"UnrecognizedClientException", "InvalidClientTokenId", "SignatureDoesNotMatch"}:
        return f"AWS rejected the credentials ({code}): check the access key or profile"
    if code in {"AccessDenied", "AccessDeniedException"}:
        return f"access denied: {_error_message(error)}"
    if code in THROTTLING_CODES:
        return (
            f"AWS kept throttling the requests ({code}) after retries with backoff; "
            "wait a minute and run the deploy again"
        )
    if code is not None:
        operation = getattr(error, "operation_name", "")
        where = f" in {operation}" if operation else ""
        return f"{code}{where}: {_error_message(error)}"
    return f"{type(error).__name__}: {error}"
