"""Several proposals as one change: what the Admin panel's Proposals tab sends and shows.

A server proposal moves accounts into *one* territory (server/proposals.py). A balance
suggestion moves them into several, so it becomes one proposal per receiving territory,
made, previewed and applied together. Their diffs add up: each account moves in one of
them only, so a rep's gains, losses and workload change are the sums of the parts
(:func:`combine`). Rolling back to the version before the first undoes them all.

Calls go through ``sync.admin_api.AdminApi`` (with the signed-in admin's token:
``admin_api.with_admin``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from fieldapp.errors import FieldappError
from fieldapp.sync.admin_api import AdminApi

Progress = Callable[[int, int, str], None]  # done, total, what is being done


def propose_moves(
    api: AdminApi,
    moves: Mapping[str, str],
    note: str | None = None,
    progress: Progress | None = None,
) -> list[int]:
    """Accounts (id -> receiving territory name) as one proposal per territory; versions."""
    by_target: dict[str, list[str]] = {}
    for account, territory in moves.items():
        by_target.setdefault(territory, []).append(account)
    versions = []
    for n, territory in enumerate(sorted(by_target)):
        if progress is not None:
            progress(n, len(by_target), f"proposing the moves into {territory}")
        versions.append(api.propose(territory, accounts=by_target[territory], note=note))
    return versions


def diffs(api: AdminApi, versions: Iterable[int], progress: Progress | None = None) -> list[Any]:
    wanted = list(versions)
    out = []
    for n, version in enumerate(wanted):
        if progress is not None:
            progress(n, len(wanted), f"working out what version {version} moves")
        out.append(api.diff(version))
    return out


def apply_all(
    api: AdminApi, versions: Iterable[int], progress: Progress | None = None
) -> list[Any]:
    """Apply the versions in order; stops at the first refusal (those before stay applied)."""
    wanted = list(versions)
    done = []
    for n, version in enumerate(wanted):
        if progress is not None:
            progress(n, len(wanted), f"applying version {version}")
        try:
            done.append(api.apply(version))
        except FieldappError as exc:
            if not done:
                raise
            applied = ", ".join(str(d["version"]) for d in done)
            raise FieldappError(
                f"versions {applied} were applied, then version {version} was refused: {exc.plain}"
            ) from exc
    return done


def _money_add(total: dict[str, Decimal], other: Mapping[str, str], sign: int) -> None:
    for currency, amount in other.items():
        total[currency] = total.get(currency, Decimal(0)) + sign * Decimal(amount)


def combine(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One diff of several proposals whose accounts do not overlap (module docstring)."""
    if len(parts) == 1:
        return parts[0]
    reps: dict[str, dict[str, Any]] = {}
    for part in parts:
        for row in part["per_rep"]:
            rep = reps.setdefault(
                row["rep"],
                {
                    "rep": row["rep"],
                    "gained": 0,
                    "lost": 0,
                    "before": row["before"],
                    "delta": 0,
                    "money": {},
                },
            )
            rep["gained"] += row["gained"]
            rep["lost"] += row["lost"]
            rep["delta"] += row["after"]["accounts"] - row["before"]["accounts"]
            _money_add(rep["money"], row["after"]["open_pipeline"], 1)
            _money_add(rep["money"], row["before"]["open_pipeline"], -1)
    per_rep = []
    for name in sorted(reps):
        r = reps[name]
        money: dict[str, Decimal] = {}
        _money_add(money, r["before"]["open_pipeline"], 1)
        for currency, change in r["money"].items():
            money[currency] = money.get(currency, Decimal(0)) + change
        after = {
            "accounts": r["before"]["accounts"] + r["delta"],
            "open_pipeline": {c: str(a) for c, a in sorted(money.items()) if a},
        }
        per_rep.append(
            {
                "rep": name,
                "gained": r["gained"],
                "lost": r["lost"],
                "before": r["before"],
                "after": after,
            }
        )
    return {
        "version": [p["version"] for p in parts],
        "state": parts[0]["state"],
        "territory": ", ".join(str(p["territory"]) for p in parts),
        "moving_count": sum(p["moving_count"] for p in parts),
        "territory_moves": sum(p["territory_moves"] for p in parts),
        "reps_changes": [c for p in parts for c in p["reps_changes"]],
        "per_rep": per_rep,
        "accounts_moving": [a for p in parts for a in p["accounts_moving"]],
    }


def who_gains_and_loses(diff: Mapping[str, Any]) -> list[str]:
    """The confirmation's lines: "ana loses 12 accounts", "ben gains 12 accounts"."""
    lines = []
    for row in diff["per_rep"]:
        parts = []
        if row["gained"]:
            parts.append(f"gains {row['gained']}")
        if row["lost"]:
            parts.append(f"loses {row['lost']}")
        if parts:
            total = row["gained"] + row["lost"]
            noun = "account" if total == 1 and len(parts) == 1 else "accounts"
            lines.append(f"{row['rep']} {' and '.join(parts)} {noun}")
    return lines


def after_state(
    territories: list[dict[str, Any]], diff: Mapping[str, Any]
) -> tuple[dict[str, str | None], dict[str, list[str]]]:
    """Where the diff's accounts end up (id -> territory id) and each territory's reps after.

    ``territories`` is the server's territory list (id, name, reps) as it is now.
    """
    by_name = {t["name"]: t["id"] for t in territories}
    where: dict[str, str | None] = {}
    for line in diff["accounts_moving"]:
        if line["from_territory"] != line["to_territory"]:
            where[line["id"]] = by_name.get(line["to_territory"])
    reps = {t["id"]: list(t["reps"]) for t in territories}
    for change in diff["reps_changes"]:
        if change["territory"] in by_name:
            reps[by_name[change["territory"]]] = list(change["after"])
    return where, reps


def describe(p: Mapping[str, Any]) -> str:
    """A proposal in a few words: "South ← 12 accounts", "roll back to version 3"."""
    if p.get("kind") == "rollback":
        return f"roll back to version {p['rollback_to']}"
    parts = []
    if p.get("reps") is not None:
        parts.append(f"reps {', '.join(p['reps']) or 'none'}")
    if p.get("accounts") == "match":
        parts.append("the accounts its shape holds")
    elif p.get("accounts"):
        parts.append(f"{p['accounts']} accounts")
    return f"{p.get('territory')} ← {' and '.join(parts)}"
