"""Range checks for numeric options, done by argparse before anything runs.

A number typed on the command line ends in SQL (``LIMIT``, a cents column), where one
past SQLite's 64-bit integers was an internal error; an amount of ``1e17`` overflowed
the cents. Such values are refused here with one line and exit status 2, as argparse
refuses any other malformed option.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import NoReturn

# More rows than any list or report shows; SQLite's LIMIT takes up to 2^63-1.
MAX_COUNT = 1_000_000
# A row number (e.g. an outbox entry's): SQLite's largest integer.
MAX_ID = 2**63 - 1


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line (and exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def count(low: int = 1, high: int = MAX_COUNT) -> Callable[[str], int]:
    """An argparse ``type`` for a whole number from ``low`` to ``high``."""

    def check(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:
            shown = text if len(text) <= 40 else text[:39] + "…"
            raise argparse.ArgumentTypeError(f"must be between {low:,} and {high:,} (got {shown})")
        return value

    check.__name__ = "count"  # argparse names the type in its messages
    return check


def amount(text: str) -> str:
    """An argparse ``type`` for an amount: checked by the store's own rule, kept as typed."""
    from fieldapp.domain import parse  # not at start-up: `fieldapp --help` needs none of it

    try:
        parse.amount(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"the amount {exc}") from None
    return text
