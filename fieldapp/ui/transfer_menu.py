"""File → Import… and Export…: open the dialogs with what the window knows.

The export dialog is told the search each open panel shows (for "the filtered list")
and the accounts lassoed on the map (for "the lassoed selection"); the import dialog
starts on the entity of the panel in front.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLineEdit

from fieldapp.ui.export_dialog import ExportDialog
from fieldapp.ui.import_dialog import ImportDialog

if TYPE_CHECKING:
    from fieldapp.ui.main_window import MainWindow

# Panel key → the entity its list shows.
PANEL_ENTITIES = {
    "accounts": "accounts",
    "contacts": "contacts",
    "leads": "leads",
    "pipeline": "opportunities",
}


def _front_entity(window: MainWindow) -> str:
    key = window.specs[window.stack.currentIndex()].key
    return PANEL_ENTITIES.get(key, "accounts")


def panel_searches(window: MainWindow) -> dict[str, str]:
    """The search text of each built panel that lists an entity."""
    found = {}
    for key, entity in PANEL_ENTITIES.items():
        panel = window.panels.get(key)
        search = getattr(panel, "search", None)
        if isinstance(search, QLineEdit) and search.text().strip():
            found[entity] = search.text().strip()
    return found


def lassoed_accounts(window: MainWindow) -> list[str]:
    screen = window.panels.get("map")
    map_panel = getattr(screen, "map", None)
    return list(getattr(map_panel, "selected", None) or [])


def open_import(window: MainWindow) -> ImportDialog:
    dialog = ImportDialog(window.ctx, window, entity=_front_entity(window))
    dialog.show()
    return dialog


def open_export(window: MainWindow) -> ExportDialog:
    dialog = ExportDialog(
        window.ctx,
        window,
        entity=_front_entity(window),
        searches=panel_searches(window),
        lassoed=lassoed_accounts(window),
    )
    dialog.show()
    return dialog
