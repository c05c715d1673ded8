"""The Proposals tab's balance: each rep's load in one measure, now and after, and its score.

"After" is the previewed proposal or the suggestion, whichever is shown. The figures
come from this laptop's replica (an admin's holds every account) as of its last sync,
worked out in the background (``reports/workload.balance_view``); the loads and the
score are ``domain/balance.py``.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from fieldapp.domain import balance
from fieldapp.reports import workload
from fieldapp.ui.proposal_models import RowsModel, balance_columns


class BalanceBox(QGroupBox):
    def __init__(self, model_parent: QGroupBox | None = None) -> None:
        super().__init__(model_parent)
        self.setTitle(self.tr("Balance"))
        self.measure = QComboBox()
        self.measure.setObjectName("balance_measure")
        for key, label in workload.MEASURES.items():
            self.measure.addItem(self.tr(label), key)
        self.suggest_button = QPushButton(self.tr("&Suggest"))
        self.suggest_button.setToolTip(
            self.tr(
                "Moves along territory boundaries that even the measure out to within "
                "{band} of the mean, carrying as little across boundaries as it can (Ctrl+B)"
            ).format(band=f"±{balance.TOLERANCE:.0%}")
        )
        self.take_button = QPushButton(self.tr("Propose the suggestion"))
        self.take_button.setToolTip(self.tr("Make the suggested moves proposals to preview"))
        self.take_button.setEnabled(False)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setObjectName("balance_cancel")
        self.cancel_button.setToolTip(self.tr("Stop working out the suggestion"))
        self.cancel_button.hide()  # only while a suggestion is worked out
        self.score = QLabel("")
        self.score.setObjectName("balance_score")
        self.score.setWordWrap(True)
        self.model = RowsModel(balance_columns("accounts"), self)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Measure")))
        row.addWidget(self.measure, 1)
        row.addWidget(self.suggest_button)
        row.addWidget(self.cancel_button)
        row.addWidget(self.take_button)
        box = QVBoxLayout(self)
        box.addLayout(row)
        box.addWidget(self.score)

    def running(self, running: bool) -> None:
        """A suggestion is being worked out (Cancel shows) or not."""
        self.cancel_button.setVisible(running)

    def key(self) -> str:
        return str(self.measure.currentData())

    def show_view(self, view: workload.BalanceView) -> None:
        """Each rep's load now and after (worked out off the GUI thread), and the scores."""
        if view.measure != self.key():
            return  # the measure changed meanwhile; its own view follows
        self.model.columns = balance_columns(view.measure)
        self.model.set_rows(view.rows)
        label = self.measure.currentText()
        if view.measure == "pipeline" and view.currency:
            label += f" ({view.currency})"
        self.score.setText(
            f"Balance score ({label}; coefficient of variation, 0 is even): "
            f"{view.score_before:.2f} now → {view.score_after:.2f} after"
        )


def suggestion_headline(suggestion: balance.Suggestion, names: Mapping[str, str]) -> str:
    """What a suggestion moves, between which territories (by ``names``), and how even."""
    pairs = sorted({(names[m.from_territory], names[m.to_territory]) for m in suggestion.moves})
    ways = "; ".join(f"{a} → {b}" for a, b in pairs)
    band = f"±{suggestion.tolerance:.0%}"
    reached = (
        f"every rep within {band} of the mean"
        if suggestion.spread_after <= suggestion.tolerance + 1e-9  # rounding of the shares
        else f"as close to {band} of the mean as the boundaries allow"
    )
    if not suggestion.moves:
        return f"Suggestion: nothing to move; {reached}."
    return (
        f"Suggestion: {len(suggestion.moves)} accounts move ({ways}), {reached}; not proposed yet."
    )
