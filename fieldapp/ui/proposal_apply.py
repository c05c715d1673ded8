"""Applying and rolling back from the Proposals tab: ask first, then do it in the background.

The question says who gains and loses how many accounts: for an apply from the
previewed diff, for a rollback from the server's dry run of it (it does the whole
rollback and keeps none of it), so what is asked is what will happen.

Signals:
    finished(list, list, str): the server's answers, the gains and losses in words, and
        what was done ("Applied", "Rolled back to version 3").
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget
from sqlalchemy.orm import Session

from fieldapp.store.db import Replica
from fieldapp.sync import proposal_batch as batch
from fieldapp.sync.admin_api import with_admin
from fieldapp.ui import dialogs
from fieldapp.ui.proposal_runner import JobRunner

TOLD = "The reps concerned are told on their next sync."


def question(opening: str, diff: dict[str, Any]) -> tuple[str, list[str]]:
    lines = batch.who_gains_and_loses(diff)
    text = "\n".join([f"{opening} {diff['moving_count']} accounts change hands:", *lines, "", TOLD])
    return text, lines


class ChangeFlow(QObject):
    finished = Signal(list, list, str)

    def __init__(self, replica: Replica, runner: JobRunner, parent: QWidget) -> None:
        super().__init__(parent)
        self.replica = replica
        self.runner = runner
        self.window = parent

    def apply(self, versions: list[int], diff: dict[str, Any]) -> None:
        shown = ", ".join(map(str, versions))
        text, lines = question(f"Apply version {shown}?", diff)
        if not dialogs.confirm(self.window, self.tr("Apply the proposal"), text):
            return
        replica, wanted, step = self.replica, list(versions), self.runner.step

        def job(_s: Session) -> list[Any]:
            return with_admin(replica, lambda api: batch.apply_all(api, wanted, step.emit))

        self.runner.run(
            self.tr("Applying…"),
            job,
            lambda done: self.finished.emit(done, lines, "Applied"),
            exclusive=True,
        )

    def roll_back(self, version: int) -> None:
        """Roll back to ``version``: a dry run says what would move, then the question."""
        replica = self.replica

        def dry(_s: Session) -> dict[str, Any]:
            return with_admin(replica, lambda api: api.rollback(version, dry_run=True))

        self.runner.run(
            self.tr("Working out the rollback…"),
            dry,
            lambda diff: self._ask_rollback(version, diff),
            exclusive=True,
        )

    def _ask_rollback(self, version: int, diff: dict[str, Any]) -> None:
        text, lines = question(
            f"Roll back to version {version}? Every later version is undone;", diff
        )
        if not dialogs.confirm(self.window, self.tr("Roll back"), text):
            return
        replica = self.replica

        def job(_s: Session) -> list[Any]:
            return [with_admin(replica, lambda api: api.rollback(version))]

        self.runner.run(
            self.tr("Rolling back…"),
            job,
            lambda done: self.finished.emit(done, lines, f"Rolled back to version {version}"),
            exclusive=True,
        )
