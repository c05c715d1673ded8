"""Record and mutation ids: UUIDv7 made on the device, unique, in the order they were made."""

from __future__ import annotations

import sqlite3
import time
from uuid import UUID

from sqlalchemy import select, text

from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.store.models import Outbox
from fieldapp.store.types import IdBlock, new_id


def _is_v7(text: str) -> bool:
    parsed = UUID(text)
    return str(parsed) == text and parsed.version == 7 and parsed.variant == "specified in RFC 4122"


def _millis(text: str) -> int:
    return UUID(text).int >> 80


def test_new_id_is_a_v7_uuid_carrying_the_time_it_was_made() -> None:
    before = time.time_ns() // 1_000_000
    made = new_id()
    after = time.time_ns() // 1_000_000
    assert _is_v7(made)
    assert before <= _millis(made) <= after


def test_new_ids_are_unique_and_later_ones_sort_later() -> None:
    first = [new_id() for _ in range(2000)]
    time.sleep(0.002)
    second = new_id()
    assert len(set(first)) == len(first)
    assert max(first) < second


def test_an_id_block_counts_up_from_a_random_start() -> None:
    block = IdBlock.make(1000)
    ids = block.ids()
    assert len(ids) == 1000 and all(_is_v7(i) for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == 1000
    assert {i[:24] for i in ids} == {block.head}
    # Two blocks made in the same millisecond still differ in their random bits.
    assert IdBlock.make(1).ids() != IdBlock.make(1).ids()


def test_sql_makes_the_same_ids_as_the_block() -> None:
    block = IdBlock.make(3)
    made = sqlite3.connect(":memory:").execute(
        "SELECT ? || printf('%012x', ? + value) FROM (SELECT 0 AS value UNION ALL "
        "SELECT 1 UNION ALL SELECT 2) ORDER BY value",
        (block.head, block.start),
    )
    assert [row[0] for row in made] == block.ids()


def test_bulk_create_ids_follow_row_order_and_keep_given_ones(replica: Replica) -> None:
    given = "00000000-0000-4000-8000-00000000000a"
    rows = [{"name": f"Firm {i}"} for i in range(300)]
    rows[7]["id"] = given
    with replica.session() as s:
        ids = services.bulk_create(s, "accounts", rows)
    assert ids[7] == given
    made = ids[:7] + ids[8:]
    assert all(_is_v7(i) for i in made) and made == sorted(made)
    with replica.read_session() as s:
        stored = list(s.scalars(text("SELECT id FROM accounts ORDER BY rowid")))
        mutations = list(s.scalars(select(Outbox.mutation_id).order_by(Outbox.seq)))
    assert stored == ids
    assert all(_is_v7(m) for m in mutations) and mutations == sorted(mutations)
    assert len(set(mutations)) == 300
