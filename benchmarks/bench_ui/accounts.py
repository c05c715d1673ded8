"""Keystroke to results in the account search, and the stall while scrolling the list."""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_ui.common import open_window, qt_app, wait

QUERIES = ["k", "ka", "kal", "kalo", "kalo g", "köln", "bach markt", "50667", "stein"]


def search_and_scroll(data_dir: Path) -> dict[str, Any]:
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer
    from PySide6.QtTest import QTest

    from fieldapp.store.db import open_replica
    from fieldapp.ui.accounts_panel import AccountsPanel

    qt_app()
    replica = open_replica(data_dir)
    window = open_window(replica)
    panel = window.show_panel("accounts")
    assert isinstance(panel, AccountsPanel)
    wait(lambda: window.bg.pending() == 0 and panel.model.rowCount() > 0)
    total = panel.model.rowCount()

    # Keystroke to results: type each query a key at a time, as a person would.
    latencies: list[float] = []
    for query in QUERIES:
        panel.search.clear()
        wait(lambda: window.bg.pending() == 0)
        for ch in query:
            loaded: list[float] = []
            conn = panel.model.loaded.connect(lambda lst=loaded: lst.append(0.0))
            start = time.perf_counter()
            if ch.isascii():
                QTest.keyClicks(panel.search, ch)
            else:
                panel.search.insert(ch)
            wait(lambda lst=loaded: bool(lst))
            panel.table.viewport().repaint()
            latencies.append((time.perf_counter() - start) * 1000)
            panel.model.loaded.disconnect(conn)
    panel.search.clear()
    wait(lambda: window.bg.pending() == 0 and panel.model.rowCount() == total)

    # Scrolling: page steps and thumb jumps every 16 ms; a 2 ms heartbeat measures stalls.
    bar = panel.table.verticalScrollBar()
    rng = random.Random(3)
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]
    worst = [0]
    steps = [0]

    def beat() -> None:
        now = clock.elapsed()
        worst[0] = max(worst[0], now - last[0])
        last[0] = now

    def scroll() -> None:
        steps[0] += 1
        if steps[0] % 10 == 0:
            bar.setValue(rng.randint(0, bar.maximum()))  # dragging the thumb
        else:
            bar.setValue(min(bar.value() + bar.pageStep(), bar.maximum()))

    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.timeout.connect(beat)
    heartbeat.start(2)
    driver = QTimer()
    driver.setTimerType(Qt.TimerType.PreciseTimer)
    driver.timeout.connect(scroll)
    driver.start(16)
    end = time.perf_counter() + 4.0
    last[0] = clock.elapsed()
    wait(lambda: time.perf_counter() > end, timeout=10)
    driver.stop()
    heartbeat.stop()
    wait(lambda: window.bg.pending() == 0)
    window.shutdown()
    replica.close()
    latencies.sort()
    return {
        "accounts": total,
        "search_p50_ms": statistics.median(latencies),
        "search_p95_ms": latencies[int(len(latencies) * 0.95) - 1],
        "search_max_ms": latencies[-1],
        "keystrokes": len(latencies),
        "scroll_steps": steps[0],
        "scroll_worst_stall_ms": worst[0],
    }


def rows(f: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (
            "keystroke to results, account search",
            "≤ 50 ms",
            f"p50 {f['search_p50_ms']:.0f} / p95 {f['search_p95_ms']:.0f} ms",
        ),
        ("  … slowest keystroke", "", f"{f['search_max_ms']:.0f} ms"),
        (
            "longest GUI-thread stall while scrolling",
            "≤ 100 ms",
            f"{f['scroll_worst_stall_ms']} ms",
        ),
    ]
