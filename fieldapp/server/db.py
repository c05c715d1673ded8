"""The server database: engine, migrations, transactions and the change sequence."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import platformdirs
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, select, update
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from fieldapp.server.models import Counter

ENV_DATABASE_URL = "FIELDAPP_DATABASE_URL"
MIGRATIONS = Path(__file__).parent / "migrations"

T = TypeVar("T")


class ServerError(Exception):
    """A failure an operator or client caused; its text is for people."""


def default_database_url() -> str:
    env = os.environ.get(ENV_DATABASE_URL)
    if env:
        return env
    path = Path(platformdirs.user_data_dir("fieldapp-server", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path / 'server.sqlite3'}"


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE: a writer takes the write
    # lock up front instead of failing to upgrade a read lock half-way.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return  # a reading session (Database.reading): no lock, no transaction
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, pool_size=10, max_overflow=20)
    event.listen(engine, "checkout", _ping_if_idle)
    event.listen(engine, "checkin", _note_checkin)
    return engine


# A pooled connection unused for this long is checked before use; one back sooner is
# known to work. SQLAlchemy's pool_pre_ping checked every checkout: a round trip to
# PostgreSQL for each of the four sessions of a sync, a fifth of their time under load.
IDLE_CHECK_S = 2.0


def _note_checkin(dbapi_conn: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
    """The pool's checkout hook: a connection idle for a while must answer a ping.

    One that does not (the database restarted, a firewall dropped it) is discarded and
    the pool tries a new one (DisconnectionError), as SQLAlchemy's own pre-ping does.
    """
    last = record.info.get("checked_in_at")
    if last is not None and time.monotonic() - last < IDLE_CHECK_S:
        return
    try:
        autocommit = dbapi_conn.autocommit
        dbapi_conn.autocommit = True  # the ping opens no transaction
        try:
            dbapi_conn.execute("SELECT 1")
        finally:
            dbapi_conn.autocommit = autocommit
    except Exception as exc:  # any failure: this connection is not to be used
        raise DisconnectionError("a pooled database connection was dead") from exc


def migrate(engine: Engine) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    head = ScriptDirectory.from_config(cfg).get_current_head()
    if current != head:
        command.upgrade(cfg, "head")


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_postgres = engine.dialect.name == "postgresql"
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # Reads that need no transaction: each statement sees what was committed when it
        # ran, which is all PostgreSQL's READ COMMITTED gives a transaction anyway. They
        # save the BEGIN and COMMIT round trips (two of the few a sync makes), and on
        # SQLite they take no write lock.
        self._readers = sessionmaker(
            engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
        )

    @classmethod
    def open(cls, url: str | None = None, *, create: bool = True) -> Database:
        engine = make_engine(url or default_database_url())
        if create:
            migrate(engine)
        return cls(engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads (and single-statement writes) outside a transaction."""
        with self._readers() as session, session.begin():
            yield session

    def transaction(self, work: Callable[[Session], T], attempts: int = 8) -> T:
        """Run ``work`` in one transaction, retrying on deadlocks and unique clashes.

        Concurrent pushes may lock the same records in different orders (PostgreSQL then
        aborts one) or race to record the same mutation id (the loser then finds it and
        answers the replay); both are resolved by running the whole transaction again.
        """
        for attempt in range(attempts):
            try:
                with self.session() as session:
                    return work(session)
            except (IntegrityError, DBAPIError) as exc:
                if attempt == attempts - 1 or not _retryable(exc):
                    raise
                time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.engine.dispose()


def _retryable(exc: DBAPIError) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    # 40P01 deadlock, 40001 serialization failure.
    return code in ("40P01", "40001") or "database is locked" in str(exc)


def next_seqs(session: Session, n: int, *, scope: bool = False) -> int:
    """Reserve ``n`` sequence numbers; return the first. Call it last in a transaction.

    The UPDATE holds the counter's row lock until commit, so a transaction that gets
    numbers after this one cannot commit before it: numbers become visible in order,
    and a reader that has seen number N has seen every committed number below it.
    """
    top = session.execute(
        update(Counter)
        .where(Counter.name == "seq")
        .values(value=Counter.value + n)
        .returning(Counter.value)
    ).scalar_one()
    first = int(top) - n + 1
    if scope:
        session.execute(update(Counter).where(Counter.name == "scope").values(value=top))
    return first


def counter(session: Session, name: str) -> int:
    return int(session.execute(select(Counter.value).where(Counter.name == name)).scalar_one())


def counters(session: Session, *names: str) -> tuple[int, ...]:
    """Several counters in one query, in the order named."""
    rows = dict(
        session.execute(select(Counter.name, Counter.value).where(Counter.name.in_(names))).all()
    )
    return tuple(int(rows[name]) for name in names)
