"""The demo's random choices: one seeded stream, so a seed and a day give the same data."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from fieldapp.store.demo_words import FIRST_NAMES, SURNAMES

T = TypeVar("T")

_QUARTERS = (0, 15, 30, 45)


class Draws:
    """One seeded stream of choices for the whole demo, ids included.

    ``pick`` and ``between`` draw from ``random()`` directly: ``Random.choice`` and
    ``randint`` go through ``randrange``'s rejection sampling in Python, ~4x the cost,
    and the demo makes ~40 draws per account.
    """

    def __init__(self, seed: int, today: date) -> None:
        self.rng = random.Random(seed)
        self.random = self.rng.random
        self.today = today
        # Times of day as local wall-clock times, in UTC: a few thousand distinct ones
        # for any number of accounts, and the zone conversion is the costly part.
        self._times: dict[tuple[int, int, int], datetime] = {}
        # Ids as the app makes them in bulk (types.IdBlock): UUIDv7s sharing a time (the
        # start of ``today``) and seeded random bits, then a counter. Ids that sort in the
        # order they are made land at the end of each primary-key index instead of on a
        # random page of it.
        midnight_ms = int(datetime.combine(today, time(), UTC).timestamp() * 1000)
        self._id_head = f"{(midnight_ms << 16) | (0x7 << 12) | self.rng.getrandbits(12):016x}"
        self._id_next = (0b10 << 62) | self.rng.getrandbits(40)

    def pick(self, options: Sequence[T]) -> T:
        return options[int(self.random() * len(options))]

    def between(self, low: int, high: int) -> int:
        """An integer from ``low`` to ``high``, both included."""
        return low + int(self.random() * (high - low + 1))

    def chance(self, probability: float) -> bool:
        return self.random() < probability

    def weighted(self, options: Sequence[T], weights: Sequence[float]) -> T:
        left = self.random() * sum(weights)
        for option, weight in zip(options, weights, strict=True):
            left -= weight
            if left < 0:
                return option
        return options[-1]

    def id(self) -> str:
        """The next of the demo's UUIDv7s (each larger than the last)."""
        digits = f"{self._id_head}{self._id_next:016x}"
        self._id_next += 1
        return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"

    def phone(self) -> str:
        return f"+49 {self.between(200, 9999)} {self.between(100000, 9999999)}"

    def mobile(self) -> str:
        return f"+49 1{self.between(51, 79)} {self.between(1000000, 99999999)}"

    def person(self) -> tuple[str, str]:
        return self.pick(FIRST_NAMES), self.pick(SURNAMES)

    def when(self, days_from_today: float, hour: int = 9) -> datetime:
        """A quarter past (or to, or on) ``hour`` o'clock local time, that many days on."""
        key = (math.floor(days_from_today), hour, self.pick(_QUARTERS))
        found = self._times.get(key)
        if found is None:
            days, hour, minute = key
            day = self.today + timedelta(days=days)
            found = datetime.combine(day, time(hour, minute)).astimezone(UTC)
            self._times[key] = found
        return found
