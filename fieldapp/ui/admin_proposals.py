"""The Admin panel's Proposals tab: preview a reassignment, balance it, apply, roll back.

1. **Propose** (``ui/proposal_form.py``): a territory, the accounts moving into it and/or
   its reps after. **Preview** records a proposal on the server and shows its diff: the
   accounts changing hands (from → to), each rep's gains, losses and workload before and
   after (accounts and open pipeline from the server, planned visit hours from this
   replica), and the moving accounts highlighted on the map.
2. **Balance** (``ui/proposal_balance.py``): each rep's load in the chosen measure now
   and after, with the balance score; **Suggest** works out moves along territory
   boundaries that even it out (``domain/balance.py``); **Propose the suggestion** makes
   them proposals, one per receiving territory (``sync/proposal_batch.py``), previewed
   together.
3. **Apply…** and **Roll back…** (``ui/proposal_versions.py``) ask first, saying who gains
   and loses how many accounts; the reps concerned are told on their next sync.

Every server call and the suggestion run in the background with progress
(``ui/proposal_runner.py``); errors are said in words.

Signals:
    previewed(object): a diff is shown (the server's, several combined for a batch).
    suggested(object): a balance suggestion is shown.
    done(str): an apply or a rollback finished; the sentence shown.
    versions_loaded(): the Versions table shows the server's list.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from fieldapp.domain import balance
from fieldapp.reports import workload
from fieldapp.sync import proposal_batch as batch
from fieldapp.sync.admin_api import AdminApi, with_admin
from fieldapp.ui import style
from fieldapp.ui.panel import AppContext
from fieldapp.ui.proposal_apply import TOLD, ChangeFlow
from fieldapp.ui.proposal_balance import BalanceBox, suggestion_headline
from fieldapp.ui.proposal_form import ProposalForm
from fieldapp.ui.proposal_models import MOVING, PER_REP, RowsModel
from fieldapp.ui.proposal_preview import Preview, Shown, accounts, shown
from fieldapp.ui.proposal_runner import JobRunner
from fieldapp.ui.proposal_versions import VersionsPane, read_only_view

if TYPE_CHECKING:
    from fieldapp.ui.map_panel import MapPanel


class ProposalsTab(QWidget):
    previewed = Signal(object)
    suggested = Signal(object)
    done = Signal(str)
    versions_loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.replica = ctx.bg.replica
        self.map: MapPanel | None = None
        self.territories: list[dict[str, Any]] = []  # the server's list (id, name, reps)
        self.loads: list[workload.AccountLoad] = []
        self.diff: dict[str, Any] | None = None  # what is previewed
        self.versions: list[int] = []  # the previewed proposals
        self.suggestion: balance.Suggestion | None = None
        self.lit: list[str] = []  # highlighted on the map
        # The preview's effect: accounts' territories and territories' reps after.
        self.where: dict[str, str | None] = {}
        self.reps_after: dict[str, list[str]] | None = None
        self._started = False
        self._balance_generation = 0
        self.runner = JobRunner(ctx.bg, self)
        self.runner.busy_changed.connect(self._busy_changed)
        self.changes = ChangeFlow(self.replica, self.runner, self)
        self.changes.finished.connect(self._finished)

        self.form = ProposalForm()
        self.form.preview_button.clicked.connect(self.preview)
        self.balance = BalanceBox()
        self.balance.measure.currentIndexChanged.connect(self._show_balance)
        self.balance.suggest_button.clicked.connect(self.suggest)
        self.balance.take_button.clicked.connect(self.propose_suggestion)
        self.balance.cancel_button.clicked.connect(self.cancel_suggestion)
        self._stop = threading.Event()
        self.moving_model = RowsModel(MOVING, self)
        self.rep_model = RowsModel(PER_REP, self)
        self.versions_pane = VersionsPane()
        self.versions_pane.rollback_requested.connect(self.roll_back)
        self.versions_pane.open_requested.connect(self.open_version)
        self.versions_pane.refresh_requested.connect(self.load_versions)
        self.results = QTabWidget()
        self.results.addTab(read_only_view(self.moving_model, "proposal_moving"), "Accounts")
        self.results.addTab(read_only_view(self.rep_model, "proposal_reps"), "Per rep")
        self.results.addTab(read_only_view(self.balance.model, "proposal_balance"), "Balance")
        self.results.addTab(self.versions_pane, "Versions")
        self.headline = QLabel(self.tr("Nothing previewed yet."))
        self.headline.setObjectName("proposal_headline")
        self.headline.setWordWrap(True)
        style.set_role(self.headline, "summary")
        self.apply_button = QPushButton(self.tr("&Apply…"))
        self.apply_button.setToolTip(self.tr("Apply the previewed proposal (Ctrl+Shift+A)"))
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self.apply)

        left = QWidget()
        box = QVBoxLayout(left)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.form)
        box.addWidget(self.balance)
        headline = QHBoxLayout()
        headline.addWidget(self.headline, 1)
        headline.addWidget(self.apply_button)
        box.addLayout(headline)
        box.addWidget(self.results, 1)
        box.addWidget(self.runner.row)
        self.map_holder = QWidget()
        self.map_layout = QVBoxLayout(self.map_holder)
        self.map_layout.setContentsMargins(0, 0, 0, 0)
        self.map_holder.setMinimumWidth(320)
        self.splitter = QSplitter()
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.map_holder)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.splitter)
        for keys, slot in (("Ctrl+P", self.preview), ("Ctrl+B", self.suggest),
                           ("Ctrl+Shift+A", self.apply)):  # fmt: skip
            # Only while this tab shows: the Users tab has its own Ctrl+P.
            shortcut = QShortcut(QKeySequence(keys), self, slot)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    # --- what the panel calls ------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.map is None:
            self._build_map()
        if not self._started:  # the panel may have asked already
            self.refresh()

    def refresh(self) -> None:
        """Read territories, workloads and versions again (after a sync, say)."""
        self._started = True
        self.reload()
        self.load_versions()
        if self.map is not None:
            self.map.reload()

    def close_map(self) -> None:
        if self.map is not None:
            self.map.close_panel()

    def busy(self) -> bool:
        return self.runner.busy()

    # --- loading -------------------------------------------------------------------

    def reload(self) -> None:
        """The server's territories and reps, and this replica's accounts and workload."""
        replica = self.replica

        def job(session: Session) -> tuple[list[dict[str, Any]], list[workload.AccountLoad]]:
            found = with_admin(replica, lambda api: api.territories())
            return found, workload.account_loads(session)

        self.runner.run(self.tr("Reading territories and workloads…"), job, self._loaded)

    def _loaded(self, result: tuple[list[dict[str, Any]], list[workload.AccountLoad]]) -> None:
        self.territories, self.loads = result
        self.form.set_territories([t["name"] for t in self.territories])
        self._show_balance()

    def load_versions(self) -> None:
        replica = self.replica

        def job(_s: Session) -> list[dict[str, Any]]:
            return with_admin(replica, lambda api: api.proposals())

        self.runner.run(self.tr("Reading the versions…"), job, self._versions, track=False)

    def _versions(self, rows: list[dict[str, Any]]) -> None:
        self.versions_pane.set_rows(rows)
        self.versions_loaded.emit()

    def _build_map(self) -> None:
        from fieldapp.ui.map_panel import MapPanel  # QtWebEngine: started when first shown

        def reader(job: Any, done: Any) -> None:
            self.ctx.bg.read(job, done, owner=self)

        self.map = MapPanel(self.ctx.data_dir, self.map_holder, color_by="territory", reader=reader)
        self.map.selection_changed.connect(self.form.set_selected)
        self.map.map_ready.connect(lambda _n: self._highlight(self.lit))
        self.map.account_activated.connect(self.ctx.open_account)
        self.map_layout.addWidget(self.map)
        self.splitter.setSizes([self.width() * 5 // 9, self.width() * 4 // 9])

    # --- preview -------------------------------------------------------------------

    def preview(self) -> None:
        request = self.form.request()
        if isinstance(request, str):
            self.runner.say(request, error=True)
            return
        replica, territories, loads = self.replica, self.territories, self.loads

        def job(session: Session) -> Shown:
            named = accounts(session, request)

            def work(api: AdminApi) -> Preview:
                version = api.propose(
                    request.territory,
                    reps=request.reps,
                    accounts=named,
                    match=request.source == "match",
                    note=request.note,
                )
                return [version], api.diff(version)

            return shown(with_admin(replica, work), territories, loads)

        self.runner.run(self.tr("Recording the proposal…"), job, self._previewed, exclusive=True)

    def open_version(self, version: int) -> None:
        """Preview a proposal made earlier (here or with ``fieldapp admin assign``)."""
        replica, territories, loads = self.replica, self.territories, self.loads

        def job(_s: Session) -> Shown:
            diff = with_admin(replica, lambda a: a.diff(version))
            return shown(([version], diff), territories, loads)

        self.runner.run(self.tr("Reading the proposal…"), job, self._previewed, exclusive=True)

    def _previewed(self, result: Shown) -> None:
        self.versions, diff = result.versions, result.diff
        self.diff = diff
        self.suggestion = None
        self.balance.take_button.setEnabled(False)
        self.where, self.reps_after = result.where, result.reps_after
        self.moving_model.set_rows(diff["accounts_moving"])
        self.rep_model.set_rows(
            [{**r, "hours": result.hours.get(r["rep"], (0.0, 0.0))} for r in diff["per_rep"]]
        )
        self._show_balance()
        self.headline.setText(
            f"Version {', '.join(map(str, self.versions))} (not applied): "
            f"{diff['moving_count']} accounts change hands, "
            f"{diff['territory_moves']} of them change territory."
        )
        self._busy_changed(self.runner.changing())
        self.results.setCurrentIndex(0)
        self._highlight([a["id"] for a in diff["accounts_moving"]])
        self.load_versions()
        self.previewed.emit(diff)

    # --- balance -------------------------------------------------------------------

    def _reps(self) -> dict[str, list[str]]:
        return {t["id"]: list(t["reps"]) for t in self.territories}

    def _show_balance(self) -> None:
        """The measure per rep: now, and after the suggestion or the preview."""
        where: dict[str, str | None]
        if self.suggestion is not None:
            where = {m.account: m.to_territory for m in self.suggestion.moves}
            reps_after = self._reps()
        else:
            where = self.where
            reps_after = self.reps_after if self.reps_after is not None else self._reps()
        loads, measure, before = self.loads, self.balance.key(), self._reps()
        self._balance_generation += 1
        gen = self._balance_generation

        def show(view: workload.BalanceView) -> None:
            if gen == self._balance_generation:  # else a newer one is on its way
                self.balance.show_view(view)

        self.runner.run(
            self.tr("Working out the balance…"),
            lambda _s: workload.balance_view(loads, measure, before, where, reps_after),
            show,
            track=False,
        )

    def suggest(self) -> None:
        if not self.loads:
            self.runner.say(
                self.tr("No accounts on this laptop to balance; sync first."), error=True
            )
            return
        loads, reps, step = list(self.loads), self._reps(), self.runner.step
        measure, currency = self.balance.key(), workload.main_currency(self.loads)
        self._stop = stop = threading.Event()  # Cancel sets it; the worker looks between strips

        def job(_s: Session) -> balance.Suggestion | None:
            try:
                return balance.suggest(
                    workload.spots(loads, measure, currency),
                    reps,
                    progress=lambda done, total: step.emit(done, total, "rounds of moves"),
                    cancelled=stop.is_set,
                )
            except balance.Cancelled:
                return None

        self.balance.running(True)
        self.runner.run(self.tr("Working out a suggestion…"), job, self._suggested, exclusive=True)

    def cancel_suggestion(self) -> None:
        self._stop.set()

    def _suggested(self, suggestion: balance.Suggestion | None) -> None:
        self.balance.running(False)
        if suggestion is None:
            self.runner.say(self.tr("Suggestion cancelled; nothing changed."))
            return
        self.suggestion = suggestion
        self.balance.take_button.setEnabled(bool(suggestion.moves))
        self._show_balance()
        self.results.setCurrentIndex(2)
        names = {t["id"]: t["name"] for t in self.territories}
        self.headline.setText(suggestion_headline(suggestion, names))
        self._highlight([m.account for m in suggestion.moves])
        self.suggested.emit(suggestion)

    def propose_suggestion(self) -> None:
        if self.suggestion is None or not self.suggestion.moves:
            return
        names = {t["id"]: t["name"] for t in self.territories}
        moves = {m.account: names[m.to_territory] for m in self.suggestion.moves}
        replica, step, territories, loads = (
            self.replica, self.runner.step, self.territories, self.loads
        )  # fmt: skip
        note = self.form.note.text().strip() or f"balance ({self.balance.measure.currentText()})"

        def work(api: AdminApi) -> Preview:
            versions = batch.propose_moves(api, moves, note, step.emit)
            return versions, batch.combine(batch.diffs(api, versions, step.emit))

        self.runner.run(
            self.tr("Making the suggestion proposals…"),
            lambda _s: shown(with_admin(replica, work), territories, loads),
            self._previewed,
            exclusive=True,
        )

    # --- apply and roll back ------------------------------------------------------------

    def apply(self) -> None:
        if self.diff is None or not self.versions or not self.apply_button.isEnabled():
            return
        self.changes.apply(self.versions, self.diff)

    def roll_back(self, version: int) -> None:
        self.changes.roll_back(version)

    def _finished(self, done: list[dict[str, Any]], lines: list[str], what: str) -> None:
        versions = ", ".join(str(d["version"]) for d in done)
        told = "; ".join(lines) or "nobody changes hands"
        sentence = f"{what} (version {versions}): {told}. {TOLD}"
        self.runner.say("")  # the headline says it
        self.diff, self.versions, self.suggestion = None, [], None
        self.where, self.reps_after = {}, None
        self._busy_changed(self.runner.changing())
        self.headline.setText(sentence)
        self._highlight([])
        self.reload()
        self.load_versions()
        # This laptop's replica learns the new territories by syncing; the window's
        # refresh after the sync reads them into this tab (refresh()).
        self.ctx.sync_requested.emit()
        self.done.emit(sentence)

    # --- plumbing --------------------------------------------------------------------

    def _highlight(self, ids: list[str]) -> None:
        self.lit = list(ids)
        if self.map is not None:
            # The page may still be loading: map_ready highlights ``lit`` again.
            self.map.run_js(f"window.fieldappHighlight && fieldappHighlight({json.dumps(ids)})")

    def _busy_changed(self, busy: bool) -> None:
        # One change at a time: a second click must not make a second proposal.
        for widget in (self.form.preview_button, self.balance.suggest_button, self.versions_pane):
            widget.setEnabled(not busy)
        diff = self.diff
        self.apply_button.setEnabled(
            not busy and diff is not None and bool(diff["moving_count"] or diff["reps_changes"])
        )
