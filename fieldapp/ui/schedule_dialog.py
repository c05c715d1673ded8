"""Scheduling a visit: which account (searched as you type), when, how long, how often.

Panels call :func:`ask_schedule` and :func:`ask_visit_times` through the module, so
tests answer them as they answer :mod:`fieldapp.ui.dialogs`. The dialog searches in
the background (a result for words typed past is dropped) and never writes: the
caller schedules what it returns through :mod:`fieldapp.store.scheduling`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QWidget,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.domain import visits as rules
from fieldapp.store import search
from fieldapp.store.models import Account
from fieldapp.ui.background import Background

ACCOUNT_ROLE = Qt.ItemDataRole.UserRole + 1
PICKER_LIMIT = 30


@dataclass(frozen=True)
class AccountChoice:
    id: str
    name: str
    city: str | None
    type: str
    frequency_days: int | None

    def label(self) -> str:
        return f"{self.name} — {self.city}" if self.city else self.name


@dataclass(frozen=True)
class ScheduleRequest:
    account_id: str
    start: datetime  # aware
    minutes: int
    every_days: int | None  # set the account's visit plan; None leaves it as it is


def find_accounts(session: Session, text: str, limit: int = PICKER_LIMIT) -> list[AccountChoice]:
    """Accounts whose name, town or other words start with what was typed."""
    if not text.strip():
        return []
    ids = search.search_ids(session, "accounts", text, limit=limit)
    if not ids:
        return []
    rows = session.execute(
        select(
            Account.id, Account.name, Account.city, Account.type, Account.visit_frequency_days
        ).where(Account.id.in_(ids), Account.deleted_at.is_(None))
    )
    found = {r[0]: AccountChoice(*r) for r in rows}
    return [found[i] for i in ids if i in found]


def account_choice(session: Session, account_id: str) -> AccountChoice:
    row = session.execute(
        select(
            Account.id, Account.name, Account.city, Account.type, Account.visit_frequency_days
        ).where(Account.id == account_id)
    ).one()
    return AccountChoice(*row)


class QuarterHourEdit(QDateTimeEdit):
    """A date and time whose minutes step by 15 (arrows and the wheel)."""

    def stepBy(self, steps: int) -> None:
        if self.currentSection() == QDateTimeEdit.Section.MinuteSection:
            self.setDateTime(self.dateTime().addSecs(steps * 15 * 60))
        else:
            super().stepBy(steps)


def _qdatetime(moment: datetime) -> QDateTime:
    return QDateTime.fromSecsSinceEpoch(int(moment.timestamp()))


def _aware(value: QDateTime) -> datetime:
    return datetime.fromtimestamp(value.toSecsSinceEpoch()).astimezone()


class ScheduleDialog(QDialog):
    """Account (a search box and its matches, unless the account is given), time,
    length and an optional "repeat every N weeks"."""

    def __init__(
        self,
        parent: QWidget | None,
        bg: Background,
        start: datetime,
        account: AccountChoice | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Schedule a visit"))
        self.bg = bg
        self.account = account
        self._generation = 0
        self._minutes_edited = False

        self.search = QLineEdit()
        self.search.setObjectName("schedule_search")
        self.search.setPlaceholderText(self.tr("Type part of the account's name or town"))
        self.search.textChanged.connect(self._search)
        self.matches = QListWidget()
        self.matches.setObjectName("schedule_matches")
        self.matches.setMinimumHeight(140)
        self.matches.currentItemChanged.connect(self._picked)
        self.chosen = QLabel()
        self.chosen.setObjectName("schedule_account")
        self.when = QuarterHourEdit(_qdatetime(start))
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("ddd yyyy-MM-dd HH:mm")
        self.minutes = QSpinBox()
        self.minutes.setRange(5, 12 * 60)
        self.minutes.setSingleStep(15)
        self.minutes.setSuffix(self.tr(" min"))
        self.minutes.setStepType(QAbstractSpinBox.StepType.DefaultStepType)
        self.minutes.setValue(rules.visit_minutes(account.type if account else None))
        self.minutes.valueChanged.connect(self._minutes_changed)
        self.repeat = QCheckBox(self.tr("Repeat every"))
        self.weeks = QSpinBox()
        self.weeks.setRange(1, 52)
        self.weeks.setSuffix(self.tr(" weeks"))
        self.weeks.setValue(4)
        self.weeks.setEnabled(False)
        self.repeat.toggled.connect(self.weeks.setEnabled)
        repeat_row = QHBoxLayout()
        repeat_row.addWidget(self.repeat)
        repeat_row.addWidget(self.weeks)
        repeat_row.addStretch(1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(self.tr("Schedule"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout(self)
        if account is None:
            form.addRow(self.tr("Account"), self.search)
            form.addRow("", self.matches)
        form.addRow(self.tr("Visit to") if account else "", self.chosen)
        form.addRow(self.tr("When"), self.when)
        form.addRow(self.tr("Length"), self.minutes)
        form.addRow(self.tr("Plan"), repeat_row)
        form.addRow(self.buttons)
        self._show_account()
        (self.search if account is None else self.when).setFocus()

    def _search(self, text: str) -> None:
        self._generation += 1
        gen = self._generation
        self.bg.read(
            lambda s: find_accounts(s, text), lambda found: self._found(gen, found), owner=self
        )

    def _found(self, gen: int, found: list[AccountChoice]) -> None:
        if gen != self._generation:
            return  # typed on meanwhile
        self.matches.clear()
        for choice in found:
            item = QListWidgetItem(choice.label())
            item.setData(ACCOUNT_ROLE, choice)
            self.matches.addItem(item)
        if not found and self.search.text().strip():
            hint = self.tr("No account matches '%1'").replace("%1", self.search.text())
            self.matches.addItem(hint)
        elif found:
            self.matches.setCurrentRow(0)

    def _picked(self, item: QListWidgetItem | None) -> None:
        choice = item.data(ACCOUNT_ROLE) if item is not None else None
        if isinstance(choice, AccountChoice):
            self.account = choice
            if not self._minutes_edited:
                self.minutes.blockSignals(True)
                self.minutes.setValue(rules.visit_minutes(choice.type))
                self.minutes.blockSignals(False)
            self._show_account()

    def _minutes_changed(self, _value: int) -> None:
        self._minutes_edited = True

    def _show_account(self) -> None:
        account = self.account
        self.ok.setEnabled(account is not None)
        if account is None:
            self.chosen.setText(self.tr("Pick an account above."))
            return
        plan = rules.describe_frequency(account.frequency_days) if account.frequency_days else ""
        self.chosen.setText(account.label() + (f" · {plan}" if plan else ""))
        frequency = account.frequency_days
        if frequency and frequency % 7 == 0 and not self.repeat.isChecked():
            self.weeks.setValue(frequency // 7)

    def request(self) -> ScheduleRequest | None:
        if self.account is None:
            return None
        every = self.weeks.value() * 7 if self.repeat.isChecked() else None
        return ScheduleRequest(
            self.account.id, _aware(self.when.dateTime()), self.minutes.value(), every
        )


def ask_schedule(
    parent: QWidget | None,
    bg: Background,
    start: datetime,
    account: AccountChoice | None = None,
) -> ScheduleRequest | None:
    dialog = ScheduleDialog(parent, bg, start, account)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.request()


@dataclass(frozen=True)
class VisitTimes:
    start: datetime
    minutes: int


class VisitTimesDialog(QDialog):
    """When a planned visit starts and how long it lasts."""

    def __init__(self, parent: QWidget | None, title: str, start: datetime, minutes: int) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.when = QuarterHourEdit(_qdatetime(start))
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("ddd yyyy-MM-dd HH:mm")
        self.minutes = QSpinBox()
        self.minutes.setRange(5, 12 * 60)
        self.minutes.setSingleStep(15)
        self.minutes.setSuffix(self.tr(" min"))
        self.minutes.setValue(minutes)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.tr("When"), self.when)
        form.addRow(self.tr("Length"), self.minutes)
        form.addRow(buttons)

    def times(self) -> VisitTimes:
        return VisitTimes(_aware(self.when.dateTime()), self.minutes.value())


def ask_visit_times(
    parent: QWidget | None, title: str, start: datetime, minutes: int
) -> VisitTimes | None:
    dialog = VisitTimesDialog(parent, title, start, minutes)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.times()
