"""What rules did, shown where it happened: an account's flags, a lead's assignment.

Each says which rule did it and offers the undo (:func:`fieldapp.store.rules.undo`):
clearing a flag or giving a lead back to its former owner; the toast's Undo puts it back.
A follow-up task says "Made by rule …" in its own description and is deleted like any
task.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget
from sqlalchemy.orm import Session

from fieldapp.store import rules, services
from fieldapp.ui import style
from fieldapp.ui.background import user_message
from fieldapp.ui.panel import AppContext


class _Mark(QWidget):
    """A line of text and one undo button, hidden while there is nothing to say."""

    watches: frozenset[str] = frozenset()

    def __init__(self, ctx: AppContext, button: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.record_id: str | None = None
        self._generation = 0
        self.label = QLabel("")
        self.label.setWordWrap(True)
        style.set_role(self.label, "subheading")
        self.button = QPushButton(button)
        self.button.clicked.connect(self.undo)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label, 1)
        row.addWidget(self.button)
        ctx.bg.changed.connect(self._on_changed)
        self.hide()

    def show_record(self, record_id: str | None) -> None:
        self.record_id = record_id
        self.reload()

    def _on_changed(self, entities: frozenset[str]) -> None:
        if entities & self.watches and self.record_id:
            self.reload()

    def reload(self) -> None:
        self._generation += 1
        gen, record_id = self._generation, self.record_id
        if record_id is None:
            self.hide()
            return
        self.ctx.bg.read(
            lambda s: self.fetch(s, record_id),
            lambda found: self._shown(gen, found),
            on_error=lambda _e: None,  # the record's own view reports a vanished record
            owner=self,
        )

    def _shown(self, gen: int, found: Any) -> None:
        if gen == self._generation:
            self.show_found(found)

    def fetch(self, session: Session, record_id: str) -> Any:
        """What to show (on the read worker)."""
        raise NotImplementedError

    def show_found(self, found: Any) -> None:
        raise NotImplementedError

    def undo(self) -> None:
        raise NotImplementedError

    def _failed(self, exc: BaseException) -> None:
        self.ctx.tell(user_message(exc))


class FlagBanner(_Mark):
    """An account's flags ("Not visited within 30 days — rule “Overdue”"), Clear flag."""

    watches = frozenset({"flags", "visits"})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Clear flag", parent)
        self.setObjectName("flag_banner")
        self.flags: list[rules.FlagInfo] = []

    def fetch(self, session: Session, record_id: str) -> list[rules.FlagInfo]:
        return rules.account_flags(session, record_id)

    def show_found(self, flags: list[rules.FlagInfo]) -> None:
        self.flags = flags
        self.label.setText(
            "\n".join(
                self.tr("⚑ {0} — flagged by rule “{1}”").format(f.reason, f.rule) for f in flags
            )
        )
        self.setVisible(bool(flags))

    def undo(self) -> None:
        flags = list(self.flags)
        if not flags:
            return

        def clear(s: Session) -> None:
            for flag in flags:
                rules.undo(s, "flags", flag.id)

        def put_back() -> None:
            def restore(s: Session) -> None:
                for flag in flags:
                    services.restore(s, "flags", flag.id)

            self.ctx.bg.write(restore, {"flags"}, on_error=self._failed, owner=self)

        self.ctx.bg.write(
            clear,
            {"flags"},
            lambda _r: self.ctx.tell(
                self.tr("Flag cleared; the rule will not set it again."), put_back
            ),
            on_error=self._failed,
            owner=self,
        )


class LeadAssignment(_Mark):
    """ "Assigned to Ana by rule “…” (was Ben's)", Give back."""

    watches = frozenset({"leads"})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Give back", parent)
        self.setObjectName("lead_assignment")

    def fetch(self, session: Session, record_id: str) -> rules.Assignment | None:
        return rules.lead_assignment(session, record_id)

    def show_found(self, found: rules.Assignment | None) -> None:
        if found is None:
            self.hide()
            return
        text = self.tr("Assigned to {0} by rule “{1}”").format(found.owner or "?", found.rule)
        if found.former_owner:
            text += self.tr(" (was {0}'s)").format(found.former_owner)
            self.button.setToolTip(self.tr("Give the lead back to {0}").format(found.former_owner))
        self.label.setText(text)
        self.show()

    def undo(self) -> None:
        lead_id = self.record_id
        if lead_id is None:
            return
        self.ctx.bg.write(
            lambda s: rules.undo(s, "leads", lead_id),
            {"leads"},
            lambda _r: self.ctx.tell(self.tr("Lead given back to its former owner.")),
            on_error=self._failed,
            owner=self,
        )
