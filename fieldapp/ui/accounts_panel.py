"""Accounts: the searchable, filterable list of the whole replica beside the 360° view."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QItemSelection, QSettings, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from fieldapp.store import models
from fieldapp.ui import queries
from fieldapp.ui.account_detail import AccountDetail
from fieldapp.ui.accounts_model import AccountsModel
from fieldapp.ui.empty_state import EmptyHint
from fieldapp.ui.headers import record_table
from fieldapp.ui.nearby_dialog import NearbyDialog
from fieldapp.ui.panel import AppContext, Panel
from fieldapp.ui.queries import AccountFilter
from fieldapp.ui.unplotted_dialog import UnplottedDialog


def _combo(name: str, choices: tuple[str, ...] | list[tuple[str, str]]) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    combo.addItem(f"Any {name}", "")
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(7)
    for choice in choices:
        value, label = choice if isinstance(choice, tuple) else (choice, choice)
        combo.addItem(label, value)
    return combo


class AccountsPanel(Panel):
    title = "Accounts"
    watches = frozenset({"accounts", "visits"})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.model = AccountsModel(ctx.bg)
        self.model.loaded.connect(self._loaded)

        self.search = QLineEdit()
        self.search.setObjectName("account_search")
        self.search.setPlaceholderText("Search accounts (Ctrl+F) — name, town, phone, email, tags…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._apply_filter)
        self.type_filter = _combo("type", models.ACCOUNT_TYPES)
        self.status_filter = _combo("status", models.ACCOUNT_STATUSES)
        self.territory_filter = _combo("territory", [])
        self.tag_filter = QLineEdit()
        self.tag_filter.setPlaceholderText("tag")
        self.tag_filter.setMaximumWidth(90)
        self.not_visited = QSpinBox()
        self.not_visited.setRange(0, 3650)
        self.not_visited.setSpecialValueText("any time")
        self.not_visited.setPrefix("unvisited ")
        self.not_visited.setSuffix(" d")
        self.not_visited.setToolTip("Only accounts not visited for this many days")
        for combo in (self.type_filter, self.status_filter, self.territory_filter):
            combo.currentIndexChanged.connect(self._apply_filter)
        self.tag_filter.textChanged.connect(self._apply_filter)
        self.not_visited.valueChanged.connect(self._apply_filter)
        self.count_label = QLabel("")
        self.count_label.setObjectName("account_count")

        filters = QHBoxLayout()
        for w in (
            self.type_filter,
            self.status_filter,
            self.territory_filter,
            self.tag_filter,
            self.not_visited,
        ):
            filters.addWidget(w)
        filters.addStretch(1)
        self.nearby_button = QPushButton(self.tr("&Nearby…"))
        self.nearby_button.setObjectName("nearby_button")
        self.nearby_button.setToolTip(
            self.tr("Accounts near the selected one, or near an address you type")
        )
        self.nearby_button.clicked.connect(self.show_nearby)
        self.unplotted_button = QPushButton(self.tr("Not on the map…"))
        self.unplotted_button.setObjectName("unplotted_button")
        self.unplotted_button.setToolTip(self.tr("Accounts without a location; geocode them"))
        self.unplotted_button.clicked.connect(self.show_unplotted)
        self.nearby: NearbyDialog | None = None
        search_row = QHBoxLayout()
        search_row.addWidget(self.search, 1)
        search_row.addWidget(self.count_label)
        search_row.addWidget(self.nearby_button)
        search_row.addWidget(self.unplotted_button)

        self.table = record_table(self.model)
        self.table.setObjectName("accounts_table")
        self.table.setWordWrap(False)
        vh = self.table.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(24)
        hh = self.table.horizontalHeader()
        hh.setSectionsMovable(True)
        # Widths that show every column at 1280×800 beside the account view.
        for column, width in enumerate((170, 76, 62, 92, 66, 96, 84)):
            hh.resizeSection(column, width)
        hh.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.hint = EmptyHint(self.table)

        self.detail = AccountDetail(ctx)
        self.detail.saved.connect(self._saved)

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addLayout(search_row)
        ll.addLayout(filters)
        ll.addWidget(self.table, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([720, 430])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.splitter)
        self._pending_select: str | None = None
        self._user_sorted = False
        hh.sectionClicked.connect(self._header_clicked)
        ctx.bg.read(queries.territories, self._territories, owner=self)
        self.model.reload()

    # -- filter -----------------------------------------------------------------------------

    def current_filter(self) -> AccountFilter:
        text = self.search.text()
        sort = self.model.filter.sort_column
        if not self._user_sorted:
            sort = "relevance" if text.strip() else "name"
        return AccountFilter(
            search=text,
            type=self.type_filter.currentData() or None,
            status=self.status_filter.currentData() or None,
            territory_id=self.territory_filter.currentData() or None,
            tag=self.tag_filter.text().strip() or None,
            not_visited_days=self.not_visited.value(),
            sort_column=sort,
            descending=self.model.filter.descending if self._user_sorted else False,
        )

    def _apply_filter(self) -> None:
        self.model.set_filter(self.current_filter())

    def _header_clicked(self, _section: int) -> None:
        self._user_sorted = True

    def _territories(self, rows: list[tuple[str, str]]) -> None:
        for tid, name in rows:
            self.territory_filter.addItem(name, tid)

    def _loaded(self) -> None:
        n = self.model.rowCount()
        capped = self.search.text().strip() and n >= queries.SEARCH_LIMIT
        self.count_label.setText(f"{n:,}{'+' if capped else ''} accounts")
        self.hint.show_hint(None if n else self.empty_hint())
        # A reload resets the view: keep the account on the right selected on the left.
        target = self._pending_select or self.detail.account_id
        if target:
            self.select_account(target)

    def empty_hint(self) -> str:
        """Why the list is empty and what to do about it."""
        text = self.search.text().strip()
        filtered = not self.current_filter().is_plain()
        if text and filtered:
            return self.tr("No accounts match “{0}” with these filters.").format(text)
        if text:
            return self.tr(
                "No accounts match “{0}”.\nCheck the spelling or clear the search."
            ).format(text)
        if filtered:
            return self.tr("No accounts pass these filters — set them back to “Any”.")
        return self.tr("No accounts yet — press Ctrl+N to add one.")

    # -- selection ----------------------------------------------------------------------------

    def _selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = selected.indexes()
        if rows:
            account_id = self.model.account_id(rows[0].row())
            if account_id and account_id != self.detail.account_id:
                self.detail.show_account(account_id)

    def select_account(self, account_id: str) -> None:
        """Show the account; select it in the list when the list holds it."""
        row = self.model.row_of(account_id)
        self._pending_select = None
        if row >= 0:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))
        if self.detail.account_id != account_id:
            self.detail.show_account(account_id)

    def _saved(self, account_id: str) -> None:
        self._pending_select = account_id

    # -- panel actions ------------------------------------------------------------------------

    def refresh(self) -> None:
        self.model.reload()

    def _on_changed(self, entities: frozenset[str]) -> None:
        flt = self.model.filter
        by_visits = flt.not_visited_days > 0 or flt.sort_column == "last_visit"
        if "accounts" in entities or ("visits" in entities and by_visits):
            self.refresh()
        elif "visits" in entities:
            self.model.refresh_rows()  # only the last-visit dates changed

    def new_record(self) -> None:
        self.table.clearSelection()
        self.detail.new_account()

    def delete_selected(self) -> None:
        self.detail.delete_selected()

    def show_nearby(self) -> NearbyDialog:
        """Nearby from the selected account (or, with none, from what the user types)."""
        if self.nearby is not None:
            self.nearby.close()
        account_id = self.detail.account_id
        name = self.detail.heading.text() if account_id else ""
        self.nearby = NearbyDialog(self.ctx, self, account_id=account_id, account_name=name)
        self.nearby.show()
        return self.nearby

    def show_unplotted(self) -> UnplottedDialog:
        dialog = UnplottedDialog(self.ctx, self)
        dialog.show()
        return dialog

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("accounts/splitter", self.splitter.saveState())
        settings.setValue("accounts/header", self.table.horizontalHeader().saveState())

    def restore_state(self, settings: QSettings) -> None:
        for key, target in (
            ("accounts/splitter", self.splitter),
            ("accounts/header", self.table.horizontalHeader()),
        ):
            value = settings.value(key)
            if isinstance(value, QByteArray):
                target.restoreState(value)
