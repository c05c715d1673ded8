"""The sync wire types: the only module the server shares with the client.

Values travel in "wire form" (see ``fieldapp.store.types.to_wire``): ISO 8601 strings for
dates and times, decimal strings for money, plain JSON otherwise.

Versions and cursors are numbers from one server-wide sequence. A record's ``version`` is
the sequence number of the change that last wrote it; a pull cursor is the highest
sequence number the client has applied. The server hands out sequence numbers in commit
order (see ``fieldapp.server.store``), so a cursor never skips a change that commits late.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

PROTOCOL_VERSION = 1
# The record schema both sides agree on (entities and their fields). Bumped when a
# field is added or changes meaning; the server accepts the range it can translate.
SCHEMA_VERSION = 1
MIN_SCHEMA_VERSION = 1

# The most records one pull may ask for (the server refuses more).
MAX_PULL_LIMIT = 20000

# Versions, cursors and sequence numbers: at most the largest integer every JSON reader
# keeps exactly (I-JSON, RFC 7493; a double holds it), far below the databases' BIGINT
# (2^63-1), where a larger one was an internal error. Larger or negative ones are refused.
MAX_SEQ = 2**53 - 1
# A record, mutation or client id: a UUID as fieldapp writes it (lower case, hyphens).
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
Uuid = Annotated[str, StringConstraints(pattern=UUID_PATTERN)]
# Strict: true/false or 5.0 are not sequence numbers (pydantic would take them as 1, 0, 5).
Seq = Annotated[int, Field(ge=0, le=MAX_SEQ, strict=True)]
# Text with no NUL character (PostgreSQL cannot store one), at most ``n`` characters.
NO_NUL = r"^[^\x00]*$"

PROTOCOL_HEADER = "X-Fieldapp-Protocol"
SCHEMA_HEADER = "X-Fieldapp-Schema"

Role = Literal["rep", "manager", "admin"]
Op = Literal["insert", "update", "delete", "restore"]

# How each entity hangs off the scope: the column naming the account it belongs to
# (``"id"`` for accounts themselves), or None for records scoped by owner only.
ACCOUNT_ANCHOR: dict[str, str | None] = {
    # A manager's automation rules: seen by their team, or by the reps of the territory
    # a rule names (fieldapp.server.scope); written by managers and admins only.
    "rules": None,
    "accounts": "id",
    "contacts": "account_id",
    "opportunities": "account_id",
    "visits": "account_id",
    "tasks": "account_id",
    "notes": "account_id",
    "route_stops": "account_id",
    "attachments": "account_id",
    "flags": "account_id",
    "leads": None,
    "route_plans": None,
}
# Reference data every user reads and only an admin writes.
GLOBAL_ENTITIES = ("users", "territories", "pipeline_stages")
ENTITIES = GLOBAL_ENTITIES + tuple(ACCOUNT_ANCHOR)


class Hello(BaseModel):
    protocol: Annotated[int, Field(strict=True)]
    schema_version: Annotated[int, Field(strict=True)]
    client_id: Uuid | None = None


class UserInfo(BaseModel):
    id: str
    username: str
    role: Role


class HelloReply(BaseModel):
    protocol: int
    schema_version: int
    user: UserInfo
    # The user's territory when their scope holds exactly one (a rep's own; a manager's
    # reps'): a new account its address places nowhere goes there. Only that one id, not
    # the list: this reply starts every sync, and a manager's list is long.
    sole_territory: str | None = None


class LoginRequest(BaseModel):
    username: Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)]
    # Bounded: argon2 hashes whatever it is given.
    password: Annotated[str, StringConstraints(max_length=1024)]


class PasswordChange(BaseModel):
    """``POST /auth/password``: the signed-in user's new password (other sign-ins end)."""

    old_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class LoginReply(BaseModel):
    token: str
    expires_at: str
    user: UserInfo


class Mutation(BaseModel):
    """One change. Its record id, entity and fields are checked per mutation on the
    server (fieldapp.server.validation): a bad one is refused, the rest of the push goes on."""

    mutation_id: Uuid
    entity: str
    row_id: str
    op: Op
    # {field: [old, new]} in wire form; "old" is the base the client edited.
    changes: dict[str, list[Any]]
    base_version: Seq | None = None


class PushRequest(BaseModel):
    client_id: Uuid | None = None
    # The scope sequence the client had applied when it made these changes. Kept for
    # older clients; the server judges scope from its own state only, never from this.
    scope_seq: Seq = 0
    mutations: list[Mutation] = Field(max_length=1000)


