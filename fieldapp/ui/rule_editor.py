"""The dialog that adds or changes an automation rule (fieldapp.domain.rules).

Only the fields of the chosen kind show: a follow-up rule asks for the outcome, the
days and the task; a flag or lead rule only for its name and territory. Saving is the
store's (:func:`fieldapp.store.rules.save`), on the write worker; its refusal shows
under the form and keeps the dialog open.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain import values
from fieldapp.domain.rules import DEFAULT_FOLLOW_UP_DAYS, KIND_TEXT, MAX_FOLLOW_UP_DAYS, Rule
from fieldapp.store import rules
from fieldapp.ui import style
from fieldapp.ui.background import user_message
from fieldapp.ui.panel import AppContext


def _combo(items: list[tuple[str, Any]]) -> QComboBox:
    box = QComboBox()
    for text, data in items:
        box.addItem(text, data)
    return box


def _pick(box: QComboBox, data: Any) -> None:
    found = box.findData(data)
    box.setCurrentIndex(max(found, 0))


class RuleDialog(QDialog):
    """Add (``rule`` None) or edit a rule; ``territories`` are (id, name) pairs."""

    def __init__(
        self,
        ctx: AppContext,
        territories: list[tuple[str, str]],
        rule: Rule | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.rule = rule
        self.setWindowTitle(self.tr("Edit rule") if rule else self.tr("New rule"))
        self.name = QLineEdit(rule.name if rule else "")
        self.name.setObjectName("rule_name")
        self.name.setPlaceholderText(self.tr("e.g. Chase undecided customers"))
        self.kind = _combo([(self.tr(text), kind) for kind, text in KIND_TEXT.items()])
        self.kind.setObjectName("rule_kind")
        self.kind.setEnabled(rule is None)  # a rule's kind is what it is: add another
        self.outcome = _combo(
            [(self.tr(o.replace("_", " ").capitalize()), o) for o in values.VISIT_OUTCOMES]
        )
        self.outcome.setObjectName("rule_outcome")
        self.days = QSpinBox()
        self.days.setRange(0, MAX_FOLLOW_UP_DAYS)
        self.days.setSuffix(self.tr(" days"))
        self.days.setValue(rule.days if rule and rule.days is not None else DEFAULT_FOLLOW_UP_DAYS)
        self.title = QLineEdit(rule.task_title or "" if rule else "")
        self.title.setPlaceholderText(self.tr("default: the visit's next step"))
        self.priority = _combo([(self.tr(p.capitalize()), p) for p in values.TASK_PRIORITIES])
        self.territory = _combo(
            [(self.tr("Whole team"), None), *((name, t_id) for t_id, name in territories)]
        )
        self.territory.setObjectName("rule_territory")
        self.enabled = QCheckBox(self.tr("Rule is on"))
        self.enabled.setChecked(rule.enabled if rule else True)
        _pick(self.priority, (rule.priority if rule else None) or values.DEFAULT_TASK_PRIORITY)
        if rule is not None:
            _pick(self.kind, rule.kind)
            _pick(self.outcome, rule.outcome)
            _pick(self.territory, rule.territory_id)
        self.error = QLabel("")
        self.error.setObjectName("rule_error")
        self.error.setWordWrap(True)
        style.set_role(self.error, "error")
        self.error.hide()

        self.form = QFormLayout()
        self.form.addRow(self.tr("Name"), self.name)
        self.form.addRow(self.tr("Does"), self.kind)
        self.form.addRow(self.tr("After a visit with outcome"), self.outcome)
        self.form.addRow(self.tr("Task due after"), self.days)
        self.form.addRow(self.tr("Task title"), self.title)
        self.form.addRow(self.tr("Task priority"), self.priority)
        self.form.addRow(self.tr("For"), self.territory)
        self.form.addRow("", self.enabled)
        self.follow_up_rows = [self.outcome, self.days, self.title, self.priority]
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()

    def _kind_changed(self) -> None:
        follow_up = self.kind.currentData() == "follow_up"
        for widget in self.follow_up_rows:
            self.form.setRowVisible(widget, follow_up)

    def values(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "name": self.name.text(),
            "enabled": self.enabled.isChecked(),
            "territory_id": self.territory.currentData(),
        }
        if self.rule is None:
            found["kind"] = self.kind.currentData()
        if self.kind.currentData() == "follow_up":
            found |= {
                "outcome": self.outcome.currentData(),
                "days": self.days.value(),
                "task_title": self.title.text() or None,
                "priority": self.priority.currentData(),
            }
        return found

    def save(self) -> None:
        given, rule_id = self.values(), self.rule.id if self.rule else None
        self.ctx.bg.write(
            lambda s: rules.save(s, given, rule_id),
            {"rules"},
            lambda _r: self._saved(given["name"]),
            on_error=self._failed,
            owner=self,
        )

    def _saved(self, name: str) -> None:
        self.ctx.tell(
            self.tr("Rule “{0}” saved; it reaches the team on the next sync.").format(name)
        )
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.error.setText(user_message(exc))
        self.error.show()
