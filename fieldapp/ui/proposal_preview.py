"""The Proposals tab's previews as shown: worked out on a worker, with each rep's hours.

Also which accounts a form request names (a filter or a list, read on the replica).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from fieldapp.errors import FieldappError
from fieldapp.reports import workload
from fieldapp.sync import proposal_batch as batch
from fieldapp.ui.proposal_form import FormRequest

Preview = tuple[list[int], dict[str, Any]]  # the versions shown and their (combined) diff


@dataclass(frozen=True)
class Shown:
    """A preview as the tab shows it, worked out in the background."""

    versions: list[int]
    diff: dict[str, Any]
    where: dict[str, str | None]  # account -> territory id after
    reps_after: dict[str, list[str]]  # territory id -> reps after
    hours: dict[str, tuple[float, float]]  # rep -> planned visit hours now, after


def shown(
    preview: Preview, territories: list[dict[str, Any]], loads: list[workload.AccountLoad]
) -> Shown:
    """Runs on a worker: the diff, where its accounts go and each rep's hours (all accounts)."""
    versions, diff = preview
    where, reps_after = batch.after_state(territories, diff)
    before = {t["id"]: list(t["reps"]) for t in territories}
    view = workload.balance_view(loads, "hours", before, where, reps_after)
    return Shown(versions, diff, where, reps_after, {r: (a, b) for r, a, b in view.rows})


def accounts(session: Session, request: FormRequest) -> list[str] | None:
    """The account ids a form request names (None: the territory's reps only, or its shape)."""
    if request.source == "map":
        return request.selected
    if request.source == "filter":
        found = workload.accounts_matching(session, request.text)
    elif request.source == "list":
        found = workload.accounts_named(session, request.text.split(","))
    else:
        return None
    if not found:
        raise FieldappError(f"no account matches {request.text!r}; nothing was proposed")
    return found
