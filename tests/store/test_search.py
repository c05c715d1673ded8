"""Full-text search: prefixes, ranking, accents, deletes, short queries."""

from __future__ import annotations

import pytest

from fieldapp.store import search, services
from fieldapp.store.db import Replica


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
        assert search.search_ids(s, "accounts", "muen") == []  # ü folds to u, not ue
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
