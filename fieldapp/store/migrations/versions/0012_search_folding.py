"""Search that folds umlauts both ways and finds phone numbers, emails and websites.

The search indexes of accounts, contacts and leads are rebuilt with two more columns,
filled by SQL from the row (the indexes are contentless: these columns exist only in
the index):

- ``folded``: the names, street and town with ä/ö/ü/ß written out as ae/oe/ue/ss, so
  "baeck" finds "Bäckerei" (the tokenizer already makes "bäck" and "back" find it).
- ``phone_digits``: every phone field with only its digits kept, so "0228 123456",
  "0228/12 34 56" and "(0228) 123456" are one token; the query side adds the same
  number's international spellings (fieldapp.store.search).
- accounts also index ``email`` and ``website``.

And ``ix_accounts_location`` (latitude, longitude, deleted_at), for "Nearby"
(fieldapp.store.places): a latitude band of the index, the rest tested inside it.

Contentless instead of external content (0002): the extra columns are not columns of
the table, and FTS5 reads an external-content table's columns by name. Deletes still
give the old values through the 'delete' command, as before.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

HASHSIZE = 16 * 1024 * 1024
UMLAUTS = (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue"))
UMLAUTS += (("ß", "ss"), ("ẞ", "SS"))
PHONE_PUNCTUATION = (" ", "-", "/", "(", ")", ".", "+", "\u00a0")


def _joined(row: str, cols: tuple[str, ...]) -> str:
    return " || ' ' || ".join(f"coalesce({row}.{c}, '')" for c in cols)


def _folded(row: str, cols: tuple[str, ...]) -> str:
    sql = _joined(row, cols)
    for letter, spelled in UMLAUTS:
        sql = f"replace({sql}, '{letter}', '{spelled}')"
    return sql


def _digits(row: str, cols: tuple[str, ...]) -> str:
    sql = _joined(row, cols)
    for mark in PHONE_PUNCTUATION:
        sql = f"replace({sql}, '{mark}', '')"
    return sql


# table -> (plain columns, columns folded, phone columns). Frozen copy of
# fieldapp.store.search.SOURCES at this revision.
TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
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
OLD_COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("name", "street", "city", "postcode", "tags", "description"),
    "contacts": ("first_name", "last_name", "title", "email", "phone", "city"),
    "leads": ("first_name", "last_name", "company", "email", "city"),
}


def _drop(table: str) -> None:
    for suffix in ("ai", "ad", "au"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}")
    op.execute(f"DROP TABLE IF EXISTS {table}_fts")


def _create(table: str) -> None:
    plain, folded, phones = TABLES[table]
    fts = f"{table}_fts"
    names = ", ".join((*plain, "folded", "phone_digits"))

    def values(row: str) -> str:
        cols = [f"{row}.{c}" for c in plain]
        return ", ".join((*cols, _folded(row, folded), _digits(row, phones)))

    watched = ", ".join(dict.fromkeys((*plain, *folded, *phones)))
    op.execute(
        f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='', "
        "tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')"
    )
    op.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('hashsize', {HASHSIZE})")
    op.execute(
        f"CREATE TRIGGER {table}_fts_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {names}) VALUES (new.rowid, {values('new')}); END"
    )
    delete = (
        f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.rowid, {values('old')});"
    )
    op.execute(f"CREATE TRIGGER {table}_fts_ad AFTER DELETE ON {table} BEGIN {delete} END")
    op.execute(
        f"CREATE TRIGGER {table}_fts_au AFTER UPDATE OF {watched} ON {table} BEGIN {delete} "
        f"INSERT INTO {fts}(rowid, {names}) VALUES (new.rowid, {values('new')}); END"
    )
    op.execute(f"INSERT INTO {fts}(rowid, {names}) SELECT rowid, {values(table)} FROM {table}")


def upgrade() -> None:
    for table in TABLES:
        _drop(table)
        _create(table)
    op.create_index(
        "ix_accounts_location",
        "accounts",
        ["latitude", "longitude", "deleted_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_accounts_location", table_name="accounts")
    for table, cols in OLD_COLUMNS.items():
        _drop(table)
        fts = f"{table}_fts"
        names = ", ".join(cols)
        new = ", ".join(f"new.{c}" for c in cols)
        old = ", ".join(f"old.{c}" for c in cols)
        delete = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.rowid, {old});"
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', "
            "content_rowid='rowid', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')"
        )
        op.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('hashsize', {HASHSIZE})")
        op.execute(
            f"CREATE TRIGGER {table}_fts_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {names}) VALUES (new.rowid, {new}); END"
        )
        op.execute(f"CREATE TRIGGER {table}_fts_ad AFTER DELETE ON {table} BEGIN {delete} END")
        op.execute(
            f"CREATE TRIGGER {table}_fts_au AFTER UPDATE OF {names} ON {table} BEGIN {delete} "
            f"INSERT INTO {fts}(rowid, {names}) VALUES (new.rowid, {new}); END"
        )
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
