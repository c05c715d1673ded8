"""Contacts: every person at every account, searched as you type, edited beside the list.

The list is lazy (:class:`fieldapp.ui.lazy_model.LazyTableModel`): about two contacts
per account makes 200k rows at 100k accounts, so only the ids are held and the values
of the rows on screen are fetched. The search runs over the contacts' search index
(name, title, email, phone, town) and finds the people at matching accounts too.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QCoreApplication, QItemSelection, QSettings, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui import lookups
from fieldapp.ui.background import Background
from fieldapp.ui.contact_editor import ContactEditor
from fieldapp.ui.empty_state import EmptyHint
from fieldapp.ui.headers import record_table
from fieldapp.ui.history_tab import HistoryTab
from fieldapp.ui.lazy_model import LazyTableModel
from fieldapp.ui.panel import AppContext, Panel


class ContactsModel(LazyTableModel):
    """Rows ``(name, title, account, email, phone)``, every contact or the matches."""

    def __init__(self, bg: Background) -> None:
        headers = [QCoreApplication.translate("ContactsModel", h) for h in lookups.CONTACT_HEADERS]
        super().__init__(bg, headers, lookups.contact_ids, lookups.contact_rows)


class ContactsPanel(Panel):
    title = "Contacts"
    watches = frozenset({"contacts", "accounts"})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.model = ContactsModel(ctx.bg)
        self.model.loaded.connect(self._loaded)
        self.search = QLineEdit()
        self.search.setObjectName("contact_search")
        self.search.setPlaceholderText(
            self.tr("Search contacts (Ctrl+F): name, email, phone, account…")
        )
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.model.set_text)
        self.count_label = QLabel("")
        self.count_label.setObjectName("contact_count")
        self.new_button = QPushButton(self.tr("New contact"))
        self.new_button.setToolTip(self.tr("Add a contact (Ctrl+N)"))
        self.new_button.clicked.connect(self.new_record)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label)
        top.addWidget(self.new_button)

        self.table = record_table(self.model)
        self.table.setObjectName("contacts_table")
        self.table.setWordWrap(False)
        vh = self.table.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(24)
        hh = self.table.horizontalHeader()
        hh.setSectionsMovable(True)
        for column, width in enumerate((140, 100, 150, 180, 100)):
            hh.resizeSection(column, width)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.hint = EmptyHint(self.table)

        self.editor = ContactEditor(ctx)
        self.editor.saved.connect(self._saved)
        self.editor.deleted.connect(self._deleted)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addLayout(top)
        ll.addWidget(self.table, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        # The contact's changes from the server's audit trail, asked for when shown.
        self.history = HistoryTab(ctx, "contacts")
        self.detail_tabs = QTabWidget()
        self.detail_tabs.addTab(self.editor, self.tr("Details"))
        self.detail_tabs.addTab(self.history, self.tr("History"))
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail_tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([700, 440])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.splitter)
        self._pending_select: str | None = None
        self.model.reload()

    def _loaded(self) -> None:
        n = self.model.rowCount()
        text = self.search.text().strip()
        capped = text and n >= lookups.SEARCH_LIMIT
        self.count_label.setText(self.tr("{0}{1} contacts").format(f"{n:,}", "+" if capped else ""))
        if n:
            self.hint.show_hint(None)
        elif text:
            self.hint.show_hint(
                self.tr("No contacts match “{0}”.\nCheck the spelling or clear the search.").format(
                    text
                )
            )
        else:
            self.hint.show_hint(self.tr("No contacts yet — press Ctrl+N to add one."))
        target = self._pending_select or self.editor.contact_id
        if target:
            self.select_contact(target)

    def _selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = selected.indexes()
        if rows:
            contact_id = self.model.row_id(rows[0].row())
            if contact_id and contact_id != self.editor.contact_id:
                self._show_contact(contact_id)

    def select_contact(self, contact_id: str) -> None:
        """Show the contact; select it in the list when the list holds it."""
        self._pending_select = None
        row = self.model.row_of(contact_id)
        if row >= 0:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))
        if self.editor.contact_id != contact_id:
            self._show_contact(contact_id)

    def _show_contact(self, contact_id: str) -> None:
        self.editor.show_contact(contact_id)  # may stay (unsaved changes kept)
        self.history.set_record(self.editor.contact_id)

    def _saved(self, contact_id: str) -> None:
        self._pending_select = contact_id

    def _deleted(self, contact_id: str) -> None:
        if self._pending_select == contact_id:
            self._pending_select = None
        self.table.clearSelection()
        self.history.set_record(None)

    # -- panel actions ------------------------------------------------------------------

    def refresh(self) -> None:
        self.model.reload()

    def new_record(self) -> None:
        self.table.clearSelection()
        self.editor.new_contact()
        self.history.set_record(None)

    def delete_selected(self) -> None:
        self.editor.delete()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("contacts/splitter", self.splitter.saveState())
        settings.setValue("contacts/header", self.table.horizontalHeader().saveState())

    def restore_state(self, settings: QSettings) -> None:
        for key, target in (
            ("contacts/splitter", self.splitter),
            ("contacts/header", self.table.horizontalHeader()),
        ):
            value = settings.value(key)
            if isinstance(value, QByteArray):
                target.restoreState(value)
