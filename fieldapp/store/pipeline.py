"""The sales pipeline's stages, as plain values, and the defaults a stage gives a deal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.store.models import PipelineStage


@dataclass(frozen=True)
class Stage:
    id: str
    name: str
    position: int
    probability: int
    is_won: bool
    is_lost: bool


def pipeline(session: Session) -> list[Stage]:
    rows = session.scalars(
        select(PipelineStage)
        .where(PipelineStage.deleted_at.is_(None))
        .order_by(PipelineStage.position)
    )
    return [Stage(r.id, r.name, r.position, r.probability, r.is_won, r.is_lost) for r in rows]


def stage_by_name(session: Session, name: str) -> Stage | None:
    for stage in pipeline(session):
        if stage.name.lower() == name.strip().lower():
            return stage
    return None


def apply_stage_defaults(session: Session, cleaned: dict[str, Any]) -> None:
    stage = stage_by_name(session, cleaned["stage"])
    if stage is None:
        return
    cleaned["stage"] = stage.name
    if cleaned.get("probability") is None:
        cleaned["probability"] = stage.probability
