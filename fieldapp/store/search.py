"""Full-text search over the replica (SQLite FTS5).

Every word of the query is a prefix ("acm" finds "Acme", "ac mü" finds "Acme
München"). Results are ranked by bm25 with the name weighted highest. For very short
queries (one or two characters in all) ranking every match would cost a scan of
tens of thousands of rows at 100k accounts; there we take matches in the name
column first, in index order, which is both fast and what a person typing "a"
expects to see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

# bm25 column weights, in FTS column order (see migration 0002).
WEIGHTS = {
    "accounts": (10.0, 2.0, 3.0, 3.0, 4.0, 1.0),
    "contacts": (6.0, 10.0, 2.0, 4.0, 2.0, 1.0),
    "leads": (6.0, 10.0, 8.0, 4.0, 1.0),
    "notes": (1.0,),
}
# The column searched first for short queries.
NAME_COLUMN = {"accounts": "name", "contacts": "last_name", "leads": "last_name", "notes": "body"}
SHORT_QUERY = 2

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Hit:
    id: str
    rank: float


def fts_query(query: str) -> str | None:
    """Turn what a person typed into an FTS5 query: each word a quoted prefix."""
    words = _WORD.findall(query)
    if not words:
        return None
    return " ".join(f'"{w}"*' for w in words)


def search_ids(session: Session, entity: str, query: str, *, limit: int = 50) -> list[str]:
    """Ids of live records of ``entity`` matching ``query``, best first."""
    return [hit.id for hit in search(session, entity, query, limit=limit)]


def search(session: Session, entity: str, query: str, *, limit: int = 50) -> list[Hit]:
    match = fts_query(query)
    if match is None or entity not in WEIGHTS:
        return []
    fts = f"{entity}_fts"
    hits: list[Hit] = []
    seen: set[str] = set()
    if sum(len(w) for w in _WORD.findall(query)) <= SHORT_QUERY:
        # Unranked, and lazily evaluated by FTS5: stops after `limit` live rows.
        rows = session.execute(
            text(
                f"SELECT t.id FROM {fts} f JOIN {entity} t ON t.rowid = f.rowid "
                f"WHERE {fts} MATCH :q AND t.deleted_at IS NULL LIMIT :limit"
            ),
            {"q": f"{{{NAME_COLUMN[entity]}}} : ({match})", "limit": limit},
        )
        for (row_id,) in rows:
            hits.append(Hit(row_id, 0.0))
            seen.add(row_id)
        if len(hits) >= limit:
            return hits
        extra = session.execute(
            text(
                f"SELECT t.id FROM {fts} f JOIN {entity} t ON t.rowid = f.rowid "
                f"WHERE {fts} MATCH :q AND t.deleted_at IS NULL LIMIT :limit"
            ),
            {"q": match, "limit": limit + len(seen)},
        )
        for (row_id,) in extra:
            if row_id not in seen and len(hits) < limit:
                hits.append(Hit(row_id, 0.0))
                seen.add(row_id)
        return hits
    weights = ", ".join(str(w) for w in WEIGHTS[entity])
    rows = session.execute(
        text(
            f"SELECT t.id, bm25({fts}, {weights}) AS score FROM {fts} f "
            f"JOIN {entity} t ON t.rowid = f.rowid "
            f"WHERE {fts} MATCH :q AND t.deleted_at IS NULL ORDER BY score LIMIT :limit"
        ),
        {"q": match, "limit": limit},
    )
    return [Hit(row_id, score) for row_id, score in rows]
