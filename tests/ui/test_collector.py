"""The cyclic garbage collector's full passes walk only what is new (ui/collector.py)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable

from pytestqt.qtbot import QtBot

from fieldapp.ui import collector
from fieldapp.ui.main_window import MainWindow


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def in_passes(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects())


def test_start_up_freezes_what_it_made_and_passes_freeze_their_survivors(
    qtbot: QtBot, make_window: Callable[..., MainWindow]
) -> None:
    collector.stop()
    window = make_window()
    qtbot.waitUntil(lambda: all(s.key in window.panels for s in window.specs if window.allowed(s)))
    qtbot.waitUntil(lambda: gc.get_freeze_count() > 0)
    # The window's own objects are out of the passes: far fewer left than frozen.
    assert collector.walked() < gc.get_freeze_count()
    assert not in_passes(window.panels)
    kept, dropped = Node(), Node()
    kept.other = kept
    dropped.other = dropped  # a cycle: only the collector frees it
    gone = weakref.ref(dropped)
    del dropped
    assert in_passes(kept)
    gc.collect()  # a full pass: the garbage cycle is freed, the survivor frozen
    assert gone() is None
    assert not in_passes(kept)
    collector.stop()
    assert in_passes(kept) and in_passes(window.panels)
