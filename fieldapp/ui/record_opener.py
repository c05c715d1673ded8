"""Open any record with the editor it has, for lists that mention records of every kind
(the conflict inbox, the refused changes).

Accounts open in their 360° view, contacts, deals and tasks in their editors, leads in
the Leads panel; visits, notes and route stops open the account they belong to.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialog, QWidget

from fieldapp.errors import NotFoundError
from fieldapp.store import services
from fieldapp.ui.panel import AppContext

ENTITY_NAMES = {
    "accounts": "Account",
    "contacts": "Contact",
    "leads": "Lead",
    "opportunities": "Deal",
    "visits": "Visit",
    "tasks": "Task",
    "notes": "Note",
    "route_plans": "Route plan",
    "route_stops": "Route stop",
    "territories": "Territory",
    "users": "User",
    "pipeline_stages": "Pipeline stage",
}


def entity_name(entity: str) -> str:
    return ENTITY_NAMES.get(entity, entity.replace("_", " ").capitalize())


def open_record(ctx: AppContext, parent: QWidget, entity: str, row_id: str) -> QDialog | None:
    """Show the record; the editor dialog when it opens in one."""
    # Imported here: the editors pull in their own widgets, unused until a record opens.
    if entity == "contacts":
        from fieldapp.ui.contact_editor import open_contact_editor

        return open_contact_editor(ctx, parent, row_id)
    if entity == "opportunities":
        from fieldapp.ui.deal_editor import open_deal_editor

        return open_deal_editor(ctx, parent, row_id)
    if entity == "tasks":
        from fieldapp.ui.task_editor import open_task_editor

        return open_task_editor(ctx, parent, row_id)
    if entity == "accounts":
        ctx.open_account.emit(row_id)
    elif entity == "leads":
        ctx.open_lead.emit(row_id)
    else:
        ctx.bg.read(
            lambda s: _account_of(s, entity, row_id),
            lambda account: _open_account(ctx, entity, account),
            owner=parent,
        )
    return None


def _account_of(session: Any, entity: str, row_id: str) -> str | None:
    try:
        record = services.get(session, entity, row_id)
    except NotFoundError:  # not on this laptop (evicted, discarded): said below
        return None
    account = record.get("account_id")
    return str(account) if account else None


def _open_account(ctx: AppContext, entity: str, account_id: str | None) -> None:
    if account_id:
        ctx.open_account.emit(account_id)
    else:
        ctx.tell(f"This {entity_name(entity).lower()} belongs to no account to open.")