Status = Literal["applied", "merged", "conflict", "rejected"]


class MutationResult(BaseModel):
    """What happened to one mutation; a replay of it gets this same answer again."""

    mutation_id: str
    status: Status
    version: int | None = None  # the record's version after this mutation
    conflicts: list[str] = []  # ids of conflict records made by this mutation
    reason: str | None = None  # why it was rejected


class PushReply(BaseModel):
    results: list[MutationResult]


class RecordChange(BaseModel):
    entity: str
    id: str
    version: int
    data: dict[str, Any]  # every field in wire form, deleted_at included


ConflictKind = Literal["field", "deleted"]


class ConflictInfo(BaseModel):
    """A clash kept on the server until a person resolves it.

    ``kind == "field"``: both sides changed ``field``; ``base`` is the value the client
    started from, ``mine`` its value, ``theirs`` the value already on the server (which
    stays in place until resolved). ``kind == "deleted"``: the record (or the account it
    hangs off, for a new visit) was deleted on the server; ``mine`` holds the client's
    changes and the record is still kept, tombstoned or not.
    """

    id: str
    seq: int
    entity: str
    row_id: str
    kind: ConflictKind
    field: str | None
    base: Any = None
    mine: Any = None
    theirs: Any = None
    user_id: str | None = None
    created_at: str
    resolved_at: str | None = None
    resolution: Literal["mine", "theirs"] | None = None


class PurgedRecord(BaseModel):
    entity: str
    id: str


class PullReply(BaseModel):
    """One chunk of changes after the client's cursor.

    ``scope_seq`` is the sequence number of the latest change to who-sees-what. When it
    is above the client's, ``scope_accounts`` / ``scope_owners`` give the client's whole
    scope (``None`` for an admin: everything) and ``left`` lists the accounts the client
    must evict (after pushing its pending edits for them); the records of accounts that
    entered are fetched with ``/sync/fetch`` up to the cursor (``through``), the newer
    ones come with the pull: for a replica with a cursor, the chunk that reports the
    change carries no records and keeps the cursor. ``scope_moves`` says where the
    accounts that left went and whom the ones that entered came from, so the client
    can tell its user.
    """

    changes: list[RecordChange]
    conflicts: list[ConflictInfo]
    # Records erased on request (contacts, leads) numbered in this chunk's range, for
    # every client whatever its scope: each deletes its copy, outbox entries and index.
    purged: list[PurgedRecord] = []
    cursor: int
    more: bool
    remaining: int  # changes still to come after this chunk (an estimate for progress)
    scope_seq: int
    scope_accounts: list[str] | None = None
    scope_owners: list[str] | None = None
    # The territories in scope (their leads are seen as well as the owners').
    scope_territories: list[str] | None = None
    # Accounts that changed hands since the client's scope sequence, from the server's
    # own state: ``{"account_id", "territory_id", "owner_id", "to_users", "from_users",
    # "from_territory_id"}`` — where each went, and whom it came from.
    scope_moves: list[dict[str, Any]] | None = None
    # Every territory's reps (territory id → user ids), sent with each scope change
    # (assignments change only with one), so the client can name whose territory it is.
    territory_reps: dict[str, list[str]] | None = None


class FetchRequest(BaseModel):
    account_ids: list[Uuid] = Field(max_length=2000)
    # Only records of this version or older (the client's pull cursor): the newer ones
    # come with the pull. Absent: all of them.
    through: Seq | None = None


class FetchReply(BaseModel):
    changes: list[RecordChange]


class ResolveRequest(BaseModel):
    keep: Literal["mine", "theirs"]


class ErrorReply(BaseModel):
    detail: str


class HistoryItem(BaseModel):
    """One applied change of a record, from the server's audit trail."""

    seq: int
    at: str  # ISO 8601, UTC
    user: str  # who made it ("system" for the server's own writes)
    device: str | None = None  # the client id it came from
    op: str  # insert, update, delete, restore
    version: int | None = None
    changes: dict[str, list[Any]] | None = None  # {field: [old, new]}; None when redacted
    redacted: bool = False


class HistoryReply(BaseModel):
    entity: str
    id: str
    entries: list[HistoryItem]


class ErasureReply(BaseModel):
    """What an erasure did (POST /admin/erase/{contact|lead}/{id}, admins only)."""

    entity: str
    id: str
    redacted: int  # audit-trail entries whose values were removed
    already: bool = False  # it had been erased before: nothing more to do
