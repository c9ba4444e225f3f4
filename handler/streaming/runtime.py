"""The streaming runtime's loop: load the handler, then serve events until Lambda stops us.

What a custom runtime must do (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html):
read the handler from ``_HANDLER``, load it (reporting ``/init/error`` if that fails), then for
each event from ``/next`` build the context from its headers, set ``_X_AMZN_TRACE_ID``, run
the handler and post its response or its error.

The handler must be lambgate's (``lambgate.lambda_handler`` or one from ``make_handler``): it
carries ``lambgate_stream``, which streams where the event source can read a stream and
otherwise returns the buffered result to post as usual.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import site
import sys
import time
from typing import Any

from ..errors import ConfigurationError
from .runtime_client import ResponseStream, RuntimeClient, RuntimeEvent

__all__ = ["InvocationContext", "load_handler", "main"]


class InvocationContext:
    """The context object of AWS's Python runtime, from ``/next``'s headers."""

    def __init__(self, invocation: RuntimeEvent, environ: dict[str, str]) -> None:
        headers = invocation.headers
        self.aws_request_id = invocation.request_id
        self.invoked_function_arn = headers.get("lambda-runtime-invoked-function-arn", "")
        self.function_name = environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        self.log_group_name = environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = _json_or_none(headers.get("lambda-runtime-cognito-identity"))
        self.client_context = _json_or_none(headers.get("lambda-runtime-client-context"))
        self._deadline_ms = int(headers.get("lambda-runtime-deadline-ms", "0"))

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)


def _json_or_none(text: str | None) -> Any:
    return json.loads(text) if text else None


def load_handler(spec: str) -> Any:
    """The handler ``module.attr`` names (Lambda's ``_HANDLER`` form), which must stream."""
    module_name, _, attr = spec.rpartition(".")
    if not module_name:
        raise ConfigurationError(f"_HANDLER must be 'module.function', got {spec!r}")
    handler = getattr(importlib.import_module(module_name), attr)
    if not callable(getattr(handler, "lambgate_stream", None)):
        raise ConfigurationError(
            f"handler {spec!r} is not lambgate's: use lambgate.lambda_handler or make_handler() "
            "with the streaming runtime"
        )
    return handler


class _RequestIdFilter(logging.Filter):
    """Stamps each record with the current invocation's request id, as Lambda's format has it."""

    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def configure_logging(environ: dict[str, str]) -> _RequestIdFilter:
    """The root logger Lambda's Python runtime installs, so the app logs as it would there.

    Text format ``[LEVEL]\ttime\trequest id\tmessage``; the root level stays Python's
    WARNING unless the function's log level (``AWS_LAMBDA_LOG_LEVEL``) sets it, so a library's
    INFO lines (botocore's "Found credentials") do not appear where Lambda would not print them
    (https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html).
    """
    request_ids = _RequestIdFilter()
    stream = logging.StreamHandler(sys.stderr)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S",
    )
    formatter.converter = time.gmtime
    stream.setFormatter(formatter)
    stream.addFilter(request_ids)
    root = logging.getLogger()
    root.addHandler(stream)
    level = environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    if level in {"TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL", "CRITICAL"}:
        root.setLevel({"TRACE": "DEBUG", "WARN": "WARNING", "FATAL": "CRITICAL"}.get(level, level))
    return request_ids


#: Where Lambda extracts a function's layers; Python code goes in their ``python`` folders
#: (https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html#packaging-layers-paths).
LAYERS_PYTHON = "/opt/python"


def set_sys_path() -> None:
    """``sys.path`` and ``PYTHONPATH`` as Lambda's Python runtime leaves them.

    Its bootstrap puts ``LAMBDA_TASK_ROOT`` first, then, unless the function sets
    ``PYTHONPATH``, the layers' ``/opt/python/lib/python3.X/site-packages`` and
    ``/opt/python``, and reads the ``.pth`` files there. The wrapper set ``PYTHONPATH`` to find
    lambgate, and passed the function's own (if any) in ``LAMBGATE_FUNCTION_PYTHONPATH``: it
    is given back, so a subprocess sees what it would see under the managed runtime.
    """
    function_pythonpath = os.environ.pop("LAMBGATE_FUNCTION_PYTHONPATH", None)
    if function_pythonpath is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = function_pythonpath
    folders = []
    task_root = os.environ.get("LAMBDA_TASK_ROOT")
    if task_root:
        folders.append(task_root)
    if function_pythonpath is None:
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        folders += [f"{LAYERS_PYTHON}/lib/python{version}/site-packages", LAYERS_PYTHON]
    sys.path[:] = folders + [entry for entry in sys.path if entry not in folders]
    for folder in folders:
        if os.path.isdir(folder):
            site.addsitedir(folder)  # its .pth files; it is on sys.path already


def main() -> int:
    set_sys_path()
    environ = dict(os.environ)
    request_ids = configure_logging(environ)
    client = RuntimeClient(environ["AWS_LAMBDA_RUNTIME_API"])
    try:
        handler = load_handler(environ.get("_HANDLER", ""))
    except Exception as exc:
        logging.getLogger("lambgate").exception("the handler could not be loaded")
        client.post_init_error(exc, "Runtime.ImportModuleError")
        return 1
    stream_entry = handler.lambgate_stream
    while True:
        invocation = client.next()
        request_ids.request_id = invocation.request_id
        trace = invocation.headers.get("lambda-runtime-trace-id")
        if trace:
            os.environ["_X_AMZN_TRACE_ID"] = trace
        context = InvocationContext(invocation, environ)

        def open_stream(request_id: str = invocation.request_id) -> ResponseStream:
            return client.stream(request_id)

        try:
            result = stream_entry(json.loads(invocation.body), context, open_stream)
        except Exception as exc:
            logging.getLogger("lambgate").exception("the invocation failed")
            client.post_error(invocation.request_id, exc)
            continue
        if result is not None:
            client.post_result(invocation.request_id, json.dumps(result).encode())
