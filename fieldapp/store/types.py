"""Column types that SQLite lacks natively, and conversions to wire values."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, Dialect
from sqlalchemy.types import TypeDecorator

from fieldapp.domain.wire import to_wire

__all__ = ["IdBlock", "Money", "UTCDateTime", "new_id", "to_wire", "utcnow"]


def new_id() -> str:
    """A record id made on the device, so records can be created offline.

    A UUIDv7 (RFC 9562): a millisecond timestamp, then 74 random bits. Ids made later
    sort later, so a new row's key lands at the end of the primary-key index instead
    of on a random page of it; nothing relies on the version or the order (older
    replicas, the server and CSV files bring v4 ids).
    """
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    return str(uuid.UUID(int=_v7(ms, rand >> 68, rand & _RAND_B)))


_RAND_B = (1 << 62) - 1
# The low bits of a block's ids count up from a random start below 2**47, so that
# start + count never carries into the bits above (blocks are far smaller than 2**47).
_BLOCK_COUNTER = 1 << 47


def _v7(ms: int, rand_a: int, rand_b: int) -> int:
    return (ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b


@dataclass(frozen=True)
class IdBlock:
    """``count`` UUIDv7s in increasing order, for bulk writes (RFC 9562 6.2: a counter
    in the random bits).

    They share one timestamp and 26 random bits; the last 48 bits count up from a
    random start. Two blocks collide only if they were made in the same millisecond,
    drew the same 26 bits (2**-26) and overlapping counter ranges (two 100k ranges in
    2**47: ~2**-29). ``head`` and ``start`` let SQL make the same ids
    (``head || printf('%012x', start + n)``) without a round trip per row.
    """

    head: str
    start: int
    count: int

    @classmethod
    def make(cls, count: int) -> IdBlock:
        # One fresh id: its first 24 characters are the block's head, its random
        # last 48 bits pick the counter's start.
        text = new_id()
        return cls(text[:24], int(text[24:], 16) % _BLOCK_COUNTER, count)

    def ids(self) -> list[str]:
        head = self.head
        return [f"{head}{n:012x}" for n in range(self.start, self.start + self.count)]


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out.

    SQLite stores no zone; we normalise to UTC on the way in so that ordering
    and comparisons in SQL are correct whatever zone the caller used.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; fieldapp stores aware UTC datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Money(TypeDecorator[Decimal]):
    """A decimal amount stored as integer minor units (cents).

    SQLite has no decimal type and floats lose cents; integers sort and sum exactly.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return int((Decimal(value) * 100).to_integral_value())

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(value) / 100).quantize(Decimal("0.01"))
