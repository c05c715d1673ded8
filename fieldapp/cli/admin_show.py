"""How ``fieldapp admin`` shows a proposal's diff and the list of proposals to people."""

from __future__ import annotations

from typing import Any

from fieldapp.sync.proposal_batch import describe

from .output import print_table

SHOWN_ACCOUNTS = 20  # the rest with --json


def _money(value: dict[str, str]) -> str:
    return ", ".join(f"{currency} {amount}" for currency, amount in value.items()) or "-"


def _headline(diff: dict[str, Any]) -> str:
    if diff.get("kind") == "rollback":
        what = f"rollback to version {diff['rollback_to']}"
    else:
        what = f"territory {describe(diff)}"
    state = "dry run, nothing changed" if diff.get("dry_run") else diff.get("state", "")
    version = diff.get("version")
    return f"version {version} ({state}): {what}" if version else f"({state}) {what}"


def show_diff(diff: dict[str, Any]) -> None:
    print(_headline(diff))
    print(
        f"{diff['moving_count']} accounts change hands "
        f"({diff['territory_moves']} of them change territory)"
    )
    for change in diff["reps_changes"]:
        before = ", ".join(change["before"]) or "nobody"
        after = ", ".join(change["after"]) or "nobody"
        print(f"territory {change['territory']}: {before} → {after}")
    rows = [
        {
            "rep": r["rep"],
            "gained": r["gained"],
            "lost": r["lost"],
            "accounts": f"{r['before']['accounts']} → {r['after']['accounts']}",
            "open pipeline": (
                f"{_money(r['before']['open_pipeline'])} → {_money(r['after']['open_pipeline'])}"
            ),
        }
        for r in diff["per_rep"]
    ]
    if rows:
        print_table(rows, ["rep", "gained", "lost", "accounts", "open pipeline"], max_width=60)
    moving = diff["accounts_moving"]
    if moving:
        print("accounts changing hands:")
        for a in moving[:SHOWN_ACCOUNTS]:
            where = (
                f"{a['from_territory'] or '-'} → {a['to_territory'] or '-'}"
                if a["from_territory"] != a["to_territory"]
                else a["to_territory"]
            )
            reps = f"{', '.join(a['from_reps']) or '-'} → {', '.join(a['to_reps']) or '-'}"
            print(f"  {a['name']}  {where}  ({reps})")
        if len(moving) > SHOWN_ACCOUNTS:
            print(f"  … and {len(moving) - SHOWN_ACCOUNTS} more (--json lists them all)")
    if diff.get("state") == "proposed" and diff.get("version"):
        print(f"apply it with: fieldapp admin apply {diff['version']}")


def show_proposals(rows: list[dict[str, Any]]) -> None:
    shown = [
        {
            "version": p["version"],
            "state": p["state"],
            "what": _headline({**p, "version": None, "state": ""}).removeprefix("() "),
            "moved": p.get("moved", ""),
            "by": p["applied_by"] or p["created_by"],
            "when": p["applied_at"] or p["created_at"],
        }
        for p in rows
    ]
    print_table(shown, ["version", "state", "what", "moved", "by", "when"], max_width=60)
