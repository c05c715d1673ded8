"""Opening a data dir: the SQLite replica, its pragmas and its migrations."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
from sqlalchemy import Connection, Engine, Index, Table, create_engine, event
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

import fieldapp.store.outbox  # noqa: F401  (registers the outbox flush hook)
from fieldapp.errors import DataDirError
from fieldapp.store.models import Base

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

DB_FILENAME = "replica.sqlite3"
ENV_DATA_DIR = "FIELDAPP_DATA_DIR"
BEGIN_OPTION = "fieldapp_sqlite_begin"
# The newest revision in migrations/versions (a test keeps the two equal).
SCHEMA_HEAD = "0006"
# Page size of replicas created from now on (see _set_pragmas).
PAGE_SIZE = 16384
# SQLite's default: a commit that leaves more WAL pages than this checkpoints.
AUTOCHECKPOINT_PAGES = 1000
# Marks a session (and its pooled connection) whose commit leaves the checkpoint
# to the replica's background thread (see defer_checkpoint).
_CHECKPOINT_LATER = "fieldapp.checkpoint_later"

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


def default_data_dir() -> Path:
    """``--data-dir`` beats ``FIELDAPP_DATA_DIR`` beats the platform's user data dir."""
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("fieldapp", appauthor=False))


def _set_pragmas(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN (below) instead of the sqlite3
    # module, which only begins before INSERT/UPDATE/DELETE: DDL and reads would
    # otherwise run outside the transaction and survive its rollback.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # Takes effect only when the file is created (before the switch to WAL); an
    # existing replica keeps the page size it was made with. 16 KB pages instead of
    # 4 KB: a bulk insert writes a quarter of the WAL frames and b-tree pages
    # (~14% less CPU for 100k accounts); single-record edits cost the same.
    cur.execute(f"PRAGMA page_size={PAGE_SIZE}")
    cur.execute("PRAGMA journal_mode=WAL")
    # NORMAL is durable across application crashes in WAL mode; only a power cut can
    # lose the last transactions, never corrupt the file.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.execute("PRAGMA cache_size=-65536")
    cur.execute("PRAGMA mmap_size=268435456")
    cur.close()


def _restore_autocheckpoint(dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
    # A connection handed back to the pool checkpoints its own commits again.
    if record.info.pop(_CHECKPOINT_LATER, False) and dbapi_conn is not None:
        dbapi_conn.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")


def defer_checkpoint(session: Session) -> None:
    """Let the commit of ``session``'s transaction skip the WAL checkpoint.

    A bulk insert of 100k accounts leaves ~140 MB in the WAL; the checkpoint that
    copies it into the database file (and syncs it) used to run inside the commit,
    on the writer's thread. :meth:`Replica.session` runs it afterwards on the
    replica's checkpoint thread instead (SQLite's docs suggest checkpointing from
    a separate thread). Nothing is at risk meanwhile: committed pages are in the
    WAL, which readers and the next writer use as usual.
    """
    conn = session.connection()
    pooled = conn.connection
    if not pooled.info.get(_CHECKPOINT_LATER):
        conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
        pooled.info[_CHECKPOINT_LATER] = True
    session.info[_CHECKPOINT_LATER] = True


@dataclass(frozen=True)
class Checkpoint:
    """What the last background checkpoint did."""

    seconds: float  # wall clock
    cpu_seconds: float  # the checkpoint thread's own CPU time
    busy: bool  # SQLite could not finish (another checkpoint ran); the next commit will
    log_frames: int
    checkpointed_frames: int


class _Checkpointer:
    """``PRAGMA wal_checkpoint(PASSIVE)`` on its own thread and connection.

    PASSIVE never waits for readers or writers and takes no write lock, so a write
    right after the bulk commit is not held up (and cannot fail as locked); frames
    a reader still needs are left for a later checkpoint. Requests while one runs
    are folded into one more run. :meth:`join` waits for the work to finish.
    """

    def __init__(self, db_path: Path) -> None:
        self._db_path = db_path
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._again = False
        self.last: Checkpoint | None = None

    def request(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                self._again = True
                return
            self._thread = threading.Thread(
                target=self._run, name="fieldapp-wal-checkpoint", daemon=False
            )
            self._thread.start()

    def _run(self) -> None:
        while True:
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                con = sqlite3.connect(self._db_path, timeout=5, isolation_level=None)
                try:
                    busy, frames, done = con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                finally:
                    con.close()
                self.last = Checkpoint(
                    time.perf_counter() - started,
                    time.thread_time() - cpu,
                    bool(busy),
                    frames,
                    done,
                )
            except sqlite3.Error:
                # The data is safe in the WAL; the next commit's autocheckpoint retries.
                log.exception("background WAL checkpoint of %s failed", self._db_path)
            with self._lock:
                if not self._again:
                    return
                self._again = False

    def join(self) -> Checkpoint | None:
        thread = self._thread
        if thread is not None:
            thread.join()
        return self.last


def _begin(conn: Connection) -> None:
    # Writers take the write lock up front (IMMEDIATE): a deferred transaction that
    # reads first and writes later fails at once if another writer got in between.
    mode = conn.get_execution_options().get(BEGIN_OPTION, "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(db_path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{db_path}")
    event.listen(engine, "connect", _set_pragmas)
    event.listen(engine, "begin", _begin)
    event.listen(engine.pool, "checkin", _restore_autocheckpoint)
    return engine


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def _known_revision(script: ScriptDirectory, revision: str) -> bool:
    from alembic.script.revision import ResolutionError
    from alembic.util.exc import CommandError

    try:
        return script.get_revision(revision) is not None
    except (ResolutionError, CommandError):
        return False


def stored_revision(engine: Engine) -> str | None:
    """The schema revision the database says it has (None for a new file)."""
    with engine.connect() as conn:
        try:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except OperationalError as exc:
            if "no such table" in str(exc.orig):
                return None
            raise


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; a no-op when it is already there.

    Alembic is imported only when there is something to do: opening an up-to-date
    replica (every start of the app and of each command) skips ~150 ms of imports.
    """
    current = stored_revision(engine)
    if revision in ("head", SCHEMA_HEAD) and current == SCHEMA_HEAD:
        return
    from alembic import command
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    if current is not None and not _known_revision(script, current):
        raise DataDirError(
            f"this data dir was written by a newer fieldapp (schema {current}); "
            "upgrade fieldapp to open it"
        )
    target = script.get_current_head() if revision == "head" else revision
    if current == target:
        return
    command.upgrade(alembic_config(engine), revision)


def _secondary_indexes(tables: Iterable[Table]) -> list[Index]:
    """The schema's own (named, non-unique) indexes of ``tables``."""
    return [
        index
        for table in tables
        for index in sorted(table.indexes, key=lambda i: str(i.name))
        if not index.unique
    ]


def create_missing_indexes(conn: Connection) -> int:
    """Create the schema's indexes that the file lacks; how many.

    :func:`indexes_dropped` leaves them out while a bulk load runs; if the process
    died meanwhile, the next open puts them back (the data was never at risk, only
    the speed of some queries).
    """
    present = set(
        conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars()
    )
    missing = [i for i in _secondary_indexes(Base.metadata.sorted_tables) if i.name not in present]
    for index in missing:
        index.create(conn)
    return len(missing)


@contextmanager
def indexes_dropped(engine: Engine, tables: Iterable[Table]) -> Iterator[None]:
    """Bulk-load ``tables`` without their secondary indexes, which are built after.

    An index built in one pass over the loaded rows (a sort) costs far less than
    the same index updated row by row, with random keys (UUIDs) touching a
    different page for nearly every row. The indexes are created again when the
    block ends, however it ends; after a crash, when the replica is next opened.
    """
    indexes = _secondary_indexes(tables)
    with engine.connect() as conn:
        present = set(
            conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars()
        )
        indexes = [i for i in indexes if i.name in present]
        for index in indexes:
            index.drop(conn)
        conn.commit()
    try:
        yield
    finally:
        with engine.connect() as conn:
            create_missing_indexes(conn)
            conn.commit()


class Replica:
    """One opened data dir. Hands out short-lived sessions (one per operation)."""

    def __init__(self, data_dir: Path, engine: Engine) -> None:
        self.data_dir = data_dir
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(
            engine.execution_options(**{BEGIN_OPTION: "IMMEDIATE"}), expire_on_commit=False
        )
        self._checkpointer = _Checkpointer(self.db_path)

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_FILENAME

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for one operation: commits on success, rolls back on error.

        After a commit that skipped its checkpoint (see :func:`defer_checkpoint`),
        the checkpoint runs on the replica's checkpoint thread.
        """
        with self._write_sessions() as session:
            with session.begin():
                yield session
            later = session.info.pop(_CHECKPOINT_LATER, False)
        if later:
            self._checkpointer.request()

    def wait_for_checkpoint(self) -> Checkpoint | None:
        """Wait for a background checkpoint to finish; what the last one did."""
        return self._checkpointer.join()

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    def close(self) -> None:
        self._checkpointer.join()
        self.engine.dispose()


def open_replica(data_dir: Path | None = None, *, migrate_to: str = "head") -> Replica:
    """Open (creating if needed) the replica in ``data_dir`` and upgrade its schema.

    Raises :class:`DataDirError` with a sentence for the user when the dir cannot be
    created, the file is not a database, or it is locked by another program.
    """
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataDirError(f"cannot create data dir {data_dir}: {exc.strerror}") from exc
    db_path = data_dir / DB_FILENAME
    engine = make_engine(db_path)
    try:
        migrate(engine, migrate_to)
        if migrate_to in ("head", SCHEMA_HEAD):
            with engine.connect() as conn:
                if create_missing_indexes(conn):
                    conn.commit()
    except DataDirError:
        engine.dispose()
        raise
    except (OperationalError, DatabaseError) as exc:
        engine.dispose()
        raise DataDirError(_describe_db_error(db_path, exc)) from exc
    return Replica(data_dir, engine)


def _describe_db_error(db_path: Path, exc: Exception) -> str:
    text = str(getattr(exc, "orig", exc))
    if "locked" in text:
        return f"the replica {db_path} is locked by another program; close it and try again"
    if "not a database" in text or "malformed" in text:
        return (
            f"the replica {db_path} is damaged ({text}); move it aside to start "
            "afresh, or restore it from a backup"
        )
    if "readonly" in text or "unable to open" in text:
        return f"cannot write the replica {db_path}: {text}"
    return f"cannot open the replica {db_path}: {text}"
