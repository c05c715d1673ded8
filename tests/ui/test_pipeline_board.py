"""The pipeline board read in two steps: each column's first screenful, then every id."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QTableView
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.ui.background import Background
from fieldapp.ui.lazy_model import FIRST_ROWS, ID_ROLE, PLACEHOLDER
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.pipeline_model import StageModel
from fieldapp.ui.pipeline_panel import PipelinePanel

DEALS = FIRST_ROWS * 2 + 15  # more than the first screenful a column is read with


def _many_proposals(replica: Replica) -> list[str]:
    """DEALS proposals, the biggest first."""
    with replica.session() as s:
        account = services.create(s, "accounts", {"name": "Many Deals GmbH"})
        rows = [
            {
                "account_id": account,
                "name": f"Deal {i:03}",
                "stage": "Proposal",
                "amount": Decimal(1_000_000 - i),
            }
            for i in range(DEALS)
        ]
        return services.bulk_create(s, "opportunities", rows)


def test_a_long_column_lists_every_deal_and_reads_cards_as_scrolled(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow]
) -> None:
    ids = _many_proposals(replica)
    window = make_window()
    panel = window.show_panel("pipeline")
    assert isinstance(panel, PipelinePanel)
    qtbot.waitUntil(lambda: "Proposal" in panel.columns)
    column = panel.columns["Proposal"]
    model = column.model
    qtbot.waitUntil(lambda: model.rowCount() == DEALS)
    assert f"{DEALS} deals" in column.totals.text()
    assert [model.index(r, 0).data(ID_ROLE) for r in range(DEALS)] == ids
    last = model.index(DEALS - 1, 0)
    column.view.scrollTo(last)
    qtbot.waitUntil(lambda: model.is_loaded(DEALS - 1))
    assert str(last.data()).startswith(f"Deal {DEALS - 1:03}\nMany Deals GmbH")


def test_the_rest_of_a_column_is_added_below_what_is_shown(
    qtbot: QtBot, qtmodeltester: ModelTester, replica: Replica
) -> None:
    ids = _many_proposals(replica)
    bg = Background(replica)
    model = StageModel(bg, "Proposal")
    qtmodeltester.check(model, force_py=True)  # checks every change from here on
    view = QTableView()
    view.setModel(model)
    model.show_ids(ids[:FIRST_ROWS], {})
    qtbot.waitUntil(lambda: model.is_loaded(0))
    view.selectionModel().select(
        model.index(3, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    with qtbot.waitSignal(model.rowsInserted), qtbot.assertNotEmitted(model.modelReset):
        assert model.extend_ids(ids)
    assert model.rowCount() == DEALS
    assert [i.row() for i in view.selectionModel().selectedIndexes()] == [3]
    assert model.is_loaded(0)  # the cards read so far are kept
    assert model.index(DEALS - 1, 0).data() == PLACEHOLDER  # read when asked for
    qtbot.waitUntil(lambda: model.is_loaded(DEALS - 1))
    # A list that changed in between (a deal moved meanwhile) is refused: read again.
    with qtbot.assertNotEmitted(model.modelReset), qtbot.assertNotEmitted(model.rowsRemoved):
        assert not model.extend_ids(ids[1:])
    assert model.row_id(0) == ids[0] and model.rowCount() == DEALS
    qtbot.waitUntil(lambda: bg.pending() == 0)
    assert bg.shutdown()


def test_lists_read_before_a_move_do_not_put_the_deal_back(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow]
) -> None:
    ids = _many_proposals(replica)
    window = make_window()
    panel = window.show_panel("pipeline")
    assert isinstance(panel, PipelinePanel)
    qtbot.waitUntil(lambda: "Proposal" in panel.columns)
    model = panel.columns["Proposal"].model
    qtbot.waitUntil(lambda: model.rowCount() == DEALS)
    stale = {
        stage: [str(c.model.row_id(r)) for r in range(c.model.rowCount())]
        for stage, c in panel.columns.items()
    }
    head = panel._heads
    panel.move_card(ids[0], "Negotiation")
    qtbot.waitUntil(lambda: model.rowCount() == DEALS - 1 and panel._heads > head)
    qtbot.waitUntil(lambda: window.bg.pending() == 0)
    # The full lists of the read before the move arrive late: they are dropped.
    panel._show_rest(head, stale)
    assert model.row_of(ids[0]) == -1 and model.rowCount() == DEALS - 1
    assert panel.columns["Negotiation"].model.row_of(ids[0]) >= 0
