"""The HTTP API (FastAPI). Every endpoint but login and health needs a bearer token."""

from typing import Annotated

from fastapi import Depends, FastAPI, Header, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, OperationalError

from fieldapp.server import admin_api, auth, blobs, erasure, history, limits, login, sync, users
from fieldapp.server.answers import answers
from fieldapp.server.db import Database, ServerError
from fieldapp.server.reporting import api as reporting_api
from fieldapp.server.scope import scope_of
from fieldapp.sync.protocol import (
    MAX_PULL_LIMIT,
    MAX_SEQ,
    MIN_SCHEMA_VERSION,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    SCHEMA_HEADER,
    SCHEMA_VERSION,
    UUID_PATTERN,
    ConflictInfo,
    ErasureReply,
    FetchReply,
    FetchRequest,
    Hello,
    HelloReply,
    HistoryReply,
    LoginReply,
    LoginRequest,
    PasswordChange,
    PullReply,
    PushReply,
    PushRequest,
    ResolveRequest,
)


class IncompatibleClient(ServerError):
    """HTTP 426."""


# sync.NotFound is records.NotFound: also an unknown user or territory in a path.
NOT_FOUND = (
    sync.NotFound,
    history.HistoryNotFound,
    erasure.NothingToErase,
    reporting_api.NotServed,
)


def compatibility_problem(protocol: int | None, schema: int | None) -> str | None:
    if protocol is None or schema is None:
        return "the client did not say which sync protocol it speaks; upgrade fieldapp"
    if protocol != PROTOCOL_VERSION:
        side = "fieldapp" if protocol < PROTOCOL_VERSION else "the server"
        return (
            f"this fieldapp speaks sync protocol {protocol} but the server speaks "
            f"{PROTOCOL_VERSION}; upgrade {side}. Your local data was not touched."
        )
    if not MIN_SCHEMA_VERSION <= schema <= SCHEMA_VERSION:
        side = "fieldapp" if schema < MIN_SCHEMA_VERSION else "the server"
        return (
            f"this fieldapp uses record schema {schema} but the server accepts "
            f"{MIN_SCHEMA_VERSION} to {SCHEMA_VERSION}; upgrade {side}. "
            "Your local data was not touched."
        )
    return None


