"""Read queries for the record editors, pickers and the contacts list.

Like :mod:`fieldapp.ui.queries`: each takes a session for one operation, runs on a
worker thread, and returns plain values (tuples, dicts, frozen dataclasses).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldapp.store import search, services
from fieldapp.store.models import Account, Contact, Opportunity, User, Visit
from fieldapp.sync import state

SEARCH_LIMIT = 500
PICKER_LIMIT = 20

# --- contacts list ----------------------------------------------------------------------

CONTACT_HEADERS = ("Name", "Title", "Account", "Email", "Phone")


def contact_name(first: str | None, last: str | None) -> str:
    return f"{first or ''} {last or ''}".strip()


def contact_ids(session: Session, text: str = "") -> list[str]:
    """Ids of the contacts the list shows: every live one by name, or the matches of
    ``text`` (the contact's own fields first, then the people at matching accounts)."""
    live = Contact.deleted_at.is_(None)
    if not text.strip():
        order = (func.lower(Contact.last_name), func.lower(Contact.first_name), Contact.id)
        return list(session.scalars(select(Contact.id).where(live).order_by(*order)))
    hits = search.search_ids(session, "contacts", text, limit=SEARCH_LIMIT)
    if len(hits) < SEARCH_LIMIT:
        accounts = search.search_ids(session, "accounts", text, limit=50)
        if accounts:
            seen = set(hits)
            at = session.scalars(
                select(Contact.id)
                .where(live, Contact.account_id.in_(accounts))
                .order_by(func.lower(Contact.last_name), Contact.id)
                .limit(SEARCH_LIMIT - len(hits))
            )
            hits += [c for c in at if c not in seen]
    return hits


def contact_rows(session: Session, ids: list[str]) -> dict[str, tuple[Any, ...]]:
    """``(name, title, account, email, phone, account_id)`` of the given contacts."""
    if not ids:
        return {}
    rows = session.execute(
        select(
            Contact.id,
            Contact.first_name,
            Contact.last_name,
            Contact.title,
            Account.name,
            Contact.email,
            Contact.phone,
            Contact.mobile,
            Contact.account_id,
        )
        .outerjoin(Account, Account.id == Contact.account_id)
        .where(Contact.id.in_(ids))
    )
    return {r[0]: (contact_name(r[1], r[2]), r[3], r[4], r[5], r[6] or r[7], r[8]) for r in rows}


def contact_detail(session: Session, contact_id: str) -> dict[str, Any]:
    """The contact's fields plus ``account_name``."""
    contact = services.get(session, "contacts", contact_id)
    contact["account_name"] = account_name(session, contact["account_id"])
    return contact


# --- pickers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    id: str
    name: str
    detail: str = ""  # shown beside the name: a town, an email address

    @property
    def label(self) -> str:
        return f"{self.name} — {self.detail}" if self.detail else self.name


def account_choices(session: Session, text: str, limit: int = PICKER_LIMIT) -> list[Choice]:
    """Accounts matching what was typed (the search index), best first."""
    ids = search.search_ids(session, "accounts", text, limit=limit)
    if not ids:
        return []
    rows = {
        r[0]: Choice(r[0], r[1], ", ".join(p for p in (r[2], r[3]) if p))
        for r in session.execute(
            select(Account.id, Account.name, Account.postcode, Account.city).where(
                Account.id.in_(ids)
            )
        )
    }
    return [rows[i] for i in ids if i in rows]


def account_name(session: Session, account_id: str | None) -> str:
    if not account_id:
        return ""
    return session.scalar(select(Account.name).where(Account.id == account_id)) or ""


def contacts_of(session: Session, account_id: str | None) -> list[Choice]:
    """The account's live contacts, by name; the detail is the email address."""
    if not account_id:
        return []
    rows = session.execute(
        select(Contact.id, Contact.first_name, Contact.last_name, Contact.email)
        .where(Contact.account_id == account_id, Contact.deleted_at.is_(None))
        .order_by(func.lower(Contact.last_name), func.lower(Contact.first_name))
    )
    return [Choice(r[0], contact_name(r[1], r[2]), r[3] or "") for r in rows]


@dataclass(frozen=True)
class People:
    """Whom a task can be assigned to."""

    users: list[Choice]  # the users the replica knows, by name
    me: str | None  # the signed-in user's id, when this replica has signed in


def people(session: Session) -> People:
    rows = session.execute(
        select(User.id, User.display_name, User.username, User.email)
        .where(User.deleted_at.is_(None))
        .order_by(func.lower(func.coalesce(func.nullif(User.display_name, ""), User.username)))
    )
    users = [Choice(r[0], r[1] or r[2], r[3] or "") for r in rows]
    return People(users, state.get(session.connection(), "user_id"))


@dataclass(frozen=True)
class TaskForm:
    """What the task editor needs: the task (None for a new one), its account's name, and
    whom it can be assigned to."""

    task: dict[str, Any] | None
    account_name: str
    people: People


def task_form(session: Session, task_id: str | None, account_id: str | None) -> TaskForm:
    task = services.get(session, "tasks", task_id) if task_id else None
    account = task["account_id"] if task else account_id
    return TaskForm(task, account_name(session, account), people(session))


# --- deals ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DealForm:
    """What the deal editor needs: the deal (None for a new one) and the pipeline."""

    deal: dict[str, Any] | None
    stages: list[services.Stage]
    account_name: str


def deal_form(session: Session, deal_id: str | None, account_id: str | None) -> DealForm:
    deal = services.get(session, "opportunities", deal_id) if deal_id else None
    account = deal["account_id"] if deal else account_id
    return DealForm(deal, services.pipeline(session), account_name(session, account))


@dataclass(frozen=True)
class ClosingDeal:
    id: str
    name: str
    account_id: str
    account: str
    amount: Decimal | None
    currency: str
    close_date: date | None
    probability: int | None


def deals_closing(session: Session, days: int = 30) -> list[ClosingDeal]:
    """Open deals whose close date is past or within ``days``, soonest first."""
    closed = [s.name for s in services.pipeline(session) if s.is_won or s.is_lost]
    until = date.today() + timedelta(days=days)
    rows = session.execute(
        select(
            Opportunity.id,
            Opportunity.name,
            Opportunity.account_id,
            Account.name,
            Opportunity.amount,
            Opportunity.currency,
            Opportunity.close_date,
            Opportunity.probability,
        )
        .join(Account, Account.id == Opportunity.account_id)
        .where(
            Opportunity.deleted_at.is_(None),
            Opportunity.stage.not_in(closed),
            Opportunity.close_date.is_not(None),
            Opportunity.close_date <= until,
        )
        .order_by(Opportunity.close_date, Opportunity.name)
    )
    return [ClosingDeal(*r) for r in rows]


# --- email --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmailContext:
    """Who can be written to about an account, and what the templates can say.

    ``values`` holds the placeholders that are plain text; the dates and amounts are
    kept as values for the GUI to write in the user's locale.
    """

    account_id: str | None
    recipients: list[Choice]  # the account's address first (if any), then its contacts'
    values: dict[str, str]
    contact_values: dict[str, dict[str, str]]  # contact id -> its placeholders
    last_visit: datetime | None = None
    deal_amount: Decimal | None = None
    deal_currency: str = "EUR"


def email_context(
    session: Session, account_id: str | None, contact_id: str | None = None
) -> EmailContext:
    """Recipients and placeholders for an email about an account (or to a contact who
    has none)."""
    if account_id is None and contact_id is not None:
        account_id = services.get(session, "contacts", contact_id)["account_id"]
    account = services.get(session, "accounts", account_id) if account_id else None
    recipients: list[Choice] = []
    if account is not None and account["email"]:
        recipients.append(Choice("", account["name"], account["email"]))
    if account_id:
        contacts = services.list_records(
            session, "contacts", limit=None, where={"account_id": account_id}
        )
    else:
        contacts = [services.get(session, "contacts", contact_id)] if contact_id else []
    contact_values: dict[str, dict[str, str]] = {}
    for contact in contacts:
        name = contact_name(contact["first_name"], contact["last_name"])
        if contact["email"]:
            recipients.append(Choice(contact["id"], name, contact["email"]))
        contact_values[contact["id"]] = {
            "contact_name": name,
            "contact_first_name": contact["first_name"] or name,
            "contact_title": contact["title"] or "",
        }
    values = {
        "account": account["name"] if account else "",
        "account_city": (account["city"] or "") if account else "",
        "my_name": my_name(session),
        "visit_notes": "",
        "next_step": "",
        "deal": "",
    }
    visit = deal = None
    if account_id:
        visit = session.execute(
            select(Visit.checkin_at, Visit.notes, Visit.next_step)
            .where(
                Visit.account_id == account_id,
                Visit.deleted_at.is_(None),
                Visit.checkin_at.is_not(None),
            )
            .order_by(Visit.checkin_at.desc())
            .limit(1)
        ).first()
        deal = session.execute(
            select(Opportunity.name, Opportunity.amount, Opportunity.currency)
            .where(Opportunity.account_id == account_id, Opportunity.deleted_at.is_(None))
            .order_by(Opportunity.updated_at.desc())
            .limit(1)
        ).first()
    if visit is not None:
        values["visit_notes"] = visit[1] or ""
        values["next_step"] = visit[2] or ""
    if deal is not None:
        values["deal"] = deal[0]
    return EmailContext(
        account_id,
        recipients,
        values,
        contact_values,
        last_visit=visit[0] if visit else None,
        deal_amount=deal[1] if deal else None,
        deal_currency=deal[2] if deal else "EUR",
    )


def my_name(session: Session) -> str:
    """The signed-in user's name as the replica knows it ("" before any sign-in)."""
    conn = session.connection()
    user_id = state.get(conn, "user_id")
    if user_id:
        row = session.execute(
            select(User.display_name, User.username).where(User.id == user_id)
        ).first()
        if row is not None:
            return row[0] or row[1]
    return state.get(conn, "username") or ""
