"""Keeping Python's cyclic garbage collector from stalling the GUI thread.

CPython's collector runs in whichever thread happens to allocate when a generation
fills up, and holds the interpreter lock for the whole pass. Its occasional full pass
walks every tracked object: once the app has imported Qt, SQLAlchemy, pandas and its
own modules that is ~170k objects and 100–250 ms of CPU, during which the GUI thread
cannot run a line of Python (the Reports panel's "background reads held the lock" were
these passes, started by a worker's allocations). SQLAlchemy's statement cache alone
grows by tens of thousands of long-lived objects as reports run.

:func:`keep_passes_short` moves everything alive into the collector's permanent
generation (``gc.freeze()``), which its passes no longer walk, and does the same with
the survivors of every later full pass: a full pass then walks only what was made
since the last one, a few milliseconds' work. Young objects are collected as before.
The price: a cycle among frozen objects that later becomes garbage stays in memory.
Objects that survive a full pass are long-lived (modules, caches, the panels' data),
and what they drop without a cycle is still freed at once by reference counting;
``benchmarks/bench_ui`` prints how much memory a full collection would give back.
"""

from __future__ import annotations

import gc
from typing import Any

FULL = 2  # the oldest generation: its pass walks everything not frozen


def keep_passes_short() -> None:
    """Freeze what is alive now and the survivors of every full pass (see module doc).

    Called once the start-up has settled; calling it again freezes, adds no second hook.
    """
    gc.freeze()
    if _freeze_survivors not in gc.callbacks:
        gc.callbacks.append(_freeze_survivors)


def _freeze_survivors(phase: str, info: dict[str, Any]) -> None:
    # Right after a full pass the younger generations are empty and the oldest holds
    # only what the pass found reachable: freezing it now keeps no garbage.
    if phase == "stop" and info.get("generation") == FULL:
        gc.freeze()


def stop() -> None:
    """Undo :func:`keep_passes_short`: everything is collected as usual again (tests,
    so that each test's objects are found and collected)."""
    if _freeze_survivors in gc.callbacks:
        gc.callbacks.remove(_freeze_survivors)
    gc.unfreeze()


def walked() -> int:
    """How many objects a full pass would walk now (tests, benchmarks)."""
    return len(gc.get_objects())
