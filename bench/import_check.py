"""What the import check (``Works here, works on AWS``) costs a cold start and a warm invocation.

The function imports Flask (listed in its ``requirements.txt``), boto3 (which the runtime ships)
and a module of its own, and PyYAML: listed in one variant, not in the other (one warning per
cold start). Three costs are measured:

- the emulator's side: the import policy (the ``Requires-Dist`` walk), the first time and from
  its cache, as each later cold start gets it;
- the worker's side at a cold start: the time spent in the check's own code while the function
  is imported (its finder's calls, less the finding the interpreter would do anyway), in fresh
  processes; a difference of whole ``Init Duration`` s would drown in the noise of a shared
  machine (each is ~300 ms, ±30 ms);
- a warm invocation: the check puts no code on that path (modules already imported never reach
  a finder); one warm environment with the check and one without (a Makefile-built function
  with no ``--manifest`` is not checked) serve the same invocations.

Run: ``.venv/bin/python -m bench.import_check [--runs N] [--warm N]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import replace
from pathlib import Path

from lambgate.local.lambda_service.function import FunctionConfig
from lambgate.local.lambda_service.function_pool import FunctionRuntime
from lambgate.local.lambda_service.import_policy import import_policy
from lambgate.local.lambda_service.worker import import_check

__all__ = ["main"]

CODE = """
    import json

    import boto3
    import flask
    import yaml

    import helpers

    def handler(event, context):
        return helpers.echo(event)
"""

#: Run in a fresh interpreter as the worker runs (``-P``, the function's folder on
#: PYTHONPATH): installs the check, times its finder's calls and the finding it delegates.
PROBE = """
import json, os, sys, time, importlib.util
spec = importlib.util.spec_from_file_location("_lambgate_import_check", sys.argv[1])
check = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = check
spec.loader.exec_module(check)
spent = {"finder": 0.0, "delegated": 0.0}
def timed(function, key):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[key] += time.perf_counter() - started
    return wrapper
check._find_elsewhere = timed(check._find_elsewhere, "delegated")
check.ImportWatch.find_spec = timed(check.ImportWatch.find_spec, "finder")
started = time.perf_counter()
check.install(json.loads(os.environ["POLICY"]))
import app
total = time.perf_counter() - started
print(json.dumps([(spent["finder"] - spent["delegated"]) * 1000, total * 1000]))
"""


def _function(folder: Path, requirements: str) -> FunctionConfig:
    folder.mkdir()
    (folder / "app.py").write_text(textwrap.dedent(CODE))
    (folder / "helpers.py").write_text("def echo(event):\n    return event\n")
    (folder / "requirements.txt").write_text(requirements)
    return FunctionConfig(name="Bench", code_uri=folder, handler="app.handler", timeout=30.0)


def _policy_ms(config: FunctionConfig) -> float:
    started = time.perf_counter()
    import_policy(config)
    return (time.perf_counter() - started) * 1000


def _probe(config: FunctionConfig) -> tuple[float, float]:
    """Milliseconds in the check's own code, and of the whole import, in a fresh worker."""
    environment = dict(
        os.environ,
        PYTHONPATH=str(config.code_uri),
        AWS_LAMBDA_FUNCTION_NAME=config.name,
        POLICY=json.dumps(import_policy(config)),
    )
    done = subprocess.run(
        [sys.executable, "-P", "-c", PROBE, import_check.__file__],
        env=environment,
        cwd=config.code_uri,
        capture_output=True,
        text=True,
        check=True,
    )
    own, whole = json.loads(done.stdout.splitlines()[-1])
    return own, whole


async def _warm(config: FunctionConfig, count: int) -> tuple[float, float]:
    """Median ``Duration`` (ms, as REPORT says it) and mean round trip (µs) of warm invokes."""
    runtime = FunctionRuntime(config, log=lambda line: None)
    try:
        await runtime.invoke(b"{}")
        durations = []
        started = time.perf_counter()
        for _ in range(count):
            durations.append((await runtime.invoke(b'{"n": 1}')).duration_ms)
        elapsed = time.perf_counter() - started
    finally:
        await runtime.close()
    return statistics.median(durations), elapsed / count * 1e6


async def run(runs: int, warm: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        listed = _function(Path(folder) / "listed", "flask\npyyaml\n")
        unlisted = _function(Path(folder) / "unlisted", "flask\n")
        first, cached = _policy_ms(listed), _policy_ms(listed)
        print(f"emulator, import policy: {first:.1f} ms the first time, {cached:.2f} ms cached")
        for name, config in (("no warning", listed), ("one warning", unlisted)):
            probes = [_probe(config) for _ in range(runs)]
            own = statistics.median(probe[0] for probe in probes)
            whole = statistics.median(probe[1] for probe in probes)
            print(
                f"cold start, {name}: the check's own code {own:.2f} ms of {whole:.0f} ms "
                f"importing the function (medians of {runs})"
            )
        unchecked = replace(listed, build_method="makefile")
        for name, config in (("checked", listed), ("unchecked", unchecked)):
            duration, round_trip = await _warm(config, warm)
            print(
                f"warm, {name}: median Duration {duration:.3f} ms, {round_trip:.0f} µs per "
                f"invocation round trip ({warm} invocations)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="cold imports of each (default 15)")
    parser.add_argument("--warm", type=int, default=1000, help="warm invocations (default 1000)")
    args = parser.parse_args()
    asyncio.run(run(args.runs, args.warm))


if __name__ == "__main__":
    main()
