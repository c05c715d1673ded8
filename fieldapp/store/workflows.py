"""Writes that span records: converting a lead, logging a visit, completing a task."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldapp.errors import FieldError, ValidationError
from fieldapp.store.models import Lead, Visit
from fieldapp.store.pipeline import pipeline
from fieldapp.store.records import create, load, update
from fieldapp.store.types import utcnow


@dataclass(frozen=True)
class Conversion:
    account_id: str
    contact_id: str
    opportunity_id: str | None


def convert_lead(
    session: Session,
    lead_id: str,
    *,
    account_id: str | None = None,
    opportunity_name: str | None = None,
    amount: Decimal | str | None = None,
    close_date: date | str | None = None,
    create_opportunity: bool = True,
) -> Conversion:
    """Turn a lead into account + contact (+ opportunity), all in this transaction.

    With ``account_id`` the contact joins an existing account instead of a new one.
    """
    lead = load(session, "leads", lead_id)
    assert isinstance(lead, Lead)
    if lead.status == "converted":
        raise ValidationError([FieldError("status", "this lead has already been converted")])
    if account_id is None:
        account_id = create(
            session,
            "accounts",
            {
                "name": lead.company or f"{lead.first_name or ''} {lead.last_name}".strip(),
                "type": "prospect",
                "phone": lead.phone,
                "email": lead.email,
                "street": lead.street,
                "city": lead.city,
                "postcode": lead.postcode,
                "country": lead.country,
                "owner_id": lead.owner_id,
                "description": lead.description,
            },
        )
    else:
        load(session, "accounts", account_id)
    contact_id = create(
        session,
        "contacts",
        {
            "account_id": account_id,
            "first_name": lead.first_name,
            "last_name": lead.last_name,
            "title": lead.title,
            "email": lead.email,
            "phone": lead.phone,
            "owner_id": lead.owner_id,
        },
    )
    opportunity_id = None
    if create_opportunity:
        first = pipeline(session)[0]
        opportunity_id = create(
            session,
            "opportunities",
            {
                "account_id": account_id,
                "contact_id": contact_id,
                "name": opportunity_name or f"{lead.company or lead.last_name} — new business",
                "stage": first.name,
                "amount": amount,
                "close_date": close_date,
                "owner_id": lead.owner_id,
            },
        )
    lead.status = "converted"
    lead.converted_at = utcnow()
    lead.converted_account_id = account_id
    lead.converted_contact_id = contact_id
    lead.converted_opportunity_id = opportunity_id
    session.flush()
    return Conversion(account_id, contact_id, opportunity_id)


def log_visit(
    session: Session,
    account_id: str,
    *,
    outcome: str | None,
    notes: str | None = None,
    next_step: str | None = None,
    checkin_at: datetime | str | None = None,
    checkout_at: datetime | str | None = None,
    follow_up_due: datetime | str | None = None,
    **extra: Any,
) -> str:
    """Record a visit (done now unless times are given); optionally a follow-up task."""
    now = utcnow()
    values = {
        "account_id": account_id,
        "outcome": outcome,
        "notes": notes,
        "next_step": next_step,
        "checkin_at": checkin_at or now,
        "checkout_at": checkout_at or checkin_at or now,
        **extra,
    }
    visit_id = create(session, "visits", values)
    visit = session.get(Visit, visit_id)
    assert visit is not None
    if visit.checkout_at and visit.checkin_at and visit.checkout_at < visit.checkin_at:
        raise ValidationError([FieldError("checkout_at", "check-out is before check-in")])
    if follow_up_due is not None:
        create(
            session,
            "tasks",
            {
                "title": next_step or "Follow up on visit",
                "account_id": account_id,
                "visit_id": visit_id,
                "due_at": follow_up_due,
            },
        )
    return visit_id


def complete_task(session: Session, task_id: str, done: bool = True) -> None:
    update(session, "tasks", task_id, {"done": done, "done_at": utcnow() if done else None})


def last_visit_at(session: Session, account_id: str) -> datetime | None:
    return session.scalar(
        select(func.max(Visit.checkin_at)).where(
            Visit.account_id == account_id, Visit.deleted_at.is_(None)
        )
    )
