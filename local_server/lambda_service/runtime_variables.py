"""The environment variables a worker starts with: Lambda's reserved ones and the developer's
credentials, as ``sam local`` sets them
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from .function import LATEST, FunctionConfig

__all__ = [
    "RUNTIME_DIR",
    "CREDENTIAL_VARIABLES",
    "DUMMY_CREDENTIALS",
    "MANAGEMENT_API_ENDPOINT_VARIABLE",
    "developer_credentials",
    "with_management_endpoint",
    "log_stream_name",
    "runtime_variables",
]

#: boto3's service-specific endpoint setting for ``apigatewaymanagementapi``
#: (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html): set in the
#: environment of a WebSocket API's functions so ``post_to_connection`` reaches the emulator.
MANAGEMENT_API_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"


def with_management_endpoint(config: FunctionConfig, url: str) -> FunctionConfig:
    """``config`` whose functions' boto3 calls the emulator's ``@connections`` API at ``url``
    (``http://127.0.0.1:PORT/STAGE``), unless the developer set the variable themselves."""
    if MANAGEMENT_API_ENDPOINT_VARIABLE in config.variables:
        return config
    return replace(config, variables={**config.variables, MANAGEMENT_API_ENDPOINT_VARIABLE: url})


#: Where lambgate's runtime client lives, as ``/var/runtime`` holds AWS's in Lambda.
RUNTIME_DIR = os.path.join(os.path.dirname(__file__), "worker")


def runtime_variables(config: FunctionConfig, runtime_api: str, stream: str) -> dict[str, str]:
    """The environment variables of a worker: the function's own plus those Lambda sets.

    Reserved names win over the template's; ``PATH``, ``LANG`` and ``PYTHONPATH`` are not
    reserved and the template may set them, with ``CodeUri`` kept first on the path
    (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime)
    and the layers' folders last.
    """
    code_uri = str(config.code_uri.resolve())
    python = config.runtime.removeprefix("python")
    extra_path = os.pathsep.join(
        filter(None, (config.variables.get("PYTHONPATH"), *map(str, config.layer_paths)))
    )
    return {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        **config.variables,
        "PYTHONPATH": os.pathsep.join(filter(None, (code_uri, extra_path))),
        # Output reaches the log as it is printed, as in Lambda, not when a buffer fills.
        "PYTHONUNBUFFERED": "1",
        "AWS_LAMBDA_FUNCTION_NAME": config.name,
        "AWS_LAMBDA_FUNCTION_VERSION": LATEST,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_size),
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{config.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": stream,
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{python}",
        "AWS_REGION": config.region,
        "AWS_DEFAULT_REGION": config.region,
        **developer_credentials(os.environ),
        # SAM CLI's "Variable that says this function is running in Local Lambda".
        "AWS_SAM_LOCAL": "true",
        "_HANDLER": config.handler,
        "LAMBDA_TASK_ROOT": code_uri,
        "LAMBDA_RUNTIME_DIR": str(Path(RUNTIME_DIR).resolve()),
        "TZ": ":UTC",
    }


#: Where the developer's SDK finds credentials: forwarded so the function calls AWS as them.
CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
)

#: Keys that only keep SDK clients constructible when the developer has no credentials.
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "ASIALAMBGATELOCAL000",
    "AWS_SECRET_ACCESS_KEY": "lambgate-local-secret-access-key",
    "AWS_SESSION_TOKEN": "lambgate-local-session-token",
}


def developer_credentials(shell: Mapping[str, str]) -> dict[str, str]:
    """The credentials a function runs with: the developer's own, as SAM CLI gives them.

    In Lambda these are the execution role's keys; ``sam local`` passes the developer's
    (``samcli/local/lambdafn/env_vars.py``, ``_get_aws_variables``), so code calling DynamoDB
    or S3 works locally. The profile and files are forwarded with ``HOME`` for the SDK to read
    them itself; dummy keys only when the developer has none anywhere.
    """
    forwarded = {name: shell[name] for name in CREDENTIAL_VARIABLES if shell.get(name)}
    home = shell.get("HOME") or ""
    if home:
        forwarded["HOME"] = home
    has_files = bool(home) and any(
        (Path(home) / ".aws" / name).is_file() for name in ("credentials", "config")
    )
    if not forwarded.keys() & set(CREDENTIAL_VARIABLES) and not has_files:
        forwarded |= DUMMY_CREDENTIALS
    return forwarded


def log_stream_name() -> str:
    """``YYYY/MM/DD/[$LATEST]<32 hex>``, the shape of Lambda's log stream names."""
    return f"{time.strftime('%Y/%m/%d', time.gmtime())}/[{LATEST}]{uuid.uuid4().hex}"
