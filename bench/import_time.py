"""What ``import lambgate`` adds to a cold start.

``python -c "PRELOAD; import lambgate"`` and ``python -c "PRELOAD"`` run alternately, many
times, and the medians are compared: the difference is what lambgate costs at init. The
interpreter setups: the project's venv as it is (``site`` runs and preloads what the venv's
``.pth`` files import), with and without ``.pyc`` files; ``-S``, where nothing is preloaded,
the worst case; and ``-S`` after what the Lambda Python runtime has imported before it loads
any handler (``json``, ``logging``, ``traceback``, ``decimal``, ``threading``: awslambdaric's
bootstrap), which is what a function really pays. ``-X importtime`` then names the modules that
cost most, and a last run checks that nothing heavy came in behind the scenes.

Run: ``.venv/bin/python -m bench.import_time [--runs N]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.measure import Row, format_details, format_table

__all__ = ["FORBIDDEN", "main", "run"]

ROOT = Path(__file__).resolve().parent.parent
TARGET_ADDED_MS = 10.0
#: Modules ``import lambgate`` must not bring in: the event loop (WSGI apps never need it) and
#: the AWS libraries lambgate integrates with only when the user passes them in.
FORBIDDEN = ("asyncio", "boto3", "botocore", "aws_lambda_powertools")


class Setup:
    """An interpreter configuration: flags, and whether compiled ``.pyc`` files are used.

    Without them every module is compiled from source at each start, which is what Lambda does
    for a package deployed without ``__pycache__`` (``/var/task`` is read-only, so nothing is
    ever cached). With them, they are kept in a private ``pycache_prefix``, never in the repo.
    """

    def __init__(
        self, flags: list[str], pyc: bool, preload: str, cache_dir: str, task_root: str
    ) -> None:
        self.flags = flags
        #: Statements run before ``import lambgate`` and in the peer alike.
        self.preload = preload
        self.task_root = task_root
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        if pyc:
            self.env["PYTHONPYCACHEPREFIX"] = cache_dir
        else:
            self.env["PYTHONDONTWRITEBYTECODE"] = "1"

    def run(self, code: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *self.flags, *extra, "-c", code],
            cwd=self.task_root,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )


def _wall_ms(setup: Setup, code: str) -> float:
    start = time.perf_counter()
    setup.run(code)
    return (time.perf_counter() - start) * 1e3


def median_ms(setup: Setup, runs: int) -> tuple[float, float]:
    """Medians of ``(PRELOAD; import lambgate, PRELOAD)``, run alternately so that drift hits
    both."""
    ours_code = f"{setup.preload}; import lambgate"
    _wall_ms(setup, ours_code)  # write .pyc files once, outside the measurement
    ours, peer = [], []
    for _ in range(runs):
        ours.append(_wall_ms(setup, ours_code))
        peer.append(_wall_ms(setup, setup.preload))
    return statistics.median(ours), statistics.median(peer)


def _importtime(setup: Setup, code: str) -> dict[str, tuple[int, int]]:
    """``{module: (self µs, cumulative µs)}`` from one ``-X importtime`` run."""
    proc = setup.run(code, "-X", "importtime")
    times = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|")
        times[name.strip()] = (int(self_us), int(cumulative_us))
    return times


def offenders(setup: Setup, samples: int = 7, top: int = 12) -> list[tuple[str, int, int]]:
    """The modules ``import lambgate`` adds, costliest first by self time (best of
    ``samples`` runs each, which removes most of the noise of a single run)."""
    preloaded = set(_importtime(setup, setup.preload))
    best: dict[str, tuple[int, int]] = {}
    for _ in range(samples):
        code = f"{setup.preload}; import lambgate"
        for name, (self_us, cumulative_us) in _importtime(setup, code).items():
            if name in preloaded:
                continue
            old = best.get(name)
            best[name] = (
                (self_us, cumulative_us)
                if old is None
                else (min(old[0], self_us), min(old[1], cumulative_us))
            )
    ranked = sorted(best.items(), key=lambda item: -item[1][0])
    return [(name, self_us, cumulative_us) for name, (self_us, cumulative_us) in ranked[:top]]


_MODULES_CODE = """
import sys
{preload}
before = set(sys.modules)
import lambgate
import json
print(json.dumps([sorted(set(sys.modules) - before), sorted(sys.modules)]))
"""


def modules_after_import(setup: Setup) -> tuple[list[str], list[str]]:
    """``(modules import lambgate added, forbidden modules in sys.modules afterwards)``."""
    proc = setup.run(_MODULES_CODE.format(preload=setup.preload))
    added, everything = json.loads(proc.stdout)
    return added, [name for name in everything if name.partition(".")[0] in FORBIDDEN]


#: What the Lambda Python runtime (awslambdaric's bootstrap) has imported before it loads the
#: function's handler.
LAMBDA_RUNTIME_PRELOAD = "import json, logging, traceback, decimal, threading"

#: ``label: (flags, pyc, preload)``
SETUPS = {
    "venv, .pyc": ([], True, "pass"),
    "venv, no .pyc": ([], False, "pass"),
    "-S (no site), .pyc": (["-S"], True, "pass"),
    "-S, after the Lambda runtime's imports": (["-S"], True, LAMBDA_RUNTIME_PRELOAD),
}


def run(runs: int = 30) -> list[Row]:
    if (ROOT / "handler" / "__pycache__").exists():
        print("note: handler/__pycache__ exists; the 'no .pyc' rows will use it")
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="lambgate-pyc-") as cache_dir,
        tempfile.TemporaryDirectory(prefix="lambgate-task-") as task_root,
    ):
        # The package as Lambda sees it: handler/ as lambgate in the function's folder (the
        # working directory, first on sys.path), found also with -S, where no .pth file runs.
        os.symlink(ROOT / "handler", os.path.join(task_root, "lambgate"))
        for label, (flags, pyc, preload) in SETUPS.items():
            rows.append(_row(label, Setup(flags, pyc, preload, cache_dir, task_root), runs))
    return rows


def _row(label: str, setup: Setup, runs: int) -> Row:
    ours, peer = median_ms(setup, runs)
    top = offenders(setup)
    added, forbidden = modules_after_import(setup)
    if forbidden:
        verdict = f"FORBIDDEN in sys.modules: {', '.join(forbidden)}"
    else:
        verdict = f"{', '.join(FORBIDDEN)} not in sys.modules"
    return Row(
        case=f"import lambgate, {label}",
        ours=ours,
        peer=peer,
        peer_name="preload" if setup.preload != "pass" else "-c pass",
        target=TARGET_ADDED_MS,
        target_is_added=True,
        unit="ms, median",
        note=f"{ours - peer:+.1f} ms; {len(added)} new modules; {verdict}",
        details=tuple((f"{name} (cumulative {cum} µs)", self_us) for name, self_us, cum in top),
    )


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="runs of each command")
    args = parser.parse_args(argv)
    rows = run(args.runs)
    print(format_table(rows))
    print(format_details(rows))
    return rows


if __name__ == "__main__":
    main()
