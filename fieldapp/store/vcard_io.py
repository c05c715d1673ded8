"""Contacts as vCard 3.0, the format every address book and phone imports."""

from __future__ import annotations

import os
from collections.abc import Collection

import vobject
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.store.files import atomic_text
from fieldapp.store.models import Account, Contact


def _card(contact: Contact, organisation: str | None) -> str:
    card = vobject.vCard()
    first = contact.first_name or ""
    card.add("n").value = vobject.vcard.Name(family=contact.last_name, given=first)
    card.add("fn").value = " ".join(part for part in (first, contact.last_name) if part)
    card.add("uid").value = f"urn:uuid:{contact.id}"
    if organisation:
        card.add("org").value = [organisation]
    if contact.title:
        card.add("title").value = contact.title
    if contact.email:
        email = card.add("email")
        email.value = contact.email
        email.type_param = "INTERNET"
    for number, kind in ((contact.phone, "WORK"), (contact.mobile, "CELL")):
        if number:
            tel = card.add("tel")
            tel.value = number
            tel.type_param = kind
    if contact.street or contact.city or contact.postcode or contact.country:
        card.add("adr").value = vobject.vcard.Address(
            street=contact.street or "",
            city=contact.city or "",
            code=contact.postcode or "",
            country=contact.country or "",
        )
    if contact.description:
        card.add("note").value = contact.description
    return str(card.serialize())


def export_contacts_vcf(
    session: Session, path: str | os.PathLike[str], ids: Collection[str] | None = None
) -> int:
    """Write every live contact (or those of ``ids``) to ``path`` as vCards; return how many.

    Written to a temporary file beside the target and renamed, so the target is
    either the complete export or untouched.
    """
    query = (
        select(Contact, Account.name)
        .outerjoin(Account, Contact.account_id == Account.id)
        .where(Contact.deleted_at.is_(None))
        .order_by(Contact.last_name, Contact.first_name, Contact.id)
    )
    count = 0
    with atomic_text(path) as out:
        for contact, organisation in session.execute(query):
            if ids is not None and contact.id not in ids:
                continue
            out.write(_card(contact, organisation))
            count += 1
    return count
