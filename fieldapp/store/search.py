"""Full-text search over the replica (SQLite FTS5).

Every word of the query is a prefix ("acm" finds "Acme", "ac mü" finds "Acme
München"); umlauts match written out ("baeck" finds "Bäckerei"), and phone numbers
match in any spelling (see search_terms). Results are ranked by bm25 with the name
weighted highest. For short queries (up to three characters in all) ranking every
match would cost a scan of thousands of rows at 100k accounts (p95 50 ms for three
characters); there we take matches in the name column first, in index order, which
is both fast and what a person typing "a" or "mül" expects to see.
Ranking starts at the fourth character.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from fieldapp.store import search_terms, triggers

# Indexed columns per table, in FTS column order: (plain columns, columns written
# into `folded` with umlauts spelled out, phone columns written into `phone_digits`).
# Migration 0012 made these indexes, contentless: the two extra columns exist only in
# the index. Notes keep 0002's external-content index over `body`.
SOURCES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "accounts": (
        ("name", "street", "city", "postcode", "tags", "description", "email", "website"),
        ("name", "street", "city"),
        ("phone",),
    ),
    "contacts": (
        ("first_name", "last_name", "title", "email", "phone", "city"),
        ("first_name", "last_name", "city"),
        ("phone", "mobile"),
    ),
    "leads": (
        ("first_name", "last_name", "company", "email", "city"),
        ("first_name", "last_name", "company", "city"),
        ("phone",),
    ),
}
FTS_COLUMNS: dict[str, tuple[str, ...]] = {
    **{table: (*plain, "folded", "phone_digits") for table, (plain, _, _) in SOURCES.items()},
    "notes": ("body",),
}
UMLAUTS: tuple[tuple[str, str], ...] = (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"))
UMLAUTS += (("Ö", "Oe"), ("Ü", "Ue"), ("ß", "ss"), ("ẞ", "SS"))
PHONE_PUNCTUATION = (" ", "-", "/", "(", ")", ".", "+", "\u00a0")
# Below this many rows the per-row triggers are cheaper than dropping them.
BULK_INDEX_THRESHOLD = 200

# bm25 column weights, in FTS column order. `folded` repeats the name, street and
# town, so it weighs in a little (a written-out match must still rank), and a match
# of the digits of a phone number is as telling as one of the name.
WEIGHTS = {
    "accounts": (10.0, 2.0, 3.0, 3.0, 4.0, 1.0, 4.0, 4.0, 3.0, 8.0),
    "contacts": (6.0, 10.0, 2.0, 4.0, 2.0, 1.0, 3.0, 8.0),
    "leads": (6.0, 10.0, 8.0, 4.0, 1.0, 3.0, 8.0),
    "notes": (1.0,),
}
# The column searched first for short queries.
NAME_COLUMN = {"accounts": "name", "contacts": "last_name", "leads": "last_name", "notes": "body"}
SHORT_QUERY = 3
# Matches ranked beyond the limit, so that a few deleted ones do not need a second pass.
RANK_ROOM = 10


@dataclass(frozen=True)
class Hit:
    id: str
    rank: float


def fts_query(query: str, entity: str = "accounts") -> str | None:
    """Turn what a person typed into an FTS5 query (see search_terms.fts_query)."""
    phone_column = "phone_digits" if entity in SOURCES else None
    return search_terms.fts_query(query, phone_column=phone_column)


def index_values(table: str, row: str) -> str:
    """SQL for the index columns of ``row`` (e.g. "new", or the table), in FTS order.

    The same expressions as migration 0012's triggers (0017's for contacts): a bulk
    index must write what the triggers would, or their 'delete' would later not match.
    """
    if table not in SOURCES:
        return ", ".join(f"{row}.{c}" for c in FTS_COLUMNS[table])
    plain, folded, phones = SOURCES[table]
    return ", ".join((*(f"{row}.{c}" for c in plain), _folded(row, folded), _digits(row, phones)))


def _joined(row: str, cols: tuple[str, ...], separator: str = " ") -> str:
    return f" || '{separator}' || ".join(f"coalesce({row}.{c}, '')" for c in cols)


def _folded(row: str, cols: tuple[str, ...]) -> str:
    sql = _joined(row, cols)
    for letter, spelled in UMLAUTS:
        sql = f"replace({sql}, '{letter}', '{spelled}')"
    return sql


def _digits(row: str, cols: tuple[str, ...]) -> str:
    # A comma keeps a contact's phone and mobile two tokens (store migration 0017): the
    # spaces go with the punctuation, and the tokenizer splits on the comma.
    sql = _joined(row, cols, ",")
    for mark in PHONE_PUNCTUATION:
        sql = f"replace({sql}, '{mark}', '')"
    return sql


def search_ids(session: Session, entity: str, query: str, *, limit: int = 50) -> list[str]:
    """Ids of live records of ``entity`` matching ``query``, best first."""
    return [hit.id for hit in search(session, entity, query, limit=limit)]


def search(session: Session, entity: str, query: str, *, limit: int = 50) -> list[Hit]:
    match = fts_query(query, entity)
    if match is None or entity not in WEIGHTS:
        return []
    fts = f"{entity}_fts"
    hits: list[Hit] = []
    seen: set[str] = set()
    if sum(len(w) for w in search_terms.words(query)) <= SHORT_QUERY:
        # Unranked, and lazily evaluated by FTS5: stops after `limit` live rows.
        rows = session.execute(
            text(
                f"SELECT t.id FROM {fts} f JOIN {entity} t ON t.rowid = f.rowid "
                f"WHERE {fts} MATCH :q AND t.deleted_at IS NULL LIMIT :limit"
            ),
            {"q": f"{{{NAME_COLUMN[entity]}}} : ({_words_only(query)})", "limit": limit},
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
    return _ranked(session, entity, match, limit)


def _ranked(session: Session, entity: str, match: str, limit: int) -> list[Hit]:
    """The best ``limit`` live matches by bm25.

    Ranked inside the index first, and only the best few joined to their rows to leave
    out the deleted: joining every match (10k for "schu" at 100k accounts) to see
    whether it was deleted cost as much as ranking them all (18 → 8 ms CPU). Deleted
    rows are few; when they push the live ones below ``limit``, rank again with more
    room, until the index has no more matches to give.
    """
    fts = f"{entity}_fts"
    weights = ", ".join(str(w) for w in WEIGHTS[entity])
    sql = text(
        f"SELECT t.id, f.score, t.deleted_at IS NULL FROM "
        f"(SELECT rowid, bm25({fts}, {weights}) AS score FROM {fts} "
        f"WHERE {fts} MATCH :q ORDER BY score LIMIT :room) f "
        f"LEFT JOIN {entity} t ON t.rowid = f.rowid ORDER BY f.score"
    )
    room = limit + RANK_ROOM
    while True:
        rows = session.execute(sql, {"q": match, "room": room}).all()
        hits = [Hit(row_id, score) for row_id, score, live in rows if live]
        if len(hits) >= limit or len(rows) < room:
            return hits[:limit]
        room *= 4


def _words_only(query: str) -> str:
    return search_terms.fts_query(query, phone_column=None) or '""'


@contextmanager
def deferred_index(session: Session | Connection, table: str, rows: int) -> Iterator[None]:
    """Index rows inserted inside the block in one statement instead of one per row.

    Upserts are fine too: rows that already existed keep their rowid and are
    re-indexed by the update trigger, which stays in place.

    The insert trigger costs a statement savepoint per row, and FTS5 flushes its
    pending index at every savepoint: bulk inserts ran 4x slower through it. For big
    batches the trigger is dropped, the new rows (rowids above the current maximum;
    rows are never hard-deleted, so rowids only grow) are indexed with one
    INSERT ... SELECT, and the trigger is put back — all inside the caller's
    transaction, so a failure anywhere rolls the trigger back too.
    """
    if table not in FTS_COLUMNS or rows < BULK_INDEX_THRESHOLD:
        yield
        return
    cols = ", ".join(FTS_COLUMNS[table])
    catch_up = (
        f"INSERT INTO {table}_fts(rowid, {cols}) "
        f"SELECT rowid, {index_values(table, table)} FROM {table} WHERE rowid > :before"
    )
    with triggers.insert_trigger_deferred(session, table, f"{table}_fts_ai", catch_up):
        yield
