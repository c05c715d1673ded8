"""The admin HTTP API under ``/admin``: users, territories, assignment proposals, audit.

Admins only: anyone else gets 403 ("only an admin can …"), whatever their client
shows. Every call is audited (server/audit.py): a change together with its own
transaction, a read, a refusal or a failed change as an entry of its own. Every change
takes ``?dry_run=true``, which does all the work and its checks and keeps none of it.
"""

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from fieldapp.server import audit, proposals, territories, users
from fieldapp.server.auth import ForbiddenError, Principal
from fieldapp.server.db import Database, ServerError
from fieldapp.sync.protocol import Role

T = TypeVar("T")
Name = Annotated[str, Field(min_length=1, max_length=200)]
Names = Annotated[list[Name], Field(max_length=10_000)]


class UserCreate(BaseModel):
    username: Annotated[str, Field(min_length=1, max_length=users.MAX_NAME)]
    password: Annotated[str, Field(max_length=users.MAX_PASSWORD)]
    role: Role
    manager: Name | None = None


class UserChange(BaseModel):
    role: Role | None = None
    manager: Name | None = None
    clear_manager: bool = False


class PasswordReset(BaseModel):
    password: Annotated[str, Field(max_length=users.MAX_PASSWORD)]


class TerritoryCreate(BaseModel):
    name: Name
    polygon: dict[str, Any] | None = None
    postcodes: Names | None = None
    regions: Names | None = None
    manager: Name | None = None


class TerritoryChange(BaseModel):
    name: Name | None = None
    polygon: dict[str, Any] | None = None
    clear_polygon: bool = False
    postcodes: Names | None = None
    regions: Names | None = None
    manager: Name | None = None
    clear_manager: bool = False


class RepsSet(BaseModel):
    reps: Names


class ProposalCreate(BaseModel):
    territory: Name
    reps: Names | None = None
    accounts: (
        Annotated[list[Annotated[str, Field(max_length=36)]], Field(max_length=200_000)] | None
    ) = None
    match: bool = False
    note: Annotated[str, Field(max_length=2000)] | None = None


class RollbackRequest(BaseModel):
    version: Annotated[int, Field(ge=0, le=2**31 - 1)]


DryRun = Annotated[bool, Query()]


class Problem(BaseModel):
    """What every refusal carries: one sentence for people."""

    detail: str


# Documented on every admin endpoint (OpenAPI), as the server answers them.
ANSWERS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "the change cannot be made; the sentence says why"},
    401: {"model": Problem, "description": "no token, an expired one, or a deactivated user"},
    403: {"model": Problem, "description": "only an admin can do this"},
    404: {"model": Problem, "description": "no user, territory or proposal by the path's name"},
}


