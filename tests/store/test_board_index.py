"""Store migration 0019: the pipeline board's index, however a replica came to be."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.schema import CreateIndex

from fieldapp.store import board, services
from fieldapp.store.db import Replica, open_replica
from fieldapp.store.models import Base

NAME = "ix_opportunities_board"


def _squash(sql: str) -> str:
    return re.sub(r'[\s"]+', "", sql).lower().replace("ifnotexists", "")


def _made(replica: Replica) -> str | None:
    with replica.engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (NAME,)
        ).scalar()


def test_migration_and_model_declare_the_same_index(tmp_path: Path) -> None:
    replica = open_replica(tmp_path)
    made = _made(replica)
    [declared] = [
        str(CreateIndex(index).compile(dialect=replica.engine.dialect))
        for index in Base.metadata.tables["opportunities"].indexes
        if index.name == NAME
    ]
    replica.close()
    # What a bulk load's index rebuild creates from the models is what 0019 created.
    assert made is not None and _squash(made) == _squash(declared)


def test_a_0018_replica_gains_the_index_and_its_deals_are_listed(tmp_path: Path) -> None:
    old = open_replica(tmp_path, migrate_to="0018")
    assert _made(old) is None
    with old.session() as s:
        account = services.create(s, "accounts", {"name": "Acme"})
        services.create(
            s, "opportunities", {"name": "Old deal", "account_id": account, "stage": "Proposal"}
        )
    old.close()
    replica = open_replica(tmp_path)
    assert _made(replica) is not None
    with replica.read_session() as s:
        [deal] = board.first_ids(s, board.BoardFilter(), 10)["Proposal"]
        assert board.cards(s, [deal])[deal][0].name == "Old deal"
    replica.close()
