"""A contact's phone and mobile are indexed as two numbers, not one.

Migration 0012 wrote a contact's ``phone_digits`` as its phone and mobile joined by a
space, then took every space out with the rest of the punctuation: a contact with
both had one token of the two numbers glued together, and a search for the mobile
number found nothing. The numbers are now joined by a comma, which the tokenizer
splits on and the punctuation list leaves alone. The contacts' search index is
contentless (its 'delete' must give the values the row was indexed with), so it is
rebuilt whole, with triggers that write the new expression.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

HASHSIZE = 16 * 1024 * 1024
UMLAUTS = (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue"))
UMLAUTS += (("ß", "ss"), ("ẞ", "SS"))
PHONE_PUNCTUATION = (" ", "-", "/", "(", ")", ".", "+", "\u00a0")
# Frozen copy of fieldapp.store.search.SOURCES["contacts"] at this revision.
PLAIN = ("first_name", "last_name", "title", "email", "phone", "city")
FOLDED = ("first_name", "last_name", "city")
PHONES = ("phone", "mobile")


def _joined(row: str, cols: tuple[str, ...], separator: str) -> str:
    return f" || '{separator}' || ".join(f"coalesce({row}.{c}, '')" for c in cols)


def _values(row: str, phones_apart: bool) -> str:
    folded = _joined(row, FOLDED, " ")
    for letter, spelled in UMLAUTS:
        folded = f"replace({folded}, '{letter}', '{spelled}')"
    digits = _joined(row, PHONES, "," if phones_apart else " ")
    for mark in PHONE_PUNCTUATION:
        digits = f"replace({digits}, '{mark}', '')"
    return ", ".join((*(f"{row}.{c}" for c in PLAIN), folded, digits))


def _rebuild(phones_apart: bool) -> None:
    fts = "contacts_fts"
    names = ", ".join((*PLAIN, "folded", "phone_digits"))
    for suffix in ("ai", "ad", "au"):
        op.execute(f"DROP TRIGGER IF EXISTS contacts_fts_{suffix}")
    op.execute(f"DROP TABLE IF EXISTS {fts}")
    op.execute(
        f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='', "
        "tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')"
    )
    op.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('hashsize', {HASHSIZE})")
    new, old = _values("new", phones_apart), _values("old", phones_apart)
    op.execute(
        f"CREATE TRIGGER contacts_fts_ai AFTER INSERT ON contacts BEGIN "
        f"INSERT INTO {fts}(rowid, {names}) VALUES (new.rowid, {new}); END"
    )
    delete = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.rowid, {old});"
    op.execute(f"CREATE TRIGGER contacts_fts_ad AFTER DELETE ON contacts BEGIN {delete} END")
    watched = ", ".join(dict.fromkeys((*PLAIN, *FOLDED, *PHONES)))
    op.execute(
        f"CREATE TRIGGER contacts_fts_au AFTER UPDATE OF {watched} ON contacts BEGIN {delete} "
        f"INSERT INTO {fts}(rowid, {names}) VALUES (new.rowid, {new}); END"
    )
    op.execute(
        f"INSERT INTO {fts}(rowid, {names}) "
        f"SELECT rowid, {_values('contacts', phones_apart)} FROM contacts"
    )


def upgrade() -> None:
    _rebuild(phones_apart=True)


def downgrade() -> None:
    _rebuild(phones_apart=False)