def router(db: Database, principal: Callable[..., Principal]) -> APIRouter:
    api = APIRouter(prefix="/admin", tags=["admin"], responses=ANSWERS)

    def admin(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if who.role != "admin":
            audit.log(db, who, "refused", None, {"role": who.role}, "refused")
            raise ForbiddenError(f"only an admin can do this (you are a {who.role})")
        return who

    Admin = Annotated[Principal, Depends(admin)]

    def audited(who: Principal, action: str, target: str | None, work: Callable[[], T]) -> T:
        """Run a call; a refused change is audited too (its own transaction rolled back)."""
        try:
            return work()
        except ServerError as exc:
            audit.log(db, who, action, target, {"error": str(exc)}, "failed")
            raise

    def read(who: Principal, action: str, work: Callable[[], T]) -> T:
        result = work()
        audit.log(db, who, action)
        return result

    # --- users ---------------------------------------------------------------------

    @api.get("/users")
    def list_users(who: Admin) -> list[dict[str, Any]]:
        return read(who, "user.list", lambda: [u.as_dict() for u in users.list_users(db)])

    @api.post("/users", status_code=201)
    def add_user(body: UserCreate, who: Admin, dry_run: DryRun = False) -> dict[str, Any]:
        user_id = audited(
            who,
            "user.add",
            body.username,
            lambda: users.add_user(
                db, who, body.username, body.password, body.role, body.manager, dry_run=dry_run
            ),
        )
        return {"id": user_id, "username": body.username, "dry_run": dry_run}

    @api.patch("/users/{name}")
    def change_user(
        name: str, body: UserChange, who: Admin, dry_run: DryRun = False
    ) -> dict[str, Any]:
        row = audited(
            who,
            "user.change",
            name,
            lambda: users.change_user(
                db,
                who,
                name,
                role=body.role,
                manager=body.manager,
                clear_manager=body.clear_manager,
                dry_run=dry_run,
            ),
        )
        return {**row.as_dict(), "dry_run": dry_run}

    @api.post("/users/{name}/password")
    def reset_password(
        name: str, body: PasswordReset, who: Admin, dry_run: DryRun = False
    ) -> dict[str, Any]:
        revoked = audited(
            who,
            "user.password",
            name,
            lambda: users.reset_password(db, who, name, body.password, dry_run=dry_run),
        )
        return {"username": name, "revoked": revoked, "dry_run": dry_run}

    def set_active(name: str, who: Principal, active: bool, dry_run: bool) -> dict[str, Any]:
        action = "user.activate" if active else "user.deactivate"
        revoked = audited(
            who, action, name, lambda: users.set_active(db, who, name, active, dry_run=dry_run)
        )
        return {"username": name, "active": active, "revoked": revoked, "dry_run": dry_run}

    @api.post("/users/{name}/deactivate")
    def deactivate(name: str, who: Admin, dry_run: DryRun = False) -> dict[str, Any]:
        return set_active(name, who, False, dry_run)

    @api.post("/users/{name}/activate")
    def activate(name: str, who: Admin, dry_run: DryRun = False) -> dict[str, Any]:
        return set_active(name, who, True, dry_run)

    @api.delete("/users/{name}")
    def delete_user(
        name: str,
        who: Admin,
        reassign_to: Annotated[str | None, Query(max_length=200)] = None,
        dry_run: DryRun = False,
    ) -> dict[str, Any]:
        done = audited(
            who,
            "user.delete",
            name,
            lambda: users.delete_user(db, who, name, reassign_to, dry_run=dry_run),
        )
        return {**done.as_dict(), "dry_run": dry_run}

    # --- territories ---------------------------------------------------------------

    @api.get("/territories")
    def list_territories(who: Admin) -> list[dict[str, Any]]:
        return read(
            who, "territory.list", lambda: [t.as_dict() for t in territories.list_territories(db)]
        )

    @api.post("/territories", status_code=201)
    def create_territory(
        body: TerritoryCreate, who: Admin, dry_run: DryRun = False
    ) -> dict[str, Any]:
        shape = territories.Shape(body.polygon, body.postcodes, body.regions)
        tid = audited(
            who,
            "territory.create",
            body.name,
            lambda: territories.create(db, who, body.name, shape, body.manager, dry_run=dry_run),
        )
        return {"id": tid, "name": body.name, "dry_run": dry_run}

    @api.patch("/territories/{name}")
    def change_territory(
        name: str, body: TerritoryChange, who: Admin, dry_run: DryRun = False
    ) -> dict[str, Any]:
        shape = territories.Shape(body.polygon, body.postcodes, body.regions, body.clear_polygon)
        row = audited(
            who,
            "territory.update",
            name,
            lambda: territories.update(
                db,
                who,
                name,
                new_name=body.name,
                shape=shape,
                manager=body.manager,
                clear_manager=body.clear_manager,
                dry_run=dry_run,
            ),
        )
        return {**row.as_dict(), "dry_run": dry_run}

    @api.delete("/territories/{name}")
    def delete_territory(name: str, who: Admin, dry_run: DryRun = False) -> dict[str, Any]:
        tid = audited(
            who,
            "territory.delete",
            name,
            lambda: territories.remove(db, who, name, dry_run=dry_run),
        )
        return {"id": tid, "name": name, "dry_run": dry_run}

    @api.put("/territories/{name}/reps")
    def set_reps(name: str, body: RepsSet, who: Admin, dry_run: DryRun = False) -> dict[str, Any]:
        """Several reps per territory, as a proposal applied at once (so it can be rolled back)."""
        return audited(
            who,
            "territory.reps",
            name,
            lambda: proposals.set_reps(db, who, name, body.reps, dry_run=dry_run),
        )

    # --- proposals -----------------------------------------------------------------

    @api.get("/proposals")
    def list_proposals(who: Admin) -> list[dict[str, Any]]:
        return read(who, "proposal.list", lambda: proposals.list_proposals(db))

    @api.post("/proposals", status_code=201)
    def create_proposal(
        body: ProposalCreate, who: Admin, dry_run: DryRun = False
    ) -> dict[str, Any]:
        request = proposals.Request(body.territory, body.reps, body.accounts, body.match, body.note)
        return audited(
            who,
            "proposal.create",
            body.territory,
            lambda: proposals.create(db, who, request, dry_run=dry_run),
        )

    @api.get("/proposals/{version}/diff")
    def proposal_diff(version: int, who: Admin) -> dict[str, Any]:
        return read(who, "proposal.diff", lambda: proposals.diff(db, _version(version)))

    @api.post("/proposals/{version}/apply")
    def apply_proposal(version: int, who: Admin, dry_run: DryRun = False) -> dict[str, Any]:
        return audited(
            who,
            "proposal.apply",
            str(version),
            lambda: proposals.apply(db, who, _version(version), dry_run=dry_run),
        )

    @api.post("/rollback")
    def rollback(body: RollbackRequest, who: Admin, dry_run: DryRun = False) -> dict[str, Any]:
        return audited(
            who,
            "proposal.rollback",
            str(body.version),
            lambda: proposals.rollback(db, who, body.version, dry_run=dry_run),
        )

    # --- audit ---------------------------------------------------------------------

    @api.get("/audit")
    def audit_trail(
        who: Admin,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
        actor: Annotated[str | None, Query(max_length=80)] = None,
    ) -> list[dict[str, Any]]:
        rows = [e.__dict__ for e in audit.entries(db, limit, actor)]
        audit.log(db, who, "audit.read")
        return rows

    return api


def _version(value: int) -> int:
    if not 0 < value < 2**31:
        raise proposals.NoSuchProposal(f"no proposal {value}")
    return value
