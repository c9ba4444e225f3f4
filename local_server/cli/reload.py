"""``lambgate serve --reload``: a code change retires the environments that ran the old code.

:class:`CodeWatcher` watches every function's ``CodeUri`` (for ``lambgate serve APP``, the
app's folder) with watchfiles, whose Rust core uses inotify (or polling where inotify does not
reach, as watchfiles decides). Which changed files count is uvicorn's rule
(:mod:`.reload_filter`: ``*.py`` and ``--reload-include``, minus ``--reload-exclude``, hidden
files, caches and virtualenvs), so the logs, databases and uploads an app writes in its folder
do not reload it. When code under a ``CodeUri`` changes, that function's environments are
recycled (:meth:`~lambgate.local.lambda_service.function_pool.FunctionRuntime.recycle`): idle
ones end at once, busy ones after their answer, and the next request is a cold start that
imports the new code, with no build step.

The template and the ``--env-vars`` file are watched too: they decide more than code does
(routes, ports, variables), so a change to either is handed to ``on_config_change``, and
:func:`~.serve.serve` starts the emulator again from them.

Stale bytecode. Python trusts a ``__pycache__`` entry whose recorded source mtime (whole
seconds) and size match the source, so a module rewritten within the same second at the same
size would be served from the old ``.pyc``. Two measures close that:

- workers under ``--reload`` run with ``python -B`` (:data:`WORKER_COMMAND`), so no generation
  of workers writes bytecode a later one could mistake for current. ``-B`` rather than
  ``PYTHONDONTWRITEBYTECODE``: the function's environment stays exactly what it is without
  ``--reload`` (and as in Lambda), and processes the function starts are unaffected;
- the ``.pyc`` of every changed ``.py`` file is dropped before its function is recycled, for
  bytecode some other process (a test run, an editor) wrote meanwhile.

A fresh ``PYTHONPYCACHEPREFIX`` per generation would also be safe, but every cold start would
then compile every library (Django, boto3) from source again: seconds, not milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from watchfiles import watch

from lambgate.local.gateway.access_log import AccessLog
from lambgate.local.lambda_service.function_pool import WORKER_COMMAND as PLAIN_WORKER_COMMAND
from lambgate.local.lambda_service.function_pool import FunctionRuntime

from .reload_filter import ReloadFilter

__all__ = ["WORKER_COMMAND", "CodeWatcher"]

#: The worker command under ``--reload``: lambgate's runtime client, writing no bytecode.
WORKER_COMMAND = (PLAIN_WORKER_COMMAND[0], "-B", *PLAIN_WORKER_COMMAND[1:])

#: watchfiles groups changes until none came for ``STEP_MS``, and for ``DEBOUNCE_MS`` at most,
#: so an editor's burst of writes is one reload, well within a second of the last write.
STEP_MS = 50
DEBOUNCE_MS = 400
#: How often the watching thread comes back to Python with no change: its first return tells
#: :meth:`CodeWatcher.start` that the watches are in place.
READY_POLL_MS = 200
#: Bounds on waiting for the watcher thread to come up and to stop.
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0


class CodeWatcher:
    """Recycles a function's environments when code under its ``CodeUri`` changes, and calls
    ``on_config_change`` when one of ``config_files`` does."""

    def __init__(
        self,
        runtimes: Mapping[str, FunctionRuntime],
        log: AccessLog,
        *,
        code_filter: ReloadFilter | None = None,
        config_files: Iterable[Path] = (),
        on_config_change: Callable[[Path], None] | None = None,
    ) -> None:
        self.runtimes = runtimes
        self.log = log
        #: Each watched path and the functions whose code lives under it.
        self.code_uris: dict[Path, list[str]] = {}
        for name, runtime in runtimes.items():
            self.code_uris.setdefault(runtime.config.code_uri.resolve(), []).append(name)
        self.code_filter = code_filter or ReloadFilter()
        self.config_files = tuple(dict.fromkeys(path.resolve() for path in config_files))
        self.on_config_change = on_config_change
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._stopped: list[asyncio.Future[None]] = []
        self._recycling: set[asyncio.Task[None]] = set()

    @property
    def watched(self) -> list[Path]:
        """The outermost existing ``CodeUri`` s: a nested one is already watched through its
        parent."""
        return _outermost(path for path in self.code_uris if path.exists())

    def _config_folders(self) -> list[Path]:
        """Folders of config files outside every code folder: watched without their subfolders
        (the template's folder may be a home folder)."""
        roots = self.watched
        return sorted(
            {
                path.parent
                for path in self.config_files
                if path.parent.exists() and not any(path.is_relative_to(r) for r in roots)
            }
        )

    def describe(self) -> str:
        """What is watched, for the banner."""
        text = ", ".join(str(path) for path in self.watched) or "no code folder"
        text += f" for {', '.join(self.code_filter.includes) or 'nothing'}"
        if self.config_files:
            text += ", and " + ", ".join(_shown(path) for path in self.config_files)
        return text

    def wanted(self, path: Path) -> bool:
        """Whether a change to ``path`` (absolute) is a config change or a code change."""
        if path in self.config_files:
            return True
        return any(
            path.is_relative_to(code_uri) and self.code_filter.is_code(path, code_uri)
            for code_uri in self.code_uris
        )

    async def start(self) -> None:
        """Watch; returns once the watches are in place, so no later change is missed."""
        loop = asyncio.get_running_loop()
        for path, names in self.code_uris.items():
            if not path.exists():
                self.log.write(f"lambgate: --reload: {', '.join(names)}: no {path} to watch")
        readies: list[asyncio.Future[None]] = []
        for paths, recursive in ((self.watched, True), (self._config_folders(), False)):
            if not paths:
                continue
            ready: asyncio.Future[None] = loop.create_future()
            stopped: asyncio.Future[None] = loop.create_future()
            thread = threading.Thread(
                target=self._watch,
                args=(loop, paths, recursive, ready, stopped),
                name="lambgate-reload",
                daemon=True,
            )
            self._threads.append(thread)
            self._stopped.append(stopped)
            readies.append(ready)
            thread.start()
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.gather(*readies)), START_TIMEOUT_S)
        except BaseException:
            await self.close()
            raise

    def _watch(
        self,
        loop: asyncio.AbstractEventLoop,
        paths: list[Path],
        recursive: bool,
        ready: asyncio.Future[None],
        stopped: asyncio.Future[None],
    ) -> None:
        """A watching thread: hands each batch of wanted changes to the event loop."""

        def settle(future: asyncio.Future[None]) -> None:
            if not future.done():
                future.set_result(None)

        def failed(error: BaseException) -> None:
            if ready.done():
                self.log.write(f"lambgate: --reload stopped watching: {error}")
            else:
                ready.set_exception(error)

        def call(callback: Callable[..., object], *args: object) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed under us
                loop.call_soon_threadsafe(callback, *args)

        try:
            for changes in watch(
                *paths,
                watch_filter=lambda _, path: self.wanted(Path(path)),
                debounce=DEBOUNCE_MS,
                step=STEP_MS,
                stop_event=self._stop,
                rust_timeout=READY_POLL_MS,
                yield_on_timeout=True,
                raise_interrupt=False,
                recursive=recursive,
            ):
                call(settle, ready)
                if changes:
                    call(self.changed, sorted({Path(path) for _, path in changes}))
        except Exception as error:  # e.g. the OS's limit on watches: start() raises it
            call(failed, error)
        finally:
            call(settle, ready)
            call(settle, stopped)

    def changed(self, paths: Iterable[Path]) -> None:
        """Recycle each function with changed code under its ``CodeUri``, one line each; or
        hand a config change on, which starts everything again."""
        changed = [path for path in paths if self.wanted(path)]
        config = [path for path in changed if path in self.config_files]
        if config:
            self.log.write(f"lambgate: {_shown(config[0])} changed: starting again")
            if self.on_config_change is not None:
                self.on_config_change(config[0])
            return
        for path in changed:
            if path.suffix == ".py":
                _drop_cached_bytecode(path)
        for code_uri, names in self.code_uris.items():
            # A file written in place first; an editor's deleted temporary file last.
            inside = sorted(
                (path for path in changed if path.is_relative_to(code_uri)),
                key=lambda path: not path.exists(),
            )
            if not inside:
                continue
            more = f" (and {len(inside) - 1} more)" if len(inside) > 1 else ""
            for name in names:
                self.log.write(
                    f"lambgate: reloaded {name} after change to {_shown(inside[0])}{more}"
                )
                task = asyncio.get_running_loop().create_task(self.runtimes[name].recycle())
                self._recycling.add(task)
                task.add_done_callback(self._recycling.discard)

    async def close(self) -> None:
        """Stop the watching threads (bounded wait) and finish recycling in progress."""
        self._stop.set()
        if self._stopped:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.shield(asyncio.gather(*self._stopped)), STOP_TIMEOUT_S
                )
        # They have returned from watchfiles; joining now is at most a moment.
        for thread in self._threads:
            thread.join(STOP_TIMEOUT_S)
        await asyncio.gather(*self._recycling, return_exceptions=True)


def _outermost(paths: Iterable[Path]) -> list[Path]:
    existing = sorted(set(paths))
    return [
        path
        for path in existing
        if not any(path != other and path.is_relative_to(other) for other in existing)
    ]


def _drop_cached_bytecode(source: Path) -> None:
    """Remove ``source``'s ``.pyc``, which may match the new source's mtime and size."""
    with contextlib.suppress(NotImplementedError, ValueError, OSError):
        Path(importlib.util.cache_from_source(str(source))).unlink(missing_ok=True)


def _shown(path: Path) -> str:
    """``path`` relative to the current folder where it is inside it, else absolute."""
    with contextlib.suppress(ValueError):
        return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)
    return str(path)
