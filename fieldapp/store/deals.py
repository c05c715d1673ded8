"""Deals (opportunities) as a whole: what closing and reopening one takes.

A field rule cannot see these, since they depend on the stage a deal is in now:
moving a won or lost deal back to an open stage reopens it, which is refused unless
the caller says it was meant (a person confirmed, or ``--reopen`` on the command
line); a reopened deal drops the reason it was closed for. Writes go through
:func:`fieldapp.store.services.create` / ``update``, so the outbox sees them as usual.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from fieldapp.errors import FieldappError, FieldError, ValidationError
from fieldapp.store import services

ENTITY = "opportunities"


class ReopenRefused(FieldappError):
    """A closed deal would have been moved to an open stage without ``reopen``."""

    def __init__(self, name: str, closed_stage: str, open_stage: str) -> None:
        super().__init__(f"{name} is {closed_stage}; moving it to {open_stage} would reopen it")
        self.name = name
        self.closed_stage = closed_stage
        self.open_stage = open_stage


def is_closed(stage: services.Stage | None) -> bool:
    return stage is not None and (stage.is_won or stage.is_lost)


def reopens(session: Session, deal_id: str, stage_name: str) -> bool:
    """True if moving the deal to ``stage_name`` would reopen it (it is won or lost now)."""
    current = services.get(session, ENTITY, deal_id)
    old = services.stage_by_name(session, current["stage"])
    new = services.stage_by_name(session, stage_name)
    return is_closed(old) and new is not None and not is_closed(new)


def create(session: Session, values: dict[str, Any], *, require_reason: bool = False) -> str:
    """Create a deal; return its id. With ``require_reason`` a deal created won or lost
    must say why."""
    stage_name = values.get("stage")
    if require_reason and stage_name:
        _need_reason(values, services.stage_by_name(session, stage_name))
    return services.create(session, ENTITY, values)


def update(
    session: Session,
    deal_id: str,
    values: dict[str, Any],
    *,
    reopen: bool = False,
    require_reason: bool = False,
) -> dict[str, Any]:
    """Change fields of a deal; return ``{field: new value}`` for what changed.

    Raises :class:`ReopenRefused` when the change moves a closed deal to an open stage
    and ``reopen`` is false. With ``require_reason`` a deal moved into a won or lost
    stage must come with a won/lost reason.
    """
    values = dict(values)
    stage_name = values.get("stage")
    new = services.stage_by_name(session, stage_name) if stage_name else None
    current = services.get(session, ENTITY, deal_id)
    old = services.stage_by_name(session, current["stage"])
    if new is not None and new != old:
        if is_closed(old) and not is_closed(new):
            if not reopen:
                assert old is not None
                raise ReopenRefused(current["name"], old.name, new.name)
            # Why it was won or lost no longer holds once it is open again.
            values.setdefault("won_lost_reason", None)
        elif require_reason:
            _need_reason(values, new)
    return services.update(session, ENTITY, deal_id, values)


def _need_reason(values: dict[str, Any], stage: services.Stage | None) -> None:
    if not is_closed(stage):
        return
    reason = values.get("won_lost_reason")
    if reason is None or not str(reason).strip():
        outcome = "won" if stage is not None and stage.is_won else "lost"
        raise ValidationError(
            [FieldError("won_lost_reason", f"is needed: say why the deal was {outcome}")]
        )
