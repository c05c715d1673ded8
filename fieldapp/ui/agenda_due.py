"""The Agenda's side list: the accounts due for a visit, longest overdue first.

Signals:
    schedule_requested(str): a double-click or Enter on an account (its id).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QLabel, QListView, QVBoxLayout, QWidget

from fieldapp.store import due

Index = QModelIndex | QPersistentModelIndex
ACCOUNT_ROLE = Qt.ItemDataRole.UserRole + 1


class DueModel(QAbstractListModel):
    """The accounts due for a visit, longest overdue first."""

    def __init__(self) -> None:
        super().__init__()
        self.accounts: list[due.DueAccount] = []

    def set_accounts(self, accounts: list[due.DueAccount]) -> None:
        self.beginResetModel()
        self.accounts = list(accounts)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.accounts)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.accounts):
            return None
        account = self.accounts[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            place = f" — {account.city}" if account.city else ""
            return f"{account.name}{place}\n{self._since(account)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._since(account)
        if role == ACCOUNT_ROLE:
            return account.id
        return None

    def _since(self, account: due.DueAccount) -> str:
        """ "44 days overdue · last visit 11 Oct" (the year when it is not this one)."""
        days = account.days_overdue
        overdue = self.tr("1 day overdue") if days == 1 else self.tr("%1 days overdue")
        last = account.last_visit_at
        if last is None:
            seen = self.tr("never visited")
        else:
            local = last.astimezone()
            when = f"{local:%d %b}" if local.year == date.today().year else f"{local:%d %b %Y}"
            seen = self.tr("last visit %1").replace("%1", when)
        return f"{overdue.replace('%1', str(days))} · {seen}"


class DueList(QWidget):
    """The heading with the count, the list and a hint of what to do with it."""

    schedule_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel(self.tr("Due for a visit"))
        self.heading.setObjectName("agenda_due_heading")
        self.model = DueModel()
        self.list = QListView()
        self.list.setObjectName("agenda_due")
        self.list.setModel(self.model)
        self.list.setAlternatingRowColors(True)
        self.list.setWordWrap(True)
        self.list.activated.connect(self._activated)
        self.hint = QLabel(self.tr("Double-click or Enter: schedule a visit"))
        self.hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.hint)

    def show_list(self, listed: due.DueList) -> None:
        self.model.set_accounts(listed.accounts)
        heading = self.tr("Due for a visit (%1)").replace("%1", f"{listed.total:,}")
        if listed.total > len(listed.accounts):
            heading += " " + self.tr("— the first %1").replace("%1", str(len(listed.accounts)))
        self.heading.setText(heading)
        self.hint.setText(
            self.tr("Double-click or Enter: schedule a visit")
            if listed.total
            else self.tr("Every account has been visited within its frequency.")
        )

    def _activated(self, index: QModelIndex) -> None:
        account_id = index.data(ACCOUNT_ROLE)
        if account_id:
            self.schedule_requested.emit(str(account_id))
