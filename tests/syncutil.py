"""Helpers shared by the server and sync suites: databases, a server process, a keyring."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from fieldapp.store.encryption import connect_file
from tests.testkeyring import MemoryKeyring

__all__ = ["MemoryKeyring"]  # re-exported: the sync suites import it from here

PG_ADMIN_URL = os.environ.get(
    "FIELDAPP_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PASSWORD = "correct horse"


@contextmanager
def pg_schema(admin_url: str = PG_ADMIN_URL) -> Iterator[str]:
    """A fresh PostgreSQL schema; yields a database URL whose search_path is it."""
    name = f"fa_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {name}"))
    try:
        yield f"{admin_url}?options=-csearch_path%3D{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {name} CASCADE"))
        admin.dispose()


@contextmanager
def database_url(kind: str, tmp_path: Path) -> Iterator[str]:
    if kind == "postgresql":
        with pg_schema() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / f'server-{uuid.uuid4().hex[:6]}.sqlite3'}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    def __init__(self, url: str, workers: int = 1) -> None:
        self.db_url = url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [
            sys.executable, "-m", "fieldapp.server.cli", "--database-url", url,
            "serve", "--port", str(self.port), "--workers", str(workers),
        ]  # fmt: skip
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # Generous: on a loaded machine a start (imports, migrations) takes tens of seconds.
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(self.base + "/health", timeout=5).ok:
                    break
            except requests.RequestException:  # not up yet, or too busy to answer in time
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                # Stop it first: reading a live process's stderr would wait for ever.
                if self.proc.poll() is None:
                    self.proc.kill()
                    self.proc.wait()
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                self.stop()
                raise RuntimeError(f"server did not start: {err}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()


def index_names(db_path: Path) -> set[str]:
    """The indexes a replica file has, read on a connection of its own."""
    with contextlib.closing(connect_file(db_path)) as raw:
        rows = raw.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        return {row[0] for row in rows}
