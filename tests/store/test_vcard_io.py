"""Contacts exported as vCards that an address book can read back."""

from __future__ import annotations

from pathlib import Path

import vobject

from fieldapp.store import services, vcard_io
from fieldapp.store.db import Replica


def test_export_contacts_as_vcards(replica: Replica, tmp_path: Path) -> None:
    with replica.session() as session:
        acc = services.create(session, "accounts", {"name": "Müller Bau GmbH"})
        services.create(
            session,
            "contacts",
            {
                "account_id": acc,
                "first_name": "Jürgen",
                "last_name": "Müller",
                "title": "Owner",
                "email": "j.mueller@mueller-bau.de",
                "phone": "+49 221 123456",
                "mobile": "+49 171 1234567",
                "street": "Hauptstraße 5",
                "city": "Köln",
                "postcode": "50667",
                "country": "Germany",
                "description": "Prefers mornings; call first",
            },
        )
        services.create(session, "contacts", {"last_name": "Solo"})
        gone = services.create(session, "contacts", {"last_name": "Deleted"})
        services.delete(session, "contacts", gone)
    out = tmp_path / "contacts.vcf"
    with replica.read_session() as session:
        assert vcard_io.export_contacts_vcf(session, out) == 2
    cards = list(vobject.readComponents(out.read_text(encoding="utf-8")))
    assert [c.fn.value for c in cards] == ["Jürgen Müller", "Solo"]
    card = cards[0]
    assert card.version.value == "3.0"
    assert card.n.value.family == "Müller" and card.n.value.given == "Jürgen"
    assert card.org.value == ["Müller Bau GmbH"]
    assert card.email.value == "j.mueller@mueller-bau.de"
    numbers = {t.type_param: t.value for t in card.tel_list}
    assert numbers == {"WORK": "+49 221 123456", "CELL": "+49 171 1234567"}
    assert card.adr.value.city == "Köln" and card.adr.value.code == "50667"
    assert card.note.value == "Prefers mornings; call first"
    assert card.uid.value.startswith("urn:uuid:")
