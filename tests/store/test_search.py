"""Full-text search: prefixes, ranking, accents, deletes, short queries."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from fieldapp.store import search, services
from fieldapp.store.db import Replica, alembic_config, open_replica


def _accounts(replica: Replica, rows: list[dict[str, str]]) -> list[str]:
    with replica.session() as s:
        return [services.create(s, "accounts", row) for row in rows]


def test_prefix_and_accent_insensitive(replica: Replica) -> None:
    acme, cafe = _accounts(
        replica,
        [
            {"name": "Acme Werkzeug GmbH", "city": "München", "postcode": "80331"},
            {"name": "Café Sonne", "city": "Köln", "tags": "gastro,vip"},
        ],
    )
    with replica.read_session() as s:
        assert search.search_ids(s, "accounts", "acm") == [acme]
        assert search.search_ids(s, "accounts", "ACME werk") == [acme]
        assert search.search_ids(s, "accounts", "muen") == [acme]  # ü written out
        assert search.search_ids(s, "accounts", "munch") == [acme]
        assert search.search_ids(s, "accounts", "cafe") == [cafe]
        assert search.search_ids(s, "accounts", "803") == [acme]
        assert search.search_ids(s, "accounts", "vip") == [cafe]
        assert search.search_ids(s, "accounts", "a") == [acme]  # name matches only
        assert search.search_ids(s, "accounts", "  ") == []
        assert search.search_ids(s, "accounts", 'ac"me*') == []  # no FTS syntax error


def test_name_matches_rank_above_description(replica: Replica) -> None:
    desc, name = _accounts(
        replica,
        [
            {"name": "Baumarkt Ost", "description": "Supplier of Nordwind"},
            {"name": "Nordwind Logistik"},
        ],
    )
    with replica.read_session() as s:
        assert search.search_ids(s, "accounts", "nordw") == [name, desc]


def test_short_query_falls_back_to_other_columns(replica: Replica) -> None:
    [acc] = _accounts(replica, [{"name": "Weber", "city": "Zwickau"}])
    with replica.read_session() as s:
        assert search.search_ids(s, "accounts", "zw") == [acc]


def test_updates_and_deletes_reach_the_index(replica: Replica) -> None:
    [acc] = _accounts(replica, [{"name": "Alpha"}])
    with replica.session() as s:
        services.update(s, "accounts", acc, {"name": "Omega"})
    with replica.read_session() as s:
        assert search.search_ids(s, "accounts", "alph") == []
        assert search.search_ids(s, "accounts", "omeg") == [acc]
    with replica.session() as s:
        services.delete(s, "accounts", acc)
    with replica.read_session() as s:
        assert search.search_ids(s, "accounts", "omeg") == []


def test_contacts_leads_and_notes_are_searchable(replica: Replica) -> None:
    with replica.session() as s:
        acc = services.create(s, "accounts", {"name": "Acme"})
        contact = services.create(
            s,
            "contacts",
            {
                "account_id": acc,
                "first_name": "Jürgen",
                "last_name": "Krause",
                "email": "jk@acme.de",
            },
        )
        lead = services.create(s, "leads", {"last_name": "Yilmaz", "company": "Yildiz Bau"})
        note = services.create(s, "notes", {"account_id": acc, "body": "Interested in forklifts"})
    with replica.read_session() as s:
        assert search.search_ids(s, "contacts", "jurg kra") == [contact]
        assert search.search_ids(s, "leads", "yild") == [lead]
        assert search.search_ids(s, "notes", "forkl") == [note]


def test_limit_is_respected_for_short_and_long_queries(replica: Replica) -> None:
    with replica.session() as s:
        services.bulk_create(s, "accounts", [{"name": f"Apex {i}"} for i in range(120)])
    with replica.read_session() as s:
        assert len(search.search_ids(s, "accounts", "a", limit=50)) == 50
        assert len(search.search_ids(s, "accounts", "apex", limit=30)) == 30


def test_deleted_best_matches_leave_room_for_the_live_ones(replica: Replica) -> None:
    # The deleted accounts rank first (the word three times in a short name), more of
    # them than the first ranking pass looks at: the live ones must still come back.
    with replica.session() as s:
        gone = services.bulk_create(
            s, "accounts", [{"name": f"Gamma Gamma Gamma {i}"} for i in range(100)]
        )
        live = services.bulk_create(
            s, "accounts", [{"name": f"Gamma Handel Nord Sued {i}"} for i in range(20)]
        )
        for account_id in gone:
            services.delete(s, "accounts", account_id)
    with replica.read_session() as s:
        assert sorted(search.search_ids(s, "accounts", "gamma", limit=50)) == sorted(live)
        assert set(search.search_ids(s, "accounts", "gamma", limit=10)) <= set(live)
        assert len(search.search_ids(s, "accounts", "gamma", limit=10)) == 10


def test_bulk_insert_indexes_every_row_and_keeps_the_trigger(replica: Replica) -> None:
    rows = [
        {"name": f"Bulkfirma {i}", "city": "Zwickau"} for i in range(search.BULK_INDEX_THRESHOLD)
    ]
    with replica.session() as s:
        before = services.create(s, "accounts", {"name": "Einzeln Vorher"})
        ids = services.bulk_create(s, "accounts", rows)
    with replica.session() as s:
        after = services.create(s, "accounts", {"name": "Einzeln Nachher"})
    with pytest.raises(RuntimeError), replica.session() as s:
        services.bulk_create(s, "accounts", [{"name": f"Rollback {i}"} for i in range(300)])
        raise RuntimeError("abort the transaction after the trigger was dropped")
    with replica.session() as s:
        late = services.create(s, "accounts", {"name": "Einzeln Zuletzt"})
    with replica.read_session() as s:
        assert sorted(search.search_ids(s, "accounts", "bulkfirma", limit=1000)) == sorted(ids)
        assert search.search_ids(s, "accounts", "zwickau bulkfirma 7", limit=5)[0] == ids[7]
        assert search.search_ids(s, "accounts", "einzeln vorher") == [before]
        assert search.search_ids(s, "accounts", "einzeln nachher") == [after]
        assert search.search_ids(s, "accounts", "einzeln zuletzt") == [late]
        assert search.search_ids(s, "accounts", "rollback") == []


def test_umlauts_match_written_out_both_ways(replica: Replica) -> None:
    baecker, koehler, strasse, written = _accounts(
        replica,
        [
            {"name": "Bäckerei Schmitz", "city": "Bonn"},
            {"name": "Köhler GmbH", "street": "Große Straße 5"},
            {"name": "Gruber", "street": "Lange Strasse 1"},
            {"name": "Baeckerei Mueller"},
        ],
    )
    with replica.read_session() as s:
        # Umlaut typed, written out or dropped: all find "Bäckerei".
        assert set(search.search_ids(s, "accounts", "bäck")) == {baecker, written}
        assert set(search.search_ids(s, "accounts", "baeck")) == {baecker, written}
        assert search.search_ids(s, "accounts", "back") == [baecker]
        assert search.search_ids(s, "accounts", "koehler") == [koehler]
        assert search.search_ids(s, "accounts", "kohler") == [koehler]
        assert search.search_ids(s, "accounts", "müller") == [written]
        # ß and ss either way.
        assert set(search.search_ids(s, "accounts", "strasse")) == {koehler, strasse}
        assert set(search.search_ids(s, "accounts", "straße")) == {koehler, strasse}
        assert search.search_ids(s, "accounts", "bäck bonn") == [baecker]


def test_phone_numbers_match_in_any_spelling(replica: Replica) -> None:
    national, international, other = _accounts(
        replica,
        [
            {"name": "Weber", "phone": "0228 / 12 34 56"},
            {"name": "Schulz", "phone": "+49 (0)30 9876-543"},
            {"name": "Fischer", "phone": "+49 89 111222"},
        ],
    )
    with replica.read_session() as s:
        for typed in ("0228 123456", "0228-123456", "(0228) 12 34 56", "+49 228 123456"):
            assert search.search_ids(s, "accounts", typed) == [national], typed
        assert search.search_ids(s, "accounts", "0049228123") == [national]  # a prefix
        assert search.search_ids(s, "accounts", "+49 89 111") == [other]
        assert search.search_ids(s, "accounts", "089 111222") == [other]
        assert search.search_ids(s, "accounts", "0228 999") == []
        assert search.search_ids(s, "accounts", "49030987") == [international]


def test_emails_and_websites_are_found(replica: Replica) -> None:
    shop, _ = _accounts(
        replica,
        [
            {"name": "Eisen Otto", "email": "info@eisen-otto.de", "website": "www.eisenotto.de"},
            {"name": "Other"},
        ],
    )
    with replica.session() as s:
        contact = services.create(
            s, "contacts", {"last_name": "Kranz", "email": "p.kranz@example.org"}
        )
        mobile = services.create(s, "contacts", {"last_name": "Berg", "mobile": "0171 5550123"})
        both = services.create(
            s, "contacts", {"last_name": "Wolf", "phone": "0228 123456", "mobile": "0172 7654321"}
        )
    with replica.read_session() as s:
        assert search.search_ids(s, "accounts", "info@eisen-otto.de") == [shop]
        assert search.search_ids(s, "accounts", "eisenotto.de") == [shop]
        assert search.search_ids(s, "contacts", "p.kranz@example") == [contact]
        assert search.search_ids(s, "contacts", "+49 171 555") == [mobile]
        # Phone and mobile are two numbers: each is found (store migration 0017).
        assert search.search_ids(s, "contacts", "0172 7654321") == [both]
        assert search.search_ids(s, "contacts", "0228 123456") == [both]


def test_edits_and_bulk_inserts_keep_the_new_columns(replica: Replica) -> None:
    [acc] = _accounts(replica, [{"name": "Höfer", "phone": "0221 445566"}])
    with replica.session() as s:
        services.update(s, "accounts", acc, {"phone": "0221 778899", "name": "Jäger"})
    with replica.read_session() as s:
        assert search.search_ids(s, "accounts", "0221 445566") == []
        assert search.search_ids(s, "accounts", "0221 778899") == [acc]
        assert search.search_ids(s, "accounts", "jaeger") == [acc]
        assert search.search_ids(s, "accounts", "hoefer") == []
    rows = [{"name": f"Süß {i}", "phone": f"0228 {100000 + i}"} for i in range(300)]
    with replica.session() as s:
        ids = services.bulk_create(s, "accounts", rows)
    with replica.read_session() as s:
        assert search.search_ids(s, "accounts", "suess 17") != []
        assert search.search_ids(s, "accounts", "+49 228 100042") == [ids[42]]
        # The bulk path writes what the triggers write, or their deletes would not match.
        trigger = s.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'accounts_fts_ai'")
        ).scalar()
        assert search.index_values("accounts", "new") in trigger
    with replica.session() as s:
        services.update(s, "accounts", ids[42], {"phone": "0228 5"})
    with replica.read_session() as s:
        assert search.search_ids(s, "accounts", "0228 100042") == []


def test_a_replica_indexed_before_0017_finds_a_contacts_mobile_after_upgrade(
    tmp_path: Path,
) -> None:
    from alembic import command

    data = tmp_path / "data"
    replica = open_replica(data)
    with replica.session() as s:
        both = services.create(
            s, "contacts", {"last_name": "Wolf", "phone": "0228 123456", "mobile": "0172 7654321"}
        )
    command.downgrade(alembic_config(replica.engine), "0016")
    with replica.read_session() as s:  # indexed as 0012 did: the two numbers glued
        assert search.search_ids(s, "contacts", "0172 7654321") == []
    replica.close()
    replica = open_replica(data)
    try:
        with replica.read_session() as s:
            assert search.search_ids(s, "contacts", "0172 7654321") == [both]
    finally:
        replica.close()
