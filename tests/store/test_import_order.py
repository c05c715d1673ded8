"""Every store module can be the first one imported (no import cycle inside the store).

A cycle hides while some other module happens to be imported first, as the app and
the commands do; a script or a new command that starts with the module fails on
``import``. Each check is a fresh interpreter.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import fieldapp.store

STORE_MODULES = sorted(
    f"fieldapp.store.{m.name}"
    for m in pkgutil.iter_modules(fieldapp.store.__path__)
    if not m.ispkg  # the migrations are scripts alembic loads, not imports
)


def test_the_store_modules_are_found() -> None:
    # records, rules, due, services and bulk made a cycle that failed when records came first.
    assert {"fieldapp.store.records", "fieldapp.store.bulk", "fieldapp.store.due"} <= set(
        STORE_MODULES
    )


@pytest.mark.parametrize("module", STORE_MODULES)
def test_module_imports_first(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
