"""The route solver in a child process, so the window keeps painting while it searches.

VROOM holds Python's GIL for its whole search (pyvroom does not release it), so a
background thread is not enough: the GUI thread would stall for up to the time budget
(0.8 s for a 60-stop day). One child process is started when a route is first being
planned (the planner warms it up when it is given its first stops) and ended once it
has been idle for a while (:func:`stop_if_idle`, from the planner's timer): it holds
~60 MB (VROOM, PyVRP, NumPy) that a session which plans no route should not pay for,
and the next plan starts it again. It is spawned, never forked: the app has Qt and
worker threads, which a fork would copy half-way. If the child dies, the solve runs
here instead and the next one starts a new child, so a plan is never lost to it.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by the first solve, on its background thread
    from fieldapp.maps import vrp


_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_answered = 0  # solves the child answered (the planner's test checks it was used)
_busy = 0  # solves and warm-ups running in the child
_last_used = 0.0  # time.monotonic() when the last of them ended


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn")
            )
        return _pool


def _forget(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


class _InUse:
    """Marks the child busy while a solve or warm-up runs in it (see stop_if_idle)."""

    def __enter__(self) -> None:
        global _busy
        with _lock:
            _busy += 1

    def __exit__(self, *_exc: object) -> None:
        global _busy, _last_used
        with _lock:
            _busy -= 1
            _last_used = time.monotonic()


def solve(
    problem: vrp.Problem, *, budget_s: float, exploration_level: int = 5, threads: int = 2
) -> vrp.Solution:
    """:func:`vrp.solve` in the child process (a :class:`vrp.Solver`); blocks the caller,
    which is a background thread, not the GUI's."""
    from fieldapp.maps import vrp

    job = functools.partial(
        vrp.solve,
        problem,
        budget_s=budget_s,
        exploration_level=exploration_level,
        threads=threads,
    )
    with _InUse():
        pool = _executor()
        try:
            solution = pool.submit(job).result()
        except BrokenProcessPool:
            _forget(pool)
            return job()
    global _answered
    with _lock:
        _answered += 1
    return solution


def answered() -> int:
    """How many solves the child process has answered in this session."""
    return _answered


def _warm_up() -> int:
    """In the child: import the solvers (vrp imports them when it first solves)."""
    import pyvrp  # noqa: F401
    import vroom  # noqa: F401

    return os.getpid()


def child_pid() -> int:
    """The child's process id, starting it if needed: also warms it up (its imports
    take a moment) so that the first Optimise does not wait for them."""
    with _InUse():
        pool = _executor()
        try:
            return pool.submit(_warm_up).result()
        except BrokenProcessPool:
            _forget(pool)
    return child_pid()


def stop_if_idle(idle_s: float) -> bool:
    """End the child if nothing ran in it for ``idle_s`` seconds; whether it ended.

    Does not wait for the process to exit (the GUI thread calls it). A solve asked
    for afterwards starts a new child.
    """
    global _pool
    with _lock:
        pool = _pool
        if pool is None or _busy or time.monotonic() - _last_used < idle_s:
            return False
        _pool = None
    pool.shutdown(wait=False, cancel_futures=True)
    return True


def started() -> bool:
    return _pool is not None


def shutdown() -> None:
    """Stop the child (on quit; a later solve would start a new one)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
