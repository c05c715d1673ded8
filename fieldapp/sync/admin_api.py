"""The server's admin API (``/admin``, server/admin_api.py) for the signed-in admin.

Plain values in and out (the JSON the server sends), so the command line and the
desktop app can show them as they like. Every change takes ``dry_run``: the server
does all the work and its checks, reports what would happen and keeps nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

from fieldapp.store.db import Replica
from fieldapp.sync.transport import Transport

T = TypeVar("T")


def _path(*parts: str) -> str:
    return "/admin/" + "/".join(quote(p, safe="") for p in parts)


def _dry(dry_run: bool) -> dict[str, str]:
    return {"dry_run": "true"} if dry_run else {}


class AdminApi:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        return self.transport.call(method, path, body, **params)

    # --- users ---------------------------------------------------------------------

    def users(self) -> list[dict[str, Any]]:
        return list(self._call("GET", _path("users")))

    def add_user(
        self,
        username: str,
        password: str,
        role: str,
        manager: str | None = None,
        *,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        body = {"username": username, "password": password, "role": role, "manager": manager}
        return dict(self._call("POST", _path("users"), body, **_dry(dry_run)))

    def change_user(
        self,
        username: str,
        *,
        role: str | None = None,
        manager: str | None = None,
        clear_manager: bool = False,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        body = {"role": role, "manager": manager, "clear_manager": clear_manager}
        return dict(self._call("PATCH", _path("users", username), body, **_dry(dry_run)))

    def reset_password(
        self, username: str, password: str, *, dry_run: bool = False
    ) -> dict[str, Any]:
        path = _path("users", username, "password")
        return dict(self._call("POST", path, {"password": password}, **_dry(dry_run)))

    def set_active(self, username: str, active: bool, *, dry_run: bool = False) -> dict[str, Any]:
        action = "activate" if active else "deactivate"
        return dict(self._call("POST", _path("users", username, action), **_dry(dry_run)))

    def delete_user(
        self, username: str, reassign_to: str | None = None, *, dry_run: bool = False
    ) -> dict[str, Any]:
        params = _dry(dry_run) | ({"reassign_to": reassign_to} if reassign_to else {})
        return dict(self._call("DELETE", _path("users", username), **params))

    # --- territories ---------------------------------------------------------------

    def territories(self) -> list[dict[str, Any]]:
        return list(self._call("GET", _path("territories")))

    def create_territory(
        self,
        name: str,
        *,
        polygon: dict[str, Any] | None = None,
        postcodes: list[str] | None = None,
        regions: list[str] | None = None,
        manager: str | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        body = {
            "name": name,
            "polygon": polygon,
            "postcodes": postcodes,
            "regions": regions,
            "manager": manager,
        }
        return dict(self._call("POST", _path("territories"), body, **_dry(dry_run)))

    def change_territory(
        self, territory: str, *, dry_run: bool = False, **fields: Any
    ) -> dict[str, Any]:
        """Fields: name (the new one), polygon, clear_polygon, postcodes, regions, manager."""
        return dict(self._call("PATCH", _path("territories", territory), fields, **_dry(dry_run)))

    def delete_territory(self, name: str, *, dry_run: bool = False) -> dict[str, Any]:
        return dict(self._call("DELETE", _path("territories", name), **_dry(dry_run)))

    def set_reps(self, name: str, reps: list[str], *, dry_run: bool = False) -> dict[str, Any]:
        path = _path("territories", name, "reps")
        return dict(self._call("PUT", path, {"reps": reps}, **_dry(dry_run)))

    # --- proposals -----------------------------------------------------------------

    def proposals(self) -> list[dict[str, Any]]:
        return list(self._call("GET", _path("proposals")))

    def propose(
        self,
        territory: str,
        *,
        reps: list[str] | None = None,
        accounts: list[str] | None = None,
        match: bool = False,
        note: str | None = None,
    ) -> int:
        """Record a proposal; return its version."""
        body = {
            "territory": territory,
            "reps": reps,
            "accounts": accounts,
            "match": match,
            "note": note,
        }
        return int(self._call("POST", _path("proposals"), body)["version"])

    def diff(self, version: int) -> dict[str, Any]:
        return dict(self._call("GET", _path("proposals", str(version), "diff")))

    def apply(self, version: int, *, dry_run: bool = False) -> dict[str, Any]:
        path = _path("proposals", str(version), "apply")
        return dict(self._call("POST", path, **_dry(dry_run)))

    def rollback(self, version: int, *, dry_run: bool = False) -> dict[str, Any]:
        return dict(self._call("POST", _path("rollback"), {"version": version}, **_dry(dry_run)))

    def audit(self, limit: int = 100) -> list[dict[str, Any]]:
        return list(self._call("GET", _path("audit"), limit=limit))


def with_admin(replica: Replica, work: Callable[[AdminApi], T]) -> T:
    """Run ``work`` against the admin API as this replica's signed-in user.

    A token the server refuses is forgotten (``SignedOut``), as a sync does; the UI says
    each error in words (``ui/admin_calls.admin_error``).
    """
    # Imported here: account.py imports the sync engine, which this module need not load.
    from fieldapp.sync.account import signed_in_transport, signed_out
    from fieldapp.sync.errors import AuthRequired

    transport = signed_in_transport(replica)
    try:
        return work(AdminApi(transport))
    except AuthRequired:
        raise signed_out(replica) from None
    finally:
        transport.close()
