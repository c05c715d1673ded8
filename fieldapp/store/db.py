"""Opening a data dir: the SQLite replica, its pragmas and its migrations."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Index, Table, create_engine, event
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool

from fieldapp.errors import DataDirError
from fieldapp.store import db_errors, encryption, private, tables
from fieldapp.store.encryption import Protection, ReplicaKey
from fieldapp.store.location import DB_FILENAME, default_data_dir

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy.orm import Session, sessionmaker

    from fieldapp.store.sealed import Sealer

BEGIN_OPTION = "fieldapp_sqlite_begin"
# The newest revision in migrations/versions (a test keeps the two equal).
SCHEMA_HEAD = "0019"
# Page size of replicas created from now on (see _set_pragmas).
PAGE_SIZE = 16384
# SQLite's default: a commit that leaves more WAL pages than this checkpoints.
AUTOCHECKPOINT_PAGES = 1000
# Marks a session (and its pooled connection) whose commit leaves the checkpoint
# to the replica's background thread (see defer_checkpoint).
_CHECKPOINT_LATER = "fieldapp.checkpoint_later"

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


def _set_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN (below) instead of the sqlite3
    # module, which only begins before INSERT/UPDATE/DELETE: DDL and reads would
    # otherwise run outside the transaction and survive its rollback.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # Takes effect only when the file is created (before the switch to WAL); an
    # existing plain replica keeps the page size it was made with (an encrypted one
    # has SQLCipher's CIPHER_PAGE_SIZE, the same). 16 KB pages instead of 4 KB: a
    # bulk insert writes a quarter of the WAL frames and b-tree pages (~14% less CPU
    # for 100k accounts); single-record edits cost the same.
    cur.execute(f"PRAGMA page_size={PAGE_SIZE}")
    cur.execute("PRAGMA journal_mode=WAL")
    # NORMAL is durable across application crashes in WAL mode; only a power cut can
    # lose the last transactions, never corrupt the file.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA temp_store=MEMORY")
    # Memory (issue 15): the map's touched pages count in the app's PSS (~80 MB after
    # every panel at 100k accounts), but reads that jump around the file (the board's
    # search joins each deal to its account) took 3.4x the CPU through an 8 MB cache
    # without it (benchmarks/README.md): kept.
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

    def __init__(self, db_path: Path, key: ReplicaKey | None) -> None:
        self._db_path = db_path
        self._key = key
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
                con = encryption.connect(self._db_path, self._key, timeout=5)
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
            except encryption.Error:
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


def make_engine(db_path: Path, key: ReplicaKey | None = None) -> Engine:
    """The replica's engine: SQLCipher's driver, keyed when ``key`` is given.

    Plain replicas use the same driver (and SQLite build) without a key, so both
    kinds behave alike. A pool of connections as for plain SQLite files, not the
    pysqlcipher dialect's one-connection-per-thread default: with a raw key there is
    no key derivation to save.
    """
    engine = create_engine(
        encryption.engine_url(db_path, key), module=encryption.sqlcipher, poolclass=QueuePool
    )
    if key is not None:
        event.listen(engine, "connect", encryption.configure)  # before any read
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


@contextmanager
def indexes_set_aside(conn: Connection, table: Table) -> Iterator[None]:
    """Run the block without ``table``'s secondary indexes, built again after it, all
    in ``conn``'s transaction (a failure rolls the drop back too).

    For a delete of most of a table: taking each row out of every index cost 2.5
    times the delete plus building the indexes over the rows left (an eviction of
    100k of 120k visits: 1.1-1.2 s against 0.47 s of CPU).
    """
    present = set(
        conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars()
    )
    indexes = [i for i in _secondary_indexes([table]) if i.name in present]
    for index in indexes:
        index.drop(conn)
    yield
    for index in indexes:
        index.create(conn)


def create_missing_indexes(conn: Connection) -> int:
    """Create the schema's indexes that the file lacks; how many.

    :func:`indexes_dropped` leaves them out while a bulk load runs; if the process
    died meanwhile, the next open puts them back (the data was never at risk, only
    the speed of some queries).
    """
    present = set(
        conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars()
    )
    missing = [
        i for i in _secondary_indexes(tables.metadata.sorted_tables) if i.name not in present
    ]
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

    def __init__(
        self,
        data_dir: Path,
        engine: Engine,
        protection: Protection,
        key: ReplicaKey | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.engine = engine
        self.protection = protection  # encrypted or not, and why not (fieldapp doctor)
        self._makers: tuple[sessionmaker[Session], sessionmaker[Session]] | None = None
        self._checkpointer = _Checkpointer(self.db_path, key)
        self._key = key

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_FILENAME

    def _sessionmakers(self) -> tuple[sessionmaker[Session], sessionmaker[Session]]:
        """(readers, writers): made with the first session, and the ORM imported then.

        A command that only reads through :meth:`connect` (``accounts list``) never
        imports the ORM nor maps the models: a third of its start-up (issue 15).
        """
        if self._makers is None:
            from sqlalchemy.orm import sessionmaker

            import fieldapp.store.outbox  # noqa: F401  (registers the outbox flush hook)

            self._makers = (
                sessionmaker(self.engine, expire_on_commit=False),
                sessionmaker(
                    self.engine.execution_options(**{BEGIN_OPTION: "IMMEDIATE"}),
                    expire_on_commit=False,
                ),
            )
        return self._makers

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for one operation: commits on success, rolls back on error.

        After a commit that skipped its checkpoint (see :func:`defer_checkpoint`),
        the checkpoint runs on the replica's checkpoint thread.
        """
        with self._sessionmakers()[1]() as session:
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
        with self._sessionmakers()[0]() as session:
            yield session

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A Core connection for reads (one transaction), without the ORM.

        For what reads through :mod:`fieldapp.store.reading`; writes go through
        :meth:`session`, whose flush hook writes the outbox.
        """
        with self.engine.connect() as conn:
            yield conn

    def sealer(self, purpose: str) -> Sealer:
        """Seals side files of this data dir (caches) as the replica is: see store/sealed."""
        from fieldapp.store.sealed import Sealer  # cryptography: not for every command

        return Sealer(bytes.fromhex(self._key.key) if self._key else None, purpose)

    def close(self) -> None:
        self._checkpointer.join()
        self.engine.dispose()


def open_replica(
    data_dir: Path | None = None, *, migrate_to: str = "head", encrypt: bool = True
) -> Replica:
    """Open (creating if needed) the replica in ``data_dir`` and upgrade its schema.

    The data dir is made private (0700, files 0600) and the replica encrypted when a
    secure keyring allows it (see store/encryption.py; ``encrypt=False`` leaves a
    plain or new replica plain, for benchmarks). Raises :class:`DataDirError` with a
    sentence for the user when the dir cannot be created, the file is not a database
    or its key is missing or wrong, or it is locked by another program; the file is
    then left as it was.
    """
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    try:
        private.private_dir(data_dir)
        private.tighten(data_dir)
    except OSError as exc:
        raise DataDirError(f"cannot create data dir {data_dir}: {exc.strerror}") from exc
    db_path = data_dir / DB_FILENAME
    # Another fieldapp may swap in an encrypted copy of a plain replica while this
    # one opens it; the old file then refuses writes (SQLite notices it was
    # replaced), and opening again finds the new one.
    for attempt in range(3):
        identity = _identity(db_path)
        try:
            engine, protection, key = _open_engine(db_path, migrate_to, encrypt)
        except DataDirError:
            if attempt == 2 or _identity(db_path) == identity:
                raise
            continue
        break
    private.tighten(data_dir)  # the WAL and SHM files SQLite made
    return Replica(data_dir, engine, protection, key)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def _open_engine(
    db_path: Path, migrate_to: str, encrypt: bool
) -> tuple[Engine, Protection, ReplicaKey | None]:
    try:
        key, protection = encryption.prepare(db_path, encrypt=encrypt)
        private.private_file(db_path)
    except encryption.KeyMissing as missing:
        raise DataDirError(db_errors.missing_key(db_path, missing)) from None
    except encryption.Error as exc:
        raise DataDirError(db_errors.describe(db_path, exc, None)) from exc
    except OSError as exc:
        raise DataDirError(f"cannot open the replica {db_path}: {exc.strerror}") from exc
    engine = make_engine(db_path, key)
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
        raise DataDirError(db_errors.describe(db_path, exc, key)) from exc
    return engine, protection, key
