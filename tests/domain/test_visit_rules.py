"""The visit rules the replica, the reports and the server share."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from fieldapp.domain import visits as rules
from fieldapp.domain.geo import haversine_m

COLOGNE_CATHEDRAL = (50.94130, 6.95829)
COLOGNE_HBF = (50.94303, 6.95873)


@pytest.fixture
def berlin_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The laptop's clock in Germany, daylight saving included."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("text", "days"),
    [("4w", 28), ("4 weeks", 28), ("1 week", 7), ("30d", 30), ("30", 30), (" 2W ", 14)],
)
def test_frequency_is_read_in_weeks_or_days(text: str, days: int) -> None:
    assert rules.parse_frequency(text) == days


@pytest.mark.parametrize("text", ["every week", "4x", "", "-2w", "0", "60w"])
def test_bad_frequency_says_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match=r"4w or 30d|between 1 and 366"):
        rules.parse_frequency(text)


def test_frequency_in_words() -> None:
    assert rules.describe_frequency(28) == "every 4 weeks"
    assert rules.describe_frequency(7) == "every week"
    assert rules.describe_frequency(10) == "every 10 days"
    assert rules.describe_frequency(None) == "every 90 days (default)"


def test_due_date_is_last_visit_or_creation_plus_frequency() -> None:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    last = datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert rules.visit_due_at(last, created, 14) == last + timedelta(days=14)
    assert rules.visit_due_at(last, created, None) == last + timedelta(days=90)
    assert rules.visit_due_at(None, created, 30) == created + timedelta(days=30)


def test_next_recurrence_keeps_the_local_time_across_daylight_saving(berlin_time: None) -> None:
    # Tuesday 20 Oct 2026, 10:00 in Cologne (CEST, UTC+2); clocks go back on 25 Oct.
    planned = datetime(2026, 10, 20, 8, 0, tzinfo=UTC)
    after = planned + timedelta(minutes=5)
    nxt = rules.next_recurrence(planned, 14, after)
    assert nxt == datetime(2026, 11, 3, 9, 0, tzinfo=UTC)  # 10:00 CET
    assert nxt.astimezone().hour == 10


def test_next_recurrence_skips_periods_that_have_passed() -> None:
    planned = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
    # Checked in (very) late: the next one is the first slot of the rhythm still ahead.
    after = planned + timedelta(days=30)
    nxt = rules.next_recurrence(planned, 7, after)
    assert after < nxt <= after + timedelta(days=7)
    assert (nxt - planned).days % 7 == 0


def test_cathedral_to_central_station_is_two_hundred_metres() -> None:
    assert haversine_m(COLOGNE_CATHEDRAL, COLOGNE_HBF) == pytest.approx(195, abs=10)


def test_checkin_flag_allows_for_the_fix_accuracy() -> None:
    assert rules.checkin_flag(195, 20) == "ok"
    assert rules.checkin_flag(1000, 20) == "far"
    # 600 m off, but the fix itself is only good to 400 m: not called far.
    assert rules.checkin_flag(600, 400) == "ok"
    assert rules.checkin_flag(195, 50, far_m=100) == "far"
    assert rules.checkin_flag(None, 20) == "no_location"


def test_distances_in_words() -> None:
    assert rules.describe_distance(195.4) == "195 m"
    assert rules.describe_distance(1234) == "1.2 km"
