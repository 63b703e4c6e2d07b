"""One long-lived worker process for Great Expectations, so that GX's import (~5-7 s), its
context and its validations run on a core the main process leaves idle (Dagster's in-process
executor runs one step at a time; dbt runs in its own subprocess).

`statmon run` calls `start()` first thing, before it imports Dagster: the worker imports GX and
builds its ephemeral context and the suites while the main process imports Dagster and ingests.
Whoever did not call `start()` (`dagster dev`, tests) gets the worker started by the first
`call()`/`submit()`, and pays GX's import there, as before; there is one code path, the worker,
so what is tested is what runs.

Crash safety: a worker that dies (killed, out of memory, a segfault in a C extension) breaks the
pool; the caller's future then raises `GXWorkerCrashed` with what it was doing, never hangs, and
the next call starts a fresh worker. The worker never outlives its parent: it is terminated at
interpreter exit (`shutdown`, registered with atexit) and, should the parent be killed outright,
a watchdog thread in the worker sees its parent pid change and exits.

What crosses the process boundary: batches as Arrow tables (pickled as Arrow IPC buffers, no
per-row work and no pandas in the main process), suites as plain dicts, results as JSON dicts and
`ExpectationOutcome`s. GX objects stay in the worker.

The worker is started with `spawn` (a fresh interpreter, not a fork of a process that holds
DuckDB connections, Dagster's threads and SQLite handles). Like every spawned process it imports
the parent's main script first: a script that uses the worker must keep its work under
`if __name__ == "__main__":` (statmon's entry point, dagster and pytest do)."""
from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable

# How often the worker checks that its parent is still alive (seconds).
PARENT_CHECK_SECONDS = 1.0


class GXWorkerCrashed(RuntimeError):
    """The GX worker process died while (or before) doing the work."""


_lock = threading.RLock()
_executor: ProcessPoolExecutor | None = None
_owner_pid: int | None = None  # the process that started the executor (a forked child must not reuse it)
_ready: Future | None = None  # the warm-up task: done once GX is imported and the context built


# ------------------------------------------------------------------------------ main process


def start() -> None:
    """Start the worker if it is not running; returns at once (the worker imports GX on its own).
    Idempotent; safe to call from any thread."""
    global _executor, _owner_pid, _ready
    with _lock:
        if _executor is not None and _owner_pid == os.getpid() and not _broken(_executor):
            return
        _executor = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_initialize_worker,
            initargs=(os.getpid(),),
        )
        _owner_pid = os.getpid()
        # The pool spawns its process on the first submit: submit the warm-up now.
        _ready = _executor.submit(_warm_up)


def submit(function: Callable, *args: Any, **kwargs: Any) -> Future:
    """Submit `function(*args, **kwargs)` to the worker (started if needed); its Future.
    `function` must be importable by name (a module-level function). Use `result(future, what)`
    to wait for it with a clear error if the worker dies."""
    for attempt in (1, 2):
        start()
        try:
            return _executor.submit(function, *args, **kwargs)
        except BrokenProcessPool:
            # The worker died since start() looked (between runs, say): one fresh start.
            _discard()
            if attempt == 2:
                raise GXWorkerCrashed("the GX worker process could not be started") from None
    raise AssertionError("unreachable")


def result(future: Future, what: str) -> Any:
    """The result of a submitted task. An error raised by the task is raised here as is (with the
    worker's traceback as its cause); a worker that died raises GXWorkerCrashed."""
    try:
        return future.result()
    except BrokenProcessPool as exc:
        exit_code = _discard()
        how = f" (exit code {exit_code})" if exit_code is not None else ""
        raise GXWorkerCrashed(
            f"the Great Expectations worker process died{how} while {what}; no result was stored. "
            "Run again; if it keeps dying, look for memory pressure (dmesg) or a crash in GX/pandas."
        ) from exc


def call(function: Callable, *args: Any, what: str = "running a GX task", **kwargs: Any) -> Any:
    """`function(*args, **kwargs)` in the worker, waited for."""
    return result(submit(function, *args, **kwargs), what)


def worker_pids() -> list[int]:
    """Process ids of the running worker (empty when none)."""
    with _lock:
        if _executor is None or _owner_pid != os.getpid():
            return []
        return [p.pid for p in (getattr(_executor, "_processes", None) or {}).values() if p.is_alive()]


def wait_until_ready() -> float:
    """Block until the worker has imported GX and built its context and suites (tests and
    benchmarks); the seconds its start-up took."""
    start()
    return result(_ready, "starting up")


def shutdown() -> None:
    """Stop the worker. A worker that has finished its start-up exits cleanly; one still importing
    GX (a run that ended before it needed GX) is terminated rather than waited for."""
    global _executor, _ready
    with _lock:
        executor, ready = _executor, _ready
        if executor is None or _owner_pid != os.getpid():
            _executor = _ready = None
            return
        _executor = _ready = None
        if ready is None or not ready.done():
            _terminate(executor)
        executor.shutdown(wait=True, cancel_futures=True)


def _broken(executor: ProcessPoolExecutor) -> bool:
    return bool(getattr(executor, "_broken", False))


def _terminate(executor: ProcessPoolExecutor) -> None:
    # ProcessPoolExecutor has no public way to stop a busy worker; its process table is stable
    # across CPython 3.8-3.13.
    for process in list((getattr(executor, "_processes", None) or {}).values()):
        if process.is_alive():
            process.terminate()
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join()


def _discard() -> int | None:
    """Forget a broken executor (the next call starts a new worker); the dead worker's exit code."""
    global _executor, _ready
    with _lock:
        executor, _executor, _ready = _executor, None, None
    if executor is None:
        return None
    processes = list((getattr(executor, "_processes", None) or {}).values())
    _terminate(executor)
    executor.shutdown(wait=True, cancel_futures=True)  # joins the pool's processes: exit codes are known
    return next((p.exitcode for p in processes if p.exitcode), None)


# At interpreter exit concurrent.futures joins its pools before `atexit` handlers run, which would
# wait for a worker still importing GX. Its own hook (threading._register_atexit) runs hooks in
# reverse order of registration: ours, registered after that module's, runs first.
if hasattr(threading, "_register_atexit"):
    threading._register_atexit(shutdown)
else:  # pragma: no cover (CPython < 3.9)
    atexit.register(shutdown)


# ---------------------------------------------------------------------------------- worker


def _initialize_worker(parent_pid: int) -> None:
    """Runs once in the worker, before any task: the parent watchdog. (GX itself is imported by
    the warm-up task, so that a failing import is reported as that task's error.)"""
    def watch_parent() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(0)  # the parent is gone (killed): nobody will ever read our results
            time.sleep(PARENT_CHECK_SECONDS)

    threading.Thread(target=watch_parent, name="gx-worker-parent-watchdog", daemon=True).start()


def _warm_up() -> float:
    """Import GX, build the context, the pandas datasource and every suite of expectations/;
    the seconds it took."""
    started = time.perf_counter()
    from orchestration.quality import gx_runner

    gx_runner.gx_context()
    gx_runner.prepare_suites()
    return time.perf_counter() - started
