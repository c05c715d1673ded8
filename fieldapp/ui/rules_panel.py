"""Rules: the automation rules that reach the signed-in user.

Managers and admins add (Ctrl+N), edit (Enter), switch on and off (Space) and delete
(Delete, with Undo in the toast) rules; a rep sees the rules that reach them, read
only. "Flag overdue now" runs the flag rules over this laptop's accounts at once (the
server runs its own pass; both make the same flags). The work is
:mod:`fieldapp.store.rules`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.store import rules, services
from fieldapp.store.models import Territory
from fieldapp.ui import roles, style
from fieldapp.ui.background import user_message
from fieldapp.ui.empty_state import EmptyHint
from fieldapp.ui.panel import AppContext, Panel
from fieldapp.ui.rule_editor import RuleDialog

ID_ROLE = Qt.ItemDataRole.UserRole


@dataclass(frozen=True)
class RulesView:
    rules: list[rules.ListedRule]
    territories: list[tuple[str, str]]
    may_edit: bool


def load(session: Session) -> RulesView:
    territories = [
        (t_id, name)
        for t_id, name in session.execute(
            select(Territory.id, Territory.name)
            .where(Territory.deleted_at.is_(None))
            .order_by(Territory.name)
        )
    ]
    # As the rest of the app: a replica nobody signed in to is a rep's (ui.roles).
    may_edit = roles.signed_in_role(session) in roles.MANAGERS
    return RulesView(rules.listed(session), territories, may_edit)


class RulesPanel(Panel):
    title = "Rules"
    watches = frozenset({"rules", "territories", "users"})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.view = RulesView([], [], False)
        self.generation = 0
        self.editor: RuleDialog | None = None
        heading = QLabel(self.tr("Rules"))
        style.set_role(heading, "title")
        self.intro = QLabel("")
        self.intro.setWordWrap(True)
        style.set_role(self.intro, "subheading")
        self.list = QTreeWidget()
        self.list.setObjectName("rules_list")
        self.list.setRootIsDecorated(False)
        self.list.setHeaderLabels(
            [self.tr("Name"), self.tr("What it does"), self.tr("For"), self.tr("On"), self.tr("By")]
        )
        header = self.list.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 220)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column in (2, 3, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.list.itemActivated.connect(lambda _item, _col: self.edit_selected())
        self.empty = EmptyHint(self.list)

        self.add_button = QPushButton(self.tr("New rule…"))
        self.add_button.setObjectName("add_rule")
        self.add_button.setToolTip(self.tr("Ctrl+N"))
        self.add_button.clicked.connect(self.new_record)
        self.edit_button = QPushButton(self.tr("Edit…"))
        self.edit_button.clicked.connect(self.edit_selected)
        self.toggle_button = QPushButton(self.tr("Switch off"))
        self.toggle_button.setObjectName("toggle_rule")
        self.toggle_button.setToolTip(self.tr("Space"))
        self.toggle_button.clicked.connect(self.toggle_selected)
        self.delete_button = QPushButton(self.tr("Delete"))
        self.delete_button.setObjectName("delete_rule")
        self.delete_button.setToolTip(self.tr("Delete (Undo in the message that follows)"))
        self.delete_button.clicked.connect(self.delete_selected)
        self.run_button = QPushButton(self.tr("Flag overdue now"))
        self.run_button.setObjectName("run_rules")
        self.run_button.setToolTip(
            self.tr("Flag the accounts on this laptop not visited within their frequency")
        )
        self.run_button.clicked.connect(self.run_flags)
        QShortcut(QKeySequence(Qt.Key.Key_Space), self.list, self.toggle_selected)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.toggle_button, self.run_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.delete_button)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.intro)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self._update_buttons()
        self.refresh()

    # -- loading ------------------------------------------------------------------------

    def refresh(self) -> None:
        self.generation += 1
        generation = self.generation
        self.ctx.bg.read(load, lambda view: self._loaded(generation, view), owner=self)

    def _loaded(self, generation: int, view: RulesView) -> None:
        if generation != self.generation:
            return
        current = self.current()
        self.view = view
        self.list.clear()
        for listed in view.rules:
            rule = listed.rule
            item = QTreeWidgetItem(
                [
                    rule.name,
                    listed.text,
                    listed.territory or self.tr("Whole team"),
                    self.tr("On") if rule.enabled else self.tr("Off"),
                    listed.author or "",
                ]
            )
            item.setData(0, ID_ROLE, rule.id)
            item.setToolTip(1, listed.text)
            if not rule.enabled:
                item.setForeground(3, style.color("muted"))
            self.list.addTopLevelItem(item)
            if current is not None and rule.id == current.rule.id:
                self.list.setCurrentItem(item)
        if view.may_edit:
            intro = self.tr(
                "Rules work for your team on their laptops and on the server: a follow-up "
                "task after a visit, a flag on accounts not visited in time, new leads to "
                "their territory's rep. What a rule made says so and can be undone."
            )
            hint = self.tr("No rules yet. Add one with New rule… (Ctrl+N).")
        else:
            intro = self.tr(
                "The rules your manager set for you. Tasks and flags they make say so; "
                "delete a task or clear a flag to undo it."
            )
            hint = self.tr("No rules reach you.")
        self.intro.setText(intro)
        self.empty.show_hint(None if view.rules else hint)
        self._update_buttons()

    def current(self) -> rules.ListedRule | None:
        item = self.list.currentItem()
        if item is None or not item.isSelected():
            return None
        wanted = item.data(0, ID_ROLE)
        return next((r for r in self.view.rules if r.rule.id == wanted), None)

    def _update_buttons(self) -> None:
        chosen = self.current()
        editable = self.view.may_edit
        self.add_button.setVisible(editable)
        for button in (self.edit_button, self.toggle_button, self.delete_button):
            button.setVisible(editable)
            button.setEnabled(chosen is not None)
        if chosen is not None:
            self.toggle_button.setText(
                self.tr("Switch off") if chosen.rule.enabled else self.tr("Switch on")
            )

    # -- actions --------------------------------------------------------------------------

    def new_record(self) -> None:
        if self.view.may_edit:
            self._edit(None)

    def edit_selected(self) -> None:
        chosen = self.current()
        if chosen is not None and self.view.may_edit:
            self._edit(chosen)

    def _edit(self, chosen: rules.ListedRule | None) -> None:
        self.editor = RuleDialog(
            self.ctx, self.view.territories, chosen.rule if chosen else None, self
        )
        self.editor.open()

    def toggle_selected(self) -> None:
        chosen = self.current()
        if chosen is None or not self.view.may_edit:
            return
        rule_id, on = chosen.rule.id, not chosen.rule.enabled
        told = self.tr("Rule “{0}” switched {1}.").format(
            chosen.rule.name, self.tr("on") if on else self.tr("off")
        )
        self._write(lambda s: rules.save(s, {"enabled": on}, rule_id), told)

    def delete_selected(self) -> None:
        chosen = self.current()
        if chosen is None or not self.view.may_edit:
            return
        rule_id, name = chosen.rule.id, chosen.rule.name

        def undo() -> None:
            self._write(
                lambda s: services.restore(s, "rules", rule_id),
                self.tr("Rule “{0}” is back.").format(name),
            )

        self.ctx.bg.write(
            lambda s: services.delete(s, "rules", rule_id),
            {"rules"},
            lambda _r: self.ctx.tell(
                self.tr("Rule “{0}” deleted; what it made stays.").format(name), undo
            ),
            on_error=self._failed,
            owner=self,
        )

    def run_flags(self) -> None:
        def done(added: int) -> None:
            self.run_button.setEnabled(True)
            self.ctx.tell(self.tr("{0} accounts flagged.").format(added))

        def failed(exc: BaseException) -> None:
            self.run_button.setEnabled(True)
            self._failed(exc)

        # Seconds at 100k accounts, on the write worker: say so, and not twice at once.
        self.run_button.setEnabled(False)
        self.ctx.tell(self.tr("Flagging the accounts not visited within their frequency…"))
        self.ctx.bg.write(rules.run_flags, {"flags"}, done, on_error=failed, owner=self)

    def _write(self, job: object, told: str) -> None:
        self.ctx.bg.write(
            job,  # type: ignore[arg-type]
            {"rules"},
            lambda _r: self.ctx.tell(told),
            on_error=self._failed,
            owner=self,
        )

    def _failed(self, exc: BaseException) -> None:
        self.ctx.tell(user_message(exc))
