"""Today's "deals closing soon": open deals due to close within 30 days (or overdue).

Each shows its amount in its own currency; the heading counts them all and totals them
per currency. The list shows the :data:`SHOWN` soonest (a manager's replica can hold
thousands, and a line each took seconds on the GUI thread), then says how many more
there are. Activating one opens the deal editor, to move the close date or update the
amount.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QWidget
from sqlalchemy.orm import Session

from fieldapp.ui import fmt, lookups, style
from fieldapp.ui.deal_editor import open_deal_editor
from fieldapp.ui.panel import AppContext

DEAL_ROLE = Qt.ItemDataRole.UserRole + 2
DAYS = 30
SHOWN = 100  # lines in the list; the heading counts and totals every deal


class ClosingDeals(QListWidget):
    """The list; :attr:`heading` is its title with the totals, for the caller to place."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("today_closing")
        self.setAlternatingRowColors(True)
        self.heading = QLabel(self.tr("Deals closing in {0} days").format(DAYS))
        self.heading.setObjectName("closing_heading")
        self.heading.setWordWrap(True)
        style.set_role(self.heading, "section")
        self.itemActivated.connect(self._activate)
        ctx.bg.changed.connect(self._on_changed)

    def _on_changed(self, entities: frozenset[str]) -> None:
        if entities & {"opportunities", "accounts", "pipeline_stages"}:
            self.refresh()

    def refresh(self) -> None:
        def job(session: Session) -> list[lookups.ClosingDeal]:
            found = lookups.deals_closing(session, DAYS)
            if found:
                fmt.prepare_money()  # on the worker, not when the page is painted
            return found

        self.ctx.bg.read(job, self._show, owner=self, latest="deals")

    def _show(self, found: list[lookups.ClosingDeal]) -> None:
        self.clear()
        today = date.today()
        for deal in found[:SHOWN]:
            parts = [f"{fmt.fmt_date(deal.close_date)}  {deal.name} — {deal.account}"]
            if deal.amount is not None:
                parts.append(fmt.fmt_money(deal.amount, deal.currency))
            if deal.probability is not None:
                parts.append(f"{deal.probability}%")
            item = QListWidgetItem(" · ".join(parts))
            item.setData(DEAL_ROLE, deal.id)
            if deal.close_date is not None and deal.close_date < today:
                item.setForeground(style.color("overdue"))
                item.setToolTip(self.tr("The close date has passed: win it, lose it or move it."))
            self.addItem(item)
        if len(found) > SHOWN:
            more = QListWidgetItem(
                self.tr(
                    "… and {0:,} more, the last on {1}: the Pipeline panel lists them all"
                ).format(len(found) - SHOWN, fmt.fmt_date(found[-1].close_date))
            )
            more.setFlags(Qt.ItemFlag.NoItemFlags)
            self.addItem(more)
        if not found:
            self.addItem(self.tr("No open deals close in the next {0} days.").format(DAYS))
        totals = fmt.money_totals((d.amount, d.currency) for d in found)
        title = self.tr("Deals closing in {0} days").format(DAYS)
        if len(found) > SHOWN:
            title = self.tr("{0:,} deals closing in {1} days").format(len(found), DAYS)
        self.heading.setText(f"{title} — {totals}" if totals else title)

    def _activate(self, item: QListWidgetItem) -> None:
        deal_id = item.data(DEAL_ROLE)
        if deal_id:
            open_deal_editor(self.ctx, self, str(deal_id))