def create_app(db: Database) -> FastAPI:
    app = FastAPI(title="fieldapp server", version=str(PROTOCOL_VERSION))

    @app.exception_handler(ServerError)
    def _server_error(request: Request, exc: ServerError) -> JSONResponse:
        status = 400
        headers = {}
        if isinstance(exc, auth.AuthError):
            status = 401
        elif isinstance(exc, auth.ThrottledError):
            status = 429
            headers["Retry-After"] = str(max(1, round(exc.retry_after)))
        elif isinstance(exc, login.Busy):
            status = 503
            headers["Retry-After"] = str(max(1, round(exc.retry_after)))
        elif isinstance(exc, auth.ForbiddenError):
            status = 403
        elif isinstance(exc, NOT_FOUND):
            status = 404
        elif isinstance(exc, IncompatibleClient):
            status = 426
        return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)

    @app.exception_handler(OperationalError)
    def _database_down(request: Request, exc: OperationalError) -> JSONResponse:
        # The database is unreachable or busy past its timeout: nothing was stored,
        # and the client's retry (its outbox keeps everything) will get through.
        return JSONResponse(
            {"detail": "the server's database is unavailable; try again shortly"},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(DataError)
    def _bad_value(request: Request, exc: DataError) -> JSONResponse:
        # A value the database refuses as such (on PostgreSQL: a NUL character, text
        # too long for its column) that no check before it caught: the request is at
        # fault, and nothing of it was stored.
        return JSONResponse(
            {
                "detail": "the request holds a value the server cannot store (e.g. a NUL "
                "character or an over-long name)"
            },
            status_code=400,
        )

    app.add_middleware(limits.BodyLimit)

    def principal(authorization: Annotated[str | None, Header()] = None) -> auth.Principal:
        with db.reading() as session:  # the hourly renewal is one UPDATE
            return auth.authenticate(session, auth.bearer_token(authorization))

    # The sync endpoints (three requests a sync) take the token with these two async
    # dependencies, which touch no database and so run on the event loop, and check it
    # in their own thread and session: a sync dependency or a ``yield`` one costs a
    # hand-off to the thread pool and back each, and those were a large part of the
    # server's CPU under a burst of syncs.
    async def bearer(authorization: Annotated[str | None, Header()] = None) -> str | None:
        return auth.bearer_token(authorization)

    async def compatible(
        protocol: Annotated[int | None, Header(alias=PROTOCOL_HEADER)] = None,
        schema: Annotated[int | None, Header(alias=SCHEMA_HEADER)] = None,
    ) -> None:
        problem = compatibility_problem(protocol, schema)
        if problem:
            raise IncompatibleClient(problem)

    Who = Annotated[auth.Principal, Depends(principal)]
    Token = Annotated[str | None, Depends(bearer)]
    Compatible = Depends(compatible)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    gate = login.LoginGate()

    @app.post("/auth/login", responses=answers(400, 401, 413, 429, 503))
    async def sign_in(body: LoginRequest, request: Request) -> LoginReply:
        address = request.client.host if request.client else ""
        return await gate.login(db, body.username, body.password, address)

    @app.post("/auth/logout", status_code=204, responses=answers(401, 413, 503))
    def logout(who: Who, authorization: Annotated[str, Header()]) -> Response:
        with db.session() as session:
            auth.logout(session, authorization[7:].strip())
        return Response(status_code=204)

    @app.post("/auth/password", status_code=204, responses=answers(400, 401, 413, 429, 503))
    def change_password(
        body: PasswordChange, who: Who, authorization: Annotated[str, Header()]
    ) -> Response:
        users.change_own_password(
            db, authorization[7:].strip(), body.old_password, body.new_password
        )
        return Response(status_code=204)

    @app.post("/sync/hello", responses=answers(400, 401, 413, 426, 503))
    def hello(body: Hello, token: Token) -> HelloReply:
        with db.reading() as session:
            who = auth.authenticate(session, token)
            problem = compatibility_problem(body.protocol, body.schema_version)
            if problem:
                raise IncompatibleClient(problem)
            territories = scope_of(session, who).territories
        return HelloReply(
            protocol=PROTOCOL_VERSION,
            schema_version=SCHEMA_VERSION,
            user=who.info(),
            sole_territory=territories[0] if len(territories) == 1 else None,
        )

    @app.post("/sync/push", dependencies=[Compatible], responses=answers(400, 401, 413, 426, 503))
    def push(body: PushRequest, token: Token) -> PushReply:
        with db.reading() as session:
            who = auth.authenticate(session, token)
        limits.check_unique_mutations(body.mutations)
        return PushReply(results=sync.push(db, who, body.mutations, body.scope_seq, body.client_id))

    @app.get(
        "/sync/pull",
        dependencies=[Compatible],
        responses=answers(401, 426, 503, ok=PullReply),
    )
    def pull(
        token: Token,
        cursor: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = 2000,
        scope_seq: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
        total: bool = False,
        client_id: Annotated[str | None, Query(pattern=UUID_PATTERN)] = None,
    ) -> Response:
        with db.reading() as session:
            who = auth.authenticate(session, token)
            body = sync.pull_in(session, who, cursor, limit, scope_seq, total, client_id)
        return Response(body, media_type="application/json")

    @app.post(
        "/sync/fetch",
        dependencies=[Compatible],
        responses=answers(400, 401, 413, 426, 503, ok=FetchReply),
    )
    def fetch(body: FetchRequest, who: Who) -> Response:
        reply = sync.fetch(db, who, body.account_ids, [], body.through)
        return Response(reply, media_type="application/json")

    @app.get("/conflicts", responses=answers(401, 503))
    def conflicts(who: Who, all: bool = False) -> list[ConflictInfo]:
        return sync.list_conflicts(db, who, all)

    app.include_router(blobs.router(db, principal), responses=answers(413, 503))

    @app.post("/conflicts/{conflict_id}/resolve", responses=answers(400, 401, 403, 404, 413, 503))
    def resolve(
        conflict_id: Annotated[str, Path(pattern=UUID_PATTERN)], body: ResolveRequest, who: Who
    ) -> ConflictInfo:
        return sync.resolve(db, who, conflict_id, body.keep)

    Kind = Annotated[str, Path(max_length=40, pattern=r"^[a-z_]+$")]
    RecordId = Annotated[str, Path(pattern=UUID_PATTERN)]

    @app.get("/history/{entity}/{record_id}", responses=answers(400, 401, 403, 404, 503))
    def record_history(entity: Kind, record_id: RecordId, who: Who) -> HistoryReply:
        entries = history.of_record(db, who, entity, record_id)
        return HistoryReply(entity=entity, id=record_id, entries=entries)

    @app.post("/admin/erase/{kind}/{record_id}", responses=answers(400, 401, 403, 404, 413, 503))
    def erase(
        kind: Annotated[str, Path(pattern=r"^(contact|lead)s?$")], record_id: RecordId, who: Who
    ) -> ErasureReply:
        done = erasure.erase(db, who, kind, record_id)
        return ErasureReply(
            entity=done.entity, id=done.id, redacted=done.redacted, already=done.already
        )

    app.include_router(admin_api.router(db, principal), responses=answers(413, 503))
    app.include_router(reporting_api.router(db, principal))
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` (each worker opens its own engine)."""
    return create_app(Database.open(None, create=False))
