"""An admin's territory changes kept as drafts on disk until the server has them.

The Admin panel lets an admin draw and edit territories offline: every change is first
written here (``admin-drafts.json`` in the data dir, 0600 like the replica), then sent
in order through the admin API (sync/admin_api.py). A draft leaves the file only when
the server has taken it; one the server refuses stays, with the server's sentence, until
the admin discards or redoes it. Nothing of it is a secret (no passwords: user changes
are never drafted).

The file also keeps the last lists of territories and users the server sent, so the
panel shows them, with the drafts laid over them (:func:`overlay`), after a restart
without the network.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from fieldapp.store.private import private_file
from fieldapp.sync.admin_api import AdminApi
from fieldapp.sync.errors import AuthRequired, Forbidden, NotSignedIn, SyncError, Unreachable

log = logging.getLogger(__name__)

DRAFTS_FILE = "admin-drafts.json"
Action = Literal["create", "change", "delete", "reps"]
ACTIONS: tuple[Action, ...] = ("create", "change", "delete", "reps")


@dataclass(frozen=True)
class Draft:
    """One territory change not yet taken by the server.

    ``territory`` is the name the change is about when it is made (for ``create``, the
    new territory's); ``fields`` are the admin API's: for ``create`` polygon, postcodes,
    regions, manager; for ``change`` those and name, clear_polygon, clear_manager; for
    ``reps`` the list under ``reps``.
    """

    action: Action
    territory: str
    fields: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    made_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    # The server's refusal, in its words, when it refused the draft.
    refused: str | None = None

    def describe(self) -> str:
        """The change in words ("rename North to North-East")."""
        f = self.fields
        if self.action == "create":
            return f"create {self.territory}"
        if self.action == "delete":
            return f"delete {self.territory}"
        if self.action == "reps":
            reps = ", ".join(f.get("reps") or []) or "nobody"
            return f"give {self.territory} the reps {reps}"
        parts = []
        if f.get("name"):
            parts.append(f"rename {self.territory} to {f['name']}")
        if f.get("polygon") or f.get("clear_polygon"):
            parts.append("new polygon" if f.get("polygon") else "remove the polygon")
        if f.get("postcodes") is not None:
            parts.append("new postcodes")
        if f.get("regions") is not None:
            parts.append("new regions")
        if f.get("manager") or f.get("clear_manager"):
            parts.append(f"manager {f.get('manager') or 'none'}")
        return f"change {self.territory}: " + ", ".join(parts or ["nothing"])


@dataclass(frozen=True)
class SendReport:
    sent: list[Draft]
    refused: list[Draft]
    left: int  # drafts still waiting (refused ones included)


def _send_one(api: AdminApi, draft: Draft) -> None:
    f = dict(draft.fields)
    if draft.action == "create":
        api.create_territory(
            draft.territory,
            polygon=f.get("polygon"),
            postcodes=f.get("postcodes"),
            regions=f.get("regions"),
            manager=f.get("manager"),
        )
    elif draft.action == "change":
        api.change_territory(draft.territory, **f)
    elif draft.action == "delete":
        api.delete_territory(draft.territory)
    else:
        api.set_reps(draft.territory, list(f.get("reps") or []))


# The failures that stop sending: nothing is wrong with the draft itself.
STOPPERS = (Unreachable, AuthRequired, NotSignedIn, Forbidden)


class Drafts:
    """The drafts file of one data dir; safe to use from the GUI thread and a worker."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / DRAFTS_FILE
        self._lock = threading.Lock()
        self._data = self._read()

    # --- the file --------------------------------------------------------------------

    def _read(self) -> dict[str, Any]:
        empty: dict[str, Any] = {"drafts": [], "territories": None, "users": None}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return empty
        except (OSError, ValueError) as exc:
            # Kept aside, not overwritten: the admin's drafts may still be read from it.
            aside = self.path.with_suffix(".unreadable.json")
            log.warning("admin drafts file unreadable (%s); moved to %s", exc, aside.name)
            os.replace(self.path, aside)
            return empty
        if not isinstance(data, dict):
            return empty
        drafts = []
        for d in data.get("drafts") or []:
            try:
                if d["action"] in ACTIONS:
                    drafts.append(asdict(Draft(**d)))
            except (TypeError, KeyError):
                log.warning("skipping a malformed admin draft: %r", d)
        return {**empty, **data, "drafts": drafts}

    def _write(self) -> None:
        # A new file beside the old, then a rename: a crash leaves one or the other whole.
        tmp = self.path.with_suffix(".tmp")
        private_file(tmp)
        tmp.write_text(json.dumps(self._data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)

    # --- drafts ------------------------------------------------------------------------

    # Every operation reads the file first: it, not this object, is the truth (another
    # window on the same data dir, or the previous run, may have changed it).

    def pending(self) -> list[Draft]:
        with self._lock:
            self._data = self._read()
            return [Draft(**d) for d in self._data["drafts"]]

    def add(self, draft: Draft) -> Draft:
        with self._lock:
            self._data = self._read()
            self._data["drafts"].append(asdict(draft))
            self._write()
        return draft

    def discard(self, draft_id: str) -> bool:
        """Drop a draft (the admin changed their mind, or Undo); False if already sent."""
        with self._lock:
            self._data = self._read()
            before = len(self._data["drafts"])
            self._data["drafts"] = [d for d in self._data["drafts"] if d["id"] != draft_id]
            if len(self._data["drafts"]) == before:
                return False
            self._write()
            return True

    def _update(self, draft: Draft) -> None:
        with self._lock:
            self._data = self._read()
            self._data["drafts"] = [
                asdict(draft) if d["id"] == draft.id else d for d in self._data["drafts"]
            ]
            self._write()

    def send(self, api: AdminApi, progress: Callable[[int, int], None] | None = None) -> SendReport:
        """Send every draft in order; each one the server takes leaves the file.

        A refusal (the server's 400) is kept on the draft and the next is tried; the
        network gone, a sign-in ended or a role that is not admin stop the run and
        raise, with every unsent draft kept.
        """
        drafts = self.pending()
        sent: list[Draft] = []
        refused: list[Draft] = []
        for i, draft in enumerate(drafts):
            if progress is not None:
                progress(i, len(drafts))
            try:
                _send_one(api, draft)
            except STOPPERS:
                raise
            except SyncError as exc:
                kept = replace(draft, refused=exc.plain)
                self._update(kept)
                refused.append(kept)
                continue
            self.discard(draft.id)
            sent.append(draft)
        if progress is not None:
            progress(len(drafts), len(drafts))
        return SendReport(sent, refused, len(self.pending()))

    # --- the last lists the server sent --------------------------------------------------

    def remember(self, key: Literal["territories", "users"], rows: list[dict[str, Any]]) -> None:
        with self._lock:
            self._data = self._read()
            self._data[key] = rows
            self._data[f"{key}_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            self._write()

    def remembered(self, key: Literal["territories", "users"]) -> list[dict[str, Any]] | None:
        """The list last fetched (None if never); its time under ``remembered_at``."""
        with self._lock:
            self._data = self._read()
            rows = self._data.get(key)
            return [dict(r) for r in rows] if isinstance(rows, list) else None

    def remembered_at(self, key: Literal["territories", "users"]) -> str | None:
        with self._lock:
            self._data = self._read()
            value = self._data.get(f"{key}_at")
            return str(value) if value else None


def overlay(rows: Iterable[dict[str, Any]], drafts: Iterable[Draft]) -> list[dict[str, Any]]:
    """The territories as they will be once the drafts are sent, each with a ``draft``
    field saying what is still waiting ("" for none) and ``refused`` (the server's word).

    ``rows`` are the admin API's territory rows (name, reps, manager, accounts, postcodes,
    regions, polygon).
    """
    by_name: dict[str, dict[str, Any]] = {}
    for r in rows:
        by_name[str(r["name"])] = {**r, "draft": "", "refused": "", "deleted": False}
    for d in drafts:
        row = by_name.get(d.territory)
        note = d.describe()
        if d.action == "create":
            row = {
                "id": None,
                "name": d.territory,
                "reps": [],
                "manager": d.fields.get("manager"),
                "accounts": 0,
                "postcodes": list(d.fields.get("postcodes") or []),
                "regions": list(d.fields.get("regions") or []),
                "polygon": bool(d.fields.get("polygon")),
                "draft": "",
                "refused": "",
                "deleted": False,
            }
            by_name[d.territory] = row
        if row is None:
            continue  # about a territory no longer there: shown by the drafts list alone
        row["draft"] = "; ".join(x for x in (row["draft"], note) if x)
        if d.refused:
            row["refused"] = d.refused
        f = d.fields
        if d.action == "delete":
            row["deleted"] = True
        elif d.action == "reps":
            row["reps"] = sorted(f.get("reps") or [])
        elif d.action == "change":
            for key in ("postcodes", "regions"):
                if f.get(key) is not None:
                    row[key] = list(f[key])
            if f.get("polygon") or f.get("clear_polygon"):
                row["polygon"] = bool(f.get("polygon"))
            if f.get("manager") or f.get("clear_manager"):
                row["manager"] = f.get("manager")
            if f.get("name"):
                by_name.pop(d.territory, None)
                row["name"] = f["name"]
                by_name[f["name"]] = row
    return sorted(by_name.values(), key=lambda r: str(r["name"]).lower())
