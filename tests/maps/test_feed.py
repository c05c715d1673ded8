"""The map's marker feed: batches from a real replica, the cache on disk, its sealing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from fieldapp.errors import NotFoundError
from fieldapp.maps import feed as feeds
from fieldapp.maps.feed_cache import FeedCache
from fieldapp.maps.legend import Legend
from fieldapp.maps.planner import AccountPoint
from fieldapp.store import services
from fieldapp.store.db import Replica, open_replica
from fieldapp.store.sealed import Sealer


def _accounts(replica: Replica, n: int, **extra: object) -> list[str]:
    rows = [
        {
            "name": f"Feed account {i}",
            "latitude": 50.9 + i * 1e-3,
            "longitude": 6.9 + i * 1e-3,
            "type": ["customer", "prospect"][i % 2],
            "status": "active",
            **extra,
        }
        for i in range(n)
    ]
    with replica.session() as session:
        return services.bulk_create(session, "accounts", rows)


def _fill(
    replica: Replica, request: feeds.FeedRequest, cache: FeedCache | None
) -> feeds.MarkerFeed:
    notes: list[int] = []
    feed = feeds.MarkerFeed(3, lambda: notes.append(1))
    with replica.read_session() as session:
        feeds.fill(session, feed, request, cache)
    assert notes, "the reader is told of each part"
    return feed


def _parts(feed: feeds.MarkerFeed) -> list[dict[str, object]]:
    out, i = [], 0
    while True:
        raw = feed.part(str(i))
        assert raw is not None
        part = json.loads(raw)
        out.append(part)
        if not part["more"]:
            return out
        i += 1


def _cache(replica: Replica) -> FeedCache:
    return FeedCache(replica.data_dir, replica.sealer("map-markers"))


def test_markers_come_in_batches_after_the_legend(replica: Replica) -> None:
    ids = _accounts(replica, 23)
    with replica.session() as session:  # not on the map: no position, or deleted
        services.create(session, "accounts", {"name": "Nowhere"})
        services.delete(session, "accounts", ids[0])
    feed = _fill(replica, feeds.FeedRequest(color_by="type", batch=5), None)
    meta = json.loads(feed.part("meta") or b"")
    assert meta["total"] == 22
    assert [c["label"] for c in meta["categories"]] == ["customer", "prospect"]
    s, w = meta["bounds"][0]
    assert s == pytest.approx(50.901) and w == pytest.approx(6.901)
    parts = _parts(feed)
    assert [len(p["rows"]) for p in parts] == [5, 5, 5, 5, 2]  # type: ignore[arg-type]
    rows = [r for p in parts for r in p["rows"]]  # type: ignore[attr-defined]
    assert sorted(r[0] for r in rows) == sorted(ids[1:])
    by_id = {r[0]: r for r in rows}
    assert by_id[ids[1]][3] == "Feed account 1" and by_id[ids[1]][4] == 1  # prospect
    assert not feed.from_cache


def test_a_part_not_made_yet_is_none_until_it_is() -> None:
    feed = feeds.MarkerFeed(1)
    assert feed.part("meta") is None and feed.part("0") is None
    feed.put_meta({"total": 2})
    feed.put_batch(b'[["a",1,2,"A",0,0]]')
    assert json.loads(feed.part("0") or b"")["more"] is True  # the worker is not done
    assert feed.part("1") is None
    feed.finish()
    assert json.loads(feed.part("0") or b"")["more"] is False
    assert json.loads(feed.part("1") or b"") == {"more": False, "rows": []}


def test_an_unknown_territory_is_said_in_words_to_the_page(replica: Replica) -> None:
    feed = feeds.MarkerFeed(1)
    with replica.read_session() as session, pytest.raises(NotFoundError):
        feeds.fill(session, feed, feeds.FeedRequest(territory="Atlantis"), None)
    answer = json.loads(feed.part("0") or b"")
    assert "no territory named 'Atlantis'" in answer["error"] and answer["more"] is False


def test_the_cache_serves_the_same_feed_until_the_replica_changes(replica: Replica) -> None:
    ids = _accounts(replica, 12)
    request = feeds.FeedRequest(batch=5)
    first = _fill(replica, request, _cache(replica))
    again = _fill(replica, request, _cache(replica))
    assert again.from_cache and not first.from_cache
    assert _parts(again) == _parts(first)
    assert json.loads(again.part("meta") or b"") == json.loads(first.part("meta") or b"")
    # Another colouring is another map.
    assert not _fill(replica, feeds.FeedRequest(color_by="type"), _cache(replica)).from_cache

    def changed() -> feeds.MarkerFeed:
        feed = _fill(replica, request, _cache(replica))
        assert not feed.from_cache
        assert _fill(replica, request, _cache(replica)).from_cache  # cached again
        return feed

    with replica.session() as session:
        services.update(session, "accounts", ids[2], {"name": "Renamed GmbH"})
    rows = [r for p in _parts(changed()) for r in p["rows"]]  # type: ignore[attr-defined]
    assert "Renamed GmbH" in {r[3] for r in rows}
    with replica.session() as session:
        services.create(session, "visits", {"account_id": ids[3], "checkin_at": datetime.now(UTC)})
    rows = [r for p in _parts(changed()) for r in p["rows"]]  # type: ignore[attr-defined]
    assert {r[0]: r[4] for r in rows}[ids[3]] == 0  # "≤ 30 days" now
    with replica.session() as session:
        services.delete(session, "accounts", ids[4])
    assert json.loads(changed().part("meta") or b"")["total"] == 11


def test_the_cache_file_is_sealed_with_the_replicas_key(replica: Replica) -> None:
    _accounts(replica, 6)
    cache = _cache(replica)
    _fill(replica, feeds.FeedRequest(), cache)
    assert cache.sealer.encrypted  # the tests' keyring holds the replica's key
    blob = cache.path.read_bytes()
    assert b"Feed account" not in blob  # no name in the clear
    assert cache.path.stat().st_mode & 0o077 == 0
    # Another key (another replica's) does not open it: it reads as no cache.
    other = Sealer(b"\x01" * 32, "map-markers")
    assert other.unseal(blob) is None
    damaged = blob[:-1] + bytes([blob[-1] ^ 1])
    assert cache.sealer.unseal(damaged) is None


def test_a_plain_replica_keeps_a_plain_private_cache(tmp_path: object) -> None:
    from pathlib import Path

    replica = open_replica(Path(str(tmp_path)) / "plain", encrypt=False)
    try:
        _accounts(replica, 3)
        cache = _cache(replica)
        assert not cache.sealer.encrypted
        _fill(replica, feeds.FeedRequest(), cache)
        assert _fill(replica, feeds.FeedRequest(), cache).from_cache
        assert cache.path.stat().st_mode & 0o077 == 0
    finally:
        replica.close()


def test_days_since_the_last_visit_are_calendar_days() -> None:
    # Late last night is "1 day ago" this morning, whatever the hour: the colouring
    # changes only at midnight, which keeps a day's cached markers valid.
    now = datetime(2026, 12, 1, 8, tzinfo=UTC)
    legend = Legend.make("last_visit", now)

    def bucket(last: datetime) -> str:
        point = AccountPoint("a", "A", 50.0, 7.0, "customer", "active", None, None, last)
        return legend.categories[legend.index(point)]["label"]

    assert bucket(datetime(2026, 11, 1, 0, tzinfo=UTC)) == "≤ 30 days"  # 30 days
    # 31 October at 23:00 is 30 days and 9 hours ago, but 31 calendar days.
    assert bucket(datetime(2026, 10, 31, 23, tzinfo=UTC)) == "31–90 days"
    assert bucket(now - timedelta(days=1)) == "≤ 30 days"


def test_a_feed_that_breaks_tells_the_page_instead_of_leaving_it_waiting(
    replica: Replica,
) -> None:
    _accounts(replica, 2)
    feed = feeds.MarkerFeed(1)
    with replica.read_session() as session, pytest.raises(ValueError):
        feeds.fill(session, feed, feeds.FeedRequest(color_by="shoe size"), None)
    assert feed.done
    answer = json.loads(feed.part("meta") or b"")
    assert answer["error"] == "The accounts could not be read; the details are in fieldapp.log."


def test_by_rep_an_account_is_its_territorys_only_reps(replica: Replica) -> None:
    """North is Ben's alone: Ana's accounts there are his on the map; South is shared, so
    its accounts keep their owner; the cache key follows who covers which territory."""
    from fieldapp.store.territory_reps import territory_reps

    with replica.session() as session:
        people = {
            name: services.create(session, "users", {"username": name, "role": "rep"})
            for name in ("ana", "ben", "carl")
        }
        north = services.create(session, "territories", {"name": "North"})
        south = services.create(session, "territories", {"name": "South"})
    in_north = _accounts(replica, 2, owner_id=people["ana"], territory_id=north)
    in_south = _accounts(replica, 1, owner_id=people["carl"], territory_id=south)
    nowhere = _accounts(replica, 1, owner_id=people["ana"])
    cache = _cache(replica)
    now = datetime.now(UTC)
    with replica.read_session() as session:
        before = cache.key(session, "rep", None, now)
    with replica.session() as session:
        session.execute(
            territory_reps.insert(),
            [
                {"territory_id": north, "user_id": people["ben"]},
                {"territory_id": south, "user_id": people["ana"]},
                {"territory_id": south, "user_id": people["ben"]},
            ],
        )
    with replica.read_session() as session:
        assert cache.key(session, "rep", None, now) != before
    feed = _fill(replica, feeds.FeedRequest(color_by="rep"), None)
    labels = [c["label"] for c in json.loads(feed.part("meta") or b"")["categories"]]
    shown = {r[0]: labels[r[4]] for p in _parts(feed) for r in p["rows"]}  # type: ignore[attr-defined]
    assert shown == {
        in_north[0]: "ben",
        in_north[1]: "ben",
        in_south[0]: "carl",
        nowhere[0]: "ana",
    }


@pytest.mark.parametrize("color_by", ["last_visit", "type", "status", "precision", "territory"])
def test_the_feed_colours_and_encodes_markers_as_the_exported_page_does(
    replica: Replica, color_by: str
) -> None:
    """SQLite makes the feed's rows; the exported page makes them in Python
    (page.marker_row, Legend.index): the same rows, whatever the colouring."""
    from fieldapp.maps.page import replica_map_data

    with replica.session() as session:
        north = services.create(session, "territories", {"name": "North"})
    ids = _accounts(replica, 4, type="partner", geocode_precision="approximate")
    ids += _accounts(replica, 3, status="inactive", territory_id=north)
    ids += _accounts(replica, 3, geocode_precision="house")
    now = datetime.now(UTC)
    # Around each bucket's edge, counted in calendar days; one account never visited.
    ages = [timedelta(0), timedelta(days=30), timedelta(days=31), timedelta(days=90, hours=1)]
    ages += [timedelta(days=91), timedelta(days=180), timedelta(days=181), timedelta(days=400)]
    with replica.session() as session:
        for account_id, age in zip(ids, ages, strict=False):
            services.create(session, "visits", {"account_id": account_id, "checkin_at": now - age})
    feed = _fill(replica, feeds.FeedRequest(color_by=color_by, batch=3), None)
    streamed = [r for p in _parts(feed) for r in p["rows"]]  # type: ignore[attr-defined]
    with replica.read_session() as session:
        exported = replica_map_data(session, color_by=color_by)
    meta = json.loads(feed.part("meta") or b"")
    assert meta["categories"] == exported["categories"]
    assert sorted(streamed) == sorted(exported["markers"])
    assert len({r[4] for r in streamed}) > 1  # more than one colour in play
