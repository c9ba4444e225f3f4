"""What a function is and what one invocation of it gave back: the values every layer shares.

Kept apart from the pool (:mod:`.function_pool`) and the worker
(:mod:`.execution_environment`) so that both build them without importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from lambgate.events.base import ACCOUNT_ID, REGION

__all__ = [
    "DEFAULT_REGION",
    "FunctionConfig",
    "LATEST",
    "FunctionError",
    "HANDLER_NOT_IMPORTED",
    "InitFailed",
    "InvocationResult",
    "function_arn",
]

#: The region the emulator's ARNs name, the same as its events' (``ACCOUNT_ID`` too).
DEFAULT_REGION = REGION
#: The one version of a function the emulator runs: the unpublished ``$LATEST``
#: (https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html).
LATEST = "$LATEST"

FunctionError = Literal["Unhandled"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionConfig:
    """What the template says about one function, resolved: its execution environments are
    built from it."""

    name: str
    code_uri: Path
    handler: str
    runtime: str = "python3.11"
    timeout: float = 3.0
    memory_size: int = 128
    #: Its environment variables, before those Lambda sets (:mod:`.runtime_variables`).
    variables: Mapping[str, str] = field(default_factory=dict)
    max_concurrency: int = 10
    region: str = DEFAULT_REGION
    #: SAM's ``Metadata.BuildMethod``: ``makefile`` means a Makefile, not the
    #: ``requirements.txt`` in ``code_uri``, decides what ships (:mod:`.import_policy`).
    build_method: str | None = None
    #: The folders its layers put on ``sys.path`` after ``code_uri``, as ``/opt/python`` is
    #: in Lambda, and the requirements files their builds install.
    layer_paths: tuple[Path, ...] = ()
    layer_requirements: tuple[Path, ...] = ()

    @property
    def arn(self) -> str:
        return function_arn(self.name, self.region)


def function_arn(name: str, region: str = DEFAULT_REGION) -> str:
    """The ARN Lambda gives the function ``name`` in ``region``, in the local account."""
    return f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"


@dataclass(slots=True, kw_only=True)
class InvocationResult:
    """How one invocation went, as the Invoke API and CloudWatch would tell it.

    Treated as immutable, though not ``frozen``: one is built for every invocation, and a
    frozen dataclass's ``__init__`` costs 2.5x a plain one's (an ``object.__setattr__`` per
    field).
    """

    request_id: str
    #: The function's result, or the error document when ``function_error`` is set.
    payload: bytes
    function_error: FunctionError | None
    cold: bool
    init_duration_ms: float | None
    duration_ms: float
    billed_ms: int
    max_memory_mb: int
    report_line: str
    #: The last 4 KB of this invocation's log (``START`` … ``REPORT``).
    log_tail: bytes
    #: Bytes of a response streamed to the caller as it was written (``payload`` is then the
    #: error document or empty); ``None``: the response came whole.
    streamed: int | None = None


#: The init errors that mean the handler could not be found or imported (a module missing, a
#: name misspelt), whose message says it all, rather than that its code raised: AWS's
#: runtime's (``Runtime.*``, aws-lambda-python-runtime-interface-client
#: ``lambda_runtime_exception.py``, as ``worker/bootstrap.py`` reports them, with no traceback)
#: and ``lambgate serve APP``'s (``worker/app_handler.py``).
HANDLER_NOT_IMPORTED = frozenset(
    {
        "Runtime.ImportModuleError",
        "Runtime.HandlerNotFound",
        "Runtime.MalformedHandlerName",
        "Runtime.BuiltInModuleConflict",
        "AppNotFound",
        "AppImportError",
    }
)
#: Of those, the ones whose message starts with ``APP`` itself, and needs nothing before it.
_APP_ERRORS = frozenset({"AppNotFound", "AppImportError"})


class InitFailed(Exception):
    """An environment started ahead of any request (SAM's ``--warm-containers EAGER``) could
    not import its function's handler."""

    def __init__(self, function: str, error_type: str, message: str, log: list[str]) -> None:
        super().__init__(function, error_type, message)
        self.function = function
        self.error_type = error_type
        self.message = message
        #: The environment's log up to the failure (held, not yet shown).
        self.log = log

    @property
    def code_failed(self) -> bool:
        """Whether the function's own code raised (its log has the traceback), rather than
        its handler not being found."""
        return self.error_type not in HANDLER_NOT_IMPORTED

    def __str__(self) -> str:
        if self.error_type in _APP_ERRORS:
            return self.message
        return f"{self.function} could not start: {self.error_type}: {self.message}"
