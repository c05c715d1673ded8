"""The server's tables (its own: it never imports the client's).

Every synced record, whatever its entity, is one row of ``records``: its fields as a JSON
document in wire form plus the few columns the server filters on (scope anchors). The
server validates little of the document itself; the clients do. This keeps the server
independent of client schema details and makes a pull a plain index scan.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Counter(Base):
    """Named counters; ``seq`` is the change sequence, ``scope`` its last scope change.

    Bumping ``seq`` is the last statement of every writing transaction: the row lock it
    takes is held until commit, so sequence numbers are handed out in commit order.
    """

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class User(Base):
    """A person who signs in. Mirrored as a ``users`` record for the clients."""

    __tablename__ = "auth_users"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    manager_id: Mapped[str | None] = mapped_column(String(36))
    # Superseded by ``login_throttle`` (server/login.py); kept for older databases.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A deactivated user cannot sign in and their tokens were revoked (server/users.py).
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Token(Base):
    __tablename__ = "tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("auth_users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Assignment(Base):
    """Territory → rep."""

    __tablename__ = "assignments"
    territory_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("auth_users.id"), primary_key=True)


class Record(Base):
    __tablename__ = "records"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    entity: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(BigInteger, unique=True)
    data: Mapped[str] = mapped_column(Text)  # JSON document, wire form
    deleted: Mapped[bool] = mapped_column(default=False)
    # Scope anchors: the account the record hangs off (itself for accounts), the
    # territory (accounts and leads only: the rest is in scope through its account)
    # and the owner.
    account_id: Mapped[str | None] = mapped_column(String(36))
    territory_id: Mapped[str | None] = mapped_column(String(36))
    owner_id: Mapped[str | None] = mapped_column(String(36))
    # The client whose copy already equals this version (it pushed the change and was
    # told "applied"): its pulls skip the record instead of echoing its own edit back.
    origin: Mapped[str | None] = mapped_column(String(36))

    __table_args__ = (
        Index("ix_records_account", "account_id"),
        Index("ix_records_entity_territory", "entity", "territory_id"),
        Index("ix_records_territory", "territory_id"),
        # The accounts in a scope as an index-only scan (server/scope.py, migration s0008).
        Index(
            "ix_records_account_scope",
            "territory_id",
            "owner_id",
            "id",
            postgresql_where=text("entity = 'accounts'"),
            sqlite_where=text("entity = 'accounts'"),
        ),
    )


class Conflict(Base):
    __tablename__ = "conflicts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    entity: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    field: Mapped[str | None] = mapped_column(String(80))
    base: Mapped[str] = mapped_column(Text)  # JSON
    mine: Mapped[str] = mapped_column(Text)
    theirs: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str | None] = mapped_column(String(36))
    mutation_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(String(8))


class AppliedMutation(Base):
    """Every mutation ever applied, with its answer: replays get the same answer.

    Keyed by user and mutation id: each user's ids are their own namespace, so a replay
    of someone else's id neither reads their answer nor drops the caller's change.
    """

    __tablename__ = "applied_mutations"
    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    mutation_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    result: Mapped[str] = mapped_column(Text)  # MutationResult as JSON
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ScopeExit(Base):
    """An account left a user's scope at ``seq`` (a record of the move).

    It grants nothing: a push is judged by the scope the user has now, so edits made
    offline before the move are refused and kept on the client (issue 14).
    """

    __tablename__ = "scope_exits"
    account_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)

    __table_args__ = (Index("ix_scope_exits_seq", "seq"),)


class LoginThrottle(Base):
    """Failed sign-ins per user name or address (key: kind + SHA-256 of the value)."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(66), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    # Seconds since the epoch: plain numbers keep the wait arithmetic portable SQL.
    next_allowed_at: Mapped[float] = mapped_column(Float, default=0.0)


class HistoryEntry(Base):
    """One applied change of one record, in the audit trail's hash chain (server/history.py).

    Append-only: only erasure touches an entry, and then only to drop ``changes`` and
    ``salt`` and set ``redacted_at``; ``digest`` and ``hash`` stay as written.
    """

    __tablename__ = "history"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[str | None] = mapped_column(String(36))
    username: Mapped[str] = mapped_column(String(80))
    device: Mapped[str | None] = mapped_column(String(36))  # the client id
    entity: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(36))
    op: Mapped[str] = mapped_column(String(10))
    version: Mapped[int | None] = mapped_column(BigInteger)
    changes: Mapped[str | None] = mapped_column(Text)  # {field: [old, new]} as JSON
    salt: Mapped[str | None] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    redacted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_history_record", "entity", "record_id", "seq"),)


class Erasure(Base):
    """A contact or lead erased on request: the purge list clients apply (server/erasure.py)."""

    __tablename__ = "erasures"
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    entity: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    erased_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    erased_by: Mapped[str] = mapped_column(String(36))


# Integer on SQLite: only an INTEGER PRIMARY KEY is its auto-incrementing rowid.
SERIAL = BigInteger().with_variant(Integer, "sqlite")


class AdminAudit(Base):
    """Every admin call, append-only: who, when, what, and whether it was a dry run."""

    __tablename__ = "admin_audit"
    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text)  # JSON
    outcome: Mapped[str] = mapped_column(String(16))  # ok, dry-run, refused


class Proposal(Base):
    """A versioned change of territory assignments (server/proposals.py).

    ``kind`` is ``assign`` (territory → reps and/or accounts → territory) or
    ``rollback`` (to the assignment as it was after version ``rollback_to``). Once
    applied, ``changes`` holds exactly what moved (old and new values), which is what a
    later rollback undoes.
    """

    __tablename__ = "proposals"
    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(12))
    state: Mapped[str] = mapped_column(String(12))  # proposed, applied
    territory_id: Mapped[str | None] = mapped_column(String(36))
    reps: Mapped[str | None] = mapped_column(Text)  # JSON list of user ids, or null
    accounts: Mapped[str | None] = mapped_column(Text)  # JSON list of account ids, or null
    rollback_to: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    applied_by: Mapped[str | None] = mapped_column(String(80))
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    changes: Mapped[str | None] = mapped_column(Text)  # JSON, once applied
